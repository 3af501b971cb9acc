"""Each defect found trying viewer v1 as a new user would, pinned (issue: viewer v2, section 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.color import ColorSystem

from rnn_tui.tui.app import build_app
from rnn_tui.tui.engine.palette import LEVELS, MID, Maps
from rnn_tui.tui.panels import HeatmapPanel, PredictionsPanel, StatusPanel, TextPanel, TimelinePanel
from rnn_tui.tui.panels.text import wrap
from rnn_tui.tui.screens.help import help_rows

from .test_tui import app_for, painted, press, sync, text_rows

ROOT = Path(__file__).parent.parent.parent


def footer_text(app) -> str:
    return painted(app).splitlines()[-1]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@sync
async def test_a_prime_given_at_launch_shows_whole_before_any_key(lstm_checkpoint, size):
    app = build_app(lstm_checkpoint, seed=1, prime="ROMEO:\nWhat", glyphs=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.pause()
        rows = text_rows(app)
        assert rows[0].startswith("ROMEO:↵") and rows[1].startswith("What")


@sync
async def test_lstm_cell_state_is_coloured_over_its_own_range_not_clipped_to_one(make_checkpoint):
    app = app_for(make_checkpoint("lstm", seed=5), prime="The quick brown fox jumps")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, *["right_square_bracket"] * 5)
        c = app.config.quantities.index("c")
        heat = app.query_one(HeatmapPanel)
        cell_values = np.abs(app.session.acts[app.view.layer, c])
        assert cell_values.max() > 1  # c is not a tanh quantity
        levels = heat.levels[c, : app.config.hidden]
        at_ends = np.isin(levels, (0, LEVELS - 1)).mean()
        assert at_ends < 0.5  # clipped to ±1, most of them sat at the ends (two-tone)
        await press(pilot, "s")  # the shared scale for c is its layer's range, still not ±1
        assert app.view.shared_scale and app.stats.shared[app.view.layer, c] > 1


async def play_behind_a_tiny_budget(app, pilot) -> None:
    """Play, then run five frames by hand, each as if it had written 5 KB: over a 1 KB/s budget."""
    await press(pilot, "space")
    app.timer.pause()
    for _ in range(5):
        app.player.meter.add(5_000)
        app.tick()
    await pilot.pause()


@sync
async def test_predictions_behind_the_text_while_playing_are_marked(lstm_checkpoint):
    app = app_for(lstm_checkpoint, fps=30, speed=30, max_kbps=1)
    async with app.run_test(size=(120, 40)) as pilot:
        await play_behind_a_tiny_budget(app, pilot)
        assert app.query_one(PredictionsPanel).stale
        assert "next char ≈" in painted(app)
        await press(pilot, "space")
        assert "next char ≈" not in painted(app)


@sync
async def test_the_stale_mark_never_wraps_the_predictions_heading_at_80_by_24(lstm_checkpoint):
    app = app_for(lstm_checkpoint, fps=30, speed=30, max_kbps=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await play_behind_a_tiny_budget(app, pilot)
        panel = app.query_one(PredictionsPanel)
        assert panel.stale
        lines = panel.render().plain.splitlines()
        assert lines[0].startswith("next char ≈") and len(lines[0]) <= panel.size.width
        assert lines[1].startswith("1 ")  # no wrapped rest of the heading before the candidates


@sync
async def test_80_by_24_shows_help_and_quit_in_the_footer_whole_titles_the_cell_grid_and_mode_and_seed(
        lstm_checkpoint):
    app = app_for(lstm_checkpoint, seed=12)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "m")
        shown = painted(app)
        footer = footer_text(app)
        assert "? Help" in footer and "q Quit" in footer
        heat = app.query_one(HeatmapPanel)
        assert app.config.quantities.index("c") in heat.layout_.shown  # c without pressing g
        for name in ("input", "forget", "cell"):  # whole names; the followed grid (h) may trade its
            if app.config.quantities.index(name[0]) in heat.layout_.shown:  # name for its range
                assert name in shown
        status = shown.splitlines()[0]
        assert "argmax" in status and "seed 12" in status


@sync
async def test_120_by_40_titles_are_whole_words(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        shown = painted(app)
        for title in ("i input", "f forget", "g candidate", "o output", "c cell", "h hidden"):
            assert title in shown


def test_sixteen_colour_maps_come_out_as_their_designed_ansi_numbers():
    for dark in (True, False):
        maps = Maps((18, 18, 18) if dark else (255, 255, 255), dark, standard=True)
        for signed in (False, True):
            numbers = set()
            for lv in range(LEVELS):
                n = maps.number(lv, signed)
                if n is not None:
                    assert maps.color(lv, signed).downgrade(ColorSystem.STANDARD).number == n
                    numbers.add(n)
            assert len(numbers) >= 5  # not merged into a handful
        signed_numbers = {maps.number(lv, True) for lv in range(LEVELS)}
        assert signed_numbers & {1, 9} and signed_numbers & {4, 12}  # a red and a blue both appear
        assert maps.number(MID, True) is None  # zero is the background


@pytest.mark.parametrize("argv, says", [(["nosuchmodel"], "bundled models: phone-numbers"),
                                        (["--fps", "0"], "--fps must be at least 0.1"),
                                        (["--fps", "500"], "at most 240")])
def test_bad_model_names_and_fps_say_what_would_work(argv, says):
    r = subprocess.run([sys.executable, "-m", "rnn_tui", *argv], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and says in r.stderr


def test_help_lists_both_temperature_keys_and_the_letter_keys_for_units():
    from rnn_tui.tui.app import RnnApp

    rows = help_rows(RnnApp.BINDINGS)
    what = dict(rows)
    assert what["t / T"] == "Temperature down / up"
    assert what["↑ k / ↓ j"] == "Unit: row up / down"
    assert what["⇧← h / ⇧→ ;"] == "Unit: previous / next"
    assert what["1…5"] == "Take candidate 1…5"
    for key, says in (("s", "Scale"), ("o", "Order units"), ("z", "Zoom"), ("?", "Help"), ("q", "Quit")):
        assert what[key].startswith(says), key
    # each key is named in one row only, as a word of its own
    words = [w for keys, _ in rows for w in keys.replace(" / ", " ").split()]
    assert len(words) == len(set(words))


@sync
async def test_the_palette_finds_temperature(lstm_checkpoint):
    from rnn_tui.tui.commands import BindingCommands

    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(80, 24)):
        provider = BindingCommands(app.screen)
        hits = [h async for h in provider.search("temper")]
        assert {h.help for h in hits} == {"key: t", "key: T"}


@sync
async def test_r_restarts_from_the_last_prime_whether_given_at_launch_or_with_p(lstm_checkpoint):
    app = app_for(lstm_checkpoint, prime="The ")
    async with app.run_test(size=(100, 30)) as pilot:
        await press(pilot, "right_square_bracket", "r")
        assert app.session.text() == "The "
        await press(pilot, "p")
        await pilot.press(*"Hi", "enter")
        await press(pilot, "right_square_bracket", "r")
        assert app.session.text() == "Hi"


@sync
async def test_enter_on_the_empty_prime_prompt_feeds_its_placeholder(lstm_checkpoint):
    app = app_for(lstm_checkpoint, prime="The ")
    async with app.run_test(size=(100, 30)) as pilot:
        await press(pilot, "p", "enter")  # a model without a held-out passage: the newline every model knows
        assert app.session.text() == "The \n"


@sync
async def test_widening_the_window_while_paused_widens_the_timeline_strip(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(80, 30)) as pilot:
        await press(pilot, *["right_square_bracket"] * 10)
        strip = app.query_one(TimelinePanel)
        narrow = len(strip.frame.ids)
        await pilot.resize_terminal(140, 30)
        await pilot.pause()
        await pilot.pause()
        assert len(strip.frame.ids) > narrow and len(strip.frame.ids) == min(strip.steps, app.session.cursor + 1)
        assert len(text_rows(app)[0]) > 100


def test_text_wraps_at_a_space_and_splits_only_words_longer_than_a_line():
    ids = [ord(c) for c in "the cat sat on mat\nsupercalifragilistic x"]
    lines = ["".join(chr(i) for i in ids[a:b]) for a, b in wrap(ids, 9, ord("\n"), ord(" "))]
    assert lines == ["the cat ", "sat on ", "mat\n", "supercali", "fragilist", "ic x"]


@sync
async def test_the_status_shows_the_selected_units_value_highlighted(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "right")
        status = app.query_one(StatusPanel)
        v = app.view
        value = float(app.session.acts[v.layer, v.quantity, v.unit])
        spans = [status.text.plain[s.start:s.end] for s in status.text.spans if s.style]
        assert any(f"h{v.unit} {value:+.2f}" in s for s in spans)


@sync
async def test_text_panel_frame_is_current_after_a_key(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "right")
        assert app.query_one(TextPanel).shown_at == (app.session.revision, app.session.cursor)


@sync
async def test_a_clamp_on_the_status_line_does_not_push_the_colour_scale_off(lstm_checkpoint):
    app = app_for(lstm_checkpoint, seed=12)
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.set_clamp({0: {"h": ([0], [0.0])}}, "clamp L1 h[0]=0")
        await press(pilot, "right")
        status = painted(app).splitlines()[0]
        assert "clamp L1 h[0]=0" in status and "unit scale" in status and "…" not in status
