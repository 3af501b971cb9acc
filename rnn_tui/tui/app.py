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

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.widgets import Footer, Static

from ..core.checkpoint import Checkpoint, load
from ..core.files import FileProblem, create_new
from ..core.safe import safe_text
from ..core.sampling import MODES
from ..core.session import PICKED
from ..core.text import unescape
from .commands import BindingCommands
from .engine.budget import DEFAULT_MAX_KBPS, DEFAULT_SPEED
from .engine.frames import FrameLoop
from .engine.view_state import move
from .messages import Analysed, UnitClicked
from .panels import HeatmapPanel, PredictionsPanel, StatusPanel, TextPanel, TimelinePanel
from .panels.predictions import top_ids
from .panels.unit_equation import UnitEquationPanel
from .screens.lesson.keys import LESSON_BINDINGS, LessonKeys

if TYPE_CHECKING:  # the dialogs, screens and lessons load on first use: the first frame does not show them
    from ..lessons import Lesson
    from .training_time import TrainingTimeKeys

TEMPERATURE_STEP = 0.2
MAX_TEMPERATURE = 2.0
MIN_SIZE = (64, 20)  # the smallest terminal the layout works in


@dataclass(frozen=True)
class Rows:
    """Rows of the main view's panels at one terminal height (the heatmaps take `heatmap` at most)."""

    compact: bool  # no blank line between panels
    top: int  # the text and the predictions (0: hidden)
    timeline: int
    heatmap: int


CHROME_ROWS = 2  # the status line and the footer
PREDICTION_ROWS = 8  # "next char", five candidates, entropy, took: the predictions whole
EQUATION_ROWS = 10  # a unit's equations (UnitEquationPanel): an LSTM's six and their reading
COMPACT_HEIGHT = 32  # below it: no blank lines between panels, the timeline down to its two top rows
TALL_HEIGHT = 48  # from it: the timeline shows more units
TIMELINE_ROWS = {"compact": 2, "equations": 4, "normal": 8, "tall": 12}


