"""`rnn-tui import FILE [--vocab …] --out X.safetensors`: convert a model from another format to the native one.

Any format `interop.load_model` opens (a PyTorch `.pt`/`.pth`, a min-char-rnn `.npz`) becomes one
`.safetensors` checkpoint that opens without PyTorch and without a pickle, with provenance saying it
was imported, from which file (and its sha256), and when.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

from ..core.errors import UserError
from ..core.safe import safe_text
from ._args import OneLineParser, check_out, writing
from ._inputs import add_model_options, open_model


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="rnn-tui import",
                      description="Convert a PyTorch .pt/.pth or min-char-rnn .npz model to an rnn-tui .safetensors "
                                  "checkpoint.",
                      epilog="A bare state_dict has no characters: rnn-tui import model.pt --vocab printable --out "
                             "model.safetensors")
    p.add_argument("file", help="the model to convert: .pt/.pth (needs PyTorch) or min-char-rnn .npz")
    add_model_options(p, model=False)
    p.add_argument("--out", required=True, metavar="X.safetensors", help="where to write the checkpoint")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    out = Path(args.out)
    if out.suffix != ".safetensors":
        raise UserError(f"--out must name a .safetensors file, got {safe_text(args.out)!r}")
    check_out(out, args.force)
    source = Path(args.file)
    if out.exists() and out.resolve() == source.resolve():
        raise UserError("--out is the file being imported")
    from ..core.checkpoint import save
    ckpt = open_model(args, str(source))
    provenance = {
        **ckpt.provenance,
        "origin": "imported",
        "imported_from": source.name,
        "source_sha256": sha256(source),
        "imported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with writing(out):
        save(out, ckpt.config, ckpt.vocab, ckpt.tensors, provenance)
    c = ckpt.config
    print(f"wrote {safe_text(str(out))}: {c.label}, {c.vocab_size} characters, {c.parameters():,} parameters, "
          f"from {safe_text(source.name)}")
    return 0


def sha256(path: Path) -> str:
    from ..core.checkpoint import MAX_FILE_BYTES
    from ..core.files import FileProblem, open_regular

    digest = hashlib.sha256()
    try:
        with open_regular(path, MAX_FILE_BYTES) as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except FileProblem as e:
        raise UserError(f"{safe_text(str(path))}: {e}") from None
    return digest.hexdigest()
