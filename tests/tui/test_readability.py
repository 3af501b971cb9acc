"""Readable at a glance (issue: viewer v2, section 3): opening unit, per-unit scale, marker, themes, zoom, order."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tui.analysis.unit_stats import measure, opening_unit
from rnn_tui.core.checkpoint import load
from rnn_tui.tui.engine.palette import LEVELS, MID, Maps
from rnn_tui.tui.engine.view_state import ORDERS, ZOOMS, ViewState, move
from rnn_tui.tui.panels import HeatmapPanel, TextPanel

from .test_tui import app_for, painted, press, sync


def test_without_known_cells_the_viewer_opens_on_the_unit_that_varies_most_over_the_passage(lstm_checkpoint):
    ckpt = load(lstm_checkpoint)  # random weights: no known cells (test_neurons: a bundled model opens on one)
    stats = measure(ckpt.model(), ckpt.vocab)
    layer, q, unit = opening_unit(stats, ckpt)
    assert (layer, q) == (ckpt.config.layers - 1, len(ckpt.config.quantities) - 1)
    assert stats.variance[layer, q, unit] == stats.variance[layer, q].max()
    app = app_for(lstm_checkpoint)
    assert (app.view.layer, app.view.quantity, app.view.unit) == (layer, q, unit)


def test_a_model_that_knows_few_passage_characters_is_measured_on_its_own_text(make_checkpoint):
    ckpt = load(make_checkpoint(chars=tuple("0123456789()- \n"), hidden=16))
    stats = measure(ckpt.model(), ckpt.vocab)
    assert np.isfinite(stats.variance).all() and stats.variance.max() > 0


@pytest.mark.parametrize("own", [False, True], ids=["passage", "own text"])
def test_a_huge_model_is_measured_on_as_many_steps_as_it_can_afford(make_checkpoint, monkeypatch, own):
    """The first pass before the first frame costs steps × parameters: a huge model (an LSTM 2×6400 spent
    27 s on it) runs MIN_STEPS, the passage cut to fit, or that many characters of its own."""
    from rnn_tui.analysis import unit_stats

    monkeypatch.setattr(unit_stats, "WORK", 1)  # as if every model were huge
    ckpt = load(make_checkpoint(chars=tuple("0123456789()- \n"), hidden=16) if own else make_checkpoint("lstm"))
    model, calls = ckpt.model(), []
    real_step, real_forward = model.step, model.forward
    monkeypatch.setattr(model, "step", lambda *a: calls.append("step") or real_step(*a))
    monkeypatch.setattr(model, "forward", lambda ids, **k: calls.append(ids.shape) or real_forward(ids, **k))
    stats = measure(model, ckpt.vocab)
    steps = unit_stats.MIN_STEPS
    streams, n = calls[-1]
    assert calls.count("step") == (steps if own else 0)
    assert unit_stats.WARMUP < n <= steps and streams * n <= steps * unit_stats.STREAMS
    assert np.isfinite(stats.variance).all() and stats.variance.max() > 0


@sync
async def test_s_switches_between_each_units_range_and_one_per_grid_and_the_legend_says_which(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "right")
        v = app.view
        own = app.stats.scale[v.layer, v.quantity, v.unit]
        heat = app.query_one(HeatmapPanel)
        legend = heat.ranges[1]  # the unit's own range, to two figures: "±.31", "±2.5", "±25"
        assert legend.startswith("±") and not legend.startswith("±0") and len(legend) <= 4
        assert float(legend[1:]) == pytest.approx(own, rel=0.05)
        await press(pilot, "s")
        assert app.view.shared_scale and heat.ranges[1] == "±1"
        assert "shared scale" in painted(app).splitlines()[0]


@pytest.mark.parametrize("glyphs", [False, True])
@sync
async def test_the_selected_unit_is_marked_in_every_grid_and_its_row(lstm_checkpoint, glyphs):
    app = app_for(lstm_checkpoint, glyphs=glyphs)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "right", "down", "down")
        heat = app.query_one(HeatmapPanel)
        lines, columns = grid_and_column_lines(heat)
        marks = sum(line.count("▲") + line.count("▼") + line.count("◆") for line in lines)
        rows = sum(line.count("◀") for line in lines)
        assert marks == len(heat.layout_.shown) == rows == sum(line.count("▲") for line in columns)
        col = heat.order.index(app.view.unit) % heat.layout_.cols
        assert columns[0].index("▲") == col  # under the selected column of the first grid


def grid_and_column_lines(heat) -> tuple[list[str], list[str]]:
    """The heatmap's lines: titles and grid rows, and apart from them the column-marker line under each grid."""
    block = heat.layout_.block_height
    lines = ["".join(s.text for s in heat.render_line(y)) for y in range(heat.size.height)]
    return ([line for y, line in enumerate(lines) if y % block != block - 1],
            [line for y, line in enumerate(lines) if y % block == block - 1])


