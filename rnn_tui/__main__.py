"""The `rnn-tui` command: pin the BLAS threads, then dispatch to one command module.

Each command imports only what it needs: the viewer never imports torch
(1.7 s and 220 MB), and `--version` imports nothing heavy at all.
"""

from __future__ import annotations

import os
import sys

# Before numpy loads: OpenBLAS's second thread spin-waits after every small product, which
# made playing cost 55-60 % of a core instead of 6-7 %, and batched scans 5-60x slower on
# two cores. setdefault, so that a user's own setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from .commands import COMMANDS  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for Tab completions (see commands/completion.py)
        from .commands.completion import complete

        complete()
    from .core.errors import UserError

    try:
        if argv and argv[0] in COMMANDS:
            command, rest = argv[0], argv[1:]
        else:
            command, rest = "view", argv
        from importlib import import_module

        module = import_module(f".commands.{COMMANDS[command][0]}", __package__)
        return module.main(rest)
    except BrokenPipeError:
        # the reader has had enough (`rnn-tui sample | head`): not an error. Point stdout at
        # /dev/null, so that Python's flush at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("rnn-tui: interrupted", file=sys.stderr)
        return 130
    except UserError as e:  # the one place where an error becomes a line and an exit status
        from .core.safe import safe_text

        print(f"rnn-tui: error: {safe_text(str(e))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
