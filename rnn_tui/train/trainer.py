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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..core import checkpoint, snapshots
from ..core.atomic import atomic_write_bytes
from ..core.cells import Config
from ..core.errors import UserError
from ..core.vocab import Vocab
from .data import Corpus, prepare
from .model import CharRNN, detach_state, nll, sample
from .options import CPU_DEFAULTS, GPU_DEFAULTS, TrainOptions
from .output import check_writable, remove_stale_temps, save_failed
from .sizing import check_memory

RESUME_VERSION = 2
VAL_SUBSET = 16_384  # held-out characters scored during the run (all of them at the end)
EVAL_AT = (0.01, 0.03, 0.06, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # fractions of the run
SNAPSHOT_AT = (0.01, 0.03, 0.06, 0.1, 0.3, 0.6)  # a subset of EVAL_AT; plus step 0 and the end


@dataclass
class TrainResult:
    out: Path
    best_val: float | None
    best_step: int
    steps: int
    seconds: float
    chars_per_second: float
    hardware: str
    interrupted: bool
    provenance: dict[str, Any] = field(default_factory=dict)


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


def hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU, {torch.get_num_threads()} threads"


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


def _state_from_list(tensors: list[torch.Tensor], cell: str, device: torch.device) -> Any:
    if not tensors:
        return None
    moved = [t.to(device) for t in tensors]
    return tuple(moved) if cell == "lstm" else moved[0]


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
    """One training run; `run()` trains until the budget, the step limit or a stop request."""

    def __init__(self, opts: TrainOptions, reporter: Any = None,
                 on_step: Callable[[Trainer], None] | None = None, corpus: Corpus | None = None,
                 resume_data: dict[str, Any] | None = None):
        self.device = resolve_device(opts.device)
        opts = opts.with_device_defaults(GPU_DEFAULTS if self.device.type == "cuda" else CPU_DEFAULTS)
        self.opts = opts
        self.on_step = on_step
        if opts.threads:
            torch.set_num_threads(opts.threads)
        resume = (resume_data or read_resume(opts.resume_path)) if opts.resume else None
        vocab = Vocab(resume["vocab"]) if resume else None
        self.corpus = corpus or prepare(opts.text_file, opts.batch, opts.seq_len, opts.val_frac, vocab)
        if resume and resume["corpus_sha256"] != self.corpus.sha256:
            raise UserError(f"--resume: {opts.text_file} is not the text {opts.resume_path} was trained on "
                            "(its sha256 differs)")
        check_writable(opts.out)
        remove_stale_temps(opts.out, opts.resume_path, opts.snapshots_path)
        from .report import make_reporter

        self.reporter = reporter if reporter is not None else make_reporter()
        self.config = Config(opts.cell, opts.layers, opts.hidden, len(self.corpus.vocab), opts.embedding)
        check_memory(self.config, opts.batch, opts.seq_len)
        torch.manual_seed(opts.seed)
        self.model = CharRNN(self.config, opts.dropout).to(self.device)
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
        self.hardware = hardware(self.device)
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
        torch.set_rng_state(r["torch_rng"])
        if self.device.type == "cuda" and r.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(r["cuda_rng"], self.device)
        self.generator.set_state(r["batch_rng"])
        self.streams.restore(r["streams"])
        self.state = _state_from_list(r["carry"], self.config.cell, self.device)
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
        }

    @property
    def chars_per_second(self) -> float:
        return self.step * self.opts.batch * self.opts.seq_len / self.step_seconds if self.step_seconds else 0.0

    def _write(self, path: Path, data: bytes) -> None:
        try:
            atomic_write_bytes(path, data)
        except OSError as e:
            raise save_failed(path, e, self.step, self.best_step if self.best_val is not None else None) from None

    def _save_checkpoint(self, val: float, val_chars: int) -> None:
        self.best_provenance = self.provenance(val, val_chars)
        try:
            checkpoint.save(self.opts.out, self.config, self.corpus.vocab, self.model.tensors(), self.best_provenance)
        except OSError as e:
            raise save_failed(self.opts.out, e, self.step,
                              self.best_step if self.best_val is not None else None) from None

    def _take_snapshot(self, val: float) -> None:
        if self.opts.snapshots:
            self.snapshots.append(snapshots.Snapshot(self.step, val, len(self.val_subset), self.elapsed,
                                                     _snapshot_tensors(self.model)))

    def _save_snapshots(self) -> None:
        if self.opts.snapshots and self.snapshots:
            try:
                about = {"corpus": self.corpus.name, "corpus_sha256": self.corpus.sha256, "seed": self.opts.seed}
                snapshots.save(self.opts.snapshots_path, self.config, self.corpus.vocab, self.snapshots, about)
            except OSError as e:
                raise save_failed(self.opts.snapshots_path, e, self.step, self.best_step) from None

    def evaluate_and_keep(self, snapshot: bool = False) -> float:
        """Validate on the subset; keep the checkpoint if the best so far, a snapshot if one is due;
        then write the resume file (so it never runs ahead of the checkpoint)."""
        val = self.validate()
        self.last_eval_step = self.step
        better = self.best_val is None or val < self.best_val
        if better:
            self._save_checkpoint(val, len(self.val_subset))
            self.best_val, self.best_step = val, self.step
        if snapshot:
            self._take_snapshot(val)
            self._save_snapshots()
        self._write(self.opts.resume_path, self.resume_bytes())
        return val

    def score_kept_checkpoint(self) -> float:
        """Score the kept checkpoint on the whole held-out part and record that figure in it."""
        final_step, final_prov = self.step, self.best_provenance
        if self.best_step == self.step:
            model = self.model
        else:  # an earlier evaluation was better: the kept checkpoint is on disk
            model = CharRNN(self.config).to(self.device)
            tensors = checkpoint.load(self.opts.out).tensors
            model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
        with self._autocast():
            full = nll(model, self.val_ids)
        prov = {**final_prov, "val_loss": round(full, 5), "val_chars": len(self.val_ids)}
        try:
            checkpoint.save(self.opts.out, self.config, self.corpus.vocab,
                            {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}, prov)
        except OSError as e:
            raise save_failed(self.opts.out, e, final_step, self.best_step) from None
        self.best_provenance, self.best_val = prov, full
        self._write(self.opts.resume_path, self.resume_bytes())
        return full

    def generate(self, length: int = 160) -> str:
        g = torch.Generator().manual_seed(self.opts.seed * 1_000_003 + self.step)  # not the training RNG
        newline = self.corpus.vocab.index.get("\n")
        prime = self.val_ids[:1] if newline is None else torch.tensor([newline], device=self.device)
        return self.corpus.vocab.decode([int(prime[0])] + sample(self.model, prime, length, 0.8, g))

    # -- the loop ------------------------------------------------------------------

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
                         f"{self.config.cell.upper()} {self.config.layers}×{self.config.hidden} with batch {o.batch} "
                         f"× {o.seq_len} took {seconds:.2f} s on {self.hardware}; give at least "
                         f"{max(1, 20 * seconds):.0f} s (nothing was saved)")

    def run(self) -> TrainResult:
        o = self.opts
        rep = self.reporter
        model, opt = self.model, self.optimizer
        model.train()
        running = torch.zeros((), device=self.device)
        running_n = 0
        last_report = last_sample = time.perf_counter()
        interrupted = False
        with _Stop() as stop:
            self.stop = stop
            rep.start(self)
            try:
                if not self.resumed:
                    t0 = time.perf_counter()
                    step0 = self.validate()  # the untrained model: the first frame of the evolution
                    self._take_snapshot(step0)
                    self.history.append((0, step0, step0))
                    self.elapsed += time.perf_counter() - t0
                t_last = time.perf_counter()
                while not self._done() or (self.step == 0 and not self.resumed):  # one step, to time it
                    x, y, reset = self.streams.next()
                    if reset or not o.carry_state:
                        self.state = None
                    lr = learning_rate(o, self.step, self.elapsed)
                    for group in opt.param_groups:
                        group["lr"] = lr
                    with self._autocast():
                        logits, state = model(x, self.state)
                    loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    if o.clip:
                        torch.nn.utils.clip_grad_norm_(model.parameters(), o.clip)
                    opt.step()
                    self.state = detach_state(state)
                    running += loss.detach()
                    running_n += 1
                    self.step += 1
                    now = time.perf_counter()
                    self.elapsed += now - t_last
                    self.step_seconds += now - t_last
                    t_last = now
                    if self.step == 1 and not self.resumed and o.time_budget and self.elapsed >= o.time_budget:
                        raise self._too_short(self.step_seconds)
                    if self.on_step is not None:
                        self.on_step(self)
                    if stop.requested:
                        interrupted = True
                        break
                    if now - last_report >= rep.interval:
                        train_loss = float(running) / running_n  # float(): one sync per report
                        self.history.append((self.step, train_loss, None))
                        rep.progress(self, train_loss, lr)
                        running.zero_()
                        running_n = 0
                        last_report = now
                    evaluate, snap = self._due()
                    if evaluate and not self._done():
                        self._checkpoint_and_sample(rep, snap)
                        t_last = time.perf_counter()
                    elif (o.sample_every and self.step % o.sample_every == 0) or \
                            (rep.sample_seconds and o.sample_every != 0 and now - last_sample >= rep.sample_seconds):
                        rep.sample(self, self.generate())
                        self.elapsed += time.perf_counter() - now
                        t_last = last_sample = time.perf_counter()
                if self.step > 0 and self.last_eval_step != self.step:
                    self._checkpoint_and_sample(rep, snapshot=True, final=True)
                if self.best_val is not None:
                    self.score_kept_checkpoint()
            except BaseException:
                rep.abort(self)
                raise
        result = TrainResult(Path(o.out), self.best_val, self.best_step, self.step, self.elapsed,
                             self.chars_per_second, self.hardware, interrupted, dict(self.best_provenance))
        rep.finish(self, result, stop.signal_name)
        return result

    def _checkpoint_and_sample(self, rep: Any, snapshot: bool, final: bool = False) -> None:
        t0 = time.perf_counter()
        val = self.evaluate_and_keep(snapshot)
        self.history.append((self.step, float("nan"), val))
        text = self.generate() if (self.opts.sample_every is None or final) and self.opts.sample_every != 0 else None
        # evaluation counts against the time budget (the run must end when asked) but not chars/s
        self.elapsed += time.perf_counter() - t0
        rep.validation(self, val, text)


def train(opts: TrainOptions, reporter: Any = None, on_step: Callable[[Trainer], None] | None = None) -> TrainResult:
    """Train as `opts` says; returns when done, at the budget, or after Ctrl-C/SIGTERM (checkpoint saved)."""
    return Trainer(opts, reporter, on_step).run()
