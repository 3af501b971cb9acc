"""Teacher-forced throughput of the numpy model against torch's fused nn.LSTM/GRU/RNN, one thread.

The claim (issue: teacher-forced throughput): `rnn-tui eval` on a long text (`Model.nll`: up to 64 pieces
side by side, each after 256 characters of warm-up) and the finder's capture (`capture.unit_values` over
`pieces.layout`, up to 64 pieces after 64 characters, every unit kept) reach at least the throughput of
torch's own module on 16 streams, the same weights and the same characters (the rate counts the text's
characters, not the warm-up's), measured interleaved in one run. Two rows show other readings: round 5's
eval (16 streams from a zero state) and 256 pieces after 64 characters (faster, less exact: core/pieces.py).
Both sides run one thread; rates are per CPU second of this process (a loaded
machine stretches wall time, not these), with wall time beside them.

numpy's float32 products are OpenBLAS's, whose kernels are chosen for the CPU when numpy loads, unless
OPENBLAS_CORETYPE names others. Where the variable is set, the whole comparison runs twice: in the
environment as given, then in a child process without the variable, as on a machine that does not set it.
torch's own kernels do not read it.

Usage: bench_forward.py [CHARS] [ROUNDS]   (defaults: 100,000 held-out characters, 5 rounds)
"""

from __future__ import annotations

import lzma
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# isort: off
from _common import SMOKE, default_model, machine, table, verdict  # before numpy: it pins the BLAS threads
import numpy as np
# isort: on

from rnn_tui.analysis.capture import chunk_steps, unit_count, unit_values
from rnn_tui.core.cells.model import cross_entropy_sum
from rnn_tui.core.pieces import SCORE_PIECES, SCORE_WARMUP, WARMUP, layout

CORPUS = Path(__file__).resolve().parent.parent / "checkpoints" / "corpora" / "shakespeare.txt.xz"
CAPTURED = 20_000  # characters the capture rows read (bench_analyze_20k's text)
CHILD = "--child"  # the run without OPENBLAS_CORETYPE: prints its table and verdict only


def held_out_ids(model, n_max: int) -> tuple[np.ndarray, str]:
    from rnn_tui.core.checkpoint import DEFAULT_MODEL, bundled_models, load

    path = bundled_models().get(DEFAULT_MODEL)
    if CORPUS.exists() and path is not None:
        text = lzma.decompress(CORPUS.read_bytes()).decode("utf-8")
        ids = load(path).vocab.encode(text[int(len(text) * 0.95):])[:n_max]
        return ids, f"first {len(ids):,} held-out characters of the Shakespeare corpus"
    ids = np.random.default_rng(0).integers(0, model.config.vocab_size, n_max)
    return ids, f"{len(ids):,} random characters (corpus or model missing)"


def timed(fn) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call."""
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - w0


def numpy_runs(model, ids: np.ndarray) -> dict:
    """What the program runs: eval's nll, and the finder's capture of every unit, as it reads a text."""
    every = np.arange(unit_count(model))
    head = ids[:CAPTURED]  # the finder keeps every unit in memory only for a text of up to ~43,000 characters

    def capture(streams: int):
        lay = layout(len(head), streams)
        return lambda: unit_values(model, head, lay, chunk_steps(lay), every)

    scored = layout(len(ids) - 1, SCORE_PIECES, SCORE_WARMUP).streams
    return {
        f"numpy eval (Model.nll: {scored} pieces after {SCORE_WARMUP})": lambda: model.nll(ids),
        f"numpy capture, every unit, first {len(head):,} ({layout(len(head), 64).streams} pieces after {WARMUP})":
            capture(64),
        "numpy, 16 streams from a zero state (round 5's eval)": lambda: cold_nll(model, ids, 16),
        f"numpy, {layout(len(ids) - 1, 256).streams} pieces after {WARMUP}": lambda: model.nll(ids, 256, WARMUP),
    }


def cold_nll(model, ids: np.ndarray, streams: int) -> float:
    """The loss as eval computed it before pieces: `streams` equal pieces, each from a zero state."""
    n = (len(ids) - 1) // streams
    inp, tgt = ids[: streams * n].reshape(streams, n), ids[1 : streams * n + 1].reshape(streams, n)
    total, state = 0.0, None
    for t0 in range(0, n, 4096):
        state, logits, _ = model.forward(inp[:, t0 : t0 + 4096], state)
        total += cross_entropy_sum(logits, tgt[:, t0 : t0 + 4096])
    return total / (streams * n)


def torch_run(model, ids: np.ndarray):
    """torch's fused module and a linear head on 16 streams, as training's validation ran it."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    c = model.config
    rnn = getattr(torch.nn, c.kind.torch_name)(c.input_size, c.hidden, c.layers, batch_first=True)
    rnn.load_state_dict({k.removeprefix("rnn."): torch.tensor(v) for k, v in model.tensors.items()
                         if k.startswith("rnn.")})
    head = torch.nn.Linear(c.hidden, c.vocab_size)
    n = len(ids) // 16
    x = torch.from_numpy(ids[: 16 * n].reshape(16, n))

    def run():
        with torch.no_grad():
            out, _ = rnn(torch.nn.functional.one_hot(x, c.vocab_size).float())
            head(out)
    return run


