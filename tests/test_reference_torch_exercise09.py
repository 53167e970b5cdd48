"""exercise09's reference solution agrees with torch itself, an oracle written by someone else:
its training step is torch's own SGD step on the batch, its accumulated step is that same step
on the micro-batches joined, its evaluation leaves the model as it found it, and its custom
Functions agree with torch.autograd (and pass torch.autograd.gradcheck). Tests named
`test_exercise09_...` are this exercise's oracle for `bpgrade dev check`.

The grader's own inputs are held to the same standard: every mistake the spec models is
visible on the cases it draws (a mistake that no case can tell apart from the reference could
never be named).
"""

import copy
import importlib.util
import itertools
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

torch = pytest.importorskip("torch")

COURSE = Path(__file__).resolve().parents[1]
SOLUTION = COURSE / "solutions" / "exercise09_pytorch.py"
RTOL = 1e-10
ATOL = 1e-12


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_exercise09_pytorch", SOLUTION)
    assert spec is not None and spec.loader is not None, SOLUTION
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load()
nn = torch.nn


def _model(seed: int, sizes: tuple[int, int, int], training: bool) -> "torch.nn.Module":
    torch.manual_seed(seed)
    d_in, hidden, d_out = sizes
    model = nn.Sequential(
        nn.Linear(d_in, hidden, dtype=torch.float64),
        nn.Tanh(),
        nn.Linear(hidden, d_out, dtype=torch.float64),
    )
    for p in model.parameters():
        p.grad = torch.randn_like(p)  # stale gradients, as an earlier step leaves them
    model.train(training)
    return model


def _batch(rng: np.random.Generator, n: int, d_in: int, d_out: int) -> tuple:
    X = torch.tensor(rng.normal(size=(n, d_in)))
    y = torch.tensor(rng.normal(size=(n, d_out)))
    return X, y


