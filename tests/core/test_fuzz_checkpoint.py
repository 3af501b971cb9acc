"""A seeded fuzz of the checkpoint loader: 600 damaged files, each one clear CheckpointError or a good load.

Each file is a small valid checkpoint with one mutation: flipped bits, a cut,
a wrong header length, a hostile value in any JSON field of the header or of
the document, a dtype, a shape, a tensor name, NaN/Inf/huge weights, or a size
past a limit. Each is loaded under an alarm (a hang fails the test) and then
shown with `rnn-tui info`: no exception but CheckpointError, every message one
line of at most 300 characters that `safe_text` leaves unchanged (so no raw
control, bidi or zero-width character), nothing raw on stdout either.
"""

from __future__ import annotations

import json
import signal
import struct
import time
from collections import Counter
from collections.abc import Iterator

import numpy as np

from rnn_tui.__main__ import main
from rnn_tui.core.cells import Config
from rnn_tui.core.checkpoint import document, load
from rnn_tui.core.errors import CheckpointError
from rnn_tui.core.safe import MAX_MESSAGE, safe_text
from rnn_tui.core.vocab import Vocab
from tests.factories import random_tensors, tensor_table

SEED = 20261126
FILES = 600
VOCAB = Vocab(list("abcdefgh \n"))
CONFIG = Config("lstm", 2, 8, len(VOCAB))
PAYLOADS = ["\x1b]52;c;SGVsbG8=\x07", "\x1b[2J", "\x9b31m", "\u202eevil", "a\u200bb", "\x00", "[/]"]
HOSTILE = [None, True, False, -1, 0, 1, 2**63, 10**19, 1.5, -0.0, 1e308, "", "x" * 5000, [], {}, [1, 2], {"a": 1},
           "lstm", "F32", [[[[[[[[[[1]]]]]]]]]], *PAYLOADS]
DTYPES = ["F32", "F16", "BF16", "F64", "I32", "I64", "U8", "BOOL", "F8_E4M3", "C64", "", *PAYLOADS]


