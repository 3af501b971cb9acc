"""The `seattle-weather` model: Seattle's daily weather 2012–2015 as text, one character a day.

The record is `vega_datasets/_data/seattle-weather.csv` (public NOAA data, 1,461
days), which the `vega_datasets` package carries. The package is fetched by pip
when the corpus is built (`pip install vega_datasets`, or `--csv FILE`), never
when rnn-tui runs: the corpus it produces ships in `checkpoints/corpora/`.

Encoding (rnn_tui/lessons/weather.py reads it back): one line a month, the
month's three-letter name in capitals, a space, then one character a day:

    s  dry (no precipitation measured)     r  rain (1 mm or more)
    d  drizzle (a trace: under 1 mm)       f  fog (a dry day the record calls foggy)
    *  snow (the record says snow)

    APR sssrrdsssssssfrrrrrsssrsssddr

Wet or dry comes from the measured precipitation, not from the record's
`weather` label, because the label changes meaning between years: 191 days of
"rain" in 2012 and 3 in 2014, while "fog" went from 5 days to 151, and 310 of
the 411 "fog" days had precipitation. The label decides only snow, and fog on a
dry day. Capitals for months and lower case for days keep the two apart, and a
month per line gives the line-position cell a meaning: the day of the month.

Split: 2012–2014 train, 2015 (the last 12 lines) is held out, and both the
model and the baseline are scored on it: the model from a zero state, as the
viewer reads a prime; the baseline "tomorrow like today" is a counted bigram
(add-one) of the training years. Both figures go into the checkpoint's
provenance and the README.

    python scripts/seattle_weather.py                # build the corpus, train (CPU), score, write the model
    python scripts/seattle_weather.py --build-only   # the corpus only
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import os
import sys
from collections import Counter
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rnn_tui.core.atomic import atomic_write_bytes  # noqa: E402
from rnn_tui.lessons.weather import DAY_CHARS, MONTHS  # noqa: E402

CORPUS = ROOT / "checkpoints" / "corpora" / "seattle-weather.txt"
MODEL = ROOT / "checkpoints" / "seattle-weather.safetensors"
CSV_SHA256 = "62f0609f787158128aa2bd102967173a4953122dd4f872bf1d502cae1037df0b"  # vega_datasets 0.9.0
RAIN_MM = 1.0
HELD_OUT_YEAR = "2015"


def find_csv() -> Path:
    try:
        import vega_datasets
    except ImportError:
        sys.exit("the record comes with the vega_datasets package: pip install vega_datasets (or give --csv FILE)")
    return Path(vega_datasets.__file__).parent / "_data" / "seattle-weather.csv"


def day_char(row: dict[str, str]) -> str:
    label, wet = row["weather"], float(row["precipitation"])
    if label == "snow":
        return "*"
    if wet >= RAIN_MM:
        return "r"
    if wet > 0:
        return "d"
    return "f" if label == "fog" else "s"


def encode(rows: list[dict[str, str]]) -> str:
    """One line a month: `APR ` and a character a day (see the module's docstring)."""
    lines: list[str] = []
    current = None
    for row in rows:
        year, month, _ = row["date"].split("/")
        if (year, month) != current:
            current = (year, month)
            lines.append(MONTHS[int(month) - 1] + " ")
        lines[-1] += day_char(row)
    return "".join(line + "\n" for line in lines)


def build(csv_path: Path) -> tuple[str, int]:
    """(corpus, characters held out): the text, and the length of its last year."""
    raw = csv_path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != CSV_SHA256:
        print(f"warning: {csv_path} has sha256 {digest}, not the {CSV_SHA256[:12]}… this corpus was built from")
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    text = encode(rows)
    held = len(encode([r for r in rows if r["date"].startswith(HELD_OUT_YEAR)]))
    assert set(text) <= set(DAY_CHARS) | set("".join(MONTHS)) | {" ", "\n"}
    return text, held


def bigram_nats(train: str, held: str, chars: str) -> tuple[float, float]:
    """Mean −ln p of held[1:] under add-one counted bigrams of `train`: (every character, day characters)."""
    pairs = Counter(zip(train, train[1:], strict=False))
    firsts = Counter(train[:-1])
    V = len(chars)
    losses = [-math.log((pairs[(a, b)] + 1) / (firsts[a] + V)) for a, b in zip(held, held[1:], strict=False)]
    days = [x for x, b in zip(losses, held[1:], strict=False) if b in DAY_CHARS]
    return sum(losses) / len(losses), sum(days) / len(days)


def model_nats(path: Path, held: str) -> tuple[float, float]:
    """The same two figures for the model, read from a zero state over the held-out year (numpy)."""
    import numpy as np

    from rnn_tui.analysis.score import next_char_probabilities
    from rnn_tui.core.checkpoint import load

    ckpt = load(path)
    ids = ckpt.vocab.encode(held)
    _, logits, _ = ckpt.model().forward(ids)
    p = next_char_probabilities(logits[:-1])[np.arange(len(ids) - 1), ids[1:]]
    losses = -np.log(p)
    days = np.array([c in DAY_CHARS for c in held[1:]])
    return float(losses.mean()), float(losses[days].mean())


def train(text_file: Path, val_frac: float, steps: int, hidden: int, seed: int):
    from rnn_tui.train.options import TrainOptions
    from rnn_tui.train.report import QuietReporter
    from rnn_tui.train.trainer import train as run

    opts = TrainOptions(text_file=str(text_file), out=str(MODEL), cell="lstm", layers=1, hidden=hidden,
                        dropout=0.0, seq_len=40, batch=16, lr=1e-2, warmup_frac=0.05, max_steps=steps,
                        seed=seed, device="cpu", val_frac=val_frac, threads=1, sample_every=0,
                        carry_state=False, snapshots=False)
    result = run(opts, reporter=QuietReporter())
    Path(f"{MODEL}.resume.pt").unlink(missing_ok=True)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Build the Seattle weather corpus and train the seattle-weather model.")
    p.add_argument("--csv", type=Path, default=None, help="seattle-weather.csv (default: vega_datasets' copy)")
    p.add_argument("--build-only", action="store_true")
    p.add_argument("--steps", type=int, default=1000, help="training steps (default 1000: seconds on one core)")
    p.add_argument("--hidden", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    text, n_held = build(args.csv or find_csv())
    atomic_write_bytes(CORPUS, text.encode("ascii"))
    print(f"{CORPUS.relative_to(ROOT)}: {len(text):,} characters, {text.count(chr(10))} months, "
          f"sha256 {hashlib.sha256(text.encode()).hexdigest()}; held out: {n_held} ({HELD_OUT_YEAR})")
    if args.build_only:
        return 0
    val_frac = n_held / len(text)
    from rnn_tui.core.text import held_out

    held = held_out(text, val_frac)
    assert held.startswith("JAN ") and len(held) == n_held, "the split must fall on the held-out year's start"
    result = train(CORPUS, val_frac, args.steps, args.hidden, args.seed)
    chars = "".join(sorted(set(text)))
    base, base_days = bigram_nats(text[: len(text) - n_held], held, chars)
    mine, mine_days = model_nats(MODEL, held)
    print(f"trained {result.steps} steps in {result.seconds:.0f} s on {result.hardware}; held-out {HELD_OUT_YEAR}:")
    print(f"  model    {mine:.4f} nats/char ({mine / math.log(2):.3f} bits), days only {mine_days:.4f}")
    print(f"  bigram   {base:.4f} nats/char ({base / math.log(2):.3f} bits), days only {base_days:.4f}")
    _record(result, mine, mine_days, base, base_days, text, n_held)
    return 0 if mine < base else 1


def _record(result, mine: float, mine_days: float, base: float, base_days: float, text: str, n_held: int) -> None:
    """Both figures, the split, the held-out year as the model's passage and the cells the finder ranks
    best on it (as scripts/known_cells.py does for the other models) into the checkpoint (tensors unchanged)."""
    from rnn_tui.analysis import known_cells
    from rnn_tui.analysis.capture import capture
    from rnn_tui.analysis.features import BUILT_IN
    from rnn_tui.analysis.finder import rank
    from rnn_tui.core.checkpoint import load, save

    ckpt = load(MODEL)
    prov = dict(ckpt.provenance)
    prov.update({"held_out": f"{HELD_OUT_YEAR} (the last {n_held} characters)",
                 "val_loss_exact": round(mine, 4), "val_loss_days": round(mine_days, 4),
                 "bigram_val_loss": round(base, 4), "bigram_val_loss_days": round(base_days, 4),
                 "record": "vega_datasets/_data/seattle-weather.csv (NOAA, Seattle 2012-2015)",
                 "record_sha256": CSV_SHA256, "encoding": "a line a month: APR then s dry, d drizzle, r rain, "
                 "f fog, * snow", "training_seconds": round(result.seconds, 1)})
    held = text[len(text) - n_held:]
    cells = known_cells.choose(rank(capture(ckpt.model(), ckpt.vocab, held), BUILT_IN, top=5))
    analysis = known_cells.document(cells, held, f"held-out {HELD_OUT_YEAR}, a line a month")
    save(MODEL, ckpt.config, ckpt.vocab, ckpt.tensors, prov, analysis)
    for c in cells:
        print(f"  known cell {c.label():<10} {c.name:<30} {c.describe()}")


if __name__ == "__main__":
    sys.exit(main())
