"""One unit's equations at one step, with the numbers in: Olah's LSTM diagrams as arithmetic.

The values of gates and states are the ones the model computed (a clamp shows
as a value that differs from its pre-activation's σ or tanh, and is marked);
the pre-activations are recomputed from the weights, split into what the
input brought and what the recurrence brought, since that split is what the
step's own arithmetic does not keep.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.cells import Model
from ..core.cells.base import Parts


@dataclass(frozen=True)
class UnitEquation:
    cell: str
    layer: int
    unit: int
    values: dict[str, float]  # every named number of the step, e.g. {"i": 0.77, "c_prev": 2.1, ...}
    dominant: str  # which term decided the new state, in words
    lines: list[str] = field(default_factory=list)  # the equations with the numbers, for a panel
    clamped: frozenset[str] = frozenset()  # quantities held by a clamp at this unit


def explain_unit(model: Model, layer: int, unit: int, char_id: int, state_prev: np.ndarray,
                 acts: np.ndarray) -> UnitEquation:
    """The step that read `char_id`, for one unit: state_prev is the state before it,
    (layers, state_size, hidden); acts are the step's activations, (layers, quantities, hidden).
    The cell writes the lines (`Cell.explain`): its own equations, with this unit's numbers in."""
    c = model.config
    if not 0 <= layer < c.layers:
        raise ValueError(f"layer {layer + 1} does not exist (the model has {c.layers})")
    if not 0 <= unit < c.hidden:
        raise ValueError(f"unit {unit} does not exist (layers have {c.hidden})")
    q = {name: float(acts[layer, k, unit]) for k, name in enumerate(c.quantities)}
    clamp = (model.clamp or {}).get(layer, {})
    clamped = frozenset(name for name, (units, _) in clamp.items() if unit in np.atleast_1d(units))
    parts = _preactivation_parts(model, layer, unit, char_id, state_prev, acts)
    values, dominant, lines = model.cell.explain(q, parts, clamped)
    head = f"{c.label}  layer {layer + 1}  unit {unit}" + ("  (clamped: " + ", ".join(sorted(clamped)) + ")"
                                                          if clamped else "")
    return UnitEquation(c.cell, layer, unit, values, dominant, [head, *lines], clamped)


def _preactivation_parts(model: Model, layer: int, unit: int, char_id: int, state_prev: np.ndarray,
                         acts: np.ndarray) -> Parts:
    """W_ih x, W_hh h_{t−1}, b_ih and b_hh for this unit's row in each gate block, in float64,
    and the unit's state before the step."""
    t, H, G = model.tensors, model.config.hidden, model.cell.gates
    rows = np.arange(G) * H + unit
    w_ih = t[f"rnn.weight_ih_l{layer}"][rows]
    if layer == 0:
        x = t["embed.weight"][char_id] if model.config.embed_dim else None
        ins = w_ih @ x if x is not None else w_ih[:, char_id]
    else:
        ins = w_ih @ acts[layer - 1, -1]  # the layer below's h at this step
    rec = t[f"rnn.weight_hh_l{layer}"][rows] @ state_prev[layer, 0]
    f64 = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731
    prev = {name: float(state_prev[layer, j, unit]) for j, name in enumerate(model.cell.state)}
    return Parts(f64(ins), f64(rec), f64(t[f"rnn.bias_ih_l{layer}"][rows]), f64(t[f"rnn.bias_hh_l{layer}"][rows]),
                 prev)
