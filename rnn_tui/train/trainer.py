"""The training loop: contiguous streams, Adam with warmup and cosine decay, best-val checkpoints.

Batches (why contiguous): the training text is cut into `batch` contiguous
streams, read `seq_len` characters at a time, and the hidden state is carried
from one window to the next (truncated backpropagation through time, as in
Karpathy's char-rnn). Validation (and the viewer) run one long stream from a
zero state, so training on carried state matches how the model is used. Each
pass over the text starts the streams at a random offset (< seq_len) so window
boundaries move. The whole text goes to the device once; a batch is a view.

Schedules follow the run, not a step count: warm-up and cosine decay are
fractions of the time budget (or of --max-steps), so a slow machine that makes
300 steps in its budget warms up as fully as a GPU that makes 30,000.

Validation (why a subset): scoring the whole held-out 5 % of Shakespeare costs
about as much as ten training steps on a CPU. During the run a fixed subset
(the first VAL_SUBSET held-out characters) ranks the evaluations, at fixed
fractions of the run; at the end the whole held-out part scores the kept
checkpoint, and that is the figure its provenance records.

Snapshots: the model at step 0 and at SNAPSHOT_AT fractions of the run, with the
step and held-out loss of each, go to `OUT.snapshots.safetensors`, so the viewer
can step through training time as Karpathy's article does.

Everything that decides the next step (weights, optimizer, RNG states, the
stream position, the carried state, the step and the elapsed time) is written
to `OUT.resume.pt`, so `--resume` continues exactly where training stopped.
Evaluation and samples use no training RNG, so they do not change the run.
"""

from __future__ import annotations

import io
import math
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..core import checkpoint, snapshots
from ..core.atomic import atomic_write_bytes
from ..core.cells import Config
from ..core.errors import UserError
from ..core.vocab import Vocab
from ..interop import load_model
from .data import Corpus, load_text, prepare
from .init_from import load_weights
from .model import CharRNN, detach_state, nll, sample, torch_state
from .options import CPU_DEFAULTS, GPU_DEFAULTS, TrainOptions
from .output import check_writable, remove_stale_temps, save_failed
from .report import Reporter, TrainResult, make_reporter
from .sizing import check_memory

