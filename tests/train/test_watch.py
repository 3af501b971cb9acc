"""`rnn-tui train --watch`: the current sample and a plot of the loss, live in the terminal."""

from __future__ import annotations

import io

import pytest

from rnn_tui.train.plot import line_plot

from .helpers import options, prose


def _dots(ch: str) -> int:
    return {"▀": 1, "▄": 1, "█": 2}.get(ch, 0)


def test_a_falling_curve_runs_from_top_left_to_bottom_right():
    points = [(x, 4.5 - 3 * x / 99) for x in range(100)]
    grid, lo, hi = line_plot([points], width=20, height=5)
    assert (lo, hi) == (pytest.approx(1.5), pytest.approx(4.5))
    assert _dots(grid[0][0][0]) and not _dots(grid[-1][0][0])
    assert _dots(grid[-1][-1][0]) and not _dots(grid[0][-1][0])
    assert all(any(_dots(row[c][0]) for row in grid) for c in range(20))  # a connected line: every column


def test_the_second_series_is_drawn_over_the_first_and_nan_is_skipped():
    grid, _, _ = line_plot([[(0, 1.0), (10, 1.0)], [(5, float("nan")), (10, 2.0)]], width=10, height=4)
    owners = {o for row in grid for _, o in row}
    assert owners == {-1, 0, 1}
    assert line_plot([[]], 10, 3)[0] == [[(" ", -1)] * 10] * 3


def test_watch_shows_the_plot_and_the_sample(tmp_path):
    pytest.importorskip("torch")
    from rich.console import Console

    from rnn_tui.train.report import WatchReporter
    from rnn_tui.train.trainer import Trainer

    buf = io.StringIO()
    rep = WatchReporter(console=Console(file=buf, width=80, height=24, force_terminal=True, color_system="256"))
    rep.interval = 0.0  # a training-loss point after every step
    opts = options(tmp_path, prose(4000), max_steps=40, eval_every=10, sample_every=None)
    t = Trainer(opts, reporter=rep)
    t.run()
    frame = rep._render(t)
    plain = Console(file=io.StringIO(), width=80, height=24)
    with plain.capture() as cap:
        plain.print(frame)
    text = cap.get()
    assert len(text.splitlines()) <= 23  # the whole panel fits an 80×24 terminal
    assert "loss (nats/char)" in text and "training" in text and "held-out" in text
    assert sum(_dots(ch) for ch in text) > 40  # a curve, not just numbers
    assert "sample at step 40" in text
    assert len([h for h in t.history if h[2] is not None]) >= 4
    assert "done: 40 steps" in buf.getvalue()
