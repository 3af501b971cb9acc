import numpy as np
import pytest

from rnn_tui.analysis.side_by_side import MAX_MODELS, Entry, SideBySide, shared_characters
from rnn_tui.core.cells import Config, Model
from rnn_tui.core.sampling import Sampler, softmax
from rnn_tui.core.vocab import Vocab
from tests.factories import random_tensors

ABC = Vocab("abcde \n")


def entry(cell: str, vocab: Vocab = ABC, seed: int = 0) -> Entry:
    config = Config(cell, 2, 8, len(vocab))
    return Entry(cell, Model(config, random_tensors(config, seed=seed, scale=0.8)), vocab)


def trio() -> SideBySide:
    return SideBySide([entry("rnn"), entry("gru", seed=1), entry("lstm", seed=2)], Sampler(seed=3))


def test_each_models_surprisal_is_its_own_probability_of_the_character_that_came():
    sbs = trio()
    sbs.feed("abc de\nab")
    for k, e in enumerate(sbs.entries):
        _, logits, _ = e.model.forward(ABC.encode("abc de\nab"))
        p = np.array([softmax(logits[t].astype(np.float64))[ABC.index[ch]] for t, ch in enumerate("bc de\nab")])
        np.testing.assert_allclose(sbs.surprisal(k), -np.log2(p), rtol=1e-5)
        col = sbs.columns()[k]
        assert col.p_actual == pytest.approx(p[-1], rel=1e-5)
        assert col.loss == pytest.approx(float(np.mean(-np.log2(p))), rel=1e-5)
        assert len(col.top) == 5 and col.top[0][1] >= col.top[-1][1]


def test_forcing_a_character_feeds_every_model_and_matches_a_teacher_forced_feed():
    a, b = trio(), trio()
    a.feed("ab")
    for ch in "c d":
        a.force(ch)
    b.feed("abc d")
    assert a.text == b.text == "abc d"
    for k in range(3):
        np.testing.assert_allclose(a.surprisal(k), b.surprisal(k), rtol=1e-4)


def test_play_samples_from_the_leader_and_rewinding_rereads():
    sbs = trio()
    sbs.feed("a")
    written = "".join(sbs.step() for _ in range(12))
    assert sbs.text == "a" + written and all(len(sbs.surprisal(k)) == 12 for k in range(3))
    before = [sbs.surprisal(k)[:7].copy() for k in range(3)]
    sbs.back(5)
    assert sbs.text == ("a" + written)[:8]
    for k in range(3):
        np.testing.assert_allclose(sbs.surprisal(k), before[k], rtol=1e-4)


def test_different_vocabularies_are_aligned_on_the_shared_characters_with_a_note():
    other = Vocab("abcxyz \n")
    sbs = SideBySide([entry("lstm"), entry("gru", other)], Sampler(seed=0))
    assert sbs.chars == ["a", "b", "c", " ", "\n"] and "aligned on the 5 characters" in sbs.note
    sbs.feed("ab c\n")
    assert all(ch in "abc \n" for ch in (sbs.step() for _ in range(30)))
    with pytest.raises(ValueError, match="not every model knows 'd'"):
        sbs.feed("bad")
    with pytest.raises(ValueError, match="not every model knows 'x'"):
        sbs.force("x")
    assert shared_characters([ABC, ABC])[1] == ""
    with pytest.raises(ValueError, match="share no character"):
        shared_characters([Vocab("ab"), Vocab("xy")])


def test_more_models_than_fit_or_fewer_than_two_are_refused_with_a_reason():
    with pytest.raises(ValueError, match=f"5 models do not fit side by side; choose at most {MAX_MODELS}"):
        SideBySide([entry("rnn", seed=s) for s in range(5)])
    with pytest.raises(ValueError, match="at least two models"):
        SideBySide([entry("rnn")])