RESUME_VERSION = 2
VAL_SUBSET = 16_384  # held-out characters scored during the run (all of them at the end)
EVAL_AT = (0.01, 0.03, 0.06, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # fractions of the run
SNAPSHOT_AT = (0.01, 0.03, 0.06, 0.1, 0.3, 0.6)  # a subset of EVAL_AT; plus step 0 and the end
SAMPLE_CHARS = 160  # characters of each sample shown while training
SAMPLE_TEMPERATURE = 0.8
SAMPLE_SEED_STRIDE = 1_000_003  # a sample's seed is seed·stride + step: one per step, apart from training's


class _Stop:
    """Ctrl-C / SIGTERM / SIGHUP: remember the request; the loop finishes its step, saves and returns.

    SIGHUP is a closed terminal or a dropped SSH connection: the run saves as for the others, and what it
    would still print to that terminal goes nowhere instead of failing the save's last line."""

    def __init__(self) -> None:
        self.requested = False
        self.signal_name = ""
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Stop:
        if _in_main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:  # a second Ctrl-C: stop now, even mid-save (saves are atomic)
            raise KeyboardInterrupt
        self.requested = True
        self.signal_name = signal.Signals(signum).name
        if signum == signal.SIGHUP:
            _away_from_a_gone_terminal()

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _away_from_a_gone_terminal() -> None:
    """Point stdout and stderr that are a terminal at /dev/null (a log file stays as it is)."""
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in (1, 2):
            if os.isatty(fd):
                os.dup2(null, fd)
    finally:
        os.close(null)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


class Streams:
    """`batch` contiguous streams over the training ids, `seq_len` characters per step."""

    def __init__(self, ids: torch.Tensor, batch: int, seq_len: int, generator: torch.Generator):
        self.ids, self.batch, self.seq_len, self.generator = ids, batch, seq_len, generator
        self.offset = self.pos = self.steps_per_epoch = 0
        self.inp = self.tgt = ids

    def new_epoch(self) -> None:
        n = len(self.ids)
        room = n - 1 - self.batch * self.seq_len  # ≥ 0: data.min_chars guarantees one batch
        offset = int(torch.randint(0, min(self.seq_len, room + 1), (1,), generator=self.generator))
        self._layout(offset)
        self.pos = 0

    def _layout(self, offset: int) -> None:
        self.offset = offset
        length = (len(self.ids) - 1 - offset) // self.batch
        self.steps_per_epoch = length // self.seq_len
        self.inp = self.ids[offset : offset + self.batch * length].view(self.batch, length)
        self.tgt = self.ids[offset + 1 : offset + 1 + self.batch * length].view(self.batch, length)

    def next(self) -> tuple[torch.Tensor, torch.Tensor, bool]:
        """(inputs, targets, whether the carried state must be reset)."""
        reset = False
        if self.pos >= self.steps_per_epoch:
            self.new_epoch()
            reset = True
        a = self.pos * self.seq_len
        self.pos += 1
        return self.inp[:, a : a + self.seq_len], self.tgt[:, a : a + self.seq_len], reset

    def state(self) -> dict[str, int]:
        return {"offset": self.offset, "pos": self.pos}

    def restore(self, s: dict[str, int]) -> None:
        self._layout(int(s["offset"]))
        self.pos = int(s["pos"])


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda: no CUDA GPU is available to PyTorch here (use --device cpu or auto)")
    return torch.device(name)


def hardware(device: torch.device, threads: int | None = None) -> str:
    """The device in words, for provenance: the GPU's name, or the CPU threads the run uses."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU, {threads or torch.get_num_threads()} threads"


def progress(opts: TrainOptions, step: int, elapsed: float) -> float:
    """How far through the run, 0…1: the larger of the step and time fractions."""
    f = 0.0
    if opts.max_steps:
        f = step / opts.max_steps
    if opts.time_budget:
        f = max(f, elapsed / opts.time_budget)
    return min(f, 1.0)


def learning_rate(opts: TrainOptions, step: int, elapsed: float) -> float:
    """Linear warm-up over `warmup_frac` of the run, then cosine decay from lr to lr·final_lr_frac.

    Both are fractions of the run (budget or steps), never a step count that a
    slow machine might not reach. The first step gets a twentieth of the warm-up
    rate rather than zero, so no step is wasted.
    """
    p = progress(opts, step + (1 if opts.max_steps and not opts.time_budget else 0), elapsed)
    scale = opts.final_lr_frac + (1 - opts.final_lr_frac) * 0.5 * (1 + math.cos(math.pi * p))
    if opts.warmup_frac > 0 and p < opts.warmup_frac:
        scale *= max(0.05, p / opts.warmup_frac)
    return opts.lr * scale


def _state_list(state: Any) -> list[torch.Tensor]:
    if state is None:
        return []
    return [s.detach().cpu() for s in (state if isinstance(state, tuple) else (state,))]


def _state_from_list(tensors: list[torch.Tensor], config: Config, device: torch.device) -> Any:
    if not tensors:
        return None
    return torch_state(config, [t.to(device) for t in tensors])


def _plain_options(opts: TrainOptions) -> dict[str, Any]:
    return {k: v for k, v in asdict(opts).items() if v is not None}


def read_resume(path: Path) -> dict[str, Any]:
    """The resume file's contents (weights_only: tensors and plain data, never code)."""
    if not path.is_file():
        raise UserError(f"--resume: no resume file {path} (it is written beside --out while training)")
    try:
        data = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as e:
        raise UserError(f"--resume: cannot read {path}: {str(e).splitlines()[0][:160]}") from None
    if not isinstance(data, dict) or data.get("version") != RESUME_VERSION:
        raise UserError(f"--resume: {path} is not an rnn-tui resume file of version {RESUME_VERSION}")
    return data


def _snapshot_tensors(model: CharRNN) -> dict[str, Any]:
    return {k: v.astype("float16") for k, v in model.tensors().items()}


class Trainer:
    """One training run. Building it reads and checks everything (the text, the resume file, the
    output's directory, the memory a step needs) and changes nothing outside itself; `run()` takes
    the process's torch threads and RNG, trains until the budget, the step limit or a stop request,
    and gives the threads back."""

    def __init__(self, opts: TrainOptions, reporter: Reporter | None = None,
                 on_step: Callable[[Trainer], None] | None = None, corpus: Corpus | None = None,
                 resume_data: dict[str, Any] | None = None, init: checkpoint.Checkpoint | None = None):
        self.device = resolve_device(opts.device)
        opts = opts.with_device_defaults(GPU_DEFAULTS if self.device.type == "cuda" else CPU_DEFAULTS)
        init = None if opts.resume else init or (load_model(opts.init_from) if opts.init_from else None)
        if init is not None:  # the architecture is the model's; the vocabulary is extended to the text's
            c = init.config
            opts = replace(opts, cell=c.cell, layers=c.layers, hidden=c.hidden, embedding=c.embed_dim)
            if corpus is None:
                text = load_text(opts.text_file)
                corpus = prepare(opts.text_file, opts.batch, opts.seq_len, opts.val_frac,
                                 init.vocab.extended(text), text)
        self.opts = opts
        self.on_step = on_step
        resume = (resume_data or read_resume(opts.resume_path)) if opts.resume else None
        vocab = Vocab(resume["vocab"]) if resume else None
        self.corpus = corpus or prepare(opts.text_file, opts.batch, opts.seq_len, opts.val_frac, vocab)
        if resume and resume["corpus_sha256"] != self.corpus.sha256:
            raise UserError(f"--resume: {opts.text_file} is not the text {opts.resume_path} was trained on "
                            "(its sha256 differs)")
        check_writable(opts.out)
        self.reporter: Reporter = reporter if reporter is not None else make_reporter()
        self.config = Config(opts.cell, opts.layers, opts.hidden, len(self.corpus.vocab), opts.embedding)
        check_memory(self.config, opts.batch, opts.seq_len)
        # the seed decides the first weights; the process's own RNG is left as it was until run()
        cuda = self.device.type == "cuda"
        with torch.random.fork_rng(devices=[self.device] if cuda else []):
            torch.manual_seed(opts.seed)
            self.model = CharRNN(self.config, opts.dropout).to(self.device)
            self._rng = torch.get_rng_state()  # where training's dropout stream continues
            self._cuda_rng = torch.cuda.get_rng_state(self.device) if cuda else None
        if init is not None:  # --init-from: the model's weights over the seeded ones
            load_weights(self.model, init)
        fused = {"fused": True} if self.device.type == "cuda" else {}
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=opts.lr, **fused)
        self.generator = torch.Generator().manual_seed(opts.seed)
        self.train_ids = torch.from_numpy(self.corpus.train_ids).to(self.device)
        self.val_ids = torch.from_numpy(self.corpus.val_ids).to(self.device)
        self.val_subset = self.val_ids[:VAL_SUBSET]
        self.streams = Streams(self.train_ids, opts.batch, opts.seq_len, self.generator)
        self.state: Any = None
        self.step = 0
        self.elapsed = 0.0  # wall seconds of this run, across resumes
        self.step_seconds = 0.0  # of which training steps (not evaluation)
        self.best_val: float | None = None  # on the subset during the run; on all held-out text at the end
        self.best_step = 0
        self.last_eval_step = -1
        self.stop = _Stop()
        self.best_provenance: dict[str, Any] = {}
        self.snapshots: list[snapshots.Snapshot] = []
        self.history: list[tuple[int, float, float | None]] = []  # (step, train loss, val loss) for plots
        self.hardware = hardware(self.device, opts.threads)
        self.resumed = resume is not None
        if resume:
            self._restore(resume)
        else:
            self.streams.new_epoch()
        p = progress(opts, self.step, self.elapsed)
        self._evals_left = [f for f in EVAL_AT if f > p]
        self._snaps_left = [f for f in SNAPSHOT_AT if f > p] if opts.snapshots else []

    # -- resume ----------------------------------------------------------------------

    def _restore(self, r: dict[str, Any]) -> None:
        self.model.load_state_dict(r["model"])
        self.optimizer.load_state_dict(r["optimizer"])
        for group in self.optimizer.param_groups:  # a run saved on a GPU may resume on a CPU, and back
            group["fused"] = True if self.device.type == "cuda" else None
        self._rng = r["torch_rng"]
        self._cuda_rng = r.get("cuda_rng") if self.device.type == "cuda" else None
        self.generator.set_state(r["batch_rng"])
        self.streams.restore(r["streams"])
        self.state = _state_from_list(r["carry"], self.config, self.device)
        self.step, self.elapsed, self.step_seconds = int(r["step"]), float(r["elapsed"]), float(r["step_seconds"])
        self.best_val = r.get("best_val")
        self.best_step = int(r.get("best_step", 0))
        self.best_provenance = dict(r.get("best_provenance") or {})
        self.history = [tuple(h) for h in r.get("history", [])]
        if self.opts.snapshots and self.opts.snapshots_path.is_file():
            try:
                self.snapshots = snapshots.load(self.opts.snapshots_path).items
            except UserError:
                self.snapshots = []  # a damaged snapshot file must not stop training; it is rewritten

    def resume_bytes(self) -> bytes:
        cuda_rng = torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None
        buf = io.BytesIO()
        torch.save({
            "version": RESUME_VERSION,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": cuda_rng,
            "batch_rng": self.generator.get_state(),
            "streams": self.streams.state(),
            "carry": _state_list(self.state),
            "step": self.step,
            "elapsed": self.elapsed,
            "step_seconds": self.step_seconds,
            "best_val": self.best_val,
            "best_step": self.best_step,
            "best_provenance": self.best_provenance,
            "history": [list(h) for h in self.history],
            "options": _plain_options(self.opts),
            "vocab": list(self.corpus.vocab.chars),
            "corpus_sha256": self.corpus.sha256,
        }, buf)
        return buf.getvalue()

    # -- evaluation and checkpoints --------------------------------------------------

    def validate(self, ids: torch.Tensor | None = None) -> float:
        with self._autocast():
            return nll(self.model, self.val_subset if ids is None else ids)

    def provenance(self, val_loss: float, val_chars: int) -> dict[str, Any]:
        o = self.opts
        return {
            "corpus": self.corpus.name,
            "corpus_sha256": self.corpus.sha256,
            "corpus_chars": self.corpus.chars,
            "val_frac": o.val_frac,
            "val_chars": val_chars,
            "steps": self.step,
            "val_loss": round(val_loss, 5),
            "seed": o.seed,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "train_seconds": round(self.elapsed, 1),
            "hardware": self.hardware,
            "chars_per_second": round(self.chars_per_second),
            "batch": o.batch,
            "seq_len": o.seq_len,
            "lr": o.lr,
            "dropout": o.dropout,
            "bf16": o.bf16,
            "torch": torch.__version__.split("+")[0],
            **({"init_from": Path(o.init_from).name} if o.init_from else {}),
        }

    @property
    def chars_per_second(self) -> float:
        return self.step * self.opts.batch * self.opts.seq_len / self.step_seconds if self.step_seconds else 0.0

    @contextmanager
    def _saving(self, path: Path) -> Iterator[None]:
        """Every save: a failed write (a full disk) stops training in one line that says what is kept."""
        try:
            yield
        except OSError as e:
            raise save_failed(path, e, self.step, self.best_step if self.best_val is not None else 0) from None

    def _save_checkpoint(self, tensors: dict[str, np.ndarray], provenance: dict[str, Any],
                         analysis: dict[str, Any] | None = None) -> None:
        with self._saving(self.opts.out):
            checkpoint.save(self.opts.out, self.config, self.corpus.vocab, tensors, provenance, analysis)
        self.best_provenance = provenance

    def _save_resume_file(self) -> None:
        with self._saving(self.opts.resume_path):
            atomic_write_bytes(self.opts.resume_path, self.resume_bytes())

    def _take_snapshot(self, val: float) -> None:
        if self.opts.snapshots:
            self.snapshots.append(snapshots.Snapshot(self.step, val, len(self.val_subset), self.elapsed,
                                                     _snapshot_tensors(self.model)))

    def _save_snapshots(self) -> None:
        if self.opts.snapshots and self.snapshots:
            about = {"corpus": self.corpus.name, "corpus_sha256": self.corpus.sha256, "seed": self.opts.seed}
            with self._saving(self.opts.snapshots_path):
                snapshots.save(self.opts.snapshots_path, self.config, self.corpus.vocab, self.snapshots, about)

    def evaluate_and_keep(self, snapshot: bool = False) -> float:
        """Validate on the subset; keep the checkpoint if the best so far, a snapshot if one is due;
        then write the resume file (so it never runs ahead of the checkpoint)."""
        val = self.validate()
        self.last_eval_step = self.step
        if self.best_val is None or val < self.best_val:
            self._save_checkpoint(self.model.tensors(), self.provenance(val, len(self.val_subset)))
            self.best_val, self.best_step = val, self.step
        if snapshot:
            self._take_snapshot(val)
            self._save_snapshots()
        self._save_resume_file()
        return val

    def _known_cells(self, tensors: dict[str, np.ndarray]) -> dict[str, Any] | None:
        """What the bundled models carry, for a model trained here: its best known cells on the held-out
        part, and a passage of it, so that the finder and `u` work on it. A failure costs only that."""
        from ..analysis import known_cells
        from ..core.cells import Model

        held = self.corpus.vocab.decode(self.corpus.val_ids[: known_cells.RANK_CHARS * 2].tolist())
        try:
            return known_cells.find(Model(self.config, tensors), self.corpus.vocab, held, self.corpus.name)
        except (ValueError, UserError):  # too little held-out text to rank on
            return None

    def score_kept_checkpoint(self) -> float:
        """Score the kept checkpoint on the whole held-out part and record that figure in it."""
        if self.best_step == self.step:
            model = self.model
        else:  # an earlier evaluation was better: the kept checkpoint is on disk
            model = CharRNN(self.config).to(self.device)
            tensors = checkpoint.load(self.opts.out).tensors
            model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
        with self._autocast():
            full = nll(model, self.val_ids)
        prov = {**self.best_provenance, "val_loss": round(full, 5), "val_chars": len(self.val_ids)}
        tensors = model.tensors()
        self._save_checkpoint(tensors, prov, self._known_cells(tensors))
        self.best_val = full
        self._save_resume_file()
        return full

    def generate(self, length: int = SAMPLE_CHARS) -> str:
        g = torch.Generator().manual_seed(self.opts.seed * SAMPLE_SEED_STRIDE + self.step)  # not the training RNG
        newline = self.corpus.vocab.index.get("\n")
        prime = self.val_ids[:1] if newline is None else torch.tensor([newline], device=self.device)
        return self.corpus.vocab.decode([int(prime[0])] + sample(self.model, prime, length, SAMPLE_TEMPERATURE, g))

    # -- the run ---------------------------------------------------------------------

    def request_stop(self, reason: str = "request") -> None:
        """Stop after the current step, as Ctrl-C does (for callers driving the trainer)."""
        self.stop.requested, self.stop.signal_name = True, reason

    def _autocast(self):
        enabled = self.opts.bf16 and self.device.type == "cuda"
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=enabled)

    def _done(self) -> bool:
        o = self.opts
        return bool((o.max_steps and self.step >= o.max_steps) or (o.time_budget and self.elapsed >= o.time_budget))

    def _due(self) -> tuple[bool, bool]:
        """(evaluate now, keep a snapshot now): at fixed fractions of the run, or every --eval-every steps."""
        p = progress(self.opts, self.step, self.elapsed)
        snap = bool(self._snaps_left and p >= self._snaps_left[0])
        while self._snaps_left and p >= self._snaps_left[0]:
            self._snaps_left.pop(0)
        if self.opts.eval_every:
            return self.step % self.opts.eval_every == 0 or snap, snap
        due = bool(self._evals_left and p >= self._evals_left[0])
        while self._evals_left and p >= self._evals_left[0]:
            self._evals_left.pop(0)
        return due or snap, snap

    def _too_short(self, seconds: float) -> UserError:
        o = self.opts
        return UserError(f"--time-budget {o.time_budget:g} s is shorter than one training step here: a step of "
                         f"{self.config.label} with batch {o.batch} × {o.seq_len} took {seconds:.2f} s on "
                         f"{self.hardware}; give at least {max(1, 20 * seconds):.0f} s (nothing was saved)")

    @contextmanager
    def _process_state(self) -> Iterator[None]:
        """While the run lasts: its torch threads, its RNG where it left off, no stale temporary files."""
        threads = torch.get_num_threads()
        if self.opts.threads:
            torch.set_num_threads(self.opts.threads)
        torch.set_rng_state(self._rng)
        if self._cuda_rng is not None:
            torch.cuda.set_rng_state(self._cuda_rng, self.device)
        remove_stale_temps(self.opts.out, self.opts.resume_path, self.opts.snapshots_path)
        try:
            yield
        finally:
            torch.set_num_threads(threads)

    def run(self) -> TrainResult:
        rep = self.reporter
        with self._process_state(), _Stop() as stop:
            self.stop = stop
            rep.start(self)
            try:
                clock = _Clock(self)
                if not self.resumed:
                    step0 = self.validate()  # the untrained model: the first frame of the evolution
                    self._take_snapshot(step0)
                    self.history.append((0, step0, step0))
                    clock.tick()
                interrupted = self._train(clock)
                if self.step > 0 and self.last_eval_step != self.step:
                    self._checkpoint_and_sample(snapshot=True, final=True)
                if self.best_val is not None:
                    self.score_kept_checkpoint()
            except BaseException:
                rep.abort(self)
                raise
        o = self.opts
        result = TrainResult(Path(o.out), self.best_val, self.best_step, self.step, self.elapsed,
                             self.chars_per_second, self.hardware, interrupted, dict(self.best_provenance))
        rep.finish(self, result, stop.signal_name)
        return result

    def _train(self, clock: _Clock) -> bool:
        """Step until done (at least one step on a fresh run, to time it); True if stopped by a request."""
        o, rep = self.opts, self.reporter
        running = _RunningLoss(self.device)
        self.model.train()
        while not self._done() or (self.step == 0 and not self.resumed):
            lr = learning_rate(o, self.step, self.elapsed)
            running.add(self._train_step(lr))
            self.step_seconds += clock.tick()
            if self.step == 1 and not self.resumed and o.time_budget and self.elapsed >= o.time_budget:
                raise self._too_short(self.step_seconds)
            if self.on_step is not None:
                self.on_step(self)
            if self.stop.requested:
                return True
            if clock.since_report() >= rep.interval:
                train_loss = running.take()
                self.history.append((self.step, train_loss, None))
                rep.progress(self, train_loss, lr)
                clock.reported()
            evaluate, snap = self._due()
            if evaluate and not self._done():
                self._checkpoint_and_sample(snap)
            elif self._sample_due(clock):
                rep.sample(self, self.generate())
                clock.sampled()
            clock.tick()  # evaluation and samples count against the time budget, not chars/s
        return False

    def _train_step(self, lr: float) -> torch.Tensor:
        """One optimizer step on the next batch; returns the loss (on the device: no sync)."""
        x, y, reset = self.streams.next()
        if reset or not self.opts.carry_state:
            self.state = None
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        with self._autocast():
            logits, state = self.model(x, self.state)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.opts.clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.opts.clip)
        self.optimizer.step()
        self.state = detach_state(state)
        self.step += 1
        return loss.detach()

    def _sample_due(self, clock: _Clock) -> bool:
        every = self.opts.sample_every
        if every == 0:
            return False
        return bool(every and self.step % every == 0) or bool(
            self.reporter.sample_seconds and clock.since_sample() >= self.reporter.sample_seconds)

    def _checkpoint_and_sample(self, snapshot: bool, final: bool = False) -> None:
        val = self.evaluate_and_keep(snapshot)
        self.history.append((self.step, float("nan"), val))
        o = self.opts
        text = self.generate() if (o.sample_every is None or final) and o.sample_every != 0 else None
        self.reporter.validation(self, val, text)


