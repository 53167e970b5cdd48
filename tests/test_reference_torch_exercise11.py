"""exercise11's reference solution agrees with torch, an oracle written by someone else: the
embedding with torch.nn.functional.embedding, the attention with
torch.nn.functional.scaled_dot_product_attention(is_causal=True), and every backward pass with
autograd, in float64. A test named `test_exercise11_...` is this exercise's oracle for
`bpgrade dev check`.
"""

import importlib.util
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "exercise11_attention.py"
RTOL = 1e-10
ATOL = 1e-12

SEEDS = range(20)
# (B, T, C, H): all different, B = 1, T = 1, all equal, the worked example's, a longer one
SIZES = [(3, 5, 7, 4), (1, 4, 3, 5), (2, 1, 5, 3), (3, 3, 3, 3), (1, 3, 2, 4), (2, 9, 6, 8)]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_exercise11_attention", SOLUTION)
    assert spec is not None and spec.loader is not None, SOLUTION
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load()


def _t(a: np.ndarray) -> "torch.Tensor":
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def _close(actual: np.ndarray, expected: "torch.Tensor") -> None:
    np.testing.assert_allclose(actual, expected.detach().numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(("b", "t", "c", "h"), SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_exercise11_embedding_matches_autograd(seed: int, b: int, t: int, c: int, h: int) -> None:
    rng = np.random.default_rng([seed, b, t, c])
    v = h + 2
    idx = rng.integers(0, v, size=(b, t))
    idx.reshape(-1)[-1] = idx.reshape(-1)[0]  # a token twice
    W, dOut = rng.normal(size=(v, c)), rng.normal(size=(b, t, c))
    leaf = _t(W)
    out = F.embedding(torch.tensor(idx), leaf)
    out.backward(torch.tensor(dOut))
    _close(reference.embedding_forward(idx, W), out)
    assert leaf.grad is not None
    _close(reference.embedding_backward(dOut, idx, v), leaf.grad)


@pytest.mark.parametrize("seed", SEEDS)
def test_exercise11_softmax_backward_matches_autograd(seed: int) -> None:
    rng = np.random.default_rng(seed)
    S, dP = rng.normal(size=(2, 4, 6)) * 2, rng.normal(size=(2, 4, 6))
    leaf = _t(S)
    P = torch.softmax(leaf, dim=-1)
    P.backward(torch.tensor(dP))
    assert leaf.grad is not None
    _close(reference.softmax_backward(dP, P.detach().numpy()), leaf.grad)


def _attention(X: np.ndarray, Wq: np.ndarray, Wk: np.ndarray, Wv: np.ndarray) -> tuple:
    leaves = [_t(a) for a in (X, Wq, Wk, Wv)]
    x, wq, wk, wv = leaves
    q, k, v = x @ wq.T, x @ wk.T, x @ wv.T
    Y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    T = X.shape[1]
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    S = (q @ k.transpose(-1, -2) / np.sqrt(Wq.shape[0])).masked_fill(future, float("-inf"))
    return Y, torch.softmax(S, dim=-1), leaves


@pytest.mark.parametrize(("b", "t", "c", "h"), SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_exercise11_attention_matches_autograd(seed: int, b: int, t: int, c: int, h: int) -> None:
    rng = np.random.default_rng([seed, b, t, c, h])
    X = rng.normal(size=(b, t, c))
    Wq, Wk, Wv = (rng.normal(size=(h, c)) * 1.5 / np.sqrt(c) for _ in range(3))
    dY = rng.normal(size=(b, t, h))
    Y, P, leaves = _attention(X, Wq, Wk, Wv)
    Y.backward(torch.tensor(dY))
    _close(reference.causal_attention_forward(X, Wq, Wk, Wv), Y)
    _close(reference.attention_weights(X, Wq, Wk), P)
    for mine, leaf in zip(
        reference.causal_attention_backward(dY, X, Wq, Wk, Wv), leaves, strict=True
    ):
        assert leaf.grad is not None
        _close(mine, leaf.grad)


@pytest.mark.parametrize("seed", SEEDS)
def test_exercise11_large_inputs_are_finite_and_silent(seed: int) -> None:
    """|X| up to 1000 with weights of norm about 1: the same as torch, and no NumPy warning."""
    rng = np.random.default_rng(seed)
    X = np.clip(rng.normal(size=(2, 5, 4)) * 400, -1000, 1000)
    X[0, 0, 0] = 1000.0
    Wq, Wk, Wv = (rng.normal(size=(3, 4)) / 2 for _ in range(3))
    dY = rng.normal(size=(2, 5, 3))
    Y, P, leaves = _attention(X, Wq, Wk, Wv)
    Y.backward(torch.tensor(dY))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):  # underflow to 0 is silent in NumPy
            mine = reference.causal_attention_forward(X, Wq, Wk, Wv)
            weights = reference.attention_weights(X, Wq, Wk)
            grads = reference.causal_attention_backward(dY, X, Wq, Wk, Wv)
    np.testing.assert_allclose(mine, Y.detach().numpy(), rtol=1e-7, atol=1e-6)
    np.testing.assert_allclose(weights, P.detach().numpy(), rtol=1e-7, atol=1e-9)
    assert all(np.isfinite(g).all() for g in grads)
    np.testing.assert_allclose(grads[3], leaves[3].grad.numpy(), rtol=1e-7, atol=1e-6)


def test_exercise11_masked_weights_are_exactly_zero_for_huge_scores() -> None:
    """Scores of -2e12 and beyond: the future's weights are exactly 0, as torch's -inf mask."""
    X = np.array([[[-2.0, 1.0], [-1.0, -1.0], [3.0, -2.0]]])
    Wq = 1e6 * np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    Wk = 1e6 * np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    Wv = np.array([[0.5, 0.0], [0.0, 0.25], [1.0, 1.0], [-1.0, 0.5]])
    Y, P, _ = _attention(X, Wq, Wk, Wv)
    weights = reference.attention_weights(X, Wq, Wk)
    np.testing.assert_array_equal(weights, P.detach().numpy())
    np.testing.assert_array_equal(weights[0], [[1, 0, 0], [0, 1, 0], [1, 0, 0]])
    _close(reference.causal_attention_forward(X, Wq, Wk, Wv), Y)


def test_exercise11_worked_example() -> None:
    """The stub's worked example, to its four decimals."""
    W = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    idx = np.array([[1, 0, 1]])
    X = reference.embedding_forward(idx, W)
    dOut = np.array([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])
    np.testing.assert_array_equal(
        reference.embedding_backward(dOut, idx, 3), [[3, 4], [6, 8], [0, 0]]
    )
    Wq = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    Wv = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -1.0]])
    e = np.e
    P = [
        [1, 0, 0],
        [1 / (1 + e), e / (1 + e), 0],
        [e / (2 * e + 1), 1 / (2 * e + 1), e / (2 * e + 1)],
    ]
    np.testing.assert_allclose(reference.attention_weights(X, Wq, Wq)[0], P, rtol=1e-12)
    Y = reference.causal_attention_forward(X, Wq, Wq, Wv)[0]
    np.testing.assert_allclose(Y[1], [0.2689, 0.7311, 1, -0.4621], atol=5e-5)
    np.testing.assert_allclose(Y[2], [0.8446, 0.1554, 1, 0.6893], atol=5e-5)
    dY = np.zeros((1, 3, 4))
    dY[0, 2, 0] = 1.0
    dX, _, _, dWv = reference.causal_attention_backward(dY, X, Wq, Wq, Wv)
    np.testing.assert_allclose(dWv[0], [0.8446, 0.1554], atol=5e-5)
    np.testing.assert_allclose(dX[0, [0, 2]], [[0.4879, 0], [0.6192, -0.1312]], atol=5e-5)
