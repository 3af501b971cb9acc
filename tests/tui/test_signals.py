"""SIGTERM, SIGHUP and SIGQUIT end the viewer with the terminal restored, on a real pseudo-terminal.

Python's default for these signals ended the process on the spot: the terminal stayed in the alternate
screen, with mouse reporting, focus events, bracketed paste and the kitty keyboard protocol on, the
cursor hidden and echo off.
"""

from __future__ import annotations

import os
import signal
import termios

import pytest

from tests.tui.pty_viewer import drain, read_until, viewer_on_pty

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


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
def test_an_ending_signal_restores_every_terminal_mode(lstm_checkpoint, signum):
    with viewer_on_pty(["-m", "rnn_tui", str(lstm_checkpoint)]) as (viewer, master, slave):
        cooked = termios.tcgetattr(slave)
        before = read_until(master, lstm_checkpoint.stem.encode(), 90)
        assert b"\x1b[?1049h" in before and b"\x1b[?1000h" in before and b"\x1b[?25l" in before
        drain(master, 1.0)
        viewer.send_signal(signum)
        status = viewer.wait(timeout=60)
        after = drain(master, 1.0)
        now = termios.tcgetattr(slave)
    assert [mode for mode, restore in RESTORES.items() if restore not in after] == []
    assert status == 128 + signum
    # echo and line editing back as they were
    assert now[3] & (termios.ECHO | termios.ICANON) == cooked[3] & (termios.ECHO | termios.ICANON)


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
    with viewer_on_pty(["-c", STUCK, str(lstm_checkpoint)]) as (viewer, master, _):
        read_until(master, lstm_checkpoint.stem.encode(), 90)
        os.write(master, b" ")  # space: the stuck action
        drain(master, 1.0)
        viewer.send_signal(signal.SIGTERM)
        status = viewer.wait(timeout=60)
        after = drain(master, 1.0)
    assert [mode for mode, restore in RESTORES.items() if restore not in after] == []
    assert status == 128 + signal.SIGTERM
