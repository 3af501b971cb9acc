"""The viewer, driven through Textual's Pilot: every key, the timeline semantics, safety, sizes, snapshots."""

from __future__ import annotations

import asyncio
import functools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import textual.constants

from rnn_tui.core.session import FORCED, PICKED, PRIMED, SAMPLED, Session
from rnn_tui.core.text import unescape
from rnn_tui.tui.app import MIN_SIZE, build_app
from rnn_tui.tui.engine import palette
from rnn_tui.tui.engine.budget import SPEEDS
from rnn_tui.tui.panels import HeatmapPanel, TextPanel, TimelinePanel
from rnn_tui.tui.panels.heatmap import grid_layout
from rnn_tui.tui.panels.predictions import top_ids
from tests.conftest import ASCII_CHARS

SIZE = (100, 30)
CONTROL = {chr(c) for c in range(32)} | {"\x7f"}


def sync(test):
    """Run an async test with asyncio.run: no async plugin is needed."""
    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))
    return run


def app_for(path: Path, **kw):
    kw.setdefault("seed", 3)
    kw.setdefault("prime", "The ")
    kw.setdefault("glyphs", False)
    return build_app(path, **kw)


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.pause()


def painted(app) -> str:
    """Everything the app paints, as plain text."""
    lines = []
    for strip in app.screen._compositor.render_strips():
        lines.append("".join(seg.text for seg in strip))
    return "\n".join(lines)


# -- time: step, back, replay, branch ------------------------------------------------


