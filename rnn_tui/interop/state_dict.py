"""Find a character model in a PyTorch `state_dict` whatever its module names, from the tensors' shapes.

A char-RNN is an input (an `nn.Embedding(V, E)`, or one-hot characters), one
`nn.RNN`/`nn.GRU`/`nn.LSTM` stack, and an `nn.Linear(H, V)` decoder. Tutorials
name these modules freely (`encoder`/`embedding`/`embed`, `rnn`/`lstm`/`gru`,
`decoder`/`fc`/`linear`/`out`…), so names are only a tie-break: the recurrent
stack is the module with `weight_hh_l0`, its cell follows from that tensor's
rows (1, 3 or 4 times the hidden size: RNN, GRU, LSTM), the decoder is the 2-D
weight with H columns, and the embedding the bias-free 2-D weight with the
decoder's V rows and the stack's input width. Every tensor must be used: a
tensor left over (a LayerNorm, a second decoder) means a network this viewer
would run wrongly, so it is refused by name rather than ignored. numpy only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product

import numpy as np

from ..core.cells import CELLS
from ..core.checkpoint import MAX_LAYERS
from ..core.safe import safe_text

_GATES_TO_CELL = {CELLS[name].gates: name for name in ("rnn", "gru", "lstm")}
_RECURRENT = re.compile(r"(weight|bias)_(ih|hh)_l(\d+)")
# wrappers that prefix every key: DataParallel's `module.`, torch.compile's `_orig_mod.`
_WRAPPERS = ("module.", "_orig_mod.")
# names that settle a tie between two tensors of the same shape
_DECODER_NAMES = {"decoder", "fc", "linear", "out", "output", "head", "proj", "classifier", "lm_head", "dense"}
_EMBED_NAMES = {"encoder", "embedding", "embeddings", "embed", "emb", "char_embedding"}


@dataclass(frozen=True)
class Layout:
    cell: str
    layers: int
    hidden: int
    vocab_size: int
    embed_dim: int | None
    tensors: dict[str, np.ndarray]  # under the checkpoint's names: embed.weight, rnn.*, head.*
    modules: str  # what was found, for provenance: "encoder → gru (2 layers) → decoder"


def _shown(name: str) -> str:
    return safe_text(repr(name), 60)


def strip_wrappers(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for key, value in tensors.items():
        for wrapper in _WRAPPERS:
            key = key.removeprefix(wrapper)
        if key in out:
            raise ValueError(f"two tensors are both named {_shown(key)} once 'module.' is removed")
        out[key] = value
    return out


def find_layout(tensors: dict[str, np.ndarray], cell_hint: str | None = None) -> Layout:
    """The model in `tensors`, renamed; ValueError naming what did not fit."""
    tensors = strip_wrappers(tensors)
    prefix = _recurrent_prefix(tensors)
    w_hh = tensors[f"{prefix}weight_hh_l0"]
    if w_hh.ndim != 2 or w_hh.shape[1] == 0 or w_hh.shape[0] % w_hh.shape[1]:
        raise ValueError(f"{_shown(prefix + 'weight_hh_l0')} has shape {tuple(w_hh.shape)}, not (gates × hidden, "
                         "hidden) as in nn.RNN, nn.GRU or nn.LSTM")
    hidden = int(w_hh.shape[1])
    cell = _GATES_TO_CELL.get(w_hh.shape[0] // hidden)
    if cell is None:
        raise ValueError(f"{_shown(prefix + 'weight_hh_l0')} has {w_hh.shape[0]} rows for {hidden} units: not "
                         "1, 3 or 4 times (RNN, GRU, LSTM)")
    if cell_hint is not None and cell_hint != cell:
        raise ValueError(f"the file says cell {safe_text(repr(cell_hint), 20)} but the weights' shapes are a {cell}'s")
    recurrent, layers = _recurrent_tensors(tensors, prefix, cell, hidden)
    w_ih = tensors.get(f"{prefix}weight_ih_l0")
    if w_ih is None or w_ih.ndim != 2:
        raise ValueError(f"no input weights {_shown(prefix + 'weight_ih_l0')} of 2 dimensions")
    width = int(w_ih.shape[1])
    rest = {k: v for k, v in tensors.items() if k not in recurrent}
    head, embed = _pick_head_and_embedding(rest, hidden, width)
    vocab_size = int(rest[f"{head}weight"].shape[0])
    out = {f"rnn.{k.removeprefix(prefix)}": v for k, v in recurrent.items()}
    out["head.weight"] = rest[f"{head}weight"]
    out["head.bias"] = rest.get(f"{head}bias", np.zeros(vocab_size, dtype=np.float32))
    if embed is not None:
        out["embed.weight"] = rest[f"{embed}weight"]
    names = [(embed or "").rstrip(".") or "one-hot", f"{prefix.rstrip('.') or cell} ({layers} layer"
             f"{'s' if layers > 1 else ''})", head.rstrip(".") or "linear"]
    return Layout(cell, layers, hidden, vocab_size, width if embed is not None else None, out,
                  safe_text(" → ".join(names), 120))


def _recurrent_prefix(tensors: dict[str, np.ndarray]) -> str:
    if any(k.endswith("_reverse") for k in tensors):
        raise ValueError("a bidirectional network reads the text backwards too, so it cannot write one "
                         "character at a time")
    if any(re.search(r"weight_hr_l\d+$", k) for k in tensors):
        raise ValueError("an LSTM with proj_size (weight_hr) is not supported")
    prefixes = sorted({k[: -len("weight_hh_l0")] for k in tensors if k.endswith("weight_hh_l0")})
    if not prefixes:
        raise ValueError("no recurrent weights: expected an nn.RNN, nn.GRU or nn.LSTM (a tensor named like "
                         "'rnn.weight_hh_l0'; nn.LSTMCell-style loops are not read)")
    if len(prefixes) > 1:
        raise ValueError(f"two recurrent modules, {_shown(prefixes[0].rstrip('.'))} and "
                         f"{_shown(prefixes[1].rstrip('.'))}; rnn-tui runs one stack")
    return prefixes[0]


def _recurrent_tensors(tensors: dict[str, np.ndarray], prefix: str, cell: str,
                       hidden: int) -> tuple[dict[str, np.ndarray], int]:
    """The stack's tensors under `prefix`, with zero biases where the module had bias=False."""
    found = {k: v for k, v in tensors.items() if k.startswith(prefix) and _RECURRENT.fullmatch(k[len(prefix):])}
    layers = 0
    while f"{prefix}weight_hh_l{layers}" in found:
        layers += 1
    if layers > MAX_LAYERS:
        raise ValueError(f"{layers} layers (the limit is {MAX_LAYERS})")
    beyond = [k for k in found if int(_RECURRENT.fullmatch(k[len(prefix):]).group(3)) >= layers]
    if beyond:
        raise ValueError(f"tensor {_shown(beyond[0])} belongs to no layer of the {layers}-layer stack")
    gates = CELLS[cell].gates * hidden
    out = dict(found)
    biases = [f"{prefix}bias_{kind}_l{k}" for k in range(layers) for kind in ("ih", "hh")]
    if not any(b in found for b in biases):  # bias=False: the same network with zero biases
        out.update({b: np.zeros(gates, dtype=np.float32) for b in biases})
    return out, layers


