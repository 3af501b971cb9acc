"""The viewer's main view: its panels, its keys and what each key does.

Where things live:
- engine/: the frame loop (frames.py), the Scene a frame shows (scene.py), the play clock and byte
  budget (budget.py), the selection (view_state.py, one immutable value: assigning `self.view` a new
  one repaints) and the colour maps (palette.py).
- panels/: the main view's widgets. A new panel is one file there: a `Panel` (or `LinePanel`)
  subclass whose `show(scene)` draws the frame and returns the cells it repainted (`DETAIL = False`
  if it is cheap enough to follow every frame while playing), one `yield` in `compose` below, and its
  rules in panels/panels.tcss.
- screens/: everything pushed over the main view, each file with its .tcss beside it. A new screen is
  one file there plus one binding here whose action pushes it; it reports back by posting a Message
  or through the push_screen callback, never by reaching into the app.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.widgets import Footer, Static

from ..core.checkpoint import Checkpoint, load
from ..core.safe import safe_text
from ..core.sampling import MODES
from ..core.session import PICKED
from ..core.text import unescape
from . import experiments
from .commands import BindingCommands
from .engine.budget import DEFAULT_MAX_KBPS, DEFAULT_SPEED
from .engine.frames import FrameLoop
from .engine.view_state import move
from .messages import Analysed, UnitClicked
from .panels import HeatmapPanel, PredictionsPanel, StatusPanel, TextPanel, TimelinePanel
from .panels.attention import AttentionPanel
from .panels.predictions import top_ids
from .panels.unit_equation import UnitEquationPanel
from .screens.dialogs import ForceChar, HelpScreen, TextPrompt
from .training_time import TrainingTimeKeys

TEMPERATURE_STEP = 0.2
MAX_TEMPERATURE = 2.0
MIN_SIZE = (64, 20)  # the smallest terminal the layout works in
COMPACT_HEIGHT = 32


def _b(key: str, action: str, description: str, id: str, show: bool = False, key_display: str | None = None,
       tooltip: str = "") -> Binding:
    return Binding(key, action, description, show=show, key_display=key_display, id=id, tooltip=tooltip)


class RnnApp(FrameLoop):
    CSS_PATH = ["app.tcss", "panels/panels.tcss"]
    TITLE = "rnn-tui"
    COMMANDS = FrameLoop.COMMANDS | {BindingCommands}

    # The footer shows the `show=True` ones, in this order; at 80 columns it has room for these six.
    # The help lists them all, in pairs where a key and its shift go together (help_rows).
    BINDINGS = [
        _b("space", "play_pause", "Play", "play", show=True, key_display="space", tooltip="Play or pause"),
        _b("right,full_stop", "step", "Step", "step", show=True, key_display="→"),
        _b("left,comma", "back", "Back", "back", show=True, key_display="←"),
        _b("right_square_bracket", "forward(10)", "10 forward", "forward10", key_display="]"),
        _b("left_square_bracket", "back(10)", "10 back", "back10", key_display="["),
        _b("plus,equals_sign", "speed(1)", "Faster", "faster", key_display="+"),
        _b("minus", "speed(-1)", "Slower", "slower", key_display="-"),
        _b("t", "temperature(-1)", "Cooler (lower temperature)", "cooler", key_display="t"),
        _b("T", "temperature(1)", "Hotter (higher temperature)", "hotter", key_display="T"),
        _b("m", "mode", "Sampling mode", "mode"),
        *[_b(str(k), f"take({k})", f"Take candidate {k}", f"take{k}") for k in range(1, 6)],
        _b("f", "force", "Force a character", "force"),
        _b("p", "prime", "Type a prime", "prime"),
        _b("r", "reset", "Restart from the prime", "reset"),
        _b("less_than_sign", "training_time(-1)", "Earlier training snapshot", "train_earlier", key_display="<"),
        _b("greater_than_sign", "training_time(1)", "Later training snapshot", "train_later", key_display=">"),
        _b("l", "layer(1)", "Layer", "layer_next", show=True, key_display="l", tooltip="Next layer"),
        _b("L", "layer(-1)", "Previous layer", "layer_prev"),
        _b("g", "quantity", "Next quantity", "quantity"),
        _b("c", "colour", "Colour text on/off", "colour"),
        _b("s", "scale", "Scale: per unit / shared", "scale"),
        _b("o", "order", "Order units", "order"),
        _b("z", "zoom", "Zoom the heatmaps", "zoom"),
        _b("n", "goto_unit", "Go to unit", "goto_unit"),
        _b("a", "find", "Find the neurons", "find", tooltip="Rank every unit by features of a text"),
        _b("u", "known_cell", "Next known cell", "known_cell"),
        _b("up,k", "move(0,-1)", "Unit: row up", "unit_up", key_display="↑ k"),
        _b("down,j", "move(0,1)", "Unit: row down", "unit_down", key_display="↓ j"),
        _b("shift+left,h", "move(-1,0)", "Unit: previous", "unit_prev", key_display="⇧← h"),
        _b("shift+right,semicolon", "move(1,0)", "Unit: next", "unit_next", key_display="⇧→ ;"),
        _b("e", "equation", "Unit's equations on/off", "equation", tooltip="the selected unit's step, with numbers"),
        _b("x", "clamp", "Clamp a unit or gate", "clamp", tooltip="hold at a value, or zero (ablate)"),
        _b("X", "release", "Release clamps", "release"),
        _b("M", "memory_span", "Memory span", "memory_span", tooltip="how far back the prediction depends"),
        _b("v", "side_by_side", "Side by side (RNN/GRU/LSTM/transformer)", "side_by_side"),
        _b("d", "sampling", "Sampling explained", "sampling", tooltip="the distribution before and after t, k, p"),
        _b("ctrl+s", "screenshot", "Save SVG screenshot", "screenshot"),
        _b("question_mark", "help", "Help", "help", show=True, key_display="?"),
        _b("q", "quit", "Quit", "quit", show=True),
    ]

    # -- building -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        c, v = self.config, self.vocab
        yield StatusPanel(id="status")
        with Container(id="main"):
            with Horizontal(id="top"):
                yield TextPanel(v.glyphs, v.index.get("\n"), v.index.get(" "), id="text")
                yield PredictionsPanel(id="predictions")
            if hasattr(self.session.model, "attention"):  # a transformer: its heads, instead of gate equations
                yield AttentionPanel(c.heads, v.glyphs, self.glyph_mode, id="equation", classes="-on")
            else:
                yield UnitEquationPanel(id="equation")
            yield HeatmapPanel(c.quantities, c.hidden, c.kind.signed, c.kind.state, c.kind.titles, id="heatmap")
            yield TimelinePanel(v.glyphs, c.hidden, id="timeline")
        yield Static(id="too-small")
        yield Footer()

    def mounted(self) -> None:
        self.heatmap = self.query_one(HeatmapPanel)
        self.arrange(self.size.width, self.size.height)

    def on_resize(self, event: events.Resize) -> None:
        if hasattr(self, "heatmap"):  # the first resize comes before mount, which arranges
            self.arrange(event.size.width, event.size.height)
            self.touch()

    def arrange(self, width: int, height: int) -> None:
        """Share the rows between panels; the text takes what the others leave (less when zoomed)."""
        too_small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.main.set_class(too_small, "-too-small")
        self.query_one("#too-small", Static).update(
            Text(f"terminal too small: need at least {MIN_SIZE[0]}×{MIN_SIZE[1]} (now {width}×{height})",
                 justify="center"))
        compact = height < COMPACT_HEIGHT
        self.main.set_class(compact, "-compact")
        if too_small:
            return
        timeline_rows = 4 if compact else (8 if height < 48 else 12)
        text_rows = 6 if compact or self.view.zoom else max(8, height // 4)
        gaps = 0 if compact else 2
        equation_rows = self.query_one(UnitEquationPanel).rows
        room = height - 2 - timeline_rows - text_rows - gaps - equation_rows
        self.query_one(TimelinePanel).styles.height = timeline_rows
        self.heatmap.set_space(width - 2, max(3, room))

    # -- actions: time -----------------------------------------------------------------

    def action_play_pause(self) -> None:
        self.play(not self.player.playing)

    def action_step(self) -> None:
        self.session.step()
        self.touch()

    def action_back(self, n: int = 1) -> None:
        self.session.back(n)
        self.touch()

    def action_forward(self, n: int) -> None:
        self.session.forward(n)
        self.touch()

    def action_speed(self, delta: int) -> None:
        self.player.change_speed(delta)
        self.touch()

    def action_reset(self) -> None:
        self.session.reset(self.prime)  # the last prime given, at launch or with p
        self.touch()

    training_time: TrainingTimeKeys | None = None
    time_moves = 0  # snapshots to move by, pressed while a replay runs

    def action_training_time(self, delta: int) -> None:
        """The same prime and seed through the model at an earlier or later step of its training. Presses
        made while a replay runs are added up and taken when it ends."""
        self.training_time = self.training_time or TrainingTimeKeys(self.checkpoint)
        self.time_moves += delta
        if not self.replaying:
            self.play(False)
            self._replay_training()

    def _replay_training(self) -> None:
        self.replaying = True  # the worker owns the session until it is done: no frames, no other keys
        delta, self.time_moves = self.time_moves, 0
        self._replay_worker(delta)

    @work(thread=True, exclusive=True, group="training-time")
    def _replay_worker(self, delta: int) -> None:
        try:
            line, stats = self.training_time.move(self.session, self.prime, self.vocab, delta)
        except Exception as e:  # a broken snapshot file is a line, and the viewer lives on
            line, stats = f"training snapshot: {e}", None
        self.call_from_thread(self._replayed, line, stats)

    def _replayed(self, line: str, stats) -> None:
        if stats is not None:
            self.stats = stats
        if self.time_moves:
            self._replay_training()
            return
        self.replaying = False
        self.clear_notifications()  # one line at a time, however fast the key is pressed
        self.notify(safe_text(line), markup=False, timeout=4)
        self.touch()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """While a training snapshot is replayed on a worker, only help and quit answer."""
        return not self.replaying or action in ("quit", "help", "training_time")

    # -- actions: sampling -----------------------------------------------------------------

    def action_temperature(self, direction: int) -> None:
        s = self.session
        t = round(min(MAX_TEMPERATURE, max(0.0, s.sampler.temperature + direction * TEMPERATURE_STEP)), 1)
        s.sampler = s.sampler.with_(temperature=t)
        self.touch()

    def action_mode(self) -> None:
        s = self.session
        s.sampler = s.sampler.with_(mode=MODES[(MODES.index(s.sampler.mode) + 1) % len(MODES)])
        self.touch()

    def action_take(self, rank: int) -> None:
        ids = top_ids(self.session.probabilities())
        if rank <= len(ids):
            self.session.choose(ids[rank - 1], PICKED)
            self.touch()

    def action_force(self) -> None:
        def done(ch: str | None) -> None:
            if ch is None:
                return
            if ch not in self.vocab:
                self.notify(f"{safe_text(ch)!r} is not in the model's vocabulary", severity="warning", markup=False)
                return
            self.session.choose(self.vocab.index[ch])
            self.touch()

        self.push_screen(ForceChar(), done)

    def action_prime(self) -> None:
        def done(raw: str | None) -> None:
            if not raw:
                return
            text = unescape(raw)
            unknown = self.vocab.unknown(text)
            if unknown:
                self.notify(f"not in the model's vocabulary: {safe_text(''.join(unknown), 40)} — nothing fed",
                            severity="warning", markup=False)
                return
            self.prime = text
            self.session.feed(text)
            self.touch()

        hint = r"Teacher-forced from the cursor; r restarts from it. \n newline, \t tab, \\ backslash."
        self.push_screen(TextPrompt("Prime the model", hint, "ROMEO:\\n"), done)

    # -- actions: what to look at ---------------------------------------------------------

    def action_layer(self, delta: int) -> None:
        self.view = self.view.next_layer(delta)

    def action_quantity(self) -> None:
        self.view = self.view.next_quantity()

    def action_colour(self) -> None:
        self.view = self.view.toggle_colour()

    def action_scale(self) -> None:
        self.view = self.view.toggle_scale()

    def action_order(self) -> None:
        self.view = self.view.next_order()
        self.notify(f"units ordered by {self.view.order}", timeout=2)

    def action_zoom(self) -> None:
        self.view = self.view.next_zoom()
        self.arrange(self.size.width, self.size.height)

    def action_move(self, dx: int, dy: int) -> None:
        v = self.view
        order = self.stats.order(v.layer, v.quantity, v.order)
        self.view = v.select(move(order, v.unit, dx + dy * self.heatmap.units_per_row))

    def on_unit_clicked(self, message: UnitClicked) -> None:
        self.view = self.view.select(message.unit)

    def action_goto_unit(self) -> None:
        hidden = self.config.hidden

        def done(raw: str | None) -> None:
            try:
                n = int(raw or "")
            except ValueError:
                n = -1
            if not 0 <= n < hidden:
                if raw:
                    self.notify(f"units are numbered 0 to {hidden - 1}", severity="warning")
                return
            self.view = self.view.select(n)

        self.push_screen(TextPrompt("Go to unit", f"A number from 0 to {hidden - 1}.", integer=True), done)

    # -- actions: the neuron finder (tui/neurons/) --------------------------------------------

    analysis = None  # the last analysis, kept so that the finder reopens at once

    def action_find(self) -> None:
        from ..analysis.analysed import passage_job
        from .screens.finder import FinderScreen

        job = self.analysis or passage_job(self.checkpoint, self.session.text(), "the text generated so far")
        self.push_screen(FinderScreen(job, self.show_unit, history=self.session.text))

    def on_analysed(self, message: Analysed) -> None:
        self.analysis = message.analysis

    def action_known_cell(self) -> None:
        from ..analysis.known_cells import next_known

        v, q = self.view, self.config.quantities
        cell = next_known(self.checkpoint, v.layer, q[v.quantity], v.unit)
        if cell is None:
            self.notify("this model carries no known cells: a finds them", timeout=3)
            return
        self.show_unit(cell.layer, cell.quantity, cell.unit)
        self.notify(f"{cell.label()}: {cell.name}, {cell.describe()}", timeout=3, markup=False)

    def show_unit(self, layer: int, quantity: str, unit: int) -> None:
        self.view = self.view.show(layer, self.config.quantities.index(quantity), unit)

    # -- actions: experiments (experiments.py) ---------------------------------------------

    def action_equation(self) -> None:
        self.query_one(UnitEquationPanel).toggle()
        self.arrange(self.size.width, self.size.height)
        self.touch()

    def action_clamp(self) -> None:
        def answered(raw: str | None) -> None:
            if not raw:
                return
            try:
                held = experiments.add_clamp(self.session, self.config, self.view.layer, raw)
            except ValueError as e:
                self.warn(str(e))
                return
            self.touch()
            if held:
                self.score_clamp()
            else:
                self.notify("clamps released")

        self.push_screen(experiments.clamp_prompt(self.session, self.config, self.view), answered)

    @work(thread=True, exclusive=True, group="clamp-loss")
    def score_clamp(self) -> None:
        line = experiments.clamp_cost(self.session, self.vocab, self.analysis)
        if line:
            self.call_from_thread(self.notify, line, timeout=6, markup=False)

    def action_release(self) -> None:
        self.session.set_clamp(None, "")
        self.touch()
        self.notify("clamps released")

    def action_memory_span(self) -> None:
        try:
            self.push_screen(experiments.memory_span(self.session, self.checkpoint, self.model_name))
        except ValueError as e:
            self.warn(str(e))

    def action_side_by_side(self) -> None:
        try:
            self.push_screen(experiments.side_by_side(self.session, self.checkpoint, self.model_name))
        except ValueError as e:
            self.warn(str(e))

    def action_sampling(self) -> None:
        def chosen(sampler) -> None:
            self.session.sampler = sampler
            self.touch()

        self.push_screen(experiments.sampling(self.session, self.vocab, chosen))

    def warn(self, line: str) -> None:
        """A one-line warning; the text may come from outside (a model's name, a typed answer)."""
        self.notify(safe_text(line), severity="warning", markup=False)

    # -- actions: other ------------------------------------------------------------------

    def action_screenshot(self) -> None:
        name = f"rnn-tui-{self.checkpoint.name}-step{self.session.cursor}.svg"
        path = self.save_screenshot(filename=name, path=str(Path.cwd()))
        self.notify(f"saved {safe_text(path)}", markup=False)

    def action_help(self) -> None:
        budget = "any number of KB/s" if not self.player.byte_budget else f"{self.player.max_kbps:g} KB/s"
        legend = ("Text: dim primed · bold picked · underlined forced · italic clamped · reversed newest.\n"
                  "Gates 0…1; signed quantities blue…background…red over each unit's own range (s: one "
                  "per grid)." + (" No colour: ░▒▓█ positive, .-=# negative." if self.glyph_mode else "")
                  + f"\nPlaying writes at most {budget} (--max-kbps); ≈ marks a panel catching up.")
        self.push_screen(HelpScreen(help_rows(self.BINDINGS), legend))


# Bindings that share one row of the help: the first one's id -> (the others' ids, keys, what)
HELP_GROUPS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "step": (("back",), "→ / ←", "Step forward / back"),
    "forward10": (("back10",), "] / [", "10 steps forward / back"),
    "faster": (("slower",), "+ / -", "Faster / slower"),
    "cooler": (("hotter",), "t / T", "Temperature down / up"),
    "take1": (("take2", "take3", "take4", "take5"), "1…5", "Take candidate 1…5"),
    "train_earlier": (("train_later",), "< / >", "Training snapshot: earlier / later"),
    "layer_next": (("layer_prev",), "l / L", "Next / previous layer"),
    "find": (("known_cell",), "a / u", "Find the neurons / next known cell"),
    "unit_up": (("unit_down",), "↑↓ k j", "Unit: a grid row up / down"),
    "unit_prev": (("unit_next",), "⇧←⇧→ h ;", "Unit: previous / next"),
    "equation": (("clamp", "release", "memory_span", "side_by_side", "sampling"), "e x/X M v d",
                 "Experiments (ctrl+p lists them)"),
}


