"""Importing the engine and loading the default model, as a fresh process.

Target (issue #2): <= 200 ms. Baseline in the same run: a fresh `python -c pass`.
"""

from __future__ import annotations

import subprocess
import sys
import time

from _common import SMOKE, machine, table, verdict

LOAD = "from rnn_tui.core.checkpoint import load, resolve; load(resolve(None)).model()"


def best_of(code: str, n: int = 1 if SMOKE else 7) -> float:
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def main() -> int:
    print(machine())
    bare = best_of("pass")
    numpy_only = best_of("import numpy")
    load = best_of(LOAD)
    print(table([("python -c pass", f"{bare:.0f}"), ("import numpy", f"{numpy_only:.0f}"),
                 ("import engine + load default model", f"{load:.0f}")], ("fresh process", "ms (best of 7)")))
    ok = load <= 200
    print(f"target <= 200 ms: {'met' if ok else 'NOT met'} ({load / bare:.1f}x a bare interpreter)")
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
