"""Recurrent cells in numpy, exposing every gate, and the model that stacks them.

One file per cell type, each written as its equations; `CELLS` (registry.py)
maps names to them.
"""

from __future__ import annotations

from .base import Cell, Clamp, sigmoid
from .model import Config, Model
from .registry import CELLS

__all__ = ["CELLS", "Cell", "Clamp", "Config", "Model", "sigmoid"]
