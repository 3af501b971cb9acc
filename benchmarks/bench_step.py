"""One generation step with every activation captured, 1 thread, default model.

Targets (issue #2): >= 15x faster than a torch.nn.LSTM per-step loop on the same
weights, and within 2x of the time of the step's matrix-vector products alone.
"""

from __future__ import annotations

import itertools
import sys

# isort: off
from _common import default_model, machine, per_call_us, table, verdict  # before numpy: it pins the BLAS threads
import numpy as np
# isort: on


def main() -> int:
    model, name = default_model()
    c = model.config
    state = model.initial_state()
    ids = itertools.cycle(np.random.default_rng(0).integers(0, c.vocab_size, 4096).tolist())

    def numpy_step():
        nonlocal state
        state, _, _ = model.step(state, next(ids))

    numpy_us = per_call_us(numpy_step)

    # the floor: the same matrix-vector products, nothing else
    h = np.zeros(c.hidden, np.float32)

    def matvecs_only():
        for k in range(c.layers):
            if k:
                h @ model.w_ih[k]
            h @ model.w_hh[k]
        h @ model.head_w

    floor_us = per_call_us(matvecs_only)
    rows = [("numpy step, all gates captured", f"{numpy_us:.1f}", "1.00")]
    rows.append(("matrix-vector products only (floor)", f"{floor_us:.1f}", f"{numpy_us / floor_us:.2f}x floor"))

    torch_ratio = None
    try:
        import torch
    except ImportError:
        print("torch not installed: skipping the torch comparison")
    else:
        torch.set_num_threads(1)
        cls = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[c.cell]
        rnn = cls(c.input_size, c.hidden, c.layers)
        rnn.load_state_dict({k.removeprefix("rnn."): torch.tensor(v) for k, v in model.tensors.items()
                             if k.startswith("rnn.")})
        head = torch.nn.Linear(c.hidden, c.vocab_size)
        eye = torch.eye(c.vocab_size)
        tstate = None

        def torch_step():
            nonlocal tstate
            with torch.no_grad():
                out, tstate = rnn(eye[next(ids)].view(1, 1, -1), tstate)
                head(out)

        torch_us = per_call_us(torch_step)
        torch_ratio = torch_us / numpy_us
        rows.append(("torch nn per-step loop (no gates)", f"{torch_us:.1f}", f"numpy is {torch_ratio:.1f}x faster"))

    print(machine())
    print(f"model: {name}, 1 thread")
    print(table(rows, ("variant", "µs/step", "ratio")))
    ok = numpy_us / floor_us <= 2.0 and (torch_ratio is None or torch_ratio >= 15)
    print(f"targets: >= 15x torch, <= 2x floor: {'met' if ok else 'NOT met'}")
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
