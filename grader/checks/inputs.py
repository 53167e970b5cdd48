"""Inputs for the checks: random arrays from fixed seeds, at sizes that expose mistakes.

The first case of every list has sizes that all differ (and differ from 2), so a transpose,
a wrong axis or a factor of N cannot pass by luck, and a wrong factor can be named. N = 1 is
always among the cases.
"""

from __future__ import annotations

import numpy as np

from grader.judge.diagnose import Factor

KINK_MARGIN = 0.05  # keeps random inputs this far from the ReLU kink at 0


def normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return rng.normal(0.0, scale, size=shape)


def away_from_zero(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    """Normal values pushed at least KINK_MARGIN from 0, where finite differences of ReLU fail."""
    values = rng.normal(0.0, scale, size=shape)
    return values + np.where(values >= 0, KINK_MARGIN, -KINK_MARGIN)


def batch_factors(**sizes: int) -> dict[str, Factor]:
    meanings = {
        "N": "the batch size",
        "D": "the number of inputs",
        "D_in": "the number of inputs",
        "D_out": "the number of outputs",
        "H": "the hidden width",
        "C": "the number of classes or outputs",
        "size": "Y.size, the number of elements",
        "lr": "the learning rate",
    }
    return {name: Factor(float(value), meanings[name]) for name, value in sizes.items()}


def label(**sizes: float) -> str:
    return ", ".join(f"{name}={value:g}" for name, value in sizes.items())
