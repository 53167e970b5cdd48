"""exercise08: an autograd engine, micrograd-style: Value, topological_order, backward().

A `Value` cannot cross the line between the learner's process and the judge, so every check
but neuron_with_values goes through a driver (drivers/exercise08.py): it builds a graph of the
learner's Values from a plain description, calls backward() or topological_order, and sends
back numbers. Every graph uses some node twice (a * a, a + a, a leaf or an inner node feeding
two branches): `=` where `+=` belongs is wrong only there.

The mistakes are modelled by running the same drivers on `_engine(...)`, a second engine built
as the reference is (micrograd's structure: a - b is a + (-b), -a is a * -1, a / b is
a * b**-1) with one mistake switched on: what a learner's file with that mistake returns.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from grader.checks.base import Case, Check, Mistake
from grader.checks.spec import Function
from grader.drivers import drive

EXERCISE = "exercise08"
ALL_OPERATIONS = ("+", "*", "**", "exp", "log", "tanh", "relu")
GRAPH = ("leaves", "program", "roots")


# ---------------------------------------------------------------- engines with one mistake


def _engine(
    *,
    assign: frozenset[str] = frozenset(),
    order: str = "depth_first",
    set_root: bool = True,
    exp_slope_from_input: bool = False,
    rsub_as_sub: bool = False,
    power_off_by_one: bool = False,
    tanh_slope_from_input: bool = False,
    relu_slope_at_zero: float = 0.0,
) -> ModuleType:
    """A module with `Value` and `topological_order`, built as the reference is, with the
    mistakes asked for: `assign` names the operations ("+", "*", "**", "exp", ...) whose local
    gradients are written with `=` instead of `+=`;
    `order` "reversed_bfs" lists the nodes breadth first from the root, reversed,
    "reversed_preorder" lists each node when first reached depth first (before its children),
    reversed, "leaves_first"
    runs the rules in topological order without reversing it (the root last), and "none"
    makes backward() run a node's rule each time it reaches the node from the root; `set_root`
    False leaves root.grad at 0; `exp_slope_from_input` uses x as exp's slope instead of
    exp(x); `rsub_as_sub` computes 2 - a as a - 2; `power_off_by_one` uses k * x**k;
    `tanh_slope_from_input` uses 1 - x**2 for tanh; `relu_slope_at_zero` is relu's slope at 0."""

    def give(node: Any, amount: float, op: str) -> None:
        node.grad = amount if op in assign else node.grad + amount

    class Value:
        def __init__(self, data: float, children: tuple[Any, ...] = (), op: str = "") -> None:
            self.data = float(data)
            self.grad = 0.0
            self.children = tuple(children)
            self.op = op
            self._backward: Callable[[], None] = _leaf_rule

        def __add__(self, other: Any) -> Value:
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data + other.data, (self, other), "+")

            def _backward() -> None:
                give(self, out.grad, out.op)
                give(other, out.grad, out.op)

            out._backward = _backward
            return out

        def __mul__(self, other: Any) -> Value:
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data * other.data, (self, other), "*")

            def _backward() -> None:
                give(self, other.data * out.grad, out.op)
                give(other, self.data * out.grad, out.op)

            out._backward = _backward
            return out

        def __pow__(self, k: float) -> Value:
            out = Value(self.data**k, (self,), f"**{k}")
            exponent = k if power_off_by_one else k - 1

            def _backward() -> None:
                give(self, k * self.data**exponent * out.grad, "**")

            out._backward = _backward
            return out

        def _unary(self, data: float, op: str, slope: Callable[[Value], float]) -> Value:
            out = Value(data, (self,), op)

            def _backward() -> None:
                give(self, slope(out) * out.grad, op)

            out._backward = _backward
            return out

        def exp(self) -> Value:
            slope = (lambda out: self.data) if exp_slope_from_input else (lambda out: out.data)
            return self._unary(math.exp(self.data), "exp", slope)

        def log(self) -> Value:
            return self._unary(math.log(self.data), "log", lambda out: 1.0 / self.data)

        def tanh(self) -> Value:
            x = self.data
            if tanh_slope_from_input:
                return self._unary(math.tanh(x), "tanh", lambda out: 1.0 - x**2)
            return self._unary(math.tanh(x), "tanh", lambda out: 1.0 - out.data**2)

        def relu(self) -> Value:
            slope = 1.0 if self.data > 0 else relu_slope_at_zero if self.data == 0 else 0.0
            return self._unary(max(0.0, self.data), "relu", lambda out: slope)

        def __neg__(self) -> Value:
            return self * -1

        def __sub__(self, other: Any) -> Value:
            return self + (-other)

        def __truediv__(self, other: Any) -> Value:
            return self * other**-1

        def __radd__(self, other: Any) -> Value:
            return self + other

        def __rmul__(self, other: Any) -> Value:
            return self * other

        def __rsub__(self, other: Any) -> Value:
            return self - other if rsub_as_sub else other + (-self)

        def __rtruediv__(self, other: Any) -> Value:
            return other * self**-1

        def backward(self) -> None:
            if set_root:
                self.grad = 1.0
            if order == "none":  # each node's rule on reaching it, then its children's, again
                stack = [self]  # and again for a node reached by several paths
                while stack:
                    node = stack.pop()
                    node._backward()
                    stack += reversed(node.children)
                return
            nodes = topological_order(self)
            for node in nodes if order == "leaves_first" else reversed(nodes):
                node._backward()

    def depth_first(root: Value) -> list[Value]:
        nodes: list[Value] = []
        visited: set[int] = set()
        stack = [(root, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                nodes.append(node)
            elif id(node) not in visited:
                visited.add(id(node))
                stack.append((node, True))
                stack += [(c, False) for c in reversed(node.children) if id(c) not in visited]
        return nodes

    def reversed_bfs(root: Value) -> list[Value]:
        nodes, seen, queue = [], {id(root)}, deque([root])
        while queue:
            node = queue.popleft()
            nodes.append(node)
            for child in node.children:
                if id(child) not in seen:
                    seen.add(id(child))
                    queue.append(child)
        return nodes[::-1]

    def reversed_preorder(root: Value) -> list[Value]:
        nodes: list[Value] = []
        visited: set[int] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) not in visited:
                visited.add(id(node))
                nodes.append(node)
                stack += [c for c in reversed(node.children) if id(c) not in visited]
        return nodes[::-1]

    orders = {"reversed_bfs": reversed_bfs, "reversed_preorder": reversed_preorder}
    topological_order = orders.get(order, depth_first)
    return SimpleNamespace(Value=Value, topological_order=topological_order)  # type: ignore[return-value]


def _leaf_rule() -> None:
    """A leaf's backward rule: it has no children to pass its gradient to."""


def _driven(driver: str, **mistakes: Any) -> Callable[[ModuleType, Case], Any]:
    """What the driver answers on an engine with these mistakes, on the case's inputs."""

    def model(reference: ModuleType, case: Case) -> Any:
        arguments = [case.inputs[name] for name in DRIVER_ARGUMENTS[driver]]
        return drive(_engine(**mistakes), EXERCISE, driver, *arguments)

    return model


ASSIGNED = (
    "a node used twice gets only one of its two contributions: a local backward assigns "
    "(child.grad = ...) where it must add (child.grad += ...). A node that feeds two "
    "operations, or one operation twice (a * a), receives a gradient from each use, and the "
    "chain rule adds them."
)
ORDER = (
    "a node passed its gradient on before every use of it had added into its grad: backward() "
    "must run the local rules in reverse topological order (the root first, every node "
    "after all the nodes that use it). A node reached from the root by paths of different "
    "lengths is where a breadth-first order goes wrong."
)
LEAVES_FIRST = (
    "backward() ran the local rules leaves first: each node passed on its grad before any "
    "had reached it, so only the root's own children got a grad. Run them in reverse "
    "topological order, the root first: for node in reversed(topological_order(self))."
)
UNORDERED = (
    "backward() ran a node's rule each time it reached the node, before every use of it had "
    "added into its grad, so a node reached by two paths passed its gradient on twice, the "
    "first time incomplete: sort the graph first, then run each node's rule exactly once, in "
    "reverse topological order."
)
ROOT = (
    "every grad is 0: backward() must start by setting root.grad = 1.0 (dL/dL = 1); every "
    "local rule multiplies by out.grad, so nothing flows from a root whose grad is 0."
)
EXP = (
    "exp's backward used its input x as the slope; the slope of exp is exp(x) itself, the "
    "output: self.grad += out.data * out.grad."
)
RSUB = (
    "2 - a came out as a - 2: Python calls a.__rsub__(2) for 2 - a, with the number as "
    "`other`, so __rsub__ must compute other - self; it is not __sub__ (unlike + and *, "
    "subtraction does not commute)."
)
POWER = "the power rule is off by one: the slope of x**k is k * x**(k - 1), not k * x**k."

TANH = (
    "tanh's backward used its input: 1 - x**2; the slope of tanh is 1 - tanh(x)**2, from the "
    "output: self.grad += (1 - out.data**2) * out.grad."
)
RELU_AT_ZERO = (
    "relu's slope at exactly 0 came out as 1; it is 0 there (x > 0, not x >= 0), as in PyTorch."
)


def _mistakes(driver: str, *names: str) -> tuple[Mistake, ...]:
    known = {
        # with `=` in every local rule, or only in + or only in * (one sentence: one finding)
        **{
            f"assign{ops}": Mistake(None, ASSIGNED, _driven(driver, assign=frozenset(ops)))
            for ops in (ALL_OPERATIONS, ("+",), ("*",))
        },
        "order": Mistake(None, ORDER, _driven(driver, order="reversed_bfs")),
        "order_preorder": Mistake(None, ORDER, _driven(driver, order="reversed_preorder")),
        "unordered": Mistake(None, UNORDERED, _driven(driver, order="none")),
        "leaves_first": Mistake(None, LEAVES_FIRST, _driven(driver, order="leaves_first")),
        "root": Mistake(None, ROOT, _driven(driver, set_root=False)),
        "exp": Mistake("wrong_variable", EXP, _driven(driver, exp_slope_from_input=True)),
        "rsub": Mistake("sign", RSUB, _driven(driver, rsub_as_sub=True)),
        "power": Mistake(None, POWER, _driven(driver, power_off_by_one=True)),
        "tanh": Mistake("wrong_variable", TANH, _driven(driver, tanh_slope_from_input=True)),
        "relu": Mistake(None, RELU_AT_ZERO, _driven(driver, relu_slope_at_zero=1.0)),
    }
    # in the order asked: where two fit a case, the first named is the one shown
    return tuple(m for name in names for key, m in known.items() if key.startswith(name))


# ---------------------------------------------------------------- cases


def _leaf(rng: np.random.Generator, low: float = 0.5, high: float = 2.0) -> float:
    """A value clear of 0 and of 1 in size, of either sign: no mistake hides behind x = 1."""
    return float(rng.choice([-1.0, 1.0]) * rng.uniform(low, high))


def _program_case(
    label: str, leaves: dict[str, float], program: str, roots: list[str] | None = None
) -> Case:
    last = program.split("; ")[-1].split(" = ")[0]
    return Case(label, {"leaves": leaves, "program": program, "roots": roots or [last]})


def operator_cases(rng: np.random.Generator) -> list[Case]:
    """+, *, -, / and unary minus, numbers on either side; every graph uses a node twice."""
    a, b, c = _leaf(rng), _leaf(rng), _leaf(rng)
    return [
        _program_case(
            "a * a and a + a",
            {"a": a, "b": b},
            "c = a * a; d = a + a; e = c - d; L = e * b",
        ),
        _program_case(
            "numbers on either side: 2 - a, 3 / b, 2 * a, a - 1.5, b / 4, 2 + b",
            {"a": a, "b": b},
            "c = 2 - a; d = 3 / b; e = 2 * a + c; f = a - 1.5; g = b / 4 + (2 + b); "
            "L = e * d + f * g",
        ),
        _program_case(
            "a leaf shared by two branches, unary minus and division",
            {"a": a, "b": b, "c": c},
            "u = a * b; v = a / c; w = -a; L = u - v * w",
        ),
    ]


def function_cases(rng: np.random.Generator) -> list[Case]:
    """** k (int, negative, fractional), exp, log, tanh and relu (at exactly 0 too), each on a
    node used twice. log and fractional powers only of positive values (the contract's)."""
    a, b = _leaf(rng), abs(_leaf(rng))
    return [
        _program_case(
            "powers: a ** 2, a ** 3, b ** -1, b ** 0.5",
            {"a": a, "b": b},
            "c = a ** 2; d = a ** 3; e = b ** -1; f = b ** 0.5; L = c + d * e + f * a",
        ),
        _program_case(
            "exp and log",
            {"a": a, "b": b},
            "c = a.exp(); d = (a * b).exp(); e = b.log(); f = c.log(); L = c * d + e * f",
        ),
        _program_case(
            "tanh and relu, relu at exactly 0",
            {"a": a, "b": b, "z": 0.0},
            "c = a.tanh(); d = b.relu(); e = (-b).relu(); f = z.relu(); "
            "L = c * c + d * a + e + f * a + z",
        ),
    ]


def accumulation_cases(rng: np.random.Generator) -> list[Case]:
    """Inner nodes used more than once, reached from the root by paths of different lengths,
    and backward() on two graphs that share a leaf (the grads add up)."""
    a, b, c = _leaf(rng), _leaf(rng), _leaf(rng)
    return [
        _program_case(
            "an inner node used three times",
            {"a": a, "b": b},
            "c = a * b; d = c + a; e = c * d; L = e + c",
        ),
        _program_case(
            "a node used twice in one operation, then again",
            {"a": a, "b": b},
            "c = a + b; d = c * c; e = d.tanh(); f = e * c; L = f - d",
        ),
        _program_case(
            "backward() on L, then on M, which shares the leaf a",
            {"a": a, "b": b, "c": c},
            "u = a * b; v = u.tanh(); L = v + u; m = a * c; M = m + a",
            ["L", "M"],
        ),
    ]


def order_cases(rng: np.random.Generator) -> list[Case]:
    """Graphs with nodes reached from the root by paths of different lengths (a breadth-first
    order puts them too late) and nodes used twice (listed once)."""
    return [
        Case(case.label, {k: v for k, v in case.inputs.items() if k != "roots"})
        for case in accumulation_cases(rng)[:2]
    ] + [
        _program_case(
            "a chain with shortcuts",
            {"a": _leaf(rng)},
            "b = a * a; c = b + a; d = c * b; e = d + c; L = e * a",
        )
    ]


def deep_chain_cases(rng: np.random.Generator) -> list[Case]:
    """L = (...((x*c + d)*c + d)...): 3000 steps, 6000 operations deep."""
    inputs = {
        "x": _leaf(rng),
        "c": float(1.0 + rng.uniform(-4e-4, 4e-4)),
        "d": float(rng.uniform(-0.01, 0.01)),
        "steps": 3000,
    }
    return [Case("a chain 3000 steps (6000 operations) deep", inputs)]


# (x, y) of each case: a fractional target, x = 0, a negative x, the worked example's
NEURON_CASES = ((-1.5, 0.3), (0.0, 0.75), (1.5, 0.0), (2.0, 1.0))


def neuron_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for x, y in NEURON_CASES:
        inputs = {"w": float(rng.uniform(-2, 2)), "b": float(rng.uniform(-1, 1)), "x": x, "y": y}
        cases.append(Case(", ".join(f"{k}={v:.3g}" for k, v in inputs.items()), inputs))
    cases.append(Case("the worked example", {"w": 0.5, "b": 0.0, "x": 2.0, "y": 1.0}))
    return cases


# ---------------------------------------------------------------- checks

DRIVER_ARGUMENTS = {
    "operators": GRAPH,
    "functions": GRAPH,
    "backward": GRAPH,
    "topological_order": ("leaves", "program"),
    "deep_chain": ("x", "c", "d", "steps"),
}
SHOWN = "nodes"  # the driver's answer: "nodes['c.grad']" is c's grad
# the learner's graph of the first case, data and grad per node, goes into the report (plot)


def _driven_function(driver: str, cases: Callable[[np.random.Generator], list[Case]]) -> Function:
    return Function("Value", DRIVER_ARGUMENTS[driver], cases, returns="nodes", driver=driver)


OPERATORS = _driven_function("operators", operator_cases)
FUNCTIONS = _driven_function("functions", function_cases)
BACKWARD = _driven_function("backward", accumulation_cases)
TOPOLOGICAL_ORDER = Function(
    "topological_order",
    DRIVER_ARGUMENTS["topological_order"],
    order_cases,
    returns="problems",
    driver="topological_order",
)
DEEP_CHAIN = _driven_function("deep_chain", deep_chain_cases)
NEURON_WITH_VALUES = Function(
    "neuron_with_values",
    ("w", "b", "x", "y"),
    neuron_cases,
    returns=("L", "dL_dw", "dL_db"),
    uses=("Value", "topological_order"),
)

RECURSION = (
    "RecursionError",
    "A graph thousands of nodes deep is deeper than Python's recursion limit (about 1000 "
    "nested calls): sort without recursion, with a loop over an explicit stack of nodes "
    "(push a node, then its children; append a node to the order once all its children are "
    "in it).",
)

CHECKS: list[Check] = [
    OPERATORS.output(
        suffix="",
        shown=SHOWN,
        mistakes=_mistakes(
            "operators", "rsub", "order", "unordered", "assign", "root", "leaves_first", "power"
        ),
        plot="graph",
    ),
    FUNCTIONS.output(
        suffix="",
        shown=SHOWN,
        mistakes=_mistakes(
            "functions",
            "exp",
            "tanh",
            "relu",
            "power",
            "order",
            "unordered",
            "assign",
            "root",
            "leaves_first",
        ),
        plot="graph",
    ),
    TOPOLOGICAL_ORDER.output(
        suffix="", shown="problems", mistakes=_mistakes("topological_order", "order")
    ),
    BACKWARD.output(
        suffix="",
        shown=SHOWN,
        mistakes=_mistakes(
            "backward", "order", "unordered", "assign", "root", "leaves_first", "tanh"
        ),
        plot="graph",
    ),
    DEEP_CHAIN.output(
        suffix="",
        shown=SHOWN,
        mistakes=_mistakes("deep_chain", "root", "leaves_first"),
        errors=(RECURSION,),
    ),
    NEURON_WITH_VALUES.output(),
]
