"""Average fine-tuned tails into one (a "model soup", Wortsman et al. 2022).

Runs that start from the same ImageNet weights and differ only in seed, schedule or regularisation end close together, so the
average of their weights answers like the average of their answers (measured on v5's runs: 99% the same top-1 on the
val views) at the cost of one model: a free ensemble for the server's and the browser's time budget.

    python -m training.soup --work /tmp/fruitclf-work --out-id fruit-lite0-v5-soup fruit-lite0-v5 fruit-lite0-v5-e6

reads --work/tail-<id>.pt of each ingredient (written by training.train; an argument ending in .pt is a tail file
itself) and writes --work/tail-<out-id>.pt; then
`python -m training.train ... --model-id <out-id> --reuse-tail` with the ingredients' data flags calibrates the soup,
exports it and checks both runtimes like any run (docs/model.md, "Model v5").
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np

from .progress import log


class IngredientMismatch(ValueError):
    """Tails that cannot be averaged: other labels, another cut, or other layers."""


def _is_float(value) -> bool:
    is_floating_point = getattr(value, "is_floating_point", None)  # a torch tensor
    if is_floating_point is not None:
        return bool(is_floating_point())
    return np.issubdtype(np.asarray(value).dtype, np.floating)


def average_tails(ingredients: list[dict]) -> dict:
    """One checkpoint ({"tail", "labels", "k"}) whose float weights are the mean of INGREDIENTS'. Integer entries
    (BatchNorm's batch counters) are the first ingredient's: the BatchNorm statistics stay frozen in the fine-tune,
    so they are the same in every ingredient anyway."""
    if len(ingredients) < 2:
        raise IngredientMismatch("a soup needs at least two tails")
    first = ingredients[0]
    for other in ingredients[1:]:
        if other["labels"] != first["labels"] or other["k"] != first["k"]:
            raise IngredientMismatch("every tail must have the same labels and cut (k)")
        if other["tail"].keys() != first["tail"].keys():
            raise IngredientMismatch("every tail must have the same layers")
    averaged = {}
    for name, value in first["tail"].items():
        if _is_float(value):
            averaged[name] = sum(i["tail"][name] for i in ingredients) / len(ingredients)
        else:
            averaged[name] = value
    return {"tail": averaged, "labels": first["labels"], "k": first["k"]}


def drop_labels(ingredient: dict, dropped: set[str]) -> dict:
    """INGREDIENT without the classifier rows of DROPPED (a run that learnt a label the others leave out)."""
    keep = [i for i, label in enumerate(ingredient["labels"]) if label not in dropped]
    tail = dict(ingredient["tail"])
    tail["fc.weight"], tail["fc.bias"] = tail["fc.weight"][keep], tail["fc.bias"][keep]
    return {**ingredient, "tail": tail, "labels": [ingredient["labels"][i] for i in keep]}


def main(argv=None):
    import torch

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ingredients", nargs="+", help="model ids whose --work/tail-<id>.pt are averaged, or tail files")
    ap.add_argument("--work", default="/tmp/fruitclf-work")
    ap.add_argument("--out-id", required=True, help="model id of the soup: writes --work/tail-<out-id>.pt")
    ap.add_argument("--drop-labels", default="", help="comma-separated labels removed from every ingredient first")
    args = ap.parse_args(argv)
    work = pathlib.Path(args.work)
    dropped = {label for label in args.drop_labels.split(",") if label}
    paths = [pathlib.Path(i) if i.endswith(".pt") else work / f"tail-{i}.pt" for i in args.ingredients]
    soup = average_tails([drop_labels(torch.load(path), dropped) for path in paths])
    soup["ingredients"] = args.ingredients
    out = work / f"tail-{args.out_id}.pt"
    torch.save(soup, out)
    log(f"wrote {out}: the mean of {', '.join(args.ingredients)}")


if __name__ == "__main__":
    main()
