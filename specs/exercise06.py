"""exercise06: gradient checking. numeric_gradient, numeric_gradient_upstream and gradcheck take
functions, so they are driven (drivers/exercise06.py builds the functions from the plain
descriptions below); rel_error is called as it is.

The numeric gradients are judged tightly (ROUNDING): correct implementations evaluate f at the
same points, or an ulp apart, and on a quadratic central differences are exact up to rounding,
so forward differences (off by h/2 * f'') and a point left shifted by h both show. gradcheck's figures for a correct
backward pass are rounding noise that differs between correct implementations: they are judged
by their order of magnitude only (`Magnitude`), as is the figure of a planted bug.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from grader.checks.base import Case, Check, Mistake
from grader.checks.inputs import normal
from grader.checks.spec import Function, arguments_unchanged
from grader.drivers import load_driver
from grader.judge.compare import Magnitude

H = 1e-5  # the contract's default step
QUADRATIC = "0.5 x.A.x + c.x"
WAVY = "sum(w * sin(x)) + sum(x**3) / 6"
# Right numeric gradients differ by rounding: f evaluated at x[i] + h - 2h rather than at
# x[i] - h (an ulp apart) moves its value by about 1e-16 * |f|, and the gradient by that over 2h,
# about 1e-10 here. Forward differences are off by h/2 * f'' (1e-6 or more), a point left moved
# by h * f'' as well: an absolute tolerance of 1e-8 (of the gradient's scale, at least 1) keeps
# them two orders of magnitude apart.
ROUNDING = 1e-8
# below 1e-7 a figure is rounding noise (the contract's "below about 1e-7"; a correct backward
# gives 5e-10 at most here); above 1e-3 it is a real error (a planted bug's figure is 0.01 or
# more on these inputs, whose gradients are all far from 0)
FIGURES = Magnitude(small=1e-7, large=1e-3)


def _quadratic(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    n = int(np.prod(shape))
    return {"kind": QUADRATIC, "A": normal(rng, n, n, scale=1 / np.sqrt(n)), "c": normal(rng, n)}


def _wavy(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    return {"kind": WAVY, "w": normal(rng, *shape)}


def _scalar_function(f: dict[str, Any]) -> Callable[[np.ndarray], float]:
    """The very function the driver builds from the description `f`, for the models of known
    mistakes."""
    build: Callable[[dict[str, Any]], Callable[[np.ndarray], float]]
    build = load_driver("exercise06", "scalar_function")
    return build(f)


# the worked example of the stub: f(x) = x0**2 + 3 x0 x1 at x = (1, 2), gradient (8, 3)
WORKED = {"kind": QUADRATIC, "A": np.array([[2.0, 3.0], [3.0, 0.0]]), "c": np.zeros(2)}


def gradient_cases(rng: np.random.Generator) -> list[Case]:
    """Quadratics (where central differences are exact) on x of one, two and three axes and a
    single element, a smooth non-quadratic, and the worked example."""
    cases = []
    for shape in ((3, 4), (1,), (2, 3, 2)):
        f = _quadratic(rng, shape)
        cases.append(
            Case(f"f = {QUADRATIC}, x of shape {shape}", {"f": f, "x": normal(rng, *shape)})
        )
    shape = (4, 3)
    cases.append(
        Case(f"f = {WAVY}, x of shape {shape}", {"f": _wavy(rng, shape), "x": normal(rng, *shape)})
    )
    example = {"f": WORKED, "x": np.array([1.0, 2.0])}
    cases.append(Case("the worked example: f = x0**2 + 3 x0 x1 at x = (1, 2)", example))
    return cases


def step_cases(rng: np.random.Generator) -> list[Case]:
    """A step h other than the default, on a function where the step shows (on a quadratic
    any step gives the same answer)."""
    cases = []
    for shape, h in (((5,), 1e-2), ((2, 3), 1e-3)):
        inputs = {"f": _wavy(rng, shape), "x": normal(rng, *shape), "h": h}
        cases.append(Case(f"f = {WAVY}, x of shape {shape}, h = {h:g}", inputs))
    return cases


def _positive(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Values in [0.5, 1.5]: every gradient below is then far from 0, so the rounding noise
    of a right numeric gradient stays far below what a wrong one is off by."""
    return rng.uniform(0.5, 1.5, size=shape)


