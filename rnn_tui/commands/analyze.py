"""`rnn-tui analyze TEXT [-m MODEL]`: find the neurons that track features of a text.

Runs the model teacher-forced over the file, scores every unit of every layer
and quantity on its exact values, and prints the best units for each built-in
feature (and a regular expression with --regex). numpy only. Characters outside
the model's vocabulary are fed as a space and reported, not fatal. A text of any
length is ranked in bounded memory (MAX_ANALYSIS_BYTES), in two passes over the
text: every unit's sums, then the exact values of the few units they cannot
rule out. --html/--svg draw what the model does reading the file from its start.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..core.errors import UserError
from ..core.safe import safe_text
from ._args import OneLineParser, check_out, say, writing
from ._inputs import add_model_options, model_and_text, open_model, read_input_text

MAX_FILE_BYTES = 64 * 2**20
# What analysing costs per character besides its units' codes: the ids, the masks, every feature's array
# and their intermediates (measured: 355 B a character with a 1-unit model; 8 M characters took 2.8 GB).
PER_CHARACTER = 400
# The units are ranked in blocks within capture.MAX_ANALYSIS_BYTES whatever the length; the per-character
# arrays are not, so the text's length has a cap of its own.
MAX_TEXT_BYTES = 512 * 2**20


def parser() -> argparse.ArgumentParser:
    from ..analysis.features import BUILT_IN

    p = OneLineParser(prog="rnn-tui analyze",
                      description="Rank every unit of a model by how well it tracks features of a text: Pearson r "
                                  "for counts (position in line …), AUC for on/off features (inside quotes …).",
                      epilog="features: " + ", ".join(f"{f.key} ({f.name})" for f in BUILT_IN))
    p.add_argument("text_file", metavar="TEXT", help="a UTF-8 text file (.xz accepted), or - for standard input")
    p.add_argument("model", nargs="?", default=None, help=argparse.SUPPRESS)  # the older form: TEXT MODEL
    add_model_options(p)
    p.add_argument("--feature", "-f", action="append", metavar="KEY", help="rank only these features (repeatable)")
    p.add_argument("--regex", "-e", metavar="PATTERN", help="also rank a regular expression: 1 inside a match")
    p.add_argument("--top", type=int, default=3, help="units shown per feature (default 3)")
    p.add_argument("--limit", type=int, metavar="N", help="analyse only the first N characters")
    p.add_argument("--streams", type=int, default=64, metavar="N",
                   help="read the text as up to N pieces side by side, each from 64 characters before it "
                        "(default 64, fast); 1 reads it from its start as one stream, as the model does (slower)")
    p.add_argument("--html", metavar="OUT", help="write Karpathy's view of the first feature's best unit as HTML")
    p.add_argument("--svg", metavar="OUT", help="… and as SVG")
    p.add_argument("--force", action="store_true", help="replace --html and --svg files that exist")
    p.add_argument("--export-chars", type=int, default=600, metavar="N",
                   help="characters in the exported picture (default 600)")
    p.add_argument("--no-guesses", action="store_true", help="export the coloured text without the top-5 rows")
    p.add_argument("--export-from", type=int, default=0, metavar="I",
                   help="where the exported picture starts in the text (default 0; the model still reads "
                        "everything before it)")
    return p


def main(argv: list[str]) -> int:
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # --help
        return int(e.code or 0)
    from ..analysis import finder
    from ..analysis.capture import MAX_ANALYSIS_BYTES, check_content, encode, unit_count
    from ..analysis.features import BUILT_IN, BY_KEY, regex_feature
    features = list(BUILT_IN)
    if args.feature:
        unknown = [k for k in args.feature if k not in BY_KEY]
        if unknown:
            raise UserError(f"unknown feature {safe_text(unknown[0])!r} (one of: {', '.join(BY_KEY)})")
        features = [BY_KEY[k] for k in args.feature]
    if args.regex is not None:
        features.append(regex_feature(args.regex))  # an invalid pattern fails here, before any work
    if args.top < 1 or args.streams < 1 or (args.limit is not None and args.limit < 1):
        raise UserError("--top, --streams and --limit must be at least 1")
    for out in (args.html, args.svg):  # before the work, as `export` does: never replaced unasked
        if out:
            check_out(out, args.force)
    model_arg, text_arg = model_and_text(args, args.text_file, args.model, model_first=False)
    text, where = read_input_text(text_arg, MAX_FILE_BYTES)
    title = Path(text_arg).name if text_arg != "-" else where
    ckpt = open_model(args, model_arg)
    if args.limit:
        text = text[: args.limit]
    model = ckpt.model()
    check_content(text, where)
    check_budget(len(text), where)
    t0 = time.perf_counter()
    bar = _progress_bar()  # rank_text counts the characters of its two passes: shown as characters
    rankings = finder.rank_text(model, ckpt.vocab, text, features, top=args.top, streams=args.streams,
                                max_bytes=MAX_ANALYSIS_BYTES,
                                progress=None if bar is None else lambda d, t: bar(d * len(text) // t, len(text)))
    took = time.perf_counter() - t0
    _clear_progress()
    ids, oov = encode(ckpt.vocab, text)
    n_oov = int(oov.sum())
    if n_oov:
        odd = ckpt.vocab.unknown(text)
        shown = safe_text("".join(odd[:20])) + (" …" if len(odd) > 20 else "")
        say(f"note: {n_oov:,} character(s) outside {ckpt.name}'s vocabulary ('{shown}') were fed as a space",
            file=sys.stderr)
    say(f"{ckpt.name} ({ckpt.config.label}) on {title}: {len(text):,} characters, "
        f"{unit_count(model):,} units, {took:.1f} s")
    for rk in rankings:
        f = rk.feature
        metric = "Pearson r" if f.kind == "ramp" else "AUC"
        if rk.note:
            say(f"{f.name}: {rk.note}")
            continue
        say(f"{f.name} ({f.kind}, {metric}; {rk.occurrences:,} characters)")
        for n, h in enumerate(rk.hits, 1):
            say(f"  {n:>2}. {h.label():<12} {h.describe()}")
    if args.html or args.svg:
        _export(args, model, ids, text, rankings, ckpt)
    return 0


def check_budget(n_chars: int, what: str) -> None:
    """The analysis's per-character arrays within MAX_TEXT_BYTES."""
    if n_chars * PER_CHARACTER > MAX_TEXT_BYTES:
        raise UserError(f"{what}: {n_chars:,} characters; analysing takes about {PER_CHARACTER:,} bytes a character "
                        f"besides the units, so at most {MAX_TEXT_BYTES // PER_CHARACTER:,} fit in "
                        f"{MAX_TEXT_BYTES // 2**20} MiB (--limit N analyses the first N)")


