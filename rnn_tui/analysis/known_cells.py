"""Known cells: the most interpretable units of a model, found by the finder when the model was built.

They live inside the checkpoint's JSON document, so a model a user trains can
carry them too (`scripts/known_cells.py` writes them):

    "analysis": {
      "passage": {"text": "...", "source": "shakespeare.txt, held-out characters 0-20000"},
      "cells": [{"name": "position in line", "feature": "line-pos", "layer": 1, "quantity": "c",
                 "unit": 74, "metric": "r", "value": -0.86, "monotonic": 0.61}, ...]
    }

Layers count from 0 in the document and from 1 on screen. A document is read
defensively: an entry that does not fit the model is dropped, never trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.bounded_json import json_int
from ..core.checkpoint import Checkpoint
from ..core.safe import safe_text

if TYPE_CHECKING:  # the finder (capture, features, regexes) loads only where a ranking is made or read
    from .finder import Hit, Ranking

MAX_PASSAGE_BYTES = 64 * 1024  # the checkpoint's metadata must stay small
MAX_CELLS = 12
MIN_R, MIN_AUC = 0.5, 0.9  # what counts as interpretable


@dataclass(frozen=True)
class KnownCell:
    name: str
    feature: str  # a built-in feature's key
    layer: int
    quantity: str
    unit: int
    metric: str
    value: float
    monotonic: float | None = None

    def as_hit(self) -> Hit:
        """The finder's result this cell was stored from (its unit's flat index is not kept)."""
        from .finder import Hit

        return Hit(self.feature, -1, self.layer, self.quantity, self.unit, self.metric, self.value, self.monotonic)

    def label(self) -> str:
        return self.as_hit().label()

    def describe(self) -> str:
        return self.as_hit().describe()

    def to_json(self) -> dict[str, Any]:
        d = {"name": self.name, "feature": self.feature, "layer": self.layer, "quantity": self.quantity,
             "unit": self.unit, "metric": self.metric, "value": round(self.value, 4)}
        if self.monotonic is not None:
            d["monotonic"] = round(self.monotonic, 3)
        return d


def choose(rankings: list[Ranking], max_cells: int = MAX_CELLS) -> list[KnownCell]:
    """The best unit of each feature that passes the bar (|r| ≥ 0.5, AUC ≥ 0.9), each unit once, best first
    (the line-position cell leads, if found)."""
    picked: list[tuple[float, KnownCell]] = []
    used: set[int] = set()
    for rk in rankings:
        hit = next((h for h in rk.hits if h.index not in used), None)
        if hit is None or hit.score < (MIN_R if hit.metric == "r" else MIN_AUC):
            continue
        used.add(hit.index)
        picked.append((_merit(hit), _from_hit(rk.feature.key, hit)))
    # the line-position cell first, when there is one: the cell the article is remembered for
    picked.sort(key=lambda p: (p[1].feature != "line-pos", -p[0]))
    return [c for _, c in picked[:max_cells]]


def _merit(hit: Hit) -> float:
    # on one scale: an r of 0.8 is about as telling as an AUC of 0.98
    return (hit.score - MIN_R) / (1 - MIN_R) if hit.metric == "r" else (hit.score - MIN_AUC) / (1 - MIN_AUC)


def _from_hit(key: str, hit: Hit) -> KnownCell:
    return KnownCell(hit.feature, key, hit.layer, hit.quantity, hit.unit, hit.metric, hit.value, hit.monotonic)


def document(cells: list[KnownCell], passage: str | None, source: str) -> dict[str, Any]:
    """The checkpoint's "analysis" object."""
    doc: dict[str, Any] = {"cells": [c.to_json() for c in cells]}
    if passage:
        if len(passage.encode("utf-8")) > MAX_PASSAGE_BYTES:
            raise ValueError(f"the passage must fit in {MAX_PASSAGE_BYTES:,} bytes")
        doc["passage"] = {"text": passage, "source": source}
    return doc


