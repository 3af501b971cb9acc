"""Bytes written to the terminal and CPU used while playing, through a real pty.

Targets: <= 40 KB/s over 10 s (the budget's window) at every speed setting, at 80×24 and 120×40, in 256 colours
(COLORTERM unset, what an SSH session gets) and truecolor; <= 10 % of a core while
playing at the default 5 steps/s at 120×40. Plays the default model at 30 fps from
1 to 500 steps/s and counts what the app writes, the CPU time it uses (utime +
stime from /proc) and how often the heatmaps are repainted (frames that write
half blocks on the heatmaps' rows, found from the first screen: the rows with
half blocks above the timeline's "text" row). `--max-kbps 0` (no limit, for a
local projector) is shown for comparison and not held to the target.

    python benchmarks/bench_play_bytes.py [--src DIR] [--baseline DIR] [--quick] [--rates 5,500]

--src runs another checkout's `rnn_tui` (e.g. the commit before a change) as
the baseline of a before/after comparison in one run.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
from pathlib import Path

from _common import SMOKE, machine, table, verdict
from _pty import PtyProgram

from rnn_tui.tui.engine.budget import WINDOW

SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500)  # the viewer's settings (tui/budget.py)
# The budget holds over any WINDOW seconds of play (tui/engine/budget.py): one repaint at 120×40 can be more
# than a second's budget, so a shorter window measures where it falls more than the rate
SECONDS = 0.3 if SMOKE else WINDOW
SHORT = 3.0  # the worst this long a stretch is shown too
TARGET = 40 * 1024
CPU_TARGET = 0.10
TERMINALS = {
    "truecolor": {"TERM": "xterm-256color", "COLORTERM": "truecolor"},
    "256 colours": {"TERM": "xterm-256color"},
}
SIZES = ((120, 40), (80, 24))
HERE = Path(__file__).resolve().parent


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def presses(start: int, goal: int) -> bytes:
    """The +/- keys that take the play speed from `start` to `goal` steps/s."""
    k = SPEEDS.index(goal) - SPEEDS.index(start)
    return (b"+" if k > 0 else b"-") * abs(k)


MOVE = re.compile(rb"\x1b\[(\d+);\d+H")
HALF_BLOCKS = ("▀".encode(), "▄".encode())
FRAME_GAP = 0.005  # reads closer together than this are one frame


def rows_written(data: bytes) -> dict[int, bytes]:
    """What each cursor move wrote, by terminal row (1-based)."""
    out: dict[int, bytes] = {}
    moves = list(MOVE.finditer(data))
    for k, m in enumerate(moves):
        end = moves[k + 1].start() if k + 1 < len(moves) else len(data)
        out[int(m.group(1))] = out.get(int(m.group(1)), b"") + data[m.end():end]
    return out


def heatmap_rows(first_screen: bytes) -> set[int]:
    """Rows drawn with half blocks above the timeline's "text" label: the heatmaps."""
    rows = rows_written(first_screen)
    label = min((y for y, t in rows.items() if re.sub(rb"\x1b\[[0-9;]*m", b"", t).lstrip().startswith(b"text")),
                default=max(rows, default=0) + 1)
    return {y for y, t in rows.items() if y < label and any(h in t for h in HALF_BLOCKS)}


def heatmap_repaints(chunks: list[tuple[float, bytes]], rows: set[int]) -> int:
    """Frames (reads less than FRAME_GAP apart) that wrote half blocks on a heatmap row."""
    frames: list[bytes] = []
    last = None
    for when, chunk in chunks:
        if last is None or when - last > FRAME_GAP:
            frames.append(b"")
        frames[-1] += chunk
        last = when
    return sum(any(y in rows and any(h in t for h in HALF_BLOCKS) for y, t in rows_written(f).items())
               for f in frames)


def worst_window(chunks: list[tuple[float, bytes]], seconds: float = SHORT) -> float:
    """The most bytes a second written in any `seconds` of the run (where one repaint lands counts here)."""
    times = [t for t, _ in chunks]
    sizes = [len(c) for _, c in chunks]
    best, total, lo = 0, 0, 0
    for hi in range(len(chunks)):
        total += sizes[hi]
        while times[hi] - times[lo] > seconds:
            total -= sizes[lo]
            lo += 1
        best = max(best, total)
    return best / seconds


