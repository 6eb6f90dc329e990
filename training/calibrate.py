"""Calibration on the val photos: a temperature (NLL), and the abstain threshold that keeps fruit photos answered.

Numpy only. The calibration error (ECE) is the serving evaluation's own (fruitclf.ml.evaluate.ece).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def softmax(z):
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def fit_temperature(logits, y):
    best = (1e9, 1.0)
    for t in np.exp(np.linspace(math.log(0.3), math.log(5), 200)):
        p = softmax(logits / t)
        nll = -np.log(p[np.arange(len(y)), y] + 1e-12).mean()
        best = min(best, (nll, float(t)))
    return best[1]


def choose_threshold(probs, y, not_fruit, max_fruit_abstain):
    """Largest threshold whose fruit abstain rate on val stays <= max_fruit_abstain."""
    top = probs.argmax(1)
    conf = probs.max(1)
    fruit = y != not_fruit
    best = 0.0
    for t in np.round(np.arange(0.0, 0.951, 0.01), 2):
        abst = (top == not_fruit) | (conf < t)
        if abst[fruit].mean() <= max_fruit_abstain:
            best = float(t)
    abst = (top == not_fruit) | (conf < best)
    return best, float(abst[fruit].mean()), float(abst[~fruit].mean())


@dataclass(frozen=True)
class Calibration:
    temperature: float
    abstain_threshold: float
    fruit_abstain_rate: float  # on the calibration photos, at that threshold
    not_fruit_abstain_rate: float


def calibrate(logits, y, not_fruit: int, max_fruit_abstain: float) -> Calibration:
    """The temperature fitted on LOGITS (val photos), then the threshold on the temperature-scaled probabilities."""
    temperature = fit_temperature(logits, y)
    threshold, fruit_abstain, not_fruit_abstain = choose_threshold(
        softmax(logits / temperature), y, not_fruit, max_fruit_abstain
    )
    return Calibration(temperature, threshold, fruit_abstain, not_fruit_abstain)
