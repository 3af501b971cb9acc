"""`rnn-tui sample` throughput: characters a second on the default model, 1 BLAS thread.

Claim (issue #11): `sample` streams text at the speed of the model's step — the viewer's timeline
(Session: history, snapshots, the display cache) costs little over a bare `Model.step` + `Sampler`
loop, which is the baseline measured in the same run. Rounds are interleaved; medians and ranges.
The last row is the whole command in a subprocess (Python start-up, imports and loading included).
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import time

# isort: off
from _common import SMOKE, machine, table  # before numpy: it pins the BLAS threads
import numpy as np
# isort: on

from rnn_tui.commands.sample import write_json, write_text
from rnn_tui.core.checkpoint import DEFAULT_MODEL
from rnn_tui.core.sampling import Sampler
from rnn_tui.core.session import Session
from rnn_tui.interop import load_model

N = 50 if SMOKE else 2000  # characters a round
ROUNDS = 1 if SMOKE else 7


def bare_loop(ckpt, sampler: Sampler) -> None:
    """The floor: step and choose, nothing kept."""
    model = ckpt.model()
    state, logits, _ = model.step(model.initial_state(), ckpt.vocab.index["\n"])
    for t in range(1, N + 1):
        state, logits, _ = model.step(state, sampler.choose(logits, t))


def session_text(ckpt, sampler: Sampler) -> None:
    write_text(Session(ckpt.model(), ckpt.vocab, prime="", sampler=sampler), "", N, io.StringIO(), terminal=False)


def session_json(ckpt, sampler: Sampler) -> None:
    write_json(Session(ckpt.model(), ckpt.vocab, prime="", sampler=sampler), N, 5, io.StringIO())


def command() -> None:
    subprocess.run([sys.executable, "-m", "rnn_tui", "sample", "-n", str(N)], check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    print(machine())
    ckpt = load_model(DEFAULT_MODEL)
    sampler = Sampler(temperature=0.8, seed=0)
    cases = {
        "bare Model.step + Sampler loop (baseline)": lambda: bare_loop(ckpt, sampler),
        "sample: Session, plain text": lambda: session_text(ckpt, sampler),
        "sample --json: Session, + probabilities, top-5": lambda: session_json(ckpt, sampler),
        f"`rnn-tui sample -n {N}` subprocess, start-up included": command,
    }
    rates: dict[str, list[float]] = {name: [] for name in cases}
    for fn in cases.values():
        fn()  # warm up: imports, caches, page faults
    for _ in range(ROUNDS):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()
            rates[name].append(N / (time.perf_counter() - t0))
    base = statistics.median(rates[next(iter(cases))])
    rows = [(name, f"{statistics.median(r):,.0f}", f"{min(r):,.0f} – {max(r):,.0f}",
             f"{statistics.median(r) / base:.2f}") for name, r in rates.items()]
    print(f"{ckpt.name} ({ckpt.config.label}), {N:,} characters a round, {ROUNDS} rounds, numpy {np.__version__}")
    print(table(rows, ("case", "chars/s (median)", "range", "× baseline")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
