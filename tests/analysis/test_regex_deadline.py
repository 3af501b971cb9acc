"""A regular expression's time limit is the wall clock's: the `regex` package's own limit counts CPU time,
so under load a 0.5 s limit stopped at 1.5 s. No timings here: the tests count children and follow the
remaining-time arithmetic with a clock of their own."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from rnn_tui.analysis import regex_feature as rf
from rnn_tui.analysis.features import regex_feature
from rnn_tui.core.errors import UserError

SLOW = "(a|aa)+b"  # backtracks for ever on a run of a's


class Children:
    """Every child process started, through the real Popen."""

    def __init__(self, monkeypatch):
        self.started: list[subprocess.Popen] = []
        self.timeouts: list[float] = []
        real, children = subprocess.Popen, self

        class Recorded(real):
            def __init__(self, *a, **k):
                super().__init__(*a, **k)
                children.started.append(self)

            def communicate(self, data=None, timeout=None):
                children.timeouts.append(timeout)
                return super().communicate(data, timeout)

        monkeypatch.setattr(rf.subprocess, "Popen", Recorded)


def reference(text: str, pattern: str) -> np.ndarray:
    out = np.zeros(len(text), bool)
    for m in rf.compile_regex(pattern).finditer(text):
        out[m.start() : m.end()] = True
    return out


def test_a_quick_pattern_is_matched_here_and_starts_no_child(monkeypatch):
    children = Children(monkeypatch)
    text = "To be, or not to be\nthat is the question\n" * 50
    assert np.array_equal(rf.match_mask(text, rf.compile_regex(r"\bbe\b"), 5.0), reference(text, r"\bbe\b"))
    assert children.started == []


@pytest.mark.parametrize("pattern", [r"\bbe\b", ".", "^t", "(?s).+", "x*", "\ud800", "🙂+"])
def test_a_child_finds_the_same_matches_as_this_process(monkeypatch, pattern):
    """QUICK = 0: every search goes to a child; lone surrogates and astral characters index the same there."""
    monkeypatch.setattr(rf, "QUICK", 0.0)
    children = Children(monkeypatch)
    text = "to be\n\ud800 or 🙂🙂 not\nto be" * 30
    assert np.array_equal(rf.match_mask(text, rf.compile_regex(pattern), 30.0), reference(text, pattern))
    assert len(children.started) == 1 and children.started[0].returncode == 0


def test_the_child_gets_what_is_left_of_the_limit_on_the_wall_then_is_killed(monkeypatch):
    """The first try's time counts: with 0.8 s of 1 s gone on the wall (a fake clock), the child is given
    0.2 s, whatever the CPU time; it is killed and reaped when that is up, and the search is one line."""
    clock = iter([100.0, 100.8, 100.8, 100.8])
    monkeypatch.setattr(rf.time, "monotonic", lambda: next(clock))
    children = Children(monkeypatch)
    with pytest.raises(UserError, match=r"took more than 1 s") as e:
        rf.match_mask("a" * 5000, rf.compile_regex(SLOW), 1.0)
    assert "\n" not in str(e.value)
    assert children.timeouts[0] == pytest.approx(0.2)
    assert [c.returncode for c in children.started] == [-9]  # killed, and waited for: no process left behind


def test_a_limit_already_spent_on_the_wall_stops_the_search_at_once(monkeypatch):
    """Its CPU limit (60 s) would let it run; the wall's (spent: a fake clock) does not."""
    clock = iter([0.0, 61.0, 61.0, 61.0])
    monkeypatch.setattr(rf.time, "monotonic", lambda: next(clock))
    children = Children(monkeypatch)
    with pytest.raises(UserError, match="took more than 60 s"):
        rf.match_mask("a" * 5000, rf.compile_regex(SLOW), 60.0)
    assert children.timeouts == [0.0, None] and children.started[0].returncode is not None


def test_a_text_ranked_a_block_of_units_at_a_time_is_searched_once(monkeypatch):
    """rank_text asks each block's feature values of the same text: one search, one time limit, not one each."""
    searches = []
    real = rf.match_mask
    monkeypatch.setattr("rnn_tui.analysis.features.match_mask", lambda *a: searches.append(1) or real(*a))
    feature = regex_feature("be")
    text = "to be or not to be"
    first, again = feature(text), feature(text)
    assert np.array_equal(first, again) and searches == [1]
    feature(text[:5])
    assert searches == [1, 1]


def test_the_child_never_imports_a_module_planted_in_the_current_folder(tmp_path, monkeypatch):
    """`python -c` puts the current folder first on the import path: a classmate's regex.py or struct.py there
    would run as the student."""
    monkeypatch.setattr(rf, "QUICK", 0.0)
    monkeypatch.chdir(tmp_path)
    for name in ("regex", "struct", "array"):
        (tmp_path / f"{name}.py").write_text(f"open({str(tmp_path / ('ran-' + name))!r}, 'w').close()\n")
    text = "to be or not to be"
    assert np.array_equal(rf.match_mask(text, rf.compile_regex("be"), 30.0), reference(text, "be"))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("ran-")) == []