def compare(n_chars: int, rounds: int) -> tuple[str, bool]:
    model, name = default_model()
    ids, what = held_out_ids(model, n_chars)
    runs = numpy_runs(model, ids)
    baseline = torch_run(model, ids)
    if baseline is None:
        return "torch not installed: no baseline", False
    runs = {f"torch nn.{model.config.kind.torch_name}, 16 streams": baseline, **runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    wall: dict[str, list[float]] = {k: [] for k in runs}
    for fn in runs.values():
        fn()  # warm up: first-touch allocations, torch's one-off setup
    for _ in range(rounds):  # interleaved, so a change in the machine's load hits every variant alike
        for label, fn in runs.items():
            c, w = timed(fn)
            n = min(len(ids), CAPTURED) if "capture" in label else len(ids)
            cpu[label].append(n / c)
            wall[label].append(n / w)
    ref = statistics.median(cpu[next(iter(runs))])
    ratio = {label: statistics.median(v) / ref for label, v in cpu.items()}
    rows = [(label, f"{statistics.median(v):,.0f}", f"{min(v):,.0f}–{max(v):,.0f}",
             f"{statistics.median(wall[label]):,.0f}", f"{ratio[label]:.2f}x")
            for label, v in cpu.items()]
    eval_row, capture_row = list(runs)[1], list(runs)[2]  # as the program runs them
    ok = ratio[eval_row] >= 1.0 and ratio[capture_row] >= 1.0
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    blas = f"OPENBLAS_CORETYPE={coretype}" if coretype else "OPENBLAS_CORETYPE not set: OpenBLAS picks its kernels"
    head = f"model: {name}; text: {what}; 1 thread; {rounds} rounds, interleaved; {blas}"
    return "\n".join([head, machine(), table(rows, ("run", "chars/s (CPU time, median)", "range",
                                                    "chars/s (wall)", "vs torch")),
                      f"eval and capture at least torch's rate: {'yes' if ok else 'no'}"]), ok


def main() -> int:
    child = CHILD in sys.argv
    args = [a for a in sys.argv[1:] if a != CHILD]
    n_chars = 3_000 if SMOKE else int(args[0]) if args else 100_000
    rounds = 1 if SMOKE else int(args[1]) if len(args) > 1 else 5
    report, ok = compare(n_chars, rounds)
    print(report, flush=True)
    if child or "OPENBLAS_CORETYPE" not in os.environ:
        return verdict(ok)
    print()
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    smoke = ["--smoke"] if SMOKE else []
    other = subprocess.run([sys.executable, __file__, CHILD, *args, *smoke], env=env, check=False)
    # the target is judged where OpenBLAS chose its own kernels; the run as given is reported beside it
    return other.returncode


if __name__ == "__main__":
    sys.exit(main())
