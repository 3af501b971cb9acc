"""Argument parsing shared by the commands."""

from __future__ import annotations

import argparse

from ..core.errors import UserError


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are UserErrors: one line on stderr, exit status 2, no usage dump."""

    def error(self, message: str):  # type: ignore[override]
        raise UserError(f"{self.prog}: {message} (see --help)")