def _modules(rest: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Every module with a 2-D `weight`: its weight and bias (or None), keyed by its prefix ("decoder.")."""
    out = {}
    for key, value in rest.items():
        if key.endswith("weight") and value.ndim == 2:
            prefix = key[: -len("weight")]
            if prefix == "" or prefix.endswith("."):
                out[prefix] = (value, rest.get(f"{prefix}bias"))
    return out


def _pick_head_and_embedding(rest: dict[str, np.ndarray], hidden: int, width: int) -> tuple[str, str | None]:
    """The decoder (H columns) and the embedding (if any) that use every tensor; ties settled by name."""
    modules = _modules(rest)
    heads = [m for m, (w, b) in modules.items() if w.shape[1] == hidden and (b is None or b.shape == (w.shape[0],))]
    if not heads:
        raise ValueError(f"no decoder: expected an nn.Linear({hidden}, characters) after the recurrent stack "
                         f"(a 2-D weight with {hidden} columns)")
    fits = []
    for head, embed in product(heads, [None, *modules]):
        v = modules[head][0].shape[0]
        if embed == head:
            continue
        if embed is None and width != v:
            continue
        if embed is not None:
            w, b = modules[embed]
            if b is not None or w.shape != (v, width):
                continue
        used = {f"{head}weight", f"{head}bias", *([f"{embed}weight"] if embed is not None else [])}
        left = sorted(set(rest) - used)
        fits.append((head, embed, left))
    complete = [f for f in fits if not f[2]]
    if not complete:
        if len(heads) > 1:  # each leaves the other over: say what the choice was between
            raise ValueError(f"two candidate decoders, {_shown(heads[0] + 'weight')} and {_shown(heads[1] + 'weight')}"
                             "; keep one in the state dict")
        if fits:
            raise ValueError(f"tensor {_shown(fits[0][2][0])} does not fit an embedding → RNN → linear model")
        v = modules[heads[0]][0].shape[0]
        raise ValueError(f"the recurrent stack reads {width} inputs, but the decoder writes {v} characters and no "
                         f"embedding of shape ({v}, {width}) is there")
    if len(complete) > 1:
        complete = _by_name(complete)
    if len(complete) > 1:
        (h1, e1, _), (h2, e2, _) = complete[:2]
        what = (f"two candidate decoders, {_shown(h1 + 'weight')} and {_shown(h2 + 'weight')}" if h1 != h2 else
                f"two candidate embeddings, {_shown((e1 or '') + 'weight')} and {_shown((e2 or '') + 'weight')}")
        raise ValueError(f"{what}; rename one to 'decoder' or 'encoder'")
    head, embed, _ = complete[0]
    return head, embed


def _by_name(fits: list[tuple[str, str | None, list[str]]]) -> list[tuple[str, str | None, list[str]]]:
    def last(prefix: str | None) -> str:
        return (prefix or "").rstrip(".").rsplit(".", 1)[-1].lower()

    named = [f for f in fits if last(f[0]) in _DECODER_NAMES and (f[1] is None or last(f[1]) in _EMBED_NAMES)]
    return named or fits