def _sgd_by_hand(model: "torch.nn.Module", X, y, lr: float) -> tuple[float, list]:
    """The loss and the parameters after one plain SGD step, from torch.autograd.grad alone."""
    params = list(model.parameters())
    loss = nn.functional.mse_loss(model(X), y)
    grads = torch.autograd.grad(loss, params)
    return loss.item(), [(p - lr * g).detach() for p, g in zip(params, grads, strict=True)]


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("training", [True, False])
def test_exercise09_train_step_is_one_sgd_step(seed: int, training: bool) -> None:
    rng = np.random.default_rng(seed)
    model = _model(seed, (3, 5, 2), training)
    X, y = _batch(rng, 4, 3, 2)
    expected_loss, expected = _sgd_by_hand(copy.deepcopy(model), X, y, 0.1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = reference.train_step(model, optimizer, nn.MSELoss(), X, y)
    assert type(loss) is float
    assert loss == pytest.approx(expected_loss, rel=RTOL, abs=ATOL)
    for p, e in zip(model.parameters(), expected, strict=True):
        np.testing.assert_allclose(p.detach().numpy(), e.numpy(), rtol=RTOL, atol=ATOL)
    assert model.training and all(m.training for m in model.modules())


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("sizes", [(3, 1, 2), (1,), (2, 2), (1, 4, 1, 1)])
def test_exercise09_accumulated_step_is_the_whole_batch_step(
    seed: int, sizes: tuple[int, ...]
) -> None:
    rng = np.random.default_rng([seed, *sizes])
    model = _model(seed, (3, 4, 2), training=seed % 2 == 0)
    whole = copy.deepcopy(model)
    X, y = _batch(rng, sum(sizes), 3, 2)
    bounds = np.cumsum([0, *sizes])
    batches = [(X[a:b], y[a:b]) for a, b in itertools.pairwise(bounds)]
    momentum = dict(lr=0.05, momentum=0.9)
    loss = reference.accumulated_step(
        model, torch.optim.SGD(model.parameters(), **momentum), nn.MSELoss(), batches
    )
    expected_loss = reference.train_step(
        whole, torch.optim.SGD(whole.parameters(), **momentum), nn.MSELoss(), X, y
    )
    assert type(loss) is float
    assert loss == pytest.approx(expected_loss, rel=1e-12, abs=ATOL)
    for p, e in zip(model.parameters(), whole.parameters(), strict=True):
        np.testing.assert_allclose(p.detach().numpy(), e.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("training", [True, False])
def test_exercise09_evaluate_leaves_the_model_as_it_was(training: bool) -> None:
    rng = np.random.default_rng(0)
    model = _model(1, (3, 4, 2), training)
    model.append(nn.Dropout(0.5))  # a layer whose mode shows in the values
    stale = [p.grad.clone() for p in model.parameters()]
    X, y = _batch(rng, 5, 3, 2)
    loss = reference.evaluate(model, nn.MSELoss(), X, y)
    assert type(loss) is float
    assert all(m.training == training for m in model.modules())
    model.eval()
    with torch.no_grad():
        expected = nn.functional.mse_loss(model(X), y).item()
    assert loss == pytest.approx(expected, rel=RTOL)
    model.train(training)
    for p, before in zip(model.parameters(), stale, strict=True):
        assert torch.equal(p.grad, before)


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize(("n", "d_in", "d_out"), [(3, 5, 4), (1, 3, 2), (4, 4, 4)])
def test_exercise09_linear_function_matches_autograd(seed: int, n: int, d_in: int, d_out: int):
    rng = np.random.default_rng([seed, n, d_in, d_out])
    X, W, b = (torch.tensor(rng.normal(size=s)) for s in ((n, d_in), (d_out, d_in), (d_out,)))
    dZ = torch.tensor(rng.normal(size=(n, d_out)))
    leaves = [t.clone().requires_grad_(True) for t in (X, W, b)]
    (leaves[0] @ leaves[1].T + leaves[2]).backward(dZ)
    ours = [t.clone().requires_grad_(True) for t in (X, W, b)]
    Z = reference.LinearFunction.apply(*ours)
    np.testing.assert_allclose(Z.detach().numpy(), (X @ W.T + b).numpy(), rtol=RTOL, atol=ATOL)
    with torch.no_grad():
        returned = reference.LinearFunction.backward(Z.grad_fn, dZ)
    assert len(returned) == 3
    for got, leaf in zip(returned, leaves, strict=True):
        assert got.shape == leaf.shape  # the tuple itself, before torch would sum anything
        np.testing.assert_allclose(got.numpy(), leaf.grad.numpy(), rtol=RTOL, atol=ATOL)
    assert torch.autograd.gradcheck(reference.LinearFunction.apply, ours)


@pytest.mark.parametrize("seed", range(10))
def test_exercise09_sigmoid_function_matches_autograd(seed: int) -> None:
    rng = np.random.default_rng(seed)
    Z = torch.tensor(rng.normal(0.0, 3.0, size=(3, 4)))
    Z[0, :3] = torch.tensor([0.0, 1000.0, -1000.0])
    dA = torch.tensor(rng.normal(size=(3, 4)))
    leaf = Z.clone().requires_grad_(True)
    torch.sigmoid(leaf).backward(dA)
    ours = Z.clone().requires_grad_(True)
    A = reference.SigmoidFunction.apply(ours)
    np.testing.assert_allclose(A.detach().numpy(), torch.sigmoid(Z).numpy(), rtol=RTOL, atol=ATOL)
    assert any(torch.equal(t, A.detach()) for t in A.grad_fn.saved_tensors)  # the output
    A.backward(dA)
    np.testing.assert_allclose(ours.grad.numpy(), leaf.grad.numpy(), rtol=RTOL, atol=ATOL)
    small = torch.tensor(rng.normal(size=(2, 3)), requires_grad=True)
    assert torch.autograd.gradcheck(reference.SigmoidFunction.apply, (small,))


def test_exercise09_every_modelled_mistake_shows_on_the_cases() -> None:
    """Each mistake of the spec gives, on some case of its check, another value than the
    reference's through the same driver: the cases can tell it apart."""
    from grader.checks import checks_for
    from grader.checks.base import OutputCheck
    from grader.judge.compare import close

    def same(a: object, b: object) -> bool:
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        return close(a, b)

    checks = [c for c in checks_for("exercise09", COURSE) if isinstance(c, OutputCheck)]
    modelled = [(c, m) for c in checks for m in c.mistakes]
    assert len(modelled) >= 15
    for check, mistake in modelled:
        cases = check.cases(np.random.default_rng(0))
        assert any(
            not same(mistake.model(reference, case), check.expected_value(reference, case))
            for case in cases
        ), (check.name, mistake.sentence)


def test_exercise09_every_diagnosis_is_documented() -> None:
    """The README lists every diagnosis a report can carry, the training loop's included."""
    from typing import get_args

    from grader.judge.diagnose import Diagnosis

    readme = (COURSE / "README.md").read_text(encoding="utf-8")
    for tag in get_args(Diagnosis):
        assert f"`{tag}`" in readme, tag
