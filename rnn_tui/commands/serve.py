"""`rnn-tui serve [MODEL]`: the viewer in a web browser, for a projector or a machine without a good terminal.

textual-serve (the optional extra `serve`) runs a small web server; every browser tab that opens the
page starts its own `rnn-tui` process (so ten students on one lab machine are ten processes), which
draws into the page through a websocket. The page's terminal comes inside the package, so it works
with no internet; only a web-font link points outside, and the browser falls back to a local
monospace font without it. Bound to localhost unless --host says otherwise: anyone who can reach the
port can start processes on this machine.
"""

from __future__ import annotations

import argparse
import errno
import os
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
    p.add_argument("--seed", type=int, default=None, help="passed to the viewer")
    p.add_argument("--temperature", "-t", type=float, default=None, help="passed to the viewer")
    p.add_argument("--prime", default=None, help="passed to the viewer")
    p.add_argument("--max-kbps", default=None, metavar="N",
                   help="passed to the viewer (default 40; 0 paints every frame, for a browser on this machine)")
    p.add_argument("--theme", default=None, help="passed to the viewer")
    return p


def main(argv: list[str]) -> int:
    p = parser()
    _config.apply(p, _config.load_config())
    args = p.parse_args(argv)
    if args.vocab_from == "-":
        raise UserError("--vocab-from -: every tab would read standard input again; give the text's file")
    if not 0 < args.port < 65536:
        raise UserError(f"--port must be between 1 and 65535, got {args.port}")
    try:
        import textual_serve.server  # noqa: F401  (only to say, in one line, that it is missing)
    except ImportError:
        raise UserError("serving to a browser needs textual-serve: pip install 'rnn-tui[serve]'") from None
    # a missing or damaged model is one line here, not an error page in the browser
    open_model(args, model_name(args, args.model))
    check_port(args.host, args.port)
    server = tab_closing_server()(viewer_command(args), host=args.host, port=args.port, title="rnn-tui",
                                  public_url=args.public_url)
    try:
        server.serve()
    except OSError as e:  # taken between the check and the bind
        raise UserError(port_problem(args.host, args.port, e)) from None
    return 0


def tab_closing_server() -> type:
    """textual-serve's Server, closing the open tabs when it stops.

    Without this, Ctrl-C with a tab open took 23 s: aiohttp waits for the open websocket's handler,
    which waits for messages from a browser that is still there. Each tab's handler is cancelled
    instead, which (in textual-serve's own handler) closes the websocket and tells the tab's viewer
    to quit, and the server exits in about a second.
    """
    import asyncio

    from textual_serve.server import Server

    class TabClosingServer(Server):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.tabs: set[asyncio.Task] = set()

        async def handle_websocket(self, request):
            task = asyncio.current_task()
            self.tabs.add(task)
            try:
                return await super().handle_websocket(request)
            finally:
                self.tabs.discard(task)

        async def on_shutdown(self, app) -> None:
            tabs = list(self.tabs)
            for task in tabs:
                task.cancel()
            await asyncio.gather(*tabs, return_exceptions=True)

    return TabClosingServer


def viewer_command(args: argparse.Namespace) -> str:
    """The shell command each browser tab runs: this Python, this package, the viewer's options."""
    # exec: the viewer is the server's own child, so that it can tell when the server is gone
    words = [sys.executable, "-m", "rnn_tui", "view"]
    model = model_name(args, args.model)
    if model:
        words.append(model)
    for option in ("vocab", "vocab_from"):  # a bare state dict's characters, for every tab
        if getattr(args, option, None) is not None:
            words += [f"--{option.replace('_', '-')}", getattr(args, option)]
    for option in ("seed", "temperature", "prime", "max_kbps", "theme"):
        value = getattr(args, option)
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
