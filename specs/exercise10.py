"""exercise10: normalization. Batchnorm in training mode (forward and backward), its running
statistics and evaluation mode; layernorm (forward and backward) on (N, D) and (B, T, D).

The cases every mistake meets: N = 2 (the smallest batch batchnorm takes), N and D unequal,
D = 1, a square (N = D, where normalizing the wrong axis fits the shapes), gains and shifts of
every sign and size, features with their own scale and offset, layernorm on (B, T, D) (so a
gradient summed over the first axis only has the wrong shape). Some checks have inputs of
their own:
- `.eps`: a large eps passed by the caller, comparable to the variances, so that an eps left at
  its default or added outside the square root changes every value;
- `.offset`: features (or rows) whose mean is up to 1e8 times their spread. The contract keeps
  them accurate, and E[x**2] - E[x]**2 cancels every digit there. Right answers still differ by
  rounding of about 1e-8 (the inputs themselves are stored to 1e-8 of their spread), so the
  values are judged to 1e-6 of their scale (OFFSET_ATOL);
- `.constant`: one constant feature (a constant row for layernorm), whose variance is 0: eps
  keeps the division finite;
- `batchnorm_column_sums.dX`: batchnorm's dX summed over the batch (drivers/exercise10.py),
  judged by its size alone (Magnitude). The batch mean is subtracted from every example, so Y
  does not change when a feature is shifted by a constant: the gradient along that shift, the
  column's sum, is exactly zero. A backward pass that holds the mean and variance constant
  breaks it.
- `.offset` and `.constant` are stability checks (`stable`): a NumPy warning fails them, and
  a wrong value there is tagged `unstable`, with the mistake's own sentence where one fits.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from grader.checks.base import Case, Check, Mistake
from grader.checks.inputs import case_label, normal
from grader.checks.spec import CaseMaker, Function, arguments_unchanged, gradient_of
from grader.judge.compare import Magnitude
from grader.judge.diagnose import Diagnosis, Factor

EPS = 1e-5  # the contract's default
MOMENTUM = 0.1  # the contract's default, PyTorch's
# (N, D) of batchnorm: every size different (and not 2), N = 2, D = 1, a square, more
BATCHES = [(5, 3), (2, 4), (6, 1), (4, 4), (3, 7)]
# layernorm: rows (N, D) with every size different, one row, a square, and sequences (B, T, D)
LAYER_SHAPES = [(5, 3), (1, 6), (4, 4), (2, 3, 5), (3, 4, 6), (1, 5, 4)]
# right answers differ by about 1e-8 on features 1e8 times further from 0 than they spread
OFFSET_ATOL = 1e-6
OFFSETS = (1e8, -3e6, 4e4, -1e8, 250.0, 1e7)
# the column sums of a right dX are rounding noise (below 1e-12 here); those of a backward
# pass that holds the batch statistics constant are gamma * sum(dY) / std, 0.01 or more
NOISE_OR_REAL = Magnitude(small=1e-9, large=1e-4)

# --- the models: what code with each mistake computes --------------------------------------


def _stats(
    X: np.ndarray, axis: int, eps: float, ddof: int = 0, eps_outside: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(xhat, 1 / std) along `axis`, the variance divided by m - ddof, eps inside the square
    root or added to the standard deviation."""
    m = X.shape[axis]
    centered = X - X.mean(axis=axis, keepdims=True)
    var = (centered**2).sum(axis=axis, keepdims=True) / (m - ddof)
    with np.errstate(all="ignore"):
        inv_std = 1.0 / (np.sqrt(var) + eps) if eps_outside else 1.0 / np.sqrt(var + eps)
    return centered * inv_std, inv_std


def _eps(case: Case) -> float:
    return float(case.inputs.get("eps", EPS))


def _forward(case: Case, axis: int, **how: Any) -> np.ndarray:
    c = case.inputs
    xhat, _ = _stats(c["X"], axis, _eps(case), **how)
    return c["gamma"] * xhat + c["beta"]


