"""SIGTERM, SIGHUP and SIGQUIT end the viewer with the terminal restored, on a real pseudo-terminal.

Python's default for these signals ended the process on the spot: the terminal stayed in the alternate
screen, with mouse reporting, focus events, bracketed paste and the kitty keyboard protocol on, the
cursor hidden and echo off.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time

import pytest

# each mode the viewer turns on, and the bytes that turn it off again
RESTORES = {
    "alternate screen": b"\x1b[?1049l",
    "mouse reporting": b"\x1b[?1000l",
    "any-event mouse": b"\x1b[?1003l",
    "SGR mouse": b"\x1b[?1006l",
    "focus events": b"\x1b[?1004l",
    "bracketed paste": b"\x1b[?2004l",
    "kitty keyboard protocol": b"\x1b[<u",
    "hidden cursor": b"\x1b[?25h",
}


def read_until(fd: int, want: bytes, seconds: float) -> bytes:
    got = b""
    deadline = time.monotonic() + seconds
    while want not in got and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
    return got


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
def test_an_ending_signal_restores_every_terminal_mode(lstm_checkpoint, signum):
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    cooked = termios.tcgetattr(slave)
    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8",
               XDG_CONFIG_HOME=os.devnull)  # no user config
    env.pop("TEXTUAL_DRIVER", None)
    viewer = subprocess.Popen([sys.executable, "-m", "rnn_tui", str(lstm_checkpoint)], stdin=slave, stdout=slave,
                              stderr=slave, env=env, start_new_session=True)
    try:
        before = read_until(master, lstm_checkpoint.stem.encode(), 90)
        assert b"\x1b[?1049h" in before and b"\x1b[?1000h" in before and b"\x1b[?25l" in before
        time.sleep(0.5)
        before += read_until(master, b"\x00never", 0.5)
        viewer.send_signal(signum)
        status = viewer.wait(timeout=60)
        after = read_until(master, b"\x00never", 1.0)
    finally:
        if viewer.poll() is None:
            viewer.kill()
            viewer.wait()
    missing = [mode for mode, restore in RESTORES.items() if restore not in after]
    assert missing == []
    assert status == 128 + signum
    # echo and line editing back as they were
    now = termios.tcgetattr(slave)
    assert now[3] & (termios.ECHO | termios.ICANON) == cooked[3] & (termios.ECHO | termios.ICANON)
    os.close(master)
    os.close(slave)


STUCK = """
import sys, time
from rnn_tui.tui import app

def stuck(self):
    time.sleep(120)  # the app's loop blocked: it cannot leave on its own

app.RnnApp.action_play_pause = stuck
from rnn_tui.__main__ import main
sys.exit(main([sys.argv[1]]))
"""


def test_a_signal_while_the_app_is_stuck_still_restores_the_terminal(lstm_checkpoint):
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8", XDG_CONFIG_HOME=os.devnull)
    env.pop("TEXTUAL_DRIVER", None)
    viewer = subprocess.Popen([sys.executable, "-c", STUCK, str(lstm_checkpoint)], stdin=slave, stdout=slave,
                              stderr=slave, env=env, start_new_session=True)
    try:
        read_until(master, lstm_checkpoint.stem.encode(), 90)
        os.write(master, b" ")  # space: the stuck action
        read_until(master, b"\x00never", 1.0)
        viewer.send_signal(signal.SIGTERM)
        status = viewer.wait(timeout=60)
        after = read_until(master, b"\x00never", 1.0)
    finally:
        if viewer.poll() is None:
            viewer.kill()
            viewer.wait()
        os.close(master)
        os.close(slave)
    assert [mode for mode, restore in RESTORES.items() if restore not in after] == []
    assert status == 128 + signal.SIGTERM
