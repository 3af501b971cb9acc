"""The files a run writes: checked before training, cleaned after a crash, saved without losing the last good one.

Every file goes through `core.atomic.atomic_write_bytes` (a temporary file
named `.NAME.XXXXXXXX.tmp` beside it, then a rename), so a kill or a full disk
leaves the previous file whole. A kill −9 can leave the temporary file itself
behind; the next run on the same output removes the ones of its own naming.
"""

from __future__ import annotations

import errno
import glob
import os
import tempfile
from pathlib import Path

from ..core.errors import UserError
from ..core.safe import safe_text


def check_writable(out: str | os.PathLike) -> None:
    """Create and remove a temporary file where `out` will go, so a read-only disk or `/proc/x`
    is found before training, not at the first save after minutes of it."""
    path = Path(out)
    shown = safe_text(str(path))[:120]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        raise UserError(f"--out {shown}: cannot write there: {safe_text(str(e.strerror or e))[:80]}") from None


def remove_stale_temps(*paths: str | os.PathLike) -> list[Path]:
    """Remove `.NAME.*.tmp` files left beside each path by a killed run (the atomic writer's naming)."""
    removed = []
    for p in map(Path, paths):
        for stale in glob.glob(os.path.join(glob.escape(str(p.parent)), f".{glob.escape(p.name)}.*.tmp")):
            try:
                os.unlink(stale)
                removed.append(Path(stale))
            except OSError:
                pass  # someone else's to clean; never a reason to stop a run
    return removed


def save_failed(path: str | os.PathLike, e: OSError, step: int, best_step: int) -> UserError:
    """The one line for a save that failed (a full disk, a vanished directory): what is still there."""
    reason = "the disk is full" if e.errno == errno.ENOSPC else safe_text(str(e.strerror or e))[:80]
    kept = f"the checkpoint of step {best_step} and the last resume file are kept" if best_step \
        else "nothing was saved"
    return UserError(f"cannot write {safe_text(Path(path).name)[:80]}: {reason}; training stopped at step {step}, "
                     f"{kept}")
