"""The in-class activities, as data: one small TOML file a lesson, and the loader that checks them.

A lesson is a short sequence of steps shown in a panel beside the model's
screens. Each step says what to press, what to look at and a question; a
`check` says, in terms of the viewer's state, when the student has done it
(checks.py evaluates it). An instructor writes another lesson without touching
code; `rnn-tui lesson FILE` runs it. A lesson file comes from someone else, so
it is read like a checkpoint: a regular file of at most 64 KiB, UTF-8 TOML,
only the keys below, each of its type and length, and any problem is one line
naming the file.

    format = "rnn-tui-lesson"   # required, and version = 1
    version = 1
    title = "Phone numbers"     # required: a few words
    summary = "One sentence for the list."
    model = "phone-numbers"     # optional: the bundled model (or a file, beside the lesson) it opens
    prime = "(61"               # optional: text fed before the first step (\\n for a newline)

    [[step]]                    # one or more, at most 20
    say = "What to do and what to look at."      # required
    press = ["prime"]           # optional: binding ids; the panel shows their keys and highlights them
    look = "predictions"        # optional: the area to highlight (AREAS)
    ask = "Why 7?"              # optional: the question
    done = "Yes: ..."           # optional: the line shown once the check passes
    show = "weather-counts"     # optional: an extra line (SHOWS)
    check = { text_ends_with = "(61" }           # optional: every condition must hold (checks.CHECKS)
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import UserError
from ..core.files import FileProblem, open_regular
from ..core.safe import safe_text
from .checks import CHECKS, Check

FORMAT = "rnn-tui-lesson"
VERSION = 1
MAX_BYTES = 64 << 10
MAX_STEPS = 20
LESSON_DIR = Path(__file__).resolve().parent
AREAS = ("text", "predictions", "heatmap", "timeline", "status", "equation", "footer")
SHOWS = ("weather-counts", "scores")
LIMITS = {"title": 60, "summary": 160, "model": 200, "prime": 500,  # characters
          "say": 600, "ask": 300, "done": 300, "look": 20, "show": 20}
_ID = re.compile(r"[a-z][a-z0-9_.]{0,39}\Z")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}\Z")


class LessonError(UserError):
    """A lesson file that cannot be used: its message is one line naming the file and the problem."""


@dataclass(frozen=True)
class Step:
    say: str
    press: tuple[str, ...] = ()
    look: str | None = None
    ask: str = ""
    done: str = ""
    show: str | None = None
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    model: str | None = None
    prime: str = ""
    source: Path | None = None

    def model_path(self) -> str | None:
        """The model to open: a bundled name as is, a file relative to the lesson's folder."""
        if self.model is None or self.source is None or not self.model.endswith(".safetensors"):
            return self.model
        return str(self.source.parent / self.model)


def bundled_lessons() -> dict[str, Path]:
    """name -> file of the lessons that come with rnn-tui, in the order of the class."""
    return {p.stem.split("-", 1)[1]: p for p in sorted(LESSON_DIR.glob("[0-9]*-*.toml"))}


def find(name_or_path: str) -> Lesson:
    """A bundled lesson by name, or a lesson file."""
    bundled = bundled_lessons()
    if name_or_path in bundled and not Path(name_or_path).exists():
        return load(bundled[name_or_path], name_or_path)
    if not name_or_path.endswith(".toml") and not Path(name_or_path).exists():
        raise LessonError(f"no lesson named {safe_text(name_or_path, 60)!r}; the lessons: {', '.join(bundled)} "
                          "(or a .toml file)")
    return load(Path(name_or_path))


def all_lessons() -> list[Lesson]:
    return [load(path, name) for name, path in bundled_lessons().items()]


