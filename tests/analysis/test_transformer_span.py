"""Known answer: a one-layer transformer whose single head reads exactly the character at lag k
(lag 1: the one just read) is influenced at lag k and nowhere else, and its attention says so."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tui.analysis.memory_span import full_window_positions, memory_span
from rnn_tui.core.transformer import LN_EPS, Transformer, TransformerConfig, restart_start

V, C = 6, 16


def lag_reader(k: int) -> Transformer:
    """Token one-hots in dims [0, V), position one-hots in [V, V+C), the output written to [V+C, 2V+C).

    The residual stream entering the block holds exactly two ones, so LayerNorm is the same affine map
    s·(x − μ) everywhere; the biases cancel its shift, leaving q = s·W_q x, k = s·W_k x, v = s·W_v x.
    The query of position p points at position p − (k − 1), the value carries the token, the projection
    writes it to the output dims, the MLP is zero and the head reads the output dims."""
    D = 2 * V + C
    cfg = TransformerConfig("transformer", 1, D, V, 1, C)
    mu = 2.0 / D
    s = 1.0 / np.sqrt(mu - mu * mu + LN_EPS)
    alpha = 40.0 * np.sqrt(D) / (s * s)  # scores of 40 where the position matches, 0 elsewhere
    wq, wk, wv = np.zeros((D, D)), np.zeros((D, D)), np.zeros((D, D))
    for p in range(C):
        if p - (k - 1) >= 0:
            wq[V + p - (k - 1), V + p] = alpha
        wk[V + p, V + p] = 1.0
    for c in range(V):
        wv[c, c] = 1.0
    proj = np.zeros((D, D))
    for c in range(V):
        proj[V + C + c, c] = 1.0 / s
    head = np.zeros((V, D))
    for c in range(V):
        head[c, V + C + c] = 8.0
    ones = np.ones(D)
    t = {"tok.weight": np.eye(V, D), "pos.weight": np.eye(C, D, V),
         "blocks.0.ln1.weight": ones, "blocks.0.ln1.bias": np.zeros(D),
         "blocks.0.attn.qkv.weight": np.concatenate([wq, wk, wv]),
         "blocks.0.attn.qkv.bias": np.concatenate([w @ ones * s * mu for w in (wq, wk, wv)]),
         "blocks.0.attn.proj.weight": proj, "blocks.0.attn.proj.bias": np.zeros(D),
         "blocks.0.ln2.weight": ones, "blocks.0.ln2.bias": np.zeros(D),
         "blocks.0.mlp.fc.weight": np.zeros((D, D)), "blocks.0.mlp.fc.bias": np.zeros(D),
         "blocks.0.mlp.proj.weight": np.zeros((D, D)), "blocks.0.mlp.proj.bias": np.zeros(D),
         "ln_f.weight": ones, "ln_f.bias": np.zeros(D), "head.weight": head, "head.bias": np.zeros(V)}
    return Transformer(cfg, {name: np.asarray(v, dtype=np.float32) for name, v in t.items()})


@pytest.mark.parametrize("k", [1, 3, 7])
def test_influence_is_exactly_at_lag_k(k):
    model = lag_reader(k)
    ids = np.random.default_rng(k).integers(0, V, 80)
    _, logits, _ = model.forward(ids)
    # it predicts the character at lag k wherever the window reaches that far back
    assert (logits[20:].argmax(axis=1) == ids[20 - k + 1 : 80 - k + 1]).all()
    curve = memory_span(model, ids, positions=np.arange(20, 80, 7), lags=np.arange(1, 12), replacements=2)
    median = curve.median()
    assert int(curve.lags[np.argmax(median)]) == k
    assert median[k - 1] > 1.0
    assert np.delete(median, k - 1).max() < 1e-9


@pytest.mark.parametrize("k", [1, 3, 7])
def test_attention_reads_the_character_at_lag_k(k):
    model = lag_reader(k)
    state = model.initial_state()
    for i in np.random.default_rng(0).integers(0, V, 40):
        state, _, _ = model.step(state, int(i))
    weights = model.attention(state)  # (layers, heads, n), oldest first
    n = weights.shape[2]
    assert weights.shape[:2] == (1, 1) and n > k
    assert weights[0, 0, n - k] > 0.999
    assert np.delete(weights[0, 0], n - k).sum() < 1e-3


def test_a_replacement_outside_the_window_changes_nothing():
    model = lag_reader(3)
    ids = np.random.default_rng(5).integers(0, V, 60)
    curve = memory_span(model, ids, positions=[59], lags=np.arange(1, 40))
    assert curve.kl[0, 20:].max() == 0.0  # the window at 59 holds at most 16 characters


def test_full_window_positions_let_the_curve_reach_the_whole_window():
    """At the positions the comparison takes, a reader of the window's oldest character (lag C) is
    influenced there, and nothing one further back is; at a position just after a restart it is not."""
    ids = np.random.default_rng(6).integers(0, V, 200)
    positions = full_window_positions(len(ids), C + 1, 10, C)
    assert len(positions) == 10
    assert all(t - restart_start(int(t), C) + 1 == C for t in positions)
    curve = memory_span(lag_reader(C), ids, positions=positions, lags=[C, C + 1], replacements=2)
    assert curve.kl[:, 0].min() > 1.0 and curve.kl[:, 1].max() == 0.0
    after_restart = int(positions[0]) + 1  # its window holds C/2 + 1 characters
    assert memory_span(lag_reader(C), ids, positions=[after_restart], lags=[C]).kl.max() == 0.0
