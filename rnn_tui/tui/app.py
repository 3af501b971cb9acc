"""The viewer: the app, its keys, and how a change in the session reaches the screen.

Every key only changes the session or the selection and calls `_touch()`; the
widgets are brought up to date once per frame in `_sync()` (coalesced with
`call_later` for key presses, once per timer tick while playing). Widgets
refresh only the lines that changed, and nothing changes the layout except a
resize, a layer/quantity change or a new model.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import textual.constants
from rich.text import Text
from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.widgets import Footer, Static

from ..core.checkpoint import Checkpoint, load
from ..core.safe import safe_text
from ..core.sampling import Sampler
from ..core.session import PICKED, Session
from ..core.text import unescape
from . import palette
from .commands import BindingCommands
from .heatmap import HeatmapPanel
from .meter import ByteMeter
from .predictions import PredictionsPanel, predict, top_ids
from .screens import ForceChar, HelpScreen, TextPrompt
from .textview import TextFrame, TextView
from .timeline import TimelineFrame, TimelinePanel

SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500)  # steps per second while playing
DEFAULT_SPEED = 5  # slow enough for a class to read the text as it is written
# While playing, the heatmaps, the timeline strip and the predictions (the costly part: ~768 two-colour
# cells, 20-26 KB a full frame at 120×40, and ~80 % of the cells change colour every step) repaint only
# while the bytes really written to the terminal over the last second leave room for one more such frame
# (issue #3: <= 40 KB/s, over SSH too); the text and the status follow every frame. 0 = no limit, for a
# projector on the local machine. Paused, every key repaints everything.
DEFAULT_MAX_KBPS = 40.0
# The bucket (meter.py) holds play to the budget × time plus one frame, and one map repaint is ~40 KB in
# truecolor: over the few seconds anyone measures, that frame would be ~10 % over, so it drains at 90 %.
DRAIN = 0.9
STATUS_FPS = 4  # status line repaints a second while playing
TEMPERATURE_STEP = 0.2
MAX_TEMPERATURE = 2.0
MODES = ("sample", "argmax", "top-k")
TOP_K = 5
MIN_SIZE = (64, 20)  # the smallest terminal the layout works in
COMPACT_HEIGHT = 32


def _b(key: str, action: str, description: str, id: str, show: bool = False, key_display: str | None = None) -> Binding:
    return Binding(key, action, description, show=show, key_display=key_display, id=id)


class StatusBar(Static):
    """One line: model, step, sampler, speed. Repainted only when its text changes."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; }
    """

    def show(self, text: Text) -> None:
        if text.plain != getattr(self, "_last", None):
            self._last = text.plain
            self.update(text)


class RnnApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "rnn-tui"
    COMMANDS = App.COMMANDS | {BindingCommands}
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        _b("space", "play_pause", "Play/pause", "play", show=True, key_display="space"),
        _b("right,full_stop", "step", "Step", "step", show=True, key_display="→"),
        _b("left,comma", "back", "Back", "back", show=True, key_display="←"),
        _b("right_square_bracket", "forward(10)", "10 forward", "forward10", key_display="]"),
        _b("left_square_bracket", "back(10)", "10 back", "back10", key_display="["),
        _b("plus,equals_sign", "speed(1)", "Faster", "faster", key_display="+"),
        _b("minus", "speed(-1)", "Slower", "slower", key_display="-"),
        _b("t", "temperature(-1)", "Cooler", "cooler", show=True, key_display="t/T"),
        _b("T", "temperature(1)", "Hotter", "hotter"),
        _b("m", "mode", "Sampling mode", "mode"),
        *[_b(str(k), f"take({k})", f"Take candidate {k}", f"take{k}") for k in range(1, 6)],
        _b("f", "force", "Force a character", "force"),
        _b("p", "prime", "Type a prime", "prime"),
        _b("r", "reset", "Reset", "reset"),
        _b("l", "layer(1)", "Next layer", "layer_next", show=True, key_display="l/L"),
        _b("L", "layer(-1)", "Previous layer", "layer_prev"),
        _b("g", "quantity", "Next quantity", "quantity", show=True),
        _b("c", "colour", "Colour text on/off", "colour"),
        _b("n", "goto_unit", "Go to unit", "goto_unit"),
        _b("up,k", "move(0,-1)", "Unit: row up", "unit_up", key_display="↑"),
        _b("down,j", "move(0,1)", "Unit: row down", "unit_down", key_display="↓"),
        _b("shift+left,h", "move(-1,0)", "Unit: previous", "unit_prev", key_display="⇧←"),
        _b("shift+right,semicolon", "move(1,0)", "Unit: next", "unit_next", key_display="⇧→"),
        _b("ctrl+s", "screenshot", "Save SVG screenshot", "screenshot"),
        _b("question_mark", "help", "Help", "help", show=True, key_display="?"),
        _b("q", "quit", "Quit", "quit", show=True),
    ]

    def __init__(self, checkpoint: Checkpoint, *, seed: int = 0, temperature: float = 0.8, prime: str | None = None,
                 fps: float = 30.0, glyphs: bool | None = None, speed: int = DEFAULT_SPEED,
                 max_kbps: float = DEFAULT_MAX_KBPS) -> None:
        super().__init__()
        self.checkpoint = checkpoint
        self.config = checkpoint.config
        self.vocab = checkpoint.vocab
        self.quantities = self.config.quantities
        # Textual takes NO_COLOR out of the environment and records it here
        self.glyph_mode = self.no_color if glyphs is None else glyphs
        mode = "argmax" if temperature == 0 else "sample"
        self.session = Session(checkpoint.model(), self.vocab, prime=prime or "",
                               sampler=Sampler(temperature=temperature, mode=mode, top_k=TOP_K, seed=seed))
        self.fps = fps
        self.speed = speed
        self.layer = self.config.layers - 1  # the top layer is where the interpretable units tend to be
        self.quantity = len(self.quantities) - 1  # h
        self.unit = 0
        self.coloured = True
        self.playing = False
        self._wanted: tuple[int, int] | None = None  # display values to prepare on a worker
        self._status_at = 0.0
        self._carry = 0.0
        self._pending = False
        self._series_key: tuple | None = None
        self._series_start = 0
        self._series = np.zeros(0, dtype=np.float32)
        self.max_kbps = max_kbps
        self.byte_budget = int(max_kbps * 1024)  # bytes/s while playing; 0 = unlimited
        self.meter = ByteMeter()
        self.detail_bytes = 0  # bytes of the last frame that repainted the maps, as measured
        self._detail_frame = False  # the next frame written carries a repaint of the maps
        self._maps_at: tuple | None = None  # (revision, cursor) the maps show

    # -- building -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Container(id="main"):
            with Horizontal(id="top"):
                yield TextView(self.vocab.glyphs, self.vocab.index.get("\n"), value_rows=self.glyph_mode, id="text")
                yield PredictionsPanel(id="predictions")
            yield HeatmapPanel(self.quantities, self.config.hidden, self.config.kind.signed, glyphs=self.glyph_mode,
                               id="heatmap")
            yield TimelinePanel(self.vocab.glyphs, self.config.hidden, glyph_mode=self.glyph_mode, id="timeline")
        yield Static(id="too-small")
        yield Footer()

    def on_mount(self) -> None:
        self.text_view = self.query_one(TextView)
        self.heatmap = self.query_one(HeatmapPanel)
        self.timeline = self.query_one(TimelinePanel)
        self.predictions = self.query_one(PredictionsPanel)
        self.status = self.query_one(StatusBar)
        self.heatmap.focus_q = self.quantity
        if self._driver is not None:
            self.meter.install(self._driver, self._on_frame)
        self._set_palette()
        self.timer = self.set_interval(1 / self.fps, self.tick, pause=True)
        self._arrange(self.size.width, self.size.height)
        self._touch()

    def _set_palette(self) -> None:
        """A 16-colour terminal gets maps made for 16 colours (palette.py says why).

        TEXTUAL_COLOR_SYSTEM, when set, is what Textual renders with; otherwise the colour system
        Rich detected, except headless (tests, benchmarks), where there is no terminal to detect.
        """
        forced = textual.constants.COLOR_SYSTEM
        system = forced if forced != "auto" else (None if self.is_headless else self.console.color_system)
        palette.use_standard_colours(system in ("standard", "windows"))
        for widget in (self.heatmap, self.timeline, self.text_view):
            widget._cache.clear()
            widget.refresh()

    def on_resize(self, event: events.Resize) -> None:
        if not hasattr(self, "timeline"):
            return  # the first resize comes before mount, which arranges
        self._arrange(event.size.width, event.size.height)
        self._touch()

    def _arrange(self, width: int, height: int) -> None:
        """Share the rows between panels; the text takes what the others leave."""
        too_small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.screen.set_class(too_small, "-too-small")
        self.query_one("#too-small", Static).update(
            Text(f"terminal too small: need at least {MIN_SIZE[0]}×{MIN_SIZE[1]} (now {width}×{height})",
                 justify="center"))
        compact = height < COMPACT_HEIGHT
        self.screen.set_class(compact, "-compact")
        if too_small:
            return
        timeline_rows = 4 if compact else (8 if height < 48 else 12)
        text_rows = 6 if compact else max(8, height // 4)
        gaps = 0 if compact else 2
        room = height - 2 - timeline_rows - text_rows - gaps
        self.timeline.styles.height = timeline_rows
        self.heatmap.set_space(width - 2, max(3, room))

    # -- the frame ---------------------------------------------------------------------

    def _touch(self) -> None:
        """Ask for one `_sync` after the keys already queued: many presses, one frame."""
        if not self._pending:
            self._pending = True
            self.call_later(self._flush_frame)

    def _flush_frame(self) -> None:
        self._pending = False
        self._sync()

    def tick(self) -> None:
        """One frame of play: speed/fps steps (carried over when fractional), then one sync.

        A frame without a step still repaints the maps when they are behind and the budget has
        room again, so they catch up as soon as the bandwidth allows rather than at the next step.
        """
        self._carry += self.speed / self.fps
        n = int(self._carry)
        if n:
            self._carry -= n
            self.session.forward(n)
        if n or self.maps_behind:
            detail = self._detail_due()
            if n or detail:
                self._sync(detail=detail)

    @property
    def maps_behind(self) -> bool:
        """Do the heatmaps, strip and predictions show an earlier step than the text?"""
        return self._maps_at != (self.session.revision, self.session.cursor)

    def _detail_due(self) -> bool:
        """While playing: is there room in the budget for a repaint of the maps in this frame?

        Room means every byte measured so far has drained at the budget's rate (meter.py).
        """
        return not self.byte_budget or self.meter.debt(self.byte_budget * DRAIN) == 0.0

    def _on_frame(self, size: int) -> None:
        """A frame went out (`size` bytes, measured): if it carried the maps, remember its size."""
        if self._detail_frame:
            self._detail_frame = False
            self.detail_bytes = size

    def _series_values(self, start: int, end: int, wait: bool = True) -> np.ndarray | None:
        """The selected unit's value at positions [start, end), kept while the selection and timeline hold.

        Only the window on screen is kept: extended at the end as the cursor moves on, recomputed
        when the view jumps (a rewind far back), dropped when the session's revision changes. A jump
        that needs any block computed returns None unless `wait`: the blocks are
        prepared on a worker thread and the text is coloured once they are ready, so a rewind never
        waits for ~0.1 s of arithmetic that only colours the history.
        """
        s = self.session
        key = (self.layer, self.quantity, self.unit, s.revision)
        have0, have1 = self._series_start, self._series_start + len(self._series)
        if key != self._series_key or not have0 <= start <= have1:
            if not wait and s.missing(start, end):
                self._want_display(start, end)
                return None
            self._series_key, self._series_start = key, start
            self._series = np.zeros(0, dtype=np.float32)
            have0 = have1 = start
        if have1 < end:
            extra = s.series(have1, end, self.layer, self.quantity, slice(self.unit, self.unit + 1))[:, 0]
            self._series = np.concatenate([self._series, extra])
        if start - have0 > 8192:  # forget what has scrolled far out of view: memory stays bounded
            self._series, self._series_start = self._series[start - have0 :], start
            have0 = start
        return self._series[start - have0 : end - have0]

    def _want_display(self, start: int, end: int) -> None:
        """Positions whose display values are to be computed off the UI thread after this sync."""
        a, b = self._wanted or (start, end)
        self._wanted = (min(a, start), max(b, end))

    @work(thread=True, exclusive=True, group="display")
    def _prepare_display(self, start: int, end: int) -> None:
        self.session.prepare(start, end)
        try:
            self.call_from_thread(self._touch)
        except RuntimeError:  # the app closed while this ran: nothing left to colour
            pass

    def _sync(self, detail: bool = True) -> int:
        """Bring the widgets up to date; `detail` False leaves the maps, strip and predictions as they are.

        Returns how many cells it asked to repaint (0 when nothing changed).
        """
        s = self.session
        if not self.is_mounted or self.screen.has_class("-too-small"):
            return 0
        cur = s.cursor
        qname = self.quantities[self.quantity]
        signed = qname in self.config.kind.signed
        # text: the history that fits, then the redo trail after a rewind
        start = max(0, cur + 1 - self.text_view.capacity())
        end = min(s.length, cur + 1 + self.text_view.size.width * 3)
        values = self._series_values(start, cur + 1, wait=False) if self.coloured else None
        levels = None if values is None else palette.quantise(values, signed)
        text_cells = self.text_view.update_frame(
            TextFrame(start, s.ids(start, end), s.kinds(start, end), cur, levels, signed))
        heat_cells = 0
        strip_ready = True
        if detail:
            heat_cells += self.heatmap.update_state(s.acts[self.layer], self.unit)
            t0 = self.timeline.page_start(cur)
            # after a jump, the strip's history is computed with the text's, off the UI thread;
            # it keeps its last frame (marked ≈) for the moment that takes
            strip_ready = not s.missing(t0, cur + 1)
            if not strip_ready:
                self._want_display(t0, cur + 1)
        if detail and strip_ready:
            band_n = self.timeline.band_units
            b0 = min(max(0, self.unit - band_n // 2), max(0, self.config.hidden - band_n))
            b0 -= b0 % 2 if not self.glyph_mode else 0
            b0 = max(0, min(b0, self.config.hidden - band_n))
            band = s.series(t0, cur + 1, self.layer, self.quantity, slice(b0, b0 + band_n)).T
            heat_cells += self.timeline.update_frame(TimelineFrame(
                t0, s.ids(t0), s.kinds(t0), self.unit, qname, signed,
                palette.quantise(self._series_values(t0, cur + 1), signed), b0, palette.quantise(band, signed)))
        if detail:
            self._maps_at = (s.revision, cur)
            self._detail_frame = True
        pred_cells = 0
        if detail:
            # the predictions panel is repainted whole (about 5 KB at 120×40), so it keeps the detail pace
            taken = int(s.ids(cur, cur + 1)[0]) if cur >= 0 else None
            prev = s.probabilities(cur - 1) if cur >= 1 else None
            pred_cells = self.predictions.update_prediction(
                predict(s.probabilities(), self.vocab.glyphs, TOP_K, taken, prev))
        behind = self.maps_behind
        self.heatmap.set_stale(behind)
        self.timeline.set_stale(behind or not strip_ready)
        if self._wanted:
            self._prepare_display(*self._wanted)
            self._wanted = None
        now = time.monotonic()
        if not self.playing or detail or now - self._status_at >= 1 / STATUS_FPS:
            # while playing, the step counter is rewritten a few times a second, not every frame:
            # the whole line at 30 fps was ~25 KB/s of the 40 KB/s budget
            self._status_at = now
            self.status.show(self._status_text())
        return heat_cells + text_cells + pred_cells

    def _status_text(self) -> Text:
        s, c = self.session, self.config
        value = float(s.acts[self.layer, self.quantity, self.unit]) if s.cursor >= 0 else 0.0
        wide = self.size.width >= 110
        parts = [
            (f"{'▶' if self.playing else '❚❚'} {self.speed}/s", "bold reverse" if self.playing else "bold"),
            (safe_text(self.checkpoint.name, 40), "bold"),
            (f"{c.cell.upper()} {c.layers}×{c.hidden}", ""),
            (f"layer {self.layer + 1}/{c.layers}" if wide else f"L{self.layer + 1}/{c.layers}", ""),
            (f"{'unit ' if wide else ''}{self.quantities[self.quantity]}{self.unit} {value:+.2f}", "bold"),
            (f"step {s.cursor}" + (f" +{s.length - s.cursor - 1} ahead" if s.can_redo else ""), ""),
            (f"T {s.sampler.temperature:.1f} {s.sampler.describe()}", ""),
            (f"seed {s.sampler.seed}", "dim"),
        ]
        text = Text(no_wrap=True, overflow="ellipsis")
        for k, (part, style) in enumerate(parts):
            if k:
                text.append(" │ ", "dim")
            text.append(part, style)
        return text

    # -- actions: time -----------------------------------------------------------------

    def action_play_pause(self) -> None:
        self.playing = not self.playing
        if self.playing:
            self._carry = 0.0
            self.meter.forgive()
            self.timer.resume()
        else:
            self.timer.pause()  # the key's own sync repaints the heatmaps at the cursor
        self._touch()

    def action_step(self) -> None:
        self.session.step()
        self._touch()

    def action_back(self, n: int = 1) -> None:
        self.session.back(n)
        self._touch()

    def action_forward(self, n: int) -> None:
        self.session.forward(n)
        self._touch()

    def action_speed(self, delta: int) -> None:
        k = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.speed))
        self.speed = SPEEDS[max(0, min(len(SPEEDS) - 1, k + delta))]
        self._touch()

    def action_reset(self) -> None:
        self.session.reset(self._prime)  # bumps the session's revision, which drops cached values
        self._touch()

    @property
    def _prime(self) -> str:
        return getattr(self, "_prime_text", "") or ""

    # -- actions: sampling -----------------------------------------------------------------

    def action_temperature(self, direction: int) -> None:
        s = self.session
        t = round(min(MAX_TEMPERATURE, max(0.0, s.sampler.temperature + direction * TEMPERATURE_STEP)), 1)
        s.sampler = s.sampler.with_(temperature=t)
        self._touch()

    def action_mode(self) -> None:
        s = self.session
        mode = s.sampler.mode
        nxt = MODES[(MODES.index(mode) + 1) % len(MODES)] if mode in MODES else MODES[0]
        s.sampler = s.sampler.with_(mode=nxt)
        self._touch()

    def action_take(self, rank: int) -> None:
        ids = top_ids(self.session.probabilities(), TOP_K)
        if rank <= len(ids):
            self._choose(ids[rank - 1], PICKED)

    def _choose(self, char_id: int, kind: int | None = None) -> None:
        s = self.session
        s.choose(char_id) if kind is None else s.choose(char_id, kind)
        self._touch()

    def action_force(self) -> None:
        def done(ch: str | None) -> None:
            if ch is None:
                return
            if ch not in self.vocab:
                self.notify(f"{safe_text(ch)!r} is not in the model's vocabulary", severity="warning", markup=False)
                return
            self._choose(self.vocab.index[ch])

        self.push_screen(ForceChar(), done)

    def action_prime(self) -> None:
        def done(raw: str | None) -> None:
            if not raw:
                return
            text = unescape(raw)
            unknown = self.vocab.unknown(text)
            if unknown:
                self.notify(f"not in the model's vocabulary: {safe_text(''.join(unknown))} — nothing fed",
                            severity="warning", markup=False)
                return
            self.feed(text)

        hint = r"Teacher-forced from the cursor. \n newline, \t tab, \\ backslash."
        self.push_screen(TextPrompt("Prime the model", hint, "ROMEO:\\n"), done)

    def feed(self, text: str) -> None:
        self.session.feed(text)
        self._touch()

    # -- actions: what to look at ---------------------------------------------------------

    def action_layer(self, delta: int) -> None:
        self.layer = (self.layer + delta) % self.config.layers
        self._touch()

    def action_quantity(self) -> None:
        self.quantity = (self.quantity + 1) % len(self.quantities)
        self.heatmap.set_focus_quantity(self.quantity)
        self._touch()

    def action_colour(self) -> None:
        self.coloured = not self.coloured
        self._touch()

    def action_move(self, dx: int, dy: int) -> None:
        cols = self.heatmap.layout_.cols
        self.select_unit(self.unit + dx + dy * cols)

    def select_unit(self, unit: int) -> None:
        self.unit = max(0, min(self.config.hidden - 1, unit))
        self._touch()

    def on_heatmap_panel_unit_clicked(self, message: HeatmapPanel.UnitClicked) -> None:
        self.select_unit(message.unit)

    def action_goto_unit(self) -> None:
        def done(raw: str | None) -> None:
            if not raw:
                return
            try:
                n = int(raw)
            except ValueError:
                n = -1
            if not 0 <= n < self.config.hidden:
                self.notify(f"units are numbered 0 to {self.config.hidden - 1}", severity="warning")
                return
            self.select_unit(n)

        self.push_screen(TextPrompt("Go to unit", f"A number from 0 to {self.config.hidden - 1}.", integer=True), done)

    # -- actions: other ------------------------------------------------------------------

    def action_screenshot(self) -> None:
        name = f"rnn-tui-{self.checkpoint.name}-step{self.session.cursor}.svg"
        path = self.save_screenshot(filename=name, path=str(Path.cwd()))
        self.notify(f"saved {safe_text(path)}", markup=False)

    def action_help(self) -> None:
        rows = [(b.key_display or b.key, b.description) for b in self.BINDINGS
                if not b.id.startswith(("take", "hotter", "layer_prev"))]
        rows.insert(10, ("1…5", "Take candidate 1…5"))
        rows += [("ctrl+p", "Command palette"), ("click", "Select a unit in a heatmap")]
        legend = ("Text: dim = primed, bold = picked, underlined italic = forced, reversed = newest. "
                  "Gates (i f o r z) 0…1 dark→bright; tanh quantities (g n c h) −1…1 blue→black→red."
                  + (" No colour: density = |value|, ░▒▓█ positive, .-=# negative." if self.glyph_mode else "")
                  + f"\nPlaying writes at most {self._budget_text()} to the terminal (--max-kbps; 0 = no limit); "
                  "when the maps cannot keep up, their titles dim and show ≈ until they catch up.")
        self.push_screen(HelpScreen(rows, legend))


    def _budget_text(self) -> str:
        return "any number of KB/s" if not self.byte_budget else f"{self.max_kbps:g} KB/s"


def build_app(checkpoint: Checkpoint | str | Path, *, seed: int = 0, temperature: float = 0.8, prime: str | None = None,
              fps: float = 30.0, glyphs: bool | None = None, speed: int = DEFAULT_SPEED,
              max_kbps: float = DEFAULT_MAX_KBPS) -> RnnApp:
    """The app for a checkpoint (or its path): what `rnn-tui` runs and what the tests drive."""
    ckpt = checkpoint if isinstance(checkpoint, Checkpoint) else load(checkpoint)
    app = RnnApp(ckpt, seed=seed, temperature=temperature, prime=prime, fps=fps, glyphs=glyphs, speed=speed,
                 max_kbps=max_kbps)
    app._prime_text = prime or ""
    return app


