"""Hostile model files: how long each takes to refuse, and the memory it costs, in a fresh process.

Target: every hostile file is refused with one line (`rnn-tui info FILE`
exits 2, one line of at most 300 characters on stderr, nothing on stdout); the
size checks come before any read, so a file that claims gigabytes costs no more
memory than a good model. A well-formed 939 MiB float16 checkpoint (sparse, so
cheap to build) loads, holding its weights once as float32 (about twice the
file), and `info` describes it in a chunk's memory. A config file of 30,000
nested arrays is one line from `rnn-tui sample`.
With torch installed, three `.pt` files too: a small zip whose members inflate
past 1 GiB, a whole pickled module and a raw pickle. Each file is built here,
in a temporary directory. Per file: the time the load (or the config reader)
takes, and the peak RSS of the process that ran it (VmHWM). Baseline, in the
same run: the same process loading the bundled default model.

    python benchmarks/bench_hostile.py [--big-mib 1000] [--f16-mib 939]
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
TIMED = """
import sys, time
from pathlib import Path
from rnn_tui.core.errors import UserError
{imports}
t0 = time.perf_counter()
try:
    {call}(Path(sys.argv[1]))
    outcome = "loaded"
except UserError:  # CheckpointError too
    outcome = "refused"
ms = (time.perf_counter() - t0) * 1e3
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(outcome, ms, peak / 1024)
"""
TIMED_LOAD = TIMED.format(imports="from rnn_tui.interop import load_model", call="load_model")
TIMED_CONFIG = TIMED.format(imports="from rnn_tui.commands._config import load_config", call="load_config")
TIMED_VIEW = TIMED.format(imports="from rnn_tui.interop import load_model\nfrom rnn_tui.tui.app import build_app",
                          call="(lambda path: build_app(load_model(path)))")
# the whole command, as `python -m rnn_tui` runs it, reporting its own time and peak RSS as it exits
TIMED_COMMAND = """
import atexit, runpy, sys, time
t0, figures = time.perf_counter(), sys.argv[1]
def report():
    peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    sys.__stdout__.flush()
    with open(figures, "w") as f:
        f.write(f"{(time.perf_counter() - t0) * 1e3} {peak / 1024}")
