"""Models with weights set by hand, so the tests know the answers before running them."""

from __future__ import annotations

import numpy as np

from rnn_tui.core.cells import Config, Model
from rnn_tui.core.checkpoint import Checkpoint, load, save
from rnn_tui.core.vocab import Vocab


def zero_tensors(config: Config) -> dict[str, np.ndarray]:
    return {name: np.zeros(shape, dtype=np.float32) for name, shape in config.shapes().items()}


def memoryless_rnn(chars: str = "abcd", hidden: int = 8, seed: int = 0) -> Model:
    """W_hh = 0: the state is rebuilt from the current character alone at every step."""
    config = Config("rnn", 1, hidden, len(chars))
    t = zero_tensors(config)
    rng = np.random.default_rng(seed)
    t["rnn.weight_ih_l0"] = rng.standard_normal((hidden, len(chars))).astype(np.float32)
    t["head.weight"] = rng.standard_normal((len(chars), hidden)).astype(np.float32)
    return Model(config, t)


def delay_line_rnn(delay: int, gain: float = 3.0) -> Model:
    """Vocabulary "ab"; unit 0 holds ±tanh(gain) for the character just read, unit j copies unit j − 1
    of the step before, and the head reads only the last unit: the prediction depends on the
    character `delay` steps back (lag `delay`) and on nothing else."""
    config = Config("rnn", 1, delay, 2)
    t = zero_tensors(config)
    t["rnn.weight_ih_l0"][0] = [gain, -gain]
    for j in range(1, delay):
        t["rnn.weight_hh_l0"][j, j - 1] = gain
    t["head.weight"][0, delay - 1] = 2.0
    t["head.weight"][1, delay - 1] = -2.0
    return Model(config, t)


def one_unit_drives_a_logit(path, cell: str = "lstm", hidden: int = 4, unit: int = 2,
                            weight: float = 1.5, chars: str = "xyz") -> Checkpoint:
    """A saved checkpoint whose head reads one unit of h, and only into the logit of chars[0];
    the other logits are constant (their biases), so that unit alone moves that character's probability."""
    config = Config(cell, 1, hidden, len(chars))
    t = zero_tensors(config)
    rng = np.random.default_rng(1)
    for name in ("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0"):
        t[name] = (rng.standard_normal(t[name].shape) * 0.5).astype(np.float32)
    t["head.weight"][0, unit] = weight
    t["head.bias"][:] = [0.0, 0.3, -0.2]
    save(path, config, Vocab(chars), t, {"corpus": "set by hand"})
    return load(path)
