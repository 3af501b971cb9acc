"""How big a network a time budget affords here, and whether one fits in memory.

A short timing probe (a few optimizer steps at two sizes, well under a second
on a 2-core CPU for the default batch) measures this machine; a step's time is
then modelled as a + b·(multiply-adds per character), which fits CPU and GPU
alike: a is the per-step overhead, b the arithmetic. The probe also tries one
thread against all cores: on a shared lab machine, a second thread that another
user's process keeps busy made steps 5-10 times slower than one thread alone.

The rule for the size (why): a character model needs to see about
TOKENS_PER_PARAM characters per parameter within the budget (a bigger one is
still learning when the time runs out), and a model with more parameters than
PARAMS_PER_CHAR per training character memorises its text instead of
generalising (on the 175,000-character stdlib case, 1×192 and 2×128 peaked at
60 % of a quiet 60 s run, 1×256 did worse). The largest candidate within both
limits is chosen. Both constants were set from a grid of hand-set sizes on the
2-core development machine (the README gives the grid and what it reached).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..core.cells import Config
from ..core.errors import UserError
from .model import CharRNN

TOKENS_PER_PARAM = 12.0
PARAMS_PER_CHAR = 1.5
# (layers, hidden), in increasing size; 1 layer first: on a CPU a wider layer learns faster per second.
CANDIDATES = ((1, 32), (1, 64), (1, 96), (1, 128), (1, 192), (1, 256), (1, 384), (2, 256), (2, 384),
              (2, 512), (3, 512))
PROBE_STEPS = 3
# A small model's first steps ran 2x slower than its steady state (5.3 ms after 12 steps, 10.8 ms over
# the first 3, 1x32 LSTM): an inflated small step made the fitted per-step overhead, and so every
# size's predicted time, too large. So the probe steps for at least this long and times the later half.
PROBE_SECONDS = 0.25


@dataclass
class Plan:
    layers: int
    hidden: int
    threads: int
    chars_per_second: float  # predicted for the chosen size
    step_seconds: float
    probe_seconds: float  # spent probing, counted against the budget
    reason: str


def macs_per_char(config: Config) -> int:
    """Multiply-adds of one forward step per character: the recurrence and the head."""
    gates = config.kind.gates
    total, inp = 0, config.input_size
    for _ in range(config.layers):
        total += gates * config.hidden * (inp + config.hidden)
        inp = config.hidden
    return total + config.hidden * config.vocab_size


def training_bytes(config: Config, batch: int, seq_len: int) -> int:
    """A generous estimate of the memory one training step needs: weights, gradients, Adam's two
    moments, the activations kept for backpropagation, and the one-hot input and logits."""
    gates = config.kind.gates
    per_char = config.layers * config.hidden * (gates + 3) * 2 + config.input_size * 2 + config.vocab_size * 4
    return 4 * (4 * config.parameters() + batch * seq_len * per_char)


def available_bytes() -> int | None:
    """Memory this process can still get (MemAvailable on Linux), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(config: Config, batch: int, seq_len: int, available: int | None = None) -> None:
    """Refuse, in one line, a network that cannot train in the memory this machine has free."""
    need = training_bytes(config, batch, seq_len)
    free = available_bytes() if available is None else available
    if free is not None and need > 0.8 * free:
        raise UserError(f"{config.label} with batch {batch} × {seq_len} needs "
                        f"about {_gb(need)} of memory to train, but {_gb(free)} is free here: choose a smaller "
                        "--hidden, --layers or --batch")


def _gb(n: float) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / 2**20:.0f} MB"


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def busy(n_cores: int) -> bool:
    """Are other processes already using all but one core (1-minute load average)?"""
    try:
        return os.getloadavg()[0] >= n_cores - 1
    except OSError:
        return False


