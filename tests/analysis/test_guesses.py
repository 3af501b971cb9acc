"""The guesses under Karpathy's picture are the model's own, reading the text from its start."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tui.analysis.capture import capture
from rnn_tui.analysis.guesses import GuessWriter, read
from rnn_tui.commands.export import capture as export_arrays
from rnn_tui.core.checkpoint import bundled_models, load
from rnn_tui.core.text import held_out, read_text

N = 3000


@pytest.fixture(scope="module", params=["shakespeare-lstm", "shakespeare-gru"])
def trained(request):
    ckpt = load(bundled_models()[request.param])
    text = held_out(read_text(bundled_models()[request.param].parent / "corpora" / "shakespeare.txt.xz"))[:N]
    return ckpt, text, export_arrays(ckpt, text, 5)


def test_the_viewers_guesses_are_exports_to_1e5(trained):
    ckpt, text, want = trained
    g = capture(ckpt.model(), ckpt.vocab, text, streams=1, guesses=5).guesses
    np.testing.assert_allclose(g.probs, want["top_probs"], atol=1e-5)
    p = np.pad(want["top_probs"], ((0, 0), (1, 1)), constant_values=np.inf)
    clear = (p[:, :-2] - p[:, 1:-1] > 1e-5) & (p[:, 1:-1] - p[:, 2:] > 1e-5)  # only a near tie may swap guesses
    assert clear[:, :4].mean() > 0.9 and (g.ids == want["top_ids"])[clear].all()  # the 5th: its rival unseen
    p_next = want["p_next"][:-1].astype(np.float64)
    np.testing.assert_allclose(g.surprisal[1:], -np.log(p_next), rtol=1e-4, atol=1e-5)


def test_the_pictures_guesses_and_values_are_exports_to_1e5(trained):
    ckpt, text, want = trained
    c = ckpt.config
    unit = (c.layers - 1) * len(c.quantities) * c.hidden + 7  # a top-layer unit of the first quantity
    g = read(ckpt.model(), ckpt.vocab.encode(text), unit=unit)
    np.testing.assert_allclose(g.probs, want["top_probs"], atol=1e-5)
    np.testing.assert_allclose(g.values, want[f"{c.quantities[0]}_l{c.layers - 1}"][:, 7], atol=1e-5)


def test_pieces_restarted_64_characters_back_would_guess_differently(trained):
    # what the guesses used to be: the reason they come from one stream
    ckpt, text, want = trained
    model = ckpt.model()
    ids = np.asarray(ckpt.vocab.encode(text))
    _, logits, _ = model.forward(ids[1000 - 64 : 1400])
    w = GuessWriter(ids[1000 - 64 : 1400], 5)
    w.add(0, logits)
    restarted = w.done().probs[64:]
    assert np.abs(restarted - want["top_probs"][1000:1400]).max() > 1e-3


def test_the_first_character_has_no_surprisal_and_probabilities_are_sorted():
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32))
    w = GuessWriter(np.array([0, 1]), k=2)
    w.add(0, logits)
    g = w.done()
    assert g.rows(0, 2, ["a", "b", "c"])[0] == [("a", pytest.approx(0.7)), ("b", pytest.approx(0.2))]
    assert g.rows(1, 2, ["a", "b", "c"])[0][0][0] == "c"
    assert g.surprisal[0] == 0 and g.surprisal[1] == pytest.approx(-np.log(0.2), rel=1e-5)
