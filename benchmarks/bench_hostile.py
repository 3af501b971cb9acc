"""Hostile model files: how long each takes to refuse, and the memory it costs, in a fresh process.

Target (issue #8): every file is refused with one line (`rnn-tui info FILE`
exits 2, one line of at most 300 characters on stderr, nothing on stdout); the
size checks come before any read, so a file that claims gigabytes costs no more
memory than a good model. Each file is built here, in a temporary directory. Per
file: the time `load()` takes to raise, and the peak RSS of the process that
ran it (`wait4`). Baseline, in the same run: the same process loading the
bundled default model. With torch installed, three `.pt` files too: a small zip whose members
inflate past 1 GiB, a whole pickled module and a raw pickle.

    python benchmarks/bench_hostile.py [--big-mib 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from _common import SMOKE, machine, table, verdict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rnn_tui.core.cells import Config  # noqa: E402
from rnn_tui.core.checkpoint import DEFAULT_MODEL, bundled_models, document  # noqa: E402
from rnn_tui.core.vocab import Vocab  # noqa: E402
from tests.factories import tensor_table  # noqa: E402

VOCAB = Vocab(list("abcdefgh \n"))
SMALL = Config("gru", 1, 8, len(VOCAB))

# runs in the child: the load alone is timed; VmHWM is the process's own peak RSS (the parent's wait4
# figure would include the parent's RSS at the fork)
TIMED_LOAD = """
import sys, time
from rnn_tui.interop import load_model as load
from rnn_tui.core.errors import CheckpointError
t0 = time.perf_counter()
try:
    load(sys.argv[1])
    outcome = "loaded"
except CheckpointError:
    outcome = "refused"
