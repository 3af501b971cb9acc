"""The weather corpus's encoding, and what the record itself says comes next.

A line a month: the month's name in capitals, a space, a character a day
(scripts/seattle_weather.py builds it from Seattle's record 2012–2015). The
weather lesson puts the model's probabilities beside `counted_next`: over the
whole record, the days that followed the same month and the same run of days.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_CHARS = "sdrf*"  # the order the lesson lists them in
DAY_NAMES = {"s": "dry", "d": "drizzle", "r": "rain", "f": "fog", "*": "snow"}
CORPUS_NAME = "seattle-weather.txt"


def corpus_path() -> Path:
    from ..core.checkpoint import BUNDLED_DIR

    return BUNDLED_DIR / "corpora" / CORPUS_NAME


def last_line(text: str) -> tuple[str | None, str]:
    """(month, the days so far) of the last line of `text`; month None when the line has no month yet."""
    line = text.rsplit("\n", 1)[-1]
    month, _, days = line.partition(" ")
    if month not in MONTHS or not _:
        return None, ""
    return month, days


def counted_next(record: str, month: str, days: str, run: int = 3) -> tuple[Counter[str], int]:
    """(how often each day character followed, how many times): in `month`'s lines of the record,
    every place where the last `run` days equal the last `run` of `days`."""
    tail = days[-run:]
    counts: Counter[str] = Counter()
    for line in record.splitlines():
        name, _, seen = line.partition(" ")
        if name != month:
            continue
        for t in range(len(tail), len(seen)):
            if seen[t - len(tail):t] == tail:
                counts[seen[t]] += 1
    return counts, sum(counts.values())
