"""Snapshots of training: the model at chosen steps, in one safetensors file beside the checkpoint."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnn_tui.core import checkpoint, snapshots  # noqa: E402
from rnn_tui.core.errors import CheckpointError  # noqa: E402
from rnn_tui.train.report import QuietReporter  # noqa: E402
from rnn_tui.train.trainer import SNAPSHOT_AT, Trainer  # noqa: E402
from rnn_tui.tui.training_time import TrainingTime  # noqa: E402

from .helpers import options, prose, run  # noqa: E402


def test_a_run_keeps_step_zero_the_chosen_fractions_and_the_end(tmp_path):
    opts = options(tmp_path, prose(6000), max_steps=100, eval_every=None)
    t = run(opts)
    snaps = snapshots.load(opts.snapshots_path)
    steps = [s.step for s in snaps.items]
    assert steps == [0] + [round(f * 100) for f in SNAPSHOT_AT] + [100]
    assert snaps.vocab.chars == t.corpus.vocab.chars and snaps.config == t.config
    losses = [s.val_loss for s in snaps.items]
    assert losses[0] > losses[-1]  # noise first, then learning
    assert all(s.val_chars == len(t.val_subset) for s in snaps.items)
    # the last snapshot is the final model, to float16's precision
    final = checkpoint.load(opts.out)
    for name, w in final.tensors.items():
        assert np.allclose(snaps.items[-1].tensors[name], w, atol=2e-3, rtol=1e-3), name
    ids = t.corpus.val_ids[:2000]
    assert abs(snaps.model(len(snaps) - 1).nll(ids) - final.model().nll(ids)) < 1e-2


def test_snapshots_survive_an_interrupted_and_resumed_run(tmp_path):
    opts = options(tmp_path, prose(6000), max_steps=50, eval_every=None)

    def stop(tr: Trainer) -> None:
        if tr.step == 20:
            tr.request_stop()

    Trainer(opts, reporter=QuietReporter(), on_step=stop).run()
    before = [s.step for s in snapshots.load(opts.snapshots_path).items]
    assert before[0] == 0 and before[-1] == 20
    opts.resume = True
    Trainer(opts, reporter=QuietReporter()).run()
    after = [s.step for s in snapshots.load(opts.snapshots_path).items]
    assert after[: len(before)] == before and after[-1] == 50 and after == sorted(after)


def _small_file(tmp_path):
    from rnn_tui.core.cells import Config
    from rnn_tui.core.vocab import Vocab

    config, vocab = Config("gru", 1, 8, 5), Vocab(list("abcd\n"))
    rng = np.random.default_rng(0)
    items = [snapshots.Snapshot(step, 1.5 - step / 100, 100, step / 10.0,
                                {n: rng.standard_normal(s).astype(np.float32) for n, s in config.shapes().items()})
             for step in (0, 10, 30)]
    return snapshots.save(tmp_path / "m.snapshots.safetensors", config, vocab, items), items


def test_the_format_round_trips_in_numpy_without_torch_or_pickle(tmp_path):
    path, items = _small_file(tmp_path)
    assert snapshots.snapshots_path(tmp_path / "m.safetensors") == path
    s = snapshots.load(path)
    assert [x.step for x in s.items] == [0, 10, 30] and s.items[1].val_loss == pytest.approx(1.4)
    for a, b in zip(items, s.items, strict=True):
        for name in a.tensors:
            assert b.tensors[name].dtype == np.float32
            assert np.allclose(a.tensors[name], b.tensors[name], atol=2e-3)
    assert s.model(2).step(s.model(2).initial_state(), 1)[1].shape == (5,)


def _rewrite_document(path, change):
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    doc = json.loads(header["__metadata__"][snapshots.META_KEY])
    change(doc)
    header["__metadata__"][snapshots.META_KEY] = json.dumps(doc)
    new = json.dumps(header).encode()
    new += b" " * (-len(new) % 8)
    path.write_bytes(len(new).to_bytes(8, "little") + new + raw[8 + n :])


@pytest.mark.parametrize("change,message", [
    (lambda d: d.update(format="other"), "not an rnn-tui snapshot file"),
    (lambda d: d.update(version=99), "version"),
    (lambda d: d["snapshots"].append({"step": 40, "val_loss": 1.0, "val_chars": 1, "seconds": 1}), "missing tensor"),
    (lambda d: d["snapshots"][0].update(val_loss=-1.0), "finite numbers"),
    (lambda d: d["snapshots"][0].update(step="x"), "finite numbers"),
    (lambda d: d.update(snapshots=[]), "1 to 64 entries"),
    (lambda d: d["model"].update(hidden=9), "has shape"),
])
def test_a_damaged_snapshot_file_is_one_clear_error(tmp_path, change, message):
    path, _ = _small_file(tmp_path)
    _rewrite_document(path, change)
    with pytest.raises(CheckpointError, match=message) as e:
        snapshots.load(path)
    assert str(path) in str(e.value)


def test_a_checkpoint_is_not_a_snapshot_file(tmp_path, lstm_checkpoint):
    with pytest.raises(CheckpointError, match="not an rnn-tui snapshot file"):
        snapshots.load(lstm_checkpoint)
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 5)
    with pytest.raises(CheckpointError):
        snapshots.load(tmp_path / "junk.safetensors")
    path, _ = _small_file(tmp_path)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CheckpointError, match="truncated"):
        snapshots.load(path)


def test_training_time_steps_from_the_checkpoint_back_to_step_zero(tmp_path):
    opts = options(tmp_path, prose(6000), max_steps=60, eval_every=None)
    run(opts)
    ckpt = checkpoint.load(opts.out)
    tt = TrainingTime.beside(ckpt)
    assert isinstance(tt, TrainingTime)
    assert tt.label().startswith("trained model (step 60")
    assert tt.model() is not None and not tt.move(+1)
    labels = []
    while tt.move(-1):
        labels.append(tt.label())
    assert labels[-1].startswith("training step 0 of 60")
    assert "training step 60" not in " ".join(labels)  # the checkpoint's own step is the checkpoint
    ids = ckpt.vocab.encode("the quick brown fox\n" * 5)
    assert tt.model().nll(ids) > ckpt.model().nll(ids)  # step 0 is noise


def test_training_time_says_why_there_is_none(tmp_path, lstm_checkpoint):
    from rnn_tui.core.checkpoint import load

    assert "no training snapshots" in TrainingTime.beside(load(lstm_checkpoint))
    path, _ = _small_file(tmp_path)
    other = tmp_path / "m.safetensors"
    other.write_bytes(lstm_checkpoint.read_bytes())
    assert "belongs to another model" in TrainingTime.beside(load(other))


def test_training_time_puts_an_earlier_kept_checkpoint_in_step_order(tmp_path):
    path, _ = _small_file(tmp_path)  # snapshots at steps 0, 10, 30
    snaps = snapshots.load(path)
    ckpt = checkpoint.Checkpoint(tmp_path / "m.safetensors", snaps.config, snaps.vocab, snaps.items[1].tensors,
                                 {"steps": 20, "val_loss": 1.3})
    tt = TrainingTime(ckpt, snaps)
    assert tt.label() == "trained model (step 20, held-out 1.300 nats/char)"
    assert tt.move(1) and tt.label().startswith("training step 30 of 20")
    assert not tt.move(1)
    assert tt.move(-2) and tt.label().startswith("training step 10 of 20")