def upstream_cases(rng: np.random.Generator) -> list[Case]:
    """f returning arrays: a product that changes the shape, an elementwise one, a view of x
    itself (which a perturbation of x changes after the fact), and N = 1."""
    cases = []
    for (n, d, k), kind in (((3, 4, 2), "x @ M"), ((1, 3, 4), "x @ M")):
        inputs = {
            "f": {"kind": kind, "M": _positive(rng, d, k)},
            "x": normal(rng, n, d),
            "dout": _positive(rng, n, k),
        }
        cases.append(Case(f"f(x) = {kind}, x of shape {(n, d)}, M of shape {(d, k)}", inputs))
    shape = (2, 5)
    inputs = {
        "f": {"kind": "tanh(x) * g", "g": _positive(rng, *shape)},
        "x": rng.uniform(-1.0, 1.0, size=shape),
        "dout": _positive(rng, *shape),
    }
    cases.append(Case(f"f(x) = tanh(x) * g, x of shape {shape}", inputs))
    inputs = {
        "f": {"kind": "x.T (a view of x)"},
        "x": normal(rng, 3, 2),
        "dout": _positive(rng, 2, 3),
    }
    cases.append(Case("f(x) = x.T, a view of x itself, x of shape (3, 2)", inputs))
    return cases


AFFINE = "affine: X @ W + b"
SINE = "sin(Z)"
MULTIPLY = "a * b"


def _affine(rng: np.random.Generator, n: int, d_in: int, d_out: int) -> dict[str, Any]:
    inputs = {
        "X": _positive(rng, n, d_in),
        "W": _positive(rng, d_in, d_out),  # (D_in, D_out): the affine layer's own layout
        "b": _positive(rng, d_out),
    }
    return {"layer": AFFINE, "inputs": inputs, "dout": _positive(rng, n, d_out)}


def _sine(rng: np.random.Generator, *shape: int) -> dict[str, Any]:
    inputs = {"Z": rng.uniform(-1.0, 1.0, size=shape)}  # cos(Z) > 0.5: far from 0
    return {"layer": SINE, "inputs": inputs, "dout": _positive(rng, *shape)}


def _multiply(rng: np.random.Generator, *shape: int) -> dict[str, Any]:
    inputs = {"a": _positive(rng, *shape), "b": _positive(rng, *shape)}
    return {"layer": MULTIPLY, "inputs": inputs, "dout": _positive(rng, *shape)}


def _layer_case(label: str, bug: str, inputs: dict[str, Any]) -> Case:
    shapes = ", ".join(f"{k} {v.shape}" for k, v in inputs["inputs"].items())
    told = "a correct backward" if bug == "none" else f"a backward with its {bug}"
    return Case(f"{label} ({shapes}), {told}", {**inputs, "bug": bug})


def correct_layer_cases(rng: np.random.Generator) -> list[Case]:
    """Correct backward passes of three inputs (one a vector), of one input (returned as the
    array itself), and of two (returned as a list)."""
    return [
        _layer_case(AFFINE, "none", _affine(rng, 3, 4, 2)),
        _layer_case(SINE, "none", _sine(rng, 3, 4)),
        _layer_case(MULTIPLY, "none", _multiply(rng, 2, 3)),
    ]


def same_shape_cases(rng: np.random.Generator) -> list[Case]:
    """Layers whose inputs share one shape, where every way of pairing them up runs: whether
    gradcheck leaves its inputs as they were is judged apart from whether its figures are
    right."""
    return [
        _layer_case(MULTIPLY, "none", _multiply(rng, 2, 3)),
        _layer_case(SINE, "none", _sine(rng, 3, 4)),
    ]


def planted_bug_cases(rng: np.random.Generator) -> list[Case]:
    """Backward passes with one planted bug each: a figure must be large for the wrong
    gradients only. W is square, so that a transposed dW has W's shape."""
    return [
        _layer_case(AFFINE, "dW transposed", _affine(rng, 3, 4, 4)),
        _layer_case(AFFINE, "db not summed", _affine(rng, 3, 4, 4)),
        _layer_case(AFFINE, "upstream ignored", _affine(rng, 3, 4, 4)),
        _layer_case(SINE, "upstream ignored", _sine(rng, 2, 3)),
        _layer_case(MULTIPLY, "gradients swapped", _multiply(rng, 3, 2)),
    ]


