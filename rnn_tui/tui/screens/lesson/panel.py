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


def render(run: LessonRun, keys: dict[str, tuple[str, str]], extra: str, width: int, rows: int) -> Text:
    """The panel's lines: title, what was just done, the step, the keys, the question, the extra line."""
    step, lesson = run.step, run.lesson
    width = max(20, width)
    out = Text(no_wrap=True, overflow="ellipsis")
    head = f" {safe_text(lesson.title, 40)} · step {run.index + 1} of {run.count}"
    if run.finished:
        head += " · lesson done: i lists the others"
    out.append(head, style="bold")
    out.append(" " * max(1, width - len(head) - len(NAV)) + NAV + "\n", style="dim")
    body = []
    if run.said:
        body.append(Text("✓ " + _one_line(run.said, width - 3), style="bold green"))
    say_rows = max(1, rows - 2 - len(body) - bool(step.ask) - bool(extra) - bool(step.press or step.look))
    body += [Text(line) for line in _wrap(step.say, width - 1, say_rows)]
    if step.press or step.look:
        line = Text()
        for pid in step.press:
            key, what = keys.get(pid, (pid, ""))
            line.append(" press ")
            line.append(f" {safe_text(key, 12)} ", style="reverse bold")
            if what:
                line.append(f" {safe_text(what, 30)}", style="dim")
        if step.look:
            line.append("  look at ", style="")
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