def time_steps(config: Config, batch: int, seq_len: int, device: torch.device, steps: int = PROBE_STEPS,
               give_up: float = math.inf) -> float:
    """Seconds per optimizer step for this shape here: the median of the later half of at least
    `steps` steps after a warm-up one, stepping on for PROBE_SECONDS in all (100 steps at most);
    stops early (returning the slow step's time) once a step takes longer than `give_up`."""
    model = CharRNN(config).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    ids = torch.randint(0, config.vocab_size, (batch, seq_len + 1), device=device)
    times: list[float] = []
    start = time.perf_counter()
    k = 0
    while k <= steps or (time.perf_counter() - start < PROBE_SECONDS and k <= 100):
        t0 = time.perf_counter()
        logits, _ = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, config.vocab_size), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        dt = time.perf_counter() - t0
        if dt > give_up:
            return dt
        if k > 0:
            times.append(dt)
        k += 1
    later = sorted(times[len(times) // 2 :])
    return later[len(later) // 2]


def choose_threads(config: Config, batch: int, seq_len: int, device: torch.device) -> tuple[int, float]:
    """1 thread or all cores, whichever steps faster now; and that step's time.

    On a machine already busy (a load average of cores − 1 or more) one thread is taken
    without trying more: one contended step there took seconds, a tenth of a 60 s budget."""
    n = cores()
    if device.type != "cpu" or n == 1:
        return torch.get_num_threads(), time_steps(config, batch, seq_len, device)
    if busy(n):
        torch.set_num_threads(1)
        return 1, time_steps(config, batch, seq_len, device)
    torch.set_num_threads(1)
    one = time_steps(config, batch, seq_len, device)
    torch.set_num_threads(n)
    many = time_steps(config, batch, seq_len, device, give_up=1.5 * one)  # contended threads crawl: stop early
    best = (1, one) if one <= many else (n, many)
    torch.set_num_threads(best[0])
    return best


def plan(cell: str, vocab_size: int, embedding: int | None, batch: int, seq_len: int, train_chars: int,
         budget: float, device: torch.device, layers: int | None = None, hidden: int | None = None,
         threads: int | None = None) -> Plan:
    """The size (and, unless given, thread count) for `budget` seconds of training on this machine.

    `layers` or `hidden` given by the user restrict the candidates; both given skip the choice
    but still time a step, so a budget shorter than one step is refused before training.
    """
    t0 = time.perf_counter()
    cands = [(lay, hid) for lay, hid in CANDIDATES if (layers is None or lay == layers)
             and (hidden is None or hid == hidden)] or [(layers or 1, hidden or 128)]
    configs = [Config(cell, lay, hid, vocab_size, embedding) for lay, hid in cands]
    free = available_bytes()
    configs = [c for c in configs if free is None or training_bytes(c, batch, seq_len) <= 0.8 * free] or configs
    # the text's limit needs no timing: drop what it rules out before timing the middle of the rest
    fit_text = [c for c in configs if c.parameters() <= PARAMS_PER_CHAR * train_chars]
    configs = fit_text or configs[:1]
    small, mid = configs[0], configs[len(configs) // 2]
    if threads is None:
        threads, t_mid = choose_threads(mid, batch, seq_len, device)
    else:
        torch.set_num_threads(threads)
        t_mid = time_steps(mid, batch, seq_len, device)
    t_small = time_steps(small, batch, seq_len, device) if small is not mid else t_mid
    # step time = a + b · macs, through the two measured points (b ≥ 0: noise must not invert sizes)
    m_small, m_mid = macs_per_char(small), macs_per_char(mid)
    b = max(0.0, (t_mid - t_small) / (m_mid - m_small)) if m_mid != m_small else 0.0
    a = max(t_small - b * m_small, 0.0)
    spent = time.perf_counter() - t0
    left = budget - spent
    chars_per_step = batch * seq_len

    def step_time(c: Config) -> float:
        return a + b * macs_per_char(c)

    if step_time(small) >= left:
        raise UserError(f"--time-budget {budget:g} s is shorter than one training step here: a step of "
                        f"{small.label} with batch {batch} × {seq_len} takes "
                        f"{step_time(small):.2f} s on {threads} thread(s), and timing it took {spent:.1f} s; "
                        f"give at least {spent + 20 * step_time(small):.0f} s")
    chosen = configs[0]
    why = (f"the smallest candidate: {chosen.parameters():,} parameters, for the "
           f"{left * chars_per_step / step_time(chosen) / 1e6:.2f} M characters it can see in {left:.0f} s")
    for c in configs:
        seen = left * chars_per_step / step_time(c)
        if c.parameters() <= seen / TOKENS_PER_PARAM and c.parameters() <= PARAMS_PER_CHAR * train_chars:
            chosen = c
            why = (f"{c.parameters():,} parameters: ≤ 1/{TOKENS_PER_PARAM:g} of the {seen / 1e6:.1f} M characters "
                   f"it can see in {left:.0f} s, and ≤ {PARAMS_PER_CHAR:g} per training character "
                   f"({train_chars:,})")
    if layers is not None and hidden is not None:
        why = "as given"
    st = step_time(chosen)
    return Plan(chosen.layers, chosen.hidden, threads, chars_per_step / st, st, spent, why)
