"""Bytes written to the terminal while playing at 30 fps, 120×40.

Target (issue #3): <= 40 KB/s. Plays the default model through a pty, in
truecolor (COLORTERM=truecolor, a local terminal) and in 256 colours
(COLORTERM unset, what an SSH session gets), at 5, 10 and 50 steps/s, and
counts what the app writes. Then once more in truecolor with `--max-kbps 0`
(no limit: every frame of the maps painted, for a local projector), which is
shown for comparison and not held to the target. About 45 s in all.

    python benchmarks/bench_play_bytes.py [MODEL]   # MODEL defaults to the bundled default
"""

from __future__ import annotations

import os
import sys

from _common import table
from _pty import PtyProgram

from rnn_tui.tui.budget import DEFAULT_SPEED, SPEEDS

SECONDS = 4.0
RATES = (5, 10, 50)
TARGET = 40 * 1024
TERMINALS = {
    "truecolor": {"TERM": "xterm-256color", "COLORTERM": "truecolor"},
    "256 colours": {"TERM": "xterm-256color"},
}


def presses(start: int, goal: int) -> bytes:
    """The +/- keys that take the play speed from `start` to `goal` steps/s."""
    k = SPEEDS.index(goal) - SPEEDS.index(start)
    return (b"+" if k > 0 else b"-") * abs(k)


def measure(label: str, env: dict[str, str], model: list[str], extra: tuple[str, ...] = (),
            rates: tuple[int, ...] = RATES) -> list[tuple[str, str, str, float]]:
    # COLORTERM must be absent, not empty, for the 256-colour row: drop it from what the child inherits
    base = {k: v for k, v in os.environ.items() if k != "COLORTERM"}
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(base)
    try:
        prog = PtyProgram([sys.executable, "-m", "rnn_tui", *model, "--fps", "30", *extra], env=env)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    rows = []
    try:
        prog.wait_for(b"step ")
        prog.read_for(1.0)
        idle = prog.read_for(1.5) / 1.5
        rows.append((label, "paused", f"{idle / 1024:.1f}", idle))
        prog.send(b" ")
        speed = DEFAULT_SPEED
        for rate in rates:
            prog.send(presses(speed, rate))
            speed = rate
            prog.read_for(0.5)  # let the speed change and the first frames settle
            n = prog.read_for(SECONDS) / SECONDS
            rows.append((label, f"playing {rate}/s", f"{n / 1024:.1f}", n))
    finally:
        prog.close()
    return rows


def main() -> int:
    model = sys.argv[1:2]
    rows = []
    for label, env in TERMINALS.items():
        rows += measure(label, env, model)
    unlimited = measure("truecolor, --max-kbps 0", TERMINALS["truecolor"], model, ("--max-kbps", "0"), (5, 10))
    print(table([r[:3] + ("yes" if r[3] <= TARGET else "NO",) for r in rows]
                + [r[:3] + ("(no limit)",) for r in unlimited[1:]],
                ("terminal (120×40, 30 fps)", "state", "KB/s written", "<= 40 KB/s")))
    worst = max(r[3] for r in rows)
    print(f"worst {worst / 1024:.1f} KB/s; target <= 40 KB/s: {'met' if worst <= TARGET else 'NOT met'}")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
