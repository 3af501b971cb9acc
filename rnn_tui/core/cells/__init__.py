"""Recurrent cells in numpy, exposing every gate, and the model that stacks them.

One file per cell type, each written as its equations (base.py says what a cell
provides); `CELLS` (registry.py) maps their names to them; model.py holds the
model interface and the model.
"""

from __future__ import annotations

from .base import Cell, Clamp, sigmoid
from .model import Config, Model
from .registry import CELLS, register

__all__ = ["CELLS", "Cell", "Clamp", "Config", "Model", "register", "sigmoid"]
