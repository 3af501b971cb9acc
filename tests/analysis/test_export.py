"""The exported Karpathy view is self-contained and escapes everything it shows."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from rnn_tui.analysis.export import colour, normalise, picture_rows, to_html, to_svg
from rnn_tui.analysis.guesses import GuessWriter

TEXT = 'if x < 1:\n    print("<script>\x1b")\n'


def _picture():
    rng = np.random.default_rng(0)
    values = normalise(rng.standard_normal(len(TEXT)))
    logits = rng.standard_normal((len(TEXT), 4)).astype(np.float32)
    writer = GuessWriter(np.zeros(len(TEXT), np.int64), k=4)
    writer.add(0, logits)
    return values, writer.done().rows(0, len(TEXT), ["a", "<", "\n", "&"])


def test_html_escapes_text_and_guesses_and_needs_nothing_outside():
    values, guesses = _picture()
    page = to_html(TEXT, values, guesses, title="L2 c 74 <b>")
    assert "<script" not in page and "&lt;" in page
    assert "\x1b" not in page and "␛" in page
    assert "http" not in page and "<link" not in page  # self-contained
    assert page.count('class="c"') == len(TEXT)


def test_svg_is_well_formed_with_one_cell_per_character():
    values, guesses = _picture()
    svg = to_svg(TEXT, values, guesses, title="a & b")
    root = ET.fromstring(svg)
    texts = [e for e in root.iter() if e.tag.endswith("text")]
    assert len(texts) == 1 + len(TEXT) * (1 + 4)  # title, each character, its 4 guesses


def test_picture_rows_end_at_newlines_and_cut_long_lines_at_the_width():
    rows = picture_rows("abcdef\ngh", 4)
    assert [list(r) for r in rows] == [[0, 1, 2, 3], [4, 5, 6], [7, 8]]
    assert picture_rows("", 4) == []


def test_colours_run_from_blue_through_white_to_red():
    assert colour(-1) == "#0000ff" and colour(0) == "#ffffff" and colour(1) == "#ff0000"
    assert colour(5) == colour(1)


HOSTILE_TITLE = "model\x1b]52;c;SGVsbG8=\x07 \x9b2J\x85 \u202eevil\u202c \x00\x0b <b>&"


def _controls(text: str) -> set[str]:
    import unicodedata

    return {ch for ch in text if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")}


def test_control_c1_and_bidi_characters_in_a_title_are_replaced_and_both_exports_parse():
    """A model's name with control characters made the SVG unreadable as XML and put raw ESC in the HTML."""
    from html.parser import HTMLParser

    values, guesses = _picture()
    svg = to_svg(TEXT + "\x9b\u202e", np.append(values, [0, 0]), guesses + guesses[:2], HOSTILE_TITLE)
    page = to_html(TEXT + "\x9b\u202e", np.append(values, [0, 0]), guesses + guesses[:2], HOSTILE_TITLE)
    assert _controls(svg) == set() and _controls(page) == set()
    root = ET.fromstring(svg)
    texts = "".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "model␛]52;c;SGVsbG8=␇" in texts and "<b>&" in texts

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.data, self.tags = [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)

        def handle_data(self, data):
            self.data.append(data)

    parsed = Collect()
    parsed.feed(page)
    parsed.close()
    assert "script" not in parsed.tags and "<b>&" in "".join(parsed.data)
