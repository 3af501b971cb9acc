"""`rnn-tui export TEXT [-m MODEL]`: every quantity of every layer at every character, for a notebook.

The model reads the text teacher-forced from a zero state (`Model.forward(capture=True)`, the pass
the viewer's display values come from) and the file gets, per character, the character, each
layer's named quantities (RNN h; GRU r z n h; LSTM i f g o c h), the logits and the likeliest next
characters. The README lists the names and shapes. `npz` is for numpy (`np.load`); `csv` is one
row a character, one column a unit, for a spreadsheet or pandas.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

import numpy as np

from ..analysis.score import next_char_probabilities
from ..core.errors import UserError
from ..core.files import safe_file_name
from ..core.safe import safe_text
from ._args import OneLineParser, check_out, writing
from ._inputs import add_model_options, model_and_text, open_model, read_input_text

FORMATS = ("npz", "csv")
MAX_BYTES = 1 << 30  # the values are held in memory while the file is written
CSV_BYTES_PER_VALUE = 10  # "-0.123456," and the like


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="rnn-tui export",
                      description="Write every quantity of every layer at each character of a text to .npz or .csv.",
                      epilog="The model goes in -m/--model; the older form 'rnn-tui export MODEL TEXT' works too.")
    p.add_argument("text", metavar="TEXT", help="a UTF-8 text file (.xz accepted), or - for standard input")
    p.add_argument("old_text", nargs="?", metavar="[TEXT]", help=argparse.SUPPRESS)
    add_model_options(p)
    p.add_argument("--format", choices=FORMATS, default=None, help="npz (default) or csv; else from --out's suffix")
    p.add_argument("--out", default=None, help="the file to write (default: TEXT's name, then the model's, in .)")
    p.add_argument("--start", type=int, default=0, help="first character of the text to run from (default 0)")
    p.add_argument("--length", type=int, default=None, help="how many characters (default: to the end)")
    p.add_argument("--top-k", type=int, default=5, metavar="K", help="likeliest next characters kept (default 5)")
    p.add_argument("--skip-unknown", action="store_true", help="drop characters the model does not know")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.top_k < 1:
        raise UserError(f"--top-k must be 1 or more, got {args.top_k}")
    if args.start < 0 or (args.length is not None and args.length < 1):
        raise UserError("--start must be 0 or more and --length 1 or more")
    model_arg, text_arg = model_and_text(args, args.text, args.old_text, model_first=True)
    ckpt = open_model(args, model_arg)
    suffix = Path(args.out).suffix.lstrip(".") if args.out else ""
    fmt = args.format or (suffix if suffix in FORMATS else "npz")
    stem = Path(text_arg).name.split(".")[0] if text_arg != "-" else "stdin"
    # the default name comes from two names from outside: no control or bidi character in it, 255 bytes at most
    out = Path(args.out or safe_file_name(f"{stem}-{ckpt.name.split('.')[0]}", f".{fmt}"))
    check_out(out, args.force)
    text, shown = read_input_text(text_arg)
    text = text[args.start:]
    text = text[: args.length] if args.length else text
    unknown = ckpt.vocab.unknown(text)
    if unknown and not args.skip_unknown:
        shown = safe_text("".join(unknown[:20])) + (" …" if len(unknown) > 20 else "")
        raise UserError(f"{shown}: {len(unknown)} character(s) outside the model's vocabulary: "
                        f"'{shown}' (--skip-unknown drops them)")
    text = "".join(ch for ch in text if ch in ckpt.vocab) if unknown else text
    if not text:
        raise UserError(f"{shown}: nothing to export (no characters in that range)")
    check_size(ckpt.config, len(text), args.top_k, fmt)
    arrays = capture(ckpt, text, args.top_k)
    data = to_npz(arrays) if fmt == "npz" else to_csv(arrays, ckpt.config).encode("utf-8")
    from ..core.atomic import atomic_write_bytes

    with writing(out):
        atomic_write_bytes(out, data)
    c = ckpt.config
    print(f"wrote {safe_text(str(out))}: {len(text):,} characters × {c.layers} layer(s) × "
          f"{', '.join(c.quantities)} × {c.hidden} units ({len(data) / 2**20:.1f} MB)")
    return 0


def values_per_char(config, top_k: int) -> int:
    return config.layers * len(config.quantities) * config.hidden + config.vocab_size + 2 * top_k + 3


def check_size(config, n: int, top_k: int, fmt: str) -> None:
    per_char = values_per_char(config, top_k) * (4 if fmt == "npz" else CSV_BYTES_PER_VALUE)
    if n * per_char > MAX_BYTES:
        most = MAX_BYTES // per_char
        raise UserError(f"{n:,} characters would make about {n * per_char / 2**30:.1f} GB of {fmt}; "
                        f"export at most {most:,} at a time (--start, --length)")


def capture(ckpt, text: str, top_k: int) -> dict[str, np.ndarray]:
    """The arrays the file holds (the README lists them), computed in one teacher-forced pass."""
    c = ckpt.config
    ids = ckpt.vocab.encode(text)
    _, logits, acts = ckpt.model().forward(ids, capture=True)
    probs = next_char_probabilities(logits)
    top = np.argsort(-probs, axis=1, kind="stable")[:, :top_k]
    p_next = np.full(len(ids), np.nan, dtype=np.float32)
    p_next[:-1] = probs[np.arange(len(ids) - 1), ids[1:]]
    chars = np.array(ckpt.vocab.chars)
    arrays = {
        "chars": chars[ids],
        "ids": ids.astype(np.int32),
        "vocab": chars,
        "logits": logits,
        "p_next": p_next,
        "top_ids": top.astype(np.int32),
        "top_chars": chars[top],
        "top_probs": np.take_along_axis(probs, top, axis=1).astype(np.float32),
    }
    for k in range(c.layers):
        for q, name in enumerate(c.quantities):
            arrays[f"{name}_l{k}"] = np.ascontiguousarray(acts[:, k, q])
    arrays["meta"] = np.array(json.dumps({
        "model": ckpt.name, "cell": c.cell, "layers": c.layers, "hidden": c.hidden,
        "quantities": list(c.quantities), "start_state": "zeros",
    }))
    return arrays


def to_npz(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def to_csv(arrays: dict[str, np.ndarray], config) -> str:
    """One row a character: position, char, id, every unit of every quantity, p_next, the top-k."""
    names = [f"{q}_l{k}" for k in range(config.layers) for q in config.quantities]
    k = arrays["top_ids"].shape[1]
    head = ["position", "char", "id"] + [f"{n}_{u}" for n in names for u in range(config.hidden)] + ["p_next"]
    head += [f"top{r + 1}_{what}" for r in range(k) for what in ("char", "p")]
    values = np.concatenate([arrays[n] for n in names] + [arrays["p_next"][:, None]], axis=1)
    numbers = io.StringIO()
    np.savetxt(numbers, values, fmt="%.6g", delimiter=",")
    rows = [_fields(head)]
    for t, line in enumerate(numbers.getvalue().splitlines()):
        top = [x for r in range(k) for x in (arrays["top_chars"][t, r], f"{arrays['top_probs'][t, r]:.6g}")]
        rows.append(f"{_fields([t, arrays['chars'][t], int(arrays['ids'][t])])},{line},{_fields(top)}")
    return "\n".join(rows) + "\n"


def _fields(values: list) -> str:
    """One CSV line without its end: a character may be a comma, a quote or a newline, so csv quotes it."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)  # "\n" as the end makes csv quote a newline
    return buf.getvalue()[:-1]
