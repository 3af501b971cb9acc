"""The web server behind `rnn-tui serve`: textual-serve's Server, with a secret, an address check and limits.

Every tab is a process that can open any file its user can read, and a lab machine is shared: other
users reach 127.0.0.1 too, and so does any web page the student visits (a page's script may open a
websocket to any address). So, as Jupyter does, the server has a secret token that the printed URL
carries; the page and every websocket need it. A websocket must also come from the served page's own
origin (another site's script sends its own Origin, which it cannot forge), and every request must name
the server's own address in Host (a rebound DNS name would send another one). On top of that: at most
`max_tabs` viewers at once, and no terminal larger than MAX_WIDTH x MAX_HEIGHT (a 10000 x 10000 tab
took one viewer to 2.5 GB).

textual-serve is imported here, so this module loads only when serving.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import socket
import sys
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from ..core.safe import safe_text

log = logging.getLogger("rnn-tui.serve")

MAX_WIDTH, MAX_HEIGHT = 400, 200
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
ANY_ADDRESS = ("0.0.0.0", "::", "")


def clamp(value: object, default: int, high: int) -> int:
    """A terminal dimension from a browser: a whole number from 1 to `high` (anything else: `default`)."""
    try:
        number = int(str(value))
    except ValueError:
        return default
    return max(1, min(high, number))


class ClampedAppService(AppService):
    """One tab's viewer process, never larger than MAX_WIDTH x MAX_HEIGHT, however the browser asks."""

    async def start(self, width: int, height: int) -> None:
        await super().start(clamp(width, 80, MAX_WIDTH), clamp(height, 24, MAX_HEIGHT))

    async def set_terminal_size(self, width: int, height: int) -> None:
        await super().set_terminal_size(clamp(width, 80, MAX_WIDTH), clamp(height, 24, MAX_HEIGHT))


def _netloc(host: str, port: int) -> str:
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass
    return f"{host}:{port}".lower()


def allowed_hosts(host: str, port: int, public_url: str) -> set[str]:
    """The Host headers this server answers: the address it was started for, and the public URL's."""
    names = {host}
    if host in LOOPBACK_NAMES:
        names.update(LOOPBACK_NAMES)
    elif host in ANY_ADDRESS:  # every interface: this machine's own names and loopback
        names.update(LOOPBACK_NAMES + (socket.gethostname(), socket.getfqdn()))
    hosts = {_netloc(name, port) for name in names if name}
    if port == 80:
        hosts.update(name.lower() for name in names if name and ":" not in name)
    public = urlsplit(public_url)
    if public.hostname:
        hosts.add(public.netloc.lower())
        if public.port is None:  # the browser leaves the default port out of Host
            hosts.add(public.hostname.lower())
    return hosts


def allowed_origins(hosts: set[str], public_url: str) -> set[str]:
    scheme = urlsplit(public_url).scheme or "http"
    return {f"{s}://{h}" for h in hosts for s in {"http", scheme}}


