"""exercise06's reference solution agrees with torch.autograd, an oracle written by someone else
(as tests/test_reference_torch.py does for the others): its numeric gradients are autograd's
gradients up to the error of central differences, and its gradcheck finds a torch-made backward
pass right and a broken one wrong, for the broken input only. A test named
`test_exercise06_...` is this exercise's oracle for `bpgrade dev check`.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

torch = pytest.importorskip("torch")

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "exercise06_gradcheck.py"
# central differences with h = 1e-5 on these O(1) functions: truncation O(h**2) ~ 1e-10,
# rounding ~ 1e-11 / h: both far below this
RTOL = 1e-7
ATOL = 1e-8


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_exercise06_gradcheck", SOLUTION)
    assert spec is not None and spec.loader is not None, SOLUTION
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load()


def _autograd(function, x: np.ndarray, dout: np.ndarray | None = None) -> np.ndarray:
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = function(t)
    if dout is None:
        out.backward()
    else:
        out.backward(torch.tensor(dout, dtype=torch.float64))
    return t.grad.numpy()


@pytest.mark.parametrize("shape", [(1,), (3, 4), (2, 3, 2)])
@pytest.mark.parametrize("seed", range(10))
def test_exercise06_numeric_gradient_matches_autograd(seed: int, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng([seed, *shape])
    n = int(np.prod(shape))
    A, c, w = rng.normal(size=(n, n)) / np.sqrt(n), rng.normal(size=n), rng.normal(size=shape)
    x = rng.normal(size=shape)
    A_t, c_t, w_t = (torch.tensor(v, dtype=torch.float64) for v in (A, c, w))

    def f_torch(t):
        v = t.reshape(-1)
        return 0.5 * v @ (A_t @ v) + c_t @ v + torch.sum(w_t * torch.sin(t)) + torch.sum(t**3) / 6

    def f_numpy(v: np.ndarray) -> float:
        flat = v.reshape(-1)
        return float(0.5 * flat @ (A @ flat) + c @ flat + np.sum(w * np.sin(v)) + np.sum(v**3) / 6)

    before = x.copy()
    got = reference.numeric_gradient(f_numpy, x)
    np.testing.assert_allclose(got, _autograd(f_torch, x), rtol=RTOL, atol=ATOL)
    assert np.array_equal(x, before)  # exactly its original values


@pytest.mark.parametrize("seed", range(10))
def test_exercise06_numeric_gradient_upstream_matches_autograd(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, M, dout = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
    M_t = torch.tensor(M, dtype=torch.float64)
    got = reference.numeric_gradient_upstream(lambda v: np.tanh(v) @ M, x, dout)
    expected = _autograd(lambda t: torch.tanh(t) @ M_t, x, dout)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
    # f returning a view of its argument
    dview = rng.normal(size=(4, 3))
    view = reference.numeric_gradient_upstream(lambda v: v.T, x, dview)
    np.testing.assert_allclose(view, _autograd(lambda t: t.T, x, dview), rtol=RTOL, atol=ATOL)


def _torch_layer():
    """A layer y = tanh(X @ W.T + b), with its backward made by autograd."""

    def forward(X, W, b):
        return np.tanh(X @ W.T + b)

    def backward(dout, X, W, b):
        tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (X, W, b)]
        Xt, Wt, bt = tensors
        torch.tanh(Xt @ Wt.T + bt).backward(torch.tensor(dout, dtype=torch.float64))
        return tuple(t.grad.numpy() for t in tensors)

    return forward, backward


@pytest.mark.parametrize("seed", range(10))
def test_exercise06_gradcheck_judges_an_autograd_backward(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # positive values keep every gradient far from 0, where a relative error is rounding alone
    X, W, b = rng.uniform(0.5, 1.5, (3, 4)), rng.uniform(0.1, 0.3, (4, 4)), rng.uniform(-0.5, 0, 4)
    dout = rng.uniform(0.5, 1.5, (3, 4))
    forward, backward = _torch_layer()
    inputs = (X, W, b)
    copies = tuple(v.copy() for v in inputs)
    figures = reference.gradcheck(forward, backward, inputs, dout)
    assert len(figures) == 3 and all(isinstance(f, float) for f in figures)
    assert max(figures) < 1e-7, figures
    assert all(np.array_equal(a, c) for a, c in zip(inputs, copies, strict=True))

    def transposed_dW(dout, X, W, b):
        dX, dW, db = backward(dout, X, W, b)
        return dX, dW.T, db

    broken = reference.gradcheck(forward, transposed_dW, inputs, dout)
    assert broken[0] < 1e-7 and broken[2] < 1e-7 and broken[1] > 1e-3, broken


def test_exercise06_rel_error_matches_the_formula() -> None:
    a = torch.tensor([1.0, 0.0, -2.0, 1e-10], dtype=torch.float64)
    b = torch.tensor([1.1, 0.0, -2.0, 3e-10], dtype=torch.float64)
    expected = torch.max(torch.abs(a - b) / torch.clamp(torch.abs(a) + torch.abs(b), min=1e-8))
    assert reference.rel_error(a.numpy(), b.numpy()) == pytest.approx(float(expected), rel=1e-12)
    assert reference.rel_error(0.0, 0.0) == 0.0
