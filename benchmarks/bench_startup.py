"""Start-up to the first painted frame, through a pty at 120×40; and choosing the opening unit.

Targets: <= 0.6 s, and <= 1.5x a bare Textual app (one Static and a Footer)
measured the same way in the same run, both timed to the last byte of their
complete first screen (the viewer's comes in bursts after the status line; the
end is the last byte before 0.3 s of silence). The opening unit (the largest
variance over a built-in passage, with every unit's range) in <= 50 ms.

Every checkout measured is byte-compiled first, as an installed package is
(`pip install .` compiles every module): where PYTHONDONTWRITEBYTECODE is set,
as on the development machine, an editable checkout would otherwise compile
its ~130 modules from source at every start (about 60 ms) while the bare app's
Textual, installed, does not.

`--also NAME` measures the first frame of another bundled model in the same
interleaved runs (a transformer against the default LSTM).

    python benchmarks/bench_startup.py [--baseline DIR] [--also shakespeare-transformer] [--size 80x24]
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import sys
import time
from pathlib import Path

from _common import SMOKE, machine, table, verdict
from _pty import PtyProgram

HERE = Path(__file__).resolve().parent
RUNS = 1 if SMOKE else 7


def first_frame(argv: list[str], marker: bytes, src: Path | None = None, size: tuple[int, int] = (120, 40)) -> float:
    env = {"PYTHONPATH": str(src)} if src else None
    prog = PtyProgram(argv, cols=size[0], rows=size[1], env=env, cwd=src)
    try:
        return prog.wait_for_complete_screen(marker)
    finally:
        prog.close()


def byte_compiled(checkout: Path) -> Path:
    """The package's bytecode beside its sources, as an install has it."""
    compileall.compile_dir(checkout / "rnn_tui", quiet=1)
    return checkout


def opening_unit_ms() -> list[float]:
    from rnn_tui.analysis.unit_stats import measure, opening_unit
    from rnn_tui.core.checkpoint import load, resolve

    ckpt = load(resolve(None))
    model = ckpt.model()
    times = []
    for _ in range(RUNS + 2):
        t0 = time.perf_counter()
        stats = measure(model, ckpt.vocab)
        opening_unit(stats, ckpt)
        times.append((time.perf_counter() - t0) * 1e3)
    return times[2:]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", type=Path, default=None, help="another checkout, measured in the same run")
    ap.add_argument("--also", action="append", default=[], help="another bundled model, measured in the same run")
    ap.add_argument("--size", default="120x40", help="the terminal, COLSxROWS (default 120x40)")
    args = ap.parse_args()
    size = tuple(int(n) for n in args.size.split("x"))
    print(machine() + f"; terminal {size[0]}×{size[1]}; byte-compiled as installed")
    byte_compiled(HERE.parent)
    if args.baseline:
        byte_compiled(args.baseline)
    bare, app, base = [], [], []
    also: dict[str, list[float]] = {name: [] for name in args.also}
    for _ in range(RUNS):  # interleaved, so a busy moment hits all of them alike
        bare.append(first_frame([sys.executable, str(HERE / "bare_app.py")], b"bare-app-ready", size=size))
        # the status bar names the model once the whole first frame is composed
        app.append(first_frame([sys.executable, "-m", "rnn_tui"], b"shakespeare-lstm", HERE.parent, size))
        if args.baseline:
            base.append(first_frame([sys.executable, "-m", "rnn_tui"], b"shakespeare-lstm", args.baseline, size))
        for name, times in also.items():
            times.append(first_frame([sys.executable, "-m", "rnn_tui", name], name.encode(), HERE.parent, size))
    unit = opening_unit_ms()
    rows = [("bare Textual app", f"{statistics.median(bare):.3f}", f"{min(bare):.3f}", f"{max(bare):.3f}"),
            ("rnn-tui, default model", f"{statistics.median(app):.3f}", f"{min(app):.3f}", f"{max(app):.3f}")]
    if base:
        rows.append(("baseline checkout, default model", f"{statistics.median(base):.3f}", f"{min(base):.3f}",
                     f"{max(base):.3f}"))
    for name, times in also.items():
        rows.append((f"rnn-tui {name}", f"{statistics.median(times):.3f}", f"{min(times):.3f}", f"{max(times):.3f}"))
    rows.append(("opening unit (passage stats), s", f"{statistics.median(unit) / 1e3:.3f}",
                 f"{min(unit) / 1e3:.3f}", f"{max(unit) / 1e3:.3f}"))
    print(table(rows, ("first frame through a pty", f"median s of {RUNS}", "best s", "worst s")))
    b, a, u = statistics.median(bare), statistics.median(app), statistics.median(unit)
    ok = a <= 0.6 and a / b <= 1.5 and u <= 50
    if base:
        print(f"baseline checkout: {statistics.median(base) / b:.2f}x the bare app")
    for name, times in also.items():
        print(f"{name}: {statistics.median(times) / a:.2f}x the default model's first frame")
    print(f"ratio {a / b:.2f}x the bare app; opening unit {u:.0f} ms; targets <= 0.6 s, <= 1.5x, <= 50 ms: "
          f"{'met' if ok else 'NOT met'}; load {open('/proc/loadavg').read().strip()}")
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
