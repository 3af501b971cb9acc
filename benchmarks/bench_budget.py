"""Claims: `rnn-tui train TEXT --time-budget S` with no size options reaches a held-out loss under a bar,
and the size it picks is within 0.05 nats/char of the best of a grid of hand-set sizes run for the same time.

Each run is the real command in a fresh process (`python -m rnn_tui train`), one after another so they
never share the CPU with each other: first the budget-sized choice, then every size of `--grid` with
`--layers/--hidden` given and everything else left to the command. The held-out loss is the one the
checkpoint's provenance records (the whole held-out part, scored at the end). Prints a table, the gap
between the choice and the best of the grid, `uptime` before and after (other users' load changes
throughput), and writes it all to OUTDIR/summary.json.

    python benchmarks/bench_budget.py runs/stdlib-184k.txt --budget 60 --grid 1x64,1x96,1x128,1x192,1x256,2x128
    python benchmarks/bench_budget.py checkpoints/corpora/shakespeare.txt.xz --budget 300 --grid none --bar 1.70
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import machine, table  # noqa: E402
from rnn_tui.core import checkpoint  # noqa: E402


def uptime() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def train(text: str, out: Path, budget: float, extra: list[str]) -> dict:
    args = [sys.executable, "-m", "rnn_tui", "train", text, "--time-budget", f"{budget:g}", "--out", str(out),
            *extra]
    t0 = time.perf_counter()
    r = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {r.stderr.strip()[-300:]}")
    (out.parent / (out.name + ".log")).write_text(r.stdout + r.stderr)
    ckpt = checkpoint.load(out)
    p = ckpt.provenance
    size_line = next((line for line in r.stdout.splitlines() if line.startswith("size: ")), "")
    return {"size": f"{ckpt.config.layers}x{ckpt.config.hidden}", "parameters": ckpt.config.parameters(),
            "val_loss": p["val_loss"], "steps": p["steps"], "chars_per_second": p["chars_per_second"],
            "hardware": p["hardware"], "wall_seconds": round(wall, 1), "size_line": size_line,
            "options": extra}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("text")
    p.add_argument("--budget", type=float, default=60.0)
    p.add_argument("--grid", default="1x64,1x128,1x256,2x128", help="LAYERSxHIDDEN,... or 'none'")
    p.add_argument("--bar", type=float, default=None, help="held-out nats/char the choice must reach")
    p.add_argument("--outdir", default=str(ROOT / "runs" / "bench_budget"))
    p.add_argument("--extra", default="", help="more options for every run, e.g. '--lr 3e-3'")
    args = p.parse_args()
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    extra = args.extra.split()
    print(machine())
    load_before = uptime()
    runs = {"chosen": train(args.text, outdir / "chosen.safetensors", args.budget, extra)}
    grid = [] if args.grid == "none" else args.grid.split(",")
    for size in grid:
        layers, hidden = size.split("x")
        runs[size] = train(args.text, outdir / f"grid-{size}.safetensors", args.budget,
                           [*extra, "--layers", layers, "--hidden", hidden])
        print(f"{size}: {runs[size]['val_loss']:.4f}", file=sys.stderr, flush=True)
    load_after = uptime()
    rows = [(name, r["size"], f"{r['parameters']:,}", r["steps"], f"{r['chars_per_second']:,}",
             f"{r['val_loss']:.4f}", f"{r['val_loss'] / math.log(2):.3f}") for name, r in runs.items()]
    print(f"{args.text}, --time-budget {args.budget:g} {' '.join(extra)}; {runs['chosen']['hardware']}")
    print(runs["chosen"]["size_line"])
    print(table(rows, ("run", "layers×hidden", "parameters", "kept step", "chars/s", "val nats/char", "bits/char")))
    summary = {"text": args.text, "budget": args.budget, "extra": extra, "load_before": load_before,
               "load_after": load_after, "runs": runs}
    if grid:
        best = min(grid, key=lambda s: runs[s]["val_loss"])
        gap = runs["chosen"]["val_loss"] - runs[best]["val_loss"]
        summary["best_grid"], summary["gap"] = best, gap
        print(f"best of the grid: {best} {runs[best]['val_loss']:.4f}; choice − best = {gap:+.4f} nats/char "
              f"(target ≤ 0.05: {'met' if gap <= 0.05 else 'NOT met'})")
    if args.bar is not None:
        met = runs["chosen"]["val_loss"] <= args.bar
        summary["bar"], summary["bar_met"] = args.bar, met
        print(f"choice {runs['chosen']['val_loss']:.4f} nats/char (target ≤ {args.bar}: {'met' if met else 'NOT met'})")
    print(f"load average (1, 5, 15 min) before {load_before}, after {load_after}")
    (outdir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
