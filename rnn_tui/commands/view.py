"""`rnn-tui [MODEL]`: load and check everything, then open the screen.

Every problem a user can cause (a missing or damaged checkpoint, a prime with
characters the model does not know, a bad option) is raised here, before the
terminal switches to the app, so it prints as one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import difflib
import os
from pathlib import Path

from ..core.checkpoint import bundled_models
from ..core.errors import UserError
from ..core.safe import safe_text
from ..core.text import unescape
from . import _config, _terminal
from ._args import OneLineParser
from ._config import parse_kbps
from ._inputs import add_model_options, model_name, open_model
from ._loading import working


def parser(prog: str = "rnn-tui") -> argparse.ArgumentParser:
    """The viewer's options: `rnn-tui [MODEL]` lists the other commands too, `rnn-tui view --help` only these."""
    from .. import __version__
    from . import COMMANDS

    width = max(map(len, COMMANDS))
    others = "\n".join(f"  {name:<{width}}  {line}" for name, (_, line) in COMMANDS.items())
    top = prog == "rnn-tui"
    p = OneLineParser(
        prog=prog,
        description="Watch a character-level RNN write text, beside live heatmaps of its state and gates."
                    + ("" if top else " The default command: 'rnn-tui MODEL' is 'rnn-tui view MODEL'."),
        epilog=f"commands (each takes --help; 'rnn-tui help COMMAND' says the same):\n{others}" if top else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", nargs="?", default=None,
                   help="a bundled model's name (see 'rnn-tui info') or a .safetensors/.pt/.pth/.npz file; "
                        "default: shakespeare-lstm")
    p.add_argument("--lesson", default=None, metavar="NAME",
                   help="instructor mode: open with this lesson (see 'rnn-tui lesson --list') and the heatmaps "
                        "zoomed for a projector")
    add_model_options(p)
    add_viewer_options(p)
    p.add_argument("--version", "-V", action="version", version=f"rnn-tui {__version__}")
    return p


def add_viewer_options(p: argparse.ArgumentParser) -> None:
    """The options of the viewer itself, shared by `rnn-tui lesson`."""
    p.add_argument("--seed", type=int, default=0, help="random seed for sampling (default 0)")
    p.add_argument("--temperature", "-t", type=float, default=0.8,
                   help="sampling temperature, 0 = argmax (default 0.8)")
    p.add_argument("--prime", default=None, help="text fed to the model before it starts writing")
    p.add_argument("--fps", type=float, default=30.0,
                   help="frames per second while playing (default 30; never more than TEXTUAL_FPS)")
    p.add_argument("--theme", default=None, help="a Textual theme, e.g. textual-light (default: TEXTUAL_THEME "
                                                 "or textual-dark)")
    # a string here, checked below: a bad value is then one line and exit 2, like --fps
    p.add_argument("--max-kbps", default="40", metavar="N",
                   help="while playing, write at most N KB/s to the terminal (KB = 1024 bytes); the heatmaps "
                        "repaint less often to keep to it. 0 = no limit, every frame painted, for a local "
                        "projector (default 40, fine over SSH)")


def main(argv: list[str], prog: str = "rnn-tui view") -> int:
    if prog == "rnn-tui" and argv and not argv[0].startswith("-"):
        check_model_name(argv[0])  # `rnn-tui evl x.txt`: a mistyped command, before argparse calls x.txt extra
    p = parser(prog)
    _config.apply(p, _config.load_config())
    return launch(p.parse_args(argv))


def launch(args: argparse.Namespace, zoom: int | None = None) -> int:
    """Check everything, then run the viewer; a lesson chosen on another model reopens it on that one."""
    max_kbps = parse_kbps(args.max_kbps)  # before loading anything: the cheapest check first
    if not _config.MIN_FPS <= args.fps <= _config.MAX_FPS:
        raise UserError(f"--fps must be at least {_config.MIN_FPS:g} and at most {_config.MAX_FPS:g} frames a "
                        f"second, got {args.fps:g}")
    lesson = None
    if getattr(args, "lesson", None):
        from ..lessons import find

        lesson = find(args.lesson)
        zoom = 1 if zoom is None else zoom  # --lesson on the viewer is the instructor's: zoomed for a projector
    name = model_name(args, args.model) or (lesson.model_path() if lesson else None)
    check_model_name(name)
    ckpt = open_model(args, name)
    prime = unescape(args.prime) if args.prime else (lesson.prime if lesson else None) or None
    if prime:
        unknown = ckpt.vocab.unknown(prime)
        if unknown:
            what = "--prime" if args.prime else f"lesson {lesson.name}'s prime"
            raise UserError(f"{what} has characters {ckpt.name} does not know: {safe_text(''.join(unknown), 40)!r}")
    _config.check_color_system()
    fps = min(args.fps, _config.env_fps() or args.fps)  # Textual paints at most TEXTUAL_FPS frames a second
    _config.check_temperature(args.temperature)
    if "TEXTUAL_DRIVER" in os.environ:  # served (`rnn-tui serve`): pipes to a browser, not a terminal
        from .serve import exit_with_server

        exit_with_server()
    else:
        _terminal.check()  # stdin, stderr, TERM and locale: a line now rather than a broken screen
    from ..tui.app import build_app  # textual only once the arguments are known to be good

    with _terminal.drawing_on_terminal():  # around the build too: Textual looks for its terminal there
        while True:
            with working(f"preparing {safe_text(ckpt.name, 40)}: a first pass over a passage"):
                app = build_app(ckpt, seed=args.seed, temperature=args.temperature, prime=prime, fps=fps,
                                max_kbps=max_kbps, lesson=lesson, zoom=zoom or 0)
            theme = args.theme or os.environ.get("TEXTUAL_THEME")
            if theme:
                source = "--theme or the config file" if args.theme else "TEXTUAL_THEME"
                _config.check_theme(theme, app.available_themes, source)
                app.theme = theme
            status = _terminal.run_app(app)
            lesson = app.relaunch
            if lesson is None:
                return status
            from ..interop import load_model

            ckpt, prime = load_model(lesson.model_path()), lesson.prime or None  # the lesson's model, fresh


def check_model_name(name: str | None) -> None:
    """A name that is neither a file nor a bundled model gets the list of bundled names."""
    if name is None or Path(name).exists() or name in bundled_models():
        return
    from . import COMMANDS

    guess = difflib.get_close_matches(name, [*COMMANDS, *bundled_models()], n=1, cutoff=0.6)
    if guess:
        what = "command" if guess[0] in COMMANDS else "model"
        raise UserError(f"no command, model file or bundled model named {safe_text(name, 60)!r}; did you mean the "
                        f"{what} {guess[0]!r}? ('rnn-tui --help' lists the commands)")
    names = ", ".join(bundled_models()) or "none installed"
    raise UserError(f"no model file or bundled model named {safe_text(name, 60)!r}; bundled models: {names}")