def _dX(
    case: Case,
    axis: int,
    constants: bool = False,
    no_mean_term: bool = False,
    no_var_term: bool = False,
    no_gamma: bool = False,
    mean_axis: int | tuple[int, ...] | None = None,
    **how: Any,
) -> np.ndarray:
    """dX in the compact form, inv_std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),
    from statistics computed as `how` says, or with a term left out; `mean_axis` takes the
    backward's two means along another axis than the forward's statistics."""
    c = case.inputs
    xhat, inv_std = _stats(c["X"], axis, _eps(case), **how)
    dxhat = c["dY"] if no_gamma else c["dY"] * c["gamma"]
    if constants:
        return dxhat * inv_std
    along = axis if mean_axis is None else mean_axis
    mean_term = 0.0 if no_mean_term else dxhat.mean(axis=along, keepdims=True)
    var_term = 0.0 if no_var_term else xhat * (dxhat * xhat).mean(axis=along, keepdims=True)
    return inv_std * (dxhat - mean_term - var_term)


def _in_3d(case: Case, value: np.ndarray) -> np.ndarray | None:
    """A model of a mistake about axis 1, which is the last axis (and right) for a 2-D X."""
    return value if case.inputs["X"].ndim > 2 else None


def _xhat(case: Case, axis: int) -> np.ndarray:
    return _stats(case.inputs["X"], axis, _eps(case))[0]


def _leading(case: Case) -> tuple[int, ...]:
    return tuple(range(case.inputs["X"].ndim - 1))


def _without_eps(case: Case) -> Case:
    return Case(case.label, {**case.inputs, "eps": 0.0}, case.factors)


def _naive_forward(case: Case, axis: int) -> np.ndarray:
    """The variance as E[x**2] - E[x]**2."""
    c = case.inputs
    X = c["X"]
    mean = X.mean(axis=axis, keepdims=True)
    with np.errstate(all="ignore"):
        var = (X**2).mean(axis=axis, keepdims=True) - mean**2
        return c["gamma"] * (X - mean) / np.sqrt(var + _eps(case)) + c["beta"]


def _model(tag: Diagnosis | None, sentence: str, model: Callable[[Case], Any]) -> Mistake:
    def compute(ref: ModuleType, case: Case) -> Any:
        return model(case)

    return Mistake(tag, sentence, compute)


BESSEL = (
    "the variance was divided by N - 1 (np.var(..., ddof=1), or torch.var's default): in "
    "training, batchnorm normalizes with the biased variance, the mean of the squared "
    "deviations, divided by N."
)
LAYER_BESSEL = (
    "the variance was divided by D - 1 (np.var(..., ddof=1), or torch.var's default): "
    "layernorm normalizes with the biased variance, the mean of the squared deviations, "
    "divided by D."
)
EPS_OUTSIDE = (
    "eps was added to the standard deviation, sqrt(var) + eps: it belongs inside the square "
    "root, sqrt(var + eps), as in PyTorch."
)
BATCH_AXIS = (
    "each example (row) was normalized over its features: batchnorm normalizes each feature "
    "(column) over the batch, a mean and a variance per column (axis=0)."
)
LAYER_AXIS = (
    "each feature was normalized over the batch (axis=0), as batchnorm does: layernorm "
    "normalizes each vector along the last axis over its own D features (axis=-1)."
)
LAYER_POSITIONS_AXIS = (
    "each feature was normalized over the positions of its sequence (axis=1): layernorm "
    "normalizes each vector along the last axis over its own D features (axis=-1)."
)
LAYER_BACKWARD_AXIS = (
    "dX's two means, mean(dxhat) and mean(dxhat * xhat), were taken along axis {axis}, as in "
    "batchnorm's backward; layernorm's statistics are along the last axis, and so are they: "
    "axis=-1, keepdims=True."
)
CONSTANTS = (
    "dX treats the batch mean and variance as constants, dX = dY * gamma / sqrt(var + eps). "
    "They are computed from X, so every x reaches every output of its column through them too: "
    "dX = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps)."
)
NAIVE_VAR = (
    "the variance is E[x**2] - E[x]**2: where a feature's mean is 1e8 times its spread, both "
    "terms are about 1e16 and agree in every digit the variance needs, so their difference "
    "is rounding noise (even negative). Compute it as the mean of the squared deviations from "
    "the mean, ((X - mean)**2).mean(...)."
)
NO_EPS = (
    "eps is missing: X - mean is divided by sqrt(var) alone. A constant feature has var = 0 and "
    "gives 0 / 0 = NaN; sqrt(var + eps) keeps every division finite."
)
EPS_ADVICE = (
    "A constant feature has variance 0: eps inside the square root, sqrt(var + eps), keeps "
    "the division finite, and X - mean is 0 there, so Y is beta."
)


