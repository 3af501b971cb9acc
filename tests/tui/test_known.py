"""The viewer opens on a model's best known cell, and a key cycles through the others."""

from __future__ import annotations

from rnn_tui.analysis.known_cells import first_known, next_known
from rnn_tui.core.checkpoint import bundled_models, load


def test_the_default_model_opens_on_its_line_position_cell_and_cycles_through_the_rest():
    ckpt = load(bundled_models()["shakespeare-lstm"])
    first = first_known(ckpt)
    assert first.name == "position in line" and (first.layer, first.quantity) == (1, "c")
    seen = [first]
    while True:
        nxt = next_known(ckpt, seen[-1].layer, seen[-1].quantity, seen[-1].unit)
        if nxt == first:
            break
        seen.append(nxt)
    assert len(seen) == len({(c.layer, c.quantity, c.unit) for c in seen}) > 3
    assert next_known(ckpt, 0, "h", 999) == first  # from a unit that is not a known cell: the first


def test_a_model_without_known_cells_has_none(lstm_checkpoint):
    ckpt = load(lstm_checkpoint)
    assert first_known(ckpt) is None and next_known(ckpt, 0, "h", 0) is None
