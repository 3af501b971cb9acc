"""The numpy transformer: exact to the torch model, its cached step equal to the batched forward,
its windows restarting by one rule, and its checkpoints loading like the RNNs'."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tui.core import checkpoint
from rnn_tui.core.session import Session
from rnn_tui.core.transformer import Transformer, TransformerConfig, restart_start, window_of
from rnn_tui.core.vocab import Vocab

CONFIG = TransformerConfig("transformer", layers=2, hidden=24, vocab_size=11, heads=3, context=16)


def random_model(config: TransformerConfig = CONFIG, seed: int = 0) -> Transformer:
    rng = np.random.default_rng(seed)
    tensors = {}
    for name, shape in config.shapes().items():
        if name.endswith(("ln1.weight", "ln2.weight", "ln_f.weight")):
            tensors[name] = (1 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
        else:
            tensors[name] = (0.3 * rng.standard_normal(shape)).astype(np.float32)
    return Transformer(config, tensors)


def test_the_window_restarts_from_its_last_half_when_full():
    assert [restart_start(t, 16) for t in (0, 15, 16, 23, 24, 31, 32)] == [0, 0, 8, 8, 16, 16, 24]
    model = random_model()
    state = model.initial_state()
    lengths = []
    for i in range(40):
        state, _, _ = model.step(state, i % 11)
        lengths.append(len(window_of(state)))
    assert lengths[:16] == list(range(1, 17))
    assert lengths[16:25] == list(range(9, 17)) + [9]
    assert min(lengths[16:]) == 9 and max(lengths) == 16


def test_the_cached_step_equals_the_batched_forward_across_restarts():
    model = random_model()
    ids = np.random.default_rng(1).integers(0, 11, 100)
    s_step, lg_step, acts_step = model.run(ids)
    s_fwd, lg_fwd, acts_fwd = model.forward(ids, capture=True)
    np.testing.assert_allclose(lg_step, lg_fwd, atol=1e-5)
    np.testing.assert_allclose(acts_step, acts_fwd, atol=1e-5)
    np.testing.assert_array_equal(s_step, s_fwd)


def test_forward_from_a_state_goes_on_as_one_pass_and_streams_are_independent():
    model = random_model()
    ids = np.random.default_rng(2).integers(0, 11, (3, 60))
    _, whole, _ = model.forward(ids)
    state, first, _ = model.forward(ids[:, :23])
    _, rest, _ = model.forward(ids[:, 23:], state)
    np.testing.assert_allclose(np.concatenate([first, rest], axis=1), whole, atol=1e-5)
    _, alone, _ = model.forward(ids[1])
    np.testing.assert_allclose(alone, whole[1], atol=1e-5)


def test_a_replayed_step_has_the_same_bits_however_the_keys_were_reached():
    model = random_model()
    ids = np.random.default_rng(3).integers(0, 11, 50)
    states, outs = [model.initial_state()], []
    for i in ids:
        s, lg, acts = model.step(states[-1], int(i))
        states.append(s)
        outs.append((lg, acts))
    fresh = random_model()  # an empty memo: every window is rebuilt from its characters
    for t in (49, 30, 17, 3):
        _, lg, acts = fresh.step(states[t], int(ids[t]))
        np.testing.assert_array_equal(lg, outs[t][0])
        np.testing.assert_array_equal(acts, outs[t][1])
    _, lg, _ = model.step(states[20], 5)  # a branch: another character after a shared window
    _, lg2, _ = fresh.step(states[20], 5)
    np.testing.assert_array_equal(lg, lg2)


def test_session_rewind_and_replay_are_exact_on_a_transformer():
    model = random_model()
    vocab = Vocab("abcdefghij\n")
    s = Session(model, vocab, prime="abc")
    s.forward(300)
    text, logits, acts, state = s.text(), s.logits.copy(), s.acts.copy(), s.state.copy()
    mid = 137
    s.seek(mid)
    mid_logits = s.logits.copy()
    s.seek(299)  # the far end again
    s.seek(2)
    s.forward(300)
    assert s.text() == text
    np.testing.assert_array_equal(s.logits, logits)
    np.testing.assert_array_equal(s.acts, acts)
    np.testing.assert_array_equal(s.state, state)
    s.seek(mid)
    np.testing.assert_array_equal(s.logits, mid_logits)


def test_a_checkpoint_round_trips_and_loads_as_a_transformer(tmp_path):
    model = random_model()
    vocab = Vocab("abcdefghij\n")
    path = checkpoint.save(tmp_path / "t.safetensors", CONFIG, vocab, model.tensors, {"val_loss": 1.5})
    ckpt = checkpoint.load(path)
    assert ckpt.config == CONFIG and ckpt.config.label == "Transformer 2×24"
    loaded = ckpt.model()
    assert isinstance(loaded, Transformer)
    ids = np.arange(40) % 11
    np.testing.assert_array_equal(loaded.forward(ids)[1], model.forward(ids)[1])


def test_numpy_matches_torch_for_a_random_transformer():
    torch = pytest.importorskip("torch")
    from rnn_tui.train.transformer import CharTransformer

    torch.manual_seed(0)
    net = CharTransformer(11, 2, 24, 3, 16, 24)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.2 * torch.randn_like(p))
    model = Transformer(CONFIG, net.tensors())
    ids = np.random.default_rng(4).integers(0, 11, (2, 16))
    with torch.no_grad():
        want = net(torch.from_numpy(ids)).numpy()
    np.testing.assert_allclose(model.forward(ids)[1], want, atol=1e-5)
    np.testing.assert_allclose(model.run(ids[0])[1], want[0], atol=1e-5)


def test_a_clamp_holds_a_transformer_unit_and_replays_exactly():
    from rnn_tui.analysis.clamp import describe, model_clamp, parse_pin

    model = random_model()
    pin = parse_pin("L1 x 5 0.25", model.config, 0)
    s = Session(model, Vocab("abcdefghij\n"), prime="abc")
    s.set_clamp(model_clamp(model.config, [pin]), describe([pin]), (pin,))
    s.forward(40)
    assert s.acts[0, 2, 5] == np.float32(0.25)
    text, logits = s.text(), s.logits.copy()
    free = Session(model, Vocab("abcdefghij\n"), prime="abc")
    free.forward(40)
    assert not np.array_equal(free.logits, logits)  # the held unit changed what the model read
    s.seek(10)
    s.forward(32)
    assert s.text() == text
    np.testing.assert_array_equal(s.logits, logits)


def test_the_trainers_val_loss_reads_the_text_as_eval_does():
    torch = pytest.importorskip("torch")
    from rnn_tui.core.pieces import layout
    from rnn_tui.train.transformer import CharTransformer, nll

    torch.manual_seed(1)
    net = CharTransformer(11, 2, 24, 3, 16, 24)
    model = Transformer(CONFIG, net.tensors())
    ids = np.random.default_rng(7).integers(0, 11, 6_001)
    assert layout(6_000, 64, 256).streams == 2  # two pieces, each read by the window rule
    assert nll(net, torch.from_numpy(ids), streams=64) == pytest.approx(model.nll(ids, streams=64), abs=1e-5)
    one = model.nll(ids)  # by default one stream, the whole text by the window rule, as eval scores it
    assert nll(net, torch.from_numpy(ids)) == pytest.approx(one, abs=1e-5)
