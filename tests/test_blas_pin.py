"""The program pins numpy's BLAS to one thread itself, whatever environment it is started from.

OpenBLAS's extra threads spin after every small product: playing at 5 steps/s cost 35-55 % of a core
with them and 3-7 % without. The suite and the benchmarks pin their own processes, so a viewer they
start with their environment would hide a pin that broke; here the viewer starts as from a clean shell.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PINS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def viewer_threads(checkpoint: Path, env: dict[str, str]) -> list[int]:
    """The thread count of `python -m rnn_tui CHECKPOINT` on a pty, sampled once its first frame is drawn."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "rnn_tui", str(checkpoint), "--seed", "1"], env)
    seen, counts = b"", []
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and len(counts) < 5:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    seen = (seen + os.read(fd, 65536))[-4096:]
                except OSError:
                    break
            if b"step " in seen or counts:  # the status line: numpy is loaded and the model has run
                counts.append(len(os.listdir(f"/proc/{pid}/task")))
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    assert counts, "the viewer drew no status line: " + seen.decode("utf-8", "replace")[-300:]
    return counts


def blas_threads_started(env: dict[str, str], blas: str) -> int:
    """Threads a bare `import numpy` starts with OPENBLAS_NUM_THREADS=blas, beyond the main one."""
    code = "import os, numpy; print(len(os.listdir('/proc/self/task')) - 1)"
    out = subprocess.run([sys.executable, "-c", code], env={**env, "OPENBLAS_NUM_THREADS": blas},
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return int(out)


def test_the_viewer_started_from_a_clean_environment_runs_one_blas_thread(lstm_checkpoint):
    clean = {k: v for k, v in os.environ.items() if k not in PINS}
    clean.update(TERM="xterm-256color", LANG="C.UTF-8", PYTHONPATH=str(ROOT))
    extra = blas_threads_started(clean, "2") - blas_threads_started(clean, "1")
    if extra == 0:
        pytest.skip("this numpy's BLAS starts no threads of its own: nothing here can spin")
    # the baseline, in the same run: a user who asks for two BLAS threads gets them (their setting wins)
    asked = viewer_threads(lstm_checkpoint, {**clean, "OPENBLAS_NUM_THREADS": "2"})
    own = viewer_threads(lstm_checkpoint, clean)
    # other threads only come and go above the BLAS ones, so the fewest seen is the steady count
    assert min(asked) - min(own) == extra, (own, asked)
