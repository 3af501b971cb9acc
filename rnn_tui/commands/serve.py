"""`rnn-tui serve [MODEL]`: the viewer in a web browser, for a projector or a machine without a good terminal.

textual-serve (the optional extra `serve`) runs a small web server; every browser tab that opens the
page starts its own `rnn-tui` process (so ten students on one lab machine are ten processes), which
draws into the page through a websocket. The page's terminal comes inside the package, so it works
with no internet; only a web-font link points outside, and the browser falls back to a local
monospace font without it. Bound to localhost unless --host says otherwise. Every tab can read the
user's files, so the server wants a secret token (random, or --token), and limits tabs and their size:
see _web_server.
"""

from __future__ import annotations

import argparse
import errno
import os
import secrets
import shlex
import signal
import socket
import sys
import threading
import time

from ..core.errors import UserError
from ..core.safe import safe_text
from . import _config
from ._args import OneLineParser
from ._inputs import add_model_options, model_name, open_model

DEFAULT_PORT = 8000
DEFAULT_MAX_TABS = 8
MAX_TABS = 64
# a token set by hand rather than drawn: read from here first, since a command line is visible in `ps`
TOKEN_VARIABLE = "RNN_TUI_SERVE_TOKEN"
MIN_TOKEN = 16
TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="rnn-tui serve", description="Serve the viewer to a web browser (needs textual-serve).")
    p.add_argument("model", nargs="?", default=None, help="a bundled model's name or a model file (default: "
                                                          "shakespeare-lstm)")
    add_model_options(p)
    p.add_argument("--host", default="localhost", help="address to listen on (default localhost: this machine only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    p.add_argument("--public-url", default=None, metavar="URL",
                   help="the address browsers reach the server at, when it is not http://HOST:PORT "
                        "(with --host 0.0.0.0: http://this-machine's-name:PORT)")
    p.add_argument("--token", default=None,
                   help=f"the secret the page's URL must carry (default: a random one, printed at start; "
                        f"or set {TOKEN_VARIABLE}, which `ps` does not show)")
    p.add_argument("--max-tabs", type=int, default=DEFAULT_MAX_TABS, metavar="N",
                   help=f"the most viewers running at once (default {DEFAULT_MAX_TABS})")
    p.add_argument("--seed", type=int, default=None, help="passed to the viewer")
    p.add_argument("--temperature", "-t", type=float, default=None, help="passed to the viewer")
    p.add_argument("--prime", default=None, help="passed to the viewer")
    p.add_argument("--max-kbps", default=None, metavar="N",
                   help="passed to the viewer (default 40; 0 paints every frame, for a browser on this machine)")
    p.add_argument("--theme", default=None, help="passed to the viewer")
    p.add_argument("--lesson", default=None, metavar="NAME",
                   help="instructor mode: every tab opens on this lesson, heatmaps zoomed (rnn-tui lesson --list)")
    return p


def main(argv: list[str]) -> int:
    p = parser()
    _config.apply(p, _config.load_config())
    args = p.parse_args(argv)
    if args.vocab_from == "-":
        raise UserError("--vocab-from -: every tab would read standard input again; give the text's file")
    if not 0 < args.port < 65536:
        raise UserError(f"--port must be between 1 and 65535, got {args.port}")
    if not 1 <= args.max_tabs <= MAX_TABS:
        raise UserError(f"--max-tabs must be between 1 and {MAX_TABS}, got {args.max_tabs}")
    token = choose_token(args.token)
    if args.max_kbps is not None:  # the viewer would refuse these in every tab: refuse them once, here
        _config.parse_kbps(str(args.max_kbps))
    if args.temperature is not None:
        _config.check_temperature(args.temperature)
    try:
        import textual_serve.server  # noqa: F401  (only to say, in one line, that it is missing)
    except ImportError:
        raise UserError("serving to a browser needs textual-serve: pip install 'rnn-tui[serve]'") from None
    if args.lesson:  # a bad lesson is one line here too
        from ..lessons import find

        lesson = find(args.lesson)
        args.lesson = str(lesson.source)
        if model_name(args, args.model) is None:
            args.model = lesson.model_path()
    # a missing or damaged model is one line here, not an error page in the browser
    open_model(args, model_name(args, args.model))
    check_port(args.host, args.port)
    from ._web_server import GuardedServer

    server = GuardedServer(viewer_command(args), token=token, max_tabs=args.max_tabs, host=args.host,
                           port=args.port, title="rnn-tui", public_url=args.public_url)
    try:
        server.serve()
    except OSError as e:  # taken between the check and the bind
        raise UserError(port_problem(args.host, args.port, e)) from None
    return 0


