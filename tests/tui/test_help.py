"""`?` names every key of its screen, uncut at every size; the palette has one entry per action."""

from __future__ import annotations

import re

import pytest
from rich.console import Console
from textual.widgets import Static

from rnn_tui.tui.app import RnnApp
from rnn_tui.tui.commands import BindingCommands
from rnn_tui.tui.screens.help import HelpScreen, help_rows

from .test_contrast import open_screen
from .test_tui import app_for, press, sync

SIZES = [(80, 24), (120, 40), (160, 60)]


def rendered_help(screen: HelpScreen) -> str:
    """The help's keys and legend as the terminal shows them: each Static rendered at its own width."""
    out = []
    for static in screen.query(Static):
        console = Console(width=static.content_region.width, record=True, file=open("/dev/null", "w"))
        console.print(static.content)
        out.append(console.export_text())
    return "\n".join(out)


def assert_names_every_row_uncut(text: str, rows: list[tuple[str, str]], legend: str = "") -> None:
    flat = " ".join(text.split())
    for keys, what in rows:
        assert keys in text, keys  # the keys column never wraps
        assert " ".join(what.split()) in flat or all(w in flat for w in what.split()), what
    allowed = sum(what.count("…") + keys.count("…") for keys, what in rows) + legend.count("…")
    assert text.count("…") <= allowed  # no word cut with an ellipsis


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@sync
async def test_the_main_help_names_every_binding_uncut_at_every_size(lstm_checkpoint, size):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=size) as pilot:
        await press(pilot, "question_mark")
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        text = rendered_help(screen)
        assert_names_every_row_uncut(text, screen.rows, screen.legend)
        described = [b for b in RnnApp.BINDINGS if b.description]
        # every binding is in a row: its own description, or its group's
        for b in described:
            assert (b.group.description if b.group else b.description) in {what for _, what in screen.rows}
        for word in ("Memory span", "equations", "Clamp", "Side by side", "Sampling explained", "snapshot"):
            assert word in text


def test_help_rows_come_from_the_bindings_and_their_groups():
    rows = dict(help_rows(RnnApp.BINDINGS))
    assert rows["t / T"] == "Temperature down / up"
    assert rows["1…5"] == "Take candidate 1…5"
    assert rows["x / X"] == "Clamp a unit / undo"
    assert rows["M"] == "Memory span" and rows["e"] == "Unit's equations on/off"


OPEN = {  # how a screen is reached from the main view, and the key that was pressed there
    "MemorySpanScreen": ("M",),
    "SideBySideScreen": ("v",),
    "SamplingScreen": ("d",),
}


@pytest.mark.parametrize("name", OPEN)
@sync
async def test_each_screens_help_shows_that_screens_keys(lstm_checkpoint, name):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, *OPEN[name])
        screen = app.screen
        assert type(screen).__name__ == name
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.rows == help_rows(screen.BINDINGS)
        assert_names_every_row_uncut(rendered_help(app.screen), app.screen.rows)
        await press(pilot, "escape")
        assert app.screen is screen


@sync
async def test_the_finder_and_its_views_have_their_own_help(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "a")
        for _ in range(100):
            await pilot.pause(0.05)
            if type(app.screen).__name__ == "FinderScreen":
                break
        finder = app.screen
        assert type(finder).__name__ == "FinderScreen"
        await press(pilot, "question_mark")
        assert app.screen.rows == help_rows(finder.BINDINGS)


@sync
async def test_the_palette_has_one_entry_per_action_found_by_a_students_words(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(120, 40)):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        provider = BindingCommands(app.screen)
        texts = [text.partition(" (")[0] for text, _, _ in provider.commands()]
        assert len(set(texts)) == len(texts)
        for duplicate in ("Quit", "Screenshot", "Keys"):  # the keys q, ctrl+s and ? do these
            assert duplicate not in titles

        async def found(query: str) -> set[str]:
            return {h.help.removeprefix("key: ") for h in [h async for h in provider.search(query)]}

        assert {"e", "x", "X", "M", "v", "d"} <= await found("exper")
        assert "M" in await found("memory") and "M" in await found("remember")
        assert {"M", "v"} <= await found("compare")
        assert "e" in await found("equation")
        assert {"x", "X"} <= await found("clamp")
        assert {"g", "x"} <= await found("gate")
        assert {"<", ">"} == await found("snapshot")
        assert {"t", "T"} == await found("temper")
        assert not re.search(r"q", "".join(await found("zzz")))


FOOTERS = {"main": (), "memory span": ("M",), "side by side": ("v",), "sampling": ("d",),
           "finder": ("a", "WAIT"), "karpathy": ("a", "WAIT", "K"), "saturation": ("a", "WAIT", "S")}


@pytest.mark.parametrize("name", FOOTERS)
@sync
async def test_every_footer_is_whole_at_80_columns(lstm_checkpoint, name):
    """Each key the footer shows ends before the palette key on the right: nothing cut ("H Ge", "⏎ Se")."""
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    app = app_for(lstm_checkpoint, prime="First Citizen:\n")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(app, pilot, FOOTERS[name])
        footer = app.screen.query_one(Footer)
        keys = list(footer.query(FooterKey))
        palette = [k for k in keys if k.has_class("-command-palette")]
        right = palette[0].region.x if palette else footer.region.right
        shown = [k for k in keys if not k.has_class("-command-palette")]
        assert shown and all(k.region.right <= right for k in shown), [(k.description, k.region) for k in shown]
