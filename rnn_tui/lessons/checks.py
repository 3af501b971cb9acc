"""When a lesson's step is done: named conditions on the viewer's state, as a lesson file writes them.

`check = { text_ends_with = "(61", screen = "main" }` holds when every
condition holds. The viewer builds a `ViewerState` a few times a second (no
textual here: the conditions are plain functions of plain values, tested
without a screen). Each condition checks its value's type when the file is
loaded, so a bad one is a line at load time, never a surprise in class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SCREENS = ("main", "finder", "karpathy", "saturation", "memory-span", "side-by-side", "sampling", "score",
           "lessons", "help")
MEMORY_MODES = ("cursor", "compare", "median")


@dataclass(frozen=True)
class Check:
    kind: str
    value: Any


@dataclass
class ViewerState:
    """What a check can look at: plain values the viewer fills in."""

    text: str = ""  # the end of the text up to the cursor, read from the model's initial state
    chars: int = 0  # how many characters that text has in all
    screen: str = "main"
    layer: int = 0
    quantity: str = "h"
    unit: int = 0
    equation: bool = False
    clamped: frozenset[str] = frozenset()  # the quantities with a clamp on (e.g. {"f"})
    colour: bool = True
    zoom: int = 0
    scored: tuple[str, ...] = ()  # the candidates of the last score
    memory_mode: str | None = None  # the memory-span screen's mode, when it is open
    snapshot_before_end: bool = False  # the model shown is an earlier training snapshot
    has_snapshots: bool = False
    # (feature key) -> how well the selected unit tracks it on the model's passage: |r| or max(AUC, 1 - AUC)
    unit_score: Callable[[str], float | None] = field(default=lambda key: None)


@dataclass(frozen=True)
class Spec:
    """How a condition's value is checked at load time, and what it tests."""

    problem: Callable[[Any], str | None]
    holds: Callable[[ViewerState, Any], bool]
    describe: Callable[[Any], str]


def _string(limit: int = 200) -> Callable[[Any], str | None]:
    return lambda v: None if isinstance(v, str) and 0 < len(v) <= limit else f"a string of 1 to {limit} characters"


def _one_of(options: tuple[str, ...]) -> Callable[[Any], str | None]:
    return lambda v: None if v in options else f"one of {', '.join(options)}"


def _boolean(v: Any) -> str | None:
    return None if isinstance(v, bool) else "true or false"


def _count(v: Any) -> str | None:
    return None if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 1_000_000 else "a whole number"


def _words(v: Any) -> str | None:
    ok = isinstance(v, list) and 0 < len(v) <= 10 and all(isinstance(w, str) and 0 < len(w) <= 40 for w in v)
    return None if ok else "a list of 1 to 10 words"


def _tracks(v: Any) -> str | None:
    from ..analysis.features import BY_KEY

    if not isinstance(v, dict) or set(v) != {"feature", "at_least"}:
        return '{ feature = "line-pos", at_least = 0.7 }'
    if v["feature"] not in BY_KEY:
        return f"feature must be one of {', '.join(BY_KEY)}"
    if not isinstance(v["at_least"], (int, float)) or not 0 < v["at_least"] <= 1:
        return "at_least must be a number in (0, 1]"
    return None


def _unit_tracks(s: ViewerState, v: Any) -> bool:
    d = dict(v)
    score = s.unit_score(d["feature"])
    return score is not None and score >= d["at_least"]


CHECKS: dict[str, Spec] = {
    "text_ends_with": Spec(_string(), lambda s, v: s.text.endswith(v), lambda v: f"the text ends with {v!r}"),
    "text_contains": Spec(_string(), lambda s, v: v in s.text, lambda v: f"the text contains {v!r}"),
    "chars_at_least": Spec(_count, lambda s, v: s.chars >= v, lambda v: f"{v} characters read"),
    "screen": Spec(_one_of(SCREENS), lambda s, v: s.screen == v, lambda v: f"the {v} screen is open"),
    "quantity": Spec(_string(4), lambda s, v: s.quantity == v, lambda v: f"quantity {v} selected"),
    "layer": Spec(_count, lambda s, v: s.layer + 1 == v, lambda v: f"layer {v} selected"),
    "unit_tracks": Spec(_tracks, _unit_tracks,
                        lambda v: f"a unit that tracks {dict(v)['feature']} (≥ {dict(v)['at_least']}) selected"),
    "equation": Spec(_boolean, lambda s, v: s.equation == v, lambda v: f"equations {'on' if v else 'off'}"),
    "clamped": Spec(_string(4), lambda s, v: v in s.clamped, lambda v: f"a clamp on {v}"),
    "released": Spec(_boolean, lambda s, v: (not s.clamped) == v, lambda v: "every clamp released"),
    "colour": Spec(_boolean, lambda s, v: s.colour == v, lambda v: f"text colouring {'on' if v else 'off'}"),
    "zoom_at_least": Spec(_count, lambda s, v: s.zoom >= v, lambda v: f"zoom {v} or more"),
    "scored": Spec(_words, lambda s, v: set(v) <= set(s.scored), lambda v: f"{', '.join(v)} scored"),
    "memory_mode": Spec(_one_of(MEMORY_MODES), lambda s, v: s.screen == "memory-span" and s.memory_mode == v,
                        lambda v: f"memory span in {v} mode"),
    "earlier_snapshot": Spec(_boolean, lambda s, v: s.snapshot_before_end == v,
                             lambda v: "an earlier training snapshot shown"),
    "has_snapshots": Spec(_boolean, lambda s, v: s.has_snapshots == v, lambda v: "a model with training snapshots"),
}


def passes(checks: tuple[Check, ...], state: ViewerState) -> bool:
    """Every condition holds (a step without conditions is never done by itself: the student moves on)."""
    return bool(checks) and all(CHECKS[c.kind].holds(state, c.value) for c in checks)


def describe(checks: tuple[Check, ...]) -> str:
    return "; ".join(CHECKS[c.kind].describe(c.value) for c in checks)
