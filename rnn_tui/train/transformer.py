"""The PyTorch transformer: a small decoder-only GPT over characters.

Pre-LayerNorm blocks (causal self-attention, then a GELU MLP), learned
positions, an untied linear head. The attribute names make the state_dict
keys exactly the checkpoint's tensor names (`blocks.0.attn.qkv.weight`...),
so exporting is a copy and the numpy model in `core/transformer.py` runs the
trained weights unchanged. GELU is the tanh form, which numpy computes
exactly (the erf form would need scipy).

A character's context is a window of the characters before it, as the viewer
runs it: the window grows to `context` characters, then restarts from its last
`context // 2` (one batched re-read), so every prediction after the first
`context` characters sees between context/2 and context characters. `nll`
scores the held-out text under exactly that rule.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .model import pieces, scored_sum


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        q, k, v = self.qkv(x).split(D, dim=2)
        q, k, v = (t.view(B, T, self.heads, D // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(B, T, D))


class MLP(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc = nn.Linear(dim, hidden)
        self.proj = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(F.gelu(self.fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = MLP(dim, mlp)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class CharTransformer(nn.Module):
    def __init__(self, vocab_size: int, layers: int, dim: int, heads: int, context: int, mlp: int):
        super().__init__()
        self.context = context
        self.tok = nn.Embedding(vocab_size, dim)
        self.pos = nn.Embedding(context, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, mlp) for _ in range(layers))
        self.ln_f = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab_size)
        self.apply(self._init)
        for name, p in self.named_parameters():  # GPT-2: residual projections scaled by depth
            if name.endswith("proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * layers))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (B, T ≤ context), each row a window from its own position 0 → logits (B, T, V)."""
        T = ids.shape[1]
        x = self.tok(ids) + self.pos.weight[:T]
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))

    def tensors(self) -> dict[str, np.ndarray]:
        """The weights as numpy arrays under the checkpoint's names."""
        return {k: v.detach().float().cpu().numpy() for k, v in self.state_dict().items()}

    def parameters_count(self) -> int:
        return sum(p.numel() for p in self.parameters())


def windows(n: int, context: int) -> list[tuple[int, int, int]]:
    """(start, stop, first scored) for each window over a stream of n characters: the viewer's rule.

    The first window reads [0, context) and scores all of it; each later one starts
    `context // 2` further on and scores only the positions the one before did not reach.
    """
    half = context // 2
    out = [(0, min(n, context), 0)]
    start = half
    while start + context - half < n:
        out.append((start, min(n, start + context), start + context - half))
        start += half
    return out


@torch.no_grad()
def nll(model: CharTransformer, ids: torch.Tensor, streams: int = 1, batch: int = 64) -> float:
    """Mean nats/char of ids[1:], read as `train.model.pieces` cuts it, each piece by the window rule; by
    default as one stream, as `rnn-tui eval` scores a transformer (core.transformer.reads_long_texts_in_pieces)."""
    was_training = model.training
    model.eval()
    inp, tgt, keep = pieces(ids, streams)
    streams, n = inp.shape
    total = torch.zeros((), dtype=torch.float64)
    spans = windows(n, model.context)
    # every window but perhaps the last has the full length: batch those across streams and windows
    full = [w for w in spans if w[1] - w[0] == model.context]
    rest = [w for w in spans if w[1] - w[0] != model.context]
    step = max(1, batch // streams)
    for group in [full[i : i + step] for i in range(0, len(full), step)] + [[w] for w in rest]:
        x = torch.cat([inp[:, a:b] for a, b, _ in group])
        logits = model(x)
        for j, (a, b, first) in enumerate(group):
            lg = logits[j * streams : (j + 1) * streams, first - a : b - a]
            total += scored_sum(lg, tgt[:, first:b], keep[:, first:b])
    model.train(was_training)
    return float(total) / (len(ids) - 1)


@torch.no_grad()
def stream_logits(model: CharTransformer, ids: torch.Tensor) -> torch.Tensor:
    """Logits (T, V) after each character of one stream from an empty window, by the viewer's window rule."""
    was_training = model.training
    model.eval()
    out = torch.empty(len(ids), model.head.out_features, dtype=model.head.weight.dtype)
    for start, stop, first in windows(len(ids), model.context):
        out[first:stop] = model(ids[start:stop].view(1, -1))[0, first - start :]
    model.train(was_training)
    return out
