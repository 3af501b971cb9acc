"""The play clock, the byte meter and the one place that hooks Textual's driver."""

from __future__ import annotations

import asyncio
import os
import pty
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from rnn_tui.tui.app import build_app
from rnn_tui.tui.engine.budget import SPEEDS, ByteMeter, Player
from rnn_tui.tui.panels.base import LinePanel

from .pty_viewer import drain
from .test_tui import sync

ROOT = Path(__file__).parent.parent.parent


def test_the_meter_holds_constant_memory_however_much_is_written():
    meter = ByteMeter()
    for _ in range(1000):  # warm up
        meter.add(100)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(200_000):
        meter.add(120)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert meter.total == 1000 * 100 + 200_000 * 120
    assert grown < 4096  # the old meter kept a list entry per write: ~160 B a step on a real pty


def test_the_bucket_drains_at_the_budget_and_forgives_a_pause():
    meter = ByteMeter()
    meter.add(10_000)
    t = meter._debt_at
    assert meter.debt(1000, now=t) == 10_000
    assert meter.debt(1000, now=t + 4) == pytest.approx(6_000)
    assert meter.debt(1000, now=t + 20) == 0
    meter.add(5_000)
    meter.forgive()
    assert meter.debt(1000) == 0


@pytest.mark.parametrize("repaint", [15_000, 70_000])
def test_any_ten_seconds_of_play_hold_the_budget_even_when_one_repaint_is_more_than_a_second_of_it(repaint):
    """A bucket draining at the budget let a window hold the budget plus one repaint: with 70 KB repaints
    against 40 KB/s, 42-48 KB/s over 3 s. Played out at 30 fps with a text frame each, and each repaint
    written by the next frame as Textual does: every 10 s window keeps to 10 s of budget, and the maps
    repaint as often as that allows (small repaints: more than once a second)."""
    from rnn_tui.tui.engine.budget import WINDOW

    p = Player(fps=30, speed=10, max_kbps=40)
    p.start()
    t0 = p.meter._debt_at
    written, repaints, owed = [], 0, 0
    for k in range(30 * 60):
        now = t0 + k / 30
        p.meter.add(owed + 100)  # last frame's repaint (Textual writes it after the frame) and this one's text
        written.append(owed + 100)
        owed = 0
        if p.detail_due(now=now):
            owed, repaints = repaint, repaints + 1
    per_window = [sum(written[k: k + int(30 * WINDOW)]) for k in range(len(written) - int(30 * WINDOW))]
    assert max(per_window) <= 40 * 1024 * WINDOW
    assert repaints / 60 >= (1.0 if repaint < 20_000 else 0.4)


def test_the_play_clock_carries_fractions_and_reports_the_rate_achieved():
    p = Player(fps=30, speed=10)
    p.start()
    steps = [p.steps_due(now=k / 30) for k in range(60)]
    assert sum(steps) == 20 and max(steps) == 1
    assert p.achieved() == pytest.approx(10, rel=0.1)
    p.change_speed(+1)
    assert p.speed == 20 and p.achieved() is None  # a new setting: no rate until it has been played
    for _ in range(20):
        p.change_speed(+1)
    assert p.speed == SPEEDS[-1]


def test_a_speed_the_machine_cannot_keep_up_with_shows_what_is_achieved():
    from rnn_tui.tui.panels.status import speed_text

    class Stub:
        player = Player(fps=30, speed=500)

    Stub.player.start()
    for k in range(40):  # only 2 steps a frame get made
        Stub.player._marks.append((k / 30, 2))
    assert speed_text(Stub) == "▶ 60/s of 500"


METERED_RUN = """
import sys, termios
attrs = termios.tcgetattr(1)  # no output processing: the terminal gets exactly the bytes written (no \\n -> \\r\\n)
attrs[1] &= ~termios.OPOST
termios.tcsetattr(1, termios.TCSANOW, attrs)
from rnn_tui.tui.app import build_app
app = build_app(sys.argv[1], seed=1)
app.call_later(lambda: app.set_timer(1.5, app.exit))
app.run()
open(sys.argv[2], "w").write(str(app.player.meter.total))
"""


