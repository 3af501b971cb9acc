"""Errors a user can cause. The command line prints them as one line and exits with status 2."""

from __future__ import annotations

import os

from .safe import safe_text


class UserError(Exception):
    """A problem with what the user asked for: a bad file, a bad option, odd text."""


class CheckpointError(UserError):
    """A checkpoint that cannot be used; the message names the file and the problem.

    Both come from outside (a name someone chose, text from inside the file), so the
    message is made safe and short here: at most 100 + 2 + 180 characters.
    """

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{safe_text(self.path, 100)}: {safe_text(problem, 180)}")
