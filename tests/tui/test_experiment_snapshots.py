"""Snapshots of each experiment screen and panel, at 80×24 and 120×40, reached through the viewer's keys."""

from __future__ import annotations

import pytest

from rnn_tui.core.checkpoint import resolve
from rnn_tui.tui.app import build_app

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


def steps(n: int) -> list[str]:
    return ["right"] * n


async def settle(pilot) -> None:
    """Wait until no worker is left (one that ends may post work that starts another), and, on the memory-span
    screen, until its curve has all its passes: under a loaded parallel run a snapshot once caught the first."""
    from rnn_tui.tui.screens.memory_span import PASSES, MemorySpanScreen

    for _ in range(400):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.02)
        screen = pilot.app.screen
        done = not isinstance(screen, MemorySpanScreen) or f"mean over {PASSES} random" in screen.note
        if done and all(w.is_finished for w in pilot.app.workers):
            return


@SIZES
@pytest.mark.parametrize("keys", [
    pytest.param([*steps(12), "e"], id="equations"),
    pytest.param([*steps(6), "x", *"L2 h all 0", "enter", *steps(6)], id="clamp"),
    pytest.param([*steps(30), "M"], id="memory-span"),
    pytest.param([*steps(4), "d", "t", "m", "m"], id="sampling"),
])
def test_experiment_snapshot(snap_compare, lstm_checkpoint, size, keys):
    app = build_app(lstm_checkpoint, seed=7, prime="First Citizen:\n", glyphs=False)

    async def run_before(pilot) -> None:
        await pilot.press(*keys)
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@SIZES
def test_side_by_side_snapshot(snap_compare, size):
    # the bundled models: side by side pairs the viewer's model with the other cell types trained on its corpus
    app = build_app(resolve("shakespeare-lstm"), seed=7, prime="First Citizen:\n", glyphs=False)

    async def run_before(pilot) -> None:
        await pilot.press(*steps(8), "v", "right", "right")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
