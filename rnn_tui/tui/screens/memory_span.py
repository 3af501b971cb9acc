"""The memory-span screen: which remembers longer? How much the next-character distribution moves when
the input k steps back changes.

On a bundled model it opens on every bundled cell type (RNN, GRU, LSTM: whatever
`bundled_per_cell` finds, so a new cell type joins by shipping a model) read on
the same text, each a median over many positions, since one position's curve is
mostly noise. `M` shows the viewer's own model at the cursor (with its clamp, if
one is on; what a model of one's own opens on): one random replacement per lag
first (under a second for k = 1…200), then the mean over three. `R` replaces
every lag by one chosen character instead, and `G` adds the gradient-saliency
curve, which needs torch and is imported only then. Before there are 200
characters of history, the text is the model's held-out passage.
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
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from ...analysis.memory_span import (
    DEFAULT_MAX_LAG,
    bundled_per_cell,
    full_window_positions,
    lag_grid,
    memory_span,
    spread_positions,
)
from ...core.cells import CELLS, Cell, Model
from ...core.checkpoint import Checkpoint
from ...core.safe import safe_text
from ...core.vocab import Vocab
from .. import torch_boundary
from ..panels.curve_plot import Curve, legible, plot
from .dialogs import ForceChar
from .help import show_help

PASSES = 3  # random replacements per lag, one pass each: the first curve comes quickly
MEDIAN_POSITIONS = 32
# characters every compared model reads before the cursor: enough for MEDIAN_POSITIONS positions at
# which a 256-character transformer's window is full (they come every 128 characters)
CONTEXT = 4352
MIN_FULL_WINDOWS = 8  # fewer full-window positions than this: spread positions instead, and say so
# the comparison's lowest decade: the long tails (a transformer's 1e-6 up to its window, an LSTM's
# 1e-7) lie far below the span's 1e-3, and float32 rounding (about 1e-12) far below them
COMPARE_FLOOR = 1e-8
CURSOR_FLOOR = 1e-4  # one position's curve: below this it is mostly noise
SALIENCY = ("∇", Style(color="#cc79a7"))
# lines of cell types without a marker of their own (Okabe-Ito colours, apart for colour-blind eyes)
LINE_COLOURS = ("#d55e00", "#0072b2", "#f0e442", "#999999")
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
    bundled: bool = False  # a bundled model: open on the cell types compared
    source: str = "the text up to the cursor"
    curves: dict[str, Curve] = field(default_factory=dict)
    # the models compared by cell type: one bundled model per cell that knows the text
    candidates: Callable[[str, str | None], dict[str, Checkpoint]] = bundled_per_cell



class PlotBox(Static):
    """The plot's box: it tells its screen when it changes size, so the curves are redrawn to fit it."""

    class Resized(Message):
        pass

    def on_resize(self) -> None:
        self.post_message(self.Resized())