def value_cases(rng: np.random.Generator) -> list[Case]:
    """Arrays of one and two axes, values far apart and close together, values so small
    that the 1e-8 floor of the denominator decides, and two Python floats."""
    a = normal(rng, 3, 4)
    close = normal(rng, 6)
    tiny = rng.uniform(1e-10, 3e-9, size=5)
    return [
        Case("a and b of shape (3, 4)", {"a": a, "b": a + normal(rng, 3, 4, scale=0.1)}),
        Case(
            "a and b of shape (6,), close",
            {"a": close, "b": close * (1 + normal(rng, 6, scale=1e-6))},
        ),
        Case("a and b below 1e-8, shape (5,)", {"a": tiny, "b": rng.uniform(1e-10, 3e-9, size=5)}),
        Case("two floats", {"a": float(rng.normal()), "b": float(rng.normal())}),
    ]


def zero_cases(rng: np.random.Generator) -> list[Case]:
    """Two zeros: all of them, some of them (the rest differ), and two float zeros."""
    a, b = normal(rng, 5), normal(rng, 5)
    a[[0, 3]] = b[[0, 3]] = 0.0
    return [
        Case("a and b all zeros, shape (2, 3)", {"a": np.zeros((2, 3)), "b": np.zeros((2, 3))}),
        Case("a and b both zero at two places, shape (5,)", {"a": a, "b": b}),
        Case("a = b = 0.0", {"a": 0.0, "b": 0.0}),
    ]


# ---- models of known mistakes, computed here from the same descriptions


def _each_element(x: np.ndarray) -> list[tuple[int, ...]]:
    return list(np.ndindex(np.shape(x)))


def _forward_differences(case: Case) -> np.ndarray:
    f, x = _scalar_function(case.inputs["f"]), np.array(case.inputs["x"], dtype=np.float64)
    h, fx, grad = case.inputs.get("h", H), f(x), np.zeros_like(x)
    for i in _each_element(x):
        moved = x.copy()
        moved[i] += h
        grad[i] = (f(moved) - fx) / h
    return grad


def _not_restored(case: Case) -> tuple[np.ndarray, int]:
    """x perturbed in place and left at x - h, element after element."""
    f, x = _scalar_function(case.inputs["f"]), np.array(case.inputs["x"], dtype=np.float64)
    h, grad = case.inputs.get("h", H), np.zeros_like(x)
    for i in _each_element(x):
        saved = x[i]
        x[i] = saved + h
        plus = f(x)
        x[i] = saved - h
        grad[i] = (plus - f(x)) / (2 * h)
    return grad, int(x.size)


def _central(case: Case) -> np.ndarray:
    f, x = _scalar_function(case.inputs["f"]), np.array(case.inputs["x"], dtype=np.float64)
    h, grad = case.inputs.get("h", H), np.zeros_like(x)
    for i in _each_element(x):
        plus, minus = x.copy(), x.copy()
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus) - f(minus)) / (2 * h)
    return grad


def _undone_by_arithmetic(x: np.ndarray, h: float = H) -> int:
    """How many elements of x, moved by += h, -= 2 * h, += h, are not back where they were."""
    moved = np.array(x, dtype=np.float64)
    for i in _each_element(moved):
        moved[i] += h
        moved[i] -= 2 * h
        moved[i] += h
    return int(np.sum(moved != x))


UNDONE_BY_ARITHMETIC = (
    "x was moved back by adding and subtracting h, which leaves rounding behind: x[i] + h - "
    "2h + h is not always x[i] in floating point. Save x[i] before perturbing it and assign "
    "the saved value back."
)

NOT_RESTORED = (
    "x was perturbed in place and never put back: each later element's gradient is taken at a "
    "point already moved by h, and x itself comes back changed. Save x[i] before perturbing it "
    "and assign the saved value back after the two evaluations (or perturb a copy)."
)

