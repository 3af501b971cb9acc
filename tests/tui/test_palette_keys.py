"""ctrl+p then PageUp in one read: Textual's palette raised KeyError: 0 (its list had no size yet)."""

from __future__ import annotations

import os
import time

from tests.tui.pty_viewer import drain, read_until, viewer_on_pty


def test_ctrl_p_then_page_up_at_once_does_not_end_the_viewer(lstm_checkpoint, tmp_path):
    with viewer_on_pty(["-m", "rnn_tui", str(lstm_checkpoint)], XDG_CACHE_HOME=str(tmp_path)) as (viewer, master, _):
        assert lstm_checkpoint.stem.encode() in read_until(master, lstm_checkpoint.stem.encode(), 90)
        for keys in (b"\x10\x1b[5~", b"\x1b[5~\x1b[6~\x1b[5~"):  # ctrl+p PageUp together, then more pages
            os.write(master, keys)
            drain(master, 1.0)
        assert viewer.poll() is None, "the viewer ended"
        os.write(master, b"\x1b")  # Escape closes the palette
        drain(master, 1.0)
        os.write(master, b"q")
        deadline = time.monotonic() + 60
        while viewer.poll() is None and time.monotonic() < deadline:
            drain(master, 0.2)
        assert viewer.returncode == 0
    assert not list(tmp_path.glob("rnn-tui/crash-*"))
