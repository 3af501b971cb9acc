"""Find each bundled model's known cells and store them, with a held-out passage, inside its checkpoint.

For each model: the whole held-out part of its corpus (what training never
saw, with the split recorded in its provenance) is read by the model from its
start as one stream, every unit is scored exactly for every built-in feature
(`finder.rank_text`, in blocks of units that fit in `--max-mib`), and the best
unit of each feature that passes the bar (|r| ≥ 0.5, AUC ≥ 0.9) is kept. The first
`--passage-chars` of the held-out text, cut at line ends, ship as the model's
passage (the viewer's analysis opens on it). Only the checkpoint's JSON
document changes: the tensors are re-written bit for bit (checked), and the
file is replaced atomically.

    python scripts/known_cells.py                     # every bundled model
    python scripts/known_cells.py python-lstm --provenance python=3.11.7
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from rnn_tui.analysis import known_cells  # noqa: E402
from rnn_tui.analysis.features import BUILT_IN  # noqa: E402
from rnn_tui.analysis.finder import rank_text  # noqa: E402
from rnn_tui.core.checkpoint import bundled_models, load, save  # noqa: E402
from rnn_tui.core.text import held_out, read_text  # noqa: E402

CORPORA = ROOT / "checkpoints" / "corpora"


def corpus_text(provenance: dict) -> str:
    name = str(provenance.get("corpus", ""))
    if name == "phone-numbers.txt":  # generated, not stored: the same call that trained the model
        from rnn_tui.train.phone_numbers import generate

        return generate(20_000, int(provenance.get("seed", 0)))
    return read_text(CORPORA / f"{name}.xz")


def process(name: str, path: Path, passage_chars: int, max_mib: int, extra: dict[str, str],
            report: Path | None = None) -> None:
    ckpt = load(path)
    prov = ckpt.provenance
    held = held_out(corpus_text(prov), float(prov.get("val_frac", 0.05)))
    passage = known_cells.cut_lines(held, passage_chars)
    scored = held
    t0 = time.perf_counter()
    rankings = rank_text(ckpt.model(), ckpt.vocab, scored, BUILT_IN, top=5, streams=1, max_bytes=max_mib * 2**20)
    cells = known_cells.choose(rankings)
    if report is not None:  # every feature's ranking, for the README's tables
        rows = [{"model": name, "feature": rk.feature.name, "note": rk.note,
                 "hits": [{"unit": h.label(), "describe": h.describe(), "score": h.score} for h in rk.hits]}
                for rk in rankings]
        with open(report, "a", encoding="utf-8") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)
    doc = known_cells.document(cells, passage, f"{prov.get('corpus', '?')}, first {len(passage):,} characters "
                                                f"of the held-out {prov.get('val_frac', 0.05):.0%}, from a line start")
    doc["ranked_on"] = f"all {len(scored):,} held-out characters, read from their start as one stream"
    before = {k: v.tobytes() for k, v in ckpt.tensors.items()}
    save(path, ckpt.config, ckpt.vocab, ckpt.tensors, {**prov, **extra}, doc)
    after = load(path)
    assert all(after.tensors[k].tobytes() == b for k, b in before.items()), "tensors changed"
    print(f"{name}: {len(cells)} known cells from {len(scored):,} characters in {time.perf_counter() - t0:.1f} s")
    for c in cells:
        print(f"  {c.label():<12} {c.name:<30} {c.describe()}")


def print_table(names: list[str], n: int) -> int:
    print("| model | unit | tracks | score |")
    print("|---|---|---|---|")
    for name in names:
        for c in known_cells.known_cells(load(bundled_models()[name]))[:n]:
            print(f"| `{name}` | {c.label()} | {c.name} | {c.describe()} |")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", help="bundled models (default: all)")
    p.add_argument("--passage-chars", type=int, default=16_000)
    p.add_argument("--max-mib", type=int, default=3072, help="memory for the units' values (default 3072 MiB; "
                                                                "less means more passes over the text)")
    p.add_argument("--provenance", action="append", default=[], metavar="KEY=VALUE",
                   help="add a provenance entry (e.g. python=3.11.7)")
    p.add_argument("--report", type=Path, help="append every feature's top 5 to this file (JSON lines)")
    p.add_argument("--table", type=int, metavar="N", help="print the README's table (first N cells per model) "
                                                         "from what the checkpoints hold, and stop")
    args = p.parse_args(argv)
    if args.table:
        return print_table(args.names or list(bundled_models()), args.table)
    extra = dict(kv.split("=", 1) for kv in args.provenance)
    models = bundled_models()
    for name in args.names or list(models):
        if name not in models:
            sys.exit(f"no bundled model {name!r}")
        process(name, models[name], args.passage_chars, args.max_mib, extra, args.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
