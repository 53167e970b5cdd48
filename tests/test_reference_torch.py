"""The reference solutions agree with torch.autograd, an oracle written by someone else.

Every forward value is compared with torch's own operation and every backward function with
autograd on the same forward, for many seeds and for shapes where N, D_in, D_out and C all
differ (N = 1 included). The solutions are loaded by path, as the grader loads them.

An exercise's oracle tests are named `test_<exercise>_...` (`pytest -k exercise03` runs one
exercise's): `bpgrade dev check` refuses an exercise without one in tests/test_reference_torch*.py,
so a new exercise may bring its own file, tests/test_reference_torch_<exercise>.py.
"""

import copy
import importlib.util
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

torch = pytest.importorskip("torch")

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"
RTOL = 1e-10
ATOL = 1e-12  # for entries that are 0 in one result and round-off small in the other

SEEDS = range(20)
# (N, D_in, D_out, C): all different within a shape, so a transposed product cannot pass.
LAYER_SHAPES = [(1, 3, 2, 4), (5, 4, 3, 2), (6, 2, 7, 3)]
# Elementwise activations take arrays of any shape.
ARRAY_SHAPES = [(1,), (1, 3), (5, 4), (6, 2, 7)]


def _load(stem: str) -> ModuleType:
    path = SOLUTIONS / f"{stem}.py"
    spec = importlib.util.spec_from_file_location(f"reference_{stem}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ex01 = _load("exercise01_chain_rule")
ex02 = _load("exercise02_activations")
ex03 = _load("exercise03_linear")
ex04 = _load("exercise04_losses")
ex05 = _load("exercise05_two_layer")


def _rng(seed: int, *shape: int) -> np.random.Generator:
    return np.random.default_rng([seed, *shape])


def _leaf(array: np.ndarray | float) -> "torch.Tensor":
    """A float64 tensor that autograd will fill with a gradient."""
    return torch.tensor(array, dtype=torch.float64, requires_grad=True)


def _const(array: np.ndarray | float) -> "torch.Tensor":
    return torch.tensor(array, dtype=torch.float64)


def _close(actual: np.ndarray | float, expected: "torch.Tensor | np.ndarray | float") -> None:
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy()
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def _new_float64(result: np.ndarray, *inputs: np.ndarray, shape: tuple[int, ...]) -> None:
    """A result is a float64 array of the expected shape that shares no memory with an input."""
    assert isinstance(result, np.ndarray)
    assert result.dtype == np.float64
    assert result.shape == shape
    for array in inputs:
        assert not np.shares_memory(result, array)


# exercise01: one neuron, scalars


@pytest.mark.parametrize("seed", SEEDS)
def test_exercise01_neuron_matches_autograd(seed: int) -> None:
    rng = _rng(seed)
    w, b, x = (float(v) for v in rng.normal(0.0, 2.0, size=3))
    y = float(rng.uniform(-1.0, 2.0))
    lr = 0.1

    w_t, b_t, x_t = _leaf(w), _leaf(b), _const(x)
    z = w_t * x_t + b_t
    a = torch.sigmoid(z)
    L = (a - y) ** 2
    (dL_da,) = torch.autograd.grad(L, a, retain_graph=True)
    (da_dz,) = torch.autograd.grad(a, z, retain_graph=True)
    (dz_dw,) = torch.autograd.grad(z, w_t, retain_graph=True)
    L.backward()

    _close(ex01.neuron_loss(w, b, x, y), L)
    local = ex01.local_derivatives(w, b, x, y)
    assert len(local) == 3
    _close(local[0], dL_da)
    _close(local[1], da_dz)
    _close(local[2], dz_dw)

    dL_dw, dL_db = ex01.neuron_gradients(w, b, x, y)
    _close(dL_dw, w_t.grad)
    _close(dL_db, b_t.grad)

    w_new, b_new = ex01.descent_step(w, b, x, y, lr)
    with torch.no_grad():
        _close(w_new, w_t - lr * w_t.grad)
        _close(b_new, b_t - lr * b_t.grad)

    for result in (ex01.neuron_loss(w, b, x, y), *local, dL_dw, dL_db, w_new, b_new):
        assert isinstance(result, float)


# exercise02: activations, elementwise on any shape


@pytest.mark.parametrize("shape", ARRAY_SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_exercise02_activations_match_autograd(seed: int, shape: tuple[int, ...]) -> None:
    rng = _rng(seed, *shape)
    Z = rng.normal(0.0, 4.0, size=shape)
    Z[rng.random(shape) < 0.2] = 0.0  # exact zeros: the ReLU slope there is 0, as in torch
    dA = rng.normal(size=shape)
    Z_before, dA_before = Z.copy(), dA.copy()

    for forward, backward, ours, ours_backward in [
        (torch.sigmoid, True, ex02.sigmoid, ex02.sigmoid_backward),
        (torch.relu, True, ex02.relu, ex02.relu_backward),
        (torch.tanh, False, np.tanh, ex02.tanh_backward),
    ]:
        Z_t = _leaf(Z)
        A_t = forward(Z_t)
        A_t.backward(_const(dA))
        if backward:  # np.tanh is numpy's own, not a function of the exercise
            A = ours(Z)
            _new_float64(A, Z, shape=shape)
            _close(A, A_t)
        dZ = ours_backward(dA, Z)
        _new_float64(dZ, dA, Z, shape=shape)
        _close(dZ, Z_t.grad)

    np.testing.assert_array_equal(Z, Z_before)
    np.testing.assert_array_equal(dA, dA_before)


# exercise03: a linear layer


@pytest.mark.parametrize("shape", LAYER_SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_exercise03_linear_matches_autograd(seed: int, shape: tuple[int, int, int, int]) -> None:
    N, D_in, D_out, _ = shape
    rng = _rng(seed, *shape)
    X = rng.normal(size=(N, D_in))
    W = rng.normal(size=(D_out, D_in))
    b = rng.normal(size=D_out)
    dZ = rng.normal(size=(N, D_out))
    before = copy.deepcopy((X, W, b, dZ))

    X_t, W_t, b_t = _leaf(X), _leaf(W), _leaf(b)
    Z_t = torch.nn.functional.linear(X_t, W_t, b_t)  # nn.Linear: X @ W.T + b
    Z_t.backward(_const(dZ))

    Z = ex03.linear_forward(X, W, b)
    _new_float64(Z, X, W, b, shape=(N, D_out))
    _close(Z, Z_t)

    dX, dW, db = ex03.linear_backward(dZ, X, W)
    _new_float64(dX, dZ, X, W, shape=(N, D_in))
    _new_float64(dW, dZ, X, W, shape=(D_out, D_in))
    _new_float64(db, dZ, X, W, shape=(D_out,))
    _close(dX, X_t.grad)
    _close(dW, W_t.grad)
    _close(db, b_t.grad)

    for array, saved in zip((X, W, b, dZ), before, strict=True):
        np.testing.assert_array_equal(array, saved)


# exercise04: losses


@pytest.mark.parametrize("shape", LAYER_SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_exercise04_mse_matches_torch(seed: int, shape: tuple[int, int, int, int]) -> None:
    N, _, _, C = shape
    rng = _rng(seed, *shape)
    Y_hat = rng.normal(size=(N, C))
    Y = rng.normal(size=(N, C))
    before = copy.deepcopy((Y_hat, Y))

    Y_hat_t = _leaf(Y_hat)
    loss_t = torch.nn.functional.mse_loss(Y_hat_t, _const(Y))
    loss_t.backward()

    loss = ex04.mse_loss(Y_hat, Y)
    assert isinstance(loss, float)
    _close(loss, loss_t)
    dY_hat = ex04.mse_backward(Y_hat, Y)
    _new_float64(dY_hat, Y_hat, Y, shape=(N, C))
    _close(dY_hat, Y_hat_t.grad)

    for array, saved in zip((Y_hat, Y), before, strict=True):
        np.testing.assert_array_equal(array, saved)


@pytest.mark.parametrize("shape", LAYER_SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_exercise04_softmax_cross_entropy_matches_torch(
    seed: int, shape: tuple[int, int, int, int]
) -> None:
    N, _, _, C = shape
    rng = _rng(seed, *shape)
    logits = rng.normal(0.0, 5.0, size=(N, C))
    labels = rng.integers(0, C, size=N)
    before = copy.deepcopy((logits, labels))

    logits_t = _leaf(logits)
    loss_t = torch.nn.functional.cross_entropy(logits_t, torch.from_numpy(labels))
    loss_t.backward()

    P = ex04.softmax(logits)
    _new_float64(P, logits, shape=(N, C))
    _close(P, torch.softmax(_const(logits), dim=1))

    loss, dlogits = ex04.softmax_cross_entropy(logits, labels)
    assert isinstance(loss, float)
    _close(loss, loss_t)
    _new_float64(dlogits, logits, shape=(N, C))
    _close(dlogits, logits_t.grad)

    for array, saved in zip((logits, labels), before, strict=True):
        np.testing.assert_array_equal(array, saved)


def test_stable_and_silent_at_1000() -> None:
    """|z| = 1000: finite, equal to torch, and no NumPy warning even with every error raised."""
    Z = np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0]])
    logits = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, 1000.0], [5.0, -1000.0, 0.0]])
    labels = np.array([2, 0, 1])
    dA = np.ones_like(Z)

    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        A = ex02.sigmoid(Z)
        dZ = ex02.sigmoid_backward(dA, Z)
        P = ex04.softmax(logits)
        loss, dlogits = ex04.softmax_cross_entropy(logits, labels)

    for result in (A, dZ, P, loss, dlogits):
        assert np.all(np.isfinite(result))

    Z_t = _leaf(Z)
    torch.sigmoid(Z_t).backward(_const(dA))
    _close(A, torch.sigmoid(_const(Z)))
    _close(dZ, Z_t.grad)

    logits_t = _leaf(logits)
    loss_t = torch.nn.functional.cross_entropy(logits_t, torch.from_numpy(labels))
    loss_t.backward()
    _close(P, torch.softmax(_const(logits), dim=1))
    _close(loss, loss_t)
    _close(dlogits, logits_t.grad)


