"""`rnn-tui serve`: the page on loopback, a websocket starts the viewer, a taken port is one line; and no one
without the token, from another origin or through another address starts anything."""

from __future__ import annotations

import asyncio
import base64
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from rnn_tui.__main__ import main
from rnn_tui.commands import serve

aiohttp = pytest.importorskip("aiohttp")
pytest.importorskip("textual_serve")


TOKEN = "test-token-0123456789abcdef"


def start_server(checkpoint, port: int, *extra: str, token: str | None = TOKEN, **popen) -> subprocess.Popen:
    """`rnn-tui serve` in a process; `token` None lets it draw its own."""
    env = dict(os.environ)
    env.pop("RNN_TUI_SERVE_TOKEN", None)
    words = [sys.executable, "-m", "rnn_tui", "serve", str(checkpoint), "--port", str(port), *extra]
    if token is not None:
        words += ["--token", token]
    popen.setdefault("stdout", subprocess.DEVNULL)
    popen.setdefault("stderr", subprocess.DEVNULL)
    return subprocess.Popen(words, env=env, **popen)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, deadline: float) -> str:
    """GET the page, retrying while the server starts (bounded by the deadline)."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.read().decode("utf-8")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


async def first_frames(url: str, want: bytes, seconds: float) -> bytes:
    """What the app process draws for a new tab, until `want` shows up (or time runs out)."""
    return await asyncio.wait_for(_read_frames(url, want, seconds), seconds + 10)


async def _read_frames(url: str, want: bytes, seconds: float) -> bytes:
    got = b""
    timeout = aiohttp.ClientTimeout(total=seconds + 5)
    origin = "http://" + url.split("/")[2]
    async with aiohttp.ClientSession(timeout=timeout) as client, client.ws_connect(url, origin=origin) as ws:
        end = time.monotonic() + seconds
        while want not in got and time.monotonic() < end:
            try:
                msg = await ws.receive(timeout=max(0.1, end - time.monotonic()))
            except asyncio.TimeoutError:
                break
            if msg.type == aiohttp.WSMsgType.BINARY:
                got += msg.data
            elif msg.type != aiohttp.WSMsgType.TEXT:
                break
    return got


def test_serve_gives_the_page_and_each_tab_runs_a_viewer_while_open(lstm_checkpoint):
    port = free_port()
    server = start_server(lstm_checkpoint, port, "--seed", "4")
    try:
        page = fetch(f"http://localhost:{port}/?token={TOKEN}", time.monotonic() + 60)
        assert f"ws://localhost:{port}/ws/{TOKEN}" in page
        # the page's terminal is served from the package itself: it works with no internet
        assert f"http://localhost:{port}/static/js/textual.js" in page
        with urllib.request.urlopen(f"http://localhost:{port}/static/js/textual.js", timeout=10) as r:
            assert r.status == 200 and len(r.read()) > 10_000
        # a browser tab: the websocket starts an app process, whose first frame carries the status line
        frames = asyncio.run(first_frames(f"http://localhost:{port}/ws/{TOKEN}?width=100&height=30",
                                          lstm_checkpoint.stem.encode(), 60))
        assert lstm_checkpoint.stem.encode() in frames and b"seed 4" in frames
        # the tab closed: its viewer process stops (the server runs on)
        deadline = time.monotonic() + 30
        while children(server.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert children(server.pid) == [] and server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=30)


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def alive(pid: int) -> bool:
    out = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return bool(out) and not out.startswith("Z")


def with_a_tab_open(checkpoint, then):
    """Serve `checkpoint`, open a tab, wait for its viewer's first frame, then `await then(server, ws)`.
    Returns (the tab's viewer pids, what `then` returned); the server and viewers never outlive it."""
    port = free_port()
    server = start_server(checkpoint, port)
    viewers: list[int] = []
    try:
        fetch(f"http://localhost:{port}/?token={TOKEN}", time.monotonic() + 60)

        async def tab():
            timeout = aiohttp.ClientTimeout(total=90)
            async with aiohttp.ClientSession(timeout=timeout) as client, \
                    client.ws_connect(f"http://localhost:{port}/ws?width=100&height=30&token={TOKEN}",
                                      origin=f"http://localhost:{port}") as ws:
                got = b""
                while checkpoint.stem.encode() not in got:
                    got += (await ws.receive(timeout=60)).data or b""
                viewers.extend(children(server.pid))
                return await then(server, ws)

        return viewers, asyncio.run(asyncio.wait_for(tab(), 90))
    finally:
        server.kill()
        server.wait(timeout=30)
        for pid in viewers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_viewer_stops_when_its_server_is_killed(lstm_checkpoint):
    """Its terminal closed (SIGHUP) or the server killed: no viewer runs on unseen on a shared machine."""

    async def kill_server(server, ws) -> None:
        server.kill()
        server.wait(timeout=30)

    viewers, _ = with_a_tab_open(lstm_checkpoint, kill_server)
    assert len(viewers) == 1
    deadline = time.monotonic() + 30
    while alive(viewers[0]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(viewers[0])


def test_the_page_points_browsers_at_the_public_url(lstm_checkpoint):
    port = free_port()
    server = start_server(lstm_checkpoint, port, "--host", "127.0.0.1", "--public-url", "http://lab-machine-7:9999")
    try:
        page = fetch(f"http://127.0.0.1:{port}/?token={TOKEN}", time.monotonic() + 60)
        assert f"ws://lab-machine-7:9999/ws/{TOKEN}" in page
        assert "http://lab-machine-7:9999/static/js/textual.js" in page
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_on_a_port_in_use_is_one_line(lstm_checkpoint, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(lstm_checkpoint), "--host", "127.0.0.1", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is in use; choose another with --port" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv, message", [
    (["--port", "0"], "--port must be between 1 and 65535"),
    (["--port", "70000"], "--port must be between 1 and 65535"),
    (["nope.safetensors"], "no such file"),
])
def test_bad_serve_options_are_one_line(capsys, argv, message):
    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_serve_without_textual_serve_says_how_to_install_it(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)  # as if the extra were not installed
    assert main(["serve"]) == 2
    assert "pip install 'rnn-tui[serve]'" in capsys.readouterr().err


def test_each_tab_runs_this_python_with_the_viewers_options():
    args = serve.parser().parse_args(["my model.safetensors", "--prime", "ROMEO:\\n", "-t", "0.5"])
    words = shlex.split(serve.viewer_command(args))
    assert words[:3] == ["exec", sys.executable, "-c"]
    assert words[4:] == ["view", "my model.safetensors", "--temperature", "0.5", "--prime", "ROMEO:\\n"]


def test_a_tab_never_imports_a_module_planted_in_the_current_folder(tmp_path):
    """`python -m rnn_tui` put the current folder first on the import path: a classmate's numpy.py, or an rnn_tui
    folder, in a shared folder would have run in every tab as the student."""
    for name in ("numpy.py", "textual.py", "rnn_tui/__init__.py", "rnn_tui/__main__.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(f"open({str(tmp_path / 'ran')!r}, 'a').write({name!r})\n")
    words = shlex.split(serve.viewer_command(serve.parser().parse_args([])))
    done = subprocess.run([*words[1:4], "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("rnn-tui "), done.stderr
    assert not (tmp_path / "ran").exists()


def test_each_tab_gets_the_model_and_its_vocabulary_options():
    args = serve.parser().parse_args(["-m", "m.pt", "--vocab", "printable"])
    assert shlex.split(serve.viewer_command(args))[4:] == ["view", "m.pt", "--vocab", "printable"]


def test_stopping_the_server_cancels_each_open_tab():
    """Ctrl-C with a tab open took 23 s: aiohttp waited for the tab's handler, which waited for the browser."""

    async def run() -> None:
        from rnn_tui.commands._web_server import GuardedServer

        server = GuardedServer("true", token=TOKEN, max_tabs=8, port=free_port())
        tab = asyncio.create_task(asyncio.sleep(3600))
        server.tabs.add(tab)
        await server.on_shutdown(None)
        assert tab.cancelled()

    asyncio.run(run())


def test_ctrl_c_with_a_tab_open_closes_the_tab_and_its_viewer_and_exits_0(lstm_checkpoint):
    async def interrupt_server(server, ws):
        server.send_signal(signal.SIGINT)
        kinds = []
        while not ws.closed:
            kinds.append((await ws.receive(timeout=60)).type)
        # waited for on a thread: a blocked event loop never answers the server's close frame, and the
        # server then waits 10 s for it before it exits
        return kinds, await asyncio.to_thread(server.wait, 60)

    viewers, (kinds, status) = with_a_tab_open(lstm_checkpoint, interrupt_server)
    assert aiohttp.WSMsgType.CLOSE in kinds or aiohttp.WSMsgType.CLOSED in kinds
    assert status == 0
    assert len(viewers) == 1 and not alive(viewers[0])


# ---- who may start a viewer: raw handshakes, as a hostile page or another local user would send them ----

def raw_request(port: int, path: str, host: str | None = None, origin: str | None = None,
                websocket: bool = True) -> tuple[int, socket.socket]:
    """Send one request by hand; (the status code, the open connection)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    lines = [f"GET {path} HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}"]
    if websocket:
        lines += ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13",
                  "Sec-WebSocket-Key: " + base64.b64encode(os.urandom(16)).decode()]
    if origin:
        lines.append(f"Origin: {origin}")
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    return int(head.split()[1]), head, s


def wait_for_children(pid: int, want, seconds: float = 60) -> list[int]:
    deadline = time.monotonic() + seconds
    while not want(kids := children(pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return kids


@pytest.fixture(scope="module")
def guarded(make_checkpoint):
    """One server for the handshake tests (the token is TOKEN); its port, its process."""
    port = free_port()
    server = start_server(make_checkpoint("lstm"), port, "--host", "127.0.0.1", stderr=subprocess.PIPE)
    try:
        fetch(f"http://127.0.0.1:{port}/?token={TOKEN}", time.monotonic() + 60)
        yield port, server
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize("path, host, origin", [
    ("/ws?width=80&height=24&token=" + TOKEN, None, "http://evil.example"),  # a web page's script
    ("/ws/" + TOKEN + "?width=80&height=24", None, "http://evil.example"),
    ("/ws?width=80&height=24&token=" + TOKEN, None, None),  # no Origin: not the page
    ("/ws?width=80&height=24", None, "ORIGIN"),  # no token: another local user
    ("/ws?width=80&height=24&token=wrong-token-0123456789", None, "ORIGIN"),
    ("/ws/wrong-token-0123456789?width=80&height=24", None, "ORIGIN"),
    ("/ws?width=80&height=24&token=" + TOKEN[:-1], None, "ORIGIN"),
    ("/ws?width=80&height=24&token=" + TOKEN, "rebound.example:PORT", "http://rebound.example:PORT"),  # DNS rebinding
])
def test_a_websocket_without_the_token_from_another_origin_or_address_is_refused(guarded, path, host, origin):
    port, server = guarded
    origin = origin and origin.replace("ORIGIN", f"http://127.0.0.1:{port}").replace("PORT", str(port))
    status, _, s = raw_request(port, path, host and host.replace("PORT", str(port)), origin)
    s.close()
    assert status == 403
    time.sleep(0.5)  # a viewer, had one been started, would show up as a child by now
    assert children(server.pid) == []


@pytest.mark.parametrize("path", ["/", "/?token=nope-nope-nope-nope", "/download/x?token=" + TOKEN[:-2]])
def test_the_page_needs_the_token(guarded, path):
    port, _ = guarded
    status, _, s = raw_request(port, path, websocket=False)
    s.close()
    assert status == 403


def test_the_page_with_the_token_but_through_another_host_name_is_refused(guarded):
    port, _ = guarded
    status, _, s = raw_request(port, f"/?token={TOKEN}", host=f"rebound.example:{port}", websocket=False)
    s.close()
    assert status == 403


def test_the_right_token_and_origin_start_a_viewer_whose_huge_size_is_clamped(guarded):
    port, server = guarded
    status, _, s = raw_request(port, f"/ws?width=10000&height=10000&token={TOKEN}", origin=f"http://127.0.0.1:{port}")
    try:
        assert status == 101
        viewers = wait_for_children(server.pid, lambda kids: len(kids) == 1)
        assert len(viewers) == 1
        with open(f"/proc/{viewers[0]}/environ", "rb") as f:
            env = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
        assert (env[b"COLUMNS"], env[b"ROWS"]) == (b"400", b"200")
    finally:
        s.close()
    assert wait_for_children(server.pid, lambda kids: not kids) == []


def test_a_resize_to_a_huge_size_is_clamped():
    from rnn_tui.commands._web_server import ClampedAppService

    sent = []

    async def run() -> None:
        service = ClampedAppService("true", write_bytes=None, write_str=None, close=None, download_manager=None)

        async def send_meta(data):
            sent.append(data)

        service.send_meta = send_meta
        await service.set_terminal_size(10**9, "lots")
        await service.set_terminal_size(-5, 50)

    asyncio.run(run())
    assert [(m["width"], m["height"]) for m in sent] == [(400, 24), (1, 50)]


def test_the_ninth_tab_is_refused_with_a_page_and_no_process_is_left(lstm_checkpoint):
    port = free_port()
    server = start_server(lstm_checkpoint, port, "--host", "127.0.0.1")
    tabs: list[socket.socket] = []
    try:
        fetch(f"http://127.0.0.1:{port}/?token={TOKEN}", time.monotonic() + 60)
        path, origin = f"/ws/{TOKEN}?width=20&height=10", f"http://127.0.0.1:{port}"
        for _ in range(8):
            status, _, s = raw_request(port, path, origin=origin)
            tabs.append(s)
            assert status == 101
        status, body, s = raw_request(port, path, origin=origin)
        while b"in use" not in body and (chunk := s.recv(4096)):
            body += chunk
        s.close()
        assert status == 503 and b"all 8 viewers are in use" in body
        assert len(wait_for_children(server.pid, lambda kids: len(kids) == 8)) == 8
    finally:
        for s in tabs:
            s.close()
    try:
        assert wait_for_children(server.pid, lambda kids: not kids, 120) == []
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_printed_url_carries_a_random_token_and_the_log_says_why_a_request_was_refused(lstm_checkpoint):
    port = free_port()
    server = start_server(lstm_checkpoint, port, "--host", "127.0.0.1", token=None, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    try:
        line = server.stdout.readline()
        assert line.startswith(f"rnn-tui serve: open http://127.0.0.1:{port}/?token=")
        token = line.split("token=")[1].strip()
        assert len(base64.urlsafe_b64decode(token + "==")) >= 16  # at least 128 bits
        fetch(f"http://127.0.0.1:{port}/?token={token}", time.monotonic() + 60)
        status, _, s = raw_request(port, f"/ws/{token}?width=80&height=24", origin="http://evil.example")
        s.close()
        assert status == 403
    finally:
        server.terminate()
        out = server.communicate(timeout=30)[0]
    refusal = [x for x in out.splitlines() if "refused" in x]
    assert refusal and "another origin" in refusal[0] and token not in out.replace(line, "")


@pytest.mark.parametrize("argv, message", [
    (["--token", "short"], "the token must be at least 16 characters"),
    (["--token", "has spaces in it, quite long"], "the token must be at least 16 characters"),
    (["--max-tabs", "0"], "--max-tabs must be between 1 and 64"),
])
def test_bad_token_or_tab_limit_is_one_line(capsys, argv, message):
    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_the_hosts_and_origins_a_server_answers():
    import socket as sockets

    from rnn_tui.commands._web_server import allowed_hosts, allowed_origins

    local = allowed_hosts("localhost", 8000, "http://localhost:8000")
    assert {"localhost:8000", "127.0.0.1:8000", "[::1]:8000"} <= local
    assert "evil.example:8000" not in local and "localhost:8001" not in local
    lab = allowed_hosts("0.0.0.0", 8000, "http://Lab-7:9000")
    assert {"lab-7:9000", "127.0.0.1:8000", f"{sockets.gethostname().lower()}:8000"} <= lab
    assert "http://lab-7:9000" in allowed_origins(lab, "http://Lab-7:9000")
    assert "http://evil.example" not in allowed_origins(lab, "http://Lab-7:9000")
