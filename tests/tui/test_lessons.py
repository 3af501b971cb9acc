"""Every bundled lesson walked end to end in the viewer: each step's check recognised, in order.

The keys are what a student presses (the lesson's own `press` keys among them);
after each, the lesson looks at the viewer as its timer would, and the test
checks it moved to the next step. Steps without a check are moved on with `}`.
"""

from __future__ import annotations

import pytest

from rnn_tui.core.checkpoint import load as load_path
from rnn_tui.core.checkpoint import resolve
from rnn_tui.lessons import all_lessons, bundled_lessons, find
from rnn_tui.tui.app import build_app
from rnn_tui.tui.screens.lesson.panel import LessonPanel
from tests.factories import write_snapshots

from .test_tui import sync


def load(name_or_path):
    return load_path(resolve(name_or_path))


def typed(text: str) -> list[str]:
    return [{" ": "space", "\\": "backslash"}.get(ch, ch) for ch in text]


def prime(text: str) -> list[str]:
    return ["p", *typed(text), "enter"]


FORWARD_10 = "right_square_bracket"

# per lesson: the keys for each step (a step without a check gets `}` after its keys)
WALKS: dict[str, list[list[str]]] = {
    "phone-numbers": [prime("(61"), prime("\\n(2"), [FORWARD_10] * 6],
    "weather": [prime("sss"), prime("ss"), [FORWARD_10] * 4],
    "next-word": [prime("I took a walk with my "), ["w", *typed("sister father refrigerator"), "enter", "escape"],
                  ["w", *typed("brother mother"), "enter", "escape"]],
    "karpathy-cells": [["a"], ["enter"], ["escape", "escape", "u", "u"], [FORWARD_10] * 20],
    "memory": [["M"], ["M"], ["v"]],
    "olah-lstm": [["e"], ["f", "enter"], ["x", *typed("L2 f 74 1"), "enter"], [FORWARD_10] * 40, ["X"]],
    "gru": [["e"], ["g", "g"], ["g", "g", "g"], [FORWARD_10] * 15],
    "train-your-own": [[], ["less_than_sign"], ["greater_than_sign"]],
}


def test_every_bundled_lesson_has_a_walk_and_loads():
    assert list(WALKS) == list(bundled_lessons())
    for lesson in all_lessons():
        assert 2 <= len(lesson.steps) <= 6 and lesson.summary


async def settle(pilot, app) -> None:
    """Let the keys' effects land (a dialog's answer arrives a message later), looking as the timer would."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        app.lesson_poll()


@pytest.mark.parametrize("name", list(WALKS))
@sync
async def test_each_lesson_walks_end_to_end_with_every_check_passing(name, make_checkpoint):
    lesson = find(name)
    model = lesson.model_path()
    if name == "train-your-own":  # a model of one's own, with the snapshots `rnn-tui train` keeps
        model = make_checkpoint("lstm", layers=1, hidden=16)
        write_snapshots(model)
    app = build_app(load(model), seed=0, glyphs=False, lesson=lesson, prime=lesson.prime or None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        run = app.lesson_run
        assert run is not None and run.lesson.name == name
        for k, keys in enumerate(WALKS[name]):
            if not keys and run.passed[k]:
                continue  # done before the student did anything (a model that already has snapshots)
            assert run.index == k, f"{name}: at step {run.index + 1}, expected {k + 1}"
            step = run.step
            for key in keys:
                await pilot.press(key)
                await settle(pilot, app)
            if step.checks:
                assert run.passed[k], f"{name} step {k + 1} not recognised: {step.checks}"
                assert run.said == (step.done or "Done.")
            elif k + 1 < run.count:
                await pilot.press("right_curly_bracket")
                await settle(pilot, app)
        assert all(p for p, s in zip(run.passed, lesson.steps, strict=True) if s.checks)
        assert app.screen.query(LessonPanel)


@sync
async def test_the_panel_names_the_step_and_its_key_and_escape_leaves_keeping_the_text():
    lesson = find("phone-numbers")
    app = build_app(load(lesson.model_path()), seed=0, glyphs=False, lesson=lesson)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        words = str(app.main.query_one(LessonPanel).render())
        assert "Phone numbers · step 1 of 3" in words and " p " in words and "(61" in words
        assert app.main.query_one("#predictions").has_class("-lesson-look")
        for key in prime("(61"):
            await pilot.press(key)
        await settle(pilot, app)
        words = str(app.main.query_one(LessonPanel).render())
        assert "step 2 of 3" in words and "7 comes first" in words
        await pilot.press("left_curly_bracket")
        await settle(pilot, app)
        assert app.lesson_run.index == 0
        text = app.session.text()
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.lesson_run is None and not app.main.query(LessonPanel)
        assert app.session.text() == text  # the state stays


async def choose_in_the_list(pilot, name: str) -> int:
    """Open the lesson list with its key and choose `name`; returns how many lessons it listed."""
    from textual.widgets import OptionList

    await pilot.press("i")
    await settle(pilot, pilot.app)
    options = pilot.app.screen.query_one(OptionList)
    options.highlighted = list(bundled_lessons()).index(name)
    await pilot.press("enter")
    await settle(pilot, pilot.app)
    return options.option_count


@sync
async def test_the_lesson_key_lists_every_lesson_and_one_on_this_model_starts_in_place():
    app = build_app(load(find("karpathy-cells").model_path()), seed=0, glyphs=False)
    async with app.run_test(size=(80, 24)) as pilot:
        assert await choose_in_the_list(pilot, "next-word") == len(bundled_lessons())
        assert app.lesson_run is not None and app.lesson_run.lesson.name == "next-word"
        assert app.relaunch is None


@sync
async def test_a_lesson_on_another_model_asks_the_command_to_reopen_the_viewer():
    app = build_app(load(find("karpathy-cells").model_path()), seed=0, glyphs=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose_in_the_list(pilot, "phone-numbers")  # another model
    assert app.relaunch is not None and app.relaunch.name == "phone-numbers"


@sync
async def test_the_score_dialog_ranks_words_like_the_command():
    from rnn_tui.analysis.score import score

    lesson = find("next-word")
    ckpt = load(lesson.model_path())
    app = build_app(ckpt, seed=0, glyphs=False)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in [*prime("I took a walk with my "), "w", *typed("refrigerator sister"), "enter"]:
            await pilot.press(key)
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ScoreScreen"
        assert app.scored == ("refrigerator", "sister")
        context = app.session.text()
        assert context.endswith("I took a walk with my ")
        expected = score(ckpt.model(), ckpt.vocab, context, ["refrigerator", "sister"])
        assert [s.candidate for s in app.last_scores] == ["sister", "refrigerator"]
        assert [s.bits for s in app.last_scores] == pytest.approx([s.bits for s in expected], rel=1e-4)


@pytest.mark.parametrize("size", [(64, 20), (40, 12), (200, 60)])
@sync
async def test_a_lesson_on_a_small_or_large_terminal_still_follows_the_student(size):
    lesson = find("phone-numbers")
    app = build_app(load(lesson.model_path()), seed=0, glyphs=False, lesson=lesson)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        for key in prime("(61"):
            await pilot.press(key)
        await settle(pilot, app)
        assert app.lesson_run.index == 1