def known_cells(ckpt) -> list[KnownCell]:
    """The checkpoint's known cells that fit its model (others are dropped)."""
    raw = ckpt.analysis.get("cells") if isinstance(ckpt.analysis, dict) else None
    if not isinstance(raw, list):
        return []
    c = ckpt.config
    out = []
    for e in raw[:MAX_CELLS]:
        if not isinstance(e, dict):
            continue
        layer, q, unit, value = e.get("layer"), e.get("quantity"), e.get("unit"), e.get("value")
        mono = e.get("monotonic")
        if not (json_int(layer, 0, c.layers - 1) and q in c.quantities and json_int(unit, 0, c.hidden - 1)
                and isinstance(value, (int, float)) and e.get("metric") in ("r", "AUC")):
            continue
        out.append(KnownCell(safe_text(str(e.get("name", "?")))[:60], safe_text(str(e.get("feature", "")))[:20],
                             layer, q, unit, e["metric"], float(value),
                             float(mono) if isinstance(mono, (int, float)) else None))
    return out


def passage(ckpt) -> tuple[str, str] | None:
    """(text, where it comes from) of the checkpoint's own held-out passage, if it ships one that fits."""
    p = ckpt.analysis.get("passage") if isinstance(ckpt.analysis, dict) else None
    if not isinstance(p, dict) or not isinstance(p.get("text"), str) or not p["text"]:
        return None
    text = p["text"]
    if len(text.encode("utf-8", "surrogatepass")) > MAX_PASSAGE_BYTES:
        return None
    return text, safe_text(str(p.get("source", "")))[:200]


def info_lines(ckpt) -> list[str]:
    """What `rnn-tui info NAME` prints about the known cells (nothing if there are none)."""
    cells = known_cells(ckpt)
    lines = []
    if cells:
        lines.append("  known cells (found by the finder on held-out text):")
        lines += [f"    {c.label():<12} {c.name:<30} {c.describe()}" for c in cells]
    p = passage(ckpt)
    if p:
        lines.append(f"  passage     {len(p[0]):,} characters ({p[1]})")
    return lines


def first_known(ckpt: Checkpoint) -> KnownCell | None:
    """The cell the viewer opens on (the line-position cell when the model has one), or None."""
    cells = known_cells(ckpt)
    return cells[0] if cells else None


def next_known(ckpt: Checkpoint, layer: int, quantity: str, unit: int) -> KnownCell | None:
    """The known cell after the one shown (the first one if the unit shown is not a known cell)."""
    cells = known_cells(ckpt)
    if not cells:
        return None
    now = [(c.layer, c.quantity, c.unit) for c in cells]
    k = now.index((layer, quantity, unit)) + 1 if (layer, quantity, unit) in now else 0
    return cells[k % len(cells)]


PASSAGE_CHARS = 16_000  # the held-out passage a checkpoint ships (well under MAX_PASSAGE_BYTES)
RANK_CHARS = 20_000  # held-out characters the cells are ranked on when a model is trained


def cut_lines(text: str, n: int) -> str:
    """About the first n characters of text, starting and ending at a line boundary."""
    start = text.find("\n") + 1 if not text.startswith("\n") else 0
    end = text.rfind("\n", start, start + n) + 1
    return text[start : end or start + n]


def find(model, vocab, held: str, corpus: str, rank_chars: int = RANK_CHARS,
         passage_chars: int = PASSAGE_CHARS) -> dict[str, Any]:
    """The analysis document of a model from held-out text: its best known cells, ranked on the first
    `rank_chars`, and a passage of it for the finder and `u` (what the bundled models carry)."""
    from .capture import capture
    from .features import BUILT_IN
    from .finder import rank

    passage = cut_lines(held, passage_chars)
    while len(passage.encode("utf-8")) > MAX_PASSAGE_BYTES:  # wide characters: keep within the bound
        passage = cut_lines(passage, len(passage) // 2)
    scored = cut_lines(held, rank_chars)
    cells = choose(rank(capture(model, vocab, scored), BUILT_IN, top=5)) if scored else []
    doc = document(cells, passage, f"{corpus}, first {len(passage):,} characters of the held-out part, "
                                   "from a line start")
    doc["ranked_on"] = f"the first {len(scored):,} held-out characters"
    return doc
