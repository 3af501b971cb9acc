"""Analyse 100,000 characters (capture, all built-in features, ranking) with the default model.

Target (issue #7): <= 8 s, with a progress bar (the capture reports progress
after every chunk; this counts the callbacks). Baselines in the same run: the
plain teacher-forced pass round 5's `rnn-tui eval` made on a long text (16 streams, nothing captured),
run before and after to show the load's drift. Every unit is scored on its exact
float32 values, which for 100,000 characters would take 1.2 GB: `rank_text`, what
`rnn-tui analyze` does, reads the text twice, first summing what r and the AUC
bounds need for every unit, then keeping the values of only the units the bounds
cannot rule out (within MAX_ANALYSIS_BYTES, 512 MiB).
"""

from __future__ import annotations

import sys

from _analysis import model_and_text, timed, uptime
from _common import SMOKE, machine, table

from rnn_tui.analysis.capture import MAX_ANALYSIS_BYTES
from rnn_tui.analysis.features import BUILT_IN
from rnn_tui.analysis.finder import rank_text

N = 2_000 if SMOKE else 100_000


def main() -> int:
    print(machine())
    ckpt, text = model_and_text(N)
    model = ckpt.model()
    ids = ckpt.vocab.encode(text)
    print(f"{ckpt.name}, {N:,} held-out characters, {uptime()}")
    ticks = []

    def analyse():
        rank_text(model, ckpt.vocab, text, BUILT_IN, max_bytes=MAX_ANALYSIS_BYTES,
                  progress=lambda d, t: ticks.append(d))

    rows = []
    eval_pass = timed(lambda: model.forward(ids.reshape(16, -1)), 1)
    rows.append(("eval pass, 16 streams, no capture (baseline)", *eval_pass))
    rows.append(("capture + rank 16 features", *timed(analyse, 1)))
    rows.append(("eval pass again (load drift check)", *timed(lambda: model.forward(ids.reshape(16, -1)), 1)))
    base = eval_pass[0]
    print(table([(n, f"{m:.2f}", f"{N / m:,.0f}", f"{m / base:.2f}x") for n, m, _, _ in rows],
                ("what", "s", "chars/s", "vs baseline")))
    took = rows[1][1]
    print(f"progress callbacks: {len(ticks)} (last {ticks[-1]:,}/{2 * N:,} characters: two passes)")
    print(f"target <= 8 s: {'met' if took <= 8 else 'NOT met'} ({took:.2f} s); {uptime()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
