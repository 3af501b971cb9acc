"""Build the Python-source corpus the bundled `python-lstm` is trained on, from this interpreter's standard library.

Every machine that runs rnn-tui has a Python standard library, so the corpus
needs no download. It is code, where quotes, brackets and indentation matter,
which the Shakespeare corpus lacks (Karpathy's quote and indentation cells).

Rule: the top-level modules of the standard library, `sysconfig.get_paths()["stdlib"]/*.py`
(no packages, no tests, no site-packages), sorted by file name, keeping only files
whose bytes are all printable ASCII or newline (no tabs, form feeds, carriage
returns or non-ASCII: a small vocabulary), concatenated as they are. The held-out
last 5 % (what training never sees) is therefore the last files in that order.

Reference build (recorded in the checkpoint's provenance; the script prints it):
    Python 3.11.7, 159 files (__future__.py … zipimport.py), 4,398,326 bytes, 96 distinct
    characters, sha256 913422eb755ef10fe3a3a95b54659e0b3e1d1a39cb1e594bf2ffdbc521e51062;
    another Python version gives another corpus.

Writes `data/python-stdlib.txt` (gitignored, for training) and
`checkpoints/corpora/python-stdlib.txt.xz` (committed).

    python scripts/build_python_corpus.py
"""

from __future__ import annotations

import argparse
import hashlib
import lzma
import platform
import sys
import sysconfig
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rnn_tui.core.atomic import atomic_write_bytes  # noqa: E402

NAME = "python-stdlib.txt"
ROOT = Path(__file__).resolve().parent.parent
ALLOWED = frozenset(range(32, 127)) | {10}


def sources(stdlib: Path) -> list[Path]:
    """The files the rule keeps, in corpus order."""
    return [p for p in sorted(stdlib.glob("*.py")) if p.is_file() and set(p.read_bytes()) <= ALLOWED]


def build(stdlib: Path) -> tuple[bytes, list[Path]]:
    files = sources(stdlib)
    return b"".join(p.read_bytes() for p in files), files


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--stdlib", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    p.add_argument("--data", type=Path, default=ROOT / "data" / NAME)
    p.add_argument("--xz", type=Path, default=ROOT / "checkpoints" / "corpora" / f"{NAME}.xz")
    args = p.parse_args(argv)
    raw, files = build(args.stdlib)
    if not files:
        sys.exit(f"no ASCII-only *.py files in {args.stdlib}")
    digest = hashlib.sha256(raw).hexdigest()
    for path, data in ((args.data, raw), (args.xz, lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME))):
        atomic_write_bytes(path, data)
        print(f"wrote {path} ({len(data):,} bytes)")
    print(f"name: {NAME}\npython: {platform.python_version()}\nrule: stdlib/*.py, printable ASCII and newline "
          f"only, sorted by name\nfiles: {len(files)} (first {files[0].name}, last {files[-1].name})\n"
          f"bytes: {len(raw):,}\ncharacters: {len(set(raw))}\nsha256: {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
