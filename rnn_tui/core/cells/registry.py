"""The cell types by name: checkpoints, the command line and the viewer look them up here.

A new cell type is one file in this folder, one line here, and its torch module in train/.
"""

from __future__ import annotations

from .base import Cell
from .gru import GRUCell
from .lstm import LSTMCell
from .rnn import RNNCell

CELLS: dict[str, Cell] = {cell.name: cell for cell in (RNNCell(), GRUCell(), LSTMCell())}