def test_the_byte_meter_counts_each_byte_the_terminal_receives_once(lstm_checkpoint, tmp_path):
    """On a real pty: what the meter counted is what the terminal read, no more (a meter installed twice
    counted 712,564 B where 357,171 B were written) and no less (Textual no longer writing through the
    driver class's `write`)."""
    out = tmp_path / "meter.txt"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app on a real pty, 100×30
        os.environ.update(TERM="xterm-256color", COLUMNS="100", LINES="30")
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-c", METERED_RUN, str(lstm_checkpoint), str(out)])
    written = len(drain(fd, 60))  # until the app quits and its end of the pty closes
    os.close(fd)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    total = int(out.read_text())
    assert written > 20_000  # the terminal did receive a screen
    assert total == written


def test_the_meter_is_the_drivers_write_and_nothing_else_wraps_textual():
    """The meter is a driver subclass chosen through `App.driver_class`; no live Textual object is patched."""
    from rnn_tui.tui.engine.budget import metered

    class Driver:
        def __init__(self):
            self.out = []

        def write(self, data):
            self.out.append(data)

    meter = ByteMeter()
    driver = metered(Driver, meter)()
    driver.write("ab▀")
    assert driver.out == ["ab▀"] and meter.total == 5
    hits = subprocess.run(["grep", "-rn", "driver.write =", str(ROOT / "rnn_tui")], capture_output=True,
                          text=True).stdout.strip()
    assert hits == ""


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@sync
async def test_line_panels_cache_a_few_frames_of_their_own_lines_however_long_it_plays(lstm_checkpoint, size):
    """A cache of 512 lines a panel filled for 80,000 steps on a pty, with lines never drawn again."""
    app = build_app(lstm_checkpoint, seed=1, prime="\n", glyphs=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        panels = list(app.query(LinePanel))
        assert panels
        for _ in range(60):  # sixty frames, each a step
            app.action_step()
            await pilot.pause()
        for p in panels:
            bound = LinePanel.CACHED_FRAMES * p.size.height
            assert p.strips.maxsize == bound and 0 < len(p.strips) <= bound
        await pilot.resize_terminal(size[0] + 20, size[1] + 10)
        await pilot.pause()
        for p in panels:
            assert p.strips.maxsize == LinePanel.CACHED_FRAMES * p.size.height


def test_a_frame_offered_before_the_first_layout_is_shown_by_the_first_paint_without_a_second(monkeypatch):
    asyncio.run(_first_paint(monkeypatch))


async def _first_paint(monkeypatch):
    """The viewer's first sync comes before Textual has given the panels a size: the panels keep that frame
    and show it when first painted (the first screen whole in one paint), asking no repaint of their own."""
    from textual.app import App
    from textual.strip import Strip
    from textual.widget import Widget

    from rnn_tui.tui.panels.base import Panel

    class Counting(Panel):
        def __init__(self) -> None:
            super().__init__()
            self.shown, self.size_when_shown, self.refreshes = [], [], 0

        in_show = False

        def show(self, scene) -> int:
            self.shown.append(scene)
            self.size_when_shown.append(tuple(self.size))
            self.in_show = True
            self.refresh()
            self.in_show = False
            return self.size.area

        def render_line(self, y: int) -> Strip:
            return Strip.blank(self.size.width)

    panel = Counting()
    widget_refresh = Widget.refresh

    def counted(self, *regions, **kwargs):
        if self is panel and panel.in_show:  # a repaint asked for by `show` (not Textual's own)
            panel.refreshes += 1
        return widget_refresh(self, *regions, **kwargs)

    monkeypatch.setattr(Widget, "refresh", counted)
    scene = object()

    class Host(App):
        def compose(self):
            yield panel

        def on_mount(self) -> None:
            assert panel.offer(scene) == 0  # no size yet

    async with Host().run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        assert panel.shown == [scene] and panel.size_when_shown == [(40, 10)]
        assert panel.refreshes == 0  # the show during the first paint asked for no second one
        assert panel.offer(scene) == 400 and panel.refreshes == 1  # sized now: shown at once, as usual
