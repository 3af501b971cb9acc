"""Crash reports: private (folder 0700, files 0600), at most the newest 20, no local variables or file text."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from rnn_tui.core import crash_report


def crash(secret: str) -> BaseException:
    text_of_a_file = secret  # noqa: F841  (a local variable a report with locals would show)
    try:
        raise ValueError("bad value")
    except ValueError as e:
        return e


def test_a_report_is_private_and_holds_no_local_variables(tmp_path):
    folder = tmp_path / "rnn-tui"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)  # as an older version left it
    path = crash_report.save(crash("the student's essay, line 1"), folder)
    assert path is not None and path.parent == folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "Traceback" in text and "ValueError: bad value" in text and "in crash" in text
    assert "essay" not in text


def test_only_the_newest_twenty_are_kept(tmp_path):
    for i in range(25):
        old = tmp_path / f"crash-2020010{i // 10}-0000{i % 10}-1.txt"
        old.write_text("old")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    newest = crash_report.save(crash("x"), tmp_path)
    left = sorted(tmp_path.glob("crash-*.txt"))
    assert len(left) == 20 and newest in left
    assert not (tmp_path / "crash-20200100-00000-1.txt").exists()  # the oldest went first


def test_a_crash_of_the_command_writes_its_report_under_the_cache_folder(tmp_path):
    """XDG_CACHE_HOME is honoured (through platformdirs), and the report holds no text of a user's file."""
    script = tmp_path / "boom.py"
    script.write_text("from rnn_tui.__main__ import main\n"
                      "import rnn_tui.commands.info as info\n"
                      "def explode(argv):\n"
                      "    secret_line = 'password=hunter2'\n"
                      "    raise RuntimeError('boom')\n"
                      "info.main = explode\n"
                      "raise SystemExit(main(['info']))\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    reports = list((tmp_path / "cache" / "rnn-tui").glob("crash-*.txt"))
    assert len(reports) == 1 and str(reports[0]) in done.stderr
    text = reports[0].read_text()
    assert "RuntimeError: boom" in text and "hunter2" not in text and "secret_line" not in text
    assert stat.S_IMODE(reports[0].stat().st_mode) == 0o600
