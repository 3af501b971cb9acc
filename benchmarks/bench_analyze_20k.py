"""Capture every unit and rank every built-in feature over 20,000 characters with the default model.

Target (issue #7): <= 1.5 s to a ranked list on screen. Baseline in the same
run: the plain teacher-forced pass round 5's `rnn-tui eval` made on a long text (16 streams, nothing
captured), so the ratio shows what capturing and ranking cost on top of running
the model. Rows alternate baseline and candidate, so both see the same load.
The last row opens the viewer's finder screen (headless, 120×40) on the text and
times it until the ranked list is filled.
"""

from __future__ import annotations

import asyncio
import sys
import time

from _analysis import model_and_text, timed, uptime
from _common import SMOKE, machine, table

from rnn_tui.analysis.capture import capture
from rnn_tui.analysis.features import BUILT_IN
from rnn_tui.analysis.finder import rank

N = 2_000 if SMOKE else 20_000
REPEATS = 1 if SMOKE else 5


async def _on_screen(ckpt, text: str) -> float:
    from textual.app import App
    from textual.widgets import OptionList

    from rnn_tui.analysis.analysed import analyse
    from rnn_tui.tui.screens.finder import FinderScreen

    class Host(App):
        def on_mount(self) -> None:
            self.t0 = time.perf_counter()
            self.push_screen(FinderScreen(lambda p: analyse(ckpt, text, "bench", p), lambda *a: None))

    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.screen.query(OptionList) or not app.screen.query_one(OptionList).option_count:
            await pilot.pause(0.01)
        return time.perf_counter() - app.t0


def main() -> int:
    print(machine())
    ckpt, text = model_and_text(N)
    model = ckpt.model()
    ids = ckpt.vocab.encode(text)
    print(f"{ckpt.name}, {N:,} held-out characters, {uptime()}")
    base, cand, split = [], [], []
    holder: dict = {}

    def analyse():
        holder["cap"] = capture(model, ckpt.vocab, text)
        rank(holder["cap"], BUILT_IN)

    for _ in range(REPEATS):
        base.append(timed(lambda: model.forward(ids[: N // 16 * 16].reshape(16, -1)), 1)[0])
        cand.append(timed(analyse, 1)[0])
        split.append(timed(lambda: rank(holder["cap"], BUILT_IN), 1)[0])  # moments cached: the regex case
    rows = []
    for name, xs in (("eval pass, 16 streams (baseline)", base), ("capture + rank 16 features", cand),
                     ("  ranking again (capture kept)", split)):
        xs = sorted(xs)
        rows.append((name, f"{xs[len(xs) // 2]:.3f}", f"{xs[0]:.3f}-{xs[-1]:.3f}",
                     f"{N / xs[len(xs) // 2]:,.0f}", f"{xs[len(xs) // 2] / sorted(base)[len(base) // 2]:.2f}x"))
    screen = asyncio.run(_on_screen(ckpt, text))
    rows.append(("finder screen: open -> ranked list shown", f"{screen:.3f}", "one run", f"{N / screen:,.0f}",
                 f"{screen / sorted(base)[len(base) // 2]:.2f}x"))
    print(table(rows, ("what", "median s", "range s", "chars/s", "vs baseline")))
    med = sorted(cand)[len(cand) // 2]
    print(f"target <= 1.5 s: {'met' if med <= 1.5 else 'NOT met'} ({med:.2f} s); {uptime()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
