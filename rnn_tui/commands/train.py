"""`rnn-tui train TEXT_FILE ...`: flags, checks and the progress display.

Every check a user can fail (options, the file, its encoding and length) runs
before `import torch` (1.7 s), and each failure is one UserError line, exit
status 2, with nothing written. The display is a Rich live panel on a terminal
and plain log lines otherwise (a log file, a CI job, `nohup`).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from ..core.cells import CELLS
from ..core.errors import UserError
from ._args import OneLineParser

# Defaults live here, not in argparse, so that --resume can tell which flags were given.
DEFAULTS: dict[str, Any] = {
    "cell": "lstm", "layers": 2, "hidden": 256, "embedding": None, "dropout": 0.0, "seq_len": 128,
    "batch": 64, "lr": 2e-3, "time_budget": None, "max_steps": None, "seed": 0, "device": "auto",
    "val_frac": 0.05, "eval_every": None, "sample_every": None, "threads": None, "bf16": False,
}
# What a resumed run may change; everything else must match the run it continues.
RESUME_MAY_CHANGE = {"time_budget", "max_steps", "eval_every", "sample_every", "threads", "device"}
DEFAULT_BUDGET = 600.0


def _int(lo: int, hi: int | None = None):
    def parse(value: str) -> int:
        try:
            n = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
        if n < lo or (hi is not None and n > hi):
            raise argparse.ArgumentTypeError(f"must be {'at least ' + str(lo) if hi is None else f'{lo} to {hi}'}, "
                                             f"got {value}")
        return n
    return parse


def _float(lo: float, hi: float, lo_open: bool = True, hi_open: bool = False):
    def parse(value: str) -> float:
        try:
            f = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
        if not math.isfinite(f) or f < lo or f > hi or (lo_open and f == lo) or (hi_open and f == hi):
            left, right = "(" if lo_open else "[", ")" if hi_open else "]"
            raise argparse.ArgumentTypeError(f"must be in {left}{lo:g}, {hi:g}{right}, got {value}")
        return f
    return parse


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="rnn-tui train",
        description="Train a character-level RNN/GRU/LSTM on a text file with PyTorch and save it for the viewer. "
                    "The last --val-frac of the file is held out for validation and never trained on; the "
                    "checkpoint with the best validation loss is kept. Ctrl-C stops cleanly (resume with --resume).",
    )
    a = p.add_argument
    a("text_file", help="UTF-8 text to learn (.xz accepted)")
    a("--out", "-o", help="checkpoint to write (.safetensors); default: TEXT-CELL-LAYERSxHIDDEN.safetensors")
    a("--cell", choices=CELLS, help="recurrent cell (default lstm)")
    a("--layers", type=_int(1, 8), help="stacked layers (default 2)")
    a("--hidden", type=_int(1, 8192), help="hidden units per layer (default 256)")
    a("--embedding", type=_int(1, 8192), metavar="DIM", help="learned embedding of DIM (default: one-hot input)")
    a("--dropout", type=_float(0, 1, lo_open=False, hi_open=True), help="dropout between layers (default 0)")
    a("--seq-len", type=_int(1, 100_000), help="characters per window of backpropagation (default 128)")
    a("--batch", type=_int(1, 100_000), help="streams trained side by side (default 64)")
    a("--lr", type=_float(0, 10), help="Adam learning rate, warmup then cosine decay (default 2e-3)")
    a("--time-budget", type=_float(0, 1e9), metavar="SECONDS",
      help=f"stop after this many seconds (default {DEFAULT_BUDGET:g} unless --max-steps is given)")
    a("--max-steps", type=_int(1), help="stop after this many steps")
    a("--seed", type=_int(0, 2**63 - 1), help="random seed (default 0)")
    a("--device", choices=("auto", "cpu", "cuda"), help="where to train (default auto: CUDA if available)")
    a("--resume", action="store_true", help="continue from OUT.resume.pt (optimizer, RNG, step, elapsed time)")
    a("--val-frac", type=_float(0, 0.5), help="fraction held out at the end of the text (default 0.05)")
    a("--eval-every", type=_int(1), metavar="STEPS", help="validate every STEPS steps (default: 10 times per run)")
    a("--sample-every", type=_int(0), metavar="STEPS", help="show a sample every STEPS steps (default: at each "
                                                              "validation; 0: never)")
    a("--threads", type=_int(1, 1024), help="CPU threads for PyTorch (default: PyTorch's choice)")
    return p


def _given(args: argparse.Namespace) -> dict[str, Any]:
    return {k: v for k, v in vars(args).items() if k in DEFAULTS and v is not None}


def _check_paths(text_file: str, out: str) -> None:
    outp = Path(out)
    if outp.suffix != ".safetensors":
        raise UserError(f"--out {out}: the checkpoint file name must end in .safetensors")
    if outp.is_dir():
        raise UserError(f"--out {out}: is a directory")
    if outp.resolve() == Path(text_file).resolve():
        raise UserError("--out would overwrite the training text")


def _import_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise UserError("training needs PyTorch, which is not installed: pip install 'rnn-tui[train]'") from None


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as e:  # --help
        return int(e.code or 0)
    given = _given(args)
    out = args.out or f"{Path(args.text_file).name.removesuffix('.xz').rsplit('.', 1)[0]}-" \
                      f"{given.get('cell', 'lstm')}-{given.get('layers', 2)}x{given.get('hidden', 256)}.safetensors"
    _check_paths(args.text_file, out)
    corpus = None
    saved: dict[str, Any] = {}
    resume_data = None
    if args.resume:
        _import_torch()
        from ..train.trainer import read_resume

        resume_data = read_resume(Path(f"{out}.resume.pt"))
        saved = {k: v for k, v in resume_data["options"].items() if k in DEFAULTS}
        for k, v in given.items():
            if k not in RESUME_MAY_CHANGE and k in saved and saved[k] != v:
                raise UserError(f"--resume: --{k.replace('_', '-')} {v} differs from the run being resumed "
                                f"({saved[k]}); only {', '.join(sorted(RESUME_MAY_CHANGE))} may change")
    values = {**DEFAULTS, **saved, **given}
    if args.resume and ("time_budget" in given or "max_steps" in given):
        values["time_budget"] = given.get("time_budget")
        values["max_steps"] = given.get("max_steps")
    if values["time_budget"] is None and values["max_steps"] is None:
        values["time_budget"] = DEFAULT_BUDGET
    from ..train.data import prepare

    if not args.resume:
        corpus = prepare(args.text_file, values["batch"], values["seq_len"], values["val_frac"])
        _import_torch()
    from ..train.trainer import Trainer, TrainOptions

    opts = TrainOptions(text_file=args.text_file, out=out, resume=bool(args.resume), **values)
    trainer = Trainer(opts, corpus=corpus, resume_data=resume_data)
    result = trainer.run()
    return 0 if result.best_val is not None else 1


# -- progress display ------------------------------------------------------------------
