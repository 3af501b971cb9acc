"""How a change reaches the screen: one `Scene` a frame, handed to every panel.

Every key only changes the session or the view and calls `touch()` (a change of
`view` does it by itself); the panels are brought up to date once per frame in
`sync()` (coalesced with `call_later` for key presses, once per timer tick while
playing). Panels refresh only the lines that changed, and nothing changes the
layout except a resize, a zoom, a layer or quantity change, or a new model.

While playing, the costly panels (`Panel.DETAIL`) repaint only when the byte
budget has room (budget.py); a far jump's history is computed on a worker
thread and the screen repaints once it is ready.
"""

from __future__ import annotations

import gc

import textual.constants
from textual import work
from textual.app import App
from textual.color import Color
from textual.reactive import reactive

from ...analysis.stats_cache import measure_cached
from ...analysis.unit_stats import opening_unit
from ...core.checkpoint import Checkpoint
from ...core.safe import safe_text
from ...core.sampling import Sampler
from ...core.session import Session
from ..messages import FrameWanted
from ..panels import Panel
from .budget import Player, metered
from .display_cache import DisplayCache
from .palette import Maps
from .scene import Scene
from .view_state import ViewState

# In 16 colours Textual's default themes become bright red keys on grey and blue on blue: the ANSI
# themes use the terminal's own colours, legible in whatever palette it has (a theme chosen by name stays)
ANSI_THEMES = {"textual-dark": "ansi-dark", "textual-light": "ansi-light"}
START_GC_AFTER = 1.0  # seconds after mounting: the first screen is whole by then
PREPARE_AT_START = 256  # positions (a prime) computed for display before the first frame: a few ms


