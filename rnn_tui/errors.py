"""Errors a user can cause. The CLI prints them as one line and exits with status 2."""


class UserError(Exception):
    """A problem with what the user asked for: a bad file, a bad option, odd text."""
