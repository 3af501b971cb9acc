"""Opening a file a user named, when it may be anything: only regular files, only up to a size.

A FIFO blocks the reader forever, `/dev/zero` never ends, and a 2 GB sparse file
costs 2 GB of memory before anything can look at it. So the file's kind and size
are checked before a byte is read: by `stat` (so a device is never even opened,
as opening some has effects), then again on the open descriptor, so a file
swapped in between is caught too.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

_KINDS = (
    (stat.S_ISDIR, "is a directory"),
    (stat.S_ISFIFO, "is a FIFO (named pipe)"),
    (stat.S_ISCHR, "is a character device"),
    (stat.S_ISBLK, "is a block device"),
    (stat.S_ISSOCK, "is a socket"),
)


class FileProblem(Exception):
    """Why a file cannot be read, without its name (the caller's error names it)."""


def size_text(n: int) -> str:
    """A byte count as people read it: 1 GiB, 128 MiB, 300 bytes."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.3g} {unit}"
    return f"{n:,} bytes"


def open_regular(path: str | os.PathLike, max_bytes: int, what: str = "file") -> BinaryIO:
    """`path` opened for binary reading, if it is a regular file of at most `max_bytes` bytes."""
    try:
        _check(os.stat(path).st_mode, 0, max_bytes, what)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise FileProblem("no such file") from None
    except ValueError:  # an embedded NUL
        raise FileProblem("the name holds a NUL character") from None
    except OSError as e:
        raise FileProblem(f"cannot read: {e.strerror or type(e).__name__}") from None
    try:
        st = os.fstat(fd)
        _check(st.st_mode, st.st_size, max_bytes, what)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check(mode: int, size: int, max_bytes: int, what: str) -> None:
    for test, kind in _KINDS:
        if test(mode):
            raise FileProblem(f"{kind}, not a regular {what}")
    if not stat.S_ISREG(mode):
        raise FileProblem(f"not a regular {what}")
    if size > max_bytes:
        raise FileProblem(f"is {size_text(size)}, over the {size_text(max_bytes)} limit for a {what}")


def read_exactly(f: BinaryIO, n: int) -> bytes:
    """n bytes from `f`, or FileProblem if it ends first (a file cut short, or shrinking while read)."""
    data = f.read(n)
    if len(data) != n:
        raise FileProblem(f"truncated: ended {n - len(data):,} bytes early")
    return data


# a file name's limit in bytes on the common file systems (ext4, XFS, btrfs, APFS, tmpfs)
MAX_NAME_BYTES = 255
_MAX_TRIES = 1000


def safe_file_name(stem: str, suffix: str = "", limit: int = MAX_NAME_BYTES) -> str:
    """`stem + suffix` as a file name: control, format and bidi characters, slashes and NUL become `_`
    (a name is shown by `ls` and shells, raw), and the stem is clipped so the whole fits `limit` bytes."""
    import unicodedata

    def plain(ch: str) -> str:
        if ch in "/\\" or ord(ch) < 0x20 or ch == "\x7f":
            return "_"
        category = unicodedata.category(ch)
        return "_" if category[0] == "C" or category in ("Zl", "Zp") else ch

    clean = "".join(map(plain, stem)) or "_"
    room = limit - len(suffix.encode("utf-8"))
    while len(clean.encode("utf-8")) > room:
        clean = clean[:-1]
    return clean + suffix


def create_new(folder: str | os.PathLike, stem: str, suffix: str, data: bytes) -> str:
    """Write `data` to a new file in `folder`, named from `stem` and `suffix`; the path written.

    Created with O_CREAT | O_EXCL | O_NOFOLLOW: an existing file, or a symlink another user planted at
    the name in a shared folder, is never written through; the next free name (`stem-2`, `stem-3`, …)
    is taken instead. A folder that cannot be written, a full disk or a name too long: FileProblem.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for n in range(1, _MAX_TRIES + 1):
        tail = "" if n == 1 else f"-{n}"
        path = os.path.join(folder, safe_file_name(stem, tail + suffix))
        try:
            fd = os.open(path, flags, 0o644)
        except FileExistsError:
            continue
        except OSError as e:
            raise FileProblem(f"cannot create a file in {folder}: {e.strerror or type(e).__name__}") from None
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        except OSError as e:  # a full disk: no half-written file left behind
            os.unlink(path)
            raise FileProblem(f"cannot write {path}: {e.strerror or type(e).__name__}") from None
        return path
    raise FileProblem(f"{_MAX_TRIES} files named {safe_file_name(stem, suffix)} already exist in {folder}")
