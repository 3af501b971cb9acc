"""The memory-span screen: how much the next-character distribution moves when the input k steps back changes.

Opens on the curve at the cursor for the model in the viewer (with its clamp,
if one is on), computed on a worker: one random replacement per lag first
(under a second for k = 1…200), then refined to the mean over three. Keys
compare the bundled cell types on the same text, switch to the median over many
positions of that text, replace every lag by one chosen character instead of
random ones, and add the gradient-saliency curve, which needs torch and is
imported only then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from ...analysis.memory_span import (
    DEFAULT_MAX_LAG,
    bundled_per_cell,
    lag_grid,
    memory_span,
    spread_positions,
)
from ...core.cells import Cell, Model
from ...core.checkpoint import Checkpoint
from ...core.safe import safe_text
from ...core.vocab import Vocab
from .. import torch_boundary
from ..panels.curve_plot import Curve, plot
from .dialogs import ForceChar

PASSES = 3  # random replacements per lag, one pass each: the first curve comes quickly
MEDIAN_POSITIONS = 32
CONTEXT = 2000  # characters every compared model reads before the cursor
SALIENCY = ("∇", Style(color="#cc79a7"))
# influence of a past character, as a background: 1e-4 nats and less is the screen's own
DENSITY = "░▒▓█"
SPAN_THRESHOLD = 1e-3  # nats: "remembers" a lag whose replacement moves the distribution this much
RAMP = ("#1f2a44", "#2c4a6e", "#2f6f8f", "#2f9a9a", "#4cc38a", "#a6d96a", "#fee08b")


@dataclass
class SpanRequest:
    """What the viewer hands over: the model as it runs now and the text before the cursor."""

    name: str
    model: Model
    vocab: Vocab
    window: np.ndarray  # ids of the last ≤ DEFAULT_MAX_LAG characters up to the cursor
    state: np.ndarray  # the exact state before window[0]
    text: str  # up to CONTEXT characters ending at the cursor, for comparisons and medians
    corpus: str | None = None
    curves: dict[str, Curve] = field(default_factory=dict)
    # the models compared by cell type: one bundled model per cell that knows the text
    candidates: Callable[[str, str | None], dict[str, Checkpoint]] = bundled_per_cell


class MemorySpanScreen(ModalScreen):
    CSS_PATH = Path(__file__).with_suffix(".tcss")  # beside this file, also for subclasses elsewhere
    BINDINGS = [
        Binding("escape,q", "dismiss", "Back", id="span.close"),
        Binding("c", "compare", "Cell types", id="span.compare", tooltip="the bundled RNN, GRU and LSTM on this text"),
        Binding("m", "median", "Median", id="span.median", tooltip="median over many positions of this text"),
        Binding("g", "saliency", "Gradient", id="span.saliency", tooltip="gradient saliency (needs torch)"),
        Binding("r", "replacement", "Replace with…", id="span.replacement",
                tooltip="replace every lag by one chosen character instead of random ones"),
    ]

    def __init__(self, request: SpanRequest) -> None:
        super().__init__()
        self.request = request
        self.mode = "cursor"  # or "compare", "median"
        self.note = ""
        self.influence: np.ndarray | None = None  # KL per lag of the viewer's model at the cursor

    def compose(self) -> ComposeResult:
        yield Static(id="span-title")
        yield Static(id="span-plot")
        yield Static(id="span-text")
        yield Static(id="span-note")
        yield Footer()

    def on_mount(self) -> None:
        self._title()
        self.run_cursor()

    def on_resize(self) -> None:
        self._draw()

    # -- what each key computes, on a worker ------------------------------------------------

    @work(thread=True, exclusive=True, group="span")
    def run_cursor(self, chosen: int | None = None) -> None:
        """The curve at the cursor: random replacements, refined pass by pass, or one chosen character."""
        r = self.request
        total = None
        label, kind = r.model.config.cell, r.model.config.kind
        for k in range(PASSES if chosen is None else 1):
            curve = memory_span(r.model, r.window, state=r.state, rng=np.random.default_rng(k), chosen=chosen)
            total = curve.kl[0] if total is None else total + curve.kl[0]
            mean = total / (k + 1)
            if get_current_worker().is_cancelled:
                return
            how = (f"mean over {k + 1} random replacement{'s' if k else ''} per lag" if chosen is None else
                   f"every lag replaced by {r.vocab.glyphs[chosen]!r} (no value where it was that already)")
            note = how + (f"; only {len(curve.lags)} characters of history, so lags stop there"
                          if curve.clipped else "")
            curves = {label: self._curve(kind, safe_text(r.name), curve.lags, mean)}
            self.app.call_from_thread(self._update, curves, note, mean)

    @work(thread=True, exclusive=True, group="span")
    def run_compare(self, median: bool) -> None:
        r = self.request
        models = r.candidates(r.text, r.corpus)
        if not models:
            self.app.call_from_thread(self._update, {}, "no bundled model knows every character of this text", None)
            return
        # a transformer's window: lags run past it, to show where its memory ends
        windows = [ckpt.config.context for ckpt in models.values() if hasattr(ckpt.config, "context")]
        max_lag = max([DEFAULT_MAX_LAG, *(w + w // 8 for w in windows)])
        if median:
            try:
                positions = spread_positions(len(r.text), max_lag, MEDIAN_POSITIONS)
            except ValueError as e:
                self.app.call_from_thread(self._update, {}, str(e), None)
                return
        lags = np.unique([*lag_grid(max_lag), *(k for w in windows for k in (w // 2, w, w + 1))])
        curves: dict[str, Curve] = {}
        for cell, ckpt in models.items():
            ids = ckpt.vocab.encode(r.text)
            if median:
                span = memory_span(ckpt.model(), ids, positions=positions, lags=lags)
            else:
                span = memory_span(ckpt.model(), ids, lags=np.arange(1, max_lag + 1))
            if get_current_worker().is_cancelled:
                return
            curves[cell] = self._curve(ckpt.config.kind, ckpt.config.label, span.lags, span.median())
            what = (f"median over {len(positions)} positions of the text" if median
                    else "the same text up to the cursor, one random replacement per lag")
            self.app.call_from_thread(self._update, dict(curves), f"bundled models, {what}" + _window_words(windows),
                                      None)

    @work(thread=True, exclusive=True, group="span")
    def run_saliency(self) -> None:
        saliency_curve = torch_boundary.saliency_curve()
        if saliency_curve is None:
            self.app.call_from_thread(self._update, None, torch_boundary.NEEDS_TORCH, None)
            return
        r = self.request
        lags, rel = saliency_curve(r.model, r.window, r.state)
        curves = dict(r.curves)
        curves["saliency"] = Curve("gradient norm, relative to lag 1", SALIENCY[0], lags, rel, SALIENCY[1])
        self.app.call_from_thread(self._update, curves, "∇: gradient of log p(top character), norm per lag", None)

    def action_compare(self) -> None:
        self.mode = "compare"
        self._title()
        self.run_compare(False)

    def action_median(self) -> None:
        self.mode = "median"
        self._title()
        self.run_compare(True)

    def action_saliency(self) -> None:
        self.run_saliency()

    def action_replacement(self) -> None:
        def done(ch: str | None) -> None:
            if ch is None:
                return
            if ch not in self.request.vocab:
                self._update(None, f"{safe_text(ch)!r} is not in the model's vocabulary", None)
                return
            self.mode = "cursor"
            self._title()
            self.run_cursor(self.request.vocab.index[ch])

        self.app.push_screen(ReplacementChar(), done)

    # -- drawing ----------------------------------------------------------------------------

    def _curve(self, kind: Cell, name: str, lags: np.ndarray, values: np.ndarray) -> Curve:
        marker, colour = kind.marker
        return Curve(name, marker, lags, values, Style(color=colour or None))

    def _update(self, curves: dict[str, Curve] | None, note: str, influence: np.ndarray | None) -> None:
        if curves is not None:
            self.request.curves = curves
        if influence is not None:
            self.influence = influence
        self.note = note
        self._draw()

    def _title(self) -> None:
        what = {"cursor": "at the cursor", "compare": "cell types", "median": "median over positions"}
        self.query_one("#span-title", Static).update(
            Text(f"Memory span, {what[self.mode]}: KL nats when the character k back is replaced", style="bold"))

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        curves = list(self.request.curves.values())
        plot_widget = self.query_one("#span-plot", Static)
        size = plot_widget.size
        if curves:
            width = size.width or self.app.size.width
            legend = _legend([Text(f"{c.marker} {c.label}" + _span_words(c), style=c.style) for c in curves], width)
            lines = plot(curves, width, max(3, (size.height or 10) - 2 - len(legend)))
            plot_widget.update(Text("\n").join([*lines, *legend]))
        else:
            plot_widget.update(Text("computing…", style="dim"))
        self.query_one("#span-text", Static).update(self._influence_text(self.app.size.width))
        self.query_one("#span-note", Static).update(Text(self.note))

    def _influence_text(self, width: int) -> Text:
        """The characters before the cursor, each on a background as strong as its influence, and
        under them the same as glyph density (for grey screens and NO_COLOR)."""
        if self.influence is None:
            return Text("")
        r = self.request
        n = min(len(self.influence), len(r.window), max(1, width - 10))
        glyphs = [r.vocab.glyphs[int(i)] for i in r.window[len(r.window) - n :]]
        kl = np.nan_to_num(self.influence[:n][::-1])  # lag n … lag 1, in reading order
        levels = np.clip(np.log10(np.maximum(kl, 1e-12) / 1e-4) / 5 * len(RAMP), -1, len(RAMP) - 1).astype(int)
        chars, density = Text("influence ", style="dim"), Text(f"{'nats':>9} ", style="dim")
        for g, level in zip(glyphs, levels.tolist(), strict=True):
            if level < 0:
                chars.append(g)
                density.append(" ")
                continue
            chars.append(g, Style(bgcolor=RAMP[level], color="#ffffff" if level < 4 else "#000000"))
            density.append(DENSITY[level * len(DENSITY) // len(RAMP)])
        return Text("\n").join([chars, density])


def _legend(items: list[Text], width: int) -> list[Text]:
    """The curves' names in lines of at most `width` (four models do not fit one line of 80)."""
    lines: list[Text] = [Text()]
    for item in items:
        if lines[-1].cell_len and lines[-1].cell_len + 3 + item.cell_len > width:
            lines.append(Text())
        if lines[-1].cell_len:
            lines[-1].append("   ")
        lines[-1].append_text(item)
    return lines


def _window_words(windows: list[int]) -> str:
    """What a transformer's flat-then-nothing curve means, said on the screen."""
    if not windows:
        return ""
    w = windows[0]
    return f"; T reads at most {w} characters back ({w // 2 + 1}-{w} after a restart), nothing further"


def _span_words(curve: Curve) -> str:
    """" span 21": the last lag whose influence reaches 1e-3 nats (gradient curves have no span)."""
    if curve.marker == SALIENCY[0]:
        return ""
    above = curve.lags[np.nan_to_num(curve.values) >= SPAN_THRESHOLD]
    return f" (span {int(above[-1]) if len(above) else 0})"


class ReplacementChar(ForceChar):
    """The next key typed is the character that replaces every lag."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Replace with which character?", style="bold"))
            yield Static(Text("Type it. Enter = newline, Tab = tab, Escape = cancel.", style="dim"))
