"""`.pt` files that are not what the importer expects: each one CheckpointError naming the problem."""

from __future__ import annotations

import os

import pytest

from rnn_tui.core.errors import CheckpointError
from rnn_tui.core.safe import safe_text
from rnn_tui.interop import load_model

torch = pytest.importorskip("torch")


def state_dict() -> dict:
    torch.manual_seed(0)
    lstm, head = torch.nn.LSTM(5, 8), torch.nn.Linear(8, 5)
    return {**{f"lstm.{k}": v for k, v in lstm.state_dict().items()},
            **{f"fc.{k}": v for k, v in head.state_dict().items()}}


def with_tensor(name, value):
    return {**state_dict(), name: value}


CASES = {
    "integer key": (lambda: with_tensor(3, torch.zeros(2)), "key 3 that is not a name"),
    "meta tensor": (lambda: with_tensor("fc.bias", torch.zeros(5, device="meta")), "'meta' device"),
    "sparse tensor": (lambda: with_tensor("fc.weight", state_dict()["fc.weight"].to_sparse()), "is sparse"),
    "complex tensor": (lambda: with_tensor("fc.weight", state_dict()["fc.weight"].to(torch.complex64)),
                       "dtype complex64"),
    "integer tensor": (lambda: with_tensor("fc.bias", torch.zeros(5, dtype=torch.int32)), "dtype int32"),
    "1-D weight_hh": (lambda: with_tensor("lstm.weight_hh_l0", torch.zeros(32)), "shape (32,)"),
    "3-D weight_hh": (lambda: with_tensor("lstm.weight_hh_l0", torch.zeros(32, 8, 1)), "shape (32, 8, 1)"),
    "overflowing weights": (lambda: {k: torch.full_like(v, 3e38) for k, v in state_dict().items()}, "overflow"),
    "NaN weights": (lambda: with_tensor("fc.bias", torch.full((5,), float("nan"))), "NaN"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_pt_file_the_importer_cannot_use_is_one_checkpoint_error(tmp_path, case):
    make, words = CASES[case]
    path = tmp_path / "m.pt"
    torch.save({"state_dict": make(), "vocab": list("abcde"), "cell": "lstm"}, path)
    with pytest.raises(CheckpointError) as err:
        load_model(path)
    message = str(err.value)
    assert words in message and "\n" not in message and safe_text(message) == message, message


def test_a_pt_file_with_deeply_nested_provenance_is_refused(tmp_path):
    deep: list = [1]
    for _ in range(40):
        deep = [deep]
    path = tmp_path / "m.pt"
    torch.save({"state_dict": state_dict(), "vocab": list("abcde"), "cell": "lstm", "provenance": {"x": deep}}, path)
    with pytest.raises(CheckpointError, match="nested more than 32 deep"):
        load_model(path)


def test_a_fifo_named_pt_is_refused_without_blocking(tmp_path):
    path = tmp_path / "m.pt"
    os.mkfifo(path)
    with pytest.raises(CheckpointError, match="FIFO"):
        load_model(path)


def test_a_good_pt_file_still_loads(tmp_path):
    path = tmp_path / "m.pt"
    torch.save({"state_dict": state_dict(), "vocab": list("abcde"), "cell": "lstm", "provenance": {"corpus": "c"}},
               path)
    ckpt = load_model(path)
    assert ckpt.config.hidden == 8 and ckpt.provenance["corpus"] == "c"