class FrameLoop(App):
    """The viewer's engine room: session, view, play clock, colours, and the frame that joins them."""

    view: reactive[ViewState | None] = reactive(None, init=False, always_update=False)
    era = ""  # the training snapshot being replayed ("snapshot 3/9 · step 1,635 of 2,062"), for the status

    replaying = False  # a worker is rewriting the session (a training snapshot): no frames until it is done

    def __init__(self, checkpoint: Checkpoint, *, seed: int, temperature: float, prime: str, fps: float,
                 glyphs: bool | None, speed: int, max_kbps: float) -> None:
        super().__init__()
        self.checkpoint = checkpoint
        self.config = c = checkpoint.config
        self.vocab = checkpoint.vocab
        self.model_name = safe_text(checkpoint.name, 40)
        # Textual takes NO_COLOR out of the environment and records it here
        self.glyph_mode = self.no_color if glyphs is None else glyphs
        self.prime = prime
        mode = "argmax" if temperature == 0 else "sample"
        model = checkpoint.model()
        self.session = Session(model, self.vocab, prime=prime,
                               sampler=Sampler(temperature=temperature, mode=mode, seed=seed))
        self.cache = DisplayCache.following(self.session)
        if self.session.length <= PREPARE_AT_START:  # the first frame coloured at once, not by a worker after it
            self.cache.prepare(0, self.session.length)
        self.stats = measure_cached(checkpoint, model)
        self.player = Player(fps, speed, max_kbps)
        self.driver_class = metered(self.driver_class, self.player.meter)
        self.set_reactive(FrameLoop.view, ViewState(c.layers, len(c.quantities), c.hidden,
                                                    *opening_unit(self.stats, checkpoint)))
        self.maps = Maps()
        self._pending = False

    # -- setting up -----------------------------------------------------------------

    def on_mount(self) -> None:
        self.main = self.screen  # the panels live here; dialogs and other screens go on top
        self.theme_changed_signal.subscribe(self, lambda _theme: self.use_theme())
        if self.colour_system() in ("standard", "windows") and self.theme in ANSI_THEMES:
            self.theme = ANSI_THEMES[self.theme]  # calls use_theme
        else:
            self.use_theme()
        self.mounted()
        if not gc.isenabled():  # the entry point turned the collector off for the start (__main__.py)
            self.set_timer(START_GC_AFTER, _collect_start_garbage)

    def mounted(self) -> None:
        """A subclass's own setting up, once the loop is mounted. (Textual runs every class's on_mount
        itself: a subclass's on_mount that also called this one installed the byte meter twice.)"""

    def colour_system(self) -> str | None:
        """TEXTUAL_COLOR_SYSTEM, when set, is what Textual renders with; otherwise the colour system Rich
        detected, except headless (tests, benchmarks), where there is no terminal to detect."""
        forced = textual.constants.COLOR_SYSTEM
        return forced if forced != "auto" else (None if self.is_headless else self.console.color_system)

    def use_theme(self) -> None:
        """Colour maps for the theme's background and the terminal's colour system (zero = background)."""
        system = self.colour_system()
        dark = self.current_theme.dark
        try:
            bg = Color.parse(self.get_css_variables()["background"])
            background = (bg.r, bg.g, bg.b)
        except Exception:  # an ANSI theme's "default" background: no colour to match, so the usual one
            background = (18, 18, 18) if dark else (255, 255, 255)
        self.maps = Maps(background, dark, system in ("standard", "windows"), eight_bit=system == "256")
        for panel in self.panels():
            panel.refresh()
        self.touch()

    def panels(self) -> list[Panel]:
        """The panels of the main screen (composed once, so found once)."""
        if not hasattr(self, "main"):
            return []
        if not hasattr(self, "_panels"):
            self._panels = list(self.main.query(Panel))
        return self._panels

    def watch_view(self) -> None:
        self.touch()

    def on_frame_wanted(self, message: FrameWanted) -> None:
        self.touch()

    # -- the frame ---------------------------------------------------------------------

    def touch(self) -> None:
        """Ask for one `sync` after the keys already queued: many presses, one frame."""
        if not self._pending:
            self._pending = True
            self.call_later(self._sync_pending)

    def _sync_pending(self) -> None:
        """A key's frame. While playing it keeps to the budget like any other frame: eight quick presses
        of + once wrote 400 KB of full repaints, and play then waited ten seconds for it to drain."""
        self._pending = False
        self.sync(detail=not self.player.playing or self.player.detail_due())

    def play(self, on: bool) -> None:
        """Start or stop the play clock. The timer exists only while playing: a paused one left
        pending at exit made asyncio print "Task was destroyed but it is pending"."""
        if on and not self.player.playing:
            self.player.start()
            self.timer = self.set_interval(1 / self.player.fps, self.tick)
        elif not on and self.player.playing:
            self.player.stop()
            self.timer.stop()  # the key's own sync repaints everything at the cursor
        self.touch()

    def tick(self) -> None:
        """One frame of play: speed/fps steps (carried over when fractional), then one sync.

        A frame without a step still repaints the costly panels when they are behind and the budget
        has room again, so they catch up as soon as the bandwidth allows rather than at the next step.
        """
        n = self.player.steps_due()
        if n:
            self.session.forward(n)
        if n or self.behind:
            detail = self.player.detail_due()
            if n or detail:
                self.sync(detail=detail)

    @property
    def behind(self) -> bool:
        """Does any costly panel show an earlier step than the session is at?"""
        s = self.session
        return any(p.shown_at != (s.revision, s.cursor) for p in self.panels() if p.DETAIL and p.display)

    def scene(self, detail: bool = True) -> Scene:
        return Scene(self.session, self.cache, self.view, self.config, self.vocab, self.stats, self.maps,
                     self.glyph_mode, self.player, detail, self.model_name, self.era)

    def sync(self, detail: bool = True) -> int:
        """Bring the panels up to date; `detail` False leaves the costly ones as they are.

        Returns how many cells it asked to repaint (0 when nothing changed).
        """
        if not hasattr(self, "main") or self.main.has_class("-too-small") or self.replaying:
            return 0
        scene = self.scene(detail or not self.player.playing)
        cells = 0
        for panel in self.panels():
            if scene.detail or not panel.DETAIL:
                cells += panel.offer(scene)
            panel.follow(scene)
        wanted = self.cache.take_wanted()
        if wanted:
            self._prepare_display(*wanted)
        return cells

    @work(thread=True, exclusive=True, group="display")
    def _prepare_display(self, start: int, end: int) -> None:
        self.cache.prepare(start, end)
        try:
            self.call_from_thread(self.touch)
        except RuntimeError:  # the app closed while this ran: nothing left to colour
            pass


def _collect_start_garbage() -> None:
    """The one collection of the start's garbage, once the first screen is up; what is left lives for the
    whole session, so it is frozen out of every later collection, and the collector runs again."""
    gc.collect()
    gc.freeze()
    gc.enable()
