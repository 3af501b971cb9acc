"""Every numeric option of every command is range-checked where it is parsed: a hostile or absurd value is one
line and exit 2 (or a harmless run), never an internal error later (`--max-kbps 1e308` ended the viewer on an
OverflowError when play began; `--fps 1e-320` would have, and `--temperature 1e-320` sampled from NaN)."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tui.__main__ import main
from rnn_tui.core.cells import Config
from rnn_tui.core.checkpoint import save
from rnn_tui.core.sampling import Sampler
from tests.factories import ASCII_VOCAB, random_tensors

HOSTILE = ["nan", "inf", "-inf", "1e308", "1e400", "-1", "1e-320"]
# values the viewer may take (a seed is any integer; the smallest temperature samples the top character, the
# smallest byte budget is a byte a second): every other value above is refused before it starts
VIEWER_TAKES = {("--seed", "-1"), ("--temperature", "1e-320"), ("--max-kbps", "1e-320")}
OPTIONS = {  # command -> (its other arguments, its numeric options)
    "view": (["M"], ["--seed", "--temperature", "--fps", "--max-kbps"]),
    "lesson": (["phone-numbers", "-m", "M"], ["--seed", "--temperature", "--fps", "--max-kbps"]),
    "serve": (["M"], ["--port", "--max-tabs", "--seed", "--temperature", "--max-kbps"]),
    "eval": (["M", "T"], ["--val-frac"]),
    "analyze": (["T", "M", "-f", "quotes"], ["--top", "--limit", "--streams", "--export-chars", "--export-from"]),
    "export": (["M", "T", "--out", "X.npz", "--force"], ["--start", "--length", "--top-k"]),
    "sample": (["M", "-n", "5"], ["--length", "--temperature", "--top-k", "--top-p", "--seed", "--candidates"]),
}
TRAIN = ["--layers", "--hidden", "--embedding", "--dropout", "--seq-len", "--batch", "--lr", "--time-budget",
         "--max-steps", "--seed", "--val-frac", "--eval-every", "--sample-every", "--threads", "--grad-clip"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("numbers")
    config = Config("gru", 1, 8, len(ASCII_VOCAB))
    model = save(root / "m.safetensors", config, ASCII_VOCAB, random_tensors(config))
    text = root / "t.txt"
    text.write_text("The quick brown fox jumps over the lazy dog.\n" * 40)
    return {"M": str(model), "T": str(text), "X.npz": str(root / "x.npz")}


def one_line_or_a_run(capsys, argv: list[str]) -> tuple[int, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    assert status in (0, 2), (argv, err)
    assert err.count("\n") <= 1 and "internal error" not in err, (argv, err)
    return status, err


@pytest.mark.parametrize("command", OPTIONS)
def test_every_numeric_option_takes_a_hostile_value_as_one_line_or_a_harmless_run(command, files, capsys,
                                                                                  monkeypatch):
    from rnn_tui.commands import _terminal, _web_server, serve

    class Accepted:  # a value that got through: no viewer, no server here, just exit 0
        def __init__(self, *args, **kwargs):
            pass

        def serve(self) -> None:
            pass

    monkeypatch.setattr(_web_server, "GuardedServer", Accepted)
    monkeypatch.setattr(serve, "check_port", lambda *a: None)
    monkeypatch.setattr(_terminal, "run_app", lambda app: 0)
    monkeypatch.setattr(_terminal, "check", lambda: None)  # no terminal here: let an accepted value go on
    base, options = OPTIONS[command]
    for option in options:
        for value in HOSTILE:
            argv = [command, *(files.get(a, a) for a in base), option, value]
            if command in ("view", "lesson", "serve") and (option, value) not in VIEWER_TAKES:
                status, err = one_line_or_a_run(capsys, argv)
                assert status == 2 and option.lstrip("-").split("-")[-1] in err, (argv, err)  # refused, by name
            else:
                one_line_or_a_run(capsys, argv)


def test_every_numeric_option_of_train_refuses_what_is_not_a_finite_number(files, capsys):
    pytest.importorskip("torch")
    for option in TRAIN:
        for value in ("nan", "inf", "-inf", "1e400"):
            status, err = one_line_or_a_run(capsys, ["train", files["T"], "--out", files["X.npz"], option, value])
            assert status == 2 and option in err, (option, value, err)


@pytest.mark.parametrize("mode", ["sample", "top-k", "top-p"])
def test_a_temperature_just_above_zero_samples_the_top_character(mode):
    logits = np.array([0.5, 3.0, 2.9, -1.0])
    for t in (1e-320, 5e-324, 1e-300):
        p = Sampler(temperature=t, mode=mode).distribution(logits)
        assert np.isfinite(p).all() and p[1] == 1.0, (t, p)


def test_a_byte_budget_under_a_byte_a_second_is_a_byte_not_none():
    from rnn_tui.tui.engine.budget import Player

    assert Player(30, max_kbps=1e-320).byte_budget == 1 and Player(30, max_kbps=0).byte_budget == 0
