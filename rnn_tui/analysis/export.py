"""Karpathy's picture as a file: text coloured by one unit, the model's top-5 guesses under each character.

Pure functions from (text, values, guesses) to a self-contained HTML or SVG
string, for slides and handouts: no script, no external font or stylesheet.
Every character, of the text and of the title (a model's name), passes through
`glyph` (newline ↵, control, format and bidi characters as symbols) and is
escaped, so neither can inject markup or make the SVG unreadable as XML.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

from ..core.safe import glyph, safe_text

Guesses = Sequence[Sequence[tuple[str, float]]]  # per character: [(next character, probability)] best first


def colour(v: float) -> str:
    """Diverging: −1 blue, 0 white, +1 red (Karpathy's colours), readable in grey by lightness."""
    v = max(-1.0, min(1.0, float(v)))
    a = int(round(255 * (1 - abs(v))))
    return f"#ff{a:02x}{a:02x}" if v >= 0 else f"#{a:02x}{a:02x}ff"


def normalise(values: np.ndarray, signed: bool = True) -> np.ndarray:
    """To −1…1 by the largest magnitude (signed), or 0…1 between min and max (gates, surprisal)."""
    v = np.asarray(values, dtype=np.float64)
    if not len(v):
        return v
    if signed:
        m = np.abs(v).max()
        return v / m if m > 0 else v * 0
    lo, hi = v.min(), v.max()
    return (v - lo) / (hi - lo) if hi > lo else v * 0


def picture_rows(text: str, width: int) -> list[range]:
    """The characters on each row of Karpathy's picture: a row ends after a newline or after `width`
    characters. Unlike the main view's text panel, which breaks a long line at a space, the picture cuts
    it exactly at the width: each character keeps its column, with its guesses in the rows beneath."""
    rows, start = [], 0
    for t, ch in enumerate(text):
        if ch == "\n" or t + 1 - start >= width:
            rows.append(range(start, t + 1))
            start = t + 1
    if start < len(text):
        rows.append(range(start, len(text)))
    return rows


def to_html(text: str, values: np.ndarray, guesses: Guesses | None = None, title: str = "",
            width: int = 80) -> str:
    """A self-contained HTML page. `values` in −1…1 (see `normalise`)."""
    title = safe_text(title)
    rows = []
    for line in picture_rows(text, width):
        cells = []
        for t in line:
            g = "".join(f'<i style="background:rgba(0,0,0,{p:.2f});color:{"#fff" if p > 0.5 else "#000"}">'
                        f"{html.escape(glyph(c))}</i>" for c, p in (guesses[t] if guesses else ()))
            cells.append(f'<span class="c"><b style="background:{colour(values[t])}">'
                         f"{html.escape(glyph(text[t]))}</b>{g}</span>")
        rows.append(f'<div class="l">{"".join(cells)}</div>')
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html.escape(title) + "</title>\n"
            "<style>body{font-family:monospace;background:#fff;color:#000}"
            ".l{display:flex;margin-bottom:6px}.c{display:inline-flex;flex-direction:column;width:1.1ch;"
            "text-align:center}.c b{font-weight:normal;white-space:pre}.c i{font-style:normal;font-size:70%;"
            "white-space:pre}</style></head>\n<body><h3>" + html.escape(title) + "</h3>\n"
            + "\n".join(rows) + "\n</body></html>\n")


def to_svg(text: str, values: np.ndarray, guesses: Guesses | None = None, title: str = "",
           width: int = 80) -> str:
    """The same picture as one SVG image (monospace grid, 9 px per character)."""
    title = safe_text(title)
    cw, ch, gh = 9, 16, 11
    k = max((len(g) for g in guesses), default=0) if guesses else 0
    block = ch + k * gh + 6
    lines = picture_rows(text, width)
    top = 22 if title else 4
    W = cw * width + 8
    H = top + block * len(lines)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="monospace">',
           "<style>text{font-size:13px;text-anchor:middle;white-space:pre}text.g{font-size:9px}</style>",
           f'<rect width="{W}" height="{H}" fill="#fff"/>']
    if title:
        out.append(f'<text x="4" y="15" style="text-anchor:start">{html.escape(title)}</text>')
    for row, line in enumerate(lines):
        y0 = top + row * block
        for col, t in enumerate(line):
            x = 4 + col * cw
            out.append(f'<rect x="{x}" y="{y0}" width="{cw}" height="{ch}" fill="{colour(values[t])}"/>'
                       f'<text x="{x + cw / 2}" y="{y0 + 12}">{html.escape(glyph(text[t]))}</text>')
            for j, (c, p) in enumerate(guesses[t] if guesses else ()):
                y = y0 + ch + j * gh
                shade = (f'<rect x="{x}" y="{y}" width="{cw}" height="{gh}" fill-opacity="{p:.2f}"/>'
                         if p >= 0.02 else "")  # fainter than that reads as white anyway
                fill = ' fill="#fff"' if p > 0.5 else ""
                out.append(f'{shade}<text class="g" x="{x + cw / 2}" y="{y + 9}"{fill}>{html.escape(glyph(c))}</text>')
    out.append("</svg>\n")
    return "\n".join(out)
