"""The finder's per-unit sums on a trained bundled model: every AUC bound holds the exact AUC, whatever the
bins, and the sums give the plain float64 r."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tui.analysis.capture import capture
from rnn_tui.analysis.features import BY_KEY
from rnn_tui.analysis.finder import _features, exact_auc, rank, rank_text
from rnn_tui.analysis.tally import BINS, Binning, Tally, candidates, fine_bounds
from rnn_tui.core.checkpoint import bundled_models, load
from rnn_tui.core.text import held_out, read_text

FEATURES = [BY_KEY["line-pos"], BY_KEY["space"], BY_KEY["upper"], BY_KEY["speaker"], BY_KEY["next-newline"]]


@pytest.fixture(scope="module")
def trained():
    """The bundled LSTM on 2,000 held-out characters, read as several streams, and every unit's exact AUC."""
    ckpt = load(bundled_models()["shakespeare-lstm"])
    text = held_out(read_text(bundled_models()["shakespeare-lstm"].parent / "corpora" / "shakespeare.txt.xz"))
    cap = capture(ckpt.model(), ckpt.vocab, text[:2000], streams=4)
    values, onoff = _features(cap.text, FEATURES)
    on = values[:, onoff] > 0
    return ckpt, cap, values, onoff, exact_auc(cap.data, np.arange(len(cap.data)), on)


def _assert_bounds_hold(bounds, exact, onoff):
    columns = np.flatnonzero(onoff)
    assert sorted(bounds) == columns.tolist()
    for i, j in enumerate(columns):
        lo, hi = bounds[j]
        assert (lo <= exact[:, i] + 1e-12).all() and (exact[:, i] <= hi + 1e-12).all()
        assert (hi - lo).max() < 1  # a bound that says something


@pytest.mark.parametrize("bins", ["own range", "set on a sample", "fine"])
def test_every_auc_bound_holds_the_exact_auc(trained, bins):
    _, cap, values, onoff, exact = trained
    K = len(cap.data)
    if bins == "fine":
        lo, hi = fine_bounds(cap.data, np.arange(K), values[:, onoff] > 0)
        bounds = {j: (lo[:, i], hi[:, i]) for i, j in enumerate(np.flatnonzero(onoff))}
    else:
        # a range set on the first 300 characters: later values fall outside it, into the end bins
        binning = BINS if bins == "own range" else Binning.around(cap.data[:, :300].T)
        tally = Tally(values, onoff, K, binning)
        if bins == "own range":  # each unit's range, found in the one block that holds every character
            tally.add(cap.data.T)
        else:
            for a in range(1400, -1, -700):  # blocks of characters, in any order
                tally.add(cap.data[:, a : a + 700].T, np.arange(a, min(len(cap), a + 700)))
        bounds = tally.auc_bounds()
    _assert_bounds_hold(bounds, exact, onoff)
    for i, j in enumerate(np.flatnonzero(onoff)):  # so the candidates hold the true top 5
        score = np.maximum(exact[:, i], 1 - exact[:, i])
        top = np.argsort(-score, kind="stable")[:5]
        assert set(top) <= set(candidates(*bounds[j], 5).tolist())


def test_the_sums_give_the_plain_float64_r(trained):
    _, cap, values, onoff, _ = trained
    tally = Tally(values, onoff, len(cap.data))
    tally.add(cap.data.T)
    x = cap.data.astype(np.float64)
    for j in np.flatnonzero(~onoff):
        ref = [np.corrcoef(row, values[:, j].astype(np.float64))[0, 1] for row in x[:50]]
        np.testing.assert_allclose(tally.r()[:50, j], ref, atol=1e-9)


def test_two_passes_over_several_streams_rank_as_the_kept_capture(trained):
    ckpt, cap, _, _, _ = trained
    whole = rank(cap, FEATURES, top=5)
    two = rank_text(ckpt.model(), ckpt.vocab, cap.text, FEATURES, top=5, streams=4, max_bytes=len(cap) * 4 * 50)
    for a, b in zip(whole, two, strict=True):
        assert [(h.index, h.monotonic) for h in a.hits] == [(h.index, h.monotonic) for h in b.hits]
        assert [h.value for h in b.hits] == pytest.approx([h.value for h in a.hits], abs=1e-12)