atexit.register(report)
sys.argv = ["rnn-tui", *sys.argv[2:]]
runpy.run_module("rnn_tui", run_name="__main__", alter_sys=True)
"""


def safetensors_bytes(tensors: dict[str, np.ndarray], doc: object, header_extra: dict | None = None) -> bytes:
    header, data = tensor_table(tensors)
    header["__metadata__"] = {"rnn_tui": doc if isinstance(doc, str) else json.dumps(doc)}
    header.update(header_extra or {})
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def small_tensors() -> dict[str, np.ndarray]:
    return {name: np.zeros(shape, np.float32) for name, shape in SMALL.shapes().items()}


def header_bytes(config: Config, dtype: str, itemsize: int) -> tuple[bytes, int]:
    """A checkpoint's length prefix and header, its tensors in `dtype` one after another; and the size of
    the data they describe (written by the caller, as it likes)."""
    header, offset = {}, 0
    for name, shape in config.shapes().items():
        n = int(np.prod(shape)) * itemsize
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    header["__metadata__"] = {"rnn_tui": json.dumps(document(config, VOCAB, {"corpus": "bench"}))}
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw, offset


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
    head, offset = header_bytes(config, "F32", 4)
    with open(path, "wb") as f:
        f.write(head)
        zeros = np.zeros(2**20, np.float32).tobytes()
        left = offset - 4
        while left:
            f.write(zeros[: min(left, len(zeros))])
            left -= min(left, len(zeros))
        f.write(np.float32(np.nan).tobytes())
    return f"{offset / 2**20:.0f} MiB LSTM 2×{hidden} checkpoint, NaN in its last weight"


def sparse_f16_checkpoint(path: Path, mib: int) -> str:
    """A well-formed LSTM 2×H checkpoint in float16 of about `mib` MiB, its weights all zero and not written
    (a sparse file): it passes every check and loads."""
    hidden = 64
    while sum(int(np.prod(s)) for s in Config("lstm", 2, hidden + 64, len(VOCAB)).shapes().values()) * 2 <= mib * 2**20:
        hidden += 64
    config = Config("lstm", 2, hidden, len(VOCAB))
    head, offset = header_bytes(config, "F16", 2)
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(len(head) + offset)
    return f"{offset / 2**20:.0f} MiB float16 LSTM 2×{hidden}, sparse (loads)"


def build(tmp: Path, big_mib: int, f16_mib: int) -> list[tuple[str, Path, str]]:
    """(label, file, kind): kind "refuse" (a model file refused), "load" (a model file that loads), "config"."""
    files: list[tuple[str, Path, str]] = []

    def add(label: str, name: str, data: bytes | None = None, kind: str = "refuse") -> Path:
        path = tmp / name
        if data is not None:
            path.write_bytes(data)
        files.append((label, path, kind))
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
    files.append((big_nan_checkpoint(path, big_mib), path, "refuse"))
    empty = {f"t{i}": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]} for i in range(200_000)}
    add("200,000 empty tensors", "many.safetensors", safetensors_bytes(small_tensors(), doc, empty))
    path = tmp / "f16.safetensors"
    files.append((sparse_f16_checkpoint(path, f16_mib), path, "load"))
    config = tmp / "xdg" / "rnn-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("model = " + "[" * 30_000 + "]" * 30_000 + "\n")
    files.append(("config.toml of 30,000 nested arrays (60 KB)", config, "config"))
    files += [(label, path, "refuse") for label, path in pytorch_files(tmp)]
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


def run_child(argv: list[str], tmp: Path, extra_env: dict | None = None) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of a child run to the end."""
    out, err = tmp / "out.txt", tmp / "err.txt"
    with open(out, "wb") as o, open(err, "wb") as e:
        env = {**os.environ, "LANG": "C.UTF-8", **(extra_env or {})}  # the program pins its own BLAS threads
        status = subprocess.run(argv, stdout=o, stderr=e, cwd=ROOT, env=env).returncode
    return status, out.read_text(), err.read_text()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big-mib", type=int, default=1000,
                    help="largest size of the well-formed file with a NaN (under the 1 GiB limit)")
    ap.add_argument("--f16-mib", type=int, default=939, help="size of the well-formed float16 file that loads")
    args = ap.parse_args()
    print(machine())
    rows, ok = [], True
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        good = bundled_models().get(DEFAULT_MODEL)
        cases = (([("baseline: the bundled default model", good, "load")] if good else [])
                 + build(tmp, 1 if SMOKE else args.big_mib, 1 if SMOKE else args.f16_mib)[: 2 if SMOKE else None])
        for label, path, kind in cases:
            timed = TIMED_CONFIG if kind == "config" else TIMED_LOAD
            _, out, _ = run_child([sys.executable, "-c", timed, str(path)], tmp)
            outcome, ms, rss = out.split()
            view = "–"
            if kind == "load":
                _, out, _ = run_child([sys.executable, "-c", TIMED_VIEW, str(path)], tmp)
                view = "{:.0f} ms, {:.0f} MB".format(*map(float, out.split()[1:]))
            if kind == "config":  # a command that reads the config file, with this one as the user's
                command, env = ["sample", "-n", "1"], {"XDG_CONFIG_HOME": str(path.parent.parent)}
            else:
                command, env = ["info", str(path)], {}
            figures = tmp / "figures.txt"
            status, info_out, info_err = run_child([sys.executable, "-c", TIMED_COMMAND, str(figures), *command],
                                                   tmp, env)
            command_ms, command_rss = map(float, figures.read_text().split())
            lines = info_err.splitlines()
            if kind == "load":
                right = outcome == "loaded" and status == 0
            else:
                right = (outcome == "refused" and status == 2 and not info_out and len(lines) == 1
                         and len(lines[0]) <= 300)
            ok &= right
            rows.append((label, outcome, f"{float(ms):.0f}", f"{float(rss):.0f}", f"rnn-tui {command[0]}",
                         f"{command_ms:.0f}", f"{command_rss:.0f}", view,
                         ("yes" if right else "NO") + f" (exit {status}, {len(lines)} line(s) on stderr)"))
    print(table(rows, ("file", "outcome", "load ms", "load peak MB", "command", "command ms", "command peak MB",
                       "viewer built", "command as expected")))
    print("target: every hostile file refused in one line, the float16 file loaded: "
          f"{'met' if ok else 'NOT met'}")
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