GRADIENT_MISTAKES = (
    Mistake(
        None,
        "these are forward differences, (f(x + h e_i) - f(x)) / h, off by about h/2 * f''. "
        "Central differences, (f(x + h e_i) - f(x - h e_i)) / (2h), are exact on a quadratic "
        "and off by O(h**2) elsewhere.",
        lambda ref, c: _forward_differences(c),
    ),
    Mistake(
        "scaled",
        "the difference f(x + h e_i) - f(x - h e_i) spans two steps, 2h: divide by 2h, not by h.",
        lambda ref, c: 2 * _central(c),
    ),
    Mistake("argument_modified", NOT_RESTORED, lambda ref, c: _not_restored(c)[0]),
)


def _view_frozen(ref: ModuleType, case: Case) -> np.ndarray:
    """A view kept across a perturbation: f(x + h e_i) read after x moved again, so the two
    evaluations are the same array and every difference is 0."""
    if not case.inputs["f"]["kind"].startswith("x.T"):
        raise LookupError("f makes a new array here")
    return np.zeros_like(case.inputs["x"])


UPSTREAM_MISTAKES = (
    Mistake(
        None,
        "f returned a view of x, and you kept f(x + h e_i) while you moved x again: by the time "
        "you subtracted, both evaluations were the same array. Reduce each evaluation to a number "
        "at once, np.sum(f(...) * dout), before x changes (or copy what f returns).",
        _view_frozen,
    ),
)


# gradcheck's mistakes, as the figures they give: the gradients of these layers are known in
# closed form (a numeric gradient equals them up to rounding, far below FIGURES.small)


def _rel(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def _against_first_input(ref: ModuleType, case: Case) -> np.ndarray:
    """Every input's gradient compared with the numeric gradient of the first input (the
    forward called with the perturbed array in the first place); it runs where the inputs
    share a shape, here a * b."""
    if case.inputs["layer"] != MULTIPLY:
        raise LookupError("the inputs' shapes differ: that code crashes here")
    a, b = case.inputs["inputs"]["a"], case.inputs["inputs"]["b"]
    dout = case.inputs["dout"]
    grads = [dout * b, dout * a]
    if case.inputs["bug"] == "gradients swapped":
        grads = grads[::-1]
    return np.array([_rel(g, dout * b) for g in grads])


def _upstream_left_out(ref: ModuleType, case: Case) -> np.ndarray:
    """backward's gradients (given dout) against numeric gradients of sum(forward(...)), as if
    dout were ones: those are the correct backward's gradients for an upstream of ones."""
    build = load_driver("exercise06", "build_layer")
    inputs, dout = tuple(case.inputs["inputs"].values()), case.inputs["dout"]
    _, backward = build(case.inputs["layer"], case.inputs["bug"])
    _, correct = build(case.inputs["layer"], "none")
    given, ones = backward(dout, *inputs), correct(np.ones_like(dout), *inputs)
    if isinstance(given, np.ndarray):
        given, ones = (given,), (ones,)
    return np.array([_rel(g, n) for g, n in zip(given, ones, strict=True)])


UPSTREAM_LEFT_OUT = Mistake(
    "upstream_ignored",
    "gradcheck's numeric gradients are those of sum(forward(...)), as if dout were ones, not "
    "of sum(forward(...) * dout) for the dout backward was given: dout must reach the numeric "
    "side too (numeric_gradient_upstream multiplies it in).",
    _upstream_left_out,
)

WRONG_INPUT = Mistake(
    "wrong_variable",
    "each input's gradient was compared with the numeric gradient of another input: for input "
    "i, perturb inputs[i] (the others held fixed, in their places in forward's arguments) and "
    "compare with the i-th gradient backward returned.",
    _against_first_input,
)


GRADCHECK_MISTAKES = (WRONG_INPUT, UPSTREAM_LEFT_OUT)


def _rel_mean(ref: ModuleType, case: Case) -> float:
    a, b = np.asarray(case.inputs["a"]), np.asarray(case.inputs["b"])
    return float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def _rel_no_floor(ref: ModuleType, case: Case) -> float:
    a, b = np.asarray(case.inputs["a"]), np.asarray(case.inputs["b"])
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))


