"""Every benchmark runs, at the tiny size of its --smoke flag, so that none of them rots unseen.

The figures of a smoke run mean nothing and its targets are not judged: this checks that each script
still runs against the code as it is now, prints the machine it ran on, and exits 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
BENCHMARKS = sorted(p.name for p in (ROOT / "benchmarks").glob("bench_*.py"))


def arguments(name: str, tmp_path: Path) -> list[str]:
    """What a benchmark needs on its command line besides --smoke."""
    if name == "bench_budget.py":
        text = tmp_path / "text.txt"
        text.write_text("First Citizen:\nBefore we proceed any further, hear me speak.\n\n" * 300)
        return [str(text), "--budget", "30", "--grid", "none", "--extra", "--max-steps 5 --threads 1",
                "--outdir", str(tmp_path / "runs")]
    if name == "bench_trainer.py":
        return ["--threads", "1"]
    return []


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_runs_at_a_tiny_size(name, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), "--smoke", *arguments(name, tmp_path)],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    assert "machine: " in r.stdout and " cores, load average " in r.stdout, r.stdout[-2000:]
