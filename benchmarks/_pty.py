"""Run a program in a pseudo-terminal of a given size and watch what it writes."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time

from _common import SMOKE


class PtyProgram:
    def __init__(self, argv: list[str], cols: int = 120, rows: int = 40, env: dict | None = None,
                 cwd: str | os.PathLike | None = None):
        self.started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:
            if cwd is not None:  # `python -m` finds the package in the working directory first
                os.chdir(cwd)
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.execvpe(argv[0], argv, {**os.environ, "TERM": "xterm-256color", **(env or {})})
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.output = bytearray()
        self.chunks: list[tuple[float, bytes]] = []  # (when, what) of every read, for frame counts


    def read_for(self, seconds: float) -> int:
        """Read whatever arrives during `seconds` (at most 0.3 s in a smoke run); returns the byte count."""
        if SMOKE:
            seconds = min(seconds, 0.3)
        end = time.perf_counter() + seconds
        n = 0
        while (left := end - time.perf_counter()) > 0:
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                n += len(chunk)
                self.output += chunk
                self.chunks.append((time.perf_counter(), chunk))
        return n

    def wait_for(self, marker: bytes, timeout: float = 20.0) -> float:
        """Seconds from start until `marker` has been written."""
        end = time.perf_counter() + timeout
        while marker not in self.output:
            left = end - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"{marker!r} not seen in {timeout} s")
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    self.output += os.read(self.fd, 65536)
                except OSError:
                    raise TimeoutError("program exited") from None
        return time.perf_counter() - self.started

    def wait_for_complete_screen(self, marker: bytes, quiet: float = 0.3, timeout: float = 20.0) -> float:
        """Seconds from start until the last byte written before `quiet` seconds of silence, once `marker`
        has been written: the whole first screen, which can come in several bursts after the marker."""
        self.wait_for(marker, timeout)
        last = time.perf_counter()
        while True:
            r, _, _ = select.select([self.fd], [], [], quiet)
            if not r:
                return last - self.started
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return last - self.started
            self.output += chunk
            last = time.perf_counter()

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def close(self) -> None:
        """SIGTERM, then keep reading until the program has exited: it writes the bytes that restore the
        terminal as it goes, and a full pty would block it there for ever. SIGKILL after 5 s."""
        try:
            os.kill(self.pid, signal.SIGTERM)
            end = time.perf_counter() + 5
            while time.perf_counter() < end:
                if os.waitpid(self.pid, os.WNOHANG)[0]:
                    break
                self.read_for(0.05)
            else:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)
