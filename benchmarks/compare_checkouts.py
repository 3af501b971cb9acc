"""The numpy engine of another checkout against this one, in the same run: one step, eval, capture.

Usage: compare_checkouts.py BASELINE_CHECKOUT [CHARS] [ROUNDS]
e.g. `git worktree add /tmp/base main` then `compare_checkouts.py /tmp/base`.
Each measurement runs in a fresh process whose `rnn_tui` comes from one checkout
(PYTHONPATH), alternating between the two, so both see the same machine load;
times are the process's CPU seconds, one BLAS thread.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _common import table

HERE = Path(__file__).resolve().parent
MEASURE = r"""
import json, sys, time
sys.path.insert(0, HERE)
from _common import default_model
from bench_forward import held_out_ids
import numpy as np
import rnn_tui
model, _ = default_model()
ids, _ = held_out_ids(model, N)
def cpu(fn):
    t0 = time.process_time(); fn(); return time.process_time() - t0
state = model.initial_state()
def steps():
    global state
    for i in ids[:2000].tolist():
        state, _, _ = model.step(state, i)
n = len(ids) // 64
out = {"file": rnn_tui.__file__,
       "step (µs)": cpu(steps) / 2000 * 1e6,
       "eval, 16 streams (chars/s)": len(ids) / cpu(lambda: model.nll(ids, streams=16)),
       "forward, 64 streams, capture (chars/s)": 64 * n / cpu(lambda: model.forward(ids[:64 * n].reshape(64, n),
                                                                                     capture=True))}
print(json.dumps(out))
"""


def measure(checkout: Path, n_chars: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout), "OPENBLAS_NUM_THREADS": "1"}
    code = MEASURE.replace("HERE", repr(str(HERE))).replace("N)", f"{n_chars})")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd="/", capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    base = Path(sys.argv[1]).resolve()
    n_chars = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    mine = HERE.parent
    results: dict[Path, list[dict]] = {base: [], mine: []}
    for _ in range(rounds):
        for checkout in (base, mine):
            results[checkout].append(measure(checkout, n_chars))
    for checkout, rs in results.items():
        assert all(Path(r["file"]).is_relative_to(checkout) for r in rs), f"{checkout}: imported the wrong rnn_tui"
    rows = []
    for key in (k for k in results[mine][0] if k != "file"):
        b = [r[key] for r in results[base]]
        m = [r[key] for r in results[mine]]
        ratio = statistics.median(m) / statistics.median(b)
        rows.append((key, f"{statistics.median(b):,.1f} ({min(b):,.1f}–{max(b):,.1f})",
                     f"{statistics.median(m):,.1f} ({min(m):,.1f}–{max(m):,.1f})", f"{ratio:.2f}x"))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"baseline {base} against {mine}; {n_chars:,} held-out characters; {rounds} rounds, alternating; "
          f"CPU time, 1 thread; load {load}")
    print(table(rows, ("measure", "baseline: median (range)", "this checkout", "this / baseline")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
