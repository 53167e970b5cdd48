"""Gradient checking.

TODO (author): what the learner builds, with its formulas, every shape and a worked example,
as the other exercises' stubs say it. The contract (docs/contract.md) fixes the names, the
arguments and the shapes. `square` and `square_backward` below are the scaffold's example:
replace them, here and in solutions/exercise06_gradcheck.py, with the same signatures and docstrings in both
(`bpgrade dev check` compares them).

Checking your work
------------------
    bpgrade check exercise06     # grade this file, check by check
    bpgrade hint exercise06      # reveal the next hint when you are stuck
"""

import numpy as np


def square(X: np.ndarray) -> np.ndarray:
    """Elementwise square: Y = X**2.

    Inputs:
    - X: an array of any shape

    Returns:
    - Y: X squared, element by element, shaped like X
    """
    raise NotImplementedError("square: the elementwise square of X (see the docstring)")


def square_backward(dY: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The backward pass of square: the upstream gradient times the local slope 2X.

    Inputs:
    - dY: upstream gradient dL/dY, shaped like X
    - X: the input the forward pass was given

    Returns:
    - dX: gradient dL/dX = dY * 2X, shaped like X
    """
    raise NotImplementedError("square_backward: compute dX (see the docstring)")