def panel_rows(height: int, equations: bool, zoomed: bool, lesson: int = 0) -> Rows:
    """How the main view shares `height` rows (`lesson`: the rows of a lesson's panel). Every grid of an
    LSTM with 256 units fits at 80×24 (12 rows of grids); with the equations open there, they take the
    text's place (the timeline's character row goes too), so the grids stay."""
    compact = height < COMPACT_HEIGHT
    if compact:
        timeline = 0 if equations else TIMELINE_ROWS["compact"]
        top = 0 if equations else PREDICTION_ROWS
        margins = 0
    else:
        short = equations or lesson
        timeline = TIMELINE_ROWS["equations" if short else "tall" if height >= TALL_HEIGHT else "normal"]
        top = PREDICTION_ROWS if zoomed or short else max(PREDICTION_ROWS, height // 4)
        margins = 2 + equations  # above the heatmaps, the timeline and the equations
    heatmap = height - CHROME_ROWS - top - timeline - margins - (EQUATION_ROWS if equations else 0) - lesson
    return Rows(compact, top, timeline, heatmap)


def _b(key: str, action: str, description: str, id: str, show: bool = False, key_display: str | None = None,
       tooltip: str = "", group: Binding.Group | None = None) -> Binding:
    return Binding(key, action, description, show=show, key_display=key_display, id=id, tooltip=tooltip,
                   group=group)


# Keys that go together: one row of the help each (screens/help.py), found in the palette one by one
STEP = Binding.Group("Step forward / back")
JUMP = Binding.Group("10 steps forward / back")
SPEED = Binding.Group("Play faster / slower")
TEMPERATURE = Binding.Group("Temperature down / up")
TAKE = Binding.Group("Take candidate 1…5", compact=True)
SNAPSHOT = Binding.Group("Earlier / later snapshot")
LAYER = Binding.Group("Next / previous layer")
ROW = Binding.Group("Unit: row up / down")
UNIT = Binding.Group("Unit: previous / next")
CLAMP = Binding.Group("Clamp a unit / undo")


class RnnApp(LessonKeys, FrameLoop):
    CSS_PATH = ["app.tcss", "panels/panels.tcss", "screens/lesson/lesson.tcss"]
    TITLE = "rnn-tui"
    COMMANDS = FrameLoop.COMMANDS | {BindingCommands}

    # The footer shows the `show=True` ones, in this order; at 80 columns it has room for these six.
    # `?` lists them all, one row per group above. Tooltips hold the words a student would type in the
    # command palette (ctrl+p), which searches descriptions and tooltips.
    BINDINGS = [
        _b("space", "play_pause", "Play", "play", show=True, key_display="space", tooltip="Play or pause"),
        _b("right,full_stop", "step", "Step", "step", show=True, key_display="→ .", group=STEP),
        _b("left,comma", "back", "Back", "back", show=True, key_display="← ,", group=STEP),
        _b("right_square_bracket", "forward(10)", "10 forward", "forward10", key_display="]", group=JUMP),
        _b("left_square_bracket", "back(10)", "10 back", "back10", key_display="[", group=JUMP),
        _b("plus,equals_sign", "speed(1)", "Faster", "faster", key_display="+", group=SPEED),
        _b("minus", "speed(-1)", "Slower", "slower", key_display="-", group=SPEED),
        _b("t", "temperature(-1)", "Cooler (lower temperature)", "cooler", key_display="t", group=TEMPERATURE),
        _b("T", "temperature(1)", "Hotter (higher temperature)", "hotter", key_display="T", group=TEMPERATURE),
        _b("m", "mode", "Sampling mode", "mode", tooltip="sample, argmax, top-k, top-p"),
        *[_b(str(k), f"take({k})", f"Take candidate {k}", f"take{k}", group=TAKE) for k in range(1, 6)],
        _b("f", "force", "Force a character", "force", tooltip="type the next character yourself"),
        _b("p", "prime", "Type a prime", "prime", tooltip="feed a text to the model (teacher forcing)"),
        _b("r", "reset", "Restart from the prime", "reset"),
        _b("less_than_sign", "training_time(-1)", "Earlier training snapshot", "train_earlier", key_display="<",
           group=SNAPSHOT, tooltip="the model as it was earlier in its training"),
        _b("greater_than_sign", "training_time(1)", "Later training snapshot", "train_later", key_display=">",
           group=SNAPSHOT, tooltip="the model as it was later in its training"),
        _b("l", "layer(1)", "Layer", "layer_next", show=True, key_display="l", tooltip="Next layer", group=LAYER),
        _b("L", "layer(-1)", "Previous layer", "layer_prev", group=LAYER),
        _b("g", "quantity", "Next quantity", "quantity", tooltip="gate or state the text and strip follow"),
        _b("c", "colour", "Colour text on/off", "colour"),
        _b("s", "scale", "Scale: per unit / shared", "scale"),
        _b("o", "order", "Order units", "order", tooltip="by index, variance, mean, saturation"),
        _b("z", "zoom", "Zoom the heatmaps", "zoom"),
        _b("n", "goto_unit", "Go to unit", "goto_unit", tooltip="select a unit by its number"),
        _b("a", "find", "Find the neurons", "find", tooltip="rank every unit by features of a text: cells, neurons"),
        _b("u", "known_cell", "Next known cell", "known_cell", tooltip="the cells found in this model"),
        _b("up,k", "move(0,-1)", "Unit: row up", "unit_up", key_display="↑ k", group=ROW),
        _b("down,j", "move(0,1)", "Unit: row down", "unit_down", key_display="↓ j", group=ROW),
        _b("shift+left,h", "move(-1,0)", "Unit: previous", "unit_prev", key_display="⇧← h", group=UNIT),
        _b("shift+right,semicolon", "move(1,0)", "Unit: next", "unit_next", key_display="⇧→ ;", group=UNIT),
        _b("e", "equation", "Unit's equations on/off", "equation",
           tooltip="experiment: the selected unit's equation, gates and state with numbers"),
        _b("x", "clamp", "Clamp a unit or gate", "clamp", group=CLAMP,
           tooltip="experiment: hold a unit or gate at a value, or zero (ablate)"),
        _b("X", "release", "Release clamps", "release", group=CLAMP, tooltip="experiment: undo clamping"),
        _b("M", "memory_span", "Memory span", "memory_span",
           tooltip="experiment: how far back it remembers; compare RNN, GRU, LSTM, transformer"),
        _b("v", "side_by_side", "Side by side: cell types", "side_by_side",
           tooltip="experiment: compare cell types writing the same text"),
        _b("d", "sampling", "Sampling explained", "sampling",
           tooltip="experiment: the distribution before and after t, top-k, top-p"),
        *LESSON_BINDINGS,
        _b("ctrl+s", "screenshot", "Save SVG screenshot", "screenshot"),
        _b("question_mark", "help", "Help", "help", show=True, key_display="?", tooltip="every key, keys"),
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
                from .panels.attention import AttentionPanel

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
        self.open_lesson_at_start()

    def on_resize(self, event: events.Resize) -> None:
        if hasattr(self, "heatmap"):  # the first resize comes before mount, which arranges
            self.arrange(event.size.width, event.size.height)
            self.touch()

    def arrange(self, width: int, height: int) -> None:
        """Share the rows: the heatmaps get every row the others can spare, so that all grids show; the
        text takes what the heatmaps leave (all of it when zoomed is off and the grids are small)."""
        self.heatmap = self.query_one(HeatmapPanel)
        too_small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.main.set_class(too_small, "-too-small")
        self.query_one("#too-small", Static).update(
            Text(f"terminal too small: need at least {MIN_SIZE[0]}×{MIN_SIZE[1]} (now {width}×{height})",
                 justify="center"))
        if too_small:
            return
        rows = panel_rows(height, self.query_one(UnitEquationPanel).has_class("-on"), bool(self.view.zoom),
                          self.lesson_rows(height))
        self.main.set_class(rows.compact, "-compact")
        self.main.set_class(not rows.top, "-no-top")
        self.query_one(TimelinePanel).styles.height = rows.timeline
        self.query_one(TimelinePanel).display = rows.timeline > 0
        self.heatmap.set_space(width - 2, max(3, rows.heatmap))

    # -- actions: time -----------------------------------------------------------------

    def action_command_palette(self) -> None:
        """Textual's palette, with a page key pressed before it is laid out ignored (see command_palette)."""
        from .command_palette import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette"))

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
        from .training_time import TrainingTimeKeys

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
        timeline = self.training_time.timeline if self.training_time else None
        self.era = timeline.era() if timeline is not None and not isinstance(timeline, str) else ""
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
        from .screens.dialogs import ForceChar

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
        from .screens.dialogs import PrimePrompt

        def done(answer: tuple[str, bool] | None) -> None:
            if not answer or not answer[0]:
                return
            raw, from_start = answer
            text = unescape(raw)
            unknown = self.vocab.unknown(text)
            if unknown:
                self.notify(f"not in the model's vocabulary: {safe_text(''.join(unknown), 40)} — nothing fed",
                            severity="warning", markup=False)
                return
            self.prime = text
            if from_start:
                self.session.reset(text)
            else:
                self.session.feed(text)
            self.touch()

        s = self.session
        before = "".join(self.vocab.glyphs[int(i)] for i in s.ids(max(0, s.cursor - 11), s.cursor + 1))
        self.push_screen(PrimePrompt(before, prime_example(self.checkpoint)), done)

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
        from .screens.dialogs import TextPrompt

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
        from . import experiments  # with its screens, on first use: not on the first frame's path

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
        from . import experiments

        line = experiments.clamp_cost(self.session, self.vocab, self.analysis)
        if line:
            self.call_from_thread(self.notify, line, timeout=6, markup=False)

    def action_release(self) -> None:
        self.session.set_clamp(None, "")
        self.touch()
        self.notify("clamps released")

    def action_memory_span(self) -> None:
        from . import experiments  # with its screens, on first use: not on the first frame's path
        try:
            self.push_screen(experiments.memory_span(self.session, self.checkpoint, self.model_name))
        except ValueError as e:
            self.warn(str(e))

    def action_side_by_side(self) -> None:
        from . import experiments  # with its screens, on first use: not on the first frame's path
        try:
            self.push_screen(experiments.side_by_side(self.session, self.checkpoint, self.model_name))
        except ValueError as e:
            self.warn(str(e))

    def action_sampling(self) -> None:
        from . import experiments  # with its screens, on first use: not on the first frame's path
        def chosen(sampler) -> None:
            self.session.sampler = sampler
            self.touch()

        self.push_screen(experiments.sampling(self.session, self.vocab, chosen))

    def warn(self, line: str) -> None:
        """A one-line warning; the text may come from outside (a model's name, a typed answer)."""
        self.notify(safe_text(line), severity="warning", markup=False)

    # -- actions: other ------------------------------------------------------------------

    def action_screenshot(self) -> None:
        # a new file only: the current folder may be a shared one where another user planted a link
        stem = f"rnn-tui-{self.checkpoint.name}-step{self.session.cursor}"
        try:
            path = create_new(Path.cwd(), stem, ".svg", self.export_screenshot().encode("utf-8"))
        except (FileProblem, OSError) as e:  # OSError: the current folder itself is gone
            self.notify(f"screenshot not saved: {safe_text(str(e), 200)}", severity="error", markup=False)
            return
        self.notify(f"saved {safe_text(path)}", markup=False)

    def action_help(self) -> None:
        from .screens.help import show_help

        budget = "any number of KB/s" if not self.player.byte_budget else f"{self.player.max_kbps:g} KB/s"
        legend = ("Text: dim primed · bold picked · underlined forced · italic clamped · reversed newest."
                  " Gates 0…1; signed values blue…background…red on each unit's range (s: per grid)."
                  + (" No colour: ░▒▓█ positive, .-=# negative." if self.glyph_mode else "")
                  + f" Playing writes at most {budget} (--max-kbps); ≈: a panel catching up.")
        show_help(self, "rnn-tui keys", legend, MAIN_EXTRA_ROWS)

    def get_system_commands(self, screen):
        """Textual's own commands, less those a key here already does (one palette entry per action)."""
        for command in super().get_system_commands(screen):
            if command.title not in DUPLICATE_SYSTEM_COMMANDS:
                yield command


# Textual's system commands that duplicate a binding above: q, ctrl+s and ?
DUPLICATE_SYSTEM_COMMANDS = {"Quit", "Screenshot", "Keys"}
MAIN_EXTRA_ROWS = (("ctrl+p", "Command palette, themes"), ("click", "Select a unit (heatmap)"))


def prime_example(checkpoint: Checkpoint) -> str:
    """A prime that fits the model: the first line of its held-out passage (escaped as typed), else the
    newline every model knows."""
    from ..analysis.known_cells import passage

    shipped = passage(checkpoint)
    line = shipped[0].lstrip("\n").split("\n", 1)[0][:24] if shipped else ""
    return (line + "\\n") if line and not checkpoint.vocab.unknown(line) else "\\n"


def build_app(checkpoint: Checkpoint | str | Path, *, seed: int = 0, temperature: float = 0.8, prime: str | None = None,
              fps: float = 30.0, glyphs: bool | None = None, speed: int = DEFAULT_SPEED,
              max_kbps: float = DEFAULT_MAX_KBPS, lesson: Lesson | None = None, zoom: int = 0) -> RnnApp:
    """The app for a checkpoint (or its path): what `rnn-tui` runs and what the tests drive.

    `lesson` opens with that lesson's panel; `zoom` starts the heatmaps zoomed (a projector)."""
    ckpt = checkpoint if isinstance(checkpoint, Checkpoint) else load(checkpoint)
    app = RnnApp(ckpt, seed=seed, temperature=temperature, prime=prime or "", fps=fps, glyphs=glyphs, speed=speed,
                 max_kbps=max_kbps)
    app.first_lesson = lesson
    for _ in range(zoom):
        app.set_reactive(RnnApp.view, app.view.next_zoom())
    return app
