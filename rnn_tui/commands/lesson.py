"""`rnn-tui lesson NAME|FILE [MODEL]`: open the viewer on one of the class's activities; `--list` lists them.

A lesson is a TOML file (rnn_tui/lessons/ holds the bundled ones; the README
says how to write one). It names the model it needs; MODEL overrides that (the
"train your own" lesson takes the model you trained). `--check FILE` reads a
lesson file and says whether it is good, without opening anything.
"""

from __future__ import annotations

import argparse

from ..core.errors import UserError
from ..core.safe import safe_text
from ._args import OneLineParser


def parser() -> argparse.ArgumentParser:
    from ._inputs import add_model_options
    from .view import add_viewer_options

    p = OneLineParser(prog="rnn-tui lesson",
                      description="Open the viewer on an in-class activity, step by step (--list lists them).")
    p.add_argument("lesson", nargs="?", default=None, help="a bundled lesson's name, or a lesson .toml file")
    p.add_argument("model", nargs="?", default=None, help="a model to use instead of the lesson's own")
    p.add_argument("--list", action="store_true", help="list the lessons, one a line, and exit")
    p.add_argument("--check", action="store_true", help="check the lesson file and exit (no viewer)")
    p.add_argument("--zoom", type=int, choices=(0, 1, 2), default=0,
                   help="start with the heatmaps zoomed: 1 = 2×1 cells, 2 = 4×2 (a projector)")
    add_model_options(p)
    add_viewer_options(p)
    return p


def main(argv: list[str]) -> int:
    from ..lessons import all_lessons, find
    from . import _config

    p = parser()
    settings = _config.load_config()
    settings.pop("model", None)  # the lesson says which model; a MODEL argument overrides it
    _config.apply(p, settings)
    args = p.parse_args(argv)
    if args.list:
        lessons = all_lessons()
        width = max(len(x.name) for x in lessons)
        for x in lessons:
            print(f"{x.name:<{width}}  {safe_text(x.summary, 160)}")
        return 0
    if args.lesson is None:
        raise UserError("which lesson? rnn-tui lesson --list lists them; rnn-tui lesson NAME opens one")
    lesson = find(args.lesson)
    if args.check:
        print(f"{safe_text(lesson.name, 40)}: {len(lesson.steps)} steps, model {safe_text(lesson.model or '(any)', 60)}"
              " — good")
        return 0
    from .view import launch

    args.lesson = str(lesson.source) if lesson.source else args.lesson
    return launch(args, zoom=args.zoom)
