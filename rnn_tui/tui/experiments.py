"""What the experiment keys do: each builds its screen or dialog from the viewer's state.

Kept out of app.py so that each key there is one binding and a one-line action:
memory span (M), side by side (v), sampling explained (d), clamp a unit (x),
release every clamp (X); the equation panel (e) is a panel of its own.
"""

from __future__ import annotations

import numpy as np
from textual import work

from ..analysis.clamp import describe, loss_both_ways, model_clamp, parse_pin
from ..analysis.memory_span import DEFAULT_MAX_LAG, bundled_per_cell
from ..analysis.side_by_side import MAX_MODELS, Entry, SideBySide
from ..core.safe import safe_text
from .engine.frames import FrameLoop
from .screens.dialogs import TextPrompt
from .screens.memory_span import CONTEXT, MemorySpanScreen, SpanRequest
from .screens.sampling import SamplingScreen
from .screens.side_by_side import SideBySideScreen

LN2 = 0.6931471805599453
SCORED = 5000  # characters the clamp's cost is measured on (two single-stream passes on a worker)


def memory_span(app: FrameLoop) -> None:
    s = app.session
    if s.cursor < 0:
        app.notify("nothing read yet: step first", severity="warning")
        return
    with s.lock:  # the exact state at the start of the block holding the window's first character
        block = max(0, s.cursor + 1 - DEFAULT_MAX_LAG) // s.interval
        state = s.snapshot(block)
    window = s.ids(block * s.interval, s.cursor + 1)
    model = s.model_for(s.clamp_id)
    text = s.text(max(0, s.cursor + 1 - CONTEXT), s.cursor + 1)
    corpus = app.checkpoint.provenance.get("corpus")
    app.push_screen(MemorySpanScreen(SpanRequest(app.model_name, model, app.vocab, window, state, text, corpus)))


def side_by_side(app: FrameLoop) -> None:
    """The viewer's model beside one bundled model of each other cell type, all fed the text so far."""
    s = app.session
    text = s.text(max(0, s.cursor + 1 - CONTEXT), s.cursor + 1)
    me = app.config.cell
    others = [c for cell, c in bundled_per_cell(text, app.checkpoint.provenance.get("corpus")).items()
              if cell != me and c.path != app.checkpoint.path]
    if not others:
        app.notify("no bundled model of another cell type knows every character of this text", severity="warning")
        return
    entries = [Entry(app.model_name, s.model_for(s.clamp_id), app.vocab)]
    entries += [Entry(safe_text(c.name), c.model(), c.vocab) for c in others[: MAX_MODELS - 1]]
    try:
        sbs = SideBySide(entries, s.sampler)
    except ValueError as e:
        app.notify(safe_text(str(e)), severity="warning", markup=False)
        return
    sbs.feed(text)
    app.push_screen(SideBySideScreen(sbs))


def sampling(app: FrameLoop) -> None:
    s = app.session

    def chosen(sampler) -> None:
        s.sampler = sampler
        app.touch()

    app.push_screen(SamplingScreen(s.logits, app.vocab, s.sampler, chosen))


def clamp(app: FrameLoop) -> None:
    """Ask which unit (or gate) to hold, and at what; each answer adds to the clamps already on."""
    s, v, c = app.session, app.view, app.config
    pins = list(s.clamp_tag or ())
    quantity = c.quantities[v.quantity]

    def done(raw: str | None) -> None:
        if not raw:
            return
        try:
            pin = parse_pin(raw, c, v.layer)
            new = [] if pin is None else [*pins, pin]
            s.set_clamp(model_clamp(c, new), describe(new), tuple(new))
        except ValueError as e:
            app.notify(safe_text(str(e)), severity="warning", markup=False)
            return
        app.touch()
        if new:
            score_clamp(app)
        else:
            app.notify("clamps released")

    hint = (f"[L<layer>] <quantity> <unit or all> [value]: '{quantity} {v.unit} 0' holds the selected unit at 0; "
            f"no value zeroes it; 'off' releases. Quantities: {', '.join(c.quantities)}; gates 0…1.")
    app.push_screen(TextPrompt("Clamp a unit", hint, f"L{v.layer + 1} {quantity} {v.unit} 0"), done)


def release(app: FrameLoop) -> None:
    app.session.set_clamp(None, "")
    app.touch()
    app.notify("clamps released")


@work(thread=True, exclusive=True, group="clamp-loss")
def score_clamp(app: FrameLoop) -> None:
    """What the clamp costs: the loss without and with it on the analysed text (the neuron finder's,
    when one was analysed) or else on the text so far (a worker)."""
    s = app.session
    analysis = getattr(app, "analysis", None)
    if analysis is not None and analysis.ckpt.vocab.chars == app.vocab.chars:
        ids, what = np.asarray(analysis.cap.ids[:SCORED]), f"the analysed text ({analysis.source})"
    else:
        ids, what = s.ids(max(0, s.cursor + 1 - SCORED), s.cursor + 1), "the text so far"
    if len(ids) < 2:
        return
    label, clamp_dict = s.clamp_label, s.model_for(s.clamp_id).clamp
    free, held = loss_both_ways(s.model, ids, clamp_dict)
    app.call_from_thread(app.notify, f"{label}: loss on {safe_text(what)} {free / LN2:.3f} → {held / LN2:.3f} "
                         "bits/char", timeout=6, markup=False)
