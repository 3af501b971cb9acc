"""Features of a text, character by character."""

from __future__ import annotations

from rnn_tui.analysis import features as F

CODE = 'def f(x):\n    s = "a#b"  # c \'q\'\n    return (x[1] + \'\'\'doc\nmore\'\'\')\n'


def marks(values) -> str:
    return "".join(str(min(int(v), 9)) for v in values)


def test_position_in_line_and_distance_to_its_end():
    assert marks(F.position_in_line("ab\ncde\n")) == "0120123"
    assert marks(F.distance_to_line_end("ab\ncde\n")) == "2103210"


def test_python_strings_and_comments_do_not_confuse_each_other():
    s, c = F.inside_string(CODE), F.inside_comment(CODE)
    assert CODE[s.argmax():][:5] == '"a#b"'
    assert not c[CODE.index("#b")]  # a # inside a string starts no comment
    assert c[CODE.index("# c")] and not s[CODE.index("'q'")]  # quotes inside a comment are no string
    assert not s[CODE.index("more")] and F.inside_docstring(CODE)[CODE.index("more")]  # triple quotes: a docstring


def test_indentation_applies_to_the_whole_line():
    assert marks(F.indentation("a\n  b\n")) == "001222"  # counted as read, then the whole


def test_speaker_lines_brackets_and_quotes():
    text = 'PROTEUS.\nSay "hi" [Exit.]\n'
    assert marks(F.speaker_line(text))[:9] == "111111110"
    assert text[F.inside_square_brackets(text).argmax()] == "["
    assert "".join(ch for ch, q in zip(text, F.inside_quotes(text), strict=True) if q) == '"hi'


def test_features_of_an_empty_text_are_empty():
    for f in F.BUILT_IN:
        assert len(f("")) == 0
