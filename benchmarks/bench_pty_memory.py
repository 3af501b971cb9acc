"""Memory of the viewer playing for 100,000+ steps through a real pty (what headless runs cannot see).

Target (issue #8, endurance): RSS grows by <= 64 bytes a step. An earlier byte meter kept a list entry
for every terminal write and never trimmed it: ~160 B a step on a pty, invisible headless because the
headless driver writes nothing. Plays the default model at the 500/s setting, 120×40, 256 colours,
reads the child's RSS from /proc and the step from its status line, and prints the curve.

    python benchmarks/bench_pty_memory.py [--steps N] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from _common import table
from _pty import PtyProgram

HERE = Path(__file__).resolve().parent
STEP = re.compile(rb"step (\d+)")
TARGET = 64.0


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def play(src: Path, steps: int) -> list[tuple[float, int, int]]:
    """(seconds, step, RSS bytes) samples while playing at 500/s until `steps`."""
    prog = PtyProgram([sys.executable, "-m", "rnn_tui", "--fps", "30"], cols=120, rows=40,
                      env={"TERM": "xterm-256color", "PYTHONPATH": str(src)}, cwd=src)
    curve = []
    try:
        prog.wait_for(b"step ")
        prog.send(b" " + b"+" * 8)
        t0 = time.perf_counter()
        step = 0
        while step < steps:
            prog.read_for(2.0)
            found = STEP.findall(bytes(prog.output[-20000:]))
            if found:
                step = int(found[-1])
            del prog.output[:-20000]  # the benchmark must not grow either
            curve.append((time.perf_counter() - t0, step, rss(prog.pid)))
            if time.perf_counter() - t0 > 3600:
                break
    finally:
        prog.close()
    return curve


def growth(curve: list[tuple[float, int, int]], after: int) -> float:
    late = [c for c in curve if c[1] >= after]
    if len(late) < 2 or late[-1][1] == late[0][1]:
        return float("nan")
    return (late[-1][2] - late[0][2]) / (late[-1][1] - late[0][1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--baseline", type=Path, default=None, help="another checkout, measured the same way")
    args = ap.parse_args()
    runs = [("this", HERE.parent)] + ([("baseline", args.baseline)] if args.baseline else [])
    results = {name: play(src, args.steps) for name, src in runs}
    rows = []
    for name, curve in results.items():
        marks = sorted({min(range(len(curve)), key=lambda i: abs(curve[i][1] - s))
                        for s in range(0, args.steps + 1, args.steps // 10)})
        rows += [(name, f"{curve[i][0]:.0f}", f"{curve[i][1]:,}", f"{curve[i][2] / 2**20:.1f}") for i in marks]
    print(table(rows, ("program", "seconds", "step", "RSS MB")))
    ok = True
    for name, curve in results.items():
        g = growth(curve, 14_000)
        rate = curve[-1][1] / curve[-1][0] if curve[-1][0] else 0
        print(f"{name}: {curve[-1][1]:,} steps ({rate:,.0f}/s); RSS growth after step 14,000: {g:.1f} B/step")
        ok &= name != "this" or g <= TARGET
    print(f"target <= {TARGET:g} B/step: {'met' if ok else 'NOT met'}; load {open('/proc/loadavg').read().strip()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
