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


# PyTorch's CPU-only package index, as pytorch.org's install selector gives it (Linux, Pip, CPU): the
# default index's torch pulls about 5.5 GB of CUDA libraries that a lab machine without a GPU never uses.
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def needs_torch(what: str) -> str:
    """The one line for a feature that needs PyTorch when it is not installed: its CPU build, then the extra."""
    return (f"{what} needs PyTorch, which is not installed; its CPU build: "
            f"pip install torch --index-url {TORCH_CPU_INDEX} && pip install 'rnn-tui[train]'")
