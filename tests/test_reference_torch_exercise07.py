"""exercise07's reference solution agrees with torch, an oracle written by someone else (as
tests/test_reference_torch.py does for the others): the forward pass with torch's own
activations, the backward pass with autograd, the initializations' standard deviations with
torch.nn.init's fans and gains, the clipping with torch.nn.utils.clip_grad_norm_. A test named
`test_exercise07_...` is this exercise's oracle for `bpgrade dev check`.
"""

import importlib.util
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

torch = pytest.importorskip("torch")

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "exercise07_deep_nets.py"
RTOL = 1e-10
ATOL = 1e-12

SEEDS = range(20)
ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
# (N, sizes): every size different, N = 1, a square network, ten layers, two layers
NETWORKS = [
    (3, (5, 6, 7, 4)),
    (1, (3, 8, 6, 5, 2)),
    (4, (4, 4, 4, 4, 4)),
    (5, (6, 9, 8, 7, 6, 5, 7, 8, 9, 6, 3)),
    (2, (7, 3, 5)),
]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_exercise07_deep_nets", SOLUTION)
    assert spec is not None and spec.loader is not None, SOLUTION
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load()


def _close(actual: np.ndarray | float, expected: "torch.Tensor | float") -> None:
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy()
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def _network(seed: int, n: int, sizes: tuple[int, ...]) -> tuple[dict[str, np.ndarray], ...]:
    """He weights from init_weights, random biases, an input and an upstream gradient."""
    rng = np.random.default_rng([seed, n, *sizes])
    params = reference.init_weights(list(sizes), "he", seed=seed)
    for layer in range(1, len(sizes)):
        params[f"b{layer}"] = rng.normal(0.0, 0.5, size=sizes[layer])
    X, dY = rng.normal(size=(n, sizes[0])), rng.normal(size=(n, sizes[-1]))
    return params, X, dY


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize(("n", "sizes"), NETWORKS)
@pytest.mark.parametrize("seed", SEEDS)
def test_exercise07_forward_and_backward_match_autograd(
    seed: int, n: int, sizes: tuple[int, ...], activation: str
) -> None:
    params, X, dY = _network(seed, n, sizes)
    leaves = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()
    }
    L = len(sizes) - 1
    out = torch.tensor(X, dtype=torch.float64)
    for layer in range(1, L + 1):
        out = torch.nn.functional.linear(out, leaves[f"W{layer}"], leaves[f"b{layer}"])
        if layer < L:  # the output layer is linear
            out = ACTIVATIONS[activation](out)
    out.backward(torch.tensor(dY, dtype=torch.float64))

    Y_hat, cache = reference.deep_forward(params, X, activation)
    _close(Y_hat, out)
    grads = reference.deep_backward(params, cache, dY)
    assert list(grads) == list(params)
    for key, leaf in leaves.items():
        assert grads[key].shape == params[key].shape, key
        _close(grads[key], leaf.grad)
    norms = [torch.linalg.matrix_norm(leaves[f"W{layer}"].grad) for layer in range(1, L + 1)]
    _close(reference.gradient_norms(grads), torch.stack(norms))


def _torch_std(scheme: str, W: "torch.Tensor") -> float:
    """The std torch.nn.init's normal initializers use for this scheme, from torch's own
    fans of a weight laid out as nn.Linear's (out, in)."""
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(W)
    if scheme == "he":  # kaiming_normal_(mode="fan_in", nonlinearity="relu")
        return torch.nn.init.calculate_gain("relu") / np.sqrt(fan_in)
    if scheme == "xavier":  # xavier_normal_ with gain 1
        return float(np.sqrt(2.0 / (fan_in + fan_out)))
    return {"small": 0.01, "unit": 1.0}[scheme]


