"""The viewer's one door to torch: gradient saliency, imported only when a student asks for it.

The viewer never imports torch on its own (1.7 s and 220 MB on the lab machines); this module is the only
place under tui/ that reaches into train/, so the layering test can name it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..core.errors import needs_torch

NEEDS_TORCH = needs_torch("gradient saliency")


def saliency_curve() -> Callable | None:
    """train.saliency.saliency_curve, or None when torch is not installed."""
    try:
        from ..train.saliency import saliency_curve as curve  # torch: only now, when asked
    except ImportError:
        return None
    return curve
