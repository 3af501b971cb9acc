"""The one set of training defaults, and the options a run depends on.

torch-free, so `rnn-tui train` checks its flags (and `--help` lists the
defaults) before the 1.7 s `import torch`.

Why two sets of defaults: on a GPU a 2×256 network is bound by the
recurrence's per-step latency, so a wide batch of long windows costs about as
much per step as a narrow one. On a 2-core CPU the cost is arithmetic, so a
narrower batch of shorter windows buys more optimizer steps for the same
characters, and a higher learning rate suits the smaller models a CPU budget
affords (measured on the 2-core development machine; see the README).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..core.snapshots import snapshots_path

DEFAULT_BUDGET = 600.0  # seconds, when neither --time-budget nor --max-steps is given


@dataclass(frozen=True)
class DeviceDefaults:
    """What the right batch, window, learning rate and size are depends on the hardware."""

    batch: int
    seq_len: int
    lr: float
    layers: int
    hidden: int


GPU_DEFAULTS = DeviceDefaults(batch=64, seq_len=128, lr=2e-3, layers=2, hidden=256)
CPU_DEFAULTS = DeviceDefaults(batch=32, seq_len=64, lr=1e-2, layers=1, hidden=128)
# The flags whose default depends on the device; None in TrainOptions means "the device's default".
DEVICE_DEPENDENT = ("batch", "seq_len", "lr", "layers", "hidden")


@dataclass
class TrainOptions:
    """Everything a run depends on; the CLI's flags map one to one (None: the device's default)."""

    text_file: str
    out: str
    cell: str = "lstm"
    layers: int | None = None  # None: chosen from the time budget (or the device's default)
    hidden: int | None = None
    embedding: int | None = None  # None: one-hot input
    dropout: float = 0.0
    seq_len: int | None = None
    batch: int | None = None
    lr: float | None = None
    final_lr_frac: float = 0.02  # cosine decays to this fraction of lr
    warmup_frac: float = 0.02  # linear warm-up over this fraction of the run (budget or steps)
    clip: float = 1.0
    time_budget: float | None = None  # seconds
    max_steps: int | None = None
    seed: int = 0
    device: str = "auto"
    val_frac: float = 0.05
    eval_every: int | None = None  # steps; None: at fixed fractions of the run
    sample_every: int | None = None  # steps; None: at each evaluation; 0: never
    threads: int | None = None  # None: measured (1 or all cores, whichever is faster here)
    bf16: bool = False  # autocast the recurrence to bfloat16 on CUDA
    carry_state: bool = True  # False: every window starts from a zero state
    resume: bool = False
    init_from: str | None = None  # a model to start from (fine-tune) instead of random weights
    snapshots: bool = True  # keep the model at chosen steps in OUT.snapshots.safetensors

    @property
    def resume_path(self) -> Path:
        return Path(f"{self.out}.resume.pt")

    @property
    def snapshots_path(self) -> Path:
        return snapshots_path(self.out)

    def with_device_defaults(self, defaults: DeviceDefaults) -> TrainOptions:
        """A copy with every unset device-dependent option filled in."""
        from dataclasses import replace

        return replace(self, **{k: getattr(defaults, k) for k in DEVICE_DEPENDENT if getattr(self, k) is None})


def flag_defaults() -> dict[str, Any]:
    """The command line's defaults, by option name (the dataclass is the one place they are written)."""
    skip = {"text_file", "out", "resume", "final_lr_frac", "warmup_frac", "carry_state", "snapshots"}
    return {f.name: f.default for f in fields(TrainOptions) if f.name not in skip}
