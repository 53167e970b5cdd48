"""Expected-and-received tables laid out for a width: side by side, one above the other, or
only the wrong cells. The judge writes a table once, side by side (`feedback.side_by_side`),
and the report keeps it so; a terminal narrower than that table gets one of the other forms
here, read back from that text. Never a number cut in two: cells are moved, never wrapped.

Plain text only (no NumPy): the terminal's renderer imports this on every `bpgrade check`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADER = re.compile(r"\s*expected\s+received(?P<marked>\s+\(\* = wrong\))?")
_ROW = re.compile(r"\s*(?P<left>\[[^\]]*\])?\s*(?P<right>\[[^\]]*\])?\s*")
MARK = "*"


@dataclass(frozen=True)
class Table:
    """A table as `side_by_side` drew it: rows of cells, and which received cells are wrong."""

    expected: list[list[str]]
    received: list[list[str]]
    wrong: list[list[bool]]  # per received cell
    marked: bool  # the judge marked the wrong cells (the shapes agree)

    @property
    def same_shape(self) -> bool:
        return [len(row) for row in self.expected] == [len(row) for row in self.received]


def parse(lines: list[str]) -> Table | None:
    """The table in `lines` (a header, then rows), or None where they are something else."""
    if not lines or (header := _HEADER.fullmatch(lines[0])) is None:
        return None
    middle = lines[0].index("received")  # where the received side starts, on every row
    expected: list[list[str]] = []
    received: list[list[str]] = []
    wrong: list[list[bool]] = []
    for line in lines[1:]:
        left, right = _ROW.fullmatch(line[:middle]), _ROW.fullmatch(line[middle:])
        if left is None or right is None or left["right"] or right["right"]:
            return None
        if left["left"]:
            expected.append(left["left"][1:-1].split())
        if right["left"]:
            cells = right["left"][1:-1].split()
            received.append([cell.removesuffix(MARK) for cell in cells])
            wrong.append([cell.endswith(MARK) for cell in cells])
    return Table(expected, received, wrong, header["marked"] is not None)


def fit(lines: list[str], width: int, height: int | None, arrow: str = "->") -> list[str]:
    """`lines` (a table as the judge wrote it) in a form at most `width` columns wide and,
    where `height` is given, at most that many lines (about: a cut says what it left out).
    Lines that are no table come back as they are."""
    table = parse(lines)
    if table is None or _fits(lines, width, height):
        return lines
    stacked = _stacked(table)
    if _fits(stacked, width, height):
        return stacked
    if table.marked and table.same_shape:
        return _wrong_cells(table, width, height, arrow)
    return [_cut(line, width) for line in stacked[:height]]


def _fits(lines: list[str], width: int, height: int | None) -> bool:
    return all(len(line) <= width for line in lines) and (height is None or len(lines) <= height)


def _row(cells: list[str], wrong: list[bool] | None, size: int) -> str:
    marks = wrong if wrong is not None else [False] * len(cells)
    cells = [f"{c:>{size}}" + (MARK if w else " ") for c, w in zip(cells, marks, strict=True)]
    return "[" + " ".join(cells) + "]"


def _stacked(table: Table) -> list[str]:
    size = max((len(c) for row in table.expected + table.received for c in row), default=1)
    note = f"   ({MARK} = wrong)" if table.marked else ""
    wrong: list[list[bool] | None] = list(table.wrong) if table.marked else []
    wrong += [None] * (len(table.received) - len(wrong))
    return [
        "expected",
        *(_row(row, None, size) for row in table.expected),
        "received" + note,
        *(_row(row, marks, size) for row, marks in zip(table.received, wrong, strict=True)),
    ]


def _wrong_cells(table: Table, width: int, height: int | None, arrow: str) -> list[str]:
    """Only the wrong cells, after their index: `[0, 1] 0.3594 -> -0.1063`, in columns."""
    one_row = len(table.expected) == 1
    entries = [
        f"{f'[{j}]' if one_row else f'[{i}, {j}]'} {table.expected[i][j]} {arrow} {cell}"
        for i, (row, marks) in enumerate(zip(table.received, table.wrong, strict=True))
        for j, (cell, bad) in enumerate(zip(row, marks, strict=True))
        if bad
    ]
    lines = [f"wrong cells, expected {arrow} received:"]  # each after its [row, column]
    size = max(len(entry) for entry in entries)
    across = max(1, (width + 3) // (size + 3))  # entries a line, in columns
    packed = [
        "   ".join(f"{entry:<{size}}" for entry in entries[i : i + across]).rstrip()
        for i in range(0, len(entries), across)
    ]
    room = len(packed) if height is None else max(1, height - 2)
    lines += packed[:room]
    if len(packed) > room:
        left = len(entries) - room * across
        lines.append(f"... and {left} more wrong {'cell' if left == 1 else 'cells'}")
    return [_cut(line, width) for line in lines]


def _cut(line: str, width: int) -> str:
    """`line` cut at a space to fit `width`, with an ellipsis: never inside a number."""
    if len(line) <= width:
        return line
    cut = line.rfind(" ", 0, width - 3)
    return line[: cut if cut > 0 else width - 3] + " ..."