def choose_token(given: str | None) -> str:
    """--token, else the environment's, else 192 random bits; a token set by hand must be long and URL-safe."""
    token = given or os.environ.pop(TOKEN_VARIABLE, None)  # popped: the viewers need not inherit it
    if not token:
        return secrets.token_urlsafe(24)
    if len(token) < MIN_TOKEN or not set(token) <= TOKEN_CHARS:
        raise UserError(f"the token must be at least {MIN_TOKEN} characters, of letters, digits and - _ . ~ "
                        f"(or leave it out for a random one)")
    return token


# How each tab starts the viewer. Not `python -m rnn_tui`: that puts the current folder first on the import
# path, so a numpy.py (or an rnn_tui folder) that a classmate left in a shared folder would run in every tab
# as the student. The current folder goes, and the folder this package came from is searched last.
LAUNCH = ("import sys; del sys.path[0]; sys.path.append({root!r}); import runpy; "
          "runpy.run_module('rnn_tui', run_name='__main__', alter_sys=True)")


def viewer_command(args: argparse.Namespace) -> str:
    """The shell command each browser tab runs: this Python, this package, the viewer's options."""
    # exec: the viewer is the server's own child, so that it can tell when the server is gone
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    words = [sys.executable, "-c", LAUNCH.format(root=root), "view"]
    model = model_name(args, args.model)
    if model:
        words.append(model)
    for option in ("vocab", "vocab_from"):  # a bare state dict's characters, for every tab
        if getattr(args, option, None) is not None:
            words += [f"--{option.replace('_', '-')}", getattr(args, option)]
    for option in ("seed", "temperature", "prime", "max_kbps", "theme", "lesson"):
        value = getattr(args, option, None)
        if value is not None:
            words += [f"--{option.replace('_', '-')}", str(value)]
    return "exec " + shlex.join(words)


def check_port(host: str, port: int) -> None:
    """Fail now, in one line, if the address cannot be listened on (a port in use, a bad host)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise UserError(f"--host {safe_text(host)!r}: {safe_text(str(e.strerror))}") from None
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as s:
            # as the server will: without SO_REUSEADDR a port in TIME_WAIT would read as taken
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(address)
            except OSError as e:
                raise UserError(port_problem(host, port, e)) from None


def port_problem(host: str, port: int, e: OSError) -> str:
    if e.errno == errno.EADDRINUSE:
        return f"port {port} on {safe_text(host)} is in use; choose another with --port"
    if e.errno == errno.EACCES:
        return f"no permission to listen on port {port} (ports below 1024 need privileges); choose another"
    return f"cannot listen on {safe_text(host)}:{port}: {safe_text(e.strerror or str(e))}"


def exit_with_server(poll: float = 1.0) -> None:
    """In a served viewer: stop once the server is gone (killed, or its terminal closed: SIGHUP).

    textual-serve's driver does not notice that its input ended, so without this a viewer whose
    server died ran on unseen, on a shared machine, until someone killed it by hand.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        os.kill(os.getpid(), signal.SIGTERM)  # the web driver's own way out: the app exits cleanly
        time.sleep(5)
        os._exit(1)  # still here: nothing is left to save, and no one is watching

    threading.Thread(target=watch, name="exit-with-server", daemon=True).start()
