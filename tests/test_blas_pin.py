"""The program pins numpy's BLAS to one thread itself, whatever environment it is started from.

OpenBLAS's extra threads spin after every small product: playing at 5 steps/s cost 35-55 % of a core
with them and 3-7 % without. The suite and the benchmarks pin their own processes, so a program they
start with their environment would hide a pin that broke; here it starts as from a clean shell.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PINS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
COUNT = "import os, numpy; print(len(os.listdir('/proc/self/task')))"


def clean_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PINS}
    env.update(LANG="C.UTF-8", PYTHONPATH=str(ROOT))
    return env


def threads_while_writing(checkpoint: Path, env: dict[str, str]) -> int:
    """The threads of `python -m rnn_tui sample CHECKPOINT` once it writes text (numpy loaded, model
    stepping): a command with no threads of its own, so every thread beyond the main one is BLAS's."""
    proc = subprocess.Popen([sys.executable, "-u", "-m", "rnn_tui", "sample", str(checkpoint), "--length",
                             "100000000"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = proc.stdout.read(1)
        assert first, proc.stderr.read().decode("utf-8", "replace")
        return len(os.listdir(f"/proc/{proc.pid}/task"))
    finally:
        proc.kill()
        proc.communicate(timeout=60)


def test_the_program_started_from_a_clean_environment_runs_one_blas_thread(lstm_checkpoint):
    clean = clean_environment()
    bare = [int(subprocess.run([sys.executable, "-c", COUNT], env={**clean, "OPENBLAS_NUM_THREADS": n},
                               capture_output=True, text=True, timeout=60, check=True).stdout) for n in "12"]
    if bare[1] == bare[0]:
        pytest.skip("this numpy's BLAS starts no threads of its own: nothing here can spin")
    # the baseline, in the same run: a user who asks for two BLAS threads gets them (their setting wins)
    asked = threads_while_writing(lstm_checkpoint, {**clean, "OPENBLAS_NUM_THREADS": "2"})
    own = threads_while_writing(lstm_checkpoint, clean)
    assert (asked, own) == (bare[1], bare[0])


HUGE = ("import sys; sys.argv = ['rnn-tui', '--version']; import rnn_tui.__main__, numpy; "
        "from numpy._core.multiarray import _get_madvise_hugepage as on; print(on())")


@pytest.mark.parametrize("given,expected", [(None, "False"), ("1", "True")])
def test_the_program_asks_for_no_huge_pages_unless_the_user_does(given, expected):
    env = {k: v for k, v in clean_environment().items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if given is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = given  # a user's own setting wins
    out = subprocess.run([sys.executable, "-c", HUGE], env=env, capture_output=True, text=True, timeout=60,
                         cwd=ROOT, check=True).stdout.split()
    assert out[-1] == expected
