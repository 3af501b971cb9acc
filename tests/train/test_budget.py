"""A run that follows its budget: schedules as fractions of it, a size chosen from it, cheap validation."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from rnn_tui.core import checkpoint  # noqa: E402
from rnn_tui.core.cells import Config  # noqa: E402
from rnn_tui.core.errors import UserError  # noqa: E402
from rnn_tui.train import sizing  # noqa: E402
from rnn_tui.train.model import nll  # noqa: E402
from rnn_tui.train.options import CPU_DEFAULTS, TrainOptions, flag_defaults  # noqa: E402
from rnn_tui.train.report import QuietReporter  # noqa: E402
from rnn_tui.train.trainer import VAL_SUBSET, Trainer, learning_rate  # noqa: E402

from .helpers import cli, options, prose, run  # noqa: E402


def test_warmup_is_a_fraction_of_the_budget_so_a_slow_machine_reaches_the_peak_rate():
    # The report: 5 steps in 60 s and the rate never rose above 3.4e-05 behind a 100-step warm-up.
    o = TrainOptions("t.txt", "m.safetensors", lr=4e-3, time_budget=60.0)
    assert learning_rate(o, step=0, elapsed=0.0) > 0
    assert learning_rate(o, step=1, elapsed=12.0) > 0.5 * o.lr  # step 1, a fifth of the way: past warm-up
    assert learning_rate(o, step=1, elapsed=0.6) == pytest.approx(o.lr * 0.5, rel=0.01)  # half-way through warm-up
    assert learning_rate(o, step=5, elapsed=60.0) == pytest.approx(o.lr * o.final_lr_frac)


def test_warmup_and_decay_follow_max_steps_without_a_budget():
    o = TrainOptions("t.txt", "m.safetensors", lr=1e-2, max_steps=5)
    rates = [learning_rate(o, s, 0.0) for s in range(5)]
    assert max(rates) > 0.6 * o.lr and rates == sorted(rates, reverse=True)
    assert rates[-1] == pytest.approx(o.lr * o.final_lr_frac)


def test_one_set_of_defaults_feeds_the_command_line():
    from rnn_tui.commands.train import DEFAULTS

    assert DEFAULTS == flag_defaults()
    assert DEFAULTS["batch"] is None and DEFAULTS["layers"] is None  # filled per device, or chosen by budget
    filled = TrainOptions("t.txt", "m.safetensors").with_device_defaults(CPU_DEFAULTS)
    assert (filled.batch, filled.seq_len, filled.lr) == (CPU_DEFAULTS.batch, CPU_DEFAULTS.seq_len, CPU_DEFAULTS.lr)


def test_validation_scores_a_subset_during_the_run_and_everything_at_the_end(tmp_path):
    opts = options(tmp_path, prose(VAL_SUBSET * 25), max_steps=20, eval_every=None)
    t = Trainer(opts, reporter=QuietReporter())
    assert len(t.val_ids) > 1.2 * VAL_SUBSET
    scored = []
    validate = t.validate
    t.validate = lambda ids=None: scored.append(len(t.val_subset if ids is None else ids)) or validate(ids)
    t.run()
    assert scored and set(scored) == {VAL_SUBSET}
    prov = checkpoint.load(opts.out).provenance
    assert prov["val_chars"] == len(t.val_ids)
    assert prov["val_loss"] == pytest.approx(nll(t.model, t.val_ids), abs=1e-4)


def test_a_time_budget_is_kept_with_evaluations_inside_it(tmp_path):
    opts = options(tmp_path, prose(20_000), max_steps=None, time_budget=1.5, eval_every=None)
    t = run(opts)
    assert t.step > 5
    assert t.elapsed < 1.5 + 1.0  # the last step and the final scoring may run over, not a whole extra eval round


class FakeClock:
    """A machine where a step costs a + b·macs seconds: what the probe would measure."""

    def __init__(self, a: float, b: float):
        self.a, self.b = a, b

    def __call__(self, config, batch, seq_len, device, steps=3, give_up=math.inf):
        return self.a + self.b * sizing.macs_per_char(config)


def _plan(monkeypatch, budget: float, train_chars: int, clock: FakeClock, **kw):
    monkeypatch.setattr(sizing, "time_steps", clock)
    monkeypatch.setattr(sizing, "choose_threads", lambda c, b, s, d: (1, clock(c, b, s, d)))
    return sizing.plan("lstm", 95, None, 32, 64, train_chars, budget, torch.device("cpu"), **kw)


def test_a_longer_budget_or_a_faster_machine_affords_a_bigger_model(monkeypatch):
    slow, fast = FakeClock(0.01, 2e-7), FakeClock(0.005, 2e-8)
    sizes = [(p.layers, p.hidden) for p in (_plan(monkeypatch, 60, 10**7, slow), _plan(monkeypatch, 600, 10**7, slow),
                                            _plan(monkeypatch, 600, 10**7, fast))]
    params = [Config("lstm", lay, hid, 95).parameters() for lay, hid in sizes]
    assert params[0] < params[1] < params[2], sizes


def test_a_short_text_caps_the_size_however_long_the_budget(monkeypatch):
    p = _plan(monkeypatch, 3600, 50_000, FakeClock(0.001, 1e-9))
    assert Config("lstm", p.layers, p.hidden, 95).parameters() <= sizing.PARAMS_PER_CHAR * 50_000
    assert "per training character" in p.reason


def test_given_layers_restrict_the_choice(monkeypatch):
    p = _plan(monkeypatch, 600, 10**7, FakeClock(0.01, 2e-8), layers=2)
    assert p.layers == 2


def test_a_budget_shorter_than_one_step_says_how_long_a_step_takes(monkeypatch):
    with pytest.raises(UserError, match=r"shorter than one training step here: a step of .* takes 2\.00 s"):
        _plan(monkeypatch, 1.0, 10**6, FakeClock(2.0, 0.0))


def test_a_model_too_big_for_memory_is_refused_before_it_is_built():
    with pytest.raises(UserError, match=r"needs about .* GB of memory to train, but 1\.0 GB is free"):
        sizing.check_memory(Config("lstm", 4, 4096, 95), 32, 64, available=2**30)
    sizing.check_memory(Config("lstm", 1, 128, 95), 32, 64, available=2**30)


# Bad input that needs torch to be found: in-process (a subprocess would import torch again); the one-line
# form of every UserError is `rnn_tui.__main__`'s, pinned by test_train's subprocess cases.
@pytest.mark.parametrize("args,expected", [
    (["--layers", "8", "--hidden", "8192"], r"LSTM 8×8192 with batch 32 × 64 needs about .* GB of memory"),
    (["--time-budget", "0.001"], r"shorter than one training step here: a step of LSTM 1×\d+ .* takes"),
    (["--time-budget", "0.001", "--layers", "1", "--hidden", "16", "--threads", "1"],
     r"shorter than one training step here: a step of LSTM 1×16 .* took \d+\.\d\d s .* \(nothing was saved\)"),
], ids=["too big for memory", "budget too short (probe)", "budget too short (first step)"])
def test_bad_input_found_after_torch_loads_writes_nothing(tmp_path, monkeypatch, args, expected):
    from rnn_tui.commands.train import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.txt").write_text(prose(10_000))
    with pytest.raises(UserError, match=expected) as e:
        main(["ok.txt", "--device", "cpu", *args])
    assert len(str(e.value)) <= 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.txt"]


def test_the_command_chooses_a_size_and_says_why(tmp_path):
    (tmp_path / "t.txt").write_text(prose(30_000))
    r = cli(["train", "t.txt", "--time-budget", "30", "--max-steps", "5", "--threads", "1", "--device", "cpu"],
            tmp_path)
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith("size: LSTM ") and " chosen for 30 s on 1 thread(s) " in first and "chars/s" in first, first
    assert "characters it can see in" in first
    assert (tmp_path / "t-lstm.safetensors").is_file()
