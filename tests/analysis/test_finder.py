"""The finder's known answers on hand-wired units, and what it says when there is nothing to rank."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tui.analysis.capture import capture
from rnn_tui.analysis.features import BUILT_IN, BY_KEY, regex_feature
from rnn_tui.analysis.finder import auc_of, rank, rank_one
from rnn_tui.analysis.select_match import select_match
from rnn_tui.core.checkpoint import load
from rnn_tui.core.errors import UserError

from .wired import COUNTER, QUOTE, write_wired

LINES = [
    'He said "hello there" and left.',
    "A short one.",
    'She answered "no" twice, then "yes, of course" at last.',
    "Nothing quoted on this line at all, only words and commas, and more words.",
    'x = "a string" + "another"',
    "",
    "The end.",
]
TEXT = "\n".join(LINES * 12) + "\n"


@pytest.fixture(scope="module")
def wired(tmp_path_factory):
    ckpt = load(write_wired(tmp_path_factory.mktemp("wired") / "wired.safetensors"))
    return ckpt, capture(ckpt.model(), ckpt.vocab, TEXT, streams=4, warmup=64)


def test_a_unit_counting_characters_since_the_newline_ranks_first_for_position_in_line(wired):
    _, cap = wired
    best = rank_one(cap, BY_KEY["line-pos"]).hits[0]
    assert (best.layer, best.quantity, best.unit) == (0, "c", COUNTER)
    assert best.value > 0.85  # not 1: a newline's position is its line's length, where the counter resets
    assert best.monotonic > 0.9  # it rises along nearly every line


def test_a_unit_on_inside_quotes_ranks_first_for_quotes(wired):
    _, cap = wired
    best = rank_one(cap, BY_KEY["quotes"]).hits[0]
    assert best.unit == QUOTE and best.quantity in ("c", "h")
    assert best.metric == "AUC" and best.value > 0.99 and not best.low_inside


def test_a_unit_on_inside_quotes_ranks_first_for_a_selected_quoted_span(wired):
    _, cap = wired
    start = TEXT.index('"yes, of course"')
    m = select_match(cap, start, start + len('"yes, of course'))
    assert m.note is None
    assert {cap.unit_name(s.index)[2] for s in m.units[:2]} == {QUOTE}
    # the other quoted passages are found again
    found = {TEXT[a:b] for a, b in m.matches}
    assert any("hello there" in s for s in found)


def test_a_span_at_the_very_start_or_end_of_the_text_is_handled(wired):
    _, cap = wired
    assert select_match(cap, 0, 5).note is None or select_match(cap, 0, 5).units == []
    end = select_match(cap, len(TEXT) - 4, len(TEXT) + 10)
    assert end.span == (len(TEXT) - 4, len(TEXT))
    assert select_match(cap, 10, 10).note.startswith("empty selection")


def test_a_feature_that_never_occurs_is_reported_not_ranked(wired):
    _, cap = wired
    (speaker, comment) = rank(cap, [BY_KEY["speaker"], BY_KEY["comment"]])
    assert speaker.hits == [] and "does not occur" in speaker.note
    assert comment.hits == [] and "does not occur" in comment.note
    assert "does not occur" in rank_one(cap, regex_feature("zzz")).note


def test_every_built_in_feature_ranks_or_explains(wired):
    _, cap = wired
    for rk in rank(cap, list(BUILT_IN), top=3):
        assert rk.note or len(rk.hits) == 3
        assert all(0 <= h.score <= 1 for h in rk.hits)


def test_a_regex_feature_ranks_the_quote_unit_for_quoted_text(wired):
    _, cap = wired
    best = rank_one(cap, regex_feature(r'"[^"\n]*"')).hits[0]
    assert best.unit == QUOTE


def test_an_invalid_regex_is_one_clear_error():
    with pytest.raises(UserError, match="invalid regular expression"):
        regex_feature("(unclosed")
    with pytest.raises(UserError, match="empty"):
        regex_feature("")


def test_auc_from_histograms_equals_the_pairwise_definition():
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 12, (300, 3)).astype(np.uint8)  # many ties
    on = rng.random(300) < 0.3
    got = auc_of(codes, on)
    for k in range(3):
        a, b = codes[on, k][:, None].astype(int), codes[~on, k][None, :].astype(int)
        assert got[k] == pytest.approx(((a > b) + 0.5 * (a == b)).mean())


def test_r_of_a_nearly_constant_unit_matches_numpy_and_stays_within_one():
    from rnn_tui.analysis.capture import Capture

    text = ("x" * 37 + "\n") * 200
    T = len(text)
    rng = np.random.default_rng(0)
    codes = np.full((T, 3), 255, np.uint8)  # unit 0: a gate stuck open, but for a few dips
    codes[rng.choice(T, 9, replace=False), 0] = 254
    codes[:, 1] = rng.integers(0, 256, T)
    codes[:, 2] = np.minimum(255, np.arange(T) % 38 * 6)  # a line counter
    cap = Capture(text, np.zeros(T, np.int64), np.zeros(T, bool), codes, np.zeros(3, np.float32),
                  np.ones(3, np.float32), 1, ("h",), 3, frozenset(), "rnn")
    hits = {h.unit: h.value for h in rank_one(cap, BY_KEY["line-pos"]).hits}
    pos = BY_KEY["line-pos"](text)
    for u in range(3):
        assert hits[u] == pytest.approx(np.corrcoef(codes[:, u].astype(float), pos)[0, 1], abs=1e-6)
    assert max(abs(v) for v in hits.values()) <= 1


def test_a_feature_seen_only_a_few_times_is_too_rare_to_rank(wired):
    _, cap = wired
    twelve = rank_one(cap, regex_feature("A short one"))
    assert twelve.hits and twelve.note is None
    rare = rank_one(cap, regex_feature(r"\A.{0,40}"))  # the text's first 40 characters: one occurrence
    assert rare.hits == [] and rare.note == "occurs only 1 time in this text; too rare to rank"
