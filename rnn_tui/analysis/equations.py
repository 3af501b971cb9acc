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


@dataclass(frozen=True)
class UnitEquation:
    cell: str
    layer: int
    unit: int
    values: dict[str, float]  # every named number of the step, e.g. {"i": 0.77, "c_prev": 2.1, ...}
    dominant: str  # which term decided the new state, in words
    lines: list[str] = field(default_factory=list)  # the equations with the numbers, for a panel
    clamped: frozenset[str] = frozenset()  # quantities held by a clamp at this unit


def _n(x: float) -> str:
    return f"{x:+.3f}".replace("-", "−")


def _g(x: float) -> str:
    return f"{x:.3f}"


def explain_unit(model: Model, layer: int, unit: int, char_id: int, state_prev: np.ndarray,
                 acts: np.ndarray) -> UnitEquation:
    """The step that read `char_id`, for one unit: state_prev is the state before it,
    (layers, state_size, hidden); acts are the step's activations, (layers, quantities, hidden)."""
    c = model.config
    if not 0 <= layer < c.layers:
        raise ValueError(f"layer {layer + 1} does not exist (the model has {c.layers})")
    if not 0 <= unit < c.hidden:
        raise ValueError(f"unit {unit} does not exist (layers have {c.hidden})")
    ins, rec, bias = _preactivation_parts(model, layer, unit, char_id, state_prev, acts)
    q = {name: float(acts[layer, k, unit]) for k, name in enumerate(c.quantities)}
    clamp = (model.clamp or {}).get(layer, {})
    clamped = frozenset(name for name, (units, _) in clamp.items() if unit in np.atleast_1d(units))
    h_prev = float(state_prev[layer, 0, unit])
    explain = {"lstm": _lstm, "gru": _gru, "rnn": _rnn}[c.cell]
    values, dominant, lines = explain(q, ins, rec, bias, h_prev, float(state_prev[layer, -1, unit]), clamped)
    head = f"{c.label}  layer {layer + 1}  unit {unit}" + ("  (clamped: " + ", ".join(sorted(clamped)) + ")"
                                                          if clamped else "")
    return UnitEquation(c.cell, layer, unit, values, dominant, [head, *lines], clamped)


