"""No character from a model, a file or a prompt reaches the terminal raw."""

import unicodedata

from rnn_tui.core.vocab import Vocab, glyph, safe_text


def test_every_control_character_becomes_a_visible_glyph():
    for code in list(range(0, 32)) + [127] + list(range(0x80, 0xA0)):
        g = glyph(chr(code))
        assert len(g) == 1 and unicodedata.category(g)[0] != "C", (code, g)
    assert glyph("\n") == "↵" and glyph("\t") == "→" and glyph("\x1b") == "␛" and glyph("\x00") == "␀"


def test_wide_and_combining_characters_keep_one_cell():
    assert glyph("\u0301") == "◌"
    assert glyph("漢") == "□"
    assert glyph("a") == "a" and glyph("é") == "é"


def test_safe_text_of_an_escape_sequence_has_no_escape():
    assert "\x1b" not in safe_text("\x1b[2J\x1b]0;pwned\x07")


def test_encode_decode_round_trip():
    v = Vocab.from_text("hello world\n")
    assert v.decode(v.encode("hold\n")) == "hold\n"
    assert v.unknown("hex!") == ["x", "!"]