@sync
async def test_step_and_back_keys_move_the_cursor(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        start = s.cursor
        await press(pilot, "right", "full_stop")
        assert s.cursor == start + 2
        await press(pilot, "left")
        assert s.cursor == start + 1
        await press(pilot, "comma")
        assert s.cursor == start
        await press(pilot, "right_square_bracket")
        assert s.cursor == start + 10
        await press(pilot, "left_square_bracket")
        assert s.cursor == start


@sync
async def test_rewind_then_forward_replays_the_same_text(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        await press(pilot, "right_square_bracket", "right_square_bracket")
        written = s.text()
        acts = s.acts.copy()
        await press(pilot, "left_square_bracket", "left")
        assert s.can_redo and s.text() == written[: len(written) - 11]
        # the temperature changes, but replay still gives the stored future
        await press(pilot, "T", "T", "right", "right_square_bracket")
        assert s.text() == written
        assert (s.acts == acts).all()


class UnitValues:
    """A session listener that keeps one unit's value at every position a model step computes."""

    def __init__(self, layer: int, quantity: int, unit: int) -> None:
        self.where = (layer, quantity, unit)
        self.at: dict[int, float] = {}

    def stepped(self, position: int, acts, logits) -> None:
        self.at[position] = float(acts[self.where])

    def truncated(self, length: int) -> None:
        pass


@sync
async def test_a_far_rewind_colours_the_text_once_its_values_are_computed(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(120, 40)) as pilot:
        s = app.session
        s.forward(3000)
        app.cache.clear()  # as if that history had long left the cache
        app.action_back(1500)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        frame = app.query_one(TextPanel).frame
        assert frame.levels is not None and len(frame.levels) == s.cursor - frame.start + 1
        # the unit's exact values, from a second session stepping through the same text
        v = app.view
        exact = UnitValues(v.layer, v.quantity, v.unit)
        replay = Session(s.model, app.vocab)
        replay.listeners.append(exact)
        replay.reset(s.text(0, s.cursor + 1))
        values = np.array([exact.at[p] for p in range(frame.start, s.cursor + 1)])
        # the colours follow the values: a larger value never gets a lower level (but for rounding), and
        # the text is really coloured, in more than a couple of levels
        order = np.argsort(values, kind="stable")
        levels, ranked = frame.levels[order].astype(int), values[order]
        lower = np.diff(levels) < 0
        assert (np.diff(ranked)[lower] < 1e-5).all()
        assert len(set(levels.tolist())) >= 3
        timeline = app.query_one(TimelinePanel)
        strip = timeline.frame  # the strip caught up with the cursor too
        assert strip.start + len(strip.ids) == s.cursor + 1 and not timeline.stale


@sync
async def test_taking_a_candidate_branches_the_timeline(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        await press(pilot, "right_square_bracket")
        await press(pilot, "left", "left", "left")
        at = s.cursor
        ranked = top_ids(s.probabilities(), 5)
        future = int(s.ids(at + 1, at + 2)[0])
        rank = next(k for k in range(1, 6) if ranked[k - 1] != future)
        await press(pilot, str(rank))
        assert s.cursor == at + 1
        assert int(s.ids(s.cursor, s.cursor + 1)[0]) == ranked[rank - 1]
        assert s.kind(s.cursor) == PICKED
        assert not s.can_redo  # the old future is gone


@pytest.mark.parametrize("rank", [1, 2, 3, 4, 5])
@sync
async def test_number_keys_take_that_candidate(lstm_checkpoint, rank):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        expected = top_ids(s.probabilities(), 5)[rank - 1]
        await press(pilot, str(rank))
        assert int(s.ids(s.cursor, s.cursor + 1)[0]) == expected


@sync
async def test_f_then_a_character_forces_it(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        before = s.cursor
        await press(pilot, "f", "q")  # q does not quit while the prompt is open
        assert app.is_running
        assert s.text().endswith("q") and s.kind(s.cursor) == FORCED and s.cursor == before + 1
        await press(pilot, "f", "enter")
        assert s.text().endswith("q\n")
        await press(pilot, "f", "escape")
        assert s.cursor == before + 2


@sync
async def test_forcing_a_character_outside_the_vocabulary_feeds_nothing(make_checkpoint):
    app = app_for(make_checkpoint(chars=tuple("abc \n")), prime="ab")
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        length = s.length
        await press(pilot, "f", "z")
        assert s.length == length
        assert any("vocabulary" in n.message for n in app._notifications)


@sync
async def test_p_feeds_a_typed_prime_with_teacher_forcing(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        await press(pilot, "right", "right", "p")
        await pilot.press(*"Hi\\n", "enter")
        await pilot.pause()
        assert s.text().endswith("Hi\n")
        assert all(s.kind(p) == PRIMED for p in range(s.cursor - 2, s.cursor + 1))
        assert s.kind(s.cursor - 3) == SAMPLED


@sync
async def test_p_can_prime_from_the_start_and_offers_an_example_that_fits_the_model():
    from rnn_tui.core.checkpoint import bundled_models

    app = build_app(bundled_models()["phone-numbers"], seed=1)
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        await press(pilot, "right", "right", "right", "p")
        example = app.screen.query_one("Input").placeholder
        assert example.endswith("\\n") and not app.vocab.unknown(example[:-2])  # not ROMEO: for phone numbers
        await pilot.press("tab", "down", "enter", "shift+tab", "enter")  # "from the start", then the example
        await pilot.pause()
        assert s.text() == example[:-2] + "\n" and all(s.kind(p) == PRIMED for p in range(s.length))


@sync
async def test_a_prime_with_unknown_characters_is_refused(make_checkpoint):
    app = app_for(make_checkpoint(chars=tuple("abc \n")), prime="ab")
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        text = s.text()
        await press(pilot, "p")
        await pilot.press("a", "x", "enter")
        await pilot.pause()
        assert s.text() == text
        assert any("nothing fed" in n.message for n in app._notifications)


@sync
async def test_r_resets_to_the_prime(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "right_square_bracket", "r")
        assert app.session.text() == "The "
        assert not app.session.can_redo


# -- sampling -------------------------------------------------------------------------


@sync
async def test_t_and_shift_t_step_the_temperature_down_to_argmax(lstm_checkpoint):
    app = app_for(lstm_checkpoint, temperature=0.8)
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        await press(pilot, "t")
        assert s.sampler.temperature == pytest.approx(0.6)
        await press(pilot, "T", "T")
        assert s.sampler.temperature == pytest.approx(1.0)
        await press(pilot, *["t"] * 8)
        assert s.sampler.temperature == 0 and s.sampler.describe() == "argmax"
        await press(pilot, *["T"] * 15)
        assert s.sampler.temperature == pytest.approx(2.0)


@sync
async def test_m_cycles_the_sampling_mode(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        modes = []
        for _ in range(4):
            await press(pilot, "m")
            modes.append(app.session.sampler.mode)
        assert modes == ["argmax", "top-k", "top-p", "sample"]  # core.sampling.MODES, from "sample" on


@sync
async def test_same_seed_and_keys_give_the_same_text(lstm_checkpoint):
    keys = ["right_square_bracket", "left", "left", "2", "T", "right_square_bracket", "m", "m", "right", "f", "x",
            "right_square_bracket"]
    texts = []
    for _ in range(2):
        app = app_for(lstm_checkpoint, seed=11)
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, *keys)
            texts.append(app.session.text())
    assert texts[0] == texts[1] and len(texts[0]) > 25


# -- play ------------------------------------------------------------------------------


@sync
async def test_space_plays_and_each_tick_advances_speed_over_fps_steps(lstm_checkpoint):
    app = app_for(lstm_checkpoint, fps=10, speed=20)
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        await press(pilot, "space")
        assert app.player.playing
        app.timer.pause()  # drive the frames by hand, not by the clock
        start = s.cursor
        app.tick()
        app.tick()
        assert s.cursor == start + 4  # 20 steps/s at 10 fps: 2 a frame
        await press(pilot, "space")
        assert not app.player.playing


@sync
async def test_a_slow_speed_steps_on_some_ticks_only(lstm_checkpoint):
    app = app_for(lstm_checkpoint, fps=30, speed=10)
    async with app.run_test(size=SIZE):
        s = app.session
        start = s.cursor
        for _ in range(30):
            app.tick()
        assert s.cursor == start + 10


@sync
async def test_plus_and_minus_change_the_play_speed(lstm_checkpoint):
    app = app_for(lstm_checkpoint, speed=10)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "plus")
        assert app.player.speed == 20
        await press(pilot, "minus", "minus")
        assert app.player.speed == 5
        await press(pilot, *["minus"] * 10)
        assert app.player.speed == SPEEDS[0]


# -- what to look at ----------------------------------------------------------------------


@sync
async def test_l_and_shift_l_cycle_layers(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        assert app.view.layer == 1
        await press(pilot, "l")
        assert app.view.layer == 0
        await press(pilot, "L")
        assert app.view.layer == 1


@sync
async def test_g_cycles_the_colouring_quantity_and_c_toggles_colouring(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        names = []
        for _ in range(6):
            names.append(app.config.quantities[app.view.quantity])
            await press(pilot, "g")
        assert names == ["h", "i", "f", "g", "o", "c"]
        assert app.view.coloured
        await press(pilot, "c")
        assert not app.view.coloured
        assert app.query_one(TextPanel).frame.levels is None


@sync
async def test_arrow_keys_move_the_selected_unit_across_the_grid(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        cols = app.query_one(HeatmapPanel).layout_.cols
        app.view = app.view.select(0)
        await press(pilot, "down")
        assert app.view.unit == cols
        await press(pilot, "shift+right", "semicolon")
        assert app.view.unit == cols + 2
        await press(pilot, "k", "h")
        assert app.view.unit == 1
        await press(pilot, "up", "shift+left", "shift+left")
        assert app.view.unit == 0  # clamped at the first unit
        await press(pilot, "j")
        assert app.view.unit == cols


@sync
async def test_n_goes_to_a_unit_by_number(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n")
        await pilot.press("4", "2", "enter")
        await pilot.pause()
        assert app.view.unit == 42
        await press(pilot, "n")
        await pilot.press("9", "9", "9", "enter")
        await pilot.pause()
        assert app.view.unit == 42


@sync
async def test_a_click_on_a_heatmap_cell_selects_its_unit(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        heat = app.query_one(HeatmapPanel)
        lay = heat.layout_
        await pilot.click(HeatmapPanel, offset=(3, 2))  # title row is 0: row 2 is the second cell row
        await pilot.pause()
        assert app.view.unit == 2 * lay.cols + 3


# -- other keys -----------------------------------------------------------------------------


@sync
async def test_ctrl_s_saves_an_svg_in_the_current_directory(lstm_checkpoint, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "ctrl+s")
    files = list(tmp_path.glob("*.svg"))
    assert len(files) == 1 and files[0].read_text().startswith("<svg")


@sync
async def test_question_mark_opens_help_listing_the_keys(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        await press(pilot, "escape")
        assert type(app.screen).__name__ == "Screen"


@sync
async def test_every_binding_is_in_the_command_palette(lstm_checkpoint):
    from rnn_tui.tui.commands import BindingCommands

    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        provider = BindingCommands(app.screen)
        actions = {a for _, a, _ in provider.commands()}
        assert {b.action for b in app.BINDINGS} <= actions
        await press(pilot, "ctrl+p")
        assert type(app.screen).__name__ == "CommandPalette"


@sync
async def test_q_quits(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "q")
        assert not app.is_running


# -- safety, sizes, start-up ------------------------------------------------------------------


@sync
async def test_control_characters_from_the_model_reach_the_screen_only_as_glyphs(make_checkpoint):
    chars = ("\x1b", "\x00", "\x07", "\x08", "\x7f", "\t", "\n", "a", "b", "[", "2", "J")
    app = app_for(make_checkpoint(chars=chars, hidden=16), prime="\x1b[2J\x07a\x00\x7f\t", temperature=2.0)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "right_square_bracket", "right_square_bracket", "f", "escape")
        await press(pilot, "1")
        assert any(c in app.session.text() for c in "\x1b\x00\x07")
        svg = app.export_screenshot()
        shown = painted(app)
    assert not CONTROL & set(svg.replace("\n", ""))
    assert not (CONTROL - {"\n"}) & set(shown)
    assert "␛" in shown


@sync
async def test_a_too_small_terminal_shows_a_message(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(MIN_SIZE[0] - 10, MIN_SIZE[1] - 4)) as pilot:
        await pilot.pause()
        assert "terminal too small: need at least" in painted(app)
        await press(pilot, "right")  # keys still work; nothing breaks


@sync
async def test_no_color_mode_draws_glyphs(lstm_checkpoint):
    app = app_for(lstm_checkpoint, glyphs=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "right_square_bracket")
        shown = painted(app)
    assert set("░▒▓█") & set(shown) and "▀" not in shown


@sync
async def test_no_color_env_switches_to_glyphs_and_renders(lstm_checkpoint, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = build_app(lstm_checkpoint, seed=3)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "right_square_bracket", "g", "c", "c", "l")
        assert app.glyph_mode and app.is_running
        svg = app.export_screenshot()  # goes through Textual's NO_COLOR filter
    assert "░" in svg or "▒" in svg or "█" in svg


@pytest.mark.parametrize("argv", [["/no/such/model.safetensors"], ["CORRUPT"], ["GOOD", "--prime", "é"]])
def test_a_bad_checkpoint_or_prime_exits_2_with_one_line(lstm_checkpoint, tmp_path, argv):
    bad = tmp_path / "corrupt.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    argv = [{"CORRUPT": str(bad), "GOOD": str(lstm_checkpoint)}.get(a, a) for a in argv]
    r = subprocess.run([sys.executable, "-m", "rnn_tui", *argv], capture_output=True, text=True, timeout=60,
                       cwd=Path(__file__).parent.parent)
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("rnn-tui: error:")


def test_the_viewer_never_imports_torch(lstm_checkpoint):
    code = ("import sys; from rnn_tui.tui.app import build_app; build_app(sys.argv[1]); "
            "import rnn_tui.commands.view; assert 'torch' not in sys.modules, 'torch imported'")
    r = subprocess.run([sys.executable, "-c", code, str(lstm_checkpoint)], capture_output=True, text=True,
                       timeout=60, cwd=Path(__file__).parent.parent)
    assert r.returncode == 0, r.stderr


def test_unescape_reads_backslash_escapes():
    assert unescape(r"a\nb\tc\\d\x41\q") == "a\nb\tc\\dA\\q"


def test_grid_layout_shows_every_grid_at_120_by_40_and_the_first_ranked_at_80_by_24():
    assert len(grid_layout(118, 18, 256, 6, (5, 4, 0, 1, 2, 3)).shown) == 6
    small = grid_layout(78, 9, 256, 6, (0, 5, 4, 1, 2, 3))
    assert {0, 5, 4} <= set(small.shown) and len(small.shown) >= 3


@sync
async def test_a_newline_in_the_text_ends_its_line_in_the_view_and_shows_as_a_return_sign(lstm_checkpoint):
    assert "\n" in ASCII_CHARS  # the fixture's models can write one
    app = app_for(lstm_checkpoint, prime="To be\nor not")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        rows = [row.rstrip() for row in text_rows(app)]
        first = next(k for k, row in enumerate(rows) if "To be" in row)
        assert rows[first].endswith("To be↵") and rows[first + 1].lstrip().startswith("or not")


# -- snapshots --------------------------------------------------------------------------------


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"], ids=["dark", "light"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_snapshot(snap_compare, make_checkpoint, cell, size, theme):
    app = build_app(make_checkpoint(cell), seed=7, prime="First Citizen:\n", glyphs=False)

    async def run_before(pilot) -> None:
        app.theme = theme
        await pilot.press(*["right"] * 30, "down", "shift+right")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_snapshot_in_256_colours(snap_compare, make_checkpoint, cell, size, monkeypatch):
    """What an SSH session shows (COLORTERM is not forwarded): the maps drawn from the xterm ramps."""
    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "256")
    app = build_app(make_checkpoint(cell), seed=7, prime="First Citizen:\n", glyphs=False)

    async def run_before(pilot) -> None:
        assert app.maps.key[-1]  # the 256-colour ramps are in use
        await pilot.press(*["right"] * 30, "down", "shift+right")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


# -- redo trail, NO_COLOR value row, bandwidth, 16 colours ------------------------------------


def text_rows(app) -> list[str]:
    """The text view's painted lines, as plain text."""
    view = app.query_one(TextPanel)
    return ["".join(seg.text for seg in view.render_line(y)) for y in range(view.size.height)]


@sync
async def test_the_redo_trail_shows_the_characters_ahead_until_a_branch(lstm_checkpoint):
    app = app_for(lstm_checkpoint, prime="The")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, *["right"] * 12)
        s = app.session
        ahead = s.text(s.cursor - 5, s.cursor + 1)
        await press(pilot, *["left"] * 6)
        assert s.can_redo and s.text(s.cursor + 1, s.cursor + 7) == ahead
        shown = "".join(text_rows(app))
        assert s.text(0, s.cursor + 1) + ahead in shown.replace("↵", "\n")  # written text, then the trail
        await press(pilot, "f", "#")  # a forced character branches: the trail is gone
        assert not s.can_redo
        shown = "".join(text_rows(app)).replace("↵", "\n").rstrip()
        assert shown.endswith(s.text(0, s.cursor + 1).rstrip().split("\n")[-1])


@sync
async def test_no_color_shows_the_selected_units_value_row_under_the_text(lstm_checkpoint):
    app = app_for(lstm_checkpoint, glyphs=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, *["right"] * 8)
        rows = text_rows(app)
        s = app.session
        values = rows[1].rstrip()  # the row under the first line of text
        assert rows[0].startswith(s.text(0, 4)) and len(values) >= 4
        assert set(values) <= set(" ░▒▓█.-=#+")
        assert values.strip()  # some unit value shows


@sync
async def test_with_no_byte_budget_every_play_frame_repaints_the_maps(lstm_checkpoint):
    app = app_for(lstm_checkpoint, fps=30, speed=30, max_kbps=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "space")
        app.timer.pause()  # frames by hand
        app.player.meter.add(10_000_000)  # a flood of bytes written changes nothing without a budget
        for _ in range(5):
            app.tick()
            assert not app.behind
        assert not app.heatmap.stale


@sync
async def test_a_tiny_byte_budget_holds_the_maps_back_and_marks_them(lstm_checkpoint):
    app = app_for(lstm_checkpoint, fps=30, speed=30, max_kbps=1)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "space")
        app.timer.pause()
        levels = app.heatmap.levels.copy()
        for _ in range(5):
            app.player.meter.add(5_000)  # what a terminal would have been sent for each frame
            app.tick()
        assert app.behind and app.heatmap.stale and app.query_one(TimelinePanel).stale
        assert (app.heatmap.levels == levels).all()  # the maps did not repaint
        await pilot.pause()
        assert "h≈" in painted(app)  # "h≈hidden", cut to the grid's width
        await press(pilot, "space")  # pausing repaints everything, at the cursor
        assert not app.behind and not app.heatmap.stale
        assert "h≈" not in painted(app)


@pytest.mark.parametrize("value", ["fast", "-1", "nan"])
def test_a_bad_max_kbps_exits_2_with_one_line(lstm_checkpoint, value):
    r = subprocess.run([sys.executable, "-m", "rnn_tui", str(lstm_checkpoint), "--max-kbps", value],
                       capture_output=True, text=True, timeout=60, cwd=Path(__file__).parent.parent)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "--max-kbps" in r.stderr


def test_max_kbps_is_in_the_help_and_defaults_to_40():
    from rnn_tui.commands.view import parse_kbps
    from rnn_tui.commands.view import parser as viewer_parser

    assert "--max-kbps" in viewer_parser().format_help()
    assert parse_kbps(viewer_parser().parse_args([]).max_kbps) == 40
    assert parse_kbps("0") == 0 and parse_kbps("12.5") == 12.5


@sync
async def test_sixteen_colours_use_their_own_maps_and_render(lstm_checkpoint, monkeypatch):
    import textual.constants

    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "standard")
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "right_square_bracket", "g", "l", "question_mark")
        maps = app.maps
        assert maps.standard
        # +1 and -1 of a signed map are different colours, and 0 is the background
        assert maps.number(0, True) != maps.number(palette.LEVELS - 1, True)
        assert maps.number(palette.MID, True) is None
        assert "KB/s" in painted(app)  # the help screen names the budget
        await press(pilot, "escape")
        assert app.is_running and "▀" in painted(app)


def test_a_space_candidate_is_shown_as_a_visible_mark():
    import numpy as np

    from rnn_tui.tui.panels.predictions import predict

    p = predict(np.array([0.7, 0.3]), (" ", "a"), 2, 0, np.array([0.7, 0.3]))
    assert p.candidates[0][0] == "␣" and p.taken == "␣"


@sync
async def test_a_start_with_the_collector_off_turns_it_on_once_the_first_screen_is_up(lstm_checkpoint):
    """The entry point turns Python's collector off for the viewer's start; the app collects once and turns
    it on again, so a long session is never left without it."""
    import gc

    from rnn_tui.tui.engine.frames import START_GC_AFTER

    gc.disable()
    try:
        app = app_for(lstm_checkpoint)
        async with app.run_test(size=SIZE) as pilot:
            assert not gc.isenabled()
            await pilot.pause(START_GC_AFTER + 0.5)
            assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


def test_the_entry_point_leaves_the_collector_on_when_the_viewer_stops_before_its_screen(tmp_path, capsys):
    import gc

    from rnn_tui.__main__ import main

    assert main([str(tmp_path / "missing.safetensors")]) == 2
    assert gc.isenabled()