class MemorySpanScreen(ModalScreen):
    CSS_PATH = Path(__file__).with_suffix(".tcss")  # beside this file, also for subclasses elsewhere
    BINDINGS = [
        Binding("escape,q", "dismiss", "Back", id="span.close"),
        Binding("v", "compare", "Cell types", id="span.compare",
                tooltip="compare the bundled RNN, GRU and LSTM: medians over positions of this text"),
        Binding("M", "cursor", "This model", id="span.cursor", tooltip="the viewer's model, at the cursor"),
        Binding("G", "saliency", "Gradient", id="span.saliency", tooltip="gradient saliency (needs torch)"),
        Binding("R", "replacement", "Replace with…", id="span.replacement",
                tooltip="replace every lag by one chosen character instead of random ones"),
        Binding("question_mark", "help", "Help", id="span.help"),
    ]

    def action_help(self) -> None:
        show_help(self, "Memory span keys")

    def __init__(self, request: SpanRequest) -> None:
        super().__init__()
        self.request = request
        self.mode = "compare" if request.bundled else "cursor"
        self.note = ""
        self.influence: np.ndarray | None = None  # KL per lag of the viewer's model at the cursor

    def compose(self) -> ComposeResult:
        yield Static(id="span-title")
        yield PlotBox(id="span-plot")
        yield Static(id="span-text")
        yield Static(id="span-note")
        yield Footer()

    def on_mount(self) -> None:
        self._title()
        if self.mode == "compare":
            self.run_compare()
        else:
            self.run_cursor()

    def on_resize(self) -> None:
        self._draw()

    def on_plot_box_resized(self, _message: PlotBox.Resized) -> None:
        self._draw()  # the plot is drawn to its box's height, known only once the box is laid out

    # -- what each key computes, on a worker ------------------------------------------------

    @work(thread=True, exclusive=True, group="span")
    def run_cursor(self, chosen: int | None = None) -> None:
        """The curve at the cursor: random replacements, refined pass by pass, or one chosen character."""
        r = self.request
        total = None
        label = r.model.config.cell
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
            curves = {label: self._curve(label, safe_text(r.name), curve.lags, mean, kind=r.model.config.kind)}
            self.app.call_from_thread(self._update, curves, note, mean)

    @work(thread=True, exclusive=True, group="span")
    def run_compare(self) -> None:
        """Each bundled cell type on the same text, as the median over positions spread along it."""
        r = self.request
        models = r.candidates(r.text, r.corpus)
        if not models:
            self.app.call_from_thread(self._update, {}, "no bundled model knows every character of this text", None)
            return
        # a transformer's window: lags run past it, to show where its memory ends
        windows = [ckpt.config.context for ckpt in models.values() if hasattr(ckpt.config, "context")]
        max_lag = max([DEFAULT_MAX_LAG, *(w + w // 8 for w in windows)])
        try:
            positions = spread_positions(len(r.text), max_lag, MEDIAN_POSITIONS)
        except ValueError as e:
            self.app.call_from_thread(self._update, {}, str(e), None)
            return
        full = None
        if windows:  # where every window is full, so the curve shows how far a window reaches
            full = full_window_positions(len(r.text), max_lag, MEDIAN_POSITIONS, windows[0])
            if len(full) >= MIN_FULL_WINDOWS and all(w == windows[0] for w in windows):
                positions = full
        lags = np.unique([*lag_grid(max_lag), *(k for w in windows for k in (w // 2, w, w + 1))])
        curves: dict[str, Curve] = {}
        for k, (cell, ckpt) in enumerate(models.items()):
            span = memory_span(ckpt.model(), ckpt.vocab.encode(r.text), positions=positions, lags=lags)
            if get_current_worker().is_cancelled:
                return
            curves[cell] = self._curve(cell, ckpt.config.label, span.lags, span.median(), k, ckpt.config.kind)
            note = (f"bundled models on {r.source}, median over {len(positions)} positions"
                    + _window_words(windows, positions is full))
            self.app.call_from_thread(self._update, dict(curves), note, None)

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
        self.run_compare()

    def action_cursor(self) -> None:
        self.mode = "cursor"
        self._title()
        self.run_cursor()

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

    def _curve(self, cell: str, name: str, lags: np.ndarray, values: np.ndarray, k: int = 0,
               kind: Cell | None = None) -> Curve:
        """A cell type's curve in its own letter and colour (the cell class, or the model's kind, says
        which), else the k-th of LINE_COLOURS; darkened on a light theme until it reads there."""
        kind = kind or CELLS.get(cell)
        if kind is not None:
            marker, colour = kind.marker
        else:
            marker, colour = cell[:1].upper() or "*", LINE_COLOURS[k % len(LINE_COLOURS)]
        theme = self.app.current_theme
        if colour and theme is not None and not theme.dark and theme.background:
            colour = legible(colour, theme.background)
        return Curve(name, marker, lags, values, Style(color=colour or None))

    def _update(self, curves: dict[str, Curve] | None, note: str, influence: np.ndarray | None) -> None:
        if curves is not None:
            self.request.curves = curves
        if influence is not None:
            self.influence = influence
        self.note = note
        self._draw()

    def _title(self) -> None:
        what = {"cursor": f"{safe_text(self.request.name)} at the cursor",
                "compare": "which cell type remembers longer?"}
        self.query_one("#span-title", Static).update(Text(f"Memory span: {what[self.mode]}", style="bold"))

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        curves = list(self.request.curves.values())
        plot_widget = self.query_one("#span-plot", Static)
        size = plot_widget.size
        if curves:
            width = size.width or self.app.size.width
            legend = _legend([Text(f"─{c.marker} {c.label}" + _span_words(c), style=c.style) for c in curves],
                             width)
            floor = COMPARE_FLOOR if self.mode == "compare" else CURSOR_FLOOR
            lines = plot(curves, width, max(3, (size.height or 10) - 2 - len(legend)), floor)
            plot_widget.update(Text("\n").join([*lines, *legend]))
        else:
            plot_widget.update(Text("computing…", style="dim"))
        self.query_one("#span-text", Static).update(self._influence_text(self.app.size.width))
        meaning = (f"Up: how far the next-character distribution moves (KL, nats) when the character k back is "
                   f"replaced. Span: the farthest k that still moves it {SPAN_THRESHOLD:g} nats. ")
        self.query_one("#span-note", Static).update(Text(meaning + self.note))

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


def _window_words(windows: list[int], full: bool) -> str:
    """What a transformer's level-then-nothing curve means, said on the screen."""
    if not windows:
        return ""
    w = windows[0]
    if full:
        return f" where T's window is full; T reads at most {w} characters back, nothing further"
    return (f"; T reads at most {w} characters back ({w // 2 + 1}-{w} after a restart; too little text "
            f"for full windows), nothing further")


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
