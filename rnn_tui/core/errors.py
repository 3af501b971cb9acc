"""Errors a user can cause. The command line prints them as one line and exits with status 2."""

from __future__ import annotations

import os


class UserError(Exception):
    """A problem with what the user asked for: a bad file, a bad option, odd text."""


class CheckpointError(UserError):
    """A checkpoint that cannot be used; the message names the file and the problem."""

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
