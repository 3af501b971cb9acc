"""Clamp and ablate: hold units at chosen values while the model runs, and say so plainly.

The core already pins values the moment a quantity is computed (`Model.clamp`,
{layer: {quantity: (units, values)}}); this module is what a person asks for
(`Pin`: "layer 2, h, unit 37, at 0", or a whole gate), checked against the
quantity's range, and turned into that dict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..core.cells import Cell, Config, Model


def value_range(cell: Cell, quantity: str) -> tuple[float, float] | None:
    """The values a quantity can take: gates 0…1, tanh quantities −1…1; None when unbounded
    (an LSTM's c is a running sum, not squashed)."""
    if quantity not in cell.quantities:
        raise ValueError(f"{cell.torch_name} has no quantity {quantity!r} (it has {', '.join(cell.quantities)})")
    return cell.bound(quantity)


@dataclass(frozen=True)
class Pin:
    """Hold `units` of one quantity of one layer (0-based) at `value`; units=None: the whole layer."""

    layer: int
    quantity: str
    value: float
    units: tuple[int, ...] | None = None

    def label(self) -> str:
        where = "all" if self.units is None else ",".join(map(str, self.units))
        return f"L{self.layer + 1} {self.quantity}[{where}]={self.value:g}"


def check_pin(config: Config, pin: Pin) -> None:
    """Refuse a pin the model cannot hold, with the reason in one line."""
    if not 0 <= pin.layer < config.layers:
        raise ValueError(f"layer {pin.layer + 1} does not exist (the model has {config.layers})")
    bounds = value_range(config.kind, pin.quantity)
    if not np.isfinite(pin.value):
        raise ValueError(f"a clamp value must be a finite number, got {pin.value}")
    if bounds is not None and not bounds[0] <= pin.value <= bounds[1]:
        raise ValueError(f"{pin.quantity} lies in {bounds[0]:g}…{bounds[1]:g}; {pin.value:g} is outside its range")
    if pin.units is not None:
        bad = [u for u in pin.units if not 0 <= u < config.hidden]
        if bad or not pin.units:
            raise ValueError(f"unit {bad[0] if bad else '(none)'} does not exist (layers have {config.hidden} units)")


def model_clamp(config: Config, pins: Iterable[Pin]) -> dict[int, dict[str, tuple[np.ndarray, np.ndarray]]] | None:
    """The `Model.clamp` dict for these pins (later pins win on the same unit); None for no pins."""
    merged: dict[tuple[int, str], dict[int, float]] = {}
    for pin in pins:
        check_pin(config, pin)
        units = range(config.hidden) if pin.units is None else pin.units
        merged.setdefault((pin.layer, pin.quantity), {}).update(dict.fromkeys(units, pin.value))
    if not merged:
        return None
    out: dict[int, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for (layer, quantity), held in merged.items():
        units = np.fromiter(held, dtype=np.int64)
        out.setdefault(layer, {})[quantity] = (units, np.array([held[u] for u in units], dtype=np.float32))
    return out


def describe(pins: Iterable[Pin]) -> str:
    """For the status line: "clamp L2 h[37]=0, L1 f[all]=1"; empty when nothing is held."""
    labels = [p.label() for p in pins]
    return "clamp " + ", ".join(labels) if labels else ""


CLEAR_WORDS = ("off", "clear", "none")


def parse_pin(text: str, config: Config, layer: int) -> Pin | None:
    """What a person types: "h 37 0.5", "L2 f all 1", "c 12" (no value: ablate, i.e. hold at 0),
    "off" (None: release every clamp). `layer` (0-based) is used when no "L<n>" is given."""
    words = text.replace("=", " ").split()
    if not words:
        raise ValueError("type a quantity and a unit, e.g. 'h 37 0' or 'L2 f all 1'; 'off' releases")
    if len(words) == 1 and words[0].lower() in CLEAR_WORDS:
        return None
    if words[0][:1] in ("L", "l") and words[0][1:].isdigit():
        layer = int(words[0][1:]) - 1
        words = words[1:]
    if len(words) not in (2, 3):
        raise ValueError("expected: [L<layer>] <quantity> <unit or 'all'> [value], e.g. 'h 37 0'")
    quantity, unit = words[0], words[1]
    try:
        units = None if unit.lower() == "all" else (int(unit),)
        value = float(words[2]) if len(words) == 3 else 0.0
    except ValueError:
        raise ValueError(f"the unit must be a number or 'all', and the value a number: {text!r}") from None
    pin = Pin(layer, quantity, value, units)
    check_pin(config, pin)
    return pin


def loss_both_ways(model: Model, ids, clamp: dict | None) -> tuple[float, float]:
    """Loss (nats/char, one stream from a zero state) on `ids` without any clamp and with `clamp`:
    what holding the units costs the model on that text."""
    return model.with_clamp(None).nll(ids, streams=1), model.with_clamp(clamp).nll(ids, streams=1)
