"""The config file and the environment variables the viewer honours; `--help`; shell completion."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnn_tui.__main__ import main
from rnn_tui.commands import COMMANDS, _terminal
from rnn_tui.commands._config import config_path, load_config
from rnn_tui.tui.app import RnnApp


@pytest.fixture
def config(tmp_path, monkeypatch):
    """config("text") writes $XDG_CONFIG_HOME/rnn-tui/config.toml."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))

    def write(text: str):
        path = tmp_path / "xdg" / "rnn-tui" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return write


@pytest.fixture
def opened(monkeypatch):
    """The apps `rnn-tui` would have run: built and checked, but not started."""
    apps: list[RnnApp] = []
    monkeypatch.setattr(_terminal, "check", lambda: None)  # pytest's stdin is not a terminal
    monkeypatch.setattr(RnnApp, "run", lambda self, *a, **k: apps.append(self))
    return apps


def test_the_file_lives_under_xdg_config_home_or_dot_config(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_path() == tmp_path / "rnn-tui" / "config.toml"
    for unset in ("", "relative/dir"):  # the XDG rule: ignore an empty or relative value
        monkeypatch.setenv("XDG_CONFIG_HOME", unset)
        assert config_path() == Path.home() / ".config" / "rnn-tui" / "config.toml"


def test_no_file_means_no_settings(config):
    assert load_config() == {}


def test_the_viewer_takes_its_defaults_from_the_file(config, opened, make_checkpoint):
    model = make_checkpoint("gru", layers=1, hidden=8)
    config(f'model = "{model}"\ntheme = "textual-light"\nfps = 12\nmax-kbps = 0\ntemperature = 0.3\nseed = 9\n')
    assert main([]) == 0
    app = opened[0]
    assert app.config.cell == "gru" and app.theme == "textual-light" and app.player.fps == 12
    assert app.player.max_kbps == 0 and app.session.sampler.temperature == 0.3 and app.session.sampler.seed == 9


def test_an_option_beats_the_file(config, opened, lstm_checkpoint):
    config('seed = 9\ntemperature = 0.3\ntheme = "nord"\n')
    assert main([str(lstm_checkpoint), "--seed", "2", "-t", "1.1", "--theme", "gruvbox"]) == 0
    s = opened[0].session.sampler
    assert (s.seed, s.temperature, opened[0].theme) == (2, 1.1, "gruvbox")


def test_sample_takes_model_seed_and_temperature_from_the_file(config, capsys, lstm_checkpoint):
    config(f'model = "{lstm_checkpoint}"\nseed = 5\ntemperature = 1.2\n')
    assert main(["sample", "-n", "40"]) == 0
    from_file = capsys.readouterr().out
    assert main(["sample", str(lstm_checkpoint), "--seed", "5", "-t", "1.2", "-n", "40"]) == 0
    assert capsys.readouterr().out == from_file


@pytest.mark.parametrize("text, message", [
    ("fps = 0", "fps must be at least 0.1 and at most 240, got 0"),
    ("fps = 'fast'", "fps must be a number, got 'fast'"),
    ("max-kbps = -1", "max-kbps must be at least 0"),
    ("temperature = 11", "temperature must be at least 0 and at most 10, got 11"),
    ("seed = 1.5", "seed must be a whole number, got 1.5"),
    ("seed = true", "seed must be a whole number, got True"),
    ("model = ''", "model must be a non-empty string"),
    ("colour = 'red'", "unknown key 'colour' (known: model, theme, fps, max-kbps, temperature, seed)"),
    ("fps = ", "not valid TOML"),
])
def test_a_bad_value_in_the_file_is_one_line_naming_file_and_key(config, capsys, text, message):
    path = config(text + "\n")
    assert main(["sample", "-n", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err and err.count("\n") == 1


def test_a_file_that_is_not_utf8_is_one_line(config, capsys):
    path = config("")
    path.write_bytes(b"seed = 1 # \xff\n")
    assert main(["sample", "-n", "1"]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_textual_theme_is_honoured_and_beats_the_file(config, opened, monkeypatch, lstm_checkpoint):
    config('theme = "nord"\n')
    monkeypatch.setenv("TEXTUAL_THEME", "textual-light")
    assert main([str(lstm_checkpoint)]) == 0
    assert opened[0].theme == "textual-light"


@pytest.mark.parametrize("var, value, message", [
    ("TEXTUAL_THEME", "no-such-theme", "unknown theme 'no-such-theme' (from TEXTUAL_THEME; available:"),
    ("TEXTUAL_COLOR_SYSTEM", "16", "TEXTUAL_COLOR_SYSTEM must be one of auto, standard, 256, truecolor, windows"),
    ("TEXTUAL_FPS", "zero", "TEXTUAL_FPS must be a whole number of frames a second"),
])
def test_a_bad_environment_variable_is_one_line(monkeypatch, opened, capsys, lstm_checkpoint, var, value, message):
    monkeypatch.setenv(var, value)
    assert main([str(lstm_checkpoint)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not opened


def test_a_bad_theme_option_is_one_line(opened, capsys, lstm_checkpoint):
    assert main([str(lstm_checkpoint), "--theme", "neon"]) == 2
    assert "unknown theme 'neon' (from --theme or the config file" in capsys.readouterr().err


def test_textual_fps_caps_the_play_rate(monkeypatch, opened, lstm_checkpoint):
    monkeypatch.setenv("TEXTUAL_FPS", "10")
    assert main([str(lstm_checkpoint), "--fps", "30"]) == 0
    assert opened[0].player.fps == 10


def test_no_color_switches_the_viewer_to_glyphs(monkeypatch, opened, lstm_checkpoint):
    assert main([str(lstm_checkpoint)]) == 0
    monkeypatch.setenv("NO_COLOR", "1")
    assert main([str(lstm_checkpoint)]) == 0
    assert [app.glyph_mode for app in opened] == [False, True]


# -- --help and completion ----------------------------------------------------------------


def test_help_lists_every_command_with_one_line(capsys):
    assert main(["--help"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name, (_, line) in COMMANDS.items():
        assert sum(1 for row in lines if row.split() and row.split()[0] == name and row.endswith(line)) == 1, name


def test_every_command_has_help(capsys):
    for name in COMMANDS:
        rc = main([name, "--help"])
        usage = f"usage: rnn-tui {name}"
        assert rc == 0 and capsys.readouterr().out.startswith(usage)


@pytest.mark.parametrize("shell, marker", [("bash", "complete "), ("zsh", "#compdef rnn-tui"), ("fish", "complete ")])
def test_completion_prints_a_script_for_each_shell(capsys, shell, marker):
    pytest.importorskip("argcomplete")
    assert main(["completion", shell]) == 0
    out = capsys.readouterr().out
    assert marker in out and "rnn-tui" in out


def tab(line: str, tmp_path, shell: str = "bash") -> list[str]:
    """What the shell's Tab gets from `rnn-tui` for a command line (argcomplete's protocol)."""
    out = tmp_path / "candidates"
    env = {**os.environ, "_ARGCOMPLETE": "1", "_ARGCOMPLETE_SHELL": shell, "COMP_LINE": line,
           "COMP_POINT": str(len(line)), "_ARGCOMPLETE_STDOUT_FILENAME": str(out)}
    done = subprocess.run([sys.executable, "-m", "rnn_tui"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [c.strip() for c in out.read_text().replace("\t", "\v").split("\v")] if out.read_text() else []


def test_tab_completes_commands_options_and_bundled_models(tmp_path):
    pytest.importorskip("argcomplete")
    assert tab("rnn-tui sa", tmp_path) == ["sample"]
    assert tab("rnn-tui sample --te", tmp_path) == ["--temperature"]
    assert {"shakespeare-lstm", "shakespeare-gru"} <= set(tab("rnn-tui sample shakespeare-", tmp_path))
    (tmp_path / "corpus.txt").write_text("x")
    assert any(c.startswith(str(tmp_path / "corpus.txt")) for c in
               tab(f"rnn-tui export shakespeare-lstm {tmp_path}/cor", tmp_path, shell="fish"))


def test_tab_completes_a_bare_model_name_and_the_viewers_options_after_it(tmp_path):
    pytest.importorskip("argcomplete")
    assert {"shakespeare-lstm", "shakespeare-gru"} <= set(tab("rnn-tui shak", tmp_path))
    assert "sample" in tab("rnn-tui sa", tmp_path)
    assert tab("rnn-tui shakespeare-lstm --se", tmp_path) == ["--seed"]
    assert {"shakespeare-lstm"} <= set(tab("rnn-tui eval t.txt -m shakespeare-l", tmp_path))
    assert tab("rnn-tui help ev", tmp_path) == ["eval"]
    assert tab("rnn-tui info m.pt --vocab pri", tmp_path) == ["printable"]


def test_a_tab_never_runs_a_command_even_without_argcomplete(tmp_path):
    """With _ARGCOMPLETE set and argcomplete missing, rnn-tui exits at once instead of opening the viewer."""
    code = ("import sys; sys.modules['argcomplete'] = None; from rnn_tui.__main__ import main; "
            "main(['sample', '-n', '5'])")
    env = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": "rnn-tui ", "COMP_POINT": "8"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""


@pytest.mark.parametrize("argv", [["--max-kbps", "1e308"], ["--max-kbps", "1e7"], ["--max-kbps", "nan"]])
def test_a_huge_max_kbps_on_the_command_line_is_one_line(capsys, argv):
    """1e308 got through and ended the viewer on an OverflowError when play began."""
    assert main([*argv]) == 2
    err = capsys.readouterr().err
    assert "--max-kbps must be 0 (no limit) or more, at most 1,000,000" in err and err.count("\n") == 1
    assert main(["serve", *argv]) == 2
    assert "--max-kbps must be" in capsys.readouterr().err


def test_a_huge_max_kbps_in_the_config_file_is_one_line(capsys, config):
    config("max-kbps = 1e308\n")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "max-kbps must be at least 0 and at most 1e+06" in err and err.count("\n") == 1


def test_a_config_file_of_deeply_nested_arrays_is_one_line(capsys, config):
    """30,000 nested arrays in 60 KB: a RecursionError inside the TOML reader, an internal error before."""
    config("model = " + "[" * 30_000 + "]" * 30_000 + "\n")
    assert main(["sample", "-n", "5"]) == 2
    err = capsys.readouterr().err
    assert "nested too deeply" in err and err.count("\n") == 1
