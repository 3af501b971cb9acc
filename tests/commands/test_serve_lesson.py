"""`rnn-tui serve --lesson NAME`: every browser tab opens the viewer on the lesson's model, the lesson open."""

from __future__ import annotations

import asyncio
import shlex
import subprocess
import sys
import time

import pytest

from rnn_tui.__main__ import main
from rnn_tui.commands import serve

from .test_serve import TOKEN, fetch, first_frames, free_port

pytest.importorskip("aiohttp")
pytest.importorskip("textual_serve")


def test_a_lesson_goes_to_each_tab_with_its_model():
    args = serve.parser().parse_args(["--lesson", "weather"])
    assert main(["serve", "--lesson", "nope", "--port", "1"]) == 2
    words = shlex.split(serve.viewer_command(args))
    assert words[-2:] == ["--lesson", "weather"]


@pytest.mark.parametrize("name", ["weather", "memory"])
def test_a_served_tab_opens_on_the_lesson(name):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "rnn_tui", "serve", "--lesson", name, "--port", str(port),
                               "--token", TOKEN], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        fetch(f"http://localhost:{port}/?token={TOKEN}", time.monotonic() + 60)
        frames = asyncio.run(first_frames(f"http://localhost:{port}/ws/{TOKEN}?width=80&height=24", b"step 1 of", 60))
        assert b"step 1 of" in frames
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_bad_lesson_for_serve_is_one_line(capsys):
    assert main(["serve", "--lesson", "no-such-lesson"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no lesson named" in err