def _preactivation_parts(model: Model, layer: int, unit: int, char_id: int, state_prev: np.ndarray,
                         acts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(W_ih x, W_hh h_{t−1}, (b_ih, b_hh)) for this unit's row in each gate block: shapes (gates,),
    (gates,), (2, gates)."""
    t, H, G = model.tensors, model.config.hidden, model.cell.gates
    rows = np.arange(G) * H + unit
    w_ih = t[f"rnn.weight_ih_l{layer}"][rows]
    if layer == 0:
        x = t["embed.weight"][char_id] if model.config.embed_dim else None
        ins = w_ih @ x if x is not None else w_ih[:, char_id]
    else:
        ins = w_ih @ acts[layer - 1, -1]  # the layer below's h at this step
    rec = t[f"rnn.weight_hh_l{layer}"][rows] @ state_prev[layer, 0]
    bias = np.stack([t[f"rnn.bias_ih_l{layer}"][rows], t[f"rnn.bias_hh_l{layer}"][rows]])
    return ins.astype(np.float64), rec.astype(np.float64), bias.astype(np.float64)


def _mark(name: str, clamped: frozenset[str]) -> str:
    return "  ← clamped" if name in clamped else ""


def _lstm(q, ins, rec, bias, h_prev, c_prev, clamped):
    pre = ins + rec + bias.sum(0)
    gates = (("i", "σ", "input gate"), ("f", "σ", "forget gate"), ("g", "tanh", "candidate"),
             ("o", "σ", "output gate"))
    lines = [f"{n} = {fn}({_n(p)}) = {_n(q[n]) if fn == 'tanh' else _g(q[n])}   {what}{_mark(n, clamped)}"
             for (n, fn, what), p in zip(gates, pre, strict=True)]
    keep, write = q["f"] * c_prev, q["i"] * q["g"]
    lines += [
        f"c_t = f·c_t−1 + i·g = {_g(q['f'])}·{_n(c_prev)} + {_g(q['i'])}·{_n(q['g'])}",
        f"    = {_n(keep)} + {_n(write)} = {_n(q['c'])}{_mark('c', clamped)}",
        f"h_t = o·tanh(c_t) = {_g(q['o'])}·{_n(float(np.tanh(q['c'])))} = {_n(q['h'])}{_mark('h', clamped)}",
    ]
    if abs(keep) >= abs(write):
        dominant = f"the old cell state dominated (|f·c_t−1| {abs(keep):.3f} ≥ |i·g| {abs(write):.3f}): it remembers"
    else:
        dominant = f"the new candidate dominated (|i·g| {abs(write):.3f} > |f·c_t−1| {abs(keep):.3f}): it writes"
    values = {**q, "c_prev": c_prev, "h_prev": h_prev, "f·c_prev": keep, "i·g": write,
              **{f"pre_{n}": float(p) for (n, _, _), p in zip(gates, pre, strict=True)}}
    return values, dominant, [*lines, dominant]


def _gru(q, ins, rec, bias, h_prev, _c_prev, clamped):
    # r and z: both biases join; n: b_in joins the input, b_hn sits inside r·(…)
    pre_r, pre_z = (ins + rec + bias.sum(0))[:2]
    n_in, n_rec = ins[2] + bias[0, 2], rec[2] + bias[1, 2]
    n_no_reset = float(np.tanh(n_in + n_rec))
    keep, take = q["z"] * h_prev, (1 - q["z"]) * q["n"]
    lines = [
        f"r = σ({_n(pre_r)}) = {_g(q['r'])}   reset gate{_mark('r', clamped)}",
        f"z = σ({_n(pre_z)}) = {_g(q['z'])}   update gate (PyTorch: z near 1 keeps the old state){_mark('z', clamped)}",
        f"n = tanh(W_in x + b_in + r·(W_hn h_t−1 + b_hn)) = tanh({_n(n_in)} + {_g(q['r'])}·{_n(n_rec)})"
        f" = {_n(q['n'])}{_mark('n', clamped)}",
        f"    with r = 1, n would be {_n(n_no_reset)}: the reset moved n by {_n(q['n'] - n_no_reset)}",
        f"h_t = (1−z)·n + z·h_t−1 = {_g(1 - q['z'])}·{_n(q['n'])} + {_g(q['z'])}·{_n(h_prev)}",
        f"    = {_n(take)} + {_n(keep)} = {_n(q['h'])}{_mark('h', clamped)}",
    ]
    if q["z"] >= 0.5:
        dominant = f"the old state dominated (z = {_g(q['z'])} ≥ 0.5): the unit keeps what it had"
    else:
        dominant = f"the candidate dominated (z = {_g(q['z'])} < 0.5): the unit takes the new value"
    values = {**q, "h_prev": h_prev, "pre_r": float(pre_r), "pre_z": float(pre_z), "n_input": float(n_in),
              "n_recurrent": float(n_rec), "n_without_reset": n_no_reset, "(1−z)·n": take, "z·h_prev": keep}
    return values, dominant, [*lines, dominant]


def _rnn(q, ins, rec, bias, h_prev, _c_prev, clamped):
    b = float(bias.sum())
    i, r = float(ins[0]), float(rec[0])
    lines = [
        f"h_t = tanh(W_ih x + W_hh h_t−1 + b) = tanh({_n(i)} + {_n(r)} + {_n(b)})",
        f"    = tanh({_n(i + r + b)}) = {_n(q['h'])}{_mark('h', clamped)}",
    ]
    if abs(i) >= abs(r):
        dominant = f"the input dominated (|W_ih x| {abs(i):.3f} ≥ |W_hh h_t−1| {abs(r):.3f})"
    else:
        dominant = f"the recurrence dominated (|W_hh h_t−1| {abs(r):.3f} > |W_ih x| {abs(i):.3f})"
    values = {**q, "h_prev": h_prev, "input": i, "recurrent": r, "bias": b}
    return values, dominant, [*lines, dominant]


