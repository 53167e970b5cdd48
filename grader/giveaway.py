"""What a course shows its learners must not be the code of an answer.

Every failing check prints its title, in the terminal and on every platform, and a stub that is
not started raises its `NotImplementedError` message; the exercise's exercise is to derive the
code from the math in the stub's docstring. So neither a title nor a stub's message may hold
code of the reference solutions: any expression a solution assigns or returns, written out
(with its local names replaced by what they stand for, so `s * (1 - s)` is found however the
solution splits it), nor any piece of one that computes something. Nor may a title or message
state an equation whose right side computes (`dW = dZ.T @ X`, `db = dZ summed ...` is fine).
Hints are meant to help: one gives the code away only when it holds a whole right-hand side
of a solution's line that the stub's own text does not already show.

Text and code are compared after the same normalization: no spaces, no `*` (so `2(a - y)`
reads as `2.0 * (a - y)`), `^` for `**`, `dL/da` for `dL_da`, no `np.`/`math.`, `2` for `2.0`.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.catalog import Catalog

# Shorter normalized code (`a-y`, `Z>0`, `1-s`) is a fragment of any sentence about the math.
MIN_LENGTH = 4
OPERATORS = frozenset("+-/@^()[]<>=%|&~{}")
# an equation whose right side computes: `= <something with an operator or a call>`
EQUATION = re.compile(r"(?<![<>=!])=(?!=)\s*[^,;:=]*?(?:[-+*/@^%]|\w\()")
UNWRAPPED_CALLS = frozenset({"float", "int", "np.float64", "numpy.float64"})


@dataclass(frozen=True)
class Giveaway:
    """A text shown to learners that holds an answer's code."""

    where: str  # e.g. "exercises/catalog.toml: exercise03 linear_backward.dW title"
    text: str
    answer: str  # the code it holds, and where the solution has it

    def __str__(self) -> str:
        return f"{self.where}: {self.text!r} holds {self.answer}"


def normalize(text: str) -> str:
    text = re.sub(r"\bd(\w+)\s*/\s*d(\w+)", r"d\1_d\2", text)
    text = text.replace("**", "^").replace("'", '"')
    text = re.sub(r"\b(?:np|numpy|math)\.", "", text)
    text = re.sub(r"\s+", "", text).replace("*", "")
    return re.sub(r"(\d)\.0+(?!\d)", r"\1", text)


def _code(node: ast.expr) -> str:
    return normalize(ast.unparse(node))


def _telling(code: str) -> bool:
    return len(code) >= MIN_LENGTH and any(c in OPERATORS for c in code)


# --- what the solutions compute ---------------------------------------------------------------


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a function in the order they run, into `with`, `if` and loops."""
    for stmt in body:
        yield stmt
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and not isinstance(stmt, ast.FunctionDef | ast.ClassDef):
                yield from _statements(inner)


class _Inline(ast.NodeTransformer):
    def __init__(self, known: dict[str, ast.expr]) -> None:
        self.known = known

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if isinstance(node.ctx, ast.Load) and node.id in self.known:
            return copy.deepcopy(self.known[node.id])
        return node


def _values(func: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[tuple[ast.expr, bool]]:
    """Every value the function assigns or returns, as written (True) and with its local
    names replaced by the values they were given before (False)."""
    known: dict[str, ast.expr] = {}
    for stmt in _statements(func.body):
        value = stmt.value if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.Return) else None
        if value is None:
            continue
        inlined = _Inline(known).visit(copy.deepcopy(value))
        yield value, True
        yield inlined, False
        targets = stmt.targets if isinstance(stmt, ast.Assign) else []
        if isinstance(stmt, ast.AnnAssign):
            targets = [stmt.target]
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            known[targets[0].id] = inlined


def _pieces(value: ast.expr) -> Iterator[ast.expr]:
    """The value, and each result it is made of: a returned tuple's items, a dict's values, a
    comprehension's element, the inside of float(...)."""
    yield value
    if isinstance(value, ast.Call) and ast.unparse(value.func) in UNWRAPPED_CALLS:
        if len(value.args) == 1 and not value.keywords:
            yield from _pieces(value.args[0])
    elif isinstance(value, ast.Tuple | ast.List):
        for item in value.elts:
            yield from _pieces(item)
    elif isinstance(value, ast.Dict):
        for item in value.values:
            yield from _pieces(item)
    elif isinstance(value, ast.ListComp | ast.SetComp | ast.GeneratorExp):
        yield from _pieces(value.elt)
    elif isinstance(value, ast.DictComp):
        yield from _pieces(value.value)


