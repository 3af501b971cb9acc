"""Every screen legible in 16 colours and without colour: each character's colour against its background.

The screen is rendered headless with the colour system forced, then every cell
that shows a character (not a space, not a colour block of a map) is downgraded
as a 16-colour terminal does and its contrast measured (WCAG's ratio) in two
common palettes, which disagree on the ANSI colours. With NO_COLOR the screen
goes through Textual's own filters first (they turn every colour into its grey),
and the greys' contrast is measured: red text on a blue of the same lightness
would vanish there.
"""

from __future__ import annotations

import pytest
import textual.constants
from rich.color import Color, ColorSystem

from .test_palette import OTHER_16
from .test_tui import app_for, press, sync

STANDARD_RGB = ((0, 0, 0), (170, 0, 0), (0, 170, 0), (170, 85, 0), (0, 0, 170), (170, 0, 170), (0, 170, 170),
                (170, 170, 170), (85, 85, 85), (255, 85, 85), (85, 255, 85), (255, 255, 85), (85, 85, 255),
                (255, 85, 255), (85, 255, 255), (255, 255, 255))
MIN_CONTRAST = 1.8  # below this a character is hard to find at all on its background (blue on blue: 1.0)
BLOCKS = set(" ▀▄█▌▐░▒▓▁▂▃▄▅▆▇▏▎▍▋▊▉▔─│┤└┬┴┼╭╮╰╯━┃")  # drawn shapes, not characters to read


def luminance(rgb) -> float:
    def ch(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (ch(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a, b) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def shown(color: Color | None, palette, default) -> tuple[int, int, int]:
    if color is None or color.is_default:
        return default
    if palette is None:  # as written (NO_COLOR's greys)
        return tuple(color.get_truecolor())
    number = color.downgrade(ColorSystem.STANDARD).number
    return palette[number] if number is not None and number < 16 else tuple(color.get_truecolor())


def worst_cells(app, palette, filtered: bool = False) -> list[tuple[float, str, int, int]]:
    """(contrast, character, x, y) of every visible character below MIN_CONTRAST (`filtered`: after the app's
    line filters, as the terminal gets it; `palette` None: colours as written)."""
    bad = []
    strips = app.screen._compositor.render_strips()
    if filtered:
        background = app.screen.styles.background
        for line_filter in app.get_line_filters():
            strips = [strip.apply_filter(line_filter, background) for strip in strips]
    for y, strip in enumerate(strips):
        x = 0
        for seg in strip:
            style = seg.style
            for ch in seg.text:
                if ch not in BLOCKS and style is not None:
                    fg = shown(style.color, palette, (229, 229, 229))
                    bg = shown(style.bgcolor, palette, (0, 0, 0))
                    if style.reverse:
                        fg, bg = bg, fg
                    r = ratio(fg, bg)
                    if r < MIN_CONTRAST and not style.dim:
                        bad.append((round(r, 2), ch, x, y))
                x += 1
    return bad


SCREENS = {  # keys from the main view that open each screen
    "main": (),
    "help": ("question_mark",),
    "memory span": ("M",),
    "side by side": ("v",),
    "sampling": ("d",),
    "prime": ("p",),
    "finder": ("a",),
    "karpathy": ("a", "WAIT", "K"),
    "saturation": ("a", "WAIT", "S"),
}


async def open_screen(app, pilot, keys: tuple[str, ...]) -> None:
    """Step a little, then press `keys` ("WAIT": until the workers, such as the finder's, are done)."""
    await press(pilot, *["right"] * 8)
    for key in keys:
        if key == "WAIT":
            await app.workers.wait_for_complete()
            await pilot.pause()
        else:
            await press(pilot, key)
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("palette", [STANDARD_RGB, OTHER_16], ids=["rich", "vscode"])
@pytest.mark.parametrize("name", SCREENS)
@sync
async def test_every_screen_is_legible_in_16_colours(lstm_checkpoint, monkeypatch, name, palette):
    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "standard")
    app = app_for(lstm_checkpoint, prime="First Citizen:\n")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_screen(app, pilot, SCREENS[name])
        bad = worst_cells(app, palette)
        assert not bad, bad[:10]


@pytest.mark.parametrize("name", SCREENS)
@sync
async def test_every_screen_is_legible_without_colour(lstm_checkpoint, monkeypatch, name):
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for(lstm_checkpoint, prime="First Citizen:\n", glyphs=None)  # glyphs follow NO_COLOR
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.no_color and app.glyph_mode
        await open_screen(app, pilot, SCREENS[name])
        bad = worst_cells(app, None, filtered=True)
        assert not bad, bad[:10]
