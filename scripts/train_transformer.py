"""Train the bundled shakespeare-transformer: a small character-level GPT beside the three RNNs.

The same corpus, vocabulary and held-out last 5 % as scripts/train_bundled.py
(both go through train.data.prepare). 4 layers, width 184, 4 heads of 46, context
256: 898,372 parameters against the LSTM 2×256's 898,132. The MLP is as wide as
the residual stream (not GPT's 4×): then every per-layer quantity (attention
output, MLP hidden units, residual stream) has the model's width, and they are
units of one (layers, quantities, width) array like an RNN's gates.

AdamW (lr 2e-3, betas 0.9/0.99, weight decay 0.1 on matrices only), warm-up
over the first 2 % of the time budget, cosine decay to 10 % by its end,
gradient clipping at 1.0, no dropout (a few passes over 4.8 M characters do not
overfit a model this small). Each batch is `--batch` windows of `context` + 1
characters at random offsets of the training text, so every position 0..255
is trained at every step.

Every `--save-every` seconds it scores the held-out text (the viewer's window
rule, see train/transformer.py) and, if better, writes OUT atomically (the
checkpoint format with the transformer's fields); OUT.resume.pt holds the
optimizer for `--resume`. Imports neither textual nor the viewer:

    python scripts/train_transformer.py --budget 4200 --threads 2 --out runs/t/shakespeare-transformer.safetensors
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import numpy as np  # noqa: E402
import torch  # noqa: E402

from rnn_tui.core.atomic import atomic_write_bytes  # noqa: E402
from rnn_tui.core.checkpoint import FORMAT, VERSION  # noqa: E402
from rnn_tui.train.data import prepare  # noqa: E402
from rnn_tui.train.transformer import CharTransformer, nll  # noqa: E402


def document(args: argparse.Namespace, corpus, provenance: dict) -> dict:
    from rnn_tui import __version__

    return {
        "format": FORMAT, "version": VERSION, "cell": "transformer",
        "layers": args.layers, "hidden": args.dim, "input": "embedding", "embed_dim": args.dim,
        "heads": args.heads, "context": args.context, "mlp": args.mlp,
        "vocab": list(corpus.vocab.chars),
        "provenance": {"software": f"rnn-tui {__version__}", **provenance},
    }


def save(path: Path, model: CharTransformer, doc: dict) -> None:
    from safetensors.numpy import save as st_save

    arrays = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in model.tensors().items()}
    atomic_write_bytes(path, st_save(arrays, metadata={"rnn_tui": json.dumps(doc, ensure_ascii=True)}))


def hardware(threads: int) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"CPU {cpu}, {os.cpu_count()} cores, {threads} torch threads"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Train the bundled shakespeare-transformer.")
    p.add_argument("--corpus", default=str(ROOT / "checkpoints" / "corpora" / "shakespeare.txt.xz"))
    p.add_argument("--out", default=str(ROOT / "runs" / "transformer" / "shakespeare-transformer.safetensors"))
    p.add_argument("--budget", type=float, default=4500.0, help="seconds of training, evaluation included")
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--dim", type=int, default=184)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--mlp", type=int, default=None, help="MLP width (default: --dim)")
    p.add_argument("--context", type=int, default=256)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--final-lr-frac", type=float, default=0.1)
    p.add_argument("--warmup-frac", type=float, default=0.02)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--save-every", type=float, default=600.0, help="seconds between held-out scores and saves")
    p.add_argument("--val-chars", type=int, default=None, help="score only the first N held-out characters")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true")
    args = p.parse_args(argv)
    args.mlp = args.mlp or args.dim

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    resume_path = Path(f"{out}.resume.pt")
    corpus = prepare(args.corpus, args.batch, args.context, 0.05)
    train = torch.from_numpy(corpus.train_ids)
    val = torch.from_numpy(corpus.val_ids if args.val_chars is None else corpus.val_ids[: args.val_chars])
    model = CharTransformer(len(corpus.vocab), args.layers, args.dim, args.heads, args.context, args.mlp)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and not n.startswith(("tok", "pos"))]
    other = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and not n.startswith(("tok", "pos")))]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": other, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.99))
    step, elapsed, best, best_step = 0, 0.0, math.inf, 0
    if args.resume and resume_path.exists():
        r = torch.load(resume_path, weights_only=True)
        model.load_state_dict(r["model"])
        opt.load_state_dict(r["opt"])
        step, elapsed, best, best_step = r["step"], r["elapsed"], r["best"], r["best_step"]
        torch.set_rng_state(r["rng"])
    gen = torch.Generator().manual_seed(args.seed + step)
    params = model.parameters_count()
    hw = hardware(args.threads)
    print(f"transformer {args.layers}x{args.dim}, {args.heads} heads, mlp {args.mlp}, context {args.context}: "
          f"{params:,} parameters; train {len(train):,} chars, val {len(val):,}; {hw}", flush=True)

    def lr_at(frac: float) -> float:
        if frac < args.warmup_frac:
            return args.lr * frac / args.warmup_frac
        t = min(1.0, (frac - args.warmup_frac) / (1 - args.warmup_frac))
        return args.lr * (args.final_lr_frac + (1 - args.final_lr_frac) * 0.5 * (1 + math.cos(math.pi * t)))

    def evaluate_and_save() -> None:
        nonlocal best, best_step
        t0 = time.perf_counter()
        v = nll(model, val)
        took = time.perf_counter() - t0
        improved = v < best
        if improved:
            best, best_step = v, step
            doc = document(args, corpus, {
                "corpus": corpus.name, "corpus_sha256": corpus.sha256, "val_frac": corpus.val_frac,
                "val_loss": round(v, 5), "steps": step, "seconds": round(elapsed, 1), "seed": args.seed,
                "hardware": hw, "batch": args.batch, "lr": args.lr, "parameters": params,
                "date": time.strftime("%Y-%m-%d", time.gmtime())})
            save(out, model, doc)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                    "best": best, "best_step": best_step, "rng": torch.get_rng_state()}, f"{resume_path}.tmp")
        os.replace(f"{resume_path}.tmp", resume_path)
        load = os.getloadavg()
        print(f"step {step:6d}  {elapsed:7.0f} s  val {v:.4f} nats/char ({v / math.log(2):.3f} bits)"
              f"{'  saved' if improved else ''}  eval {took:.0f} s  load {load[0]:.1f}", flush=True)

    model.train()
    last_save = elapsed
    t_start = time.perf_counter() - elapsed
    window = args.context + 1
    losses: list[float] = []
    while True:
        elapsed = time.perf_counter() - t_start
        if elapsed >= args.budget or (args.max_steps is not None and step >= args.max_steps):
            break
        frac = elapsed / args.budget if args.max_steps is None else step / args.max_steps
        for g in opt.param_groups:
            g["lr"] = lr_at(frac)
        starts = torch.randint(0, len(train) - window, (args.batch,), generator=gen)
        chunk = torch.stack([train[s : s + window] for s in starts.tolist()])
        logits = model(chunk[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), chunk[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        losses.append(loss.item())
        if step % 50 == 0:
            rate = step * args.batch * args.context / max(elapsed, 1e-9)
            print(f"step {step:6d}  {elapsed:7.0f} s  train {np.mean(losses):.4f}  lr {lr_at(frac):.2e}  "
                  f"{rate:,.0f} chars/s", flush=True)
            losses.clear()
        if elapsed - last_save >= args.save_every:
            evaluate_and_save()
            last_save = time.perf_counter() - t_start
    elapsed = time.perf_counter() - t_start
    evaluate_and_save()
    print(f"done: {step} steps, {elapsed:.0f} s, best val {best:.4f} nats/char at step {best_step}; {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
