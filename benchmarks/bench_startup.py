"""Start-up to the first painted frame, through a pty at 120×40.

Targets (issue #3): <= 0.6 s, and <= 2.5x a bare Textual app (one Static and a
Footer) measured the same way in the same run.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from _common import table
from _pty import PtyProgram

HERE = Path(__file__).resolve().parent


def first_frame(argv: list[str], marker: bytes) -> float:
    prog = PtyProgram(argv)
    try:
        return prog.wait_for(marker)
    finally:
        prog.close()


def main() -> int:
    runs = 7
    bare = [first_frame([sys.executable, str(HERE / "bare_app.py")], b"bare-app-ready") for _ in range(runs)]
    # the status bar names the model once the whole first frame is composed
    app = [first_frame([sys.executable, "-m", "rnn_tui"], b"shakespeare-lstm") for _ in range(runs)]
    b, a = statistics.median(bare), statistics.median(app)
    print(table([("bare Textual app", f"{b:.3f}", f"{min(bare):.3f}"),
                 ("rnn-tui, default model", f"{a:.3f}", f"{min(app):.3f}")],
                ("first frame through a pty", f"median s of {runs}", "best s")))
    ok = a <= 0.6 and a / b <= 2.5
    print(f"ratio {a / b:.2f}x the bare app; targets <= 0.6 s and <= 2.5x: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
