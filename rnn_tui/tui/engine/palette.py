"""Colour maps and their ready-made styles, one set per theme and colour system.

Values are quantised into LEVELS buckets, so a heatmap cell is a lookup into a
table of ready-made `rich.style.Style` objects rather than a colour computed per
cell per frame.

- Zero is the background, on dark and light themes alike: a unit doing nothing
  fades into the screen, and the ones firing stand out on a projector.
- Gates (0…1): a viridis-like sequential map from the background. On a dark
  theme lightness rises with the value, on a light one darkness does, so it reads
  in grey and for every kind of colour blindness.
- Signed quantities (tanh-like, and an LSTM's unbounded c): a diverging map,
  blue for negative and red for positive (the blue/orange axis colour-blind
  viewers still separate), magnitude as distance from the background.
- 256 colours: ramps of xterm palette numbers (the 6×6×6 cube and the grey ramp), each
  the closest (CIE76) to the truecolor ramp under the constraint that lightness grows
  strictly with |value| and the sign keeps its hue. Textual's nearest-colour downgrade of
  the truecolor ramps is not monotone (olive and brown among the reds, teal among the
  blues). Given as the palette's RGB, each comes out as its own number (Rich's downgrade
  maps it back exactly; tests/tui/test_palette.py checks both).
- 16 colours: maps of their own in ANSI colour numbers (Rich's nearest-colour
  downsampling of the maps above merges levels and signs), given as the RGB of
  Rich's standard palette so that every level comes out as its designed number
  whatever Textual's theme does to ANSI colours.
- Without colour (NO_COLOR), glyph density stands for magnitude instead, with a
  different family of glyphs for negative values.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style

# Every Segment carries a Style, never None: Textual's NO_COLOR filter cannot take None.
NULL = Style()

# Odd, so that 0 of a signed quantity falls exactly on the middle level. 17, not 33: a cell is
# repainted only when its bucket changes, and measured on the bundled LSTM, 17 buckets leave a few
# more cells untouched per step (24 % against 19 %) while steps of 1/8 (1/16 for gates) are still
# finer than anyone reads off a colour.
LEVELS = 17
MID = LEVELS // 2
PAD = 255  # the bucket of a cell past the last unit: drawn blank

RGB = tuple[int, int, int]
BG = None  # stands for the theme's background in the stop lists below

_DARK_SEQUENTIAL: list[RGB | None] = [
    BG, (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
    (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
]
_LIGHT_SEQUENTIAL: list[RGB | None] = [
    BG, (253, 231, 37), (170, 220, 50), (92, 200, 99), (39, 173, 129),
    (33, 144, 141), (44, 113, 142), (59, 81, 139), (68, 1, 84),
]
# Every level an xterm colour (the cube's blues and reds): the nearest xterm colours to a smooth dark
# ramp were up to 24 ΔE off (no dark brick red or slate blue in the cube), so on a dark theme the ramp
# is the same in truecolor and 256 colours. Lightness rises in even steps of ~9 L* on the red side.
_DARK_DIVERGING: list[RGB | None] = [
    (175, 215, 255), (0, 175, 255), (0, 135, 255), (0, 95, 255), (0, 0, 255), (0, 0, 215), (0, 0, 175), (0, 0, 135),
    BG,
    (95, 0, 0), (135, 0, 0), (175, 0, 0), (215, 0, 0), (255, 0, 0), (255, 95, 95), (255, 135, 135), (255, 175, 175),
]
_LIGHT_DIVERGING: list[RGB | None] = [
    (5, 48, 97), (33, 102, 172), (67, 147, 195), (146, 197, 222), BG,
    (244, 165, 130), (214, 96, 77), (178, 24, 43), (103, 0, 31),
]
# 256 colours, xterm numbers per bucket (BG: the background), chosen by a search over the palette
# (closest to the truecolor ramp, lightness strictly monotone away from zero, hue side kept)
EIGHT_BIT: dict[tuple[bool, bool], tuple[int | None, ...]] = {
    (True, False): (BG, 235, 53, 25, 60, 61, 31, 66, 37, 72, 108, 42, 77, 113, 148, 184, 220),
    (False, False): (BG, 229, 220, 184, 148, 113, 77, 42, 108, 72, 37, 66, 31, 60, 25, 53, 17),
    (True, True): (153, 39, 33, 27, 21, 20, 19, 18, BG, 52, 88, 124, 160, 196, 203, 210, 217),
    (False, True): (24, 25, 61, 32, 67, 74, 117, 152, BG, 224, 216, 173, 203, 167, 124, 88, 52),
}


# Karpathy's view's guesses (Maps.guess): xterm greys from faint (still 2.5:1 on the theme's background) to
# the text's own brightness, per level; a light theme has fewer dark greys than levels, so some repeat
GUESS_GREYS = {True: tuple(range(239, 239 + LEVELS)),
               False: tuple(round(245 - 13 * k / (LEVELS - 1)) for k in range(LEVELS))}
LIKELY = LEVELS // 2  # from here (p >= 0.5) a guess is bold: without colour, the likely ones still stand out


def xterm_rgb(n: int) -> RGB:
    """The RGB of xterm colour n (16…255): the 6×6×6 cube, then 24 greys."""
    if n >= 232:
        return (8 + 10 * (n - 232),) * 3
    cube = (0, 95, 135, 175, 215, 255)
    n -= 16
    return cube[n // 36], cube[n // 6 % 6], cube[n % 6]


# Rich's standard palette: a colour given as one of these RGB values is written as that ANSI number
# on a 16-colour terminal (tests/tui/test_palette.py checks it through Rich's own downgrade)
STANDARD_RGB: tuple[RGB, ...] = (
    (0, 0, 0), (170, 0, 0), (0, 170, 0), (170, 85, 0), (0, 0, 170), (170, 0, 170), (0, 170, 170), (170, 170, 170),
    (85, 85, 85), (255, 85, 85), (85, 255, 85), (255, 255, 85), (85, 85, 255), (255, 85, 255), (85, 255, 255),
    (255, 255, 255),
)
# 16 colours, as ANSI numbers (BG: the background). Terminals disagree on these colours (yellow is
# dark orange in some, nearly white in others), so each ramp uses only colours whose order of lightness
# is the same in the common palettes, and never plain yellow: lightness (dark theme) or darkness (light
# theme) grows with |value|, cold for negative, warm for positive.
STANDARD = {
    (True, False): (BG, 4, 12, 6, 10, 11),  # blue, bright blue, cyan, bright green, bright yellow
    (True, True): (14, 12, 4, BG, 1, 9, 13),  # bright cyan, bright blue, blue | red, bright red, bright magenta
    (False, False): (BG, 11, 10, 6, 12, 4),
    (False, True): (4, 12, 14, BG, 13, 9, 1),
}


def _interpolate(stops: list[RGB], n: int) -> np.ndarray:
    xs = np.linspace(0, 1, len(stops))
    t = np.linspace(0, 1, n)
    table = np.stack([np.interp(t, xs, [s[k] for s in stops]) for k in range(3)], axis=1)
    return np.rint(table).astype(np.uint8)


def quantise(values: np.ndarray, signed: bool, scale: np.ndarray | float | None = None) -> np.ndarray:
    """Map values to bucket indices 0…LEVELS-1 (uint8): signed values over −scale…scale, gates over 0…1."""
    v = np.asarray(values, dtype=np.float32)
    if signed:
        if scale is not None:
            v = v / scale
        x = (v + 1.0) * (0.5 * (LEVELS - 1))
    else:
        x = v * (LEVELS - 1)
    return np.clip(np.rint(x), 0, LEVELS - 1).astype(np.uint8)


class Maps:
    """The colour maps for one background and colour system, with every style built once."""

    def __init__(self, background: RGB = (18, 18, 18), dark: bool = True, standard: bool = False,
                 eight_bit: bool = False) -> None:
        self.background, self.dark, self.standard = background, dark, standard
        self.key = (background, dark, standard, eight_bit)  # widgets key their cached lines on it
        self._numbers: dict[bool, list[int | None]] = {}
        self._rgb: dict[bool, np.ndarray] = {}
        for signed in (False, True):
            if standard:
                stops = STANDARD[(dark, signed)]
                self._numbers[signed] = [stops[round(lv * (len(stops) - 1) / (LEVELS - 1))] for lv in range(LEVELS)]
                self._rgb[signed] = np.array([background if n is None else STANDARD_RGB[n]
                                              for n in self._numbers[signed]], dtype=np.uint8)
            elif eight_bit:
                self._rgb[signed] = np.array([background if n is None else xterm_rgb(n)
                                              for n in EIGHT_BIT[(dark, signed)]], dtype=np.uint8)
            else:
                stops = (_DARK_DIVERGING if signed else _DARK_SEQUENTIAL) if dark else (
                    _LIGHT_DIVERGING if signed else _LIGHT_SEQUENTIAL)
                self._rgb[signed] = _interpolate([background if s is BG else s for s in stops], LEVELS)
        self._colors = {s: [Color.from_rgb(*(int(x) for x in self._rgb[s][lv])) for lv in range(LEVELS)]
                        for s in (False, True)}
        self._half: dict[bool, list[list[Segment]]] = {}
        self._text: dict[tuple, Style] = {}

    def color(self, level: int, signed: bool) -> Color:
        return self._colors[signed][level]

    def number(self, level: int, signed: bool) -> int | None:
        """The ANSI colour a bucket is drawn in (16 colours only; None = the background)."""
        return self._numbers[signed][level]

    def luminance(self, level: int, signed: bool) -> float:
        r, g, b = (int(x) for x in self._rgb[signed][level])
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255

    def full_cell(self, level: int, signed: bool) -> Style:
        return Style(bgcolor=self.color(level, signed))

    def contrast(self, level: int, signed: bool) -> str:
        """Black or white, whichever reads on a bucket's colour."""
        return "#000000" if self.luminance(level, signed) > 0.45 else "#ffffff"

    def text_on(self, level: int, signed: bool, attrs: frozenset[str] = frozenset()) -> Style:
        """A character on a coloured background (attrs: "bold", "dim", ...)."""
        key = (level, signed, attrs)
        style = self._text.get(key)
        if style is None:
            style = self._text[key] = Style(color=self.contrast(level, signed), bgcolor=self.color(level, signed),
                                            **dict.fromkeys(attrs, True))
        return style

    def guess(self, level: int) -> Style:
        """A guessed character (Karpathy's view, under the text) by its probability: grey text on the
        background, brighter (darker on a light theme) and bold when likelier. No colour of its own, so the
        text's colours, the unit's, are the only colours on the screen."""
        key = ("guess", level)
        style = self._text.get(key)
        if style is None:
            if self.standard:  # bright black, white, bright white (reversed on a light theme)
                steps = (8, 7, 15) if self.dark else (7, 8, 0)
                rgb = STANDARD_RGB[steps[min(2, level * 3 // LEVELS)]]
            else:  # 17 neighbouring xterm greys: each level its own grey in 256 colours too
                rgb = xterm_rgb(GUESS_GREYS[self.dark][level])
            style = self._text[key] = Style(color=Color.from_rgb(*rgb), bold=level >= LIKELY)
        return style

    def half_block_segments(self, signed: bool) -> list[list[Segment]]:
        """table[upper][lower]: the ready '▀' Segment for every pair of buckets (PAD is blank)."""
        rows = self._half.get(signed)
        if rows is None:
            blank = Segment(" ", NULL)
            rows = [[blank] * 256 for _ in range(256)]
            for up in range(LEVELS):
                rows[up][PAD] = Segment("▀", Style(color=self.color(up, signed)))
                rows[PAD][up] = Segment("▄", Style(color=self.color(up, signed)))
                for lo in range(LEVELS):
                    rows[up][lo] = Segment("▀", Style(color=self.color(up, signed), bgcolor=self.color(lo, signed)))
            self._half[signed] = rows
        return rows


@cache
def glyph_segments(signed: bool) -> list[Segment]:
    """table[bucket]: the NO_COLOR glyph Segment of every bucket (PAD is blank)."""
    table = [Segment(" ", NULL)] * 256
    for lv in range(LEVELS):
        table[lv] = Segment(glyph_for(lv, signed), NULL)
    return table


# Glyph mode (NO_COLOR): density by magnitude; negative values use ASCII marks
POSITIVE_GLYPHS = " ░▒▓█"
NEGATIVE_GLYPHS = " .-=#"


def glyph_for(level: int, signed: bool) -> str:
    """The NO_COLOR stand-in for a bucket: a denser glyph for a larger magnitude."""
    if not signed:
        return POSITIVE_GLYPHS[min(4, (level * 5) // LEVELS)]
    d = level - MID
    k = min(4, (abs(d) * 5 + MID - 1) // (MID + 1)) if d else 0
    return (POSITIVE_GLYPHS if d > 0 else NEGATIVE_GLYPHS)[k]


SPARK = " ▁▂▃▄▅▆▇█"


def spark_glyph(level: int) -> str:
    """A bar whose height is the bucket, from the lowest bar (never a blank: a value is there) to full."""
    return SPARK[max(1, min(8, (level * 9) // LEVELS))]
