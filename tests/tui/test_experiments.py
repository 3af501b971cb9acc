"""The experiment screens on their own: memory span, side by side, sampling explained."""

from __future__ import annotations

import builtins

import numpy as np
import pytest
from rich.console import Console
from rich.text import Text
from textual.app import App
from textual.widgets import Static

from rnn_tui.analysis.side_by_side import Entry, SideBySide
from rnn_tui.core.checkpoint import load
from rnn_tui.core.sampling import Sampler
from rnn_tui.tui.app import build_app
from rnn_tui.tui.panels.status import StatusPanel
from rnn_tui.tui.panels.text import CLAMPED, TextPanel
from rnn_tui.tui.panels.unit_equation import UnitEquationPanel
from rnn_tui.tui.screens.memory_span import RAMP, MemorySpanScreen, SpanRequest
from rnn_tui.tui.screens.sampling import SamplingScreen
from rnn_tui.tui.screens.side_by_side import LinesView, SideBySideScreen

from .test_tui import app_for, press, sync

TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 6


class Harness(App):
    def __init__(self, screen) -> None:
        super().__init__()
        self.first = screen

    def on_mount(self) -> None:
        self.push_screen(self.first)


def span_request(make_checkpoint, text: str = TEXT) -> SpanRequest:
    ckpt = load(make_checkpoint("lstm"))
    ids = ckpt.vocab.encode(text)
    model = ckpt.model()
    cut = max(0, len(ids) - 200)
    state, _, _ = model.forward(ids[:cut]) if cut else (model.initial_state(), None, None)
    cells = {c: load(make_checkpoint(c)) for c in ("rnn", "gru", "lstm")}
    return SpanRequest(ckpt.name, model, ckpt.vocab, ids[cut:], state, text, None, candidates=lambda *_: cells)


def lines_of(screen) -> list[str]:
    return [s.text for s in screen.query_one(LinesView).strips]


@sync
async def test_memory_span_screen_draws_the_curve_and_colours_the_history(make_checkpoint):
    screen = MemorySpanScreen(span_request(make_checkpoint))
    async with Harness(screen).run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        kl = screen.influence
        assert kl is not None and len(kl) == 200
        assert "mean over 3 random replacements per lag" in screen.note
        assert list(screen.request.curves) == ["lstm"]
        # the curve: a line of half blocks across the plot ending in the LSTM's letter, and its span in the
        # legend (the last lag whose replacement moves the distribution by 1e-3 nats or more)
        plot_lines = str(screen.query_one("#span-plot", Static).content).splitlines()
        marked = {col for line in plot_lines[:-3] for col, ch in enumerate(line) if ch in "▀▄█"}
        assert len(marked) >= 20 and any(line.rstrip().endswith("L") for line in plot_lines[:-3])
        above = np.nonzero(kl >= 1e-3)[0]
        span = int(above[-1]) + 1 if len(above) else 0
        assert plot_lines[-1].startswith("─L ") and plot_lines[-1].endswith(f"(span {span})")
        # the history: the characters before the cursor in reading order, each on a background that is
        # stronger the more its replacement moved the prediction
        chars, levels = history_row(screen.query_one("#span-text", Static).content)
        window = screen.request.window
        n = len(chars)
        assert n >= 40 and chars == "".join(screen.request.vocab.glyphs[i] for i in window[len(window) - n:])
        by_influence = np.asarray(levels)[np.argsort(kl[:n][::-1], kind="stable")]
        assert (np.diff(by_influence) >= 0).all() and by_influence[-1] > by_influence[0]


def history_row(text: Text) -> tuple[str, list[int]]:
    """The characters of the influence row and the level of each background (-1: none)."""
    segments = list(text.render(Console(width=500, color_system="truecolor")))
    chars, levels = "", []
    for seg in segments:
        if seg.text == "\n":
            break
        if seg.text.startswith("influence"):
            continue
        bg = seg.style.bgcolor if seg.style else None
        level = RAMP.index(bg.triplet.hex) if bg is not None else -1
        chars += seg.text
        levels += [level] * len(seg.text)
    return chars, levels