REL_MISTAKES = (
    Mistake(
        None,
        "that is the mean of the elementwise errors; rel_error is the largest one: a single bad "
        "element is what a gradient check is for.",
        _rel_mean,
    ),
    Mistake(
        None,
        "the denominator has no floor: where abs(a) + abs(b) is below 1e-8 it must be 1e-8, so "
        "that two values that are both rounding noise do not count as far apart.",
        _rel_no_floor,
    ),
)

ZEROS_ADVICE = (
    "Two zeros make 0/0 in abs(a - b) / (abs(a) + abs(b)): NaN, and a NumPy warning even where "
    "the NaN is replaced afterwards. Divide by np.maximum(1e-8, abs(a) + abs(b)), which is never "
    "0, and two zeros give 0.0 without a warning."
)


NUMERIC = Function(
    "numeric_gradient",
    ("f", "x"),
    gradient_cases,
    returns=("grad", "x_changed"),
    driver="numeric_gradient_of",
)
NUMERIC_STEP = Function(
    "numeric_gradient",
    ("f", "x", "h"),
    step_cases,
    returns=("grad", "x_changed"),
    driver="numeric_gradient_of",
)
UPSTREAM = Function(
    "numeric_gradient_upstream",
    ("f", "x", "dout"),
    upstream_cases,
    returns=("grad", "x_changed"),
    driver="numeric_gradient_upstream_of",
    uses=("numeric_gradient",),
)
REL_ERROR = Function("rel_error", ("a", "b"), value_cases, returns="error")
GRADCHECK = Function(
    "gradcheck",
    ("layer", "bug", "inputs", "dout"),
    correct_layer_cases,
    returns=("errors", "inputs_changed"),
    driver="gradcheck_of",
    uses=("numeric_gradient_upstream", "rel_error"),
)


CHECKS: list[Check] = [
    NUMERIC.output("grad", mistakes=GRADIENT_MISTAKES, atol=ROUNDING),
    NUMERIC_STEP.output("grad", suffix="h", mistakes=GRADIENT_MISTAKES, atol=ROUNDING),
    NUMERIC.output(
        "x_changed",
        shown="x_changed, the number of x's elements left changed",
        mistakes=(
            Mistake("argument_modified", NOT_RESTORED, lambda ref, c: _not_restored(c)[1]),
            Mistake(
                "argument_modified",
                UNDONE_BY_ARITHMETIC,
                lambda ref, c: _undone_by_arithmetic(c.inputs["x"]),
            ),
        ),
    ),
    UPSTREAM.output("grad", suffix="", mistakes=UPSTREAM_MISTAKES, atol=ROUNDING),
    UPSTREAM.output(
        "x_changed",
        suffix="x",
        shown="x_changed, the number of x's elements left changed",
        mistakes=(
            Mistake(
                "argument_modified",
                NOT_RESTORED,
                lambda ref, c: int(np.asarray(c.inputs["x"]).size),
            ),
            Mistake(
                "argument_modified",
                UNDONE_BY_ARITHMETIC,
                lambda ref, c: _undone_by_arithmetic(c.inputs["x"]),
            ),
        ),
    ),
    REL_ERROR.output(mistakes=REL_MISTAKES),
    REL_ERROR.output(suffix="zeros", cases=zero_cases, stable=True, advice=ZEROS_ADVICE),
    GRADCHECK.output("errors", suffix="correct", magnitude=FIGURES, mistakes=GRADCHECK_MISTAKES),
    GRADCHECK.output(
        "errors",
        suffix="planted",
        cases=planted_bug_cases,
        magnitude=FIGURES,
        mistakes=GRADCHECK_MISTAKES,
    ),
    GRADCHECK.output(
        "inputs_changed",
        suffix="inputs",
        cases=same_shape_cases,
        shown="inputs_changed, the number of the inputs' elements left changed",
        mistakes=(
            Mistake(
                "argument_modified",
                "gradcheck perturbed the caller's inputs themselves, and they came back changed "
                "(moved back by adding and subtracting h, which leaves rounding behind). Hand "
                "numeric_gradient_upstream a copy of each input.",
                lambda ref, c: sum(map(_undone_by_arithmetic, c.inputs["inputs"].values())),
            ),
        ),
    ),
    arguments_unchanged(REL_ERROR),
]
