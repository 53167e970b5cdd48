"""exercise08's reference solution agrees with torch.autograd, an oracle written by someone else
(as tests/test_reference_torch.py does for the others): random expression graphs, each node
used more than once, evaluated once with the reference's Values and once with float64 tensors,
the same text for both. A test named `test_exercise08_...` is this exercise's oracle for
`bpgrade dev check`.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

torch = pytest.importorskip("torch")

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "exercise08_autograd.py"
RTOL = 1e-10
ATOL = 1e-12

# templates of one statement over existing nodes x and y, each valid for any real x and y
# (log, fractional powers and division only of positive values, exp of a bounded one)
TEMPLATES = (
    "{x} + {y}",
    "{x} * {y}",
    "{x} - {y}",
    "-{x}",
    "{x} / ({y} * {y} + 0.5)",
    "2 - {x}",
    "3 * {x}",
    "1.5 + {x}",
    "2 / ({x} * {x} + 1)",
    "{x} - 0.25",
    "{x} ** 2",
    "{x} ** 3",
    "({x} * {x} + 0.1) ** 0.5",
    "({x} * {x} + 0.5) ** -1",
    "{x}.tanh().exp()",
    "({x} * {x} + 1).log()",
    "{x}.tanh()",
    "{x}.relu()",
    "{x} * {x}",
    "{x} + {x}",
)


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_exercise08_autograd", SOLUTION)
    assert spec is not None and spec.loader is not None, SOLUTION
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load()


def _program(rng: np.random.Generator, leaves: int, statements: int) -> list[tuple[str, str]]:
    names = [f"x{i}" for i in range(leaves)]
    program = []
    for i in range(statements):
        x, y = (names[int(j)] for j in rng.integers(0, len(names), 2))
        template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
        program.append((f"n{i}", template.format(x=x, y=y)))
        names.append(f"n{i}")
    last = " + ".join(names[-3:])  # the root uses the last nodes (and so, most nodes)
    program.append(("L", last))
    return program


def _run(values: dict, program: list[tuple[str, str]], retain: bool) -> dict:
    nodes = dict(values)
    for name, expression in program:
        nodes[name] = eval(expression, {}, dict(nodes))  # the test's own text
        if retain:
            nodes[name].retain_grad()
    return nodes


@pytest.mark.parametrize("seed", range(40))
def test_exercise08_random_graphs_match_autograd(seed: int) -> None:
    rng = np.random.default_rng(seed)
    leaves = rng.normal(size=3)
    leaves[rng.integers(3)] = rng.choice([0.0, leaves[0]])  # relu at its kink, or a repeat
    program = _program(rng, 3, 12)

    ours = _run({f"x{i}": reference.Value(v) for i, v in enumerate(leaves)}, program, False)
    ours["L"].backward()
    theirs = _run(
        {
            f"x{i}": torch.tensor(v, dtype=torch.float64, requires_grad=True)
            for i, v in enumerate(leaves)
        },
        program,
        True,
    )
    theirs["L"].backward()
    for name, node in ours.items():
        tensor = theirs[name]
        np.testing.assert_allclose(node.data, tensor.item(), rtol=RTOL, atol=ATOL, err_msg=name)
        grad = 0.0 if tensor.grad is None else tensor.grad.item()
        np.testing.assert_allclose(node.grad, grad, rtol=RTOL, atol=ATOL, err_msg=name)


def test_exercise08_two_backward_calls_add_up_as_in_torch() -> None:
    a, b = reference.Value(0.7), reference.Value(-1.3)
    (a * b + a).backward()
    (a * a).tanh().backward()
    ta = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(-1.3, dtype=torch.float64, requires_grad=True)
    (ta * tb + ta).backward()
    (ta * ta).tanh().backward()
    assert a.grad == pytest.approx(ta.grad.item(), rel=RTOL)
    assert b.grad == pytest.approx(tb.grad.item(), rel=RTOL)


def test_exercise08_a_deep_chain_sorts_without_recursion() -> None:
    x = reference.Value(0.5)
    node = x
    for _ in range(5000):
        node = node * 1.0001 + 0.001
    order = reference.topological_order(node)
    assert len(order) == len({id(n) for n in order}) == 4 * 5000 + 1
    node.backward()
    assert x.grad == pytest.approx(1.0001**5000, rel=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_exercise08_the_neuron_matches_autograd(seed: int) -> None:
    rng = np.random.default_rng(seed)
    w, b, x, y = (float(v) for v in rng.normal(size=4))
    tw = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    loss = (torch.sigmoid(tw * x + tb) - y) ** 2
    loss.backward()
    L, dL_dw, dL_db = reference.neuron_with_values(w, b, x, y)
    np.testing.assert_allclose(
        [L, dL_dw, dL_db], [loss.item(), tw.grad.item(), tb.grad.item()], rtol=RTOL, atol=ATOL
    )
