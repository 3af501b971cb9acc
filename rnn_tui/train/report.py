"""How a training run shows its progress: a Rich live panel on a terminal, plain lines otherwise."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..core.safe import safe_text

if TYPE_CHECKING:
    from ..core.cells import Config
    from .data import Corpus
    from .options import TrainOptions


@dataclass
class TrainResult:
    out: Path
    best_val: float | None
    best_step: int
    steps: int
    seconds: float
    chars_per_second: float
    hardware: str
    interrupted: bool
    provenance: dict[str, Any] = field(default_factory=dict)


class Run(Protocol):
    """What a reporter reads of a training run (the Trainer)."""

    opts: TrainOptions
    config: Config
    corpus: Corpus
    hardware: str
    step: int
    elapsed: float
    best_val: float | None
    best_step: int
    history: list[tuple[int, float, float | None]]

    @property
    def chars_per_second(self) -> float: ...


def _fmt_time(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


def _eta(t: Run) -> float | None:
    o = t.opts
    left = []
    if o.time_budget:
        left.append(o.time_budget - t.elapsed)
    if o.max_steps and t.step and t.elapsed:
        left.append((o.max_steps - t.step) * t.elapsed / t.step)
    return max(0.0, min(left)) if left else None


def _fraction(t: Run) -> float:
    o = t.opts
    f = 0.0
    if o.max_steps:
        f = t.step / o.max_steps
    if o.time_budget:
        f = max(f, t.elapsed / o.time_budget)
    return min(1.0, f)


def _describe(t: Run) -> str:
    c = t.config
    enc = f"embedding {c.embed_dim}" if c.embed_dim else "one-hot"
    k = t.corpus
    name = safe_text(k.name, 60)  # a file name: anyone's choice of characters
    return (f"{c.label} ({enc}, {c.parameters():,} parameters) on {name}: "
            f"{len(k.train_ids):,} training / {len(k.val_ids):,} held-out characters, {len(k.vocab)} symbols, "
            f"{t.hardware}" + (f", resumed at step {t.step}" if t.opts.resume else ""))


def _bits(nats: float) -> str:
    return f"{nats:.4f} nats/char ({nats / math.log(2):.3f} bits/char)"


def _final_line(t: Run, result: TrainResult, signal_name: str) -> str:
    best = (f"best val {_bits(result.best_val)} at step {result.best_step}" if result.best_val is not None
            else "no checkpoint")
    out = safe_text(result.out, 100)
    if result.interrupted:
        return (f"stopped by {signal_name or 'request'} after step {result.steps}: {best} saved to {out}; "
                f"continue with --resume")
    return (f"done: {result.steps} steps in {_fmt_time(result.seconds)} ({result.chars_per_second:,.0f} chars/s), "
            f"{best} saved to {out}")


class QuietReporter:
    """No output (tests, scripts that print their own summary)."""

    interval = 1e9
    sample_seconds: float | None = None  # a fresh sample this often (seconds), besides those at validations

    def start(self, t: Run) -> None: ...
    def progress(self, t: Run, loss: float, lr: float) -> None: ...
    def validation(self, t: Run, val: float, text: str | None) -> None: ...
    def sample(self, t: Run, text: str) -> None: ...
    def finish(self, t: Run, result: TrainResult, signal_name: str) -> None: ...
    def abort(self, t: Run) -> None:
        """The run ends with an error (its one line is printed by the caller): leave the terminal clean."""


class PlainReporter(QuietReporter):
    """Log lines, for when stdout is not a terminal."""

    def __init__(self, stream: Any = None, interval: float = 10.0):
        self.stream = stream or sys.stdout
        self.interval = interval

    def _print(self, line: str) -> None:
        print(safe_text(line), file=self.stream, flush=True)

    def start(self, t: Run) -> None:
        self._print(f"training {_describe(t)}")

    def progress(self, t: Run, loss: float, lr: float) -> None:
        eta = _eta(t)
        self._print(f"step {t.step}  loss {loss:.4f}  lr {lr:.2e}  {t.chars_per_second:,.0f} chars/s  "
                    f"elapsed {_fmt_time(t.elapsed)}" + (f"  eta {_fmt_time(eta)}" if eta is not None else ""))

    def validation(self, t: Run, val: float, text: str | None) -> None:
        mark = "  (best, saved)" if t.best_step == t.step else f"  (best {t.best_val:.4f} at step {t.best_step})"
        self._print(f"step {t.step}  val {_bits(val)}{mark}")
        if text:
            self.sample(t, text)

    def sample(self, t: Run, text: str) -> None:
        self._print("sample: " + safe_text(text))

    def finish(self, t: Run, result: TrainResult, signal_name: str) -> None:
        self._print(_final_line(t, result, signal_name))


class RichReporter(PlainReporter):
    """A live panel: progress bar, loss, val loss, chars/s, ETA and the latest sample."""

    def __init__(self, console: Any = None) -> None:
        super().__init__(interval=0.5)
        from rich.console import Console

        self.console = console or Console()
        self.live = None
        self.loss = self.lr = None
        self.text = ""
        self.text_step = 0
        self.val_line = "val: not yet"

    def _render(self, t: Run):
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
        parts.extend(self._extra(t))
        if self.text:
            parts.append(Panel(Text(self.text), title=f"sample at step {self.text_step:,}", title_align="left"))
        return Group(*parts)

    def _extra(self, t: Run) -> list[Any]:
        return []

    def start(self, t: Run) -> None:
        from rich.live import Live

        self.live = Live(self._render(t), console=self.console, refresh_per_second=4, transient=False)
        self.live.start()
        self._t = t

    def _refresh(self, t: Run) -> None:
        if self.live is not None:
            self.live.update(self._render(t))

    def progress(self, t: Run, loss: float, lr: float) -> None:
        self.loss, self.lr = loss, lr
        self._refresh(t)

    def validation(self, t: Run, val: float, text: str | None) -> None:
        self.val_line = f"val {_bits(val)}   best {t.best_val:.4f} at step {t.best_step:,} (saved)"
        if text:
            self.sample(t, text)
        self._refresh(t)

    def sample(self, t: Run, text: str) -> None:
        self.text = "\n".join(safe_text(line) for line in text.split("\n"))
        self.text_step = t.step
        self._refresh(t)

    def abort(self, t: Run) -> None:
        if self.live is not None:
            self.live.stop()

    def finish(self, t: Run, result: TrainResult, signal_name: str) -> None:
        self._refresh(t)
        if self.live is not None:
            self.live.stop()
        self.console.print(safe_text(_final_line(t, result, signal_name)), markup=False, highlight=False)


class WatchReporter(RichReporter):
    """`--watch`: the live panel plus a plot of the training and held-out loss, and a sample
    refreshed every `sample_seconds` (its time counts against the budget, not against chars/s).
    Sized to the terminal, so at 80×24 the whole panel stays on screen."""

    sample_seconds = 10.0

    def _plot_height(self) -> int:
        return max(3, min(12, self.console.height - 16))

    def _sample_lines(self) -> int:
        return max(1, self.console.height - 1 - 7 - (self._plot_height() + 4) - 2)

    def sample(self, t: Run, text: str) -> None:
        super().sample(t, text)
        self.text = "\n".join(self.text.split("\n")[-self._sample_lines():])

    def _extra(self, t: Run) -> list[Any]:
        from rich.panel import Panel
        from rich.text import Text

        from .plot import line_plot

        train = [(s, loss) for s, loss, _ in t.history]
        val = [(s, v) for s, _, v in t.history if v is not None]
        width = max(20, min(self.console.width, 120) - 12)
        grid, lo, hi = line_plot([train, val], width, self._plot_height(), x_max=max(t.step, 1))
        styles = {0: "cyan", 1: "bold magenta", -1: ""}
        out = Text()
        for r, row in enumerate(grid):
            label = f"{hi:6.2f} " if r == 0 else f"{lo:6.2f} " if r == len(grid) - 1 else " " * 7
            out.append(label + "┤", style="dim")
            for ch, owner in row:
                out.append(ch, style=styles[owner])
            out.append("\n")
        out.append(" " * 7 + "└" + "─" * width + "\n", style="dim")
        out.append(" " * 8 + f"step 0{'':>{max(1, width - 16)}}{t.step:>8,}", style="dim")
        legend = Text.assemble(("loss (nats/char): ", ""), ("training", "cyan"), ("  held-out", "bold magenta"))
        return [Panel(out, title=legend, title_align="left")]


Reporter = QuietReporter  # the interface: every reporter derives from it


def make_reporter(watch: bool = False) -> QuietReporter:
    if watch:
        return WatchReporter()
    return RichReporter() if sys.stdout.isatty() else PlainReporter()
