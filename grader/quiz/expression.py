"""A small, safe arithmetic language for the answers of parameterized questions.

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | power
    power      := atom ("**" unary)?
    atom       := NUMBER | NAME | FUNCTION "(" expression ")" | "(" expression ")"

`**` binds tighter than unary minus and groups to the right, as in Python: `-2**2` is -4
and `2**3**2` is 512. The functions are exp, log, sqrt, tanh and sigmoid; the names are the
question's parameters.

The text is tokenized and parsed by hand into a tree of the node types below, and the tree
is evaluated by walking it. Nothing here hands text to Python's eval, compile or ast: a quiz
file is data, and loading one never runs code.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Union


def _sigmoid(z: float) -> float:
    # Two branches so that exp never overflows for large |z|.
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


FUNCTIONS: dict[str, Callable[[float], float]] = {
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "tanh": math.tanh,
    "sigmoid": _sigmoid,
}

MAX_LENGTH = 500  # characters in one expression
MAX_DEPTH = 50  # nested parentheses, calls and unary signs


class ExpressionError(ValueError):
    """The text is not an expression of the language, or it cannot be evaluated."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message if position is None else f"{message} at column {position + 1}")
        self.position = position


# --- tokens ------------------------------------------------------------------------------

_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = ("**", "+", "-", "*", "/", "(", ")")


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", an operator, or "end"
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if number := _NUMBER.match(text, i):
            tokens.append(Token("number", number.group(), i))
            i = number.end()
            continue
        if name := _NAME.match(text, i):
            tokens.append(Token("name", name.group(), i))
            i = name.end()
            continue
        symbol = next((op for op in _OPERATORS if text.startswith(op, i)), None)
        if symbol is None:
            hint = "; write powers as **" if char == "^" else ""
            raise ExpressionError(f"unexpected character {char!r}{hint}", i)
        tokens.append(Token(symbol, symbol, i))
        i += len(symbol)
    tokens.append(Token("end", "", len(text)))
    return tokens


# --- the tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: float

    def evaluate(self, env: Mapping[str, float]) -> float:
        return self.value

    def names(self) -> set[str]:
        return set()


@dataclass(frozen=True)
class Name:
    name: str
    position: int

    def evaluate(self, env: Mapping[str, float]) -> float:
        if self.name not in env:
            raise ExpressionError(f"no value for {self.name!r}", self.position)
        return float(env[self.name])

    def names(self) -> set[str]:
        return {self.name}


@dataclass(frozen=True)
class Negate:
    operand: Expression

    def evaluate(self, env: Mapping[str, float]) -> float:
        return -self.operand.evaluate(env)

    def names(self) -> set[str]:
        return self.operand.names()


_BINARY: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    # math.pow raises on a negative base with a fractional exponent, where ** would
    # quietly return a complex number.
    "**": math.pow,
}


@dataclass(frozen=True)
class Binary:
    symbol: str
    left: Expression
    right: Expression

    def evaluate(self, env: Mapping[str, float]) -> float:
        a, b = self.left.evaluate(env), self.right.evaluate(env)
        try:
            return _BINARY[self.symbol](a, b)
        except ZeroDivisionError:
            raise ExpressionError(f"division by zero in {a:g} {self.symbol} {b:g}") from None
        except (ValueError, OverflowError):
            raise ExpressionError(f"{a:g} {self.symbol} {b:g} has no finite value") from None

    def names(self) -> set[str]:
        return self.left.names() | self.right.names()


@dataclass(frozen=True)
class Call:
    function: str
    argument: Expression

    def evaluate(self, env: Mapping[str, float]) -> float:
        x = self.argument.evaluate(env)
        try:
            return FUNCTIONS[self.function](x)
        except (ValueError, OverflowError):
            raise ExpressionError(f"{self.function}({x:g}) has no finite value") from None

    def names(self) -> set[str]:
        return self.argument.names()


Expression = Union[Number, Name, Negate, Binary, Call]  # noqa: UP007 (a runtime alias)


# --- the parser --------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def expect(self, kind: str) -> Token:
        if self.current.kind != kind:
            raise ExpressionError(
                f"expected {kind!r}, found {self._describe()}", self.current.position
            )
        return self.advance()

    def _describe(self) -> str:
        token = self.current
        return "the end" if token.kind == "end" else repr(token.text)

    def _nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("the expression is nested too deeply", self.current.position)

    def parse(self) -> Expression:
        tree = self.expression()
        if self.current.kind != "end":
            token = self.current
            hint = " (write multiplication with *)" if token.kind in ("name", "number", "(") else ""
            raise ExpressionError(f"unexpected {self._describe()}{hint}", token.position)
        return tree

    def expression(self) -> Expression:
        tree = self.term()
        while self.current.kind in ("+", "-"):
            symbol = self.advance().kind
            tree = Binary(symbol, tree, self.term())
        return tree

    def term(self) -> Expression:
        tree = self.unary()
        while self.current.kind in ("*", "/"):
            symbol = self.advance().kind
            tree = Binary(symbol, tree, self.unary())
        return tree

    def unary(self) -> Expression:
        if self.current.kind in ("-", "+"):
            sign = self.advance().kind
            self._nested()
            operand = self.unary()
            self.depth -= 1
            return Negate(operand) if sign == "-" else operand
        return self.power()

    def power(self) -> Expression:
        base = self.atom()
        if self.current.kind == "**":
            self.advance()
            self._nested()
            exponent = self.unary()
            self.depth -= 1
            return Binary("**", base, exponent)
        return base

    def atom(self) -> Expression:
        token = self.current
        if token.kind == "number":
            self.advance()
            return Number(float(token.text))
        if token.kind == "(":
            self.advance()
            self._nested()
            inner = self.expression()
            self.depth -= 1
            self.expect(")")
            return inner
        if token.kind == "name":
            self.advance()
            if self.current.kind == "(":
                return self.call(token)
            if token.text in FUNCTIONS:
                raise ExpressionError(
                    f"{token.text} is a function: call it as {token.text}(...)", token.position
                )
            return Name(token.text, token.position)
        raise ExpressionError(
            f"expected a number, a name or '(', found {self._describe()}", token.position
        )

    def call(self, name: Token) -> Expression:
        if name.text not in FUNCTIONS:
            known = ", ".join(FUNCTIONS)
            raise ExpressionError(
                f"unknown function {name.text!r} (the functions are {known})", name.position
            )
        self.expect("(")
        self._nested()
        argument = self.expression()
        self.depth -= 1
        self.expect(")")
        return Call(name.text, argument)


def parse_expression(text: str, names: Collection[str] | None = None) -> Expression:
    """Parse `text`; with `names`, every name it uses must be one of them."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    tree = _Parser(text).parse()
    if names is not None:
        unknown = sorted(tree.names() - set(names))
        if unknown:
            known = ", ".join(sorted(names)) or "none: the question has no params"
            raise ExpressionError(f"unknown name {', '.join(map(repr, unknown))} (known: {known})")
    return tree


def evaluate(tree: Expression, env: Mapping[str, float]) -> float:
    """The value of `tree` with `env` for its names; finite, or an ExpressionError."""
    value = tree.evaluate(env)
    if not math.isfinite(value):
        raise ExpressionError("the expression has no finite value")
    return value
