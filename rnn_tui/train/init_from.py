"""Start training from a model instead of random weights (char-rnn's `-init_from`): continue or fine-tune.

The architecture is the model's. The vocabulary is the model's characters, in their order, followed
by the new text's characters the model does not know, sorted. A new character starts with zero weight
into the network (one-hot input) or a fresh embedding row, and a decoder row of zeros whose bias is the
model's lowest: its score is that constant, the old characters' scores are unchanged, and training
moves both from there.
"""

from __future__ import annotations

import numpy as np
import torch

from ..core.checkpoint import Checkpoint
from .model import CharRNN


@torch.no_grad()
def load_weights(model: CharRNN, init: Checkpoint) -> None:
    """Copy `init`'s weights into `model`, whose vocabulary starts with `init`'s characters."""
    v = init.config.vocab_size
    params = model.state_dict()
    for name, value in init.tensors.items():
        source = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
        target = params[name]
        if name in ("embed.weight", "head.weight", "head.bias"):
            target[:v] = source
        elif name == "rnn.weight_ih_l0" and not init.config.embed_dim:  # one-hot input: a column a character
            target[:, :v] = source
            target[:, v:] = 0.0
        else:
            target.copy_(source)
    params["head.weight"][v:] = 0.0
    params["head.bias"][v:] = float(init.tensors["head.bias"].min())
