"""`rnn-tui train TEXT_FILE ...`: flags, checks and the progress display.

Every check a user can fail (options, the file, its encoding and length) runs
before `import torch` (1.7 s), and each failure is one UserError line, exit
status 2, with nothing written. The display is a Rich live panel on a terminal
and plain log lines otherwise (a log file, a CI job, `nohup`).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from ..core.cells import CELLS
from ..core.errors import UserError, needs_torch
from ..core.safe import safe_text
from ..train.options import CPU_DEFAULTS, DEFAULT_BUDGET, GPU_DEFAULTS, TrainOptions, flag_defaults
from ._args import OneLineParser, say
from ._inputs import STDIN, add_model_options, open_model, read_input_text

# The defaults live in train/options.py (torch-free); argparse's are None so that --resume can tell
# which flags were given, and so that the device-dependent ones are filled in once the device is known.
DEFAULTS: dict[str, Any] = flag_defaults()
# What a resumed run may change; everything else must match the run it continues.
RESUME_MAY_CHANGE = {"time_budget", "max_steps", "eval_every", "sample_every", "threads", "device"}


def _int(lo: int, hi: int | None = None):
    def parse(value: str) -> int:
        try:
            n = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
        if n < lo or (hi is not None and n > hi):
            raise argparse.ArgumentTypeError(f"must be {'at least ' + str(lo) if hi is None else f'{lo} to {hi}'}, "
                                             f"got {value}")
        return n
    return parse


def _float(lo: float, hi: float, lo_open: bool = True, hi_open: bool = False):
    def parse(value: str) -> float:
        try:
            f = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
        if not math.isfinite(f) or f < lo or f > hi or (lo_open and f == lo) or (hi_open and f == hi):
            left, right = "(" if lo_open else "[", ")" if hi_open else "]"
            raise argparse.ArgumentTypeError(f"must be in {left}{lo:g}, {hi:g}{right}, got {value}")
        return f
    return parse


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="rnn-tui train",
        description="Train a character-level RNN/GRU/LSTM on a text file with PyTorch and save it for the viewer. "
                    "The last --val-frac of the file is held out for validation and never trained on; the "
                    "checkpoint with the best validation loss is kept. Ctrl-C stops cleanly (resume with --resume).",
    )
    a = p.add_argument
    a("text_file", help="UTF-8 text to learn (.xz accepted), or - for standard input")
    a("--out", "-o", help="checkpoint to write (.safetensors); default: TEXT-CELL.safetensors, or "
                                  "TEXT-CELL-LAYERSxHIDDEN.safetensors when both sizes are given")
    a("--cell", choices=CELLS, help="recurrent cell (default lstm)")
    a("--layers", type=_int(1, 8), help="stacked layers (default: chosen from the time budget and this machine's "
                                         "measured speed)")
    a("--hidden", type=_int(1, 8192), help="hidden units per layer (default: chosen like --layers)")
    a("--embedding", type=_int(1, 8192), metavar="DIM", help="learned embedding of DIM (default: one-hot input)")
    a("--dropout", type=_float(0, 1, lo_open=False, hi_open=True), help="dropout between layers (default 0)")
    a("--seq-len", type=_int(1, 100_000), help="characters per window of backpropagation (default "
                                                 f"{CPU_DEFAULTS.seq_len} on a CPU, {GPU_DEFAULTS.seq_len} on a GPU)")
    a("--batch", type=_int(1, 100_000), help=f"streams trained side by side (default {CPU_DEFAULTS.batch} on a CPU, "
                                             f"{GPU_DEFAULTS.batch} on a GPU)")
    a("--lr", type=_float(0, 10), help=f"Adam learning rate, warm-up then cosine decay over the run (default "
                                       f"{CPU_DEFAULTS.lr:g} on a CPU, {GPU_DEFAULTS.lr:g} on a GPU)")
    a("--time-budget", type=_float(0, 1e9), metavar="SECONDS",
      help=f"stop after this many seconds (default {DEFAULT_BUDGET:g} unless --max-steps is given)")
    a("--max-steps", type=_int(1), help="stop after this many steps")
    a("--seed", type=_int(0, 2**63 - 1), help="random seed (default 0)")
    a("--device", choices=("auto", "cpu", "cuda"), help="where to train (default auto: CUDA if available)")
    a("--resume", action="store_true", help="continue from OUT.resume.pt (optimizer, RNG, step, elapsed time)")
    a("--val-frac", type=_float(0, 0.5), help="fraction held out at the end of the text (default 0.05)")
    a("--eval-every", type=_int(1), metavar="STEPS", help="validate every STEPS steps (default: 10 times per run)")
    a("--sample-every", type=_int(0), metavar="STEPS", help="show a sample every STEPS steps (default: at each "
                                                              "validation; 0: never)")
    a("--threads", type=_int(1, 1024), help="CPU threads for PyTorch (default: 1 or all cores, whichever a "
                                              "short probe finds faster; 1 is kind to others on a shared machine)")
    a("--grad-clip", dest="clip", type=_float(0, 1e6, lo_open=False), metavar="NORM",
      help=f"scale the gradient down to this norm when it is longer (default {DEFAULTS['clip']:g}; 0: never)")
    a("--init-from", metavar="MODEL", help="start from this model's weights instead of random ones (continue or "
                                           "fine-tune); its size is kept, and characters of the text it does not "
                                           "know are added after its own; a lower --lr keeps more of it")
    a("--watch", action="store_true", help="show the current sample and a plot of the loss while training")
    add_model_options(p, model=False)
    return p


def _given(args: argparse.Namespace) -> dict[str, Any]:
    return {k: v for k, v in vars(args).items() if k in DEFAULTS and v is not None}


def _default_out(text_file: str, given: dict[str, Any]) -> str:
    stem = Path(text_file).name.removesuffix(".xz").rsplit(".", 1)[0]
    size = f"-{given['layers']}x{given['hidden']}" if "layers" in given and "hidden" in given else ""
    return f"{stem}-{given.get('cell', 'lstm')}{size}.safetensors"


def _init_from(args: argparse.Namespace, given: dict[str, Any]) -> Any:
    """The model --init-from names (numpy: no torch yet), its architecture written into `given`."""
    if args.resume:
        raise UserError("--init-from starts a new run from a model; --resume continues a run: give one of them")
    init = open_model(args, args.init_from)
    c = init.config
    theirs = {"cell": c.cell, "layers": c.layers, "hidden": c.hidden, "embedding": c.embed_dim}
    for key, value in theirs.items():
        if key in given and given[key] != value:
            shape = f"{c.label}{f' with an embedding of {c.embed_dim}' if c.embed_dim else ''}"
            raise UserError(f"--init-from {safe_text(init.name, 60)}: the model is {shape}, so --{key} "
                            f"{given[key]} does not fit it (leave it out)")
    given.update({k: v for k, v in theirs.items() if v is not None})
    return init


def _check_paths(text_file: str, out: str) -> None:
    outp = Path(out)
    if outp.suffix != ".safetensors":
        raise UserError(f"--out {out}: the checkpoint file name must end in .safetensors")
    if outp.is_dir():
        raise UserError(f"--out {out}: is a directory")
    if text_file != STDIN and outp.resolve() == Path(text_file).resolve():
        raise UserError("--out would overwrite the training text")


def _import_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise UserError(needs_torch("training")) from None


def _resumed_values(out: str, given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The saved run's options (checked against the flags given) and the resume file's contents."""
    _import_torch()
    from ..train.trainer import read_resume

    resume_data = read_resume(Path(f"{out}.resume.pt"))
    saved = {k: v for k, v in resume_data["options"].items() if k in DEFAULTS}
    for k, v in given.items():
        if k not in RESUME_MAY_CHANGE and k in saved and saved[k] != v:
            flag = "grad-clip" if k == "clip" else k.replace("_", "-")
            raise UserError(f"--resume: --{flag} {v} differs from the run being resumed "
                            f"({saved[k]}); only {', '.join(sorted(RESUME_MAY_CHANGE))} may change")
    return saved, resume_data


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as e:  # --help
        return int(e.code or 0)
    given = _given(args)
    if args.text_file == STDIN and args.resume:
        raise UserError("--resume reads the text again: give its file, not - (standard input)")
    init = _init_from(args, given) if args.init_from else None
    out = args.out or _default_out(args.text_file if args.text_file != STDIN else "stdin", given)
    _check_paths(args.text_file, out)
    text = read_input_text(args.text_file)[0] if args.text_file == STDIN or init is not None else None
    vocab = init.vocab.extended(text) if init is not None else None
    saved, resume_data = _resumed_values(out, given) if args.resume else ({}, None)
    values = {**DEFAULTS, **saved, **given}
    if args.resume and ("time_budget" in given or "max_steps" in given):
        values["time_budget"] = given.get("time_budget")
        values["max_steps"] = given.get("max_steps")
    if values["time_budget"] is None and values["max_steps"] is None:
        values["time_budget"] = DEFAULT_BUDGET
    from ..train.data import prepare
    from ..train.output import check_writable

    corpus = None
    if not args.resume:  # the file's checks, before the 1.7 s import of torch
        early = GPU_DEFAULTS if values["device"] == "cuda" else CPU_DEFAULTS
        corpus = prepare(args.text_file, values["batch"] or early.batch, values["seq_len"] or early.seq_len,
                         values["val_frac"], vocab, text)
        check_writable(out)
        _import_torch()
    from ..train.trainer import Trainer, resolve_device

    device = resolve_device(values["device"])
    opts = TrainOptions(text_file=args.text_file, out=out, resume=bool(args.resume), **values)
    opts = opts.with_device_defaults(GPU_DEFAULTS if device.type == "cuda" else CPU_DEFAULTS)
    if corpus is not None and (opts.batch, opts.seq_len) != (values["batch"] or early.batch,
                                                            values["seq_len"] or early.seq_len):
        corpus = prepare(args.text_file, opts.batch, opts.seq_len, opts.val_frac, vocab, text)  # a GPU's wider batch
    if opts.layers and opts.hidden:  # before any probe allocates it
        from ..core.cells import Config
        from ..train.sizing import check_memory

        vocab_size = len(corpus.vocab) if corpus is not None else 256
        check_memory(Config(opts.cell, opts.layers, opts.hidden, vocab_size, opts.embedding), opts.batch, opts.seq_len)
    if not args.resume and opts.time_budget and not {"layers", "hidden", "threads"} <= given.keys():
        opts = _fit_budget(opts, given, corpus, device)
    from ..train.report import make_reporter

    trainer = Trainer(opts, reporter=make_reporter(watch=args.watch), corpus=corpus, resume_data=resume_data,
                      init=init)
    result = trainer.run()
    return 0 if result.best_val is not None else 1


def _fit_budget(opts: TrainOptions, given: dict[str, Any], corpus: Any, device: Any) -> TrainOptions:
    """Time a few steps here; pick the size (unless given) and the thread count (unless given); say so.

    The probe's seconds come out of the budget, so the whole command keeps to it."""
    from dataclasses import replace

    from ..train.sizing import plan

    p = plan(opts.cell, len(corpus.vocab), opts.embedding, opts.batch, opts.seq_len, len(corpus.train_ids),
             opts.time_budget, device, given.get("layers"), given.get("hidden"), given.get("threads"))
    chosen = "given" if {"layers", "hidden"} <= given.keys() else "chosen"
    say(f"size: {opts.cell.upper()} {p.layers}×{p.hidden} {chosen} for {opts.time_budget:g} s on "
        f"{p.threads} thread(s) ({p.reason}); probe {p.probe_seconds:.1f} s, about "
        f"{p.chars_per_second:,.0f} chars/s", flush=True)
    return replace(opts, layers=p.layers, hidden=p.hidden, threads=p.threads,
                   time_budget=opts.time_budget - p.probe_seconds)
