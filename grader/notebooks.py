"""Exercises in notebooks: a submitted notebook graded as the module its marked cells make,
and the report's spots in that module told as the notebook's cells and lines.

    module = graded_module(text, "exercise03", "exercise03_linear.ipynb")
    module.source              the marked code cells, joined: what the sandbox imports
    module.spot(14)            "exercise03_linear.ipynb, cell 3, line 5"
    relabel(report, module)    the exercise's messages, their "exercise03_linear.py, line 14"
                               and their file name told as the notebook's

A cell is graded when its metadata says so, `{"bpgrade": {"exercise": "exercise03"}}` as
`bpgrade release --notebooks` writes it, or when it carries the tag `bpgrade-graded` (a tag
shows in Jupyter's cell toolbar, and a learner can add one by hand); every other cell (notes,
experiments, the cell that runs the check) is left out. In a graded cell, IPython's own lines
(`%timeit f(x)`, `!pip install`, a `%%time` at its top) mean nothing to Python: each becomes a
`pass` with the line as its comment, so that the cell keeps its lines and a line number in the
module is a line of the cell.

The notebook is JSON read here with the standard library: grading a notebook never loads
nbformat, and the learner's code in it is text, never run in this process. Cells are counted
from 1, top to bottom, every cell (notes too), as a learner counts them on the screen.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.report import ExerciseReport

SUFFIX = ".ipynb"
TAG = "bpgrade-graded"  # the visible mark of a graded cell
METADATA = "bpgrade"  # the cell metadata's key: {"bpgrade": {"exercise": "exercise03"}}
# an IPython line: a magic (`%time`, `%%time`) or a shell command (`!ls`), at a line's start
_IPYTHON_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<line>[%!].*)$")


class NotebookError(ValueError):
    """The notebook cannot be graded; the message is the sentence for the learner."""


def notebook_name(file: str) -> str:
    """The notebook an exercise file is handed out as: exercise03_linear.ipynb."""
    return PurePath(file).stem + SUFFIX


def is_notebook(name: str | PurePath) -> bool:
    return str(name).lower().endswith(SUFFIX)


@dataclass(frozen=True)
class Piece:
    """One graded cell in the module: its number in the notebook (None for a cell that stands
    alone, a `%%bpgrade` cell), the module's line where it begins, its lines, and the number
    its first line has in the cell (2 below a `%%bpgrade` line)."""

    cell: int | None
    start: int
    lines: int
    first: int = 1


@dataclass(frozen=True)
class Module:
    """The module a notebook's graded cells make, and where each of its lines came from."""

    source: str
    where: str  # the notebook's name, or "your cell"
    pieces: tuple[Piece, ...]

    def spot(self, line: int) -> str:
        """Line `line` of the module as the learner finds it: the cell and its line."""
        for piece in self.pieces:
            if piece.start <= line < piece.start + piece.lines:
                in_cell = line - piece.start + piece.first
                cell = "" if piece.cell is None else f", cell {piece.cell}"
                return f"{self.where}{cell}, line {in_cell}"
        return f"{self.where}, line {line}"  # past its end: Python's line after the last


def plain_python(code: str) -> str:
    """`code` with each IPython line (a magic, a shell command) made a `pass` that keeps the
    line as a comment; the same number of lines, each where it was. Code that Python reads
    as it is stays as it is (a line of a long string may start with `%`)."""
    try:
        ast.parse(code)
        return code
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    return "\n".join(
        f"{m['indent']}pass  # {m['line']}" if (m := _IPYTHON_LINE.match(line)) else line
        for line in code.split("\n")
    )


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    if isinstance(source, str):
        return source
    raise NotebookError("a cell's source is neither text nor a list of lines")


def is_graded(cell: dict[str, Any], exercise: str) -> bool:
    """A code cell marked for `exercise` (its metadata) or for grading (its tag)."""
    if cell.get("cell_type") != "code":
        return False
    metadata = cell.get("metadata")
    if not isinstance(metadata, dict):
        return False
    mark = metadata.get(METADATA)
    if isinstance(mark, dict) and mark.get("exercise") == exercise:
        return True
    tags = metadata.get("tags")
    return isinstance(tags, list) and TAG in tags


def cells_of(text: str) -> list[dict[str, Any]]:
    """The cells of a notebook's JSON, or NotebookError saying what is wrong with it."""
    try:
        notebook = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: JSON nested past Python's stack
        raise NotebookError("it is not a notebook (its JSON cannot be read)") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        raise NotebookError("it is not a notebook (it has no list of cells)")
    return cells


def graded_module(text: str, exercise: str, where: str) -> Module:
    """The module made of the graded cells of the notebook `text` (its JSON), each cell
    from a new line, in the notebook's order. NotebookError when none is marked."""
    lines: list[str] = []
    pieces: list[Piece] = []
    for number, cell in enumerate(cells_of(text), start=1):
        if not is_graded(cell, exercise):
            continue
        code = plain_python(_source(cell)).removesuffix("\n").split("\n")
        pieces.append(Piece(number, len(lines) + 1, len(code)))
        lines += code
    if not pieces:
        raise NotebookError(
            f"no cell of it is marked as graded: tag the cells that hold your {exercise} "
            f"code `{TAG}`, or start from the notebook the course hands out"
        )
    return Module("\n".join(lines) + "\n", where, tuple(pieces))


def cell_module(code: str, where: str = "your cell", first: int = 2) -> Module:
    """The module of one cell's code (a `%%bpgrade` cell's, whose first line is its own)."""
    source = plain_python(code).removesuffix("\n")
    return Module(source + "\n", where, (Piece(None, 1, source.count("\n") + 1, first),))


def relabel_text(text: str, file: str, module: Module) -> str:
    """`text` with each `file, line N` told as the notebook's cell and line, and every other
    mention of `file` as the notebook."""
    name = re.escape(file)
    spotted = re.sub(
        rf"(?<![\w./-]){name}, line (\d+)", lambda m: module.spot(int(m.group(1))), text
    )
    return re.sub(rf"(?<![\w./-]){name}(?![\w])", module.where, spotted)


def relabel(report: ExerciseReport, module: Module) -> ExerciseReport:
    """The exercise's report with its spots in the graded module told as the notebook's."""
    file = report.file

    def told(text: str) -> str:
        return relabel_text(text, file, module)

    checks = [c.model_copy(update={"message": told(c.message)}) for c in report.checks]
    error = None if report.error is None else told(report.error)
    return report.model_copy(update={"checks": checks, "error": error})
