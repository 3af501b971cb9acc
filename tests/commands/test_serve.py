"""`rnn-tui serve`: the page on loopback, a websocket starts the viewer, a taken port is one line."""

from __future__ import annotations

import asyncio
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
    async with aiohttp.ClientSession(timeout=timeout) as client, client.ws_connect(url) as ws:
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
    server = subprocess.Popen([sys.executable, "-m", "rnn_tui", "serve", str(lstm_checkpoint), "--port", str(port),
                               "--seed", "4"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        page = fetch(f"http://localhost:{port}/", time.monotonic() + 60)
        assert f"ws://localhost:{port}/ws" in page
        # the page's terminal is served from the package itself: it works with no internet
        assert f"http://localhost:{port}/static/js/textual.js" in page
        with urllib.request.urlopen(f"http://localhost:{port}/static/js/textual.js", timeout=10) as r:
            assert r.status == 200 and len(r.read()) > 10_000
        # a browser tab: the websocket starts an app process, whose first frame carries the status line
        frames = asyncio.run(first_frames(f"http://localhost:{port}/ws?width=100&height=30",
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
    server = subprocess.Popen([sys.executable, "-m", "rnn_tui", "serve", str(checkpoint), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    viewers: list[int] = []
    try:
        fetch(f"http://localhost:{port}/", time.monotonic() + 60)

        async def tab():
            timeout = aiohttp.ClientTimeout(total=90)
            async with aiohttp.ClientSession(timeout=timeout) as client, \
                    client.ws_connect(f"http://localhost:{port}/ws?width=100&height=30") as ws:
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
    server = subprocess.Popen([sys.executable, "-m", "rnn_tui", "serve", str(lstm_checkpoint), "--port", str(port),
                               "--host", "127.0.0.1", "--public-url", "http://lab-machine-7:9999"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        page = fetch(f"http://127.0.0.1:{port}/", time.monotonic() + 60)
        assert "ws://lab-machine-7:9999/ws" in page and "http://lab-machine-7:9999/static/js/textual.js" in page
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
    assert words[0] == "exec"
    assert words[1:] == [sys.executable, "-m", "rnn_tui", "view", "my model.safetensors", "--temperature", "0.5",
                         "--prime", "ROMEO:\\n"]


def test_each_tab_gets_the_model_and_its_vocabulary_options():
    args = serve.parser().parse_args(["-m", "m.pt", "--vocab", "printable"])
    assert shlex.split(serve.viewer_command(args))[4:] == ["view", "m.pt", "--vocab", "printable"]


def test_stopping_the_server_cancels_each_open_tab():
    """Ctrl-C with a tab open took 23 s: aiohttp waited for the tab's handler, which waited for the browser."""

    async def run() -> None:
        server = serve.tab_closing_server()("true", port=free_port())
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