# exercise05: the two-layer network


def _params(seed: int, shape: tuple[int, int, int, int]) -> dict[str, np.ndarray]:
    """init_params, with random biases so that the forward pass exercises them too."""
    _, D, H, C = shape
    params = ex05.init_params(D, H, C, seed=seed)
    assert {k: v.shape for k, v in params.items()} == {
        "W1": (H, D),
        "b1": (H,),
        "W2": (C, H),
        "b2": (C,),
    }
    rng = _rng(seed, *shape, 5)
    params["b1"] = rng.normal(0.0, 0.5, size=H)
    params["b2"] = rng.normal(0.0, 0.5, size=C)
    return params


def _torch_network(
    params: dict[str, np.ndarray], X: np.ndarray
) -> tuple["torch.Tensor", dict[str, "torch.Tensor"]]:
    leaves = {k: _leaf(v) for k, v in params.items()}
    A1 = torch.relu(torch.nn.functional.linear(_const(X), leaves["W1"], leaves["b1"]))
    Y_hat = torch.nn.functional.linear(A1, leaves["W2"], leaves["b2"])
    return Y_hat, leaves


@pytest.mark.parametrize("shape", LAYER_SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_exercise05_two_layer_backward_matches_autograd(
    seed: int, shape: tuple[int, int, int, int]
) -> None:
    N, D, _, C = shape
    rng = _rng(seed, *shape)
    params = _params(seed, shape)
    X = rng.normal(size=(N, D))
    dY_hat = rng.normal(size=(N, C))
    before = copy.deepcopy((params, X, dY_hat))

    Y_hat_t, leaves = _torch_network(params, X)
    Y_hat_t.backward(_const(dY_hat))

    Y_hat, cache = ex05.two_layer_forward(params, X)
    _new_float64(Y_hat, X, *params.values(), shape=(N, C))
    _close(Y_hat, Y_hat_t)

    grads = ex05.two_layer_backward(params, cache, dY_hat)
    assert set(grads) == {"W1", "b1", "W2", "b2"}
    for k, grad in grads.items():
        _new_float64(grad, params[k], X, dY_hat, shape=params[k].shape)
        _close(grad, leaves[k].grad)

    saved_params, saved_X, saved_dY_hat = before
    for k in params:
        np.testing.assert_array_equal(params[k], saved_params[k])
    np.testing.assert_array_equal(X, saved_X)
    np.testing.assert_array_equal(dY_hat, saved_dY_hat)


@pytest.mark.parametrize("shape", LAYER_SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_exercise05_train_step_matches_one_torch_sgd_step(
    seed: int, shape: tuple[int, int, int, int]
) -> None:
    N, D, _, C = shape
    rng = _rng(seed, *shape)
    params = _params(seed, shape)
    X = rng.normal(size=(N, D))
    Y = rng.normal(size=(N, C))
    lr = 0.1
    before = copy.deepcopy(params)

    Y_hat_t, leaves = _torch_network(params, X)
    loss_t = torch.nn.functional.mse_loss(Y_hat_t, _const(Y))
    loss_t.backward()
    with torch.no_grad():
        expected = {k: p - lr * p.grad for k, p in leaves.items()}

    new_params, loss = ex05.train_step(params, X, Y, lr)
    assert isinstance(loss, float)
    _close(loss, loss_t)  # the loss before the update
    assert new_params is not params
    assert set(new_params) == set(params)
    for k in params:
        _new_float64(new_params[k], params[k], shape=params[k].shape)
        _close(new_params[k], expected[k])
        np.testing.assert_array_equal(params[k], before[k])
