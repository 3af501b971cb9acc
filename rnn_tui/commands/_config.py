"""Defaults from a config file, and the environment variables rnn-tui checks before Textual reads them.

The file is `$XDG_CONFIG_HOME/rnn-tui/config.toml` (`~/.config/rnn-tui/config.toml` when that is
unset), optional, flat:

    model = "shakespeare-gru"
    theme = "textual-light"
    fps = 30
    max-kbps = 0
    temperature = 0.5
    seed = 7

A command-line option beats an environment variable, which beats the file, which beats the built-in
default. A bad value, an unknown key or a file that is not TOML is one line naming the file and the
key, so a typo never silently does nothing.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

from ..core.errors import UserError
from ..core.files import FileProblem, open_regular
from ..core.safe import safe_text
from ..core.user_dirs import config_dir

MAX_CONFIG_BYTES = 64 << 10
# a frame every 10 s at the slowest: below that, speed/fps and the frame timer overflow (1e-320 did)
MIN_FPS, MAX_FPS = 0.1, 240.0
MAX_TEMPERATURE = 10.0
# KB/s; far above any link (1 GB/s), and small enough that the byte budget's arithmetic stays finite
MAX_KBPS = 1_000_000.0
# Rich's colour systems, which Textual takes from TEXTUAL_COLOR_SYSTEM; any other value is a KeyError
# deep inside Textual, so it is checked here first.
COLOR_SYSTEMS = ("auto", "standard", "256", "truecolor", "windows")


def config_path() -> Path:
    return config_dir() / "config.toml"


def _number(low: float, high: float, low_open: bool = False):
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError("must be a number")
        if value < low or (low_open and value == low) or value > high:
            raise ValueError(f"must be {'above' if low_open else 'at least'} {low:g} and at most {high:g}")
        return float(value)

    return check


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value


# key in the file -> check (returns the value to use, or raises ValueError saying what it must be)
KEYS = {
    "model": _name,
    "theme": _name,
    "fps": _number(MIN_FPS, MAX_FPS),
    "max-kbps": _number(0, MAX_KBPS),
    "temperature": _number(0, MAX_TEMPERATURE),
    "seed": _integer,
}


def _read_toml(raw: bytes) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the package supports 3.10, which has no tomllib; tomli is its backport
        import tomli as tomllib
    return tomllib.loads(raw.decode("utf-8"))


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The file's settings, checked; {} when there is no file."""
    path = config_path() if path is None else path
    where = safe_text(str(path))
    if not path.exists():
        return {}
    try:
        with open_regular(path, MAX_CONFIG_BYTES, "config file") as f:
            raw = f.read()
    except FileProblem as e:
        raise UserError(f"{where}: {e}") from None
    try:
        doc = _read_toml(raw)
    except UnicodeDecodeError:
        raise UserError(f"{where}: not UTF-8 text") from None
    except ValueError as e:  # tomllib.TOMLDecodeError, with the line and column
        raise UserError(f"{where}: not valid TOML: {safe_text(str(e))}") from None
    except RecursionError:  # tomllib recurses once per nested array or table: x = [[[[…]]]]
        raise UserError(f"{where}: not a config file: values nested too deeply") from None
    settings: dict[str, Any] = {}
    for key, value in doc.items():
        check = KEYS.get(key)
        if check is None:
            raise UserError(f"{where}: unknown key {safe_text(key)!r} (known: {', '.join(KEYS)})")
        try:
            settings[key] = check(value)
        except ValueError as e:
            raise UserError(f"{where}: {key} {e}, got {safe_text(repr(value))[:80]}") from None
    return settings


# a setting the environment overrides: the file's value is then not used
ENV_OVERRIDES = {"theme": "TEXTUAL_THEME"}


def apply(parser, settings: dict[str, Any]) -> None:
    """Make the file's settings the defaults of the options this parser has (an option still wins)."""
    dests = {a.dest for a in parser._actions}
    overridden = {key for key, var in ENV_OVERRIDES.items() if var in os.environ}
    parser.set_defaults(**{key.replace("-", "_"): value for key, value in settings.items()
                           if key.replace("-", "_") in dests and key not in overridden})


def parse_kbps(text: str) -> float:
    """--max-kbps: a number of KB/s >= 0 (0 = no limit)."""
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"--max-kbps must be a number of KB/s (0 = no limit), got {safe_text(text)!r}") from None
    if not 0 <= value <= MAX_KBPS:
        raise UserError(f"--max-kbps must be 0 (no limit) or more, at most {MAX_KBPS:,.0f}, "
                        f"got {safe_text(text)!r}")
    return value


def check_temperature(value: float) -> float:
    """--temperature: from 0 (argmax) to MAX_TEMPERATURE; NaN is neither."""
    if not 0 <= value <= MAX_TEMPERATURE:
        raise UserError(f"--temperature must be between 0 and {MAX_TEMPERATURE:g}, got {value}")
    return value


def env_fps() -> int | None:
    """TEXTUAL_FPS: the most frames a second Textual paints (its default is 60), or None when unset."""
    raw = os.environ.get("TEXTUAL_FPS")
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise UserError(f"TEXTUAL_FPS must be a whole number of frames a second, 1 or more, got {safe_text(raw)!r}")
    return value


def check_color_system() -> None:
    raw = os.environ.get("TEXTUAL_COLOR_SYSTEM")
    if raw is not None and raw not in COLOR_SYSTEMS:
        raise UserError(f"TEXTUAL_COLOR_SYSTEM must be one of {', '.join(COLOR_SYSTEMS)}, got {safe_text(raw)!r}")


def check_theme(name: str, available, source: str) -> None:
    if name not in available:
        raise UserError(f"unknown theme {safe_text(name)!r} (from {source}; available: {', '.join(sorted(available))})")
