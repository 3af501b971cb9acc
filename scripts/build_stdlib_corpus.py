"""Build the "Python source" training case: the first 184,000 characters of this interpreter's
standard-library `*.py` files (the top level of the stdlib directory, not its packages),
concatenated in sorted file-name order, each read as UTF-8.

Prints the Python version, the file-list rule, the files used and the sha256 of the text, and
writes them to OUT.json beside OUT, so a figure measured on it names exactly what it was:

    python scripts/build_stdlib_corpus.py runs/stdlib-184k.txt
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rnn_tui.core.atomic import atomic_write_bytes  # noqa: E402

RULE = "sorted(Path(sysconfig.get_paths()['stdlib']).glob('*.py')), read as UTF-8, concatenated, first N characters"


def build(n_chars: int) -> tuple[str, list[str]]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts: list[str] = []
    used: list[str] = []
    size = 0
    for path in sorted(stdlib.glob("*.py")):
        if size >= n_chars:
            break
        text = path.read_text(encoding="utf-8")
        parts.append(text)
        used.append(path.name)
        size += len(text)
    return "".join(parts)[:n_chars], used


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", help="text file to write")
    p.add_argument("--chars", type=int, default=184_000, help="characters to keep (default 184,000)")
    args = p.parse_args(argv)
    text, used = build(args.chars)
    data = text.encode("utf-8")
    record = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "stdlib": sysconfig.get_paths()["stdlib"],
        "rule": RULE.replace("N", f"{args.chars:,}"),
        "files": used,
        "chars": len(text),
        "symbols": len(set(text)),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    out = Path(args.out)
    atomic_write_bytes(out, data)
    atomic_write_bytes(out.with_name(out.name + ".json"), (json.dumps(record, indent=2) + "\n").encode())
    print(json.dumps({k: v for k, v in record.items() if k != "files"}, indent=2))
    print(f"{len(used)} files, {used[0]} … {used[-1]}; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
