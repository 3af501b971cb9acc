"""The analysis screens (finder, Karpathy's view, saturation), driven through Textual's Pilot on a hand-wired model.

They are hosted by a bare App here, so they are tested apart from the main
viewer; the viewer opens them with one action each.
"""

from __future__ import annotations

import asyncio
import functools

import pytest
from textual.app import App
from textual.widgets import Input, OptionList

from rnn_tui.analysis.analysed import analyse
from rnn_tui.core.checkpoint import load
from rnn_tui.tui.messages import Analysed
from rnn_tui.tui.screens.finder import FinderScreen
from rnn_tui.tui.screens.karpathy import KarpathyScreen, KarpathyText
from rnn_tui.tui.screens.saturation import SaturationScreen
from tests.analysis.test_finder import TEXT
from tests.analysis.wired import COUNTER, QUOTE, write_wired

SIZES = [(80, 24), (120, 40)]


def sync(test):
    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))
    return run


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    ckpt = load(write_wired(tmp_path_factory.mktemp("wired") / "wired.safetensors"))
    return analyse(ckpt, TEXT, "test text")


class Host(App):
    """A bare app that opens one screen and records the units selected from it."""

    def __init__(self, make_screen) -> None:
        super().__init__()
        self.make_screen = make_screen
        self.selected: list[tuple[int, str, int]] = []
        self.analysed: list = []

    def on_mount(self) -> None:
        self.push_screen(self.make_screen(self))

    def select(self, layer: int, quantity: str, unit: int) -> None:
        self.selected.append((layer, quantity, unit))

    def on_analysed(self, message: Analysed) -> None:
        self.analysed.append(message.analysis)


def finder(analysis):
    return Host(lambda app: FinderScreen(analysis, app.select))


@sync
async def test_enter_on_the_top_line_position_unit_selects_it_and_opens_karpathys_view(analysis):
    app = finder(analysis)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # the first row: position in line, best unit
        await pilot.pause()
        assert app.selected == [(0, "c", COUNTER)]
        assert isinstance(app.screen, KarpathyScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, FinderScreen)


@sync
async def test_typing_a_regex_reranks_and_a_bad_one_is_a_message(analysis):
    app = finder(analysis)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *'"[^"]*"')
        await app.workers.wait_for_complete()  # matched on a worker thread
        await pilot.pause()
        screen = app.screen
        assert screen.regex_ranking is not None and screen.regex_ranking.hits[0].unit == QUOTE
        await pilot.press("enter")  # back to the list, on the regex's best unit
        await pilot.press("enter")
        assert app.selected[-1][2] == QUOTE
        await pilot.press("escape", "slash", "ctrl+u", "(")
        await pilot.pause()
        assert "invalid regular expression" in str(screen.query_one("#message").render())
        assert screen.query_one(Input).value == "("


SLOW = "(?s)(.*e){9}Q"  # backtracks for minutes over the test text


@sync
async def test_a_regex_that_backtracks_for_ever_is_one_line_and_the_screen_answers_keys_meanwhile(analysis,
                                                                                                  monkeypatch):
    from rnn_tui.tui.screens import finder as finder_screen

    monkeypatch.setattr(finder_screen, "REGEX_SECONDS", 3.0)
    app = finder(analysis)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *SLOW)
        await pilot.pause()
        screen = app.screen
        await pilot.press("ctrl+u", "a")  # typing goes on while it runs
        await pilot.pause()
        assert screen.query_one(Input).value == "a"
        await pilot.press("ctrl+u", *SLOW)
        await app.workers.wait_for_complete()
        await pilot.pause()
        message = str(screen.query_one("#message").render())
        assert "took more than 3 s" in message and "\n" not in message
        assert screen.regex_ranking is None


@sync
async def test_a_job_runs_on_a_worker_with_progress_and_an_error_is_a_message(analysis):
    def failing(progress):
        from rnn_tui.core.errors import UserError

        raise UserError("generated text: empty, nothing to analyse")

    app = Host(lambda app: FinderScreen(failing, app.select))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "empty, nothing to analyse" in str(app.screen.query_one("#message").render())
    app = Host(lambda app: FinderScreen(lambda p: (p(1, 2), analysis)[1], app.select))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.analysed == [analysis] and app.screen.query_one(OptionList).option_count > 10


@sync
async def test_karpathy_jumps_to_strong_on_places_and_selects_a_span(analysis):
    app = Host(lambda app: KarpathyScreen(analysis, analysis.cap.unit_index(0, "c", QUOTE), app.select))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(KarpathyText)
        await pilot.press("right_square_bracket")
        assert analysis.text[view.cursor] == '"'  # the quote cell turns on as a quote opens…
        start = view.cursor
        await pilot.press("right_square_bracket")
        assert view.cursor > start
        await pilot.press("left_square_bracket")
        assert view.cursor == start
        await pilot.press("right_square_bracket", "V", *["right"] * 4, "V")  # …and marks a span inside quotes ('"yes,')
        assert view.match is not None and analysis.cap.unit_name(view.match.units[0].index)[2] == QUOTE
        await pilot.press("escape")
        assert view.match is None and isinstance(app.screen, KarpathyScreen)  # Escape clears the selection first
        await pilot.press("c")
        assert view.index is None  # coloured by surprisal
        await pilot.press("enter")
        assert app.selected == []  # no unit to select while showing surprisal


