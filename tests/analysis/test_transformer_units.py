"""A transformer's per-layer quantities are units like an RNN's: captured exactly (not clipped to
−1…1), ranked by the finder, and written by export."""

from __future__ import annotations

import numpy as np

from rnn_tui.analysis.capture import capture
from rnn_tui.analysis.features import BUILT_IN
from rnn_tui.analysis.finder import rank
from rnn_tui.core.vocab import Vocab
from tests.core.test_transformer import CONFIG, random_model

TEXT = ("abcde\nfghij\nabc\ndefghij\n" * 30)[:500]


def test_the_finder_ranks_attention_mlp_and_residual_units_on_their_exact_values():
    model, vocab = random_model(), Vocab("abcdefghij\n")
    cap = capture(model, vocab, TEXT, streams=4, warmup=16)
    assert cap.quantities == ("a", "m", "x") and not cap.gates
    _, _, acts = model.forward(vocab.encode(TEXT), capture=True)
    x = acts[:, :, 2]  # the residual stream: far outside −1…1
    assert np.abs(x).max() > 1.5
    units = CONFIG.layers * 3 * CONFIG.hidden
    assert max(np.abs(cap.values(i)).max() for i in range(units)) > 1.5  # exact, not clipped to −1…1
    rankings = rank(cap, [f for f in BUILT_IN if f.key == "line-pos"], top=5)
    assert rankings[0].hits and {h.quantity for h in rankings[0].hits} <= {"a", "m", "x"}
    assert abs(rankings[0].hits[0].value) > 0.3


def test_export_writes_every_transformer_quantity(transformer_checkpoint, tmp_path):
    from rnn_tui.commands import export

    text = tmp_path / "t.txt"
    text.write_text("The quick brown fox.\n" * 5)
    out = tmp_path / "t.npz"
    assert export.main([str(transformer_checkpoint), str(text), "--out", str(out)]) == 0
    z = np.load(out)
    for q in ("a", "m", "x"):
        for layer in range(2):
            assert z[f"{q}_l{layer}"].shape == (105, 32)