class _Clock:
    """The run's one clock: `tick()` adds the wall time since the last tick to the trainer's elapsed
    time (and returns it); it also remembers when the last report and sample were shown."""

    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self.last = self.last_report = self.last_sample = time.perf_counter()

    def tick(self) -> float:
        now = time.perf_counter()
        dt, self.last = now - self.last, now
        self.trainer.elapsed += dt
        return dt

    def since_report(self) -> float:
        return self.last - self.last_report

    def reported(self) -> None:
        self.last_report = self.last

    def since_sample(self) -> float:
        return self.last - self.last_sample

    def sampled(self) -> None:
        self.last_sample = time.perf_counter()


class _RunningLoss:
    """The mean training loss since the last report, summed on the device (read once per report)."""

    def __init__(self, device: torch.device):
        self.total = torch.zeros((), device=device)
        self.n = 0

    def add(self, loss: torch.Tensor) -> None:
        self.total += loss
        self.n += 1

    def take(self) -> float:
        mean = float(self.total) / self.n  # float(): one sync per report
        self.total.zero_()
        self.n = 0
        return mean


def train(opts: TrainOptions, reporter: Reporter | None = None,
          on_step: Callable[[Trainer], None] | None = None) -> TrainResult:
    """Train as `opts` says; returns when done, at the budget, or after Ctrl-C/SIGTERM (checkpoint saved)."""
    return Trainer(opts, reporter, on_step).run()