def _computing(node: ast.expr) -> Iterator[ast.expr]:
    """The parts of an expression that compute something: arithmetic, comparisons, and calls
    on something computed (`np.exp(-np.abs(Z))`, not `np.tanh(Z)`)."""
    for inner in ast.walk(node):
        if not isinstance(inner, ast.expr):
            continue  # the inside of a comprehension's `for`
        if isinstance(inner, ast.UnaryOp):
            computes = not isinstance(inner.operand, ast.Constant)  # -1 is a number
        elif isinstance(inner, ast.Call):
            arguments = [*inner.args, *(k.value for k in inner.keywords)]
            computes = any(not isinstance(a, ast.Name | ast.Constant) for a in arguments)
        else:
            computes = isinstance(inner, ast.BinOp | ast.Compare | ast.BoolOp | ast.IfExp)
        if computes:
            yield inner


def _functions(path: Path) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def answer_code(
    solutions: Path, given: Path | None = None, *, as_written: bool = False
) -> dict[str, str]:
    """Normalized code -> where a solution computes it: every value a solution assigns or
    returns (also with its locals inlined), its pieces and the parts of them that compute.
    Functions the stubs in `given` hand out whole (a helper such as exercise01's sigmoid)
    are no answer.

    `as_written` keeps only the right-hand sides of the solutions' lines as written
    (`dZ.T @ X`, a returned tuple's items), no part of one: what a hint must not spell out."""
    handed_out = set()
    if given is not None:
        handed_out = {ast.dump(f) for stub in given.glob("*.py") for f in _functions(stub)}
    found: dict[str, str] = {}
    for path in sorted(solutions.glob("*.py")):
        for func in _functions(path):
            if ast.dump(func) in handed_out:
                continue
            for value, written in _values(func):
                if as_written and not written:
                    continue
                for piece in _pieces(value):
                    parts = (piece,) if as_written else (piece, *_computing(piece))
                    for part in parts:
                        code = _code(part)
                        if _telling(code):
                            found.setdefault(
                                code, f"`{ast.unparse(part)}` ({path.name}:{func.name})"
                            )
    return found


# --- what learners see -------------------------------------------------------------------------


def stub_messages(path: Path) -> Iterator[tuple[str, str]]:
    """(function, message) for every `raise NotImplementedError("...")` in a stub."""
    for func in _functions(path):
        for node in ast.walk(func):
            if not isinstance(node, ast.Raise) or not isinstance(node.exc, ast.Call):
                continue
            if ast.unparse(node.exc.func) != "NotImplementedError":
                continue
            for arg in node.exc.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield func.name, arg.value
                elif isinstance(arg, ast.JoinedStr):
                    yield func.name, ast.unparse(arg)


def _holds(text: str, code: dict[str, str]) -> str | None:
    shown = normalize(text)
    for answer, where in code.items():
        if answer in shown:
            return where
    return None


def _equation(text: str) -> str | None:
    found = EQUATION.search(text)
    if found is None:
        return None
    return f"the equation `{text[max(found.start() - 12, 0) : found.end()].strip()}...`"


def giveaways(catalog: Catalog, exercises: Path, solutions: Path) -> list[Giveaway]:
    """The titles, stub messages and hints of a course (its catalog and the stubs in
    `exercises`) that give code of the reference solutions in `solutions` away."""
    code = answer_code(solutions, given=exercises)
    lines = answer_code(solutions, as_written=True)
    found: list[Giveaway] = []

    def strict(where: str, text: str) -> None:
        answer = _holds(text, code) or _equation(text)
        if answer is not None:
            found.append(Giveaway(where, text, answer))

    for entry in catalog.exercises:
        place = f"catalog {entry.name}"
        strict(f"{place} title", entry.title)
        for check in entry.checks:
            strict(f"{place} {check.name} title", check.title)
        stub = exercises / entry.file
        stub_text = normalize(stub.read_text(encoding="utf-8")) if stub.is_file() else ""
        shown_by_stub = {c: w for c, w in lines.items() if c not in stub_text}
        for number, hint in enumerate(entry.hints, start=1):
            answer = _holds(hint.text, shown_by_stub)
            if answer is not None:
                found.append(Giveaway(f"{place} hint {number}", hint.text, answer))
        if stub.is_file():
            for function, message in stub_messages(stub):
                strict(f"{entry.file}:{function} NotImplementedError", message)
    return found
