"""`rnn-tui train TEXT_FILE ...`: flags, checks and the progress display.

Every check a user can fail (options, the file, its encoding and length) runs
before `import torch` (1.7 s), and each failure is one UserError line, exit
status 2, with nothing written. The display is a Rich live panel on a terminal
and plain log lines otherwise (a log file, a CI job, `nohup`).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from ..cells import CELLS
from ..errors import UserError
from ..evaluate import OneLineParser
from ..vocab import safe_text

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


def train_main(argv: list[str]) -> int:
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
        from .trainer import read_resume

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
    from .data import prepare

    if not args.resume:
        corpus = prepare(args.text_file, values["batch"], values["seq_len"], values["val_frac"])
        _import_torch()
    from .trainer import Trainer, TrainOptions

    opts = TrainOptions(text_file=args.text_file, out=out, resume=bool(args.resume), **values)
    trainer = Trainer(opts, corpus=corpus, resume_data=resume_data)
    result = trainer.run()
    return 0 if result.best_val is not None else 1


# -- progress display ------------------------------------------------------------------


def _fmt_time(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


def _eta(t: Any) -> float | None:
    o = t.opts
    left = []
    if o.time_budget:
        left.append(o.time_budget - t.elapsed)
    if o.max_steps and t.step and t.elapsed:
        left.append((o.max_steps - t.step) * t.elapsed / t.step)
    return max(0.0, min(left)) if left else None


def _fraction(t: Any) -> float:
    o = t.opts
    f = 0.0
    if o.max_steps:
        f = t.step / o.max_steps
    if o.time_budget:
        f = max(f, t.elapsed / o.time_budget)
    return min(1.0, f)


def _describe(t: Any) -> str:
    c = t.config
    enc = f"embedding {c.embed_dim}" if c.embed_dim else "one-hot"
    k = t.corpus
    return (f"{c.cell.upper()} {c.layers}×{c.hidden} ({enc}, {c.parameters():,} parameters) on {k.name}: "
            f"{len(k.train_ids):,} training / {len(k.val_ids):,} held-out characters, {len(k.vocab)} symbols, "
            f"{t.hardware}" + (f", resumed at step {t.step}" if t.opts.resume else ""))


def _bits(nats: float) -> str:
    return f"{nats:.4f} nats/char ({nats / math.log(2):.3f} bits/char)"


def _final_line(t: Any, result: Any, signal_name: str) -> str:
    best = (f"best val {_bits(result.best_val)} at step {result.best_step}" if result.best_val is not None
            else "no checkpoint")
    if result.interrupted:
        return (f"stopped by {signal_name or 'request'} after step {result.steps}: {best} saved to {result.out}; "
                f"continue with --resume")
    return (f"done: {result.steps} steps in {_fmt_time(result.seconds)} ({result.chars_per_second:,.0f} chars/s), "
            f"{best} saved to {result.out}")


class QuietReporter:
    """No output (tests, scripts that print their own summary)."""

    interval = 1e9

    def start(self, t: Any) -> None: ...
    def progress(self, t: Any, loss: float, lr: float) -> None: ...
    def validation(self, t: Any, val: float, text: str | None) -> None: ...
    def sample(self, t: Any, text: str) -> None: ...
    def finish(self, t: Any, result: Any, signal_name: str) -> None: ...


class PlainReporter(QuietReporter):
    """Log lines, for when stdout is not a terminal."""

    def __init__(self, stream: Any = None, interval: float = 10.0):
        self.stream = stream or sys.stdout
        self.interval = interval

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def start(self, t: Any) -> None:
        self._print(f"training {_describe(t)}")

    def progress(self, t: Any, loss: float, lr: float) -> None:
        eta = _eta(t)
        self._print(f"step {t.step}  loss {loss:.4f}  lr {lr:.2e}  {t.chars_per_second:,.0f} chars/s  "
                    f"elapsed {_fmt_time(t.elapsed)}" + (f"  eta {_fmt_time(eta)}" if eta is not None else ""))

    def validation(self, t: Any, val: float, text: str | None) -> None:
        mark = "  (best, saved)" if t.best_step == t.step else f"  (best {t.best_val:.4f} at step {t.best_step})"
        self._print(f"step {t.step}  val {_bits(val)}{mark}")
        if text:
            self.sample(t, text)

    def sample(self, t: Any, text: str) -> None:
        self._print("sample: " + safe_text(text))

    def finish(self, t: Any, result: Any, signal_name: str) -> None:
        self._print(_final_line(t, result, signal_name))


class RichReporter(PlainReporter):
    """A live panel: progress bar, loss, val loss, chars/s, ETA and the latest sample."""

    def __init__(self) -> None:
        super().__init__(interval=0.5)
        from rich.console import Console

        self.console = Console()
        self.live = None
        self.loss = self.lr = None
        self.text = ""
        self.val_line = "val: not yet"

    def _render(self, t: Any):
        from rich.console import Group
        from rich.panel import Panel
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        frac = _fraction(t)
        eta = _eta(t)
        stats = (f"step {t.step:,}   loss {self.loss:.4f}   lr {self.lr:.2e}   " if self.loss is not None
                 else f"step {t.step:,}   ") + f"{t.chars_per_second:,.0f} chars/s   elapsed {_fmt_time(t.elapsed)}" \
            + (f"   ETA {_fmt_time(eta)}" if eta is not None else "")
        bar = Table.grid(expand=True, padding=(0, 1))
        bar.add_column(ratio=1)
        bar.add_column(justify="right")
        bar.add_row(ProgressBar(total=1.0, completed=frac), f"{frac:4.0%}")  # a grid row ends its line
        parts: list[Any] = [Text(_describe(t), style="bold"), bar, Text(stats), Text(self.val_line)]
        if self.text:
            parts.append(Panel(Text(self.text), title="sample", title_align="left"))
        return Group(*parts)

    def start(self, t: Any) -> None:
        from rich.live import Live

        self.live = Live(self._render(t), console=self.console, refresh_per_second=4, transient=False)
        self.live.start()
        self._t = t

    def _refresh(self, t: Any) -> None:
        if self.live is not None:
            self.live.update(self._render(t))

    def progress(self, t: Any, loss: float, lr: float) -> None:
        self.loss, self.lr = loss, lr
        self._refresh(t)

    def validation(self, t: Any, val: float, text: str | None) -> None:
        self.val_line = f"val {_bits(val)}   best {t.best_val:.4f} at step {t.best_step:,} (saved)"
        if text:
            self.text = "\n".join(safe_text(line) for line in text.split("\n"))
        self._refresh(t)

    def sample(self, t: Any, text: str) -> None:
        self.text = "\n".join(safe_text(line) for line in text.split("\n"))
        self._refresh(t)

    def finish(self, t: Any, result: Any, signal_name: str) -> None:
        self._refresh(t)
        if self.live is not None:
            self.live.stop()
        self.console.print(_final_line(t, result, signal_name), markup=False, highlight=False)


def make_reporter() -> QuietReporter:
    return RichReporter() if sys.stdout.isatty() else PlainReporter()