def load(path: str | os.PathLike, name: str | None = None) -> Lesson:
    """Read and check a lesson file; any problem is one LessonError naming it."""
    path = Path(path)
    shown = safe_text(path.name, 80)
    try:
        with open_regular(path, MAX_BYTES, "lesson file") as f:
            raw = f.read()
        doc = _toml(raw.decode("utf-8"))
        return _lesson(doc, name or re.sub(r"^[0-9]+-", "", path.stem), path)
    except FileProblem as e:
        raise LessonError(f"{shown}: {e}") from None
    except OSError as e:
        raise LessonError(f"{shown}: cannot read: {safe_text(e.strerror or e, 80)}") from None
    except UnicodeDecodeError as e:
        raise LessonError(f"{shown}: not UTF-8 (invalid byte at offset {e.start:,})") from None
    except _Bad as e:
        raise LessonError(f"{shown}: {e}") from None
    except ValueError as e:  # tomllib's errors, with the line and column
        raise LessonError(f"{shown}: not TOML: {safe_text(str(e), 120)}") from None


class _Bad(Exception):
    pass


def _toml(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the package supports 3.10, which has no tomllib; tomli is its backport
        import tomli as tomllib
    return tomllib.loads(text)


def _lesson(doc: dict[str, Any], name: str, path: Path) -> Lesson:
    _keys(doc, {"format", "version", "title", "summary", "model", "prime", "step"}, "the file")
    if doc.get("format") != FORMAT:
        raise _Bad(f'not a lesson file: it needs format = "{FORMAT}"')
    if doc.get("version") != VERSION:
        raise _Bad(f"lesson version {safe_text(str(doc.get('version')), 20)} (this rnn-tui reads {VERSION})")
    if not _NAME.match(name.lower()):
        raise _Bad("a lesson's file name must be letters, digits and -")
    steps = doc.get("step")
    if not isinstance(steps, list) or not steps:
        raise _Bad("no [[step]]: a lesson needs at least one")
    if len(steps) > MAX_STEPS:
        raise _Bad(f"{len(steps)} steps: at most {MAX_STEPS}")
    return Lesson(name=name.lower(), title=_text(doc, "title", "the file", required=True),
                  summary=_text(doc, "summary", "the file"), model=_text(doc, "model", "the file") or None,
                  prime=_text(doc, "prime", "the file", raw=True),
                  steps=tuple(_step(s, k + 1) for k, s in enumerate(steps)), source=path)


def _step(s: Any, k: int) -> Step:
    where = f"step {k}"
    if not isinstance(s, dict):
        raise _Bad(f"{where} is not a table")
    _keys(s, {"say", "press", "look", "ask", "done", "show", "check"}, where)
    press = s.get("press", [])
    if isinstance(press, str):
        press = [press]
    if not isinstance(press, list) or len(press) > 6 or not all(isinstance(p, str) and _ID.match(p) for p in press):
        raise _Bad(f"{where}: press must be a list of at most 6 binding ids (like \"prime\")")
    look, show = _text(s, "look", where) or None, _text(s, "show", where) or None
    if look is not None and look not in AREAS:
        raise _Bad(f"{where}: look must be one of {', '.join(AREAS)}")
    if show is not None and show not in SHOWS:
        raise _Bad(f"{where}: show must be one of {', '.join(SHOWS)}")
    check = s.get("check", {})
    if not isinstance(check, dict):
        raise _Bad(f"{where}: check must be a table, like check = {{ screen = \"memory-span\" }}")
    checks = []
    for kind, value in check.items():
        spec = CHECKS.get(kind)
        if spec is None:
            raise _Bad(f"{where}: unknown check {safe_text(kind, 30)!r}; the checks: {', '.join(CHECKS)}")
        problem = spec.problem(value)
        if problem:
            raise _Bad(f"{where}: check {kind}: {problem}")
        checks.append(Check(kind, _freeze(value)))
    return Step(say=_text(s, "say", where, required=True), press=tuple(press), look=look,
                ask=_text(s, "ask", where), done=_text(s, "done", where), show=show, checks=tuple(checks))


def _keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise _Bad(f"{where}: unknown key {safe_text(extra[0], 30)!r} (allowed: {', '.join(sorted(allowed))})")


def _text(table: dict[str, Any], key: str, where: str, required: bool = False, raw: bool = False) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise _Bad(f"{where}: {key} must be a string")
    if required and not value.strip():
        raise _Bad(f"{where}: {key} is missing or empty")
    if len(value) > LIMITS[key]:
        raise _Bad(f"{where}: {key} is {len(value):,} characters (at most {LIMITS[key]})")
    if raw:
        from ..core.text import unescape

        return unescape(value)
    return value.strip()


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value