def measure(src: Path, env: dict[str, str], size: tuple[int, int], extra: tuple[str, ...] = (),
            rates: tuple[int, ...] = SPEEDS) -> dict[str, tuple[float, float, float]]:
    """{state: (bytes a second, fraction of a core, heatmap repaints a second, worst SHORT s in bytes a
    second)} for one program, terminal and size."""
    # COLORTERM must be absent, not empty, for the 256-colour row: drop it from what the child inherits
    base = {k: v for k, v in os.environ.items() if k != "COLORTERM"}
    base["PYTHONPATH"] = str(src)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(base)
    try:
        prog = PtyProgram([sys.executable, "-m", "rnn_tui", "--fps", "30", *extra], cols=size[0], rows=size[1],
                          env=env, cwd=src)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    out = {}
    try:
        prog.wait_for(b"step ")
        prog.read_for(1.0)
        # the speed the program starts at, from its status line ("❚❚ 10/s"): checkouts differ
        speed = int(re.search(rb"\xe2\x9d\x9a\xe2\x9d\x9a (\d+)/s", bytes(prog.output)).group(1))
        rows = heatmap_rows(bytes(prog.output))
        c0 = cpu_seconds(prog.pid)
        idle = prog.read_for(1.5) / 1.5
        out["paused"] = (idle, (cpu_seconds(prog.pid) - c0) / 1.5, 0.0, idle)
        prog.send(b" ")
        for rate in rates:
            prog.send(presses(speed, rate))
            speed = rate
            prog.read_for(0.7)  # let the speed change and the first frames settle
            c0 = cpu_seconds(prog.pid)
            prog.chunks.clear()
            n = prog.read_for(SECONDS) / SECONDS
            out[f"{rate}/s"] = (n, (cpu_seconds(prog.pid) - c0) / SECONDS,
                                heatmap_repaints(prog.chunks, rows) / SECONDS, worst_window(prog.chunks))
    finally:
        prog.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", type=Path, default=HERE.parent, help="the checkout whose rnn_tui to run")
    ap.add_argument("--baseline", type=Path, default=None, help="another checkout, measured in the same run")
    ap.add_argument("--quick", action="store_true", help="120×40 and the default, 50 and 500 steps/s only")
    ap.add_argument("--rates", default=None, help="speeds to measure, e.g. 5,500 (both sizes)")
    args = ap.parse_args()
    rates = (5,) if SMOKE else (5, 50, 500) if args.quick else SPEEDS
    if args.rates:
        rates = tuple(int(r) for r in args.rates.split(","))
    sizes = SIZES[:1] if args.quick or SMOKE else SIZES
    print(machine())
    programs = [("this", args.src)] + ([("baseline", args.baseline)] if args.baseline else [])
    rows, worst = [], {}
    for size in sizes:
        for label, env in list(TERMINALS.items())[: 1 if SMOKE else None]:
            for name, src in programs:
                got = measure(src, env, size, rates=rates)
                for state, (bps, cpu, maps, short) in got.items():
                    rows.append((name, f"{size[0]}×{size[1]}", label, state, f"{bps / 1024:.1f}", f"{cpu:.1%}",
                                 f"{maps:.1f}", f"{short / 1024:.1f}"))
                    worst.setdefault(name, []).append(bps)
    for name, src in programs[: 0 if SMOKE else None]:
        got = measure(src, TERMINALS["truecolor"], (120, 40), ("--max-kbps", "0"), (5, 50))
        rows += [(name, "120×40", "truecolor, --max-kbps 0", state, f"{bps / 1024:.1f}", f"{cpu:.1%}", f"{maps:.1f}",
                  f"{short / 1024:.1f}") for state, (bps, cpu, maps, short) in got.items() if state != "paused"]
    print(table(rows, ("program", "size", "terminal", "state", f"KB/s written ({SECONDS:g} s)", "CPU (of a core)",
                       "heatmap repaints/s", f"KB/s, worst {SHORT:g} s")))
    cpu5 = [float(r[5].rstrip("%")) / 100 for r in rows if r[0] == "this" and r[1] == "120×40"
            and r[3] == "5/s" and "max-kbps" not in r[2]]
    ok = True
    for name, values in worst.items():
        w = max(values)
        print(f"{name}: worst {w / 1024:.1f} KB/s (median {statistics.median(values) / 1024:.1f}); "
              f"target <= 40 KB/s: {'met' if w <= TARGET else 'NOT met'}")
        ok &= name != "this" or w <= TARGET
    print(f"this: CPU at 5 steps/s, 120×40: {', '.join(f'{c:.1%}' for c in cpu5)}; target <= 10 %: "
          f"{'met' if max(cpu5) <= CPU_TARGET else 'NOT met'}")
    print(f"load: {open('/proc/loadavg').read().strip()}")
    return verdict(ok and max(cpu5) <= CPU_TARGET)


if __name__ == "__main__":
    sys.exit(main())
