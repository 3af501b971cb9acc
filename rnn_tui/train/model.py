"""The PyTorch network: torch's fused nn.RNN/GRU/LSTM between an input encoding and a head.

Attribute names `embed` (only with an embedding), `rnn` and `head` make the
state_dict keys exactly the checkpoint's tensor names (`rnn.weight_ih_l0`,
`head.bias`...), so exporting is a copy and the numpy engine in `core/cells/` runs
the trained weights unchanged. The cell class names its torch module
(`Cell.torch_name`). One-hot input is `F.one_hot`, no parameters.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core.cells import Config
from ..core.cells.model import NLL_ROWS
from ..core.pieces import SCORE_PIECES, SCORE_WARMUP, layout


class CharRNN(nn.Module):
    def __init__(self, config: Config, dropout: float = 0.0):
        super().__init__()
        self.config = config
        if config.embed_dim:
            self.embed = nn.Embedding(config.vocab_size, config.embed_dim)
        module = getattr(nn, config.kind.torch_name)
        self.rnn = module(config.input_size, config.hidden, config.layers, batch_first=True,
                          dropout=dropout if config.layers > 1 else 0.0)
        self.head = nn.Linear(config.hidden, config.vocab_size)

    def encode(self, ids: torch.Tensor) -> torch.Tensor:
        if self.config.embed_dim:
            return self.embed(ids)
        return F.one_hot(ids, self.config.vocab_size).to(self.head.weight.dtype)

    def forward(self, ids: torch.Tensor, state=None):
        """ids (B, T) → logits (B, T, V), new state (h or (h, c))."""
        out, state = self.rnn(self.encode(ids), state)
        return self.head(out), state

    def tensors(self) -> dict[str, np.ndarray]:
        """The weights as numpy arrays under the checkpoint's names."""
        return {k: v.detach().float().cpu().numpy() for k, v in self.state_dict().items()}


def torch_state(config: Config, vectors: list[torch.Tensor] | tuple[torch.Tensor, ...]):
    """torch's form of a recurrent state from its vectors (in the order of `Cell.state`): h alone,
    or a tuple such as (h, c) where the cell carries more than h."""
    return tuple(vectors) if len(config.kind.state) > 1 else vectors[0]


def detach_state(state):
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def pieces(ids: torch.Tensor, streams: int = SCORE_PIECES,
           warmup: int = SCORE_WARMUP) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ids read as `core.pieces.layout` cuts them, the split `core.cells.streamed_nll` makes: inputs
    (B, span), the characters that follow them, and which steps are scored (the rest is warm-up or padding)."""
    lay = layout(len(ids) - 1, streams, warmup)
    pos = torch.from_numpy(lay.pos).to(ids.device)
    return ids[pos], ids[pos + 1], torch.from_numpy(lay.keep).to(ids.device)


def scored_sum(logits: torch.Tensor, targets: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """The summed cross-entropy (float64) of the steps `keep` marks."""
    loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
    return loss[keep.reshape(-1)].double().sum()


@torch.no_grad()
def nll(model: CharRNN, ids: torch.Tensor, streams: int = SCORE_PIECES) -> float:
    """Mean nats/char of ids[1:], read as up to `streams` pieces side by side, each after a warm-up.

    The same split as `core.cells.Model.nll`, so training's val loss is the figure
    `rnn-tui eval` prints; batched across streams and chunked in time.
    """
    was_training = model.training
    model.eval()
    inp, tgt, keep = pieces(ids, streams)
    chunk = max(1, NLL_ROWS // inp.shape[0])
    total = torch.zeros((), dtype=torch.float64, device=ids.device)
    state = None
    for start in range(0, inp.shape[1], chunk):
        part = slice(start, start + chunk)
        logits, state = model(inp[:, part], state)
        total += scored_sum(logits, tgt[:, part], keep[:, part])
    model.train(was_training)
    return float(total) / (len(ids) - 1)


@torch.no_grad()
def sample(model: CharRNN, prime: torch.Tensor, length: int, temperature: float = 0.8,
           generator: torch.Generator | None = None) -> list[int]:
    """Characters drawn from the model after `prime` (1-D ids), for the progress display."""
    was_training = model.training
    model.eval()
    logits, state = model(prime.view(1, -1))
    out: list[int] = []
    for _ in range(length):
        probs = torch.softmax(logits[0, -1].float() / max(temperature, 1e-3), dim=-1)
        nxt = torch.multinomial(probs.cpu(), 1, generator=generator)
        out.append(int(nxt))
        logits, state = model(nxt.to(prime.device).view(1, 1), state)
    model.train(was_training)
    return out
