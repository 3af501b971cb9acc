"""Capture: every unit at every character, as bytes, from side-by-side streams that match one stream."""

from __future__ import annotations

import numpy as np

from rnn_tui.analysis.capture import capture, encode
from rnn_tui.core.checkpoint import load

from ..factories import write_checkpoint

TEXT = "The quick brown fox jumps over the lazy dog.\nA second line, with \"quotes\" in it.\n" * 40


def test_values_match_the_model_run_step_by_step(lstm_checkpoint):
    ckpt = load(lstm_checkpoint)
    model = ckpt.model()
    cap = capture(model, ckpt.vocab, TEXT[:300], streams=1)
    _, _, acts = model.run(ckpt.vocab.encode(TEXT[:300]))
    exact = acts.reshape(300, -1)
    got = np.stack([cap.values(u) for u in range(cap.units)], axis=1)
    step = cap.scale.max()  # one code
    ok = np.abs(got - exact) <= step * 0.51 + 1e-6
    clipped = np.abs(exact) > np.abs(cap.lo)[None, :]  # c beyond its measured range is clipped
    assert (ok | clipped).all()


def test_side_by_side_streams_with_warmup_agree_with_one_stream(tmp_path):
    # torch's initialisation forgets within a few characters, so 64 characters of warm-up suffice
    ckpt = load(write_checkpoint(tmp_path / "m.safetensors", hidden=32))
    one = capture(ckpt.model(), ckpt.vocab, TEXT, streams=1)
    many = capture(ckpt.model(), ckpt.vocab, TEXT, streams=8, warmup=64)
    assert many.codes.shape == one.codes.shape
    a = np.stack([one.values(u) for u in range(one.units)], axis=1)
    b = np.stack([many.values(u) for u in range(many.units)], axis=1)
    assert np.abs(a - b).max() < 0.05


def test_characters_outside_the_vocabulary_are_marked_not_fatal(lstm_checkpoint):
    ckpt = load(lstm_checkpoint)
    ids, oov = encode(ckpt.vocab, "a\u00e9b\x1bc")
    assert oov.tolist() == [False, True, False, True, False]
    assert ids[1] == ckpt.vocab.index[" "]
    cap = capture(ckpt.model(), ckpt.vocab, "a\u00e9b\x1bc")
    assert cap.oov.sum() == 2 and len(cap) == 5


def test_progress_reaches_the_total_and_logits_are_kept(lstm_checkpoint):
    ckpt = load(lstm_checkpoint)
    seen = []
    cap = capture(ckpt.model(), ckpt.vocab, TEXT, keep_logits=True, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(TEXT), len(TEXT))
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:], strict=False))
    assert cap.logits.shape == (len(TEXT), len(ckpt.vocab))


def test_an_empty_text_captures_nothing(lstm_checkpoint):
    ckpt = load(lstm_checkpoint)
    cap = capture(ckpt.model(), ckpt.vocab, "")
    assert len(cap) == 0 and cap.codes.shape[0] == 0


def test_unit_names_round_trip(gru_checkpoint):
    ckpt = load(gru_checkpoint)
    cap = capture(ckpt.model(), ckpt.vocab, "hello")
    for u in (0, 63, 64, cap.units - 1):
        assert cap.unit_index(*cap.unit_name(u)) == u
    assert cap.unit_name(64) == (0, "z", 0)