def _export(args, model, ids, text: str, rankings, ckpt) -> None:
    """Karpathy's picture of the first ranked feature's best unit: its values and the guesses of the model
    reading the file from its start, up to the picture's end."""
    from ..analysis.export import normalise, to_html, to_svg
    from ..analysis.guesses import read
    from ..core.atomic import atomic_write_all

    best = next((rk for rk in rankings if rk.hits), None)
    if best is None:
        raise UserError("nothing to export: no feature was ranked")
    hit = best.hits[0]
    a = min(max(0, args.export_from), len(text) - 1)
    b = min(len(text), a + max(1, args.export_chars))
    run = read(model, ids[:b], unit=hit.index)
    values = normalise(run.values[a:b], signed=hit.quantity in ckpt.config.kind.signed)
    guesses = None if args.no_guesses else run.rows(a, b, ckpt.vocab.chars)
    title = f"{ckpt.name} {hit.label()}: {best.feature.name}, {hit.describe()}"
    files = [(Path(out), render(text[a:b], values, guesses, title).encode("utf-8"))
             for out, render in ((args.html, to_html), (args.svg, to_svg)) if out]
    with writing(" and ".join(str(path) for path, _ in files)):  # both or neither: never a page without its picture
        atomic_write_all(files)
    for path, _ in files:
        say(f"wrote {path}")


def _progress_bar():
    """A one-line bar on stderr when it is a terminal; nothing in a log or a pipe."""
    if not sys.stderr.isatty():
        return None
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] < 0.1 and done < total:
            return
        last[0] = now
        frac = done / max(total, 1)
        bar = "█" * int(30 * frac) + "░" * (30 - int(30 * frac))
        sys.stderr.write(f"\ranalysing {bar} {frac:4.0%}  {done:,}/{total:,} characters")
        sys.stderr.flush()

    return show


def _clear_progress() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()
