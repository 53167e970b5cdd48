"""What must never be handed out: the reference solutions' code, and the specs' code (their
expected values and mistake models are near-solutions).

Code is compared by its syntax tree, not its text, so a copy with other comments, spacing or
docstring is found too: every function's body and every lambda's expression, as an AST dump.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None


def _function_bodies(path: Path) -> Iterator[tuple[str, str]]:
    """(name, body as an AST dump) for every function (its docstring left out) and every
    lambda (named `<lambda>`) of a Python file."""
    tree = _parse(path)
    if tree is None:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                body = body[1:]
            if body:
                yield node.name, ast.dump(ast.Module(body=body, type_ignores=[]))
        elif isinstance(node, ast.Lambda):
            yield "<lambda>", ast.dump(node.body)


def solution_bodies(course: Path) -> dict[str, str]:
    """Body dump -> 'file:function' for every function of the reference solutions that the
    stubs do not hand out themselves (a given helper is in both)."""
    given = {
        body for stub in (course / "exercises").glob("*.py") for _, body in _function_bodies(stub)
    }
    return {
        body: f"{path.name}:{name}"
        for path in sorted((course / "solutions").glob("*.py"))
        for name, body in _function_bodies(path)
        if body not in given
    }


def spec_files(course: Path) -> list[Path]:
    folder = course / "specs"
    return sorted(folder.rglob("*.py")) if folder.is_dir() else []


def spec_bodies(course: Path) -> dict[str, str]:
    """Body dump -> 'specs/file:function' for every function and lambda of the course's specs:
    their expected values and mistake models, and whatever else they define."""
    return {
        body: f"specs/{path.relative_to(course / 'specs').as_posix()}:{name}"
        for path in spec_files(course)
        for name, body in _function_bodies(path)
    }


def spec_names(course: Path) -> set[str]:
    """The names the specs define at their top level (functions, classes, constants), and the
    modules' own names as Python imports them: none of them belongs in recorded data."""
    from grader.checks import SPECS_PACKAGE

    names = {SPECS_PACKAGE}
    for path in spec_files(course):
        if path.stem != "__init__":
            names.add(f"{SPECS_PACKAGE}.{path.stem}")
        tree = _parse(path)
        for node in tree.body if tree is not None else []:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
    return names


def leaks(files: list[tuple[Path, str]], bodies: dict[str, str]) -> list[str]:
    """Which of `files` ((path, name shown)) define a function or a lambda with one of
    `bodies` (a solution's, a spec's)."""
    found = []
    for path, shown in files:
        if path.suffix != ".py":
            continue
        for name, body in _function_bodies(path):
            if body in bodies:
                found.append(f"{shown}:{name} is {bodies[body]}")
    return found


def named(text: str, names: set[str]) -> list[str]:
    """Which of `names` occur in `text` as whole identifiers."""
    return sorted(name for name in names if re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text))
