"""A picture drawn as text: sparklines, rows of blocks and shaded grids that fit the terminal.

Unicode blocks (▁▂▃▄▅▆▇█, ░▒▓█) where the output can take them, ASCII where it cannot; colour
(bold titles) only where asked. Every line fits `Style.width` columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from grader.pictures.dot import dot_text
from grader.pictures.figures import Curves, Graph, Heatmap, LayerRows, Network, Panel, Picture


@dataclass(frozen=True)
class Style:
    width: int = 80
    unicode: bool = True
    colour: bool = False

    @property
    def levels(self) -> str:
        """Eight heights, lowest first."""
        return "▁▂▃▄▅▆▇█" if self.unicode else "_.-:=+*#"

    @property
    def shades(self) -> str:
        """Five shades, empty first."""
        return " ░▒▓█" if self.unicode else " .:+#"

    @property
    def missing(self) -> str:
        return "·" if self.unicode else "?"

    def title(self, words: str) -> str:
        return f"\x1b[1m{words}\x1b[0m" if self.colour else words

    def warning(self, words: str) -> str:
        return f"\x1b[33m{words}\x1b[0m" if self.colour else words


def text(picture: Picture, style: Style | None = None) -> str:
    """The whole picture: its title, the notes, each panel, the caption, wrapped to width."""
    import textwrap

    style = style if style is not None else Style()
    width = max(style.width, 40)
    lines = [style.title(_cut(f"{picture.exercise}: {picture.title}", width))]
    for note in picture.notes:
        wrapped = textwrap.wrap(note, width, initial_indent="! ", subsequent_indent="  ")
        lines += [style.warning(line) for line in wrapped]
    for panel in picture.panels:
        lines += ["", style.title(_cut(panel.title, width))]
        lines += _panel(panel, style, width)
    if picture.caption and picture.panels:
        lines += ["", *textwrap.wrap(picture.caption, width)]
    return "\n".join(line.rstrip() for line in lines)


def _panel(panel: Panel, style: Style, width: int) -> list[str]:
    if isinstance(panel, Curves):
        return _curves(panel, style, width)
    if isinstance(panel, LayerRows):
        return _layer_rows(panel, style, width)
    if isinstance(panel, Heatmap):
        return _heatmap(panel, style, width)
    if isinstance(panel, Network):
        return _network(panel, style, width)
    return _graph(panel, style, width)


def _cut(words: str, width: int) -> str:
    return words if len(words) <= width else words[: width - 3] + "..."


def number(value: float | None) -> str:
    """A number in at most 9 characters."""
    if value is None:
        return "-"
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.3g}"
    return f"{value:.1e}"


# --- heights -----------------------------------------------------------------------------------


def _scaled(value: float | None, low: float, high: float, log: bool) -> float | None:
    """Where `value` lies between low and high, 0 to 1 (on a log scale with `log`)."""
    if value is None or not math.isfinite(value) or (log and value <= 0):
        return None
    if log:
        value, low, high = math.log10(value), math.log10(low), math.log10(high)
    if high <= low:
        return 0.5
    return min(max((value - low) / (high - low), 0.0), 1.0)


def _bounds(values: list[float | None], log: bool) -> tuple[float, float] | None:
    usable = [v for v in values if v is not None and math.isfinite(v) and (v > 0 or not log)]
    return (min(usable), max(usable)) if usable else None


def _block(position: float | None, marks: str, missing: str) -> str:
    if position is None:
        return missing
    return marks[min(int(position * len(marks)), len(marks) - 1)]


def _resampled(values: list[float | None], count: int) -> list[float | None]:
    """At most `count` of the values, evenly spaced, the first and the last kept."""
    if len(values) <= count:
        return values
    step = (len(values) - 1) / (count - 1)
    return [values[round(i * step)] for i in range(count)]


# --- the panels --------------------------------------------------------------------------------


def _curves(panel: Curves, style: Style, width: int) -> list[str]:
    label_width = min(max(len(name) for name in panel.series) + 2, 14)
    log = panel.on_log_scale
    bounds = {name: _bounds(values, log) for name, values in panel.series.items()}
    spans = {
        name: "no numbers" if found is None else f"{number(found[0])} to {number(found[1])}"
        for name, found in bounds.items()
    }
    scale = ", log scale" if log else ""
    room = width - 2 - label_width - 2 - max(len(span + scale) for span in spans.values())
    count = max(min(len(panel.x), room), 8)
    lines = []
    for name, values in panel.series.items():
        shown = _resampled(values, count)
        found = bounds[name]
        if found is None:
            spark = style.missing * len(shown)
        else:
            spark = "".join(
                _block(_scaled(v, *found, log), style.levels, style.missing) for v in shown
            )
        label = _cut(name, label_width - 1)
        lines.append(_cut(f"  {label:<{label_width}}{spark}  {spans[name]}{scale}", width))
    first, last = panel.x[0], panel.x[-1]
    lines.append(f"  {'':<{label_width}}{panel.x_label} from {number(first)} to {number(last)}")
    lines += [f"  {name}: {number(level)}" for name, level in panel.marks.items()]
    return lines


def _layer_rows(panel: LayerRows, style: Style, width: int) -> list[str]:
    cell = 3 if len(panel.layers) * 3 + 48 <= width else 2
    label_width = min(max(len(name) for name in panel.rows) + 2, 22)
    every = [v for row in panel.rows.values() for v in row]
    bounds = _bounds(list(every), panel.log)
    header = "".join(f"{layer:<{cell}}"[:cell] for layer in panel.layers)
    lines = [f"  {'layer':<{label_width}}{header}  first -> last"]
    for name, row in panel.rows.items():
        if bounds is None:
            blocks = style.missing * (cell - 1)
            cells = "".join(f"{blocks:<{cell}}" for _ in row)
        else:
            low, high = bounds
            marks = [_block(_scaled(v, low, high, panel.log), style.levels, style.missing)
                     for v in row]
            cells = "".join(f"{mark * (cell - 1):<{cell}}" for mark in marks)
        ends = f"{_value(row[0], panel.unit)} -> {_value(row[-1], panel.unit)}" if row else ""
        label = _cut(name, label_width - 1)
        line = _cut(f"  {label:<{label_width}}{cells:<{cell * len(panel.layers)}}  {ends}", width)
        lines.append(style.title(line) if name in panel.highlight else line)
    if bounds is not None:
        low, high = bounds
        scale = "log scale" if panel.log else "scale"
        lines.append(
            _cut(
                f"  one {scale} for every row: {style.levels[0]} {_value(low, panel.unit)} "
                f"to {style.levels[-1]} {_value(high, panel.unit)}",
                width,
            )
        )
    return lines


def _value(value: float, unit: str) -> str:
    return f"{100 * value:.0f}%" if unit == "%" else number(value)


def _heatmap(panel: Heatmap, style: Style, width: int) -> list[str]:
    label_width = min(max(len(label) for label in panel.row_labels) + 2, 16)
    cell = 4 if label_width + 4 * len(panel.column_labels) <= width else 2
    header = "".join(f"{label.split()[-1]:<{cell}}"[:cell] for label in panel.column_labels)
    lines = [f"  {'key':<{label_width}}{header}"]
    for label, row in zip(panel.row_labels, panel.rows, strict=True):
        cells = "".join(
            _block(_scaled(v, 0.0, 1.0, False), style.shades, style.missing) * (cell - 1) + " "
            for v in row
        )
        lines.append(_cut(f"  {_cut(label, label_width - 1):<{label_width}}{cells}", width))
    shades = style.shades
    lines.append(f"  {'':<{label_width}}'{shades[0]}' 0 up to '{shades[-1]}' 1")
    return lines


def _network(panel: Network, style: Style, width: int) -> list[str]:
    largest = max((abs(g) for w in panel.gradients for row in w for g in row), default=0.0)
    lines: list[str] = []
    for name, weights in zip(panel.layer_names, panel.gradients, strict=True):
        lines.append(f"  {name}: a row per unit it feeds, a column per unit it reads")
        for j, row in enumerate(weights, start=1):
            cells = "".join(_connection(g, largest, style) * 2 + " " for g in row)
            biggest = max((abs(g) for g in row), default=0.0)
            lines.append(_cut(f"    unit {j:<3}{cells}  largest {number(biggest)}", width))
    lines.append(
        f"  '{style.shades[1]}' small to '{style.shades[-1]}' {number(largest)} for both "
        "layers; blank: no gradient at all"
    )
    return lines


def _connection(gradient: float, largest: float, style: Style) -> str:
    """A weight's block: blank where its gradient is 0 (a ReLU that was off passes no blame
    back), else one of four shades by its share of the largest."""
    if gradient == 0 or largest == 0:
        return " "
    return _block(_scaled(abs(gradient), 0.0, largest, False), style.shades[1:], style.missing)


def _graph(panel: Graph, style: Style, width: int) -> list[str]:
    largest = max((abs(n.grad) for n in panel.nodes if n.grad is not None), default=0.0)
    bar_width = 10
    lines = [f"  {'node':<6}{'computed as':<14}{'data':>10}{'grad':>10}  |grad|"]
    for node in panel.nodes:
        blocks = ""
        if node.grad is not None and largest > 0:
            blocks = style.levels[-1] * max(round(abs(node.grad) / largest * bar_width), 0)
        computed = node.expression or "(leaf)"
        row = f"  {node.name:<6}{_cut(computed, 13):<14}{number(node.data):>10}"
        lines.append(_cut(f"{row}{number(node.grad):>10}  {blocks}", width))
    lines += ["", "  As Graphviz DOT (bpgrade plot --out DIR writes it, and SVG with Graphviz):"]
    lines += ["  " + _cut(line, width - 2) for line in dot_text(panel).split("\n")]
    return lines
