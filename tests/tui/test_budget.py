"""The play clock, the byte meter and the one place that hooks Textual's driver."""

from __future__ import annotations

import os
import pty
import select
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from rnn_tui.tui.app import build_app
from rnn_tui.tui.engine.budget import SPEEDS, ByteMeter, Player
from rnn_tui.tui.panels.base import LinePanel

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
import sys
from rnn_tui.tui.app import build_app
app = build_app(sys.argv[1], seed=1)
def report():
    m = app.player.meter
    open(sys.argv[2], "w").write(str(m.total))
    app.exit()
app.call_later(lambda: app.set_timer(1.5, report))
app.run()
"""


def test_the_byte_meter_counts_what_textual_writes_to_a_real_terminal(lstm_checkpoint, tmp_path):
    """Fails loudly if Textual stops writing through `driver.write` (budget.meter_driver)."""
    out = tmp_path / "meter.txt"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app on a real pty, 100×30
        os.environ.update(TERM="xterm-256color", COLUMNS="100", LINES="30")
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-c", METERED_RUN, str(lstm_checkpoint), str(out)])
    written = 0
    end = time.monotonic() + 60
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            written += len(chunk)
        elif os.waitpid(pid, os.WNOHANG)[0]:
            break
    os.close(fd)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    total = int(out.read_text())
    assert total > 2000, "the meter saw nothing: Textual no longer writes through driver.write"
    assert written > 2000  # and the terminal did receive a screen


@sync
async def test_every_byte_through_the_driver_is_counted_once_and_still_written(lstm_checkpoint, monkeypatch):
    """A meter installed twice (an on_mount that also ran its parent's) counted each byte twice."""
    from textual.drivers.headless_driver import HeadlessDriver

    written: list[str] = []
    monkeypatch.setattr(HeadlessDriver, "write", lambda self, data: written.append(data))
    app = build_app(lstm_checkpoint, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        counted, written[:] = app.player.meter.total, []
        app._driver.write("▀ab")  # 3 + 2 bytes in UTF-8
        assert written == ["▀ab"] and app.player.meter.total - counted == 5



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
