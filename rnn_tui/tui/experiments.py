"""What the experiment keys build from the viewer's state: memory span (M), side by side (v), sampling
explained (d), clamp a unit (x), release every clamp (X); the equation panel (e) is a panel of its own.

Each function is handed just the parts of the viewer it reads and returns the screen to push (or raises
ValueError with the line to show), so app.py keeps one binding and a short action per key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..analysis.analysed import Analysis
from ..analysis.clamp import describe, loss_both_ways, model_clamp, parse_pin
from ..analysis.known_cells import passage
from ..analysis.memory_span import DEFAULT_MAX_LAG, bundled_per_cell
from ..analysis.side_by_side import MAX_MODELS, Entry, SideBySide
from ..core.cells import Config
from ..core.checkpoint import Checkpoint, bundled_models
from ..core.safe import safe_text
from ..core.session import Session
from ..core.vocab import Vocab
from .engine.view_state import ViewState
from .screens.dialogs import TextPrompt
from .screens.memory_span import CONTEXT, MemorySpanScreen, SpanRequest
from .screens.sampling import SamplingScreen
from .screens.side_by_side import SideBySideScreen

LN2 = 0.6931471805599453
SIDE_CONTEXT = 2000  # characters every model side by side reads before the cursor
SCORED = 50_000  # at most this many characters of the text so far are scored (two single-stream passes)


def memory_span(s: Session, checkpoint: Checkpoint, name: str) -> MemorySpanScreen:
    """The memory-span screen on the text up to the cursor; before there are DEFAULT_MAX_LAG characters
    of it, on the model's held-out passage (a chart of one or two lags answers nothing)."""
    model = s.model_for(s.clamp_id)
    vocab = checkpoint.vocab
    corpus = checkpoint.provenance.get("corpus")
    bundled = Path(checkpoint.path).resolve() in {p.resolve() for p in bundled_models().values()}
    shipped = passage(checkpoint)
    if s.cursor + 1 < DEFAULT_MAX_LAG and shipped and not vocab.unknown(shipped[0]):
        text = shipped[0][:CONTEXT]
        ids = vocab.encode(text)
        start = max(0, len(ids) - DEFAULT_MAX_LAG)
        state = model.forward(ids[:start])[0] if start else model.initial_state()
        return MemorySpanScreen(SpanRequest(name, model, vocab, ids[start:], state, text, corpus, bundled=bundled,
                                            source="its held-out passage"))
    if s.cursor < 0:
        raise ValueError("nothing read yet: step first")
    with s.lock:  # the exact state at the start of the block holding the window's first character
        block = max(0, s.cursor + 1 - DEFAULT_MAX_LAG) // s.interval
        state = s.snapshot(block)
    window = s.ids(block * s.interval, s.cursor + 1)
    text = s.text(max(0, s.cursor + 1 - CONTEXT), s.cursor + 1)
    return MemorySpanScreen(SpanRequest(name, model, vocab, window, state, text, corpus, bundled=bundled))


def side_by_side(s: Session, checkpoint: Checkpoint, name: str) -> SideBySideScreen:
    """The viewer's model beside one bundled model of each other cell type, all fed the text so far."""
    text = s.text(max(0, s.cursor + 1 - SIDE_CONTEXT), s.cursor + 1)
    me = checkpoint.config.cell
    others = [c for cell, c in bundled_per_cell(text, checkpoint.provenance.get("corpus")).items()
              if cell != me and c.path != checkpoint.path]
    if not others:
        raise ValueError("no bundled model of another cell type knows every character of this text")
    entries = [Entry(name, s.model_for(s.clamp_id), checkpoint.vocab)]
    entries += [Entry(safe_text(c.name), c.model(), c.vocab) for c in others[: MAX_MODELS - 1]]
    sbs = SideBySide(entries, s.sampler)  # a ValueError says why these models cannot run together
    sbs.feed(text)
    return SideBySideScreen(sbs)


def sampling(s: Session, vocab: Vocab, chosen: Callable) -> SamplingScreen:
    return SamplingScreen(s.logits, vocab, s.sampler, chosen)


def clamp_prompt(s: Session, config: Config, view: ViewState) -> TextPrompt:
    """The question: which unit (or gate) to hold, and at what."""
    quantity = config.quantities[view.quantity]
    hint = (f"[L<layer>] <quantity> <unit or all> [value]: '{quantity} {view.unit} 0' holds the selected unit at 0; "
            f"no value zeroes it; 'off' releases. Quantities: {', '.join(config.quantities)}; gates 0…1.")
    return TextPrompt("Clamp a unit", hint, f"L{view.layer + 1} {quantity} {view.unit} 0")


def add_clamp(s: Session, config: Config, layer: int, raw: str) -> bool:
    """Add the answered clamp to those already on ('off' releases them all); True if any clamp is on now.
    A ValueError says what was wrong with the answer."""
    pin = parse_pin(raw, config, layer)
    pins = [] if pin is None else [*(s.clamp_tag or ()), pin]
    s.set_clamp(model_clamp(config, pins), describe(pins), tuple(pins))
    return bool(pins)


def clamp_cost(s: Session, vocab: Vocab, analysis: Analysis | None) -> str | None:
    """What the clamp costs: the loss without and with it on the whole analysed text (the neuron finder's,
    when one was analysed) or else on the text so far (its last SCORED characters); the note says how many
    characters were scored. Two passes of the model: run it on a worker."""
    if analysis is not None and analysis.ckpt.vocab.chars == vocab.chars:
        ids = np.asarray(analysis.cap.ids)
        what = f"the analysed text ({analysis.source}, all {len(ids):,} characters)"
    else:
        ids = s.ids(max(0, s.cursor + 1 - SCORED), s.cursor + 1)
        what = f"the text so far ({'its last ' if s.cursor + 1 > SCORED else 'all '}{len(ids):,} characters)"
    if len(ids) < 2:
        return None
    label, clamp_dict = s.clamp_label, s.model_for(s.clamp_id).clamp
    free, held = loss_both_ways(s.model, ids, clamp_dict)
    return f"{label}: loss on {safe_text(what)} {free / LN2:.3f} → {held / LN2:.3f} bits/char"
