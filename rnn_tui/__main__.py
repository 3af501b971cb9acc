"""The `rnn-tui` command.

Each subcommand imports only what it needs: the viewer never imports torch
(1.7 s and 220 MB), and `--version` imports nothing heavy at all.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__

SUBCOMMANDS = ("view", "train", "eval", "info")


def viewer_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rnn-tui",
        description="Watch a character-level RNN write text, beside live heatmaps of its state and gates.",
        epilog="Other commands: 'rnn-tui train TEXT_FILE' trains a model, 'rnn-tui eval MODEL TEXT_FILE' scores one, "
        "'rnn-tui info MODEL' describes one. Each takes --help.",
    )
    p.add_argument("model", nargs="?", default=None,
                   help="a bundled model's name (see 'rnn-tui info') or a .safetensors/.pt file; "
                        "default: shakespeare-lstm")
    p.add_argument("--seed", type=int, default=0, help="random seed for sampling (default 0)")
    p.add_argument("--temperature", "-t", type=float, default=0.8,
                   help="sampling temperature, 0 = argmax (default 0.8)")
    p.add_argument("--prime", default=None, help="text fed to the model before it starts writing")
    p.add_argument("--fps", type=float, default=30.0, help="frames per second while playing (default 30)")
    # a string here, checked in launch: a bad value is then one line and exit 2, like --fps
    p.add_argument("--max-kbps", default="40", metavar="N",
                   help="while playing, write at most N KB/s to the terminal (KB = 1024 bytes); the heatmaps "
                        "repaint less often to keep to it. 0 = no limit, every frame painted, for a local "
                        "projector (default 40, fine over SSH)")
    p.add_argument("--version", action="version", version=f"rnn-tui {__version__}")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            command, rest = argv[0], argv[1:]
        else:
            command, rest = "view", argv
        return _dispatch(command, rest)
    except KeyboardInterrupt:
        print("rnn-tui: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # the one place where an error becomes a line and an exit status
        from .checkpoint import CheckpointError
        from .errors import UserError

        if isinstance(e, (CheckpointError, UserError)):
            print(f"rnn-tui: error: {e}", file=sys.stderr)
            return 2
        raise


def _dispatch(command: str, argv: list[str]) -> int:
    if command == "view":
        args = viewer_parser().parse_args(argv)
        from .tui.launch import launch

        return launch(args)
    if command == "train":
        from .train.cli import train_main

        return train_main(argv)
    if command == "eval":
        from .evaluate import eval_main

        return eval_main(argv)
    if command == "info":
        from .info import info_main

        return info_main(argv)
    raise AssertionError(command)


if __name__ == "__main__":
    sys.exit(main())
