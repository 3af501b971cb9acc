"""The numpy cells against torch.nn.RNN/GRU/LSTM, the reference implementation."""

import numpy as np
import pytest

from rnn_tui.core.cells import CELLS, Config, Model

torch = pytest.importorskip("torch")

TORCH_CELLS = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
CASES = [(cell, layers, hidden, embed)
         for cell in ("rnn", "gru", "lstm")
         for layers, hidden, embed in ((1, 8, None), (2, 33, None), (3, 17, 6))]


def torch_reference(cell, layers, hidden, vocab_size, embed_dim, seed):
    torch.manual_seed(seed)
    config = Config(cell, layers, hidden, vocab_size, embed_dim)
    rnn = TORCH_CELLS[cell](config.input_size, hidden, layers)
    head = torch.nn.Linear(hidden, vocab_size)
    embed = torch.nn.Embedding(vocab_size, embed_dim) if embed_dim else None
    tensors = {f"rnn.{k}": v.detach().numpy() for k, v in rnn.state_dict().items()}
    tensors["head.weight"] = head.weight.detach().numpy()
    tensors["head.bias"] = head.bias.detach().numpy()
    if embed is not None:
        tensors["embed.weight"] = embed.weight.detach().numpy()

    def run(ids):
        x = torch.tensor(ids)
        x = embed(x) if embed is not None else torch.nn.functional.one_hot(x, vocab_size).float()
        with torch.no_grad():
            out, state = rnn(x)
            probs = torch.softmax(head(out), dim=-1)
        return out.numpy(), state, head(out).detach().numpy(), probs.numpy()

    return config, tensors, run


@pytest.mark.parametrize("cell,layers,hidden,embed", CASES)
def test_step_and_forward_match_torch_over_500_steps(cell, layers, hidden, embed):
    vocab_size = 13
    config, tensors, run = torch_reference(cell, layers, hidden, vocab_size, embed, seed=layers * 100 + hidden)
    model = Model(config, tensors)
    ids = np.random.default_rng(1).integers(0, vocab_size, 500)
    out, state, logits, probs = run(ids)

    final, step_logits, acts = model.run(ids)
    h_index = config.quantities.index("h")
    assert np.abs(step_logits - logits).max() <= 1e-5
    assert np.abs(acts[:, -1, h_index] - out).max() <= 1e-5
    assert np.abs(softmax(step_logits) - probs).max() <= 1e-5
    h_n = (state[0] if cell == "lstm" else state).numpy()
    assert np.abs(final[:, 0] - h_n).max() <= 1e-5
    if cell == "lstm":
        assert np.abs(final[:, 1] - state[1].numpy()).max() <= 1e-5

    fwd_final, fwd_logits, fwd_acts = model.forward(ids, capture=True)
    assert np.abs(fwd_logits - logits).max() <= 1e-5
    assert np.abs(fwd_final - final).max() <= 1e-5
    assert np.abs(fwd_acts - acts).max() <= 1e-5


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_gates_match_torch_equations(cell):
    """Every exposed quantity, recomputed from torch's weights with torch's equations."""
    config, tensors, _ = torch_reference(cell, 2, 9, 7, None, seed=5)
    model = Model(config, tensors)
    state = model.initial_state()
    state, _, _ = model.step(state, 3)
    new, _, acts = model.step(state, 4)
    t = {k: torch.tensor(v) for k, v in tensors.items()}
    x = torch.nn.functional.one_hot(torch.tensor(4), 7).float()
    for k in range(2):
        h = torch.tensor(state[k, 0])
        gi = t[f"rnn.weight_ih_l{k}"] @ x + t[f"rnn.bias_ih_l{k}"]
        gh = t[f"rnn.weight_hh_l{k}"] @ h + t[f"rnn.bias_hh_l{k}"]
        if cell == "lstm":
            i, f, g, o = (gi + gh).chunk(4)
            i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
            c = f * torch.tensor(state[k, 1]) + i * g
            expected = [i, f, g, o, c, o * c.tanh()]
        elif cell == "gru":
            ir, iz, in_ = gi.chunk(3)
            hr, hz, hn = gh.chunk(3)
            r, z = (ir + hr).sigmoid(), (iz + hz).sigmoid()
            n = (in_ + r * hn).tanh()
            expected = [r, z, n, (1 - z) * n + z * h]
        else:
            expected = [(gi + gh).tanh()]
        for q, e in zip(config.quantities, expected, strict=True):
            got = acts[k, config.quantities.index(q)]
            assert np.abs(got - e.numpy()).max() <= 1e-6, (cell, k, q)
        x = expected[-1]
    assert np.array_equal(new, model.state_from_acts(acts))


