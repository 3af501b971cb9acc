"""The unit statistics kept between starts: the same figures measured or read, and never stale."""

from __future__ import annotations

import os

import numpy as np

from rnn_tui.analysis import stats_cache
from rnn_tui.analysis.stats_cache import measure_cached
from rnn_tui.analysis.unit_stats import measure
from rnn_tui.core.checkpoint import load

FIELDS = ("scale", "shared", "mean", "variance", "saturation")


def cached_files(root) -> list:
    return sorted((root / "rnn-tui" / "unit-stats").glob("*.npy"))


def test_a_second_start_reads_what_the_first_measured_and_gets_the_same_figures(make_checkpoint, tmp_path,
                                                                                monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    ckpt = load(make_checkpoint())
    first = measure_cached(ckpt, ckpt.model())
    assert len(cached_files(tmp_path)) == 1

    def no_measuring(*_):
        raise AssertionError("measured again")

    monkeypatch.setattr(stats_cache.unit_stats, "measure", no_measuring)
    second = measure_cached(ckpt, ckpt.model())
    fresh = measure(ckpt.model(), ckpt.vocab)
    for name in FIELDS:
        assert np.array_equal(getattr(first, name), getattr(second, name))
        np.testing.assert_allclose(getattr(first, name), getattr(fresh, name), rtol=1e-6, atol=1e-7)


def test_a_changed_or_damaged_file_is_measured_again(make_checkpoint, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = make_checkpoint(seed=5)
    ckpt = load(path)
    measure_cached(ckpt, ckpt.model())
    (kept,) = cached_files(tmp_path)
    kept.write_bytes(b"not an array")
    again = measure_cached(ckpt, ckpt.model())
    assert np.array_equal(again.variance, measure(ckpt.model(), ckpt.vocab).variance.astype(np.float32))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # the file was replaced
    measure_cached(ckpt, ckpt.model())
    assert len(cached_files(tmp_path)) == 2


def test_an_unwritable_cache_costs_only_the_saving(make_checkpoint, tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # a file where the folder would go
    ckpt = load(make_checkpoint())
    stats = measure_cached(ckpt, ckpt.model())
    assert stats.variance.shape == (2, 6, 64)
