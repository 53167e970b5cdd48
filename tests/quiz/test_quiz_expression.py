"""The answer language: arithmetic and five functions, parsed by hand, never eval'd."""

from __future__ import annotations

import ast
import builtins
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.quiz import expression
from grader.quiz.expression import ExpressionError, evaluate, parse_expression


def value(text: str, **env: float) -> float:
    return evaluate(parse_expression(text, names=env), env)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),
        ("2 / 4 / 2", 0.25),
        ("-2**2", -4.0),
        ("(-2)**2", 4.0),
        ("2**3**2", 512.0),
        ("2**-1", 0.5),
        ("--3", 3.0),
        ("+3 - -1", 4.0),
        ("1.5e2 + .5", 150.5),
        ("exp(0) + log(1) + sqrt(4) + tanh(0)", 3.0),
        ("sigmoid(0)", 0.5),
        ("sigmoid(0) * (1 - sigmoid(0))", 0.25),
        ("2 * (sigmoid(0) - 1)", -1.0),
    ],
)
def test_arithmetic(text: str, expected: float) -> None:
    assert value(text) == pytest.approx(expected)


def test_names_take_their_values() -> None:
    got = value("2 * (sigmoid(w*x + b) - 1) * x", w=0.5, b=-0.25, x=2)
    s = 1 / (1 + math.exp(-(0.5 * 2 - 0.25)))
    assert got == pytest.approx(2 * (s - 1) * 2)


def test_sigmoid_is_stable_for_large_inputs() -> None:
    assert value("sigmoid(1000)") == 1.0
    assert value("sigmoid(-1000)") == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "__import__('os').system('true')",
        "x.real",
        "x.__class__",
        "().__class__",
        "x[0]",
        "[1, 2]",
        "{}",
        "lambda: 1",
        "lambda x: x",
        "(lambda: 1)()",
        "open('f')",
        "eval('1')",
        "x if x else 1",
        "x == 1",
        "1; 2",
        "1, 2",
        "'text'",
        "2 ^ 3",
        "2 % 3",
        "2 // 3",
        "x @ x",
        "",
        "1 +",
        "(1",
        "1)",
        "2x",
        "exp",
        "exp(1, 2)",
        "foo(1)",
        "x(2)",
        "log",
        "1 $ 2",
    ],
)
def test_anything_but_arithmetic_is_refused(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse_expression(text, names={"x"})


def test_unknown_names_are_refused_with_the_known_ones() -> None:
    with pytest.raises(ExpressionError, match=r"unknown name 'z' \(known: w, x\)"):
        parse_expression("w * z", names={"w", "x"})


def test_unknown_functions_name_the_functions() -> None:
    with pytest.raises(ExpressionError, match=r"unknown function 'sin'.*exp, log, sqrt"):
        parse_expression("sin(1)")


def test_power_hint() -> None:
    with pytest.raises(ExpressionError, match=r"write powers as \*\*"):
        parse_expression("x^2", names={"x"})


def test_nesting_and_length_are_bounded() -> None:
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("(" * 200 + "1" + ")" * 200)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("-" * 200 + "1")
    with pytest.raises(ExpressionError, match="longer than"):
        parse_expression("1+" * 300 + "1")


@pytest.mark.parametrize(
    "text", ["1 / 0", "log(0)", "log(-1)", "sqrt(-1)", "exp(1000)", "(-8)**(1/3)", "10**400"]
)
def test_values_without_a_finite_result_are_errors(text: str) -> None:
    with pytest.raises(ExpressionError):
        value(text)


def test_parsing_and_evaluating_never_call_eval() -> None:
    calls: list[str] = []
    originals = {name: getattr(builtins, name) for name in ("eval", "exec", "compile")}

    def spy(name: str) -> Callable[..., object]:
        def record(*args: object, **kwargs: object) -> object:
            calls.append(name)
            return originals[name](*args, **kwargs)

        return record

    outcomes = []
    try:
        for name in originals:
            setattr(builtins, name, spy(name))
        outcomes.append(value("2 * (sigmoid(w*x + b) - 1) * x", w=0.1, b=-0.1, x=1))
        for text in ("__import__('os')", "x.real", "lambda: 1"):
            try:
                parse_expression(text, names={"x"})
            except ExpressionError:
                outcomes.append(text)
    finally:
        for name, original in originals.items():
            setattr(builtins, name, original)
    assert calls == []
    assert outcomes[0] == pytest.approx(-1.0)
    assert outcomes[1:] == ["__import__('os')", "x.real", "lambda: 1"]


def test_the_module_has_no_eval_exec_compile_or_ast() -> None:
    source = Path(expression.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in ("eval", "exec", "compile", "__import__")
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [alias.name for alias in node.names] + [getattr(node, "module", "") or ""]
            assert "ast" not in modules
