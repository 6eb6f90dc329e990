"""A linear classifier head trained on cached pooled features, starting from (and pulled towards) a base head."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .seed import SEED


def fit(x, y, w, w0, b0, args):
    torch.manual_seed(SEED)
    W = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    B = torch.nn.Parameter(torch.from_numpy(b0.copy()))
    W0 = torch.from_numpy(w0.copy())
    opt = torch.optim.AdamW([W, B], lr=args.lr, weight_decay=0.0)
    xt, yt, wt = torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y), torch.from_numpy(w.astype(np.float32))
    g = torch.Generator().manual_seed(SEED)
    steps = args.epochs * (len(y) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    for _ in range(args.epochs):
        perm = torch.randperm(len(y), generator=g)
        for b in range(len(y) // args.batch):
            idx = perm[b * args.batch : (b + 1) * args.batch]
            logits = xt[idx] @ W.T + B
            loss = (F.cross_entropy(logits, yt[idx], reduction="none", label_smoothing=args.smoothing) * wt[idx]).mean()
            loss = loss + args.anchor * ((W - W0) ** 2).sum()  # stay near the base head: keep what it knew
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return W.detach().numpy(), B.detach().numpy()
