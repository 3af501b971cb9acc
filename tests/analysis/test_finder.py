"""The finder's known answers on hand-wired units, its scores against a plain float64 implementation on a
trained bundled model, and what it says when there is nothing to rank."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tui.analysis.capture import Capture, capture
from rnn_tui.analysis.features import BUILT_IN, BY_KEY, regex_feature
from rnn_tui.analysis.finder import rank, rank_one, rank_text
from rnn_tui.analysis.select_match import select_match
from rnn_tui.core.checkpoint import bundled_models, load
from rnn_tui.core.errors import UserError
from rnn_tui.core.text import held_out, read_text

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


def test_a_span_at_the_very_start_is_compared_with_the_units_typical_value(wired):
    ckpt, _ = wired
    text = '"yes, of course" she said.\n' + TEXT  # a quote before anything: the quote unit is low most of the time
    cap = capture(ckpt.model(), ckpt.vocab, text, streams=1)
    m = select_match(cap, 0, len('"yes, of course'))
    assert m.note is None and QUOTE in {cap.unit_name(s.index)[2] for s in m.units}
    assert any("hello there" in text[a:b] for a, b in m.matches)


def test_a_span_past_the_end_is_cut_to_the_text_and_an_empty_one_is_explained(wired):
    _, cap = wired
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


def _values_capture(text: str, data: np.ndarray) -> Capture:
    K, T = data.shape
    return Capture(text, np.zeros(T, np.int64), np.zeros(T, bool), data.astype(np.float32), np.arange(K),
                   1, ("h",), K, frozenset(), "rnn")


def test_auc_counts_ties_half_and_equals_the_pairwise_definition():
    rng = np.random.default_rng(1)
    text = "".join(rng.choice(list("ab"), 300))
    data = rng.integers(0, 12, (3, 300)).astype(np.float32)  # many ties
    data[2] = 1.0 - rng.integers(0, 2, 300) * 2.0**-24  # a gate stuck open, but for one-ulp dips
    feature = regex_feature("a")
    on = np.array([c == "a" for c in text])
    got = {h.unit: h.value for h in rank_one(_values_capture(text, data), feature, top=3).hits}
    for k in range(3):
        a, b = data[k, on][:, None], data[k, ~on][None, :]
        assert got[k] == pytest.approx(((a > b) + 0.5 * (a == b)).mean(), abs=1e-12)


def test_r_of_a_nearly_constant_unit_matches_numpy_and_stays_within_one():
    text = ("x" * 37 + "\n") * 200
    T = len(text)
    rng = np.random.default_rng(0)
    data = np.full((3, T), 0.99999994, np.float32)  # unit 0: a gate stuck open, but for a few one-ulp dips
    data[0, rng.choice(T, 9, replace=False)] = 0.9999999
    data[1] = rng.standard_normal(T)
    data[2] = np.arange(T) % 38 * 0.02  # a line counter
    hits = {h.unit: h.value for h in rank_one(_values_capture(text, data), BY_KEY["line-pos"]).hits}
    pos = BY_KEY["line-pos"](text)
    for u in range(3):
        assert hits[u] == pytest.approx(np.corrcoef(data[u].astype(np.float64), pos)[0, 1], abs=1e-9)
    assert max(abs(v) for v in hits.values()) <= 1


@pytest.fixture(scope="module")
def trained():
    """The bundled LSTM on 3,000 held-out characters, read as one stream."""
    ckpt = load(bundled_models()["shakespeare-lstm"])
    text = held_out(read_text(bundled_models()["shakespeare-lstm"].parent / "corpora" / "shakespeare.txt.xz"))
    return ckpt, capture(ckpt.model(), ckpt.vocab, text[:3000], streams=1)


def _plain_scores(x: np.ndarray, f: np.ndarray, onoff: bool) -> np.ndarray:
    """Every unit's score the plain way, in float64: |r| from centred sums; the AUC by sorting each unit."""
    x = x.astype(np.float64)
    if not onoff:
        xc, fc = x - x.mean(axis=1, keepdims=True), f - f.mean()
        with np.errstate(invalid="ignore", divide="ignore"):
            r = xc @ fc / np.sqrt((xc * xc).sum(axis=1) * (fc * fc).sum())
        return np.abs(np.nan_to_num(r))
    on = f > 0
    n1, n0 = on.sum(), (~on).sum()
    out = np.empty(len(x))
    for u, row in enumerate(x):
        s = np.sort(row[~on])
        wins = np.searchsorted(s, row[on], "left").sum() + 0.5 * (
            np.searchsorted(s, row[on], "right") - np.searchsorted(s, row[on], "left")).sum()
        out[u] = wins / (n1 * n0)
    return np.maximum(out, 1 - out)


