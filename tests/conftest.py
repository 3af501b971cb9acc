"""Shared fixtures: small random-weight checkpoints, written once per test session.

Random weights ~N(0, 0.3), seeded, so every run and every machine sees the same
model; 2 layers × 64 hidden keeps the app tests fast.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# As the entry point does, before numpy loads: OpenBLAS's spinning second thread made small-matrix
# tests 4-8x slower on the 2-core machine.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

# The suite never touches the user's own config and cache folders: a config.toml there would change
# what the tests see, and the viewer keeps unit statistics and crash reports in the cache. One private
# folder per test process (the subprocesses the tests start inherit it).
_HOME = tempfile.mkdtemp(prefix="rnn-tui-tests-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")
os.environ["XDG_CACHE_HOME"] = os.path.join(_HOME, "cache")

import hashlib  # noqa: E402
import string  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import textual._wait  # noqa: E402

# Textual's Pilot, after every key it presses, sleeps in slices of 20 ms until one passes with the process
# using under 5 % of it (textual._wait.wait_for_idle): at least 40 ms a key. The suite presses thousands
# of keys, and those slices were most of the TUI tests' idle time. The same rule over 5 ms slices: a key's own
# work (messages, refreshes, workers) still keeps the process busy, so it still waits for it. Textual's
# version is pinned for the tests; if it renames these, this fails rather than quietly slowing down.
assert textual._wait.SLEEP_GRANULARITY == 1 / 50 and textual._wait.SLEEP_IDLE == 1 / 50 / 20, \
    "Textual's idle wait changed: review the 5 ms slices set here"
textual._wait.SLEEP_GRANULARITY = 1 / 200
textual._wait.SLEEP_IDLE = 1 / 200 / 20

from rnn_tui.core.cells import Config  # noqa: E402
from rnn_tui.core.checkpoint import save  # noqa: E402
from rnn_tui.core.vocab import Vocab  # noqa: E402

from .factories import normal_tensors  # noqa: E402

# printable ASCII (no \r, \x0b, \x0c) and the newline
ASCII_CHARS: tuple[str, ...] = tuple(sorted(set(string.printable) - set("\r\x0b\x0c\t")))


def write_random_checkpoint(path: Path, cell: str = "lstm", layers: int = 2, hidden: int = 64,
                            chars: Sequence[str] = ASCII_CHARS, seed: int = 0, scale: float = 0.3) -> Path:
    vocab = Vocab(chars)
    config = Config(cell, layers, hidden, len(vocab))
    return save(path, config, vocab, normal_tensors(config, seed, scale), {"corpus": "random weights", "seed": seed})


@pytest.fixture(scope="session")
def make_checkpoint(tmp_path_factory) -> Callable[..., Path]:
    """make_checkpoint(cell="lstm", layers=2, hidden=64, chars=ASCII_CHARS, seed=0) -> Path, cached."""
    made: dict[tuple, Path] = {}
    root = tmp_path_factory.mktemp("checkpoints")

    def make(cell: str = "lstm", layers: int = 2, hidden: int = 64, chars: Sequence[str] = ASCII_CHARS,
             seed: int = 0) -> Path:
        key = (cell, layers, hidden, tuple(chars), seed)
        if key not in made:
            # the name shows in the app's status line, so it must not depend on the order tests run in
            tag = "" if tuple(chars) == ASCII_CHARS else "-" + hashlib.sha1("".join(chars).encode()).hexdigest()[:6]
            name = f"{cell}-{layers}x{hidden}" + (f"-seed{seed}" if seed else "") + tag
            made[key] = write_random_checkpoint(root / f"{name}.safetensors", cell, layers, hidden, chars, seed)
        return made[key]

    return make


@pytest.fixture(scope="session")
def transformer_checkpoint(tmp_path_factory) -> Path:
    """A random 2-layer transformer, width 32, 4 heads, a window of 64 characters, over ASCII_CHARS."""
    from rnn_tui.core.transformer import TransformerConfig

    vocab = Vocab(ASCII_CHARS)
    config = TransformerConfig("transformer", 2, 32, len(vocab), 4, 64)
    path = tmp_path_factory.mktemp("transformer") / "transformer-2x32.safetensors"
    return save(path, config, vocab, normal_tensors(config, 0, 0.3), {"corpus": "random weights", "seed": 0})


@pytest.fixture(scope="session")
def lstm_checkpoint(make_checkpoint) -> Path:
    return make_checkpoint("lstm")


@pytest.fixture(scope="session")
def gru_checkpoint(make_checkpoint) -> Path:
    return make_checkpoint("gru")


@pytest.fixture(scope="session")
def rnn_checkpoint(make_checkpoint) -> Path:
    return make_checkpoint("rnn")


def pytest_report_header(config) -> str:
    """The versions the test extra pins against those installed: a snapshot that fails after an upgrade
    says why at the top of the run."""
    from importlib import metadata

    from packaging.requirements import Requirement

    try:
        wanted = [Requirement(r) for r in metadata.requires("rnn-tui") or []]
    except metadata.PackageNotFoundError:
        return "rnn-tui is not installed: the test extra's pins are not checked"
    pins = {r.name: next(iter(r.specifier)).version for r in wanted
            if r.marker is not None and r.marker.evaluate({"extra": "test"})
            and len(r.specifier) == 1 and next(iter(r.specifier)).operator == "=="}
    found = {name: metadata.version(name) for name in pins}
    off = [f"{name} {found[name]} (pinned {pin})" for name, pin in pins.items() if found[name] != pin]
    return ("test pins: " + ", ".join(f"{n} {v}" for n, v in sorted(found.items())) if not off
            else "NOT the pinned versions, snapshots may differ: " + ", ".join(off))
