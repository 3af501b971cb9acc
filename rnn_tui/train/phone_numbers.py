"""Synthetic US phone numbers: the class notes' first example of what a character model learns.

Each line is a number like `(617) 555-0142`. The area codes follow a skewed
distribution: after `(61` the next character is almost always `7` (Boston's 617),
with 610, 612, 614, 615, 616, 618 and 619 at lower rates, and codes starting
with other digits beside them. A tiny LSTM learns this in seconds, and the
viewer shows its prediction after `(61` leaning hard on `7`. The exchange is
always 555 and the line number 0100–0199, the range set aside for fiction, so
no generated number is anyone's.

`generate` is deterministic in its seed and needs no torch; `train_phone_model`
writes `checkpoints/phone-numbers.safetensors`:

    python -m rnn_tui.train.phone_numbers [OUT] [--seconds 10]
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from pathlib import Path

# area code → relative weight; 617 dominates the 61x codes (about 84 % of them)
AREA_CODES: dict[str, float] = {
    "617": 42.0, "610": 1.5, "612": 1.5, "614": 1.5, "615": 1.0, "616": 1.0, "618": 0.8, "619": 0.8,
    "212": 4.0, "202": 2.0, "303": 2.0, "305": 2.0, "312": 3.0, "404": 2.0, "415": 3.0, "503": 1.5,
    "508": 3.0, "512": 1.5, "646": 2.0, "650": 1.5, "702": 1.5, "718": 2.5, "781": 4.0, "801": 1.0,
    "857": 3.0, "919": 1.5, "978": 3.0, "339": 2.0, "206": 2.0,
}
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "checkpoints" / "phone-numbers.safetensors"


def generate(n_lines: int, seed: int = 0) -> str:
    """`n_lines` numbers, one per line, each line ending in a newline."""
    rng = random.Random(seed)
    codes, weights = list(AREA_CODES), list(AREA_CODES.values())
    area = rng.choices(codes, weights, k=n_lines)
    return "".join(f"({a}) 555-01{rng.randrange(100):02d}\n" for a in area)


def train_phone_model(out_path: str | os.PathLike = DEFAULT_OUT, seconds: float = 10.0,
                      max_steps: int | None = None, seed: int = 0, threads: int | None = None):
    """Train a one-layer 32-unit LSTM (one-hot input) on 20,000 numbers; returns the TrainResult.

    Windows start from a zero state (no carried state), as the viewer does when a
    student types `(61`, so the prediction holds without a line of context.
    """
    from .options import TrainOptions
    from .report import QuietReporter
    from .trainer import train

    with tempfile.TemporaryDirectory() as tmp:
        text_file = Path(tmp) / "phone-numbers.txt"
        text_file.write_text(generate(20_000, seed))
        opts = TrainOptions(text_file=str(text_file), out=str(out_path), cell="lstm", layers=1, hidden=32,
                            seq_len=32, batch=128, lr=2e-2, warmup_frac=0.1, snapshots=False,
                            time_budget=None if max_steps else seconds, max_steps=max_steps,
                            seed=seed, device="cpu", eval_every=max_steps or None, threads=threads,
                            sample_every=0, carry_state=False)
        result = train(opts, reporter=QuietReporter())
    Path(f"{out_path}.resume.pt").unlink(missing_ok=True)
    return result


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description="Train the bundled phone-numbers model.")
    p.add_argument("out", nargs="?", default=str(DEFAULT_OUT))
    p.add_argument("--seconds", type=float, default=10.0)
    args = p.parse_args(argv)
    r = train_phone_model(args.out, args.seconds)
    print(f"{args.out}: {r.steps} steps, val {r.best_val:.4f} nats/char, {r.seconds:.1f} s on {r.hardware}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
