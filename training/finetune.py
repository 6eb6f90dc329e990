"""Fine-tuning the tail (backbone.Tail) on cached front features, checkpointed every epoch so a stopped run resumes."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .progress import log
from .scores import top1_by_source


def train_tail(tail, feats, y, weights, val_feats, val_y, args, ckpt_path=None, val_sources=None):
    """Fine-tune on cached features. With ckpt_path, every epoch is checkpointed (model, optimiser, schedule,
    sampler state) and a run that was stopped resumes at the next epoch; each epoch's validation figures per
    source are appended to <ckpt_path>.jsonl."""
    seed = args.train_seed  # only the fine-tune's draws: the views and caches keep training.seed.SEED
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    head_params = list(tail.fc.parameters())
    body_params = [p for n, p in tail.named_parameters() if not n.startswith("fc.")]
    opt = torch.optim.AdamW(
        [{"params": body_params, "lr": args.lr_body}, {"params": head_params, "lr": args.lr_head}], weight_decay=args.wd
    )
    steps_per_epoch = len(y) // args.batch
    total = steps_per_epoch * args.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=[args.lr_body, args.lr_head], total_steps=total, pct_start=0.1
    )
    sampler = torch.utils.data.WeightedRandomSampler(
        torch.as_tensor(weights, dtype=torch.double), len(y), replacement=True, generator=g
    )
    yt = torch.as_tensor(y)
    first_epoch = 0
    if ckpt_path is not None and ckpt_path.exists():
        state = torch.load(ckpt_path, weights_only=False)
        tail.load_state_dict(state["tail"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        g.set_state(state["generator"])
        first_epoch = state["epoch"]
        log(f"resuming from {ckpt_path} after epoch {first_epoch}")
    mix_rng = np.random.default_rng(seed + first_epoch)
    for ep in range(first_epoch, args.epochs):
        tail.train()
        for m in tail.modules():  # frozen BN statistics (small data, mixed sources)
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        order = list(sampler)
        t0, tot, correct, n = time.time(), 0.0, 0, 0
        for b in range(steps_per_epoch):
            idx = np.sort(np.array(order[b * args.batch : (b + 1) * args.batch]))
            x = torch.from_numpy(np.asarray(feats[idx], dtype=np.float32))
            t = yt[idx]
            if args.mixup > 0:  # mixup on the cached feature maps: softer decision borders between look-alikes
                lam = float(mix_rng.beta(args.mixup, args.mixup))
                perm = torch.from_numpy(mix_rng.permutation(len(idx)))
                logits = tail(lam * x + (1 - lam) * x[perm])
                loss = lam * F.cross_entropy(logits, t, label_smoothing=args.smoothing) + (1 - lam) * F.cross_entropy(
                    logits, t[perm], label_smoothing=args.smoothing
                )
            else:
                logits = tail(x)
                loss = F.cross_entropy(logits, t, label_smoothing=args.smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(idx)
            correct += (logits.argmax(1) == t).sum().item()
            n += len(idx)
        record = {"epoch": ep + 1, "loss": tot / n, "train_acc": correct / n, "seconds": round(time.time() - t0)}
        if val_feats is not None:
            pred = predict(tail, val_feats).argmax(1)
            record["val_acc"] = float((pred == val_y).mean())
            if val_sources is not None:
                record.update(top1_by_source(pred, val_y, val_sources))
        log(json.dumps(record))
        if ckpt_path is not None:
            state = {"tail": tail.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}
            torch.save({**state, "generator": g.get_state(), "epoch": ep + 1}, ckpt_path.with_suffix(".tmp"))
            os.replace(ckpt_path.with_suffix(".tmp"), ckpt_path)
            with open(ckpt_path.with_suffix(".jsonl"), "a") as f:
                f.write(json.dumps(record) + "\n")
    return tail


def predict(tail, feats, batch=256):
    tail.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(feats), batch):
            out.append(tail(torch.from_numpy(np.asarray(feats[i : i + batch], dtype=np.float32))))
    return torch.cat(out).numpy()
