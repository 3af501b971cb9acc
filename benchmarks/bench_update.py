"""One full update of the viewer: a generation step and every panel re-rendered, at 120×40.

Target (issue #3): <= 10 ms. Method: the real app runs headless (`App.run_test`, 120×40, default
model, paused). One update, timed with perf_counter and nothing awaited inside it, is:

1. `session.step()`, the step alone (the baseline row);
2. `app.sync()`, what every key press runs: the widgets take the new state and refresh the cells
   that changed;
3. `refresh()` of every widget on the screen, then `screen._compositor.render_strips()`: the
   compositor asks every visible widget for every line (`render_line` for the Line API widgets,
   Rich rendering for the others), as on a full repaint, which is more than a step needs;
4. (last row) the same, then the compositor's full update encoded into the escape sequences a
   truecolor terminal would get, by a Rich console writing to memory: what the driver would send.

Timing inside one synchronous call measures rendering work only, never the app's idle waits between
frames. 300 updates after 20 untimed ones; median and 95th percentile.

Then what the target is for ("so play sustains >= 100 steps/s"): the app plays at 500 steps/s for
5 s (30 fps timer, budget off so the maps repaint every frame) and the steps it really made per
second are counted, with every frame composited as it would be for a terminal.

    python benchmarks/bench_update.py [MODEL]
"""

from __future__ import annotations

import asyncio
import io
import statistics
import sys
import time

from _common import SMOKE, machine, table, verdict  # first: one BLAS thread before numpy loads
from rich.console import Console

from rnn_tui.core.checkpoint import resolve
from rnn_tui.tui.app import build_app

SIZE = (120, 40)
WARMUP, RUNS = (2, 3) if SMOKE else (20, 300)
PLAY_SECONDS = 0.2 if SMOKE else 5.0
TARGET_MS = 10.0


def p95(xs: list[float]) -> float:
    return sorted(xs)[int(0.95 * (len(xs) - 1))]


async def measure(model: str | None) -> list[tuple[str, list[float]]]:
    app = build_app(resolve(model), seed=0, prime="ROMEO:\n", glyphs=False)
    terminal = Console(color_system="truecolor", file=io.StringIO(), force_terminal=True, width=SIZE[0],
                       height=SIZE[1], legacy_windows=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        widgets = [w for w in screen.walk_children() if w.display]

        def step() -> None:
            app.session.step()

        def step_sync() -> None:
            app.session.step()
            app.sync()

        def full() -> None:
            app.session.step()
            app.sync()
            for w in widgets:
                w.refresh()
            screen._compositor.render_strips()

        def full_encoded() -> None:
            app.session.step()
            app.sync()
            for w in widgets:
                w.refresh()
            update = screen._compositor.render_update(full=True)
            terminal._render_buffer(terminal.render(update))

        rows = []
        for name, fn in [("step alone (baseline)", step), ("step + sync (what a key runs)", step_sync),
                         ("step + every panel re-rendered", full),
                         ("… + encoded for a truecolor terminal", full_encoded)]:
            times = []
            for k in range(WARMUP + RUNS):
                t0 = time.perf_counter()
                fn()
                dt = time.perf_counter() - t0
                if k >= WARMUP:
                    times.append(dt * 1e3)
                if k % 50 == 0:
                    await pilot.pause()  # let the app paint and settle now and then, untimed
            rows.append((name, times))

        # sustained play: the real timer, the real frames
        app.player.max_kbps = 0
        app.player.speed = 500
        s = app.session
        start = s.cursor
        app.action_play_pause()
        t0 = time.perf_counter()
        await pilot.pause(PLAY_SECONDS)
        played = (s.cursor - start) / (time.perf_counter() - t0)
        app.action_play_pause()
        rows.append(("play at 500 steps/s, 30 fps: steps made per second", [played]))
    return rows


async def bare_full_repaint() -> list[float]:
    """The baseline: Textual compositing a full repaint of a 120×40 screen of coloured text."""
    from rich.text import Text
    from textual.app import App
    from textual.widgets import Footer, Static

    line = Text.assemble(*[(chr(97 + i % 26), f"on #{(i * 37) % 256:02x}40{(i * 91) % 256:02x}") for i in range(118)])

    class Bare(App):
        def compose(self):
            for _ in range(SIZE[1] - 1):
                yield Static(line)
            yield Footer()

    app = Bare()
    times = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        widgets = [w for w in app.screen.walk_children() if w.display]
        for k in range(WARMUP + RUNS):
            t0 = time.perf_counter()
            for w in widgets:
                w.refresh()
            app.screen._compositor.render_strips()
            if k >= WARMUP:
                times.append((time.perf_counter() - t0) * 1e3)
    return times


def main() -> int:
    print(machine())
    rows = asyncio.run(measure(sys.argv[1] if len(sys.argv) > 1 else None))
    rows.insert(-1, ("baseline: bare Textual app, full repaint of a screen of coloured text",
                     asyncio.run(bare_full_repaint())))
    print(f"{RUNS} updates each, 120×40, default model, paused app (headless)")
    print(table([(n, f"{statistics.median(t):.2f}", f"{p95(t):.2f}") for n, t in rows[:-1]],
                ("update", "median ms", "p95 ms")))
    print(f"{rows[-1][0]}: {rows[-1][1][0]:,.0f}")
    full = rows[2][1]
    ok = statistics.median(full) <= TARGET_MS and p95(full) <= TARGET_MS
    print(f"full update median {statistics.median(full):.2f} ms, p95 {p95(full):.2f} ms; "
          f"target <= {TARGET_MS:g} ms: {'met' if ok else 'NOT met'}")
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
