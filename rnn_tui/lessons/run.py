"""A lesson in progress: which step, which are done, and the one line said when one is.

Plain state, no screen: the viewer hands it a `ViewerState` a few times a
second (`update`), and the lesson panel draws it.
"""

from __future__ import annotations

from . import Lesson, Step
from .checks import ViewerState, passes


class LessonRun:
    def __init__(self, lesson: Lesson):
        self.lesson = lesson
        self.index = 0
        self.passed = [False] * len(lesson.steps)
        self.said = ""  # the last step done, in one line
        self.finished = False

    @property
    def step(self) -> Step:
        return self.lesson.steps[self.index]

    @property
    def count(self) -> int:
        return len(self.lesson.steps)

    def move(self, delta: int) -> bool:
        """Another step, by the student's key; False at either end."""
        new = min(max(self.index + delta, 0), self.count - 1)
        moved, self.index = new != self.index, new
        if moved:
            self.said = ""
        return moved

    def update(self, state: ViewerState) -> bool:
        """Recognise the current step as done: say so and move on. True when something changed."""
        if self.passed[self.index] or not passes(self.step.checks, state):
            return False
        self.passed[self.index] = True
        self.said = self.step.done or "Done."
        if self.index + 1 < self.count:
            self.index += 1
        else:
            self.finished = True
        return True