ms = (time.perf_counter() - t0) * 1e3
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(outcome, ms, peak / 1024)
"""


def safetensors_bytes(tensors: dict[str, np.ndarray], doc: object, header_extra: dict | None = None) -> bytes:
    header, data = tensor_table(tensors)
    header["__metadata__"] = {"rnn_tui": doc if isinstance(doc, str) else json.dumps(doc)}
    header.update(header_extra or {})
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def small_tensors() -> dict[str, np.ndarray]:
    return {name: np.zeros(shape, np.float32) for name, shape in SMALL.shapes().items()}


def big_nan_checkpoint(path: Path, mib: int) -> str:
    """A well-formed LSTM checkpoint of about `mib` MiB whose very last weight is NaN, streamed to disk:
    it passes every structural check, so its values must be read before it is refused."""
    hidden = 64
    while True:
        bigger = Config("lstm", 2, hidden * 2, len(VOCAB))
        if sum(int(np.prod(s)) for s in bigger.shapes().values()) * 4 > mib * 2**20:
            break
        hidden *= 2
    config = Config("lstm", 2, hidden, len(VOCAB))
    shapes = config.shapes()
    header, offset = {}, 0
    for name, shape in shapes.items():
        n = int(np.prod(shape)) * 4
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    header["__metadata__"] = {"rnn_tui": json.dumps(document(config, VOCAB, {"corpus": "bench"}))}
    raw = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        zeros = np.zeros(2**20, np.float32).tobytes()
        left = offset - 4
        while left:
            f.write(zeros[: min(left, len(zeros))])
            left -= min(left, len(zeros))
        f.write(np.float32(np.nan).tobytes())
    return f"{offset / 2**20:.0f} MiB LSTM 2×{hidden} checkpoint, NaN in its last weight"


def build(tmp: Path, big_mib: int) -> list[tuple[str, Path]]:
    files: list[tuple[str, Path]] = []

    def add(label: str, name: str, data: bytes | None = None) -> Path:
        path = tmp / name
        if data is not None:
            path.write_bytes(data)
        files.append((label, path))
        return path

    fifo = add("FIFO", "fifo.safetensors")
    os.mkfifo(fifo)
    add("symlink to /dev/zero", "zero.safetensors").symlink_to("/dev/zero")
    with open(add("2 GiB sparse file", "sparse2g.safetensors"), "wb") as f:
        f.truncate(2 * 2**30)
    with open(add("1 GiB − 1 sparse file whose header claims it all", "claims.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 2**30 - 9))
        f.truncate(2**30 - 1)
    doc = document(SMALL, VOCAB, {"corpus": "bench"})
    add("vocabulary of 100,000 copies of 'a'", "vocab.safetensors",
        safetensors_bytes(small_tensors(), {**doc, "vocab": ["a"] * 100_000}))
    header = b"[" * (15 * 2**20)
    add("15 MiB safetensors header of '['", "brackets.safetensors", struct.pack("<Q", len(header)) + header)
    add("document nested 100,000 deep", "nested.safetensors",
        safetensors_bytes(small_tensors(), "[" * 100_000 + "]" * 100_000))
    add("5,000-digit integer in the document", "digits.safetensors",
        safetensors_bytes(small_tensors(), json.dumps(doc)[:-1] + ', "x": ' + "9" * 5000 + "}"))
    add("weights of 3e38 (overflow on a probe step)", "huge.safetensors",
        safetensors_bytes({k: np.full_like(v, 3e38) for k, v in small_tensors().items()}, doc))
    path = tmp / "big-nan.safetensors"
    files.append((big_nan_checkpoint(path, big_mib), path))
    files += pytorch_files(tmp)
    return files


def pytorch_files(tmp: Path) -> list[tuple[str, Path]]:
    """.pt files that torch.load would inflate or unpickle; none without torch."""
    try:
        import torch
    except ImportError:
        return []
    import pickle
    import zipfile

    sd = {"rnn.weight_hh_l0": torch.zeros(8, 8), "rnn.weight_ih_l0": torch.zeros(8, 10)}
    bomb = tmp / "bomb.pt"
    torch.save(sd, bomb)
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as z, \
            z.open("bomb/data/99", "w", force_zip64=True) as member:
        block = bytes(1 << 20)
        for _ in range(1100):  # 1.07 GiB of zeros: about 1 MB once deflated
            member.write(block)
    whole, raw = tmp / "whole.pt", tmp / "raw.pt"
    torch.save(torch.nn.GRU(4, 4), whole)
    raw.write_bytes(pickle.dumps({"a": 1}, protocol=4))
    mb = bomb.stat().st_size / 1e6
    return [(f".pt zip of {mb:.1f} MB whose members inflate to 1.07 GiB", bomb),
            ("whole pickled module (torch.save(model, path))", whole), ("raw pickle named .pt", raw)]


def run_child(argv: list[str], tmp: Path) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of a child run to the end."""
    out, err = tmp / "out.txt", tmp / "err.txt"
    with open(out, "wb") as o, open(err, "wb") as e:
        env = {**os.environ, "LANG": "C.UTF-8"}  # the program pins its own BLAS threads
        status = subprocess.run(argv, stdout=o, stderr=e, cwd=ROOT, env=env).returncode
    return status, out.read_text(), err.read_text()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big-mib", type=int, default=1000,
                    help="largest size of the well-formed file with a NaN (under the 1 GiB limit)")
    args = ap.parse_args()
    print(machine())
    rows, ok = [], True
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        good = bundled_models().get(DEFAULT_MODEL)
        hostile = build(tmp, 1 if SMOKE else args.big_mib)
        cases = ([("baseline: the bundled default model", good)] if good else []) + hostile[: 2 if SMOKE else None]
        for label, path in cases:
            _, out, _ = run_child([sys.executable, "-c", TIMED_LOAD, str(path)], tmp)
            outcome, ms, rss = out.split()
            status, info_out, info_err = run_child([sys.executable, "-m", "rnn_tui", "info", str(path)], tmp)
            lines = info_err.splitlines()
            if label.startswith("baseline"):
                one_line = status == 0
            else:
                one_line = (outcome == "refused" and status == 2 and not info_out and len(lines) == 1
                            and len(lines[0]) <= 300)
            ok &= one_line
            rows.append((label, outcome, f"{float(ms):.0f}", f"{float(rss):.1f}",
                         "yes" if one_line else f"NO (exit {status}, {len(lines)} lines)"))
    print(table(rows, ("file", "load()", "ms to refuse", "peak RSS MB", "info: exit 2, one line")))
    print(f"target: every hostile file refused in one line: {'met' if ok else 'NOT met'}")
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
