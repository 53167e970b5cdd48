"""exercise09's reference solution agrees with torch.autograd, an oracle written by someone else
(as tests/test_reference_torch.py does for the others). A test named `test_exercise09_...` is
this exercise's oracle for `bpgrade dev check`.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

torch = pytest.importorskip("torch")

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "exercise09_pytorch.py"
RTOL = 1e-10
ATOL = 1e-12


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_exercise09_pytorch", SOLUTION)
    assert spec is not None and spec.loader is not None, SOLUTION
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load()


@pytest.mark.parametrize("shape", [(1,), (3, 4), (2, 3, 5)])
@pytest.mark.parametrize("seed", range(20))
def test_exercise09_square_matches_autograd(seed: int, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng([seed, *shape])
    X, dY = rng.normal(size=shape), rng.normal(size=shape)

    X_t = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    Y_t = X_t**2
    Y_t.backward(torch.tensor(dY, dtype=torch.float64))

    Y, dX = reference.square(X), reference.square_backward(dY, X)
    np.testing.assert_allclose(Y, Y_t.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dX, X_t.grad.numpy(), rtol=RTOL, atol=ATOL)
