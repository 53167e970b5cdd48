"""What a picture is made of: panels of plain numbers, drawn by `terminal` and by `png`.

A `Picture` is an exercise's panels and the sentences that go with them (what could not be
drawn, and why). The numbers in it came from the learner's own code, run in the sandbox
(`grader.pictures.making`); nothing here runs or judges anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Curves:
    """Named series over one x axis (`x`): a value per x, None where the learner's code gave
    none. `log`: the values span decades, so they are drawn on a log scale."""

    title: str
    x: list[float]
    x_label: str
    series: dict[str, list[float | None]]
    log: bool = False
    marks: dict[str, float] = field(default_factory=dict)  # levels to read against (ln V)

    @property
    def on_log_scale(self) -> bool:
        """Asked for, or every series spans decades (a loss that diverges)."""
        return self.log or all(spans_decades(values) for values in self.series.values())


def spans_decades(values: list[float | None], decades: float = 6.0) -> bool:
    """All positive, from the smallest to the largest more than `decades` powers of ten: a
    curve that diverges (or vanishes) is drawn on a log scale, or it is a flat line and a
    wall."""
    numbers = [v for v in values if v is not None and math.isfinite(v)]
    if not numbers or min(numbers) <= 0:
        return False
    return max(numbers) / min(numbers) > 10**decades


@dataclass(frozen=True)
class LayerRows:
    """One row per named case, one value per layer (`layers` names the columns, from the input
    to the output): gradient norms or saturation of a deep network."""

    title: str
    layers: list[str]
    rows: dict[str, list[float]]
    log: bool = False
    unit: str = ""  # how a value reads ("" for a plain number, "%" for a fraction shown as %)
    highlight: tuple[str, ...] = ()  # the rows the lesson is about, drawn stronger


@dataclass(frozen=True)
class Heatmap:
    """A matrix of values between 0 and 1 (attention weights): `rows[i][j]` under `row_labels[i]`
    and `column_labels[j]`."""

    title: str
    rows: list[list[float]]
    row_labels: list[str]
    column_labels: list[str]


@dataclass(frozen=True)
class Network:
    """A fully connected network drawn as its connections: `gradients[k][j][i]` is the gradient
    of the weight from unit i of layer k to unit j of layer k + 1 (a W of shape (out, in)).
    `sizes` are the units per layer, input first."""

    title: str
    sizes: list[int]
    gradients: list[list[list[float]]]
    layer_names: list[str]


@dataclass(frozen=True)
class Node:
    name: str
    expression: str  # how it was computed ("a * b"); "" for a leaf
    data: float | None
    grad: float | None


@dataclass(frozen=True)
class Graph:
    """A computational graph: nodes in the order computed, edges from each input to the node
    computed from it; `root` is the node backward() started from."""

    title: str
    nodes: list[Node]
    edges: list[tuple[str, str]]
    root: str


Panel = Curves | LayerRows | Heatmap | Network | Graph


@dataclass
class Picture:
    """An exercise's picture: its panels, with sentences for the learner first (`notes`: what
    is not drawn and why, what to read in it)."""

    exercise: str
    title: str
    panels: list[Panel] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    caption: str = ""  # what the picture shows, in a sentence or two

    # In Jupyter, the picture itself under the cell: a PNG where matplotlib is installed, and
    # the terminal's text otherwise (IPython's display protocol; nothing imported before).
    def _repr_png_(self) -> bytes | None:
        from grader.pictures.png import PlotsMissing, png_bytes

        try:
            return png_bytes(self)
        except PlotsMissing:
            return None

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        from grader.pictures.terminal import Style, text

        printer.text(text(self, Style(width=100)))
