"""Memory over a long generation, and the cost of rewinding: the real app, then the session alone.

Targets (issue #3): RSS <= 120 MB after 100,000 generated steps, growing by
<= 64 bytes a step; rewinding to any earlier step <= 50 ms.

App rows: the viewer itself runs headless (`App.run_test`, 120×40, default model) and generates
through `action_step`, the method the → key calls (its frame is coalesced, so the screen is brought
up to date every 1,000 steps, not every step). Rewinds go through `action_back(n)`, the method ← and
[ call, followed by the `sync` the key's frame runs (the widgets take the rewound state); each
is timed from the end of the text to a random earlier step, and interleaved with it, the baseline: one
step forward at the end (action_step + sync, what → runs). Session rows: the bare session in the
same process set-up, as before. About a minute in all.

    python benchmarks/bench_memory.py [STEPS]
"""

from __future__ import annotations

import asyncio
import random
import sys
import time

from _common import SMOKE, default_model, machine, table, verdict

from rnn_tui.core.checkpoint import DEFAULT_MODEL, bundled_models, load
from rnn_tui.core.sampling import Sampler
from rnn_tui.core.session import Session

REWINDS = 5 if SMOKE else 200
WARM = 500 if SMOKE else 10_000  # steps before the growth is measured


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


async def app_rows(steps: int) -> tuple[list[tuple[str, str]], bool]:
    from rnn_tui.tui.app import build_app

    path = bundled_models().get(DEFAULT_MODEL)
    app = build_app(path, seed=1, prime="\n", glyphs=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        t0 = time.perf_counter()
        rss_10k = 0
        for k in range(1, steps + 1):
            app.action_step()
            if k % 1000 == 0:
                await pilot.pause()  # the coalesced frame: the widgets catch up
            if k == WARM:
                rss_10k = rss_bytes()
            if k == steps // 2:
                rss_half = rss_bytes()
        gen_s = time.perf_counter() - t0
        rss_end = rss_bytes()
        growth = (rss_end - rss_10k) / (steps - WARM)
        growth_late = (rss_end - rss_half) / (steps - steps // 2)
        s = app.session
        end = s.cursor
        rng = random.Random(0)
        times, forward = [], []
        for _ in range(REWINDS):
            target = rng.randrange(0, end)
            t0 = time.perf_counter()
            app.action_step()
            app.sync()
            forward.append(time.perf_counter() - t0)
            end = s.cursor
            t0 = time.perf_counter()
            app.action_back(s.cursor - target)
            app.sync()
            times.append(time.perf_counter() - t0)
            assert s.cursor == target
            s.seek(end)  # back to the end, untimed
        # what the keys do: ← and [ step back through history just played (cached, exact)
        near = []
        for n in [1, 10] * 50:
            t0 = time.perf_counter()
            app.action_back(n)
            app.sync()
            near.append(time.perf_counter() - t0)
        await pilot.pause()
    worst = max(times)
    rows = [
        (f"app: {steps:,} steps through action_step", f"{gen_s:.1f} s ({steps / gen_s:,.0f} steps/s)"),
        (f"app: RSS after {WARM:,} steps", f"{rss_10k / 2**20:.1f} MB"),
        (f"app: RSS after {steps:,} steps", f"{rss_end / 2**20:.1f} MB"),
        (f"app: RSS growth per step, {WARM:,} to the end", f"{growth:.1f} bytes"),
        ("app: RSS growth per step, second half", f"{growth_late:.1f} bytes"),
        (f"app: → at the end (action_step + sync), mean of {REWINDS} (baseline)",
         f"{sum(forward) / REWINDS * 1e3:.1f} ms"),
        (f"app: rewind (action_back + sync), mean of {REWINDS}",
         f"{sum(times) / REWINDS * 1e3:.1f} ms ({sum(times) / sum(forward):.1f}x the baseline)"),
        (f"app: rewind (action_back + sync), worst of {REWINDS}", f"{worst * 1e3:.1f} ms"),
        ("app: ← / [ through recent history, mean of 100", f"{sum(near) / len(near) * 1e3:.1f} ms"),
        ("app: ← / [ through recent history, worst of 100", f"{max(near) * 1e3:.1f} ms"),
    ]
    return rows, rss_end <= 120 * 2**20 and growth <= 64 and worst <= 0.050 and max(near) <= 0.050


def main() -> int:
    import textual.app  # noqa: F401  the viewer's footprint, not the bare engine's

    print(machine())
    steps = 2_000 if SMOKE else int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    # the app first, so its RSS is the viewer's own and not the session rows' on top
    rows_app, ok_app = asyncio.run(app_rows(steps)) if bundled_models().get(DEFAULT_MODEL) else ([], True)
    model, name = default_model()
    path = bundled_models().get(DEFAULT_MODEL)
    vocab = load(path).vocab if path else None
    if vocab is None:
        from rnn_tui.core.vocab import Vocab

        vocab = Vocab([chr(32 + i) for i in range(83)] + ["\n"])
    session = Session(model, vocab, prime="\n", sampler=Sampler(temperature=0.8, seed=1))
    session.forward(WARM)
    rss_10k = rss_bytes()
    t0 = time.perf_counter()
    session.forward(steps - WARM)
    gen_s = time.perf_counter() - t0
    rss_end = rss_bytes()
    growth = (rss_end - rss_10k) / (steps - WARM)

    rng = random.Random(0)
    worst, total = 0.0, 0.0
    for _ in range(REWINDS):
        target = rng.randrange(0, session.length)
        t0 = time.perf_counter()
        session.seek(target)
        dt = time.perf_counter() - t0
        worst, total = max(worst, dt), total + dt
    print(f"model: {name}; session: {steps:,} generated steps in {gen_s:.1f} s "
          f"({(steps - WARM) / gen_s:,.0f} steps/s)")
    print(table(rows_app + [
        (f"session: RSS after {WARM:,} steps", f"{rss_10k / 2**20:.1f} MB"),
        (f"session: RSS after {steps:,} steps", f"{rss_end / 2**20:.1f} MB"),
        ("session: RSS growth per step", f"{growth:.1f} bytes"),
        ("session: history held per step (characters, records, snapshots)",
         f"{session.memory_bytes() / session.length:.1f} bytes"),
        (f"session: seek to a random earlier step, mean of {REWINDS}", f"{total / REWINDS * 1e3:.1f} ms"),
        (f"session: seek to a random earlier step, worst of {REWINDS}", f"{worst * 1e3:.1f} ms"),
    ], ("measure", "value")))
    # the RSS cap is the app's (its rows): the session rows run after it in the same process
    ok = growth <= 64 and worst <= 0.050 and ok_app
    print(f"targets RSS <= 120 MB, <= 64 B/step, rewind <= 50 ms: {'met' if ok else 'NOT met'}")
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