@sync
async def test_memory_span_compares_every_cell_type_as_medians_over_positions(make_checkpoint):
    screen = MemorySpanScreen(span_request(make_checkpoint))
    async with Harness(screen).run_test(size=(120, 40)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.press("v")
        await pilot.app.workers.wait_for_complete()
        assert list(screen.request.curves) == ["rnn", "gru", "lstm"]
        assert "median over" in screen.note and len(screen.request.curves["gru"].lags) < 30
        await pilot.press("M")  # back to this model at the cursor
        await pilot.app.workers.wait_for_complete()
        assert list(screen.request.curves) == ["lstm"]


@sync
async def test_on_a_bundled_model_memory_span_opens_on_the_cell_types(make_checkpoint):
    request = span_request(make_checkpoint)
    request.bundled = True
    screen = MemorySpanScreen(request)
    async with Harness(screen).run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert list(screen.request.curves) == ["rnn", "gru", "lstm"] and "median over" in screen.note
        note = str(screen.query_one("#span-note").render())
        assert "Span: the farthest k" in note  # what "span" means, on the screen
        title = str(screen.query_one("#span-title").render())
        assert "which cell type remembers longer" in title


@sync
async def test_a_median_over_a_text_shorter_than_the_window_says_so(make_checkpoint):
    screen = MemorySpanScreen(span_request(make_checkpoint, TEXT[:120]))
    async with Harness(screen).run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        assert "only 120 characters of history" in screen.note
        await pilot.press("v")
        await pilot.app.workers.wait_for_complete()
        assert "needs more than 200 characters of text; there are 120" in screen.note


@sync
async def test_memory_span_at_step_0_reads_the_models_held_out_passage():
    from rnn_tui.core.checkpoint import bundled_models

    app = build_app(bundled_models()["shakespeare-lstm"], seed=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "M")
        screen = app.screen
        assert isinstance(screen, MemorySpanScreen)
        assert screen.request.source == "its held-out passage" and len(screen.request.window) == 200
        assert screen.request.bundled and screen.mode == "compare"
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert set(screen.request.curves) >= {"rnn", "gru", "lstm"}


def test_curves_are_drawn_as_lines_in_half_blocks():
    from rnn_tui.tui.panels.curve_plot import Curve, plot

    lags = np.arange(1, 201)
    rows = plot([Curve("a", "A", lags, 1.0 / lags**2)], width=60, height=10)
    plotted = [line.plain[7:] for line in rows[:10]]
    columns = {x for line in plotted for x, ch in enumerate(line) if ch in "▀▄█"}
    assert columns == set(range(min(columns), max(columns) + 1))  # no gaps: a line, not scattered points
    assert plotted[-1].rstrip().endswith("A")  # ends in its letter


@sync
async def test_gradient_saliency_without_torch_says_how_to_get_it(make_checkpoint, monkeypatch):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch.") or name.endswith("saliency"):
            raise ImportError("no torch here")
        return real_import(name, *args, **kwargs)

    screen = MemorySpanScreen(span_request(make_checkpoint))
    async with Harness(screen).run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        monkeypatch.setattr(builtins, "__import__", no_torch)
        await pilot.press("G")
        await pilot.app.workers.wait_for_complete()
        monkeypatch.undo()
        assert "gradient saliency needs PyTorch" in screen.note and "whl/cpu" in screen.note


def lineup(make_checkpoint, cells=("rnn", "gru", "lstm"), chars=None) -> SideBySide:
    ckpts = [load(make_checkpoint(c) if chars is None or c != "gru" else make_checkpoint(c, chars=chars))
             for c in cells]
    sbs = SideBySide([Entry(c.name, c.model(), c.vocab) for c in ckpts], Sampler(seed=1))
    sbs.feed("First Citizen:\n")
    return sbs


@sync
async def test_side_by_side_steps_forces_and_rewinds_every_model_together(make_checkpoint):
    sbs = lineup(make_checkpoint)
    screen = SideBySideScreen(sbs)
    async with Harness(screen).run_test(size=(80, 24)) as pilot:
        await pilot.press("right", "right", "f", "Q", "left")
        assert len(sbs.text) == len("First Citizen:\n") + 2
        await pilot.press("f", "Q")
        assert sbs.text.endswith("Q") and all(len(sbs.surprisal(k)) == len(sbs.text) - 1 for k in range(3))
        lines = lines_of(screen)
        assert lines[1].startswith("text") and "Q" in lines[1]
        assert any(line.startswith("loss") for line in lines)


@sync
async def test_side_by_side_says_when_the_models_do_not_fit_or_share_a_vocabulary(make_checkpoint):
    chars = tuple("abcdefghijklmnopqrstuvwxyzFC :\n")
    sbs = lineup(make_checkpoint, chars=chars)
    screen = SideBySideScreen(sbs)
    async with Harness(screen).run_test(size=(60, 24)) as pilot:
        await pilot.pause()
        text = "\n".join(lines_of(screen))
        assert "aligned on the" in text
        assert "3 models need 61 columns side by side; this terminal has 60" in text
        await pilot.press("f", "!")
        assert "not every model knows '!'" in "\n".join(lines_of(screen))


@sync
async def test_sampling_screen_keys_change_the_sampler_the_viewer_uses(make_checkpoint):
    ckpt = load(make_checkpoint("lstm"))
    _, logits, _ = ckpt.model().forward(ckpt.vocab.encode("First Citizen:"))
    chosen: list[Sampler] = []
    screen = SamplingScreen(logits[-1], ckpt.vocab, Sampler(temperature=1.0), chosen.append)
    async with Harness(screen).run_test(size=(80, 24)) as pilot:
        await pilot.press("t", "m", "m")
        assert chosen[-1].temperature == pytest.approx(0.8) and chosen[-1].mode == "top-k"
        await pilot.press("right")
        assert chosen[-1].top_k == 6
        words = str(screen.query_one("#sampling-words").render())
        assert "top-k 6 keeps 6 of" in words and "sharpens" in words


# -- through the viewer's keys -------------------------------------------------------------


@sync
async def test_a_clamp_typed_in_the_viewer_holds_the_units_shows_in_the_status_and_survives_a_rewind(
        lstm_checkpoint):
    app = app_for(lstm_checkpoint, prime="The cat ")
    async with app.run_test(size=(100, 30)) as pilot:
        await press(pilot, "right", "right")
        free_p = app.session.probabilities()
        await press(pilot, "x")
        await pilot.press(*"L2 h all 0")
        await press(pilot, "enter")
        await app.workers.wait_for_complete()
        s = app.session
        assert s.clamp_label == "clamp L2 h[all]=0"
        assert "clamp L2 h[all]=0" in app.query_one(StatusPanel).text.plain
        await press(pilot, "right", "right", "right")
        assert np.all(s.acts[1, -1] == 0)  # the top layer's h is held at 0
        held_p, text = s.probabilities(), s.text()
        # with the top h at 0 the prediction is the head's bias alone, whatever came before
        assert not np.allclose(held_p, free_p)
        await press(pilot, "left", "left", "left", "left", "left")
        assert s.clamp_label == ""  # back before the clamp: the text ahead was written without it
        await press(pilot, "right", "right", "right", "right", "right")
        assert s.text() == text and np.array_equal(s.probabilities(), held_p)
        kinds = np.frombuffer(app.query_one(TextPanel).frame.kinds, dtype=np.uint8)
        clamped = (kinds & CLAMPED) > 0
        assert clamped.sum() == 3 and clamped[-3:].all()  # the characters written under the clamp
        await press(pilot, "X")
        assert s.clamp_label == "" and "clamp" not in app.query_one(StatusPanel).text.plain


@sync
async def test_a_clamp_outside_the_range_is_refused_in_one_line(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(100, 30)) as pilot:
        await press(pilot, "x")
        await pilot.press(*"f 3 1.5")
        await press(pilot, "enter")
        assert app.session.clamp_label == ""
        assert any("f lies in 0…1; 1.5 is outside its range" in str(n.message) for n in app._notifications)


@sync
async def test_the_equation_panel_follows_the_cursor_and_the_selected_unit(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(100, 40)) as pilot:
        await press(pilot, "right", "e")
        panel = app.query_one(UnitEquationPanel)
        first = panel.equation
        assert first is not None and first.unit == app.view.unit and first.layer == app.view.layer
        await press(pilot, "right")
        assert panel.equation.values["c_prev"] == pytest.approx(first.values["c"], abs=1e-5)
        await press(pilot, "shift+right")
        assert panel.equation.unit == app.view.unit != first.unit
        await press(pilot, "e")
        assert not panel.has_class("-on")


@sync
async def test_side_by_side_primes_every_model_with_the_same_text(make_checkpoint):
    sbs = lineup(make_checkpoint)
    async with Harness(SideBySideScreen(sbs)).run_test(size=(80, 24)) as pilot:
        await pilot.press("p", *"Fie!", "enter")
        await pilot.pause()
        assert sbs.text.endswith("Fie!") and all(len(sbs.surprisal(k)) == len(sbs.text) - 1 for k in range(3))


@sync
async def test_memory_span_with_a_chosen_replacement_leaves_no_value_where_it_was_already_there(make_checkpoint):
    screen = MemorySpanScreen(span_request(make_checkpoint))
    async with Harness(screen).run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.press("R", "e")
        await pilot.app.workers.wait_for_complete()
        r = screen.request
        was_e = np.array([r.vocab.chars[i] == "e" for i in r.window[::-1][:200]])
        assert "every lag replaced by 'e'" in screen.note
        assert np.isnan(screen.influence[was_e]).all() and np.isfinite(screen.influence[~was_e]).all()


@sync
async def test_gradient_saliency_where_torch_is_installed_adds_its_curve(make_checkpoint):
    pytest.importorskip("torch")
    screen = MemorySpanScreen(span_request(make_checkpoint))
    async with Harness(screen).run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.press("G")
        await pilot.app.workers.wait_for_complete()
        curve = screen.request.curves["saliency"]
        assert curve.values[0] == pytest.approx(1.0) and len(curve.lags) == 200
        assert "∇" in screen.note


@sync
async def test_a_clamp_reports_its_cost_on_the_analysed_text_when_there_is_one(lstm_checkpoint):
    from types import SimpleNamespace

    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(100, 30)) as pilot:
        await press(pilot, "right", "x", *"h 3 0", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("loss on the text so far" in str(n.message) for n in app._notifications)
        app.analysis = SimpleNamespace(ckpt=app.checkpoint, source="held-out passage",
                                       cap=SimpleNamespace(ids=app.vocab.encode("The cat sat on the mat.\n" * 5)))
        await press(pilot, "x", *"h 4 0", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        # the whole analysed text is scored, and the note says how much
        assert any("h[3]=0, L2 h[4]=0: loss on the analysed text (held-out passage, all 120 characters)" in m
                   for m in messages), messages


@pytest.mark.parametrize(("glyphs", "quantity"), [(False, "f"), (True, "f"), (True, "h")])
@sync
async def test_the_strip_draws_a_bar_at_every_step_of_a_unit_clamped_at_zero(lstm_checkpoint, glyphs, quantity):
    """A gate held at 0 drew blank cells on the selected unit's strip (and so did a signed unit at 0 without
    colour): the clamped steps' bars went missing, as if nothing had been computed there."""
    from rnn_tui.tui.panels.timeline import MARGIN, TimelinePanel

    app = app_for(lstm_checkpoint, glyphs=glyphs)
    async with app.run_test(size=(100, 30)) as pilot:
        app.show_unit(1, quantity, 3)
        await press(pilot, "x")
        await pilot.press(*f"L2 {quantity} 3 0")
        await press(pilot, "enter")
        await press(pilot, "right", "right", "right", "right")
        assert app.session.clamp_label == f"clamp L2 {quantity}[3]=0"
        timeline = app.query_one(TimelinePanel)
        row = "".join(seg.text for seg in timeline.render_line(1))
        bars = row[MARGIN: MARGIN + len(timeline.frame.series)]
        assert len(bars) >= 5 and " " not in bars