def test_the_ranking_of_a_trained_model_is_the_plain_float64_ranking(trained):
    # every unit scored, none prefiltered: each feature's top 5 and their scores are the reference's
    _, cap = trained
    for rk in rank(cap, list(BUILT_IN), top=5):
        if rk.note:
            continue
        f = rk.feature(cap.text).astype(np.float64)
        ref = _plain_scores(cap.data, f, rk.feature.kind == "on/off")
        order = np.lexsort((np.arange(len(ref)), -np.round(ref, 6)))[:5]
        assert [h.index for h in rk.hits] == order.tolist(), rk.feature.name
        np.testing.assert_allclose([h.score for h in rk.hits], ref[order], atol=1e-9)


def test_per_line_monotonicity_is_the_share_of_lines_with_spearman_above_point_nine(trained):
    _, cap = trained
    hit = rank_one(cap, BY_KEY["line-pos"], top=1).hits[0]
    x = cap.values(hit.index).astype(np.float64) * np.sign(hit.value)
    good = lines = 0
    start = 0
    for end in [i for i, ch in enumerate(cap.text) if ch == "\n"] + [len(cap.text)]:
        seg = x[start:end]  # the line without its newline (the text's last line may have none)
        start = end + 1
        if len(seg) < 5:
            continue
        ranks = np.argsort(np.argsort(seg, kind="stable"), kind="stable").astype(float)
        for v in np.unique(seg):  # ties share their mean rank
            ranks[seg == v] = ranks[seg == v].mean()
        m = len(seg)
        rho = 1 - 6 * ((ranks - np.arange(m)) ** 2).sum() / (m * (m * m - 1))
        lines += 1
        good += rho > 0.9
    assert hit.monotonic == pytest.approx(good / lines)


def test_ranking_in_two_passes_and_blocks_of_units_gives_the_ranking_of_the_whole(trained):
    # the first pass sums every unit's moments and histograms, the second keeps 20 units' values at a time
    ckpt, cap = trained
    features = [BY_KEY["line-pos"], BY_KEY["space"], BY_KEY["upper"]]
    whole = rank(cap, features, top=5)
    blocks = rank_text(ckpt.model(), ckpt.vocab, cap.text, features, top=5, streams=1, max_bytes=3000 * 4 * 20)
    for a, b in zip(whole, blocks, strict=True):
        assert [(h.index, h.monotonic) for h in a.hits] == [(h.index, h.monotonic) for h in b.hits]
        exact = a.hits[0].metric == "AUC"  # from integer ranks; r is summed in another order
        assert [h.value for h in b.hits] == pytest.approx([h.value for h in a.hits], abs=0 if exact else 1e-12)


def test_a_feature_seen_only_a_few_times_is_too_rare_to_rank(wired):
    _, cap = wired
    twelve = rank_one(cap, regex_feature("A short one"))
    assert twelve.hits and twelve.note is None
    rare = rank_one(cap, regex_feature(r"\A.{0,40}"))  # the text's first 40 characters: one occurrence
    assert rare.hits == [] and rare.note == "occurs only 1 time in this text; too rare to rank"
