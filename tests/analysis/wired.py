"""Hand-wired LSTMs whose units have known meanings: the finder's known answers.

One layer, one-hot input, gates driven by ±20 (saturated) so each wired unit
does exactly one thing; the other units get small random weights (noise to
rank against).
  unit 0, c: counts characters since the newline, 0.1 per character (f = 0 and i = 0 at a newline).
  unit 1, c/h: a flip-flop toggled by '"': on (≈ +1) inside quotes, off (≈ −1) outside; a newline
          switches it off (quotes here close on their line), so a stream's warm-up cannot leave it inverted.
"""

from __future__ import annotations

import numpy as np

from rnn_tui.core.cells import Config
from rnn_tui.core.checkpoint import save
from rnn_tui.core.vocab import Vocab

from ..conftest import ASCII_CHARS

H = 8
COUNTER, QUOTE = 0, 1


def wired_tensors(vocab: Vocab, seed: int = 0) -> tuple[Config, dict[str, np.ndarray]]:
    config = Config("lstm", 1, H, len(vocab))
    rng = np.random.default_rng(seed)
    t = {name: (rng.standard_normal(shape) * 0.3).astype(np.float32) for name, shape in config.shapes().items()}
    w_ih, w_hh = t["rnn.weight_ih_l0"], t["rnn.weight_hh_l0"]
    b_ih, b_hh = t["rnn.bias_ih_l0"], t["rnn.bias_hh_l0"]
    i, f, g, o = (np.arange(4) * H)  # row offsets of the gate blocks (torch order i, f, g, o)
    nl, quote = vocab.index["\n"], vocab.index['"']
    for u in (COUNTER, QUOTE):
        for block in (i, f, g, o):
            w_ih[block + u] = 0.0
            w_hh[block + u] = 0.0
            b_ih[block + u] = 0.0
            b_hh[block + u] = 0.0
        w_ih[o + u] = 20.0  # output gate always open: h = tanh(c)
    # counter: i = 1, f = 1, g = tanh(0.1) on every character but the newline, which clears it
    w_ih[i + COUNTER] = 20.0
    w_ih[f + COUNTER] = 20.0
    w_ih[i + COUNTER, nl] = w_ih[f + COUNTER, nl] = -20.0
    b_ih[g + COUNTER] = 0.1
    # flip-flop: a quote writes g = tanh(−10·h + 1), the opposite of the current state; other characters keep c
    w_ih[i + QUOTE] = -20.0
    w_ih[f + QUOTE] = 20.0
    w_ih[i + QUOTE, quote] = 20.0
    w_ih[f + QUOTE, quote] = -20.0
    w_hh[g + QUOTE, QUOTE] = -10.0
    b_ih[g + QUOTE] = 1.0
    w_ih[i + QUOTE, nl] = 20.0
    w_ih[f + QUOTE, nl] = -20.0
    w_ih[g + QUOTE, nl] = -30.0
    # the other units must not see the wired ones much (and cannot disturb them: their rows are zero)
    return config, t


def write_wired(path, chars=ASCII_CHARS):
    vocab = Vocab(chars)
    config, tensors = wired_tensors(vocab)
    return save(path, config, vocab, tensors, {"corpus": "hand-wired"})


def gate_bias_tensors(cell: str, biases: dict[str, list[float]], vocab: Vocab) -> tuple[Config, dict]:
    """A model whose gates are constant: zero weights, each gate's bias per unit as given."""
    n = len(next(iter(biases.values())))
    config = Config(cell, 1, n, len(vocab))
    t = {name: np.zeros(shape, np.float32) for name, shape in config.shapes().items()}
    order = config.quantities[: config.kind.gates] if cell == "lstm" else ("r", "z", "n")
    for gate, values in biases.items():
        k = order.index(gate)
        t["rnn.bias_ih_l0"][k * n : (k + 1) * n] = values
    return config, t
