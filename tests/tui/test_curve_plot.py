"""The memory-span plot's curve colours on light and dark themes."""

from __future__ import annotations


def test_every_curve_colour_reads_on_a_light_theme_and_is_left_alone_on_a_dark_one():
    """The cell types' colours (the yellow T and orange R were 1.0:1 and 1.7:1 on textual-light's grey)."""
    from textual.color import Color
    from textual.theme import BUILTIN_THEMES

    from rnn_tui.core.cells import CELLS
    from rnn_tui.core.transformer import TRANSFORMER
    from rnn_tui.tui.panels.curve_plot import LEAST_CONTRAST, _contrast, legible
    from rnn_tui.tui.screens.memory_span import LINE_COLOURS

    colours = [cell.marker[1] for cell in CELLS.values()] + [TRANSFORMER.marker[1]]
    colours += list(LINE_COLOURS)
    light, dark = BUILTIN_THEMES["textual-light"].background, "#1e1e1e"  # textual-dark leaves it to Textual
    for colour in colours:
        shown = legible(colour, light)
        assert _contrast(Color.parse(shown), Color.parse(light)) >= LEAST_CONTRAST, (colour, shown)
        assert legible(colour, dark) == colour
    assert legible("#009e73", "not a colour") == "#009e73"
