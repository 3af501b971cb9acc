"""Lesson files: the documented format, read as strictly as a checkpoint (a bad file is one line)."""

from __future__ import annotations

import os

import pytest

from rnn_tui.__main__ import main
from rnn_tui.core.checkpoint import load, resolve
from rnn_tui.lessons import all_lessons, bundled_lessons, find
from rnn_tui.lessons.checks import ViewerState, passes
from rnn_tui.lessons.run import LessonRun
from rnn_tui.lessons.unit_scores import UnitScores

GOOD = '''format = "rnn-tui-lesson"
version = 1
title = "Quotes"
summary = "Find a quote cell."
model = "python-lstm"
prime = "x = \\"a\\\\n"

[[step]]
say = "Press p and type a quote."
press = ["prime"]
look = "text"
ask = "Where does it close?"
done = "Typed."
check = { text_ends_with = "\\"" }

[[step]]
say = "Press space."
'''


def write(tmp_path, text: str, name: str = "my-lesson.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_lesson_written_by_an_instructor_loads_with_every_field(tmp_path):
    lesson = find(str(write(tmp_path, GOOD)))
    assert (lesson.name, lesson.title, lesson.model, lesson.prime) == ("my-lesson", "Quotes", "python-lstm", 'x = "a\n')
    first, second = lesson.steps
    assert first.press == ("prime",) and first.look == "text" and first.checks[0].kind == "text_ends_with"
    assert second.checks == () and second.press == ()


def test_list_prints_every_bundled_lesson_on_one_line(capsys):
    assert main(["lesson", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(bundled_lessons())
    assert len(lines) == 8 and all(len(line) < 200 for line in lines)


def test_check_says_a_good_file_is_good(tmp_path, capsys):
    assert main(["lesson", "--check", str(write(tmp_path, GOOD))]) == 0
    assert "2 steps" in capsys.readouterr().out


def test_every_bundled_lesson_opens_a_model_that_exists():
    for lesson in all_lessons():
        if lesson.model:
            assert resolve(lesson.model_path()).is_file(), lesson.name


BAD = [
    ("not toml [[", "not TOML"),
    (GOOD.replace('format = "rnn-tui-lesson"', 'format = "x"'), "not a lesson file"),
    (GOOD.replace("version = 1", "version = 9"), "lesson version 9"),
    (GOOD + "colour = 1\n", "unknown key 'colour'"),
    (GOOD.replace('look = "text"', 'look = "everywhere"'), "look must be one of"),
    (GOOD.replace('press = ["prime"]', 'press = ["rm -rf"]'), "press must be"),
    (GOOD.replace("text_ends_with", "runs_code"), "unknown check 'runs_code'"),
    (GOOD.replace('check = { text_ends_with = "\\"" }', 'check = { screen = "nowhere" }'), "check screen: one of"),
    (GOOD.replace('check = { text_ends_with = "\\"" }', 'check = { unit_tracks = { feature = "x", at_least = 2 } }'),
     "check unit_tracks"),
    (GOOD.replace('say = "Press space."', 'say = "' + "w" * 700 + '"'), "say is 700 characters"),
    (GOOD.split("[[step]]")[0], "no [[step]]"),
    (GOOD + '[[step]]\nsay = "x"\n' * 20, "at most 20"),
    (GOOD.replace('title = "Quotes"', 'title = 3'), "title must be a string"),
    (GOOD.replace('title = "Quotes"\n', ""), "title is missing"),
]


@pytest.mark.parametrize(("text", "says"), BAD, ids=[s for _, s in BAD])
def test_a_bad_lesson_file_is_one_line_naming_it(tmp_path, capsys, text, says):
    assert main(["lesson", "--check", str(write(tmp_path, text))]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "my-lesson.toml" in err and says in err


def test_files_that_are_not_lessons_at_all_are_one_line(tmp_path, capsys):
    big = write(tmp_path, "#" * (65 << 10), "big.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    for path, says in [(big, "64"), (binary, "not UTF-8"), (fifo, "FIFO"), (tmp_path / "no.toml", "no")]:
        assert main(["lesson", "--check", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err
    assert main(["lesson", "nonsense"]) == 2
    assert "the lessons: phone-numbers" in capsys.readouterr().err


def test_a_step_is_recognised_once_said_in_one_line_and_the_lesson_moves_on():
    run = LessonRun(find("phone-numbers"))
    assert not run.update(ViewerState(text="(6", chars=2))
    assert run.update(ViewerState(text="x(61", chars=4))
    assert run.index == 1 and run.passed[0] and run.said.startswith("7 comes first")
    assert run.move(-1) and run.index == 0 and run.said == ""
    assert not run.update(ViewerState(text="x(61", chars=4))  # a step done stays done


def test_a_step_without_a_check_is_never_done_by_itself():
    assert not passes((), ViewerState())


def test_unit_tracks_finds_the_bundled_line_and_speaker_cells():
    ckpt = load(resolve("shakespeare-lstm"))
    from rnn_tui.analysis.known_cells import passage

    scores = UnitScores(ckpt.model(), ckpt.vocab, passage(ckpt)[0], ["line-pos", "speaker"])
    assert scores.score("line-pos", 1, "c", 74) >= 0.7
    assert scores.score("speaker", 0, "c", 109) >= 0.9
    assert scores.score("line-pos", 0, "i", 0) < 0.5
    assert scores.score("quotes", 1, "c", 74) is None  # a feature the lesson did not ask for


def test_auc_with_ties_is_the_probability_an_on_value_beats_an_off_one():
    import numpy as np

    from rnn_tui.lessons.unit_scores import _auc_distance

    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (200, 5)).astype(np.float32)  # few values: many ties, as in a saturated gate
    on = rng.random(200) < 0.3
    a, b = x[on][:, None, :], x[~on][None, :, :]
    auc = ((a > b).sum(axis=(0, 1)) + 0.5 * (a == b).sum(axis=(0, 1))) / (on.sum() * (~on).sum())
    assert np.allclose(_auc_distance(x, on), np.maximum(auc, 1 - auc))


def binding_keys() -> dict[str, tuple[str, str]]:
    """Every binding id of the viewer and of the screens the lessons open, with its key."""
    from textual.binding import Binding

    from rnn_tui.tui.app import RnnApp
    from rnn_tui.tui.screens.finder import FinderScreen
    from rnn_tui.tui.screens.karpathy import KarpathyScreen
    from rnn_tui.tui.screens.memory_span import MemorySpanScreen

    keys = {}
    for cls in (RnnApp, FinderScreen, KarpathyScreen, MemorySpanScreen):
        for b in Binding.make_bindings(cls.BINDINGS):
            keys.setdefault(b.id, (b.key_display or b.key, b.description))
    return keys


def test_every_key_a_bundled_lesson_names_is_a_binding():
    keys = binding_keys()
    for lesson in all_lessons():
        for step in lesson.steps:
            assert set(step.press) <= set(keys), (lesson.name, step.press)


def test_every_bundled_step_fits_the_panel_at_80_columns_without_cutting_a_word():
    from rnn_tui.tui.screens.lesson.panel import render

    keys = binding_keys()
    for lesson in all_lessons():
        run = LessonRun(lesson)
        for k, step in enumerate(lesson.steps):
            run.index, run.said = k, lesson.steps[k - 1].done if k else ""
            shown = render(run, keys, "counts" if step.show else "", 78, 6).plain
            assert "…" not in shown, (lesson.name, k + 1)
            assert len(shown.splitlines()) <= 6


def test_a_bundled_step_without_a_check_is_on_the_main_view_or_the_last():
    """`}` moves a lesson on from the main view only (other screens keep their keys), so a step a student must
    move on from by hand may not leave them on another screen."""
    for lesson in all_lessons():
        for k, step in enumerate(lesson.steps[:-1]):
            if not step.checks:
                before = [c for s in lesson.steps[:k] for c in s.checks if c.kind in ("screen", "memory_mode")]
                assert not before or before[-1] == ("screen", "main"), (lesson.name, k + 1)


def test_control_characters_in_a_lesson_never_reach_the_terminal(tmp_path, capsys):
    from rnn_tui.tui.screens.lesson.panel import render

    text = GOOD.replace("Find a quote cell.", "Find \\u001b[2J a cell.").replace("Quotes", "Q\\u001b]52;c;x\\u0007")
    text = text.replace("Press space.", "Press \\u001b[31m space \\u202e now.")
    path = write(tmp_path, text)
    lesson = find(str(path))
    run = LessonRun(lesson)
    run.index = 1
    shown = render(run, {}, "", 78, 6).plain
    assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown and "␛" in shown
    assert main(["lesson", "--check", str(path)]) == 0
    assert "\x1b" not in capsys.readouterr().out


def test_a_lessons_own_model_file_is_found_beside_it(tmp_path, make_checkpoint):
    import shutil

    shutil.copy(make_checkpoint("gru", layers=1, hidden=16), tmp_path / "mine.safetensors")
    path = write(tmp_path, GOOD.replace('model = "python-lstm"', 'model = "mine.safetensors"'))
    assert find(str(path)).model_path() == str(tmp_path / "mine.safetensors")
