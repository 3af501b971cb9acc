"""Gradient saliency: how strongly the prediction at the cursor responds to the input k steps back.

The other memory measure beside the perturbation curve of `analysis.memory_span`:
the norm of the gradient of log p(next character) with respect to the input
vector (one-hot or embedding) at each lag, relative to lag 1. It needs torch
(autograd), so the viewer imports this module only when a person asks for it.
"""

from __future__ import annotations

import numpy as np
import torch

from ..core.cells import Model
from .model import CharRNN, torch_state


def saliency_curve(model: Model, ids: np.ndarray, state: np.ndarray | None = None, max_lag: int = 200,
                   target: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(lags, gradient norm relative to lag 1) for the prediction after the last of `ids`.

    state: the numpy state before ids[0] (layers, state_size, hidden); target: the character whose
    log-probability is differentiated, by default the one the model finds most likely.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) == 0:
        raise ValueError("saliency needs at least one character of history")
    K = min(max_lag, len(ids))
    net = CharRNN(model.config)
    net.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in model.tensors.items()})
    net.eval()
    window = ids[len(ids) - K :]
    if len(ids) > K:  # the state where the window starts, from the numpy engine
        state, _, _ = model.forward(ids[: len(ids) - K], state)
    x = net.encode(torch.from_numpy(window)[None]).detach().requires_grad_(True)
    out, _ = net.rnn(x, _torch_state(model, state))
    logp = torch.log_softmax(net.head(out[0, -1]), dim=-1)
    target = int(torch.argmax(logp)) if target is None else target
    (grad,) = torch.autograd.grad(logp[target], x)
    norms = grad[0].norm(dim=-1).numpy()[::-1].astype(np.float64)  # lag 1 first
    lags = np.arange(1, K + 1)
    return lags, norms / norms[0] if norms[0] > 0 else norms


def _torch_state(model: Model, state: np.ndarray | None):
    if state is None:
        return None
    s = torch.from_numpy(np.ascontiguousarray(state, dtype=np.float32))  # (layers, state_size, hidden)
    return torch_state(model.config, [s[:, j][:, None].contiguous() for j in range(s.shape[1])])  # (layers, 1, H)
