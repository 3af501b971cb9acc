"""Streams and terminals: closed pipes, stdin or stderr redirected, terminals that cannot draw, crashes."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from rnn_tui.commands import _terminal

ROOT = Path(__file__).resolve().parent.parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "LANG": "C.UTF-8"}
for _var in ("LC_ALL", "LC_CTYPE", "NO_COLOR"):
    ENV.pop(_var, None)


@pytest.mark.parametrize("argv", [["info"], ["info", "shakespeare-lstm"], ["--help"], ["--version"], ["info", "--help"],
                                  ["eval", "--help"], ["train", "--help"]])
def test_every_command_exits_quietly_when_its_output_pipe_is_closed(argv):
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` having exited already: every write is EPIPE
    try:
        r = subprocess.run([sys.executable, "-m", "rnn_tui", *argv], stdout=write_end, stderr=subprocess.PIPE,
                           text=True, timeout=120, env=ENV)
    finally:
        os.close(write_end)
    assert r.stderr == ""
    # 141 as for a program killed by SIGPIPE; argparse's help and version swallow the error themselves
    assert r.returncode == 141 or (r.returncode == 0 and argv[-1] in ("--help", "--version"))


def test_eval_exits_quietly_when_its_output_pipe_is_closed(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("To be, or not to be: that is the question.\n" * 40)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        r = subprocess.run([sys.executable, "-m", "rnn_tui", "eval", "shakespeare-rnn", str(text)], stdout=write_end,
                           stderr=subprocess.PIPE, text=True, timeout=120, env=ENV)
    finally:
        os.close(write_end)
    assert (r.returncode, r.stderr) == (141, "")


def test_the_viewer_refuses_in_one_line_when_stdin_is_not_a_terminal():
    r = subprocess.run([sys.executable, "-m", "rnn_tui", "shakespeare-rnn"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=120, env=ENV)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "stdin is not one" in r.stderr


class Pty:
    """A program with a pseudo-terminal as stdin and stdout; stderr wherever the test says."""

    def __init__(self, argv: list[str], env: dict, stderr=None, cols: int = 100, rows: int = 30):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave if stderr is None else stderr,
                                     env=env, start_new_session=True, cwd=ROOT)
        os.close(slave)
        self.output = bytearray()

    def read_until(self, marker: bytes, timeout: float = 60.0) -> bool:
        end = time.monotonic() + timeout
        while marker not in self.output and time.monotonic() < end:
            if select.select([self.master], [], [], 0.2)[0]:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:
                    break
        return marker in self.output

    def finish(self, timeout: float = 60.0, key: bytes = b"") -> int:
        """The exit status, sending `key` every half second till then (keys sent while the app
        starts, before its terminal is in raw mode, can be dropped)."""
        end = time.monotonic() + timeout
        try:
            while self.proc.poll() is None and time.monotonic() < end:
                if key:
                    os.write(self.master, key)
                self.read_until(b"\x00never", 0.5)
            status = self.proc.wait(1)
        finally:
            self.read_until(b"\x00never", 0.3)
            if self.proc.poll() is None:
                self.proc.kill()
            os.close(self.master)
        return status


@pytest.mark.parametrize("env_change, words", [
    ({"TERM": "dumb"}, "TERM=dumb cannot draw"),
    ({"TERM": "vt100"}, "TERM=vt100 cannot draw"),
    ({"LANG": "C"}, "LANG=C is not a UTF-8 locale"),
    ({"LC_ALL": "C"}, "LC_ALL=C is not a UTF-8 locale"),
    ({"LANG": "en_US.ISO-8859-1"}, "not a UTF-8 locale"),
])
def test_a_terminal_that_cannot_draw_the_viewer_gets_one_line(env_change, words):
    p = Pty([sys.executable, "-m", "rnn_tui", "shakespeare-rnn"], {**ENV, **env_change})
    assert p.finish() == 2
    text = p.output.decode("utf-8", "replace")
    assert words in text and text.count("\n") == 1 and "\x1b" not in text


def test_locale_setting_sees_through_pythons_own_c_locale_coercion(monkeypatch):
    monkeypatch.setattr(sys, "flags", type("F", (), {"utf8_mode": 1})())
    assert _terminal.locale_setting({"LC_CTYPE": "C.UTF-8", "LANG": "C"}) == ("LANG", "C")
    assert _terminal.locale_setting({"LC_ALL": "de_DE.UTF-8", "LANG": "C"}) == ("LC_ALL", "de_DE.UTF-8")
    assert _terminal.locale_setting({"LC_CTYPE": "C.UTF-8"}) == ("", "")
    monkeypatch.setattr(sys, "flags", type("F", (), {"utf8_mode": 0})())
    assert _terminal.locale_setting({"LC_CTYPE": "C.UTF-8", "LANG": "C"}) == ("LC_CTYPE", "C.UTF-8")


def test_with_stderr_redirected_the_viewer_draws_on_stdout_and_quits_with_q(tmp_path):
    log = open(tmp_path / "err.log", "wb")  # noqa: SIM115 - closed below, after the child has it
    try:
        p = Pty([sys.executable, "-m", "rnn_tui", "shakespeare-rnn"], ENV, stderr=log)
    finally:
        log.close()
    assert p.read_until(b"shakespeare-rnn"), p.output[-500:]
    assert p.finish(key=b"q") == 0
    assert (tmp_path / "err.log").read_bytes() == b""


CRASH = """
import sys
from rnn_tui.tui import app

def boom(self):
    raise RuntimeError("boom \\x1b]52;c;SGVsbG8=\\x07")

app.RnnApp.action_play_pause = boom
from rnn_tui.__main__ import main
sys.exit(main(["shakespeare-rnn"]))
"""


def test_an_exception_inside_the_viewer_exits_1_with_one_line_and_a_report_file(tmp_path):
    log = open(tmp_path / "err.log", "wb")  # noqa: SIM115
    try:
        p = Pty([sys.executable, "-c", CRASH], {**ENV, "XDG_CACHE_HOME": str(tmp_path)}, stderr=log)
    finally:
        log.close()
    assert p.read_until(b"shakespeare-rnn"), p.output[-500:]
    assert p.finish(key=b" ") == 1
    err = (tmp_path / "err.log").read_text()
    assert err.count("\n") == 1 and err.startswith("rnn-tui: internal error: RuntimeError: boom ␛]52"), err
    reports = list((tmp_path / "rnn-tui").glob("crash-*.txt"))
    assert len(reports) == 1 and "Traceback" in reports[0].read_text()
    assert "Traceback" not in p.output.decode("utf-8", "replace")
