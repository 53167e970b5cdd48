"""Inputs for the checks: random arrays from fixed seeds, at sizes that expose mistakes.

The rules every exercise's cases follow (tests/test_case_design.py holds each check to them):
- sizes: the first case has sizes that all differ (and differ from 2), so a wrong axis or a
  factor of N cannot pass by luck; a case where they are all equal (square matrices, where a
  transpose fits the shapes); N = 1; the worked example's own sizes;
- elementwise inputs hold, in every draw, exact kinks, values just either side of them and
  large magnitudes (a check's `elementwise` arguments get `plant_special_values`);
- every function is called twice in a row on different numbers of the same shapes
  (`base.with_twins`), so state kept between calls meets a second case.
Where a case exposes a mistake only on some draws, it is fixed, not random.
"""

from __future__ import annotations

import numpy as np

from grader.judge.diagnose import Factor

# In every elementwise input: the kink itself, values just either side of it (the smallest
# float64 on each side fails any positive threshold in place of 0; 1e-7 and 3e-3 the usual
# ones), and magnitudes where a clipped or saturating function (ReLU6, a slope set to 0 beyond
# |z| = 6) or an overflowing exp (NaN at |z| = 1000) goes wrong.
SPECIAL_VALUES = (
    0.0,
    5e-324,
    -5e-324,
    1e-7,
    -1e-7,
    3e-3,
    -3e-3,
    8.0,
    -8.0,
    30.0,
    -30.0,
    1000.0,
    -1000.0,
)


def normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return rng.normal(0.0, scale, size=shape)


def plant_special_values(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """A copy of `values` with every one of SPECIAL_VALUES planted at random places."""
    planted = np.array(values, dtype=np.float64)
    flat = planted.reshape(-1)
    if flat.size < len(SPECIAL_VALUES):
        raise ValueError(f"an elementwise case needs {len(SPECIAL_VALUES)} elements or more")
    flat[rng.permutation(flat.size)[: len(SPECIAL_VALUES)]] = SPECIAL_VALUES
    return planted


def batch_factors(**sizes: float) -> dict[str, Factor]:
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


def case_label(**sizes: float) -> str:
    return ", ".join(f"{name}={value:g}" for name, value in sizes.items())
