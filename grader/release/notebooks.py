"""`bpgrade release --notebooks`: each exercise handed out as a notebook too, beside its stub.

    exercises/exercise03_linear.ipynb
        a markdown cell     the stub's docstring: the exercise, its formulas, its example
        code cells          the stub's code, one cell for its imports and one per function or
                            class, each marked as graded (metadata and the tag bpgrade-graded)
        a last code cell    `bpgrade.check("exercise03", notebook=...)`: grades the graded cells

Only the graded cells make the module that is graded (`grader.notebooks`); a learner may add
cells of their own to try things. nbformat writes and validates the notebooks.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path
from typing import Any

from grader.catalog import ExerciseEntry
from grader.notebooks import METADATA, TAG, notebook_name
from grader.release.errors import ReleaseError

KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def check_cell_source(entry: ExerciseEntry) -> str:
    name = notebook_name(entry.file)
    return (
        f"# Grade the cells tagged {TAG} above, as saved: save the notebook first.\n"
        "import bpgrade\n"
        "\n"
        f'bpgrade.check("{entry.name}", notebook="{name}")'
    )


def _docstring_markdown(docstring: str) -> str:
    """The stub's docstring as markdown: its first line a heading, the rest as written (its
    indented formulas are markdown's code blocks)."""
    title, _, rest = docstring.strip().partition("\n")
    return f"# {title.rstrip('.')}\n{rest}".rstrip()


def code_pieces(source: str) -> tuple[str, list[str]]:
    """The stub's docstring, and its code after it in pieces: what comes before the first
    function or class (the imports), then each top-level function or class with the comments
    just above it."""
    tree = ast.parse(source)
    docstring = ast.get_docstring(tree, clean=True) or ""
    lines = source.split("\n")
    body = tree.body
    if body and ast.get_docstring(tree) is not None:
        code_start = body[0].end_lineno or 0  # the docstring's last line, from 1
        body = body[1:]
    else:
        code_start = 0
    starts = []
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            while first > code_start and lines[first - 1].lstrip().startswith("#"):
                first -= 1  # the comments above a function belong with it
            starts.append(first)
    bounds = [code_start, *(s for s in starts if s > code_start), len(lines)]
    pieces = ["\n".join(lines[a:b]).strip("\n") for a, b in itertools.pairwise(bounds)]
    return docstring, [piece for piece in pieces if piece.strip()]


def exercise_notebook(entry: ExerciseEntry, stub: Path) -> Any:
    """The notebook of one exercise, from its stub (an nbformat NotebookNode, validated)."""
    import nbformat
    from nbformat import v4

    docstring, pieces = code_pieces(stub.read_text(encoding="utf-8"))
    cells = [v4.new_markdown_cell(_docstring_markdown(docstring or entry.title))]
    for piece in pieces:
        cells.append(
            v4.new_code_cell(
                piece, metadata={METADATA: {"exercise": entry.name}, "tags": [TAG]}
            )
        )
    cells.append(v4.new_code_cell(check_cell_source(entry)))
    notebook = v4.new_notebook(cells=cells, metadata={"kernelspec": KERNEL})
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        raise ReleaseError(f"the notebook of {entry.name} is not valid: {error}") from None
    return notebook


def write_notebooks(entries: list[ExerciseEntry], exercises: Path, target: Path) -> list[Path]:
    """Each exercise's notebook, written into `target` from its stub in `exercises`; the
    paths written."""
    import nbformat

    written = []
    for entry in entries:
        notebook = exercise_notebook(entry, exercises / entry.file)
        path = target / notebook_name(entry.file)
        nbformat.write(notebook, path)
        written.append(path)
    return written