def test_streams_run_independently():
    config, tensors, _ = torch_reference("gru", 2, 12, 9, None, seed=2)
    model = Model(config, tensors)
    ids = np.random.default_rng(3).integers(0, 9, (3, 40))
    _, logits, acts = model.forward(ids, capture=True)
    for b in range(3):
        _, one_logits, one_acts = model.forward(ids[b], capture=True)
        assert np.abs(logits[b] - one_logits).max() <= 1e-6
        assert np.abs(acts[b] - one_acts).max() <= 1e-6


def test_nll_matches_torch_cross_entropy():
    config, tensors, run = torch_reference("lstm", 2, 16, 11, None, seed=9)
    model = Model(config, tensors)
    ids = np.random.default_rng(4).integers(0, 11, 301)
    _, _, logits, _ = run(ids[:-1])
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(ids[1:])).item()
    assert model.nll(ids, streams=1) == pytest.approx(expected, abs=1e-5)
    assert model.nll(ids, streams=4) == pytest.approx(expected, abs=0.05)


def softmax(x):
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("name", ["rnn", "gru", "lstm"])
def test_each_cell_class_says_everything_the_program_shows_about_it(name):
    from rnn_tui.core.cells.base import no_clamp

    cell = CELLS[name]
    q = cell.quantities
    assert set(cell.titles) == set(q) and set(cell.descriptions) == set(q)
    assert set(cell.open_means) == set(q) - cell.signed  # every gate, and only gates
    assert cell.unbounded <= cell.signed and set(cell.state) <= set(q)
    assert q[-1] == "h" and cell.state[0] == "h"  # the layer's output; what the recurrent weights multiply
    assert len(cell.marker[0]) == 1 and cell.marker[1].startswith("#")
    rng = np.random.default_rng(0)
    H = 5
    xp, hp = (rng.standard_normal((3, cell.gates * H)).astype(np.float32) for _ in range(2))
    state = tuple(rng.uniform(-1, 1, (3, H)).astype(np.float32) for _ in cell.state)
    out = cell.equations(xp, hp, state, no_clamp)
    assert len(out) == len(q) and all(v.shape == (3, H) for v in out)
    for name_, v in zip(q, out, strict=True):  # each quantity within the bounds the class states
        bound = cell.bound(name_)
        if bound is not None:
            assert bound[0] <= v.min() and v.max() <= bound[1], name_


@pytest.mark.parametrize("rows", [1, 2, 3, 6, 7, 16])
def test_the_recurrent_product_is_the_matrix_product_however_many_streams(rows):
    from rnn_tui.core.cells.model import recurrent

    rng = np.random.default_rng(rows)
    h = rng.standard_normal((rows, 24)).astype(np.float32)
    w = rng.standard_normal((24, 96)).astype(np.float32)
    got = recurrent(h, w)
    np.testing.assert_allclose(got, h.astype(np.float64) @ w.astype(np.float64), rtol=1e-5, atol=1e-5)
    assert got.dtype == np.float32 and not np.shares_memory(got, h)


@pytest.mark.parametrize("cell,held,other", [("lstm", "f", "i"), ("lstm", "i", "f"), ("gru", "z", "r"),
                                             ("gru", "r", "z")])
def test_a_clamped_gate_leaves_the_gate_computed_beside_it_alone(cell, held, other):
    # the two gates go through one σ call, as two halves of one array: a clamp must write only its own half
    from rnn_tui.core.cells.base import holder, no_clamp

    c = CELLS[cell]
    rng = np.random.default_rng(1)
    H = 6
    xp, hp = (rng.standard_normal((2, c.gates * H)).astype(np.float32) for _ in range(2))
    state = tuple(rng.uniform(-1, 1, (2, H)).astype(np.float32) for _ in c.state)
    free = dict(zip(c.quantities, c.equations(xp, hp.copy(), state, no_clamp), strict=True))
    clamp = {held: (np.arange(H), np.full(H, 0.25, np.float32))}
    pinned = dict(zip(c.quantities, c.equations(xp, hp.copy(), state, holder(clamp)), strict=True))
    assert np.all(pinned[held] == np.float32(0.25))
    assert np.array_equal(pinned[other], free[other])
