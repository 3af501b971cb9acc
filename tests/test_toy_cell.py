"""A fourth cell type, registered here and nowhere else, runs through the whole program.

If a module outside core/cells/ switched on a cell's name, one of these tests
would fail: the model (step and forward), a clamp, the capture and the finder's
ranking, the equations panel and the viewer all see only what the class says.

The toy is a counting cell with an unbounded running sum, like an LSTM's c:

    f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)      keep gate
    u_t = tanh(W_iu x_t + b_iu + W_hu h_{t−1} + b_hu)   increment
    m_t = f_t ⊙ m_{t−1} + u_t                           running sum (unbounded)
    h_t = tanh(m_t)                                     hidden state
"""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tui.analysis.capture import capture
from rnn_tui.analysis.clamp import Pin, check_pin, model_clamp, value_range
from rnn_tui.analysis.equations import explain_unit
from rnn_tui.analysis.features import BY_KEY
from rnn_tui.analysis.finder import rank_one
from rnn_tui.core.cells import CELLS, Cell, Config, register
from rnn_tui.core.cells.base import blocks, mark, sigmoid, signed_number
from rnn_tui.core.checkpoint import load, save
from rnn_tui.core.vocab import Vocab

from .conftest import ASCII_CHARS


class CounterCell(Cell):
    name = "counter"
    torch_name = "Counter"
    quantities = ("f", "u", "m", "h")
    signed = frozenset({"u", "m", "h"})
    unbounded = frozenset({"m"})
    gates = 2
    state = ("h", "m")
    descriptions = {"f": "keep gate, 0…1", "u": "increment, −1…1", "m": "running sum, unbounded",
                    "h": "hidden state, −1…1"}
    titles = {"f": "keep", "u": "increment", "m": "sum", "h": "hidden"}
    open_means = {"f": "keep gate: open keeps the running sum"}
    marker = ("C", "#cc79a7")

    def equations(self, xp, hp, state, hold):
        _, m_prev = state
        a_f, a_u = blocks(xp + hp, 2)
        f = hold("f", sigmoid(a_f))
        u = hold("u", np.tanh(a_u))
        m = hold("m", f * m_prev + u)
        h = hold("h", np.tanh(m))
        return f, u, m, h

    def explain(self, q, parts, clamped):
        n = signed_number
        lines = [f"f = σ({n(parts.pre[0])}) = {q['f']:.3f}{mark('f', clamped)}",
                 f"m_t = f·m_t−1 + u = {q['f']:.3f}·{n(parts.prev['m'])} + {n(q['u'])} = {n(q['m'])}"
                 f"{mark('m', clamped)}"]
        dominant = "it kept counting" if q["f"] >= 0.5 else "it started again"
        return {**q, "m_prev": parts.prev["m"]}, dominant, [*lines, dominant]


H = 8
COUNTER = 3  # the unit wired to count the characters since the last newline


@pytest.fixture(scope="module")
def toy_path(tmp_path_factory):
    register(CounterCell())
    vocab = Vocab(ASCII_CHARS)
    config = Config("counter", 1, H, len(vocab))
    rng = np.random.default_rng(0)
    t = {k: (rng.standard_normal(s) * 0.3).astype(np.float32) for k, s in config.shapes().items()}
    f, u = 0, H  # row offsets of the two gate blocks
    for name in ("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"):
        t[name][[f + COUNTER, u + COUNTER]] = 0.0
    t["rnn.bias_ih_l0"][f + COUNTER] = 20.0  # keep the sum on every character...
    t["rnn.weight_ih_l0"][f + COUNTER, vocab.index["\n"]] = -40.0  # ...but the newline
    t["rnn.bias_ih_l0"][u + COUNTER] = 0.1  # and add tanh(0.1) each time
    path = save(tmp_path_factory.mktemp("toy") / "counter.safetensors", config, vocab, t,
                {"corpus": "hand-wired", "seed": 0})
    yield path
    del CELLS["counter"]


