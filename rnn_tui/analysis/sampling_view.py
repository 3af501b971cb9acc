"""What temperature, top-k and top-p do to the next-character distribution, stage by stage.

Three distributions over the same characters: the model's (softmax of the
logits, t = 1), after dividing the logits by t, and after cutting to the top k
or the top-p mass and renormalising (what is actually sampled). The stages
reuse `Sampler.distribution`, so the panel shows exactly what sampling does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.sampling import Sampler, entropy, softmax


@dataclass(frozen=True)
class Stages:
    order: np.ndarray  # character ids, most likely first under the model (t = 1)
    model: np.ndarray  # probabilities in that order: softmax(logits)
    tempered: np.ndarray  # softmax(logits / t); one-hot on the top character when t = 0
    sampled: np.ndarray  # after top-k / top-p, renormalised: what the sampler draws from
    lines: list[str]  # the explanation in words


def stages(logits: np.ndarray, sampler: Sampler) -> Stages:
    logits = np.asarray(logits, dtype=np.float64)
    model = softmax(logits)
    tempered = sampler.with_(mode="argmax" if sampler.greedy else "sample").distribution(logits)
    sampled = sampler.distribution(logits)
    order = np.argsort(-model, kind="stable")
    return Stages(order, model[order], tempered[order], sampled[order], _explain(model, tempered, sampled, sampler))


def _explain(model: np.ndarray, tempered: np.ndarray, sampled: np.ndarray, sampler: Sampler) -> list[str]:
    top = int(np.argmax(model))
    t = sampler.temperature
    if sampler.greedy:
        first = f"t = 0 (argmax): always the top character, which the model gives {model[top]:.0%}"
    else:
        what = "flattens" if t > 1 else "sharpens" if t < 1 else "leaves"
        first = (f"t = {t:g} {what} the distribution: top character {model[top]:.0%} → {tempered[top]:.0%}; "
                 f"entropy {entropy(model):.2f} → {entropy(tempered):.2f} nats")
    lines = [first]
    kept = int((sampled > 0).sum())
    if not sampler.greedy and sampler.mode in ("top-k", "top-p"):
        mass = float(tempered[sampled > 0].sum())
        rule = f"top-k {sampler.top_k}" if sampler.mode == "top-k" else f"top-p {sampler.top_p:g}"
        lines.append(f"{rule} keeps {kept} of {len(model)} characters, holding {mass:.0%} of the mass; "
                     "they are rescaled to sum to 1")
    elif not sampler.greedy:
        lines.append(f"every character can be drawn ({kept} of {len(model)} have p > 0)")
    return lines
