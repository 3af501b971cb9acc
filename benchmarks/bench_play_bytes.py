"""Bytes written to the terminal while playing at 30 fps, 120×40.

Target (issue #3): <= 40 KB/s. Plays the default model at each speed for a few
seconds through a pty and counts what the app writes.
"""

from __future__ import annotations

import sys

from _common import table
from _pty import PtyProgram

SECONDS = 6.0


def main() -> int:
    prog = PtyProgram([sys.executable, "-m", "rnn_tui", "--fps", "30"])
    rows, worst = [], 0.0
    try:
        prog.wait_for(b"shakespeare-lstm")
        prog.read_for(1.0)
        idle = prog.read_for(2.0) / 2.0
        rows.append(("paused", f"{idle / 1024:.1f}"))
        prog.send(b" ")  # play at the default speed
        prog.read_for(1.0)
        for label in ("default speed", "faster x2", "faster x4"):
            rate = prog.read_for(SECONDS) / SECONDS
            worst = max(worst, rate)
            rows.append((f"playing, {label}", f"{rate / 1024:.1f}"))
            prog.send(b"+")
            prog.send(b"+")
            prog.read_for(0.5)
    finally:
        prog.close()
    print(table(rows, ("state at 120×40, 30 fps", "KB/s written")))
    ok = worst <= 40 * 1024
    print(f"worst {worst / 1024:.1f} KB/s; target <= 40 KB/s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