def test_zero_is_the_background_on_dark_and_light_themes():
    for bg, dark in (((18, 18, 18), True), ((224, 224, 224), False), ((253, 246, 227), False)):
        maps = Maps(bg, dark)
        for level, signed in ((MID, True), (0, False)):
            c = maps.color(level, signed)
            assert (c.triplet.red, c.triplet.green, c.triplet.blue) == bg
        # magnitude moves away from the background: lighter on dark, darker on light
        ends = [maps.luminance(lv, True) for lv in (0, LEVELS - 1)] + [maps.luminance(LEVELS - 1, False)]
        mid = maps.luminance(MID, True)
        assert all((e > mid) if dark else (e < mid) for e in ends)


@sync
async def test_the_app_follows_textuals_theme(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.maps.dark
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        assert not app.maps.dark and app.maps.background == (224, 224, 224)
        text = app.query_one(TextPanel)
        assert text.base.bgcolor is not None  # blank cells drawn in the theme's background


@sync
async def test_z_cycles_the_heatmap_cell_sizes(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(200, 60)) as pilot:
        heat = app.query_one(HeatmapPanel)
        widths = []
        for _ in ZOOMS:
            widths.append(heat.layout_.unit_w)
            await press(pilot, "z")
        assert widths == list(ZOOMS) and heat.layout_.unit_w == ZOOMS[0]
        await press(pilot, "z", "z")  # lines cached at one size are never shown at another
        lines, _ = grid_and_column_lines(heat)
        assert not any("▲" in line or "▼" in line or "▀" in line for line in lines)
        assert sum(line.count("◆") for line in lines) == 2 * len(heat.layout_.shown)  # 4×2: two rows


@sync
async def test_o_orders_units_and_the_selection_follows_its_unit(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "right")
        unit = app.view.unit
        heat = app.query_one(HeatmapPanel)
        assert heat.order == tuple(range(app.config.hidden))
        await press(pilot, "o")
        v = app.view
        assert v.order == ORDERS[1] and v.unit == unit
        expected = tuple(int(u) for u in np.argsort(-app.stats.variance[v.layer, v.quantity], kind="stable"))
        assert heat.order == expected
        await press(pilot, "shift+right")  # moving goes to the next unit in the grid's order
        assert app.view.unit == expected[expected.index(unit) + 1]


def test_moving_through_a_grid_clamps_at_its_ends():
    order = (3, 1, 2, 0)
    assert move(order, 1, 1) == 2 and move(order, 3, -1) == 3 and move(order, 2, 10) == 0
    v = ViewState(2, 6, 64, 1, 5, 10)
    assert v.next_order().next_order().order == ORDERS[2] and v.select(99).unit == 63


@sync
async def test_g_moves_the_highlighted_title_to_the_followed_grid(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "g")  # h -> i
        heat = app.query_one(HeatmapPanel)
        title = heat.render_line(0)
        reversed_letters = [s.text for s in title if s.style and s.style.reverse]
        assert reversed_letters == ["i"]