def batch_forward_mistakes(naive: bool = False) -> tuple[Mistake, ...]:
    mistakes = (
        _model(None, BESSEL, lambda c: _forward(c, 0, ddof=1)),
        _model(None, EPS_OUTSIDE, lambda c: _forward(c, 0, eps_outside=True)),
        _model("transposed", BATCH_AXIS, lambda c: _forward(c, 1)),
        _model(None, NO_EPS, lambda c: _forward(_without_eps(c), 0)),
    )
    return (
        (*mistakes, _model(None, NAIVE_VAR, lambda c: _naive_forward(c, 0))) if naive else mistakes
    )


def _default_eps(forward: Callable[[Case], Any]) -> Mistake:
    def model(case: Case) -> Any:
        return forward(Case(case.label, {**case.inputs, "eps": EPS}, case.factors))

    return _model(
        None,
        "these are the values for eps = 1e-5, the default, not for the eps you were given: "
        "use the eps argument.",
        model,
    )


def batch_dX_mistakes() -> tuple[Mistake, ...]:
    return (
        _model(None, CONSTANTS, lambda c: _dX(c, 0, constants=True)),
        _model(None, BESSEL, lambda c: _dX(c, 0, ddof=1)),
        _model(None, EPS_OUTSIDE, lambda c: _dX(c, 0, eps_outside=True)),
        _model("transposed", BATCH_AXIS, lambda c: _dX(c, 1)),
        _model(None, NO_EPS, lambda c: _dX(_without_eps(c), 0)),
        _model(
            None,
            "dX lacks the term of the mean, - mean(dxhat): the mean is computed from every x of "
            "the column, and its gradient reaches each of them.",
            lambda c: _dX(c, 0, no_mean_term=True),
        ),
        _model(
            None,
            "dX lacks the term of the variance, - xhat * mean(dxhat * xhat): the variance is "
            "computed from every x of the column, and its gradient reaches each of them.",
            lambda c: _dX(c, 0, no_var_term=True),
        ),
        _model(
            "upstream_ignored",
            "gamma is missing from dX: Y = gamma * xhat + beta, so dxhat = dY * gamma.",
            lambda c: _dX(c, 0, no_gamma=True),
        ),
    )


def _kept_dims(value: Callable[[Case], np.ndarray]) -> Callable[[Case], np.ndarray]:
    def model(case: Case) -> np.ndarray:
        return value(case).reshape((1,) * (case.inputs["X"].ndim - 1) + (-1,))

    return model


def param_grad_mistakes(name: str, product: Callable[[Case], np.ndarray]) -> tuple[Mistake, ...]:
    """dgamma (product = dY * xhat) or dbeta (product = dY) not summed over every leading axis,
    or summed with the axes kept."""
    return (
        _model(
            "batch_sum",
            f"{name} has an axis of length 1 for each leading axis (keepdims=True): it has the "
            "shape of gamma, (D,).",
            _kept_dims(lambda c: product(c).sum(axis=_leading(c))),
        ),
        _model(
            "batch_sum",
            f"{name} was summed over the first axis only: gamma is shared by every position of "
            "every example, so sum over every leading axis, leaving shape (D,).",
            lambda c: product(c).sum(axis=0) if c.inputs["X"].ndim > 2 else None,
        ),
        _model(
            "batch_sum",
            f"{name} was not summed: gamma and beta are shared by every example, so add up "
            "their contributions over every leading axis, leaving shape (D,).",
            product,
        ),
        _model(
            "scaled",
            f"{name} is a mean over the examples; it is their sum. No layer's backward divides "
            "by N: the 1/N lives in the loss.",
            lambda c: product(c).mean(axis=_leading(c)),
        ),
    )


def _dgamma_product(axis: int) -> Callable[[Case], np.ndarray]:
    return lambda c: c.inputs["dY"] * _xhat(c, axis)


def dgamma_mistakes(axis: int) -> tuple[Mistake, ...]:
    """dgamma not summed as it should be, and dgamma from an xhat computed wrongly (as the
    forward's mistakes compute it)."""
    layer = axis != 0
    wrong_axis = 0 if layer else 1

    def summed(stat_axis: int, no_eps: bool = False, **how: Any) -> Callable[[Case], np.ndarray]:
        def model(c: Case) -> np.ndarray:
            xhat, _ = _stats(c.inputs["X"], stat_axis, 0.0 if no_eps else _eps(c), **how)
            return np.asarray((c.inputs["dY"] * xhat).sum(axis=_leading(c)))

        return model

    return (
        *param_grad_mistakes("dgamma", _dgamma_product(axis)),
        _model(None, LAYER_BESSEL if layer else BESSEL, summed(axis, ddof=1)),
        _model(None, EPS_OUTSIDE, summed(axis, eps_outside=True)),
        _model("transposed", LAYER_AXIS if layer else BATCH_AXIS, summed(wrong_axis)),
        _model(None, NO_EPS, summed(axis, no_eps=True)),
    )