TEXT = "\n".join(["To be, or not to be, that is the question:", "Whether 'tis nobler", "in the mind",
                  "to suffer the slings and arrows of outrageous fortune,", "Or to take arms"] * 8) + "\n"


def test_step_and_forward_run_the_same_equations(toy_path):
    ckpt = load(toy_path)
    model = ckpt.model()
    ids = ckpt.vocab.encode(TEXT[:200])
    state, logits, acts = model.run(ids)
    f_state, f_logits, f_acts = model.forward(ids, capture=True)
    np.testing.assert_allclose(f_acts, acts, atol=1e-5)
    np.testing.assert_allclose(f_logits, logits, atol=1e-5)
    np.testing.assert_allclose(f_state, state, atol=1e-5)
    # and the equations as written in the docstring, by hand, on the first two characters
    t = model.tensors
    x0, x1 = (np.eye(len(ckpt.vocab))[i] for i in ids[:2])
    pre = t["rnn.weight_ih_l0"] @ x1 + t["rnn.bias_ih_l0"] + t["rnn.weight_hh_l0"] @ acts[0, 0, 3] + t["rnn.bias_hh_l0"]
    f = 1 / (1 + np.exp(-pre[:H]))
    m = f * acts[0, 0, 2] + np.tanh(pre[H:])
    np.testing.assert_allclose(acts[1, 0, 2], m, atol=1e-5)
    assert state.shape == (1, 2, H)  # h and the running sum carry to the next step


def test_the_wired_unit_counts_and_a_clamp_holds_it(toy_path):
    ckpt = load(toy_path)
    model = ckpt.model()
    ids = ckpt.vocab.encode("abc\nde")
    _, _, acts = model.run(ids)
    m = acts[:, 0, 2, COUNTER]
    np.testing.assert_allclose(m, np.tanh(0.1) * np.array([1, 2, 3, 1, 2, 3]), atol=1e-4)
    assert value_range(model.cell, "m") is None and value_range(model.cell, "f") == (0.0, 1.0)
    pin = Pin(0, "m", 5.0, (COUNTER,))
    check_pin(model.config, pin)  # unbounded: any finite value is accepted
    clamped = model.with_clamp(model_clamp(model.config, [pin]))
    _, _, held = clamped.run(ids)
    assert (held[:, 0, 2, COUNTER] == 5.0).all()
    np.testing.assert_allclose(held[:, 0, 3, COUNTER], np.tanh(5.0), atol=1e-6)  # downstream sees the held value
    _, _, f_held = clamped.forward(ids, capture=True)
    np.testing.assert_allclose(f_held, held, atol=1e-5)


def test_the_finder_ranks_the_counter_first_for_position_in_line(toy_path):
    ckpt = load(toy_path)
    cap = capture(ckpt.model(), ckpt.vocab, TEXT, streams=2, warmup=64)
    assert cap.gates == frozenset({"f"})
    best = rank_one(cap, BY_KEY["line-pos"]).hits[0]
    assert (best.layer, best.quantity, best.unit) == (0, "m", COUNTER)
    assert best.value > 0.85


def test_the_equations_panel_shows_the_cells_own_lines(toy_path):
    ckpt = load(toy_path)
    model = ckpt.model()
    ids = ckpt.vocab.encode("ab")
    s1, _, _ = model.step(model.initial_state(), int(ids[0]))
    _, _, acts = model.step(s1, int(ids[1]))
    eq = explain_unit(model, 0, COUNTER, int(ids[1]), s1, acts)
    assert eq.cell == "counter"
    assert eq.lines[0].startswith("Counter 1×8  layer 1  unit 3")
    assert eq.lines[2] == "m_t = f·m_t−1 + u = 1.000·+0.100 + +0.100 = +0.199"
    assert eq.dominant == "it kept counting"


def test_the_viewer_shows_the_cells_grids_and_equations(snap_compare, toy_path):
    from rnn_tui.tui.app import build_app

    app = build_app(toy_path, seed=7, prime="To be, or not", glyphs=False)

    async def run_before(pilot) -> None:
        await pilot.press(*["right"] * 6, "e")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
