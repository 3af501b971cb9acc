"""The bundled shakespeare-transformer in numpy against the torch model it was trained as, on the
first 1,000 held-out characters, and its key/value-cached step against its batched forward."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tui.core.checkpoint import bundled_models, load
from rnn_tui.core.text import held_out, read_text

NAME = "shakespeare-transformer"
CHARS = 1000


@pytest.fixture(scope="module")
def bundled():
    path = bundled_models().get(NAME)
    if path is None:
        pytest.skip(f"{NAME} is not bundled")
    ckpt = load(path)
    corpus = path.parent / "corpora" / "shakespeare.txt.xz"
    ids = ckpt.vocab.encode(held_out(read_text(corpus))[:CHARS])
    return ckpt, ids


def test_numpy_logits_match_torch_on_held_out_text(bundled):
    """Within float32's own rounding: on this model's logits (up to ~18) torch in float32 is itself
    2.2e-5 from the float64 forward, so the bound is 3e-5 against torch, and numpy must be about as
    close to the float64 forward as torch's float32 is (2.3e-5; the two differ in summation order)."""
    torch = pytest.importorskip("torch")
    from rnn_tui.train.transformer import CharTransformer, stream_logits

    ckpt, ids = bundled
    c = ckpt.config
    net = CharTransformer(c.vocab_size, c.layers, c.hidden, c.heads, c.context, c.hidden)
    net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ckpt.tensors.items()})
    want = stream_logits(net, torch.from_numpy(ids)).numpy()
    exact = stream_logits(net.double(), torch.from_numpy(ids)).numpy()
    _, got, _ = ckpt.model().forward(ids)
    assert np.abs(got - want).max() <= 3e-5
    assert np.abs(got - exact).max() <= 1.5 * np.abs(want - exact).max()


def test_the_cached_step_equals_the_batched_forward(bundled):
    """To float32's rounding at these logits' size, as above (one-row products against batched ones)."""
    ckpt, ids = bundled
    model = ckpt.model()
    _, stepped, acts_stepped = model.run(ids)
    _, batched, acts_batched = model.forward(ids, capture=True)
    assert np.abs(stepped - batched).max() <= 3e-5
    assert np.abs(acts_stepped - acts_batched).max() <= 1e-4 * max(1.0, float(np.abs(acts_batched).max()))
