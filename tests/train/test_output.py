"""What a run leaves on disk when the disk fills, when a run was killed, and where it cannot write."""

from __future__ import annotations

import errno
import os

import pytest

torch = pytest.importorskip("torch")

from rnn_tui.core import checkpoint  # noqa: E402
from rnn_tui.core.errors import UserError  # noqa: E402
from rnn_tui.train import trainer as trainer_module  # noqa: E402
from rnn_tui.train.report import QuietReporter  # noqa: E402
from rnn_tui.train.trainer import Trainer, read_resume  # noqa: E402

from .helpers import options, prose  # noqa: E402


def _full_disk_after(monkeypatch, writes: int, only=None) -> list[str]:
    """Let `writes` files be written, then every write fails as a full disk does (ENOSPC).

    The real atomic writer runs, so its temporary file is written, fails and must be removed.
    """
    import rnn_tui.core.atomic as atomic

    done: list[str] = []
    real_fdopen = os.fdopen

    def fdopen(fd, *a, **kw):
        f = real_fdopen(fd, *a, **kw)
        real_write = f.write

        def write(data):
            name = os.readlink(f"/proc/self/fd/{fd}") if os.path.exists(f"/proc/self/fd/{fd}") else ""
            if len(done) >= writes and (only is None or only in name):
                real_write(data[: len(data) // 2])  # half of it lands, then the disk is full
                raise OSError(errno.ENOSPC, "No space left on device")
            done.append(name)
            return real_write(data)

        f.write = write
        return f

    monkeypatch.setattr(atomic.os, "fdopen", fdopen)
    return done


def _stop_after_eval_at(step: int):
    def on_step(t: Trainer) -> None:
        if t.step == step:
            t.request_stop()
    return on_step


def test_a_full_disk_stops_the_run_in_one_line_and_keeps_the_last_good_files(tmp_path, monkeypatch):
    opts = options(tmp_path, prose(4000), max_steps=30, eval_every=10)
    t = Trainer(opts, reporter=QuietReporter())
    writes_by_step_10 = []

    def on_step(tr: Trainer) -> None:
        if tr.step == 11 and not writes_by_step_10:
            writes_by_step_10.append(1)
            _full_disk_after(monkeypatch, 0)  # from now on, nothing fits

    t.on_step = on_step
    with pytest.raises(UserError) as e:
        t.run()
    line = str(e.value)
    assert "\n" not in line and len(line) <= 300
    assert "the disk is full" in line and "training stopped at step" in line
    kept = int(line.split("the checkpoint of step ")[1].split()[0])
    monkeypatch.undo()
    assert checkpoint.load(opts.out).provenance["steps"] == kept <= 10
    assert read_resume(opts.resume_path)["step"] == 10
    assert not list(tmp_path.glob(".*.tmp")) and not list(tmp_path.glob("*.tmp"))


def test_when_the_checkpoint_fits_but_the_resume_file_does_not(tmp_path, monkeypatch):
    opts = options(tmp_path, prose(4000), max_steps=30, eval_every=10)
    t = Trainer(opts, reporter=QuietReporter())

    def on_step(tr: Trainer) -> None:
        if tr.step == 11:
            _full_disk_after(monkeypatch, 0, only=".resume.pt.")

    t.on_step = on_step
    with pytest.raises(UserError, match=r"cannot write model\.safetensors\.resume\.pt: the disk is full"):
        t.run()
    monkeypatch.undo()
    assert checkpoint.load(opts.out).provenance["steps"] > 10  # the newer checkpoint is whole
    assert read_resume(opts.resume_path)["step"] == 10  # the older resume file is untouched
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_command_prints_one_line_for_a_full_disk(tmp_path, monkeypatch, capsys):
    from rnn_tui.__main__ import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.txt").write_text(prose(4000))
    _full_disk_after(monkeypatch, 0)
    code = main(["train", "t.txt", "--out", "m.safetensors", "--layers", "1", "--hidden", "16", "--batch", "4",
                 "--seq-len", "16", "--max-steps", "5", "--device", "cpu", "--threads", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "the disk is full" in err[0] and "nothing was saved" in err[0], err
    assert not list(tmp_path.glob("*.safetensors*")) and not list(tmp_path.glob(".*.tmp"))


def test_stale_temporary_files_of_our_naming_are_removed_by_the_next_run(tmp_path):
    opts = options(tmp_path, prose(3000), max_steps=2)
    ours = [tmp_path / ".model.safetensors.k3j4h5g6.tmp", tmp_path / ".model.safetensors.resume.pt.a1b2c3d4.tmp",
            tmp_path / ".model.snapshots.safetensors.zz99yy88.tmp"]
    others = [tmp_path / ".other.safetensors.k3j4h5g6.tmp", tmp_path / "model.safetensors.tmp",
              tmp_path / "notes.tmp"]
    for p in ours + others:
        p.write_bytes(b"x" * 1000)
    t = Trainer(opts, reporter=QuietReporter())
    assert all(p.exists() for p in ours)  # building a trainer changes nothing outside it
    t.run()
    assert not any(p.exists() for p in ours)
    assert all(p.exists() for p in others)


def test_resume_also_removes_stale_temporary_files(tmp_path):
    opts = options(tmp_path, prose(3000), max_steps=4)
    t = Trainer(opts, reporter=QuietReporter(), on_step=_stop_after_eval_at(2))
    t.run()
    stale = tmp_path / ".model.safetensors.resume.pt.q1w2e3r4.tmp"
    stale.write_bytes(b"half a resume file")
    opts.resume = True
    opts.max_steps = 5
    Trainer(opts, reporter=QuietReporter()).run()
    assert not stale.exists()


def test_the_resume_file_goes_through_the_one_atomic_writer(tmp_path, monkeypatch):
    written = []
    real = trainer_module.atomic_write_bytes
    monkeypatch.setattr(trainer_module, "atomic_write_bytes", lambda p, data: written.append(p) or real(p, data))
    opts = options(tmp_path, prose(3000), max_steps=3)
    Trainer(opts, reporter=QuietReporter()).run()
    assert opts.resume_path in written
    assert read_resume(opts.resume_path)["step"] == 3


def test_building_a_trainer_leaves_the_process_as_it_was_and_run_gives_the_threads_back(tmp_path):
    threads, rng = torch.get_num_threads(), torch.get_rng_state()
    opts = options(tmp_path, prose(3000), max_steps=2, threads=threads + 1, seed=5)
    t = Trainer(opts, reporter=QuietReporter())
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.get_rng_state(), rng)
    seen = []
    t.on_step = lambda tr: seen.append(torch.get_num_threads())
    t.run()
    assert seen == [threads + 1] * 2  # the run's own setting while it trains...
    assert torch.get_num_threads() == threads  # ...and the caller's afterwards
    for d in ("again", "first"):
        (tmp_path / d).mkdir()
    again = Trainer(options(tmp_path / "again", prose(3000), max_steps=2, seed=5), reporter=QuietReporter())
    first = Trainer(options(tmp_path / "first", prose(3000), max_steps=2, seed=5), reporter=QuietReporter())
    for k, v in first.model.state_dict().items():  # the seed alone decides the first weights
        assert torch.equal(v, again.model.state_dict()[k]), k