class GuardedServer(Server):
    """textual-serve's Server with a token, Host and Origin checks, a tab limit, and tabs closed on stop."""

    def __init__(self, command: str, *, token: str, max_tabs: int, **kwargs) -> None:
        super().__init__(command, **kwargs)
        self.token = token
        self.max_tabs = max_tabs
        self.hosts = allowed_hosts(self.host, self.port, self.public_url)
        self.origins = allowed_origins(self.hosts, self.public_url)
        self.tabs: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        """What to open in the browser: the page's address with the token."""
        return f"{self.public_url}/?token={self.token}"

    def initialize_logging(self) -> None:
        # plain lines on stderr, instead of textual-serve's tracebacks with local variables in them
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S",
                            stream=sys.stderr)
        # aiohttp's access log writes each request line, query string (the token) included
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    async def on_startup(self, app: web.Application) -> None:
        self.console.print(f"rnn-tui serve: open {safe_text(self.url)}", highlight=False, markup=False, soft_wrap=True)
        self.console.print(f"(at most {self.max_tabs} tabs at once; Ctrl-C stops the server)", highlight=False,
                           markup=False)

    async def _make_app(self) -> web.Application:
        import aiohttp_jinja2
        import jinja2

        app = web.Application(middlewares=[self._guard])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        # no download route: the viewer delivers no files, and the route would bypass the token
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/ws", self.handle_websocket),
            web.get("/ws/{token}", self.handle_websocket, name="websocket"),
            web.static("/static", self.statics_path, name="static"),
        ])
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def handle_index(self, request: web.Request):
        # the page's script adds "?width=…&height=…" to the websocket URL, so the token rides in its path
        router = request.app.router
        ws_path = router["websocket"].url_for(token=self.token)
        static = router["static"].url_for(filename="/")
        base = self.public_url
        ws_base = ("wss:" if base.startswith("https") else "ws:") + base.split(":", 1)[1]
        font_size = clamp(request.query.get("fontsize", "16"), 16, 64)
        context = {
            "font_size": font_size,
            "app_websocket_url": f"{ws_base}{ws_path}",
            "config": {"static": {"url": f"{base}{static}".rstrip("/") + "/"}},
            "application": {"name": self.title},
        }
        import aiohttp_jinja2

        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Referrer-Policy"] = "no-referrer"  # the page's URL carries the token
        response.headers["Cache-Control"] = "no-store"
        return response

    def refusal(self, request: web.Request) -> str | None:
        """Why this request is refused, or None to let it through."""
        host = (request.headers.get("Host") or "").lower()
        if host not in self.hosts:
            return f"Host {safe_text(host, 80)!r} is not this server's address"
        if request.path.startswith("/static/"):
            return None  # the page's script and styles: files of the package, no secret in them
        given = request.match_info.get("token") or request.query.get("token") or ""
        if not given:
            return "no token"
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode()):
            return "wrong token"
        if request.path.startswith("/ws"):
            origin = (request.headers.get("Origin") or "").lower()
            if origin not in self.origins:
                return f"websocket from another origin ({safe_text(origin, 80) or 'none given'})"
        return None

    def loggable(self, request: web.Request) -> str:
        """The request's path without a token: neither the right one nor a guess belongs in a log."""
        path = request.path
        if request.match_info.get("token"):
            path = path.rsplit("/", 1)[0] + "/…"
        return safe_text(path, 80)

    @web.middleware
    async def _guard(self, request: web.Request, handler):
        why = self.refusal(request)
        if why is not None:
            # the path without its query string: a wrong token is still nobody's business in a log
            log.warning("refused %s %s from %s: %s", request.method, self.loggable(request), request.remote, why)
            return web.Response(status=403, text=f"rnn-tui serve: refused: {why}. Open the URL that "
                                                 "`rnn-tui serve` printed, with its token.\n")
        return await handler(request)

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        if len(self.tabs) >= self.max_tabs:
            log.warning("refused a tab from %s: %d tabs are open, the most --max-tabs allows", request.remote,
                        len(self.tabs))
            return web.Response(status=503, text=f"rnn-tui serve: all {self.max_tabs} viewers are in use "
                                                 "(--max-tabs); close a tab, then reload this one.\n")
        task = asyncio.current_task()
        self.tabs.add(task)
        try:
            return await self._run_tab(request)
        finally:
            self.tabs.discard(task)

    async def _run_tab(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's own websocket handler, with the tab's size clamped."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = clamp(request.query.get("width", "80"), 80, MAX_WIDTH)
        height = clamp(request.query.get("height", "24"), 24, MAX_HEIGHT)
        app_service: AppService | None = None
        try:
            await websocket.prepare(request)
            app_service = ClampedAppService(self.command, write_bytes=websocket.send_bytes,
                                            write_str=websocket.send_str, close=websocket.close,
                                            download_manager=self.download_manager, debug=self.debug)
            await app_service.start(width, height)
            try:
                await self._process_messages(websocket, app_service)
            finally:  # first: a cancelled tab tells its viewer to quit before the websocket closes
                await app_service.stop()
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # a malformed message from the browser: this tab ends, the server runs on
            log.warning("a tab ended: %s", safe_text(f"{type(error).__name__}: {error}", 200))
        finally:
            if app_service is not None:
                await app_service.stop()
        return websocket

    async def on_shutdown(self, app) -> None:
        """Close the open tabs: without this, Ctrl-C with a tab open took 23 s (aiohttp waited for the
        tab's handler, which waited for messages from a browser that is still there)."""
        tabs = list(self.tabs)
        for task in tabs:
            task.cancel()
        await asyncio.gather(*tabs, return_exceptions=True)
