"""The main view's panels: each a `Panel` (or `LinePanel`) shown a `Scene` every frame."""

from .base import LinePanel, Panel
from .heatmap import HeatmapPanel
from .predictions import PredictionsPanel
from .status import StatusPanel
from .text import TextPanel
from .timeline import TimelinePanel

__all__ = ["HeatmapPanel", "LinePanel", "Panel", "PredictionsPanel",
           "StatusPanel", "TextPanel", "TimelinePanel"]
