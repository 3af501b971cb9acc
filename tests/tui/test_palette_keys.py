"""ctrl+p then PageUp in one read: Textual's palette raised KeyError: 0 (its list had no size yet)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

from tests.tui.test_signals import read_until


def test_ctrl_p_then_page_up_at_once_does_not_end_the_viewer(lstm_checkpoint, tmp_path):
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8", XDG_CONFIG_HOME=os.devnull,
               XDG_CACHE_HOME=str(tmp_path))
    env.pop("TEXTUAL_DRIVER", None)
    viewer = subprocess.Popen([sys.executable, "-m", "rnn_tui", str(lstm_checkpoint)], stdin=slave, stdout=slave,
                              stderr=slave, env=env, start_new_session=True)
    try:
        assert lstm_checkpoint.stem.encode() in read_until(master, lstm_checkpoint.stem.encode(), 90)
        for keys in (b"\x10\x1b[5~", b"\x1b[5~\x1b[6~\x1b[5~"):  # ctrl+p PageUp together, then more pages
            os.write(master, keys)
            read_until(master, b"\x00never", 1.0)
        assert viewer.poll() is None, "the viewer ended"
        os.write(master, b"\x1b")  # Escape closes the palette
        read_until(master, b"\x00never", 1.0)
        os.write(master, b"q")
        deadline = time.monotonic() + 60
        while viewer.poll() is None and time.monotonic() < deadline:
            read_until(master, b"\x00never", 0.2)
        assert viewer.returncode == 0
        assert not list(tmp_path.glob("rnn-tui/crash-*"))
    finally:
        if viewer.poll() is None:
            viewer.kill()
            viewer.wait()
        os.close(master)
        os.close(slave)
