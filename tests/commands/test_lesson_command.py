"""`rnn-tui lesson NAME [MODEL]` and `rnn-tui --lesson NAME`: the viewer opens on the lesson's model with it."""

from __future__ import annotations

import contextlib

import pytest

from rnn_tui.__main__ import main
from rnn_tui.commands import _terminal
from rnn_tui.lessons import find


@pytest.fixture
def ran(monkeypatch):
    """The apps the command built, instead of running them on a terminal."""
    apps = []

    def run_app(app):
        apps.append(app)
        if len(apps) == 1 and getattr(app, "_then", None):
            app.relaunch = find(app._then)
        return 0

    monkeypatch.setattr(_terminal, "run_app", run_app)
    monkeypatch.setattr(_terminal, "check", lambda: None)
    monkeypatch.setattr(_terminal, "drawing_on_terminal", contextlib.nullcontext)
    return apps


def test_lesson_opens_the_lesson_on_its_model_without_zoom(ran):
    assert main(["lesson", "weather"]) == 0
    (app,) = ran
    assert app.checkpoint.name == "seattle-weather" and app.first_lesson.name == "weather"
    assert app.prime == "APR " and app.view.zoom == 0


def test_a_model_given_wins_over_the_lessons(ran, make_checkpoint):
    path = make_checkpoint("lstm", layers=1, hidden=16)
    assert main(["lesson", "train-your-own", str(path)]) == 0
    assert main(["lesson", "train-your-own", "-m", str(path)]) == 0
    assert ran[0].checkpoint.path == path == ran[1].checkpoint.path


def test_the_viewers_lesson_option_is_the_instructors_zoomed(ran):
    assert main(["--lesson", "memory"]) == 0
    assert ran[0].first_lesson.name == "memory" and ran[0].view.zoom == 1


def test_a_lesson_chosen_on_another_model_reopens_the_viewer_on_it(ran, monkeypatch):
    from rnn_tui.tui import app as app_module

    real = app_module.build_app

    def build(*args, **kwargs):
        app = real(*args, **kwargs)
        app._then = "phone-numbers"
        return app

    monkeypatch.setattr(app_module, "build_app", build)
    assert main(["lesson", "next-word"]) == 0
    assert [a.checkpoint.name for a in ran] == ["shakespeare-lstm", "phone-numbers"]
    assert ran[1].first_lesson.name == "phone-numbers"


def test_a_lesson_whose_prime_the_model_cannot_read_is_one_line(tmp_path, capsys):
    path = tmp_path / "odd.toml"
    path.write_text('format = "rnn-tui-lesson"\nversion = 1\ntitle = "Odd"\nmodel = "phone-numbers"\n'
                    'prime = "xyz"\n[[step]]\nsay = "hi"\n')
    assert main(["lesson", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lesson odd's prime" in err
