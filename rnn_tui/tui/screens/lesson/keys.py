"""The viewer's lesson keys: list the lessons, follow one step by step, score words.

`LessonKeys` is mixed into the app (it is part of the app, not handed it): it
keeps the lesson in progress, puts a lesson panel at the bottom of every screen
the student opens, reads the viewer's state into a `ViewerState` a few times a
second and lets the lesson recognise a step as done. The bindings have ids and
tooltips so a key map can move them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen

from ....core.safe import safe_text

if TYPE_CHECKING:  # the lessons and their panel load with the first lesson: the first frame has none
    from ....lessons import Lesson
    from ....lessons.checks import ViewerState
    from ....lessons.run import LessonRun

POLL_S = 0.25  # how often the lesson looks at the viewer's state
TEXT_TAIL = 2000  # characters of the text the checks see (the end of it)

STEPS = Binding.Group("Lesson step: next / back")
LESSON_BINDINGS = [
    # show=False: the footer's room at 80 columns belongs to the main view's six; help (?) lists these
    Binding("i", "lessons", "Lessons (in class)", id="lessons", show=False,
            tooltip="the class's activities, step by step"),
    Binding("w", "score_words", "Score words", id="score", show=False,
            tooltip="how likely each word is after the text so far, in bits and nats"),
    Binding("right_curly_bracket", "lesson_step(1)", "Lesson: next step", id="lesson_next", key_display="}", show=False,
            group=STEPS,
            tooltip="the lesson's next step"),
    Binding("left_curly_bracket", "lesson_step(-1)", "Lesson: previous step", id="lesson_back", key_display="{",
            show=False, group=STEPS,
            tooltip="the lesson's previous step"),
    Binding("escape", "lesson_leave", "Leave the lesson", id="lesson_leave", key_display="esc", show=False,
            tooltip="close the lesson panel; the model, text and selection stay as they are"),
]

# the screens a check can name, by class
SCREEN_NAMES = {"FinderScreen": "finder", "KarpathyScreen": "karpathy", "SaturationScreen": "saturation",
                "MemorySpanScreen": "memory-span", "SideBySideScreen": "side-by-side",
                "SamplingScreen": "sampling", "ScoreScreen": "score", "LessonList": "lessons",
                "HelpScreen": "help"}


def screen_name(screen: Screen, main: Screen) -> str:
    if screen is main:
        return "main"
    return getattr(screen, "LESSON_NAME", None) or SCREEN_NAMES.get(type(screen).__name__, "other")


class LessonKeys:
    """Mixed into the viewer's App (see app.py): everything a lesson needs from the viewer."""

    lesson_run: LessonRun | None = None
    first_lesson: Lesson | None = None  # the lesson to open with (build_app's `lesson`)
    relaunch: Lesson | None = None  # a lesson on another model: the command reopens the viewer on it
    scored: tuple[str, ...] = ()
    last_scores: list = []
    _unit_scores = None
    _lesson_seen = ""
    _lesson_timer = None
    _has_snapshots: bool | None = None

    # -- starting and leaving ---------------------------------------------------------

    def start_lesson(self, lesson: Lesson) -> None:
        """Follow `lesson` from its first step (its prime, if it has one, restarts the text)."""
        from ....lessons.run import LessonRun
        from .panel import LessonPanel

        self.lesson_run = LessonRun(lesson)
        features = frozenset(dict(c.value)["feature"] for step in lesson.steps for c in step.checks
                             if c.kind == "unit_tracks")
        if features and not (self._unit_scores and features <= set(self._unit_scores.tables)):
            self._unit_scores = None
            self._score_units(features)
        if lesson.prime:
            self.prime = lesson.prime
            self.session.reset(lesson.prime)
            self.touch()
        if not self.main.query(LessonPanel):
            self.main.mount(LessonPanel(id="lesson"))
        if self._lesson_timer is None:
            self.screen_change_signal.subscribe(self, self._lesson_screen)
            self._lesson_timer = self.set_interval(POLL_S, self.lesson_poll)
        self._lesson_seen = ""
        self.arrange(self.size.width, self.size.height)
        self.lesson_poll()

    def open_lesson_at_start(self) -> None:
        """The lesson the command line named (`rnn-tui lesson NAME`, `--lesson NAME`), once the screen is up."""
        lesson = self.first_lesson
        if lesson is not None:
            self.first_lesson = None
            self.call_after_refresh(self.start_lesson, lesson)

    def lesson_rows(self, height: int) -> int:
        """Rows the lesson panel takes from the main view's panels (0 without a lesson)."""
        if self.lesson_run is None:
            return 0
        return 7

    def action_lesson_leave(self) -> None:
        if self.lesson_run is None:
            return
        from .panel import LessonPanel

        self.lesson_run = None
        for screen in self.screen_stack:
            for panel in screen.query(LessonPanel):
                panel.remove()
        self._highlight(None)
        self.arrange(self.size.width, self.size.height)
        self.notify("lesson closed: i lists the lessons", timeout=3)

    def action_lesson_step(self, delta: int) -> None:
        if self.lesson_run is not None and self.lesson_run.move(delta):
            self.lesson_poll(force=True)

    def action_lessons(self) -> None:
        from ....lessons import LessonError, all_lessons

        try:
            lessons = all_lessons()
        except LessonError as e:
            self.notify(safe_text(str(e)), severity="error", markup=False)
            return
        from .dialogs import LessonList

        current = self.lesson_run.lesson.name if self.lesson_run else None
        self.push_screen(LessonList(lessons, current), self._lesson_chosen)

    def _lesson_chosen(self, lesson: Lesson | None) -> None:
        if lesson is None:
            return
        model = lesson.model_path()
        if model is not None:
            from ....core.checkpoint import resolve

            if resolve(model).resolve() != Path(self.checkpoint.path).resolve():
                self.relaunch = lesson  # another model: the viewer reopens on it (commands/view.py)
                self.exit()
                return
        self.start_lesson(lesson)

    # -- scoring words ------------------------------------------------------------------

    def action_score_words(self) -> None:
        s = self.session
        context = s.text(max(0, s.cursor + 1 - 100_000), s.cursor + 1)
        if not context:
            self.notify("nothing read yet: type a prime first (p)", severity="warning")
            return
        from ..dialogs import TextPrompt

        def done(raw: str | None) -> None:
            words = (raw or "").split()
            if not words:
                return
            unknown = sorted({ch for w in words for ch in w if ch not in self.vocab})
            if unknown:
                self.notify(f"not in the model's vocabulary: {safe_text(''.join(unknown), 40)}",
                            severity="warning", markup=False)
                return
            from ....analysis.score import score
            from .dialogs import ScoreScreen

            scores = score(s.model_for(s.clamp_id), self.vocab, context, words[:20])
            self.scored, self.last_scores = tuple(words[:20]), scores
            self.push_screen(ScoreScreen(context, scores))

        self.push_screen(TextPrompt("Score words after the text so far",
                                    "Candidates separated by spaces: each is scored as the next characters, "
                                    "in bits (each bit halves the probability).", "sister father refrigerator"),
                         done)

    # -- following the student --------------------------------------------------------------

    def lesson_state(self) -> ViewerState:
        from ....lessons.checks import ViewerState

        s, v, q = self.session, self.view, self.config.quantities
        tag = s.clamp_tag
        tt = getattr(self, "training_time", None)
        timeline = getattr(tt, "timeline", None)
        earlier = (timeline is not None and not isinstance(timeline, str)
                   and timeline.items[timeline.position] is not None and timeline.position < timeline.items.index(None))
        if self._has_snapshots is None:
            from ....core.snapshots import snapshots_path

            self._has_snapshots = snapshots_path(self.checkpoint.path).is_file()
        layer, quantity, unit = v.layer, q[v.quantity], v.unit
        return ViewerState(
            text=s.text(max(0, s.cursor + 1 - TEXT_TAIL), s.cursor + 1), chars=s.cursor + 1,
            screen=screen_name(self.screen, self.main), layer=layer, quantity=quantity, unit=unit,
            equation=self.main.query_one("#equation").has_class("-on"),
            clamped=frozenset(p.quantity for p in tag) if isinstance(tag, tuple) else frozenset(),
            colour=v.coloured, zoom=v.zoom, scored=self.scored,
            memory_mode=getattr(self.screen, "mode", None) if screen_name(self.screen, self.main) == "memory-span"
            else None,
            snapshot_before_end=earlier, has_snapshots=self._has_snapshots,
            unit_score=lambda key: self._unit_score(key, layer, quantity, unit))

    def _unit_score(self, key: str, layer: int, quantity: str, unit: int) -> float | None:
        """How well the selected unit tracks `key` (None until the worker has scored the units)."""
        return None if self._unit_scores is None else self._unit_scores.score(key, layer, quantity, unit)

    @work(thread=True, exclusive=True, group="lesson-units")
    def _score_units(self, features: frozenset[str]) -> None:
        """Every unit against the features the lesson's checks name, on the model's own held-out passage
        (seconds of numpy for an LSTM 2×256 on a busy machine: never on the UI thread)."""
        from ....analysis.known_cells import passage
        from ....lessons.unit_scores import UnitScores

        p = passage(self.checkpoint)
        text = p[0] if p else self.session.text()
        scores = UnitScores(self.checkpoint.model(), self.vocab, text, features)
        self.call_from_thread(setattr, self, "_unit_scores", scores)

    def lesson_poll(self, force: bool = False) -> None:
        """Look at the viewer: a step done moves the lesson on; repaint the panel when its words change."""
        run = self.lesson_run
        if run is None or getattr(self, "replaying", False):  # a worker owns the session while it replays
            return
        from .panel import NAV, LessonPanel, render

        try:
            state = self.lesson_state()
        except NoMatches:  # a tick that comes while the app is closing finds its panels gone
            return
        run.update(state)
        width = self.size.width - 2
        rows = (self.lesson_rows(self.size.height) if self.screen is self.main else 7) - 1
        nav = NAV if self.screen is self.main else "esc: back to the viewer"
        content = render(run, self._lesson_keys(), self._lesson_extra(), width, rows, nav)
        key = (content.plain, self.screen)
        if key != self._lesson_seen or force:
            self._lesson_seen = key
            for panel in self.screen.query(LessonPanel):
                panel.show_lesson(content)
            self._highlight(run.step.look)

    def _lesson_screen(self, screen: Screen) -> None:
        """A screen opened or came back: give it a lesson panel of its own, so the lesson stays in view."""
        from .panel import LessonPanel

        if self.lesson_run is None or screen is self.main or screen.query(LessonPanel):
            return
        if screen_name(screen, self.main) in ("lessons", "help"):
            return
        screen.mount(LessonPanel(classes="-on-screen"))
        self.call_after_refresh(self.lesson_poll, True)

    def _lesson_keys(self) -> dict[str, tuple[str, str]]:
        """binding id -> (key shown, what it does): the bindings in force first, so a remapped key shows as
        remapped, then those of the screens a lesson sends the student to."""
        from ..finder import FinderScreen
        from ..karpathy import KarpathyScreen
        from ..memory_span import MemorySpanScreen

        keys: dict[str, tuple[str, str]] = {}
        live = [b for _, b in (*self.screen._bindings, *self._bindings)]
        others = [Binding.make_bindings(s.BINDINGS) for s in (FinderScreen, KarpathyScreen, MemorySpanScreen)]
        for b in [*live, *(b for group in others for b in group)]:
            if b.id and b.id not in keys:
                keys[b.id] = (b.key_display or self.get_key_display(b), b.description)
        return keys

    def _lesson_extra(self) -> str:
        run = self.lesson_run
        if run is None or run.step.show is None:
            return ""
        if run.step.show == "scores":
            if not self.last_scores:
                return "no words scored yet"
            return "bits: " + " · ".join(f"{safe_text(x.candidate, 16)} {x.bits:.1f}" for x in self.last_scores)
        return self._weather_line()

    def _weather_line(self) -> str:
        from ....lessons import weather

        s = self.session
        month, days = weather.last_line(s.text(max(0, s.cursor - 40), s.cursor + 1))
        if month is None or not days:
            return "the record: type a month and some days (APR sss) to count what followed them"
        try:
            record = weather.corpus_path().read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            return "the record (checkpoints/corpora/seattle-weather.txt) is not installed"
        run = min(3, len(days))
        counts, n = weather.counted_next(record, month, days, run)
        if not n:
            return f"the record: {month} never had {days[-run:]}"
        probs = s.probabilities()
        parts = []
        for ch in weather.DAY_CHARS:
            model = probs[self.vocab.index[ch]] if ch in self.vocab else 0.0
            parts.append(f"{ch} {100 * counts[ch] / n:.0f}/{100 * model:.0f}")
        return f"{month} after {days[-run:]}: record ({n} times) / model, %: " + "  ".join(parts)

    def _highlight(self, area: str | None) -> None:
        for w in self.main.query(".-lesson-look"):
            w.remove_class("-lesson-look")
        if area is None:
            return
        target = self.main.query("Footer" if area == "footer" else f"#{area}")
        for w in target:
            w.add_class("-lesson-look")

    def lesson_text(self) -> Text:
        """The panel's words as plain text (tests read them)."""
        from .panel import LessonPanel

        panels = self.screen.query(LessonPanel)
        return Text(str(panels.first().render())) if panels else Text("")