@sync
async def test_karpathy_export_writes_html_and_svg(analysis, tmp_path):
    app = Host(lambda app: KarpathyScreen(analysis, analysis.cap.unit_index(0, "c", COUNTER), app.select, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("E")
        names = sorted(p.name for p in tmp_path.iterdir())
        assert names == ["karpathy-wired-L1-c-0.html", "karpathy-wired-L1-c-0.svg"]


@sync
async def test_saturation_enter_selects_the_unit_under_the_crosshair(analysis):
    app = Host(lambda app: SaturationScreen(analysis, app.select))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("tab", "enter")  # the second plot: L1 f
        assert app.selected and app.selected[0][:2] == (0, "f")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", ["finder", "karpathy", "saturation"])
def test_snapshot(snap_compare, analysis, screen, size):
    make = {
        "finder": lambda app: FinderScreen(analysis, app.select),
        "karpathy": lambda app: KarpathyScreen(analysis, analysis.cap.unit_index(0, "c", QUOTE), app.select),
        "saturation": lambda app: SaturationScreen(analysis, app.select),
    }[screen]

    async def run_before(pilot) -> None:
        await pilot.pause()
        if screen == "karpathy":
            await pilot.press("right_square_bracket")
        await pilot.pause()

    assert snap_compare(Host(make), terminal_size=size, run_before=run_before)


@sync
async def test_o_opens_a_file_for_analysis_and_a_bad_one_is_a_message(analysis, tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text('one "two" three\n' * 40)
    monkeypatch.chdir(tmp_path)  # short names to type: a key costs the Pilot a pause
    app = finder(analysis)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("O", *"missing.txt", "enter")
        await pilot.pause()
        assert "no such file" in str(app.screen.query_one("#message").render())
        await pilot.press("O", *"./notes.txt", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.analysis.source == "file notes.txt" and len(app.screen.analysis.text) == 16 * 40


@sync
async def test_H_analyses_the_generated_text(analysis):
    app = Host(lambda app: FinderScreen(analysis, app.select, history=lambda: 'said "yes" and "no"\n' * 30))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("H")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.analysis.source == "the text generated so far" and len(app.screen.analysis.text) == 600


@sync
async def test_the_viewer_opens_on_the_known_line_position_cell_and_u_and_a_reach_the_others():
    from rnn_tui.core.checkpoint import bundled_models
    from rnn_tui.tui.app import build_app

    app = build_app(bundled_models()["shakespeare-lstm"], seed=1, prime="ROMEO:\n")
    async with app.run_test(size=(100, 30)) as pilot:
        v = app.view
        assert (v.layer, app.config.quantities[v.quantity], v.unit) == (1, "c", 74)
        await pilot.press("u")
        assert (app.view.layer, app.view.unit) != (1, 74)
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, FinderScreen) and app.analysis.source == "its held-out passage"
        await pilot.press("enter")  # the passage's best line-position unit: selected in the main view
        await pilot.press("escape", "escape")
        assert (app.view.layer, app.config.quantities[app.view.quantity]) == (1, "c")


@sync
async def test_dragging_over_a_quoted_span_selects_it_and_a_click_only_moves(analysis):
    app = Host(lambda app: KarpathyScreen(analysis, analysis.cap.unit_index(0, "c", QUOTE), app.select))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("d")  # text only: one screen row per text row
        view = app.screen.query_one(KarpathyText)
        await pilot.click(KarpathyText, offset=(3, 0))
        assert view.cursor == 3 and view.mark is None and view.match is None
        row = 2  # 'She answered "no" twice, then "yes, of course" at last.'
        line = analysis.text.split("\n")[row]
        x0 = line.index('"yes')
        await pilot.mouse_down(KarpathyText, offset=(x0, row))
        await pilot.mouse_up(KarpathyText, offset=(x0 + 4, row))
        assert view.match is not None and analysis.cap.unit_name(view.match.units[0].index)[2] == QUOTE


@sync
async def test_the_finder_cursor_stops_on_every_row_so_counting_rows_lands_where_expected(analysis):
    """Greyed rows (a feature with nothing to rank) are rows the cursor stops on; Enter there does nothing."""
    from textual.widgets import OptionList

    app = finder(analysis)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        ol = app.screen.query_one(OptionList)
        greyed = [i for i in range(ol.option_count) if ol.get_option_at_index(i).id is None]
        assert greyed  # the test text leaves some feature with nothing to rank
        await pilot.press(*["down"] * greyed[0])
        assert ol.highlighted == greyed[0]
        await pilot.press("enter")
        assert app.selected == [] and type(app.screen).__name__ == "FinderScreen"