def assemble(header: dict, data: bytes) -> bytes:
    raw = json.dumps(header, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return struct.pack("<Q", len(raw)) + raw + data


def base_parts() -> tuple[dict, bytes]:
    """The safetensors header (with the document as a parsed dict, for mutating) and the data bytes."""
    tensors = random_tensors(CONFIG, seed=1)
    header, data = tensor_table(tensors)
    cell = {"name": "line position", "feature": "line-pos", "layer": 1, "quantity": "c", "unit": 3, "metric": "r",
            "value": -0.8, "monotonic": 0.6}
    analysis = {"cells": [cell, {**cell, "unit": 4, "metric": "AUC", "value": 0.95}],
                "passage": {"text": "abc de\nfgh", "source": "fuzz"}}
    header["__metadata__"] = {"rnn_tui": document(CONFIG, VOCAB, {"corpus": "fuzz", "val_loss": 1.5}, analysis)}
    return header, data


def finish(header: dict, data: bytes) -> bytes:
    header = json.loads(json.dumps(header))  # a deep copy
    meta = header.get("__metadata__")
    if isinstance(meta, dict) and isinstance(meta.get("rnn_tui"), (dict, list)):
        meta["rnn_tui"] = json.dumps(meta["rnn_tui"])
    return assemble(header, data)


def mutations(rng: np.random.Generator) -> Iterator[tuple[str, bytes]]:
    header, data = base_parts()
    good = finish(header, data)
    names = [k for k in header if k != "__metadata__"]
    doc_fields = list(header["__metadata__"]["rnn_tui"])

    def pick(seq):
        return seq[int(rng.integers(len(seq)))]

    kinds = ["bits", "cut", "hlen", "doc", "entry", "dtype", "shape", "name", "values", "size", "json", "analysis"]
    for k in range(FILES):
        kind = kinds[k % len(kinds)]
        h = json.loads(json.dumps(header))  # a fresh copy to mutate
        doc = h["__metadata__"]["rnn_tui"]
        name = pick(names)
        if kind == "bits":
            b = bytearray(good)
            for _ in range(int(rng.integers(1, 9))):
                i = int(rng.integers(len(b) if rng.random() < 0.5 else min(len(b), 400)))
                b[i] ^= 1 << int(rng.integers(8))
            yield kind, bytes(b)
        elif kind == "cut":
            yield kind, good[: int(rng.integers(len(good)))]
        elif kind == "hlen":
            n = pick([0, 1, 2, 7, len(good) - 8, len(good) - 7, 2**32, 2**63, 2**64 - 1, int(rng.integers(1 << 20))])
            yield kind, struct.pack("<Q", n) + good[8:]
        elif kind == "doc":
            field = pick(doc_fields)
            if rng.random() < 0.15:
                del doc[field]
            else:
                doc[field] = pick(HOSTILE)
            yield f"doc.{field}", finish(h, data)
        elif kind == "analysis":
            where = pick([doc["analysis"]["cells"][0], doc["analysis"]["cells"][1], doc["analysis"]["passage"]])
            where[pick(list(where))] = pick(HOSTILE + [1e308, -1e308, 10**19, "x" * 70_000])
            yield kind, finish(h, data)
        elif kind == "entry":
            field = pick(["dtype", "shape", "data_offsets"])
            h[name][field] = pick(HOSTILE)
            yield f"entry.{field}", finish(h, data)
        elif kind == "dtype":
            h[name]["dtype"] = pick(DTYPES)
            yield kind, finish(h, data)
        elif kind == "shape":
            shape = h[name]["shape"]
            h[name]["shape"] = pick([[*shape, 1], shape[:-1], [s + 1 for s in shape], list(reversed(shape))])
            yield kind, finish(h, data)
        elif kind == "name":
            h[pick(PAYLOADS + ["rnn.weight_hh_l0", "x" * 3000])] = h.pop(name)
            yield kind, finish(h, data)
        elif kind == "values":
            arr = np.frombuffer(data, "<f4").copy()
            arr[rng.integers(len(arr), size=int(rng.integers(1, 4)))] = pick([np.nan, np.inf, -np.inf, 3e38, -3e38])
            if rng.random() < 0.3:
                arr[:] = 3e38
            yield kind, finish(header, arr.tobytes())
        elif kind == "size":
            choice = int(rng.integers(5))
            if choice == 0:
                yield "size.tail", good + b"\0" * int(rng.integers(1, 5000))
                continue
            if choice == 1:
                doc["vocab"] = ["a"] * 100_000
            elif choice == 2:
                doc["provenance"]["note"] = "y" * 300_000
            elif choice == 3:  # a number json.dumps cannot write: 10**400 in the document
                h["__metadata__"]["rnn_tui"] = json.dumps(doc).replace("1.5", "1" + "0" * 400)
            else:
                h[name]["data_offsets"] = [0, 2**62]
            yield f"size.{choice}", finish(h, data)
        else:  # raw JSON text that json.dumps would never write
            text = pick(["[" * 100_000, '{"a": ' + "1" * 5000 + "}", '{"a": Infinity}', '{"a": NaN}', '{"a":1,"a":2}',
                         '{"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, Infinity]}}', "\ud800", "nul\0"])
            raw = text.encode("utf-8", "surrogatepass")
            yield kind, struct.pack("<Q", len(raw)) + raw


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang


def test_fuzzed_checkpoints_fail_only_with_one_clear_line(tmp_path, capsys):
    rng = np.random.default_rng(SEED)
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    slowest = (0.0, "")
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        for k, (kind, blob) in enumerate(mutations(rng)):
            path = tmp_path / f"fuzz{k:03d}-{kind}.safetensors"
            path.write_bytes(blob)
            signal.alarm(10)
            t0 = time.perf_counter()
            try:
                load(path)
                outcomes["loaded"] += 1
            except CheckpointError as e:
                outcomes["CheckpointError"] += 1
                msg = str(e)
                if "\n" in msg or len(msg) > MAX_MESSAGE - len("rnn-tui: error: ") or safe_text(msg) != msg:
                    failures.append(f"{path.name}: bad message {msg[:200]!r}")
            except Hang:
                failures.append(f"{path.name}: no answer in 10 s")
            except Exception as e:  # noqa: BLE001 - counting exactly these is the point
                failures.append(f"{path.name}: {type(e).__name__}: {str(e)[:200]}")
            finally:
                signal.alarm(0)
            slowest = max(slowest, (time.perf_counter() - t0, path.name))
            signal.alarm(10)
            try:
                status = main(["info", str(path)])
            finally:
                signal.alarm(0)
            out, err = capsys.readouterr()
            if status not in (0, 2) or safe_text(out.replace("\n", "")) != out.replace("\n", "") \
                    or err.count("\n") > 1 or len(err.rstrip("\n")) > MAX_MESSAGE \
                    or safe_text(err.rstrip("\n")) != err.rstrip("\n"):
                failures.append(f"{path.name}: info said {status}, {out[:100]!r}, {err[:200]!r}")
    finally:
        signal.signal(signal.SIGALRM, old)
    print(f"\n{FILES} fuzzed files: {dict(outcomes)}; slowest load {slowest[0] * 1000:.0f} ms ({slowest[1]})")
    assert sum(outcomes.values()) == FILES >= 500
    assert not failures, "\n".join(failures[:20])
    assert outcomes["CheckpointError"] > FILES // 2  # most mutations must be caught, not shrugged off

