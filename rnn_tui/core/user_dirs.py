"""Where rnn-tui keeps the user's own files: the config file, and the crash reports.

platformdirs (which Textual already depends on) knows each system's rules: the XDG variables on Linux
(an empty or relative value ignored), ~/Library on macOS, %LOCALAPPDATA% on Windows.
"""

from __future__ import annotations

from pathlib import Path

APP = "rnn-tui"


def config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))
