"""Side by side with three models (the bundled LSTM, RNN and GRU): play keeps >= 30 steps/s.

Method: the side-by-side screen runs headless (`App.run_test`) at 80×24 and 120×40. Timed
synchronously, 300 times after 20 untimed: one model's `Model.step` (the baseline), the three
models' step (`SideBySide.step`: the leader samples, all read), and that plus the screen's redraw
composited as for a full repaint. Then sustained play: the screen's own timer at 30 steps/s, and at
200 steps/s to show the headroom, for 4 s each; the steps really made per second are counted.

    python benchmarks/bench_side_by_side.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from _common import SMOKE, machine, table, verdict  # first: it pins BLAS to one thread before numpy loads

# isort: split
from textual.app import App

from rnn_tui.analysis.memory_span import bundled_per_cell
from rnn_tui.analysis.side_by_side import Entry, SideBySide
from rnn_tui.core.sampling import Sampler
from rnn_tui.tui.screens.side_by_side import SideBySideScreen

WARMUP, RUNS, TARGET = (2, 3, 30.0) if SMOKE else (20, 300, 30.0)
PLAY_SECONDS = 0.2 if SMOKE else 4.0
PRIME = "ROMEO:\nWhat light through yonder window breaks?\n"


def lineup() -> SideBySide:
    """As the viewer lines them up from the default model: the LSTM first (it samples), then the others."""
    found = bundled_per_cell(PRIME, "shakespeare.txt")
    order = ["lstm", *(cell for cell in found if cell != "lstm")]
    sbs = SideBySide([Entry(found[c].name, found[c].model(), found[c].vocab) for c in order], Sampler(temperature=0.8))
    sbs.feed(PRIME)
    return sbs


async def measure(size: tuple[int, int]) -> tuple[list[tuple[str, list[float]]], list[tuple[str, float]]]:
    sbs = lineup()
    screen = SideBySideScreen(sbs)

    class Bench(App):
        def on_mount(self) -> None:
            self.push_screen(screen)

    app = Bench()
    rows = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        leader = sbs.entries[0]
        state = leader.model.initial_state()

        def one_model() -> None:
            nonlocal state
            state, _, _ = leader.model.step(state, 0)

        def frame() -> None:
            sbs.step()
            screen.redraw()
            for w in screen.walk_children():
                w.refresh()
            screen._compositor.render_strips()

        for name, fn in [(f"one model's step ({leader.model.config.label}, baseline)", one_model),
                         ("three models' step", sbs.step), ("three models' step + redraw, composited", frame)]:
            times = []
            for k in range(WARMUP + RUNS):
                t0 = time.perf_counter()
                fn()
                if k >= WARMUP:
                    times.append((time.perf_counter() - t0) * 1e3)
                if k % 50 == 0:
                    await pilot.pause()
                if len(sbs.text) > 4000:
                    sbs.back(3000)
            rows.append((name, times))
        rates = []
        for hz in (30.0, 200.0):
            screen.hz = hz
            start = len(sbs.text)
            screen.action_play()
            t0 = time.perf_counter()
            await pilot.pause(PLAY_SECONDS)
            rates.append((f"play at {hz:g} steps/s: steps made per second", (len(sbs.text) - start) /
                          (time.perf_counter() - t0)))
            screen.action_play()
    return rows, rates


def main() -> int:
    ok = True
    print(machine())
    print(f"{RUNS} runs each, headless")
    for size in ((80, 24),) if SMOKE else ((80, 24), (120, 40)):
        rows, rates = asyncio.run(measure(size))
        base = statistics.median(rows[0][1])
        print(f"\n{size[0]}×{size[1]}")
        print(table([(n, f"{statistics.median(t):.2f}", f"{min(t):.2f}–{max(t):.2f}",
                       f"{statistics.median(t) / base:.1f}×") for n, t in rows],
                    ("update", "median ms", "range ms", "vs baseline")))
        for name, rate in rates:
            print(f"{name}: {rate:.1f}")
        ok &= rates[0][1] >= TARGET * 0.95  # a 30 Hz timer makes 28.5–30 steps in a second
    print(f"\nplay keeps >= {TARGET:g} steps/s with three models: {'met' if ok else 'NOT met'}")
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
