"""Every benchmark runs, at the tiny size of its --smoke flag, so that none of them rots unseen.

The figures of a smoke run mean nothing and its targets are not judged: this checks that each script
still runs against the code as it is now, prints the machine it ran on, and exits 0. The scripts run
as child processes, as many at a time as there are cores, each test waiting for its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
BENCHMARKS = sorted(p.name for p in (ROOT / "benchmarks").glob("bench_*.py"))


def arguments(name: str, tmp: Path) -> list[str]:
    """What a benchmark needs on its command line besides --smoke."""
    if name == "bench_budget.py":
        text = tmp / "text.txt"
        text.write_text("First Citizen:\nBefore we proceed any further, hear me speak.\n\n" * 300)
        return [str(text), "--budget", "30", "--grid", "none", "--extra", "--max-steps 5 --threads 1",
                "--outdir", str(tmp / "runs")]
    if name == "bench_trainer.py":
        return ["--threads", "1"]
    return []


def smoke(name: str, tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), "--smoke", *arguments(name, tmp)],
                          cwd=tmp, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory) -> dict[str, Future]:
    """The selected benchmarks, started together (a pool the size of the machine) when the first is asked for."""
    chosen = [item.callspec.params["name"] for item in request.session.items
              if getattr(item, "originalname", "") == "test_benchmark_runs_at_a_tiny_size"]
    if os.environ.get("PYTEST_XDIST_WORKER"):  # a worker collects every test but runs only its share
        chosen = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        yield {name: pool.submit(smoke, name, tmp_path_factory.mktemp(name.removesuffix(".py"))) for name in chosen}


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_runs_at_a_tiny_size(name, runs, tmp_path):
    r = runs[name].result() if name in runs else smoke(name, tmp_path)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    assert "machine: " in r.stdout and " cores, load " in r.stdout, r.stdout[-2000:]
