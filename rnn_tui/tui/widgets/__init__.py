"""The viewer's panels (each a `Panel` shown a `Scene` every frame) and its dialogs."""

from .base import LinePanel, Panel
from .dialogs import Dialog, ForceChar, HelpScreen, TextPrompt
from .heatmap import HeatmapPanel
from .predictions import PredictionsPanel
from .status import StatusPanel
from .text import TextPanel
from .timeline import TimelinePanel

__all__ = ["Dialog", "ForceChar", "HeatmapPanel", "HelpScreen", "LinePanel", "Panel", "PredictionsPanel",
           "StatusPanel", "TextPanel", "TextPrompt", "TimelinePanel"]
