"""Can this terminal show the viewer? Checked before the screen switches, each failure one line.

Textual reads keys from stdin and draws on stderr, in UTF-8, with xterm's
escape sequences. So:
- stdin must be a terminal (`rnn-tui </dev/null` could never be quit with q);
- if stderr is redirected (`rnn-tui 2>err.log`) but stdout is the terminal, the
  viewer draws on stdout instead, and an error at the end still goes to the file;
- a terminal that calls itself `dumb` or a VT100-family one cannot draw it;
- a locale that says the terminal is not UTF-8 (LANG=C) is refused with how to
  fix it: the heatmaps are half-block characters, which have no ASCII form that
  keeps two units a cell.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..core.errors import UserError
from ..core.safe import safe_text

# Python's own start-up sets LC_CTYPE to one of these when the locale is C (PEP 538), so
# LC_CTYPE holding one of them then says nothing about the user's terminal.
_COERCED = ("C.UTF-8", "C.utf8", "UTF-8")


def check(env: Mapping[str, str] | None = None) -> None:
    """Raise a UserError if the viewer cannot run on this terminal."""
    env = os.environ if env is None else env
    if not sys.stdin.isatty():
        raise UserError("the viewer reads keys from a terminal, but stdin is not one (redirected from a file or "
                        "/dev/null?); run rnn-tui in a terminal, or use 'rnn-tui info' and 'rnn-tui eval' in scripts")
    if not (sys.stderr.isatty() or sys.stdout.isatty()):
        raise UserError("the viewer draws on a terminal, but neither stdout nor stderr is one")
    term = env.get("TERM", "")
    if term in ("", "dumb", "unknown") or term.startswith("vt"):
        shown = f"TERM={safe_text(term, 30)}" if term else "TERM is not set: the terminal"
        raise UserError(f"{shown} cannot draw the viewer (it needs colour and cursor movement); "
                        "run it in a terminal emulator such as xterm, or set TERM=xterm-256color if yours is one")
    var, value = locale_setting(env)
    if value and "utf-8" not in value.lower() and "utf8" not in value.lower():
        raise UserError(f"the viewer draws with Unicode block characters, but {var}={safe_text(value, 30)} is not "
                        "a UTF-8 locale; run it as LC_ALL=C.UTF-8 rnn-tui (or with any UTF-8 locale)")


def locale_setting(env: Mapping[str, str]) -> tuple[str, str]:
    """The variable that decides the character set and its value, as the user set them ('' if none)."""
    for var in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = env.get(var, "")
        if var == "LC_CTYPE" and value in _COERCED and sys.flags.utf8_mode:
            continue  # set by Python itself over a C locale: the user's choice is in LANG
        if value:
            return var, value
    return "", ""


class AppCrashed(Exception):
    """The app stopped on an exception of its own (`error`, when Textual kept it)."""

    def __init__(self, what: str, error: BaseException | None = None):
        super().__init__(what)
        self.report = what
        self.error = error


def run_app(app: Any) -> int:
    """Run a Textual app; an exception inside it becomes AppCrashed (one line and exit 1), never exit 0.

    SIGTERM, SIGHUP or SIGQUIT end it as `q` would (the terminal restored), with the shell's status for
    that signal (128 + its number)."""
    from rich.console import Console

    # Textual prints a crash's traceback with local variables on this console when the screen closes:
    # not on the terminal, and not into the crash report (other users, a shared machine)
    app.error_console = Console(file=io.StringIO(), width=120, color_system=None, markup=False, highlight=False)
    with exit_on_signals(app) as received:
        app.run()
    if received:
        return 128 + received[0]
    if app.return_code:
        error = getattr(app, "_exception", None)
        if error is None:
            raise AppCrashed("the viewer stopped on an error")
        raise AppCrashed(f"{type(error).__name__}: {error}", error)
    return 0


@contextmanager
def drawing_on_terminal() -> Iterator[None]:
    """Textual draws on stderr: while the app is built and runs, point stderr at the terminal if only stdout is one.

    Built too, as the app decides at construction whether it has a terminal and its colours.
    """
    if sys.stderr.isatty() or not sys.stdout.isatty():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(1, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


# Signals that end a program by default, and that a terminal program meets: `kill`, a closed terminal or a
# dropped SSH connection, Ctrl-\. Python's default for them ends the process on the spot, which left the
# terminal in the alternate screen, reporting the mouse, focus and pastes, in the kitty keyboard protocol,
# with no cursor and no echo.
ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
# How long the app gets to leave on its own before the terminal is restored by hand.
GRACE_SECONDS = 3.0
# What Textual's Linux driver writes on the way out (the reverse of what it writes on the way in).
RESTORE = ("\x1b[<u"  # kitty keyboard protocol off (before leaving the alternate screen)
           "\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l"  # mouse reporting off
           "\x1b[?2004l"  # bracketed paste off
           "\x1b[?1004l"  # focus events off
           "\x1b[?7h"  # line wrap back on
           "\x1b[?1049l"  # the normal screen
           "\x1b[?25h")  # the cursor


@contextmanager
def exit_on_signals(app: Any) -> Iterator[list[int]]:
    """While the app runs, SIGTERM, SIGHUP and SIGQUIT ask it to exit through its own loop, so that its
    driver restores the terminal; if it has not left after GRACE_SECONDS (its loop busy), the terminal is
    restored here and the process ends. Yields the list of signals received. Not for a served viewer:
    its web driver handles SIGTERM itself, and its output is a pipe."""
    received: list[int] = []
    if "TEXTUAL_DRIVER" in os.environ or threading.current_thread() is not threading.main_thread():
        yield received
        return
    saved = _terminal_modes()

    def restore_by_hand(signum: int) -> None:
        time.sleep(GRACE_SECONDS)
        try:
            os.write(sys.__stderr__.fileno(), RESTORE.encode())
            if saved is not None:
                import termios

                termios.tcsetattr(sys.__stdin__.fileno(), termios.TCSANOW, saved)
        except Exception:  # the terminal is gone (SIGHUP: OSError, termios.error): nothing left to restore
            pass
        os._exit(128 + signum)

    def on_signal(signum: int, frame: object) -> None:
        if received:
            return  # already leaving
        received.append(signum)
        threading.Thread(target=restore_by_hand, args=(signum,), name="restore-terminal", daemon=True).start()
        loop = getattr(app, "_loop", None)
        if loop is not None:
            loop.call_soon_threadsafe(app.exit)

    before = {signum: signal.signal(signum, on_signal) for signum in ENDING_SIGNALS}
    try:
        yield received
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def _terminal_modes() -> list | None:
    """stdin's terminal settings (echo, line editing) as they are before the app changes them."""
    try:
        import termios

        return termios.tcgetattr(sys.__stdin__.fileno())
    except Exception:  # no terminal (termios.error), or no termios on this system
        return None
