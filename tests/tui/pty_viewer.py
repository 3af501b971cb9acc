"""The viewer on a real pseudo-terminal, for the tests of what it writes to its terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


def read_until(fd: int, want: bytes, seconds: float) -> bytes:
    """What the terminal receives until `want` shows up, the viewer closes it, or `seconds` pass."""
    got = b""
    deadline = time.monotonic() + seconds
    while want not in got and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
    return got


def drain(fd: int, seconds: float) -> bytes:
    """Everything the terminal receives for `seconds`."""
    return read_until(fd, b"\x00never", seconds)


@contextmanager
def viewer_on_pty(args: list[str], **env: str) -> Iterator[tuple[subprocess.Popen, int, int]]:
    """`python ARGS` (the viewer) with a pty as its terminal: (process, master, slave); both ends closed
    and the process gone afterwards."""
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    full = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8", XDG_CONFIG_HOME=os.devnull,
                **env)  # XDG_CONFIG_HOME: no user config
    full.pop("TEXTUAL_DRIVER", None)
    viewer = subprocess.Popen([sys.executable, *args], stdin=slave, stdout=slave, stderr=slave, env=full,
                              start_new_session=True)
    try:
        yield viewer, master, slave
    finally:
        if viewer.poll() is None:
            viewer.kill()
            viewer.wait()
        os.close(master)
        os.close(slave)
