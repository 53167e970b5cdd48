"""Drivers of exercise08: graphs of the learner's Values, built from a plain description.

A graph is `leaves` (a dict: name -> number, each made a `Value`) and a `program`: statements
`name = expression` separated by "; ", each an expression over the names before it, written
as a learner would write it (`c = 2 - a * a; L = c.exp() + a`). The last name is the root.
Each driver builds the graph with the learner's `Value`, calls what it grades, and returns
plain numbers: data and grad per named node, or the properties of a topological order that
any correct order has. The mistakes' models run the very same drivers on engines built wrongly.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

SEPARATOR = "; "


def _statements(program: str) -> list[tuple[str, str]]:
    statements = []
    for statement in program.split(SEPARATOR):
        name, _, expression = statement.partition(" = ")
        statements.append((name.strip(), expression.strip()))
    return statements


def _build(module: ModuleType, leaves: dict[str, float], program: str) -> dict[str, Any]:
    """The named nodes of the graph, leaves first, made with the learner's Value."""
    value = module.Value
    nodes: dict[str, Any] = {name: value(float(x)) for name, x in leaves.items()}
    for name, expression in _statements(program):
        node = eval(expression, {"__builtins__": {}}, dict(nodes))  # the grader's own text
        if not isinstance(node, value):
            raise TypeError(
                f"{name} = {expression} gave a {type(node).__name__}, not a Value: every "
                "operation returns a new Value (wrap a number on either side in a Value)"
            )
        nodes[name] = node
    return nodes


def _number(node: Any, name: str, attribute: str) -> float:
    found = getattr(node, attribute)
    if isinstance(found, bool) or not isinstance(found, int | float):
        raise TypeError(f"{name}.{attribute} is a {type(found).__name__}; it should be a float")
    return float(found)


def _data_and_grads(nodes: dict[str, Any]) -> dict[str, float]:
    """Every node's data in the order computed, then every grad from the root back, so that
    the first wrong number a learner reads is the one nearest where the mistake is."""
    result = {f"{name}.data": _number(node, name, "data") for name, node in nodes.items()}
    for name in reversed(list(nodes)):
        result[f"{name}.grad"] = _number(nodes[name], name, "grad")
    return result


def _graph(module: ModuleType, leaves: dict[str, float], program: str, roots: list[str]) -> Any:
    nodes = _build(module, leaves, program)
    for root in roots:
        nodes[root].backward()
    return _data_and_grads(nodes)


def operators(
    module: ModuleType, leaves: dict[str, float], program: str, roots: list[str]
) -> dict[str, float]:
    """+, *, -, / and unary minus, with a number on either side: data and grads."""
    return _graph(module, leaves, program, roots)


def functions(
    module: ModuleType, leaves: dict[str, float], program: str, roots: list[str]
) -> dict[str, float]:
    """** k, exp, log, tanh and relu: data and grads."""
    return _graph(module, leaves, program, roots)


def backward(
    module: ModuleType, leaves: dict[str, float], program: str, roots: list[str]
) -> dict[str, float]:
    """Nodes used more than once, and backward() called on each root in turn: data and grads."""
    return _graph(module, leaves, program, roots)


def graph_data(module: ModuleType, leaves: dict[str, float], program: str) -> dict[str, float]:
    """The forward half alone, for `bpgrade plot`: every node's data, without backward(), so
    that a graph is drawn with its data while the learner's backward is not written yet."""
    nodes = _build(module, leaves, program)
    return {f"{name}.data": _number(node, name, "data") for name, node in nodes.items()}


def _reachable(root: Any) -> dict[int, Any]:
    """Every node reachable from root through .children, by identity, without recursion."""
    found = {id(root): root}
    stack = [root]
    while stack:
        for child in stack.pop().children:
            if id(child) not in found:
                found[id(child)] = child
                stack.append(child)
    return found


def _order_problems(root: Any, order: Any) -> dict[str, int]:
    """What is wrong with `order` as a topological order of root's graph: each count is 0 for
    a right one, whichever of the right orders it is."""
    if not isinstance(order, list | tuple):
        raise TypeError(f"topological_order returned a {type(order).__name__}, not a list")
    reachable = _reachable(root)
    position: dict[int, int] = {}
    for index, node in enumerate(order):
        position.setdefault(id(node), index)
    before_a_child = sum(
        1
        for key, node in reachable.items()
        if key in position
        and any(position.get(id(child), -1) > position[key] for child in node.children)
    )
    return {
        "missing": sum(1 for key in reachable if key not in position),
        "repeated": len(order) - len(position),
        "not_in_the_graph": sum(1 for key in position if key not in reachable),
        "before_a_child": before_a_child,
        "root_not_last": int(not order or order[-1] is not root),
    }


def topological_order(module: ModuleType, leaves: dict[str, float], program: str) -> dict[str, int]:
    """The learner's topological_order(root) of the graph, judged by its properties."""
    nodes = _build(module, leaves, program)
    root = nodes[list(nodes)[-1]]
    return _order_problems(root, module.topological_order(root))


def deep_chain(module: ModuleType, x: float, c: float, d: float, steps: int) -> dict[str, Any]:
    """L = (...((x*c + d)*c + d)...) over `steps` steps, thousands of nodes deep: L's data, L's
    and x's grads after L.backward(), and what is wrong with topological_order(L)."""
    value = module.Value
    leaf = value(float(x))
    node = leaf
    for _ in range(steps):
        node = node * c + d
    node.backward()
    return {
        "L.data": _number(node, "L", "data"),
        "L.grad": _number(node, "L", "grad"),
        "x.grad": _number(leaf, "x", "grad"),
        **_order_problems(node, module.topological_order(node)),
    }
