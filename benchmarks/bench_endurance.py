"""Endurance: the real viewer playing at 500 steps/s on a real pty, its RSS sampled as it goes.

Target (issue #8): RSS grows by <= 64 bytes a step once warmed up (after step
10,000), over >= 100,000 steps. A headless run cannot show this: a byte meter
that kept a list of every terminal write grew only when a real driver wrote.

The program is `python -m rnn_tui MODEL` in a pseudo-terminal (80×24 by default,
the lab case); the benchmark presses + until 500/s, then space, reads the step
counter from the status line it draws, and samples /proc/PID/status. Baseline,
in the same run: the same process paused for 20 s before it plays (what it
grows by doing nothing). Prints the curve, the growth per step from 10k steps
to the end, over the second half, and a least-squares slope.

    python benchmarks/bench_endurance.py [STEPS] [--max-seconds S] [--size 80x24] [--model NAME]
                                         [--samples CURVE.csv] [--baseline OTHER_CHECKOUT]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from _common import SMOKE, machine, table, verdict
from _pty import PtyProgram

ROOT = Path(__file__).resolve().parent.parent
WARM = 100 if SMOKE else 10_000
PAUSED_SECONDS = 0.5 if SMOKE else 20.0  # the baseline
STEP = re.compile(rb"step (\d+)")


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def last_step(data: bytes) -> int | None:
    found = STEP.findall(data[-65536:])
    return int(found[-1]) if found else None


def slope(points: list[tuple[int, int]]) -> float:
    """Least-squares bytes per step through (step, rss) points."""
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    return sum((p[0] - mx) * (p[1] - my) for p in points) / sxx if sxx else 0.0


def play(src: Path, args: argparse.Namespace) -> tuple[list[tuple[float, int, int]], int, int]:
    """Play the viewer of the checkout at `src`: (seconds, step, RSS) samples, RSS at the start and
    after the 20 s pause."""
    cols, rows = map(int, args.size.split("x"))
    prog = PtyProgram([sys.executable, "-m", "rnn_tui", args.model, "--seed", "1"], cols=cols, rows=rows,
                      env={"LANG": "C.UTF-8", "PYTHONPATH": str(src)}, cwd=src)
    try:
        prog.wait_for(b"step 0", timeout=60)
        prog.read_for(2.0)  # keys sent before the app's terminal is in raw mode can be dropped
        rss_start = rss_bytes(prog.pid)
        prog.read_for(PAUSED_SECONDS)
        rss_idle = rss_bytes(prog.pid)
        prog.send(b"+" * 6)
        prog.read_for(1.0)
        prog.send(b" ")
        t0 = time.perf_counter()
        samples: list[tuple[float, int, int]] = []
        step = 0
        while step < args.steps and time.perf_counter() - t0 < args.max_seconds:
            prog.read_for(2.0)
            del prog.output[:-65536]  # keep the tail: the counter is all this reads
            step = last_step(bytes(prog.output)) or step
            samples.append((time.perf_counter() - t0, step, rss_bytes(prog.pid)))
        prog.send(b"q")
        prog.read_for(1.0)
    finally:
        prog.close()
    return samples, rss_start, rss_idle


def report(name: str, samples: list[tuple[float, int, int]], rss_start: int, rss_idle: int,
           args: argparse.Namespace) -> bool:
    elapsed, steps_done, rss_end = samples[-1]
    warm = [s for s in samples if s[1] >= WARM]
    half = [s for s in samples if s[1] >= steps_done // 2]
    per_step = (rss_end - warm[0][2]) / max(1, steps_done - warm[0][1]) if warm else float("nan")
    per_step_late = (rss_end - half[0][2]) / max(1, steps_done - half[0][1]) if half else float("nan")
    fit = slope([(s[1], s[2]) for s in warm]) if len(warm) > 2 else float("nan")
    curve = [samples[int(k * (len(samples) - 1) / 11)] for k in range(12)]
    print(f"{name}: model {args.model}, {args.size} pty, 500/s setting: {steps_done:,} steps in {elapsed:.0f} s "
          f"({steps_done / elapsed:,.0f} steps/s)")
    print(table([(f"{t:.0f}", f"{s:,}", f"{r / 2**20:.1f}") for t, s, r in curve], ("seconds", "step", "RSS MB")))
    print(table([
        ("baseline: paused 20 s before playing", f"{(rss_idle - rss_start) / 1024:+.0f} KiB"),
        (f"RSS at step {warm[0][1] if warm else 0:,} / at the end", f"{(warm[0][2] if warm else 0) / 2**20:.1f} / "
                                                                     f"{rss_end / 2**20:.1f} MB"),
        (f"growth per step, step {WARM:,} to the end", f"{per_step:.1f} B"),
        ("growth per step, second half", f"{per_step_late:.1f} B"),
        ("growth per step, least-squares slope after warm-up", f"{fit:.1f} B"),
    ], ("measure", "value")))
    return steps_done >= args.steps and per_step <= 64 and fit <= 64


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("steps", nargs="?", type=int, default=100_000)
    ap.add_argument("--max-seconds", type=float, default=900.0)
    ap.add_argument("--size", default="80x24")
    ap.add_argument("--model", default="shakespeare-lstm")
    ap.add_argument("--samples", type=Path, help="write every (seconds, step, RSS bytes) sample here as CSV")
    ap.add_argument("--baseline", type=Path, help="another checkout, played the same way afterwards")
    args = ap.parse_args()
    if SMOKE:
        args.steps, args.max_seconds = 300, 1.0
    print(machine())
    samples, rss_start, rss_idle = play(ROOT, args)
    if args.samples:
        args.samples.write_text("seconds,step,rss_bytes\n" + "".join(f"{t:.1f},{s},{r}\n" for t, s, r in samples))
    ok = report("this checkout", samples, rss_start, rss_idle, args)
    if args.baseline:
        report(f"baseline {args.baseline}", *play(args.baseline.resolve(), args), args)
    print(f"this checkout: target >= {args.steps:,} steps, <= 64 B/step: {'met' if ok else 'NOT met'}; "
          f"load {open('/proc/loadavg').read().split()[:3]}")
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
