"""exercise10's reference solution agrees with torch, an oracle written by someone else (as
tests/test_reference_torch.py does for the others): torch.nn.functional.batch_norm in training
mode (its own running statistics, updated in place) and in evaluation mode, layer_norm, and
autograd for both backward passes. A test named `test_exercise10_...` is this exercise's
oracle for `bpgrade dev check`.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "exercise10_normalization.py"
RTOL = 1e-10
ATOL = 1e-12
SEEDS = range(20)
# (N, D): every size different, N = 2 (the smallest batchnorm takes), D = 1, a square
BATCHES = [(5, 3), (2, 4), (6, 1), (4, 4), (7, 9)]
# the shapes layernorm meets: one row, rows, a sequence (B, T, D), a batch of one sequence
LAYER_SHAPES = [(1, 5), (3, 4), (2, 3, 5), (1, 4, 6), (4, 2, 3)]
EPS = (1e-5, 0.3)


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_exercise10_normalization", SOLUTION)
    assert spec is not None and spec.loader is not None, SOLUTION
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load()


def _t(value: np.ndarray, grad: bool = False) -> "torch.Tensor":
    return torch.tensor(value, dtype=torch.float64, requires_grad=grad)


def _close(actual: np.ndarray, expected: "torch.Tensor", rtol: float = RTOL) -> None:
    np.testing.assert_allclose(actual, expected.detach().numpy(), rtol=rtol, atol=ATOL)


def _drawn(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Values with a scale and an offset of their own in every feature."""
    d = shape[-1]
    return rng.normal(0.0, 1.0, size=shape) * rng.uniform(0.3, 3.0, size=d) + rng.normal(0, 2, d)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("eps", EPS)
def test_exercise10_batchnorm_matches_torch(seed: int, eps: float) -> None:
    rng = np.random.default_rng(seed)
    for n, d in BATCHES:
        X, dY = _drawn(rng, n, d), rng.normal(size=(n, d))
        gamma, beta = rng.normal(size=d), rng.normal(size=d)
        Xt, gt, bt = _t(X, True), _t(gamma, True), _t(beta, True)
        Yt = F.batch_norm(Xt, None, None, gt, bt, training=True, eps=eps)
        _close(reference.batchnorm_forward(X, gamma, beta, eps), Yt)
        Yt.backward(_t(dY))
        dX, dgamma, dbeta = reference.batchnorm_backward(dY, X, gamma, eps)
        assert (dX.shape, dgamma.shape, dbeta.shape) == ((n, d), (d,), (d,))
        _close(dX, Xt.grad)
        _close(dgamma, gt.grad)
        _close(dbeta, bt.grad)
        np.testing.assert_allclose(dX.sum(axis=0), 0.0, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_exercise10_running_stats_and_eval_match_torch(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for n, d in BATCHES:
        X = _drawn(rng, n, d)
        old_mean, old_var = rng.normal(size=d), rng.uniform(0.5, 2.0, size=d)
        momentum = float(rng.choice([0.1, 0.25, 0.9]))
        mean_t, var_t = _t(old_mean), _t(old_var)
        F.batch_norm(_t(X), mean_t, var_t, training=True, momentum=momentum)
        new_mean, new_var = reference.running_stats(old_mean, old_var, X, momentum)
        _close(new_mean, mean_t)
        _close(new_var, var_t)
        gamma, beta = rng.normal(size=d), rng.normal(size=d)
        Yt = F.batch_norm(_t(X), _t(new_mean), _t(new_var), _t(gamma), _t(beta), training=False)
        _close(reference.batchnorm_eval(X, gamma, beta, new_mean, new_var), Yt)
    # the default momentum is PyTorch's
    X = _drawn(rng, 5, 3)
    mean_t, var_t = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    F.batch_norm(_t(X), mean_t, var_t, training=True)
    new_mean, new_var = reference.running_stats(np.zeros(3), np.ones(3), X)
    _close(new_mean, mean_t)
    _close(new_var, var_t)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("eps", EPS)
def test_exercise10_layernorm_matches_torch(seed: int, eps: float) -> None:
    rng = np.random.default_rng(seed)
    for shape in LAYER_SHAPES:
        d = shape[-1]
        X, dY = rng.normal(size=shape) * 2 + 1, rng.normal(size=shape)
        gamma, beta = rng.normal(size=d), rng.normal(size=d)
        Xt, gt, bt = _t(X, True), _t(gamma, True), _t(beta, True)
        Yt = F.layer_norm(Xt, (d,), gt, bt, eps=eps)
        _close(reference.layernorm_forward(X, gamma, beta, eps), Yt)
        Yt.backward(_t(dY))
        dX, dgamma, dbeta = reference.layernorm_backward(dY, X, gamma, eps)
        assert (dX.shape, dgamma.shape, dbeta.shape) == (shape, (d,), (d,))
        _close(dX, Xt.grad)
        _close(dgamma, gt.grad)
        _close(dbeta, bt.grad)


def test_exercise10_huge_offsets_and_constant_features() -> None:
    """Features whose mean is 1e8 times their spread stay accurate (torch computes these in
    float64 with a two-pass variance too), and a constant feature stays finite."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 4)) + np.array([1e8, -3e6, 1e4, 0.0])
    X[:, 3] = 1.5  # a constant feature
    gamma, beta, dY = rng.normal(size=4), rng.normal(size=4), rng.normal(size=(6, 4))
    Xt, gt, bt = _t(X, True), _t(gamma, True), _t(beta, True)
    Yt = F.batch_norm(Xt, None, None, gt, bt, training=True)
    Yt.backward(_t(dY))
    Y = reference.batchnorm_forward(X, gamma, beta)
    dX, dgamma, dbeta = reference.batchnorm_backward(dY, X, gamma)
    assert np.isfinite(Y).all() and np.isfinite(dX).all()
    _close(Y, Yt, rtol=1e-7)
    _close(dX, Xt.grad, rtol=1e-6)
    _close(dgamma, gt.grad, rtol=1e-7)
    _close(dbeta, bt.grad)
    # layernorm: rows far from 0, and a constant row
    Z = rng.normal(size=(2, 3, 5)) + 1e8
    Z[1, 2] = -7.0
    Zt = _t(Z, True)
    Lt = F.layer_norm(Zt, (5,), _t(gamma[:1].repeat(5)), None)
    _close(reference.layernorm_forward(Z, gamma[:1].repeat(5), np.zeros(5)), Lt, rtol=1e-7)
