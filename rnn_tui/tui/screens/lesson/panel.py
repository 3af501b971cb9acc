"""The lesson panel: a few rows at the bottom of whatever screen is open, the model's screens above it.

It says what to press (the key highlighted, read from the live bindings so a
remapped key shows as remapped), what to look at, the question, and, once the
student has done the step, that line in green before the next step.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ....core.safe import safe_text
from ....lessons.run import LessonRun

AREA_NAMES = {"text": "the text", "predictions": "the predictions (top right)", "heatmap": "the heatmaps",
              "timeline": "the timeline strip", "status": "the status line", "equation": "the equations",
              "footer": "the keys at the bottom"}
NAV = "} next · { back · esc leave"


def _one_line(text: str, width: int) -> str:
    return safe_text(" ".join(text.split()), max(10, width))


def _wrap(text: str, width: int, rows: int) -> list[str]:
    """Words onto at most `rows` lines of `width` (the last ends in … when cut)."""
    words, lines, line = " ".join(text.split()).split(" "), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    lines.append(line)
    if len(lines) > rows:
        lines = lines[:rows]
        lines[-1] = lines[-1][: max(0, width - 1)] + "…"
    return [safe_text(x, width) for x in lines]


def render(run: LessonRun, keys: dict[str, tuple[str, str]], extra: str, width: int, rows: int,
           nav: str = NAV) -> Text:
    """The panel's lines: title, what was just done, the step, the keys, the question, the extra line.
    `nav` reminds of the lesson's own keys (they work on the main view, not inside another screen)."""
    step, lesson = run.step, run.lesson
    width = max(20, width)
    out = Text(no_wrap=True, overflow="ellipsis")
    head = f" {safe_text(lesson.title, 40)} · step {run.index + 1} of {run.count}"
    said = ("✓ " + run.said + (" Lesson done: i lists the others." if run.finished else "")) if run.said else ""
    others = bool(step.ask) + bool(extra) + bool(step.press or step.look)
    say = _wrap(step.say, width - 1, rows)
    # the step just done gets a line of its own when there is room, else the end of the title line
    own_line = bool(said) and len(say) + others + 1 <= rows - 1
    out.append(head, style="bold")
    if said and not own_line:
        out.append(" · " + _one_line(said, width - len(head) - 4), style="bold green")
    else:
        out.append(" " * max(1, width - len(head) - len(nav)) + nav, style="dim")
    out.append("\n")
    body: list[Text] = [Text(_one_line(said, width - 1), style="bold green")] if own_line else []
    body += [Text(line) for line in _wrap(step.say, width - 1, max(1, rows - 1 - len(body) - others))]
    if step.press or step.look:
        line = Text(" press " if step.press else "")
        for k, pid in enumerate(step.press):
            key, what = keys.get(pid, (pid, ""))
            if k:
                line.append(" or ")
            line.append(f" {safe_text(key, 12)} ", style="reverse bold")
            if what and len(step.press) == 1:
                line.append(f" {safe_text(what, 30)}", style="dim")
        if step.look:
            line.append("  look at ")
            line.append(AREA_NAMES.get(step.look, step.look), style="bold")
        body.append(line)
    if step.ask:
        body.append(Text("? " + _one_line(step.ask, width - 3), style="italic"))
    if extra:
        body.append(Text(_one_line(extra, width - 1), style="cyan"))
    for k, line in enumerate(body[: rows - 1]):
        out.append(" ")
        out.append_text(line)
        if k < len(body[: rows - 1]) - 1:
            out.append("\n")
    return out


class LessonPanel(Static):
    """Shows what `render` gives it; one on each screen the lesson is followed on."""

    def show_lesson(self, content: Text) -> None:
        self.update(content)