@pytest.mark.parametrize("scheme", ["he", "xavier", "small", "unit"])
@pytest.mark.parametrize("sizes", [(5, 8, 3), (3, 7, 6, 2), (4, 9), (10, 4, 9, 6, 5)])
@pytest.mark.parametrize("seed", range(5))
def test_exercise07_init_draws_with_torch_stds(
    seed: int, sizes: tuple[int, ...], scheme: str
) -> None:
    params = reference.init_weights(list(sizes), scheme, seed=seed)
    assert list(params) == [f"{p}{layer}" for layer in range(1, len(sizes)) for p in "Wb"]
    rng = np.random.default_rng(seed)
    for layer in range(1, len(sizes)):
        W, b = params[f"W{layer}"], params[f"b{layer}"]
        assert W.shape == (sizes[layer], sizes[layer - 1]) and W.dtype == np.float64
        std = _torch_std(scheme, torch.empty(W.shape, dtype=torch.float64))
        np.testing.assert_allclose(W, rng.standard_normal(W.shape) * std, rtol=1e-12)
        np.testing.assert_array_equal(b, np.zeros(sizes[layer]))


@pytest.mark.parametrize("scheme", ["he", "xavier"])
def test_exercise07_init_std_is_torch_init_std(scheme: str) -> None:
    """On a large layer the draws' spread is that of torch's own initializer."""
    params = reference.init_weights([400, 300], scheme, seed=0)
    W = torch.empty((300, 400), dtype=torch.float64)
    torch.manual_seed(0)
    if scheme == "he":
        torch.nn.init.kaiming_normal_(W, mode="fan_in", nonlinearity="relu")
    else:
        torch.nn.init.xavier_normal_(W)
    assert params["W1"].std() == pytest.approx(float(W.std()), rel=0.02)


@pytest.mark.parametrize("ratio", [0.2, 0.9, 1.5, 10.0])
@pytest.mark.parametrize(("n", "sizes"), NETWORKS)
@pytest.mark.parametrize("seed", range(5))
def test_exercise07_clip_grad_norm_matches_torch(
    seed: int, n: int, sizes: tuple[int, ...], ratio: float
) -> None:
    rng = np.random.default_rng([seed, n, *sizes])
    grads = {}
    for layer in range(len(sizes) - 1, 0, -1):  # the order a backward pass fills them in
        scale = rng.uniform(0.1, 3.0)
        grads[f"W{layer}"] = rng.normal(0.0, scale, size=(sizes[layer], sizes[layer - 1]))
        grads[f"b{layer}"] = rng.normal(0.0, scale, size=sizes[layer])
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    max_norm = ratio * total

    tensors = []
    for g in grads.values():
        t = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        t.grad = torch.tensor(g, dtype=torch.float64)
        tensors.append(t)
    torch_total = torch.nn.utils.clip_grad_norm_(tensors, max_norm)

    clipped, total_norm = reference.clip_grad_norm(grads, max_norm)
    assert isinstance(total_norm, float)
    _close(total_norm, float(torch_total))
    assert list(clipped) == list(grads)
    for (key, g), t in zip(grads.items(), tensors, strict=True):
        _close(clipped[key], t.grad)
        assert not np.shares_memory(clipped[key], g)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("seed", SEEDS)
def test_exercise07_saturation_matches_torch(seed: int, activation: str) -> None:
    rng = np.random.default_rng([seed, len(activation)])
    Z = torch.tensor(rng.normal(0.0, 2.5, size=(6, 10)), dtype=torch.float64)
    A = ACTIVATIONS[activation](Z)
    if activation == "relu":
        saturated = A == 0
    elif activation == "tanh":
        saturated = A.abs() > 0.97
    else:
        saturated = (A > 0.97) | (A < 0.03)
    fraction = reference.saturation(A.numpy(), activation)
    assert isinstance(fraction, float)
    assert fraction == pytest.approx(float(saturated.double().mean()), abs=1e-15)


def test_exercise07_ten_layers_run_well_under_a_second() -> None:
    """The issue's limit: a learner's 10-layer network runs in well under a second; the
    reference's forward and backward on a wide one take a few milliseconds."""
    sizes = [64] * 11
    params = reference.init_weights(sizes, "he", seed=0)
    X = np.random.default_rng(1).normal(size=(128, 64))
    start = time.perf_counter()
    for activation in ACTIVATIONS:
        Y_hat, cache = reference.deep_forward(params, X, activation)
        reference.deep_backward(params, cache, np.ones_like(Y_hat))
    assert time.perf_counter() - start < 0.5
