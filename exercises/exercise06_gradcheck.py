"""Exercise 06: gradient checking.

Every backward pass you write from here on can be checked against the definition of the
derivative: nudge one input element by a small step h, see how much the output moves. This
exercise builds that checker: four small functions, the tool every later exercise relies on.

Central differences
-------------------
For a function f of one float64 array x (any shape) that returns a float, the numeric
gradient has one element per element of x. With e_i the array that is 1 at element i and 0
elsewhere:

    grad[i] = (f(x + h*e_i) - f(x - h*e_i)) / (2h)

The difference spans two steps, from x - h*e_i to x + h*e_i, hence 2h. Why both sides: Taylor's
expansion f(x + h) = f(x) + h f'(x) + h**2/2 f''(x) + h**3/6 f'''(x) + ... Subtracting f(x - h)
cancels the f'' term, so central differences are off by O(h**2), and are exact (up to
rounding) on a quadratic. The forward difference (f(x + h*e_i) - f(x)) / h keeps the f''
term: it is off by about h/2 * f'', an error a tight check notices.

Perturbing in place
-------------------
You may move x[i] in place and call f(x), as CS231n does, or build moved copies. In place, save
x[i] first and, after the two evaluations, assign the saved value back: when the function
returns, x must hold exactly its original values. (x[i] += h, then -= 2h, then += h leaves
rounding behind; a point left moved spoils every later element.) np.ndindex(x.shape) visits
every index of an array of any shape.

An upstream gradient
--------------------
A backward pass never sees a scalar loss: it gets dout = dL/dout for an output out = f(x) (an
array) and returns dL/dx. That is the gradient of the scalar sum(f(x) * dout), so
numeric_gradient_upstream is numeric_gradient of that scalar. f may return a view of its
argument (x.T, x[0]): reduce each evaluation to its number at once, before x moves again.

Relative error
--------------
Gradients come in all sizes, so they are compared relatively, element by element:

    abs(a - b) / max(1e-8, abs(a) + abs(b))

and rel_error is the largest of these, a float. The floor 1e-8 keeps two values that are both
(nearly) zero from counting as far apart, and makes two exact zeros give 0.0 with no 0/0 (and
no NumPy warning). a and b have one shape; Python floats are allowed too.

gradcheck
---------
gradcheck(forward, backward, inputs, dout) checks a layer: forward(*inputs) returns an array
shaped like dout; backward(dout, *inputs) returns one gradient per input (a tuple or list;
with one input, the array itself or a 1-tuple). For each input i, hold the others fixed, take
the numeric gradient with upstream dout with respect to inputs[i], and compare it with the
i-th gradient backward returned: one rel_error per input, returned as a tuple of floats. The
caller's inputs stay unchanged. A gradient of the wrong shape (a db left unsummed, (N, D)
where b is (D,)) is a bug to report with a large figure, not a reason to stop: rel_error's
broadcasting gives one.

Reading the figures: a correct backward gives rounding noise, about 1e-10 (below about 1e-7
is right, and the digits differ between correct checkers); a bug gives 1e-2 or more, and only
for the inputs whose gradient is wrong: a transposed dW shows in W's figure alone.

Conventions that matter here
----------------------------
- float64 throughout: with float32's 7 digits, h = 1e-5 leaves almost nothing of f's change.
- h is a parameter with default 1e-5: use the h you are given.
- No function changes its arguments when it returns (x, the inputs); rel_error returns a float.
- Mind the kinks: at x = 0 a ReLU has no derivative, and central differences there give a
  number that is neither slope. Check on points away from kinks.

Worked example
--------------
f(x) = x0**2 + 3*x0*x1 at x = [1.0, 2.0], whose gradient is (2*x0 + 3*x1, 3*x0) = (8, 3).
With h = 0.1, numbers you can check by hand:

    f(1.1, 2.0) = 1.21 + 6.6 = 7.81      f(0.9, 2.0) = 0.81 + 5.4 = 6.21
    grad[0] = (7.81 - 6.21) / 0.2 = 8.0          exact: f is a quadratic
    forward difference: (7.81 - 7.0) / 0.1 = 8.1  off by h/2 * f'' = 0.1/2 * 2
    dividing by h instead of 2h: 16.0             twice the answer

    f(1.0, 2.1) = 7.3    f(1.0, 1.9) = 6.7    grad[1] = 0.6 / 0.2 = 3.0

An upstream: f(x) = 2 * x (elementwise) with dout = [1.0, -1.0, 0.5] gives [2.0, -2.0, 1.0].
rel_error([1.0, 0.0], [1.1, 0.0]) = max(0.1 / 2.1, 0.0) = 0.047619...

Checking your work
------------------
    bpgrade check exercise06     # grade this file, check by check
    bpgrade hint exercise06      # reveal the next hint when you are stuck
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def numeric_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """The numeric gradient of a scalar function f at x, by central differences.

    Inputs:
    - f: a function of one float64 array shaped like x, returning a float
    - x: the point, an array of any shape (you may perturb it in place; restore it exactly)
    - h: the step

    Returns:
    - grad: shaped like x, grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)
    """
    # TODO: one element at a time: two evaluations of f, their difference over the two steps.
    raise NotImplementedError("numeric_gradient: central differences for each element of x")


def numeric_gradient_upstream(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """The numeric gradient of sum(f(x) * dout) with respect to x: what a backward pass given
    the upstream gradient dout must return.

    Inputs:
    - f: a function of one float64 array shaped like x, returning an array shaped like dout
      (possibly a view of its argument)
    - x: the point, an array of any shape
    - dout: the upstream gradient, shaped like f(x)
    - h: the step

    Returns:
    - grad: shaped like x
    """
    raise NotImplementedError(
        "numeric_gradient_upstream: the numeric gradient of a scalar made from f and dout"
    )


def rel_error(a: Any, b: Any) -> float:
    """The largest elementwise relative error between a and b, two arrays of one shape (or
    scalars): abs(a - b) / max(1e-8, abs(a) + abs(b)), 0.0 where both are zero.

    Inputs:
    - a, b: arrays of one shape, or scalars

    Returns:
    - a float
    """
    raise NotImplementedError("rel_error: the largest elementwise relative error, as a float")


def gradcheck(
    forward: Callable[..., np.ndarray],
    backward: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    dout: np.ndarray,
    h: float = 1e-5,
) -> tuple[float, ...]:
    """Checks a backward pass against numeric gradients of its forward pass.

    Inputs:
    - forward: forward(*inputs) returns an array shaped like dout
    - backward: backward(dout, *inputs) returns one gradient per input (a tuple or a list;
      with one input, the array itself or a 1-tuple)
    - inputs: the forward pass's inputs, a sequence of arrays (left unchanged)
    - dout: the upstream gradient
    - h: the step

    Returns:
    - a tuple of floats, one per input: rel_error between backward's gradient for that input
      and the numeric gradient of sum(forward(*inputs) * dout) with respect to it
    """
    # TODO: for each input, a function of that input alone (the others held fixed); compare.
    raise NotImplementedError("gradcheck: one rel_error per input (see the docstring)")