def help_rows(bindings: list[Binding]) -> list[tuple[str, str]]:
    """(keys, what) for the help: every binding once, the groups above as one row each."""
    grouped = {other for others, _, _ in HELP_GROUPS.values() for other in others}
    rows: list[tuple[str, str]] = []
    for b in bindings:
        if b.id in grouped:
            continue
        _, keys, what = HELP_GROUPS.get(b.id, ((), b.key_display or b.key, b.description))
        rows.append((keys, what))
    return rows + [("ctrl+p", "Command palette (themes too)"), ("click", "Select a unit in a heatmap")]


def build_app(checkpoint: Checkpoint | str | Path, *, seed: int = 0, temperature: float = 0.8, prime: str | None = None,
              fps: float = 30.0, glyphs: bool | None = None, speed: int = DEFAULT_SPEED,
              max_kbps: float = DEFAULT_MAX_KBPS) -> RnnApp:
    """The app for a checkpoint (or its path): what `rnn-tui` runs and what the tests drive."""
    ckpt = checkpoint if isinstance(checkpoint, Checkpoint) else load(checkpoint)
    return RnnApp(ckpt, seed=seed, temperature=temperature, prime=prime or "", fps=fps, glyphs=glyphs, speed=speed,
                  max_kbps=max_kbps)
