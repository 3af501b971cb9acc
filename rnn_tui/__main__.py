"""The `rnn-tui` command: pin the BLAS threads, then dispatch to one command module.

Each command imports only what it needs: the viewer never imports torch
(1.7 s and 220 MB), and `--version` imports nothing heavy at all. This is the
one place where an error becomes a line and an exit status: a UserError is
exit 2, a closed output pipe (`rnn-tui info | head -2`) a quiet exit, and
anything unexpected one line and exit 1, with the traceback kept in a file.
"""

from __future__ import annotations

import gc
import os
import sys

# Before numpy loads: OpenBLAS's second thread spin-waits after every small product, which
# made playing cost 55-60 % of a core instead of 6-7 %, and batched scans 5-60x slower on
# two cores. setdefault, so that a user's own setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# numpy asks the kernel for huge pages for each large array; where the kernel then compacts memory to
# find them (transparent_hugepage/defrag = madvise, a common default), the finder's first capture (245 MB
# for 20,000 characters) stalled: that analysis took 2.64-2.94 s in a fresh process, 2.33-2.41 s without
# huge pages (3 processes each), and the finder's later analyses were no slower without them.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

from .commands import COMMANDS  # noqa: E402

PREFIX = "rnn-tui: error: "
VIEWERS = ("view", "lesson")  # the commands that open the viewer
BROKEN_PIPE = 141  # what a shell reports for a program ended by SIGPIPE, as `cat` would be


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for Tab completions (see commands/completion.py)
        from .commands.completion import complete

        complete()
    from .core.errors import UserError

    try:
        from functools import partial
        from importlib import import_module

        if not argv or argv[0] in VIEWERS or argv[0] not in COMMANDS:
            # The viewer's start allocates ~70,000 objects that live for good (numpy, Textual, the
            # model), and the collector ran ~160 times over them, 30-70 ms of the first frame: it is
            # off until the first screen is up (tui/engine/frames.py collects once then, and freezes)
            gc.disable()
        if argv and argv[0] in COMMANDS:
            run, rest = import_module(f".commands.{COMMANDS[argv[0]][0]}", __package__).main, argv[1:]
        else:  # no command: the viewer, whose --help is the program's own
            run, rest = partial(import_module(".commands.view", __package__).main, prog="rnn-tui"), argv
        status = _run(run, rest)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return status
    except KeyboardInterrupt:
        print("rnn-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`| head`): nothing more to say, and nothing left to flush into the pipe
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE
    except UserError as e:
        _say(PREFIX, str(e))
        return 2
    except Exception as e:  # a bug: one line for the user, the traceback in a file for the report
        where = _save_report(e)
        what = str(e) if hasattr(e, "report") else f"{type(e).__name__}: {e}"
        _say("rnn-tui: internal error: ", what + (f" (details in {where})" if where else ""))
        return 1
    finally:
        gc.enable()  # a viewer that never got to its first screen (an error, --help), or a caller's process


def _run(command, argv: list[str]) -> int:
    try:
        return command(argv)
    except SystemExit as e:  # argparse's --help, --version and usage errors, flushed like any output
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        raise


def _say(prefix: str, message: str) -> None:
    """One line on stderr, at most MAX_MESSAGE characters, with nothing from outside raw."""
    from .core.safe import MAX_MESSAGE, safe_text

    line = prefix + safe_text(message, MAX_MESSAGE - len(prefix))
    try:
        print(line, file=sys.stderr, flush=True)
    except (BrokenPipeError, ValueError):  # stderr closed too: the exit status is all that is left
        pass


def _save_report(error: BaseException) -> str | None:
    """A crash report in the user's private cache folder (see core.crash_report); its path, or None."""
    from .core import crash_report

    path = crash_report.save(getattr(error, "error", None) or error)
    return None if path is None else str(path)


if __name__ == "__main__":
    sys.exit(main())
