"""Known cells and the held-out passage travel inside the checkpoint; a bad entry is dropped, never trusted."""

from __future__ import annotations

import pytest

from rnn_tui.analysis import known_cells as K
from rnn_tui.analysis.capture import capture
from rnn_tui.analysis.features import BUILT_IN
from rnn_tui.analysis.finder import rank
from rnn_tui.core.checkpoint import load, save

from .test_finder import TEXT
from .wired import COUNTER, QUOTE, write_wired


def test_the_finder_picks_the_wired_cells_and_they_survive_a_rewrite(tmp_path):
    path = write_wired(tmp_path / "w.safetensors")
    ckpt = load(path)
    cells = K.choose(rank(capture(ckpt.model(), ckpt.vocab, TEXT), BUILT_IN))
    by_feature = {c.feature: c for c in cells}
    assert by_feature["quotes"].unit == QUOTE
    assert by_feature["line-pos"].unit == COUNTER and by_feature["line-pos"].quantity == "c"
    assert len({(c.layer, c.quantity, c.unit) for c in cells}) == len(cells)  # each unit once
    before = {k: v.tobytes() for k, v in ckpt.tensors.items()}
    save(path, ckpt.config, ckpt.vocab, ckpt.tensors, ckpt.provenance, K.document(cells, TEXT[:500], "test"))
    again = load(path)
    assert {k: v.tobytes() for k, v in again.tensors.items()} == before
    assert K.known_cells(again) == [K.KnownCell(**{**c.to_json(), "value": round(c.value, 4)}) for c in cells]
    assert K.passage(again) == (TEXT[:500], "test")
    assert any("known cells" in line for line in K.info_lines(again))


def test_entries_that_do_not_fit_the_model_are_dropped(tmp_path):
    ckpt = load(write_wired(tmp_path / "w.safetensors"))
    good = {"name": "quotes", "feature": "quotes", "layer": 0, "quantity": "c", "unit": 1, "metric": "AUC",
            "value": 0.99}
    ckpt.analysis = {"cells": [good, {**good, "layer": 3}, {**good, "quantity": "z"}, {**good, "unit": -1},
                               {**good, "value": "high"}, "junk", {**good, "name": "\x1b[2Jevil"}],
                     "passage": {"text": "x" * (K.MAX_PASSAGE_BYTES + 1)}}
    cells = K.known_cells(ckpt)
    assert [c.name for c in cells] == ["quotes", "␛[2Jevil"]
    assert K.passage(ckpt) is None  # too large to trust


def test_a_passage_over_the_limit_is_refused_when_writing():
    with pytest.raises(ValueError, match="65,536 bytes"):
        K.document([], "x" * (K.MAX_PASSAGE_BYTES + 1), "test")


def test_bundled_models_carry_known_cells_and_a_passage():
    from rnn_tui.core.checkpoint import bundled_models

    ckpt = load(bundled_models()["shakespeare-lstm"])
    names = {c.name for c in K.known_cells(ckpt)}
    assert "position in line" in names and "speaker-name line" in names
    text, source = K.passage(ckpt)
    assert 4000 < len(text) <= 20_000 and "held-out" in source