def _dbeta_product(c: Case) -> np.ndarray:
    return np.asarray(c.inputs["dY"])


# --- cases ---------------------------------------------------------------------------------


def _features(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Values with a scale and an offset of their own in every feature (last axis)."""
    d = shape[-1]
    return normal(rng, *shape) * rng.uniform(0.4, 3.0, size=d) + normal(rng, d, scale=2.0)


def _gain(rng: np.random.Generator, d: int) -> np.ndarray:
    """Gains of both signs, none near 0 or 1."""
    return rng.uniform(1.2, 2.5, size=d) * rng.choice([-1.0, 1.0], size=d)


def _batch_factors(n: int, d: int) -> dict[str, Factor]:
    return {
        "N": Factor(float(n), "the batch size", smallest=2.0),
        "D": Factor(float(d), "the number of features"),
    }


def batch_cases(
    sizes: list[tuple[int, int]] = BATCHES, eps: bool = False, shift: float = 0.0
) -> CaseMaker:
    """Batches with gains and shifts far from 1 and 0; `eps` adds a large eps of the order
    of the variances; `shift` moves dY off 0 (so that dY's columns do not sum to about 0)."""

    def cases(rng: np.random.Generator) -> list[Case]:
        made = []
        for n, d in sizes:
            inputs: dict[str, Any] = {
                "X": _features(rng, n, d),
                "gamma": _gain(rng, d),
                "beta": normal(rng, d, scale=2.0),
                "dY": normal(rng, n, d) + shift,
            }
            label = case_label(N=n, D=d)
            if eps:
                inputs["eps"] = float(rng.uniform(0.3, 2.0))
                label += f", eps={inputs['eps']:.3g}"
            made.append(Case(label, inputs, _batch_factors(n, d)))
        return made

    return cases


def _deviations(rng: np.random.Generator, n: int, d: int, axis: int) -> np.ndarray:
    """(n, d) deviations that are never close together along `axis`: each column (axis 0) or
    row (axis 1) a shuffle of evenly spaced values from -1.5 to 1.5. Random draws may put two
    values of a feature close (with N = 2, its variance near eps): there a right dX comes out
    of a cancellation that costs its digits, and right answers disagree beyond OFFSET_ATOL."""
    m = (n, d)[axis]
    rows = [rng.permutation(np.linspace(-1.5, 1.5, m)) for _ in range((d, n)[axis])]
    return np.array(rows).T if axis == 0 else np.array(rows)


def offset_cases(layer: bool = False) -> CaseMaker:
    """Features (rows, for layernorm) whose mean is up to 1e8 times their spread."""

    def cases(rng: np.random.Generator) -> list[Case]:
        made = []
        for n, d in [(5, 3), (2, 4), (8, 6)]:
            if layer:
                spread = rng.uniform(0.5, 2.0, size=(n, 1))
                offsets = np.resize(np.array(OFFSETS), (n, 1))
            else:
                spread = rng.uniform(0.5, 2.0, size=d)
                offsets = np.resize(np.array(OFFSETS), d)
            X = (offsets + _deviations(rng, n, d, 1 if layer else 0)) * spread
            inputs = {
                "X": X,
                "gamma": _gain(rng, d),
                "beta": normal(rng, d, scale=2.0),
                "dY": normal(rng, n, d),
            }
            where = "rows" if layer else "features"
            label = f"{case_label(N=n, D=d)}, {where} whose mean is up to 1e8 times their spread"
            made.append(Case(label, inputs))
        return made

    return cases


def constant_cases(layer: bool = False) -> CaseMaker:
    """One constant feature (a constant row, for layernorm) among ordinary ones."""

    def cases(rng: np.random.Generator) -> list[Case]:
        made = []
        for n, d in [(5, 3), (2, 4), (4, 1)] if not layer else [(5, 3), (3, 4), (1, 6)]:
            X = _features(rng, n, d)
            if layer:
                X[int(rng.integers(n))] = float(rng.normal(0.0, 3.0))
            else:
                X[:, int(rng.integers(d))] = float(rng.normal(0.0, 3.0))
            inputs = {
                "X": X,
                "gamma": _gain(rng, d),
                "beta": normal(rng, d, scale=2.0),
                "dY": normal(rng, n, d),
            }
            which = "row" if layer else "column"
            made.append(Case(f"{case_label(N=n, D=d)}, one constant {which}", inputs))
        return made

    return cases


def running_cases(momentum: bool = False, offset: bool = False) -> CaseMaker:
    """Running statistics far from the batch's, so that the weights given to each show."""

    def cases(rng: np.random.Generator) -> list[Case]:
        made = []
        for n, d in BATCHES:
            X = _features(rng, n, d)
            if offset:
                spread = rng.uniform(0.5, 2.0, size=d)
                X = (np.resize(np.array(OFFSETS), d) + _deviations(rng, n, d, 0)) * spread
            inputs: dict[str, Any] = {
                "running_mean": normal(rng, d, scale=3.0),
                "running_var": rng.uniform(2.0, 6.0, size=d),
                "X": X,
            }
            label = case_label(N=n, D=d)
            if momentum:
                inputs["momentum"] = float(rng.choice([0.3, 0.05, 0.75]))
                label += f", momentum={inputs['momentum']:g}"
            if offset:
                label += ", features whose mean is up to 1e8 times their spread"
            made.append(Case(label, inputs, _batch_factors(n, d)))
        return made

    return cases


def eval_cases(eps: bool = False) -> CaseMaker:
    """Running statistics far from the batch's; `eps` adds a large eps, of the order of the
    running variances."""

    def cases(rng: np.random.Generator) -> list[Case]:
        made = []
        for n, d in BATCHES:
            inputs: dict[str, Any] = {
                "X": _features(rng, n, d),
                "gamma": _gain(rng, d),
                "beta": normal(rng, d, scale=2.0),
                "running_mean": normal(rng, d, scale=3.0),
                "running_var": rng.uniform(0.2, 6.0, size=d),
            }
            label = case_label(N=n, D=d)
            if eps:
                inputs["eps"] = float(rng.uniform(0.3, 2.0))
                label += f", eps={inputs['eps']:.3g}"
            made.append(Case(label, inputs, _batch_factors(n, d)))
        return made

    return cases


def layer_cases(eps: bool = False) -> CaseMaker:
    def cases(rng: np.random.Generator) -> list[Case]:
        made = []
        for shape in LAYER_SHAPES:
            d = shape[-1]
            inputs = {
                "X": normal(rng, *shape, scale=2.0) + normal(rng, *shape[:-1], 1),
                "gamma": _gain(rng, d),
                "beta": normal(rng, d, scale=2.0),
                "dY": normal(rng, *shape),
            }
            if len(shape) == 2:
                label = case_label(N=shape[0], D=d)
                factors = {
                    "N": Factor(float(shape[0]), "the number of rows"),
                    "D": Factor(float(d), "the number of features"),
                }
            else:
                label = case_label(B=shape[0], T=shape[1], D=d)
                factors = {"D": Factor(float(d), "the number of features")}
            if eps:
                inputs["eps"] = float(rng.uniform(0.3, 2.0))
                label += f", eps={inputs['eps']:.3g}"
            made.append(Case(label, inputs, factors))
        return made

    return cases


# --- running statistics and evaluation mode ------------------------------------------------


def _running(case: Case, reversed_: bool = False, ddof: int = 1) -> tuple[np.ndarray, np.ndarray]:
    c = case.inputs
    m = float(c.get("momentum", MOMENTUM))
    keep, new = (m, 1.0 - m) if reversed_ else (1.0 - m, m)
    X = c["X"]
    var = ((X - X.mean(axis=0)) ** 2).sum(axis=0) / (X.shape[0] - ddof)
    return keep * c["running_mean"] + new * X.mean(axis=0), keep * c["running_var"] + new * var


REVERSED = (
    "momentum weighs the old statistics and 1 - momentum the batch: momentum is the weight "
    "of the new batch, new = (1 - momentum) * old + momentum * batch (PyTorch's convention; "
    "Keras's momentum is the other one)."
)
BIASED = (
    "the batch variance in the running statistics is the biased one (divided by N): "
    "running_var estimates the variance of the whole data, so it takes the unbiased batch "
    "variance, divided by N - 1, as PyTorch does."
)


def running_mistakes(item: int) -> tuple[Mistake, ...]:
    mistakes = [_model(None, REVERSED, lambda c: _running(c, reversed_=True)[item])]
    if item == 1:
        mistakes += [
            _model(None, BIASED, lambda c: _running(c, ddof=0)[1]),
            _model(
                None,
                f"{REVERSED} And {BIASED}",
                lambda c: _running(c, reversed_=True, ddof=0)[1],
            ),
        ]
    return tuple(mistakes)


def _both(tag: Diagnosis | None, sentence: str, **how: Any) -> Mistake:
    """A mistake of running_stats judged whole: what it gives for each item of the tuple, by
    name (as the judge reads the model of a tuple judged whole)."""
    return _model(
        tag, sentence, lambda c: dict(zip(RUNNING_ITEMS, _running(c, **how), strict=True))
    )


RUNNING_ITEMS = ("new_mean", "new_var")
RUNNING_WHOLE = (
    _both(None, REVERSED, reversed_=True),
    _both(None, BIASED, ddof=0),
    _both(None, f"{REVERSED} And {BIASED}", reversed_=True, ddof=0),
)


def _eval(case: Case, **how: Any) -> np.ndarray:
    c = case.inputs
    mean, var, eps = c["running_mean"], c["running_var"], _eps(case)
    if how.get("batch"):
        X = c["X"]
        mean, var = X.mean(axis=0), X.var(axis=0)
    if how.get("as_std"):
        return c["gamma"] * (c["X"] - mean) / (var + eps) + c["beta"]
    if how.get("eps_outside"):
        return c["gamma"] * (c["X"] - mean) / (np.sqrt(var) + eps) + c["beta"]
    return c["gamma"] * (c["X"] - mean) / np.sqrt(var + eps) + c["beta"]


EVAL_MISTAKES = (
    _model(
        None,
        "Y was normalized with the batch's own mean and variance: in evaluation mode batchnorm "
        "uses running_mean and running_var, so that each example's output does not depend on "
        "the others in its batch.",
        lambda c: _eval(c, batch=True),
    ),
    _model(
        None,
        "running_var was used as a standard deviation: divide by its square root, "
        "sqrt(running_var + eps).",
        lambda c: _eval(c, as_std=True),
    ),
    _model(None, EPS_OUTSIDE, lambda c: _eval(c, eps_outside=True)),
)


# --- layernorm ------------------------------------------------------------------------------


def layer_forward_mistakes() -> tuple[Mistake, ...]:
    return (
        _model(
            None,
            LAYER_BESSEL,
            lambda c: _forward(c, -1, ddof=1),
        ),
        _model(None, EPS_OUTSIDE, lambda c: _forward(c, -1, eps_outside=True)),
        _model("transposed", LAYER_AXIS, lambda c: _forward(c, 0)),
        _model("transposed", LAYER_POSITIONS_AXIS, lambda c: _in_3d(c, _forward(c, 1))),
        _model(None, NO_EPS, lambda c: _forward(_without_eps(c), -1)),
    )


def layer_dX_mistakes() -> tuple[Mistake, ...]:
    return (
        _model(
            None,
            CONSTANTS.replace("batch ", "row's ").replace("column", "row"),
            lambda c: _dX(c, -1, constants=True),
        ),
        _model(None, EPS_OUTSIDE, lambda c: _dX(c, -1, eps_outside=True)),
        _model("transposed", LAYER_AXIS, lambda c: _dX(c, 0)),
        _model("transposed", LAYER_POSITIONS_AXIS, lambda c: _in_3d(c, _dX(c, 1))),
        _model(
            None,
            LAYER_BACKWARD_AXIS.format(axis="0 (over every row of the batch)"),
            lambda c: _dX(c, -1, mean_axis=_leading(c)),
        ),
        _model(
            None,
            LAYER_BACKWARD_AXIS.format(axis=1),
            lambda c: _in_3d(c, _dX(c, -1, mean_axis=1)),
        ),
        _model(None, NO_EPS, lambda c: _dX(_without_eps(c), -1)),
        _model(
            "upstream_ignored",
            "gamma is missing from dX: Y = gamma * xhat + beta, so dxhat = dY * gamma.",
            lambda c: _dX(c, -1, no_gamma=True),
        ),
    )


# --- the checks --------------------------------------------------------------------------------

BN_FORWARD = Function("batchnorm_forward", ("X", "gamma", "beta"), batch_cases(), returns="Y")
BN_FORWARD_EPS = Function("batchnorm_forward", ("X", "gamma", "beta", "eps"), returns="Y")
BN_BACKWARD = Function(
    "batchnorm_backward", ("dY", "X", "gamma"), batch_cases(), returns=("dX", "dgamma", "dbeta")
)
BN_BACKWARD_EPS = Function(
    "batchnorm_backward", ("dY", "X", "gamma", "eps"), returns=("dX", "dgamma", "dbeta")
)
# the learner's batchnorm_backward, its dX summed over the batch (drivers/exercise10.py)
COLUMN_SUMS = Function(
    "batchnorm_backward",
    ("dY", "X", "gamma"),
    batch_cases(shift=0.7),
    returns="column_sums",
    driver="batchnorm_column_sums",
    exercise="exercise10",
)
RUNNING = Function(
    "running_stats",
    ("running_mean", "running_var", "X"),
    running_cases(),
    returns=("new_mean", "new_var"),
)
RUNNING_MOMENTUM = Function(
    "running_stats",
    ("running_mean", "running_var", "X", "momentum"),
    returns=("new_mean", "new_var"),
)
EVAL = Function(
    "batchnorm_eval",
    ("X", "gamma", "beta", "running_mean", "running_var"),
    eval_cases(),
    returns="Y",
)
EVAL_EPS = Function(
    "batchnorm_eval", ("X", "gamma", "beta", "running_mean", "running_var", "eps"), returns="Y"
)
LN_FORWARD = Function("layernorm_forward", ("X", "gamma", "beta"), layer_cases(), returns="Y")
LN_FORWARD_EPS = Function("layernorm_forward", ("X", "gamma", "beta", "eps"), returns="Y")
LN_BACKWARD = Function(
    "layernorm_backward", ("dY", "X", "gamma"), layer_cases(), returns=("dX", "dgamma", "dbeta")
)
LN_BACKWARD_EPS = Function(
    "layernorm_backward", ("dY", "X", "gamma", "eps"), returns=("dX", "dgamma", "dbeta")
)

OFFSET_ADVICE = (
    "Compute each variance as the mean of the squared deviations from the mean, "
    "((X - mean)**2).mean(...), never as E[x**2] - E[x]**2: where a feature's mean is 1e8 "
    "times its spread, both terms are about 1e16 and agree in every digit the variance needs, "
    "so their difference is rounding noise (even negative)."
)


def _offset(function: Function, layer: bool, mistakes: tuple[Mistake, ...]) -> Check:
    return function.output(
        suffix="offset",
        cases=offset_cases(layer),
        mistakes=mistakes,
        stable=True,
        atol=OFFSET_ATOL,
        advice=OFFSET_ADVICE,
    )


def _constant(function: Function, layer: bool, mistakes: tuple[Mistake, ...] = ()) -> Check:
    return function.output(
        suffix="constant",
        cases=constant_cases(layer),
        mistakes=mistakes,
        stable=True,
        advice=EPS_ADVICE,
    )


def _with_param_grads(mistake: Mistake, axis: int) -> Mistake:
    """A dX mistake of a backward pass judged whole: dgamma and dbeta right beside it, each
    item by name (as the judge reads the model of a tuple judged whole)."""

    def model(ref: ModuleType, c: Case) -> dict[str, Any]:
        dY, leading = c.inputs["dY"], _leading(c)
        return {
            "dX": mistake.model(ref, c),
            "dgamma": (dY * _xhat(c, axis)).sum(axis=leading),
            "dbeta": dY.sum(axis=leading),
        }

    return Mistake(mistake.tag, mistake.sentence, model)


def _backward_whole(axis: int) -> tuple[Mistake, ...]:
    dX = batch_dX_mistakes() if axis == 0 else layer_dX_mistakes()
    return tuple(_with_param_grads(m, axis) for m in dX)


CHECKS: list[Check] = [
    BN_FORWARD.output(mistakes=batch_forward_mistakes()),
    BN_FORWARD_EPS.output(
        suffix="eps",
        cases=batch_cases(eps=True),
        mistakes=(*batch_forward_mistakes(), _default_eps(lambda c: _forward(c, 0))),
    ),
    _offset(BN_FORWARD, False, batch_forward_mistakes(naive=True)),
    _constant(BN_FORWARD, False, batch_forward_mistakes()),
    BN_BACKWARD.output(
        "dX", gradient=gradient_of(BN_FORWARD, "X", upstream="dY"), mistakes=batch_dX_mistakes()
    ),
    BN_BACKWARD.output(
        "dgamma",
        gradient=gradient_of(BN_FORWARD, "gamma", upstream="dY"),
        mistakes=dgamma_mistakes(0),
    ),
    BN_BACKWARD.output(
        "dbeta",
        gradient=gradient_of(BN_FORWARD, "beta", upstream="dY"),
        mistakes=param_grad_mistakes("dbeta", _dbeta_product),
    ),
    BN_BACKWARD_EPS.output(
        "dX",
        suffix="eps",
        cases=batch_cases(eps=True),
        gradient=gradient_of(BN_FORWARD_EPS, "X", upstream="dY"),
        mistakes=(*batch_dX_mistakes(), _default_eps(lambda c: _dX(c, 0))),
    ),
    _offset(BN_BACKWARD, False, _backward_whole(0)),
    _constant(BN_BACKWARD, False, _backward_whole(0)),
    COLUMN_SUMS.output(
        suffix="dX",
        shown="dX.sum(axis=0)",
        why=(
            "Why it is zero: the batch mean is subtracted from every example, so shifting a "
            "whole feature by a constant leaves Y, and the loss, unchanged; the gradient along "
            "that shift, the sum of the column of dX, is 0."
        ),
        magnitude=NOISE_OR_REAL,
        mistakes=(
            _model(None, CONSTANTS, lambda c: _dX(c, 0, constants=True).sum(axis=0)),
            _model("transposed", BATCH_AXIS, lambda c: _dX(c, 1).sum(axis=0)),
        ),
    ),
    RUNNING.output("new_mean", mistakes=running_mistakes(0)),
    RUNNING.output("new_var", mistakes=running_mistakes(1)),
    RUNNING_MOMENTUM.output(
        suffix="momentum", cases=running_cases(momentum=True), mistakes=RUNNING_WHOLE
    ),
    RUNNING.output(
        suffix="offset",
        cases=running_cases(offset=True),
        stable=True,
        atol=OFFSET_ATOL,
        advice=OFFSET_ADVICE,
        mistakes=RUNNING_WHOLE,
    ),
    EVAL.output(mistakes=EVAL_MISTAKES),
    EVAL_EPS.output(
        suffix="eps",
        cases=eval_cases(eps=True),
        mistakes=(*EVAL_MISTAKES, _default_eps(_eval)),
    ),
    LN_FORWARD.output(mistakes=layer_forward_mistakes()),
    LN_FORWARD_EPS.output(
        suffix="eps",
        cases=layer_cases(eps=True),
        mistakes=(*layer_forward_mistakes(), _default_eps(lambda c: _forward(c, -1))),
    ),
    _offset(
        LN_FORWARD,
        True,
        (*layer_forward_mistakes(), _model(None, NAIVE_VAR, lambda c: _naive_forward(c, -1))),
    ),
    _constant(LN_FORWARD, True, layer_forward_mistakes()),
    LN_BACKWARD.output(
        "dX", gradient=gradient_of(LN_FORWARD, "X", upstream="dY"), mistakes=layer_dX_mistakes()
    ),
    LN_BACKWARD.output(
        "dgamma",
        gradient=gradient_of(LN_FORWARD, "gamma", upstream="dY"),
        mistakes=dgamma_mistakes(-1),
    ),
    LN_BACKWARD.output(
        "dbeta",
        gradient=gradient_of(LN_FORWARD, "beta", upstream="dY"),
        mistakes=param_grad_mistakes("dbeta", _dbeta_product),
    ),
    LN_BACKWARD_EPS.output(
        "dX",
        suffix="eps",
        cases=layer_cases(eps=True),
        gradient=gradient_of(LN_FORWARD_EPS, "X", upstream="dY"),
        mistakes=(*layer_dX_mistakes(), _default_eps(lambda c: _dX(c, -1))),
    ),
    arguments_unchanged(
        BN_FORWARD_EPS, BN_BACKWARD_EPS, RUNNING_MOMENTUM, EVAL_EPS, LN_FORWARD_EPS, LN_BACKWARD_EPS
    ),
]
