"""A picture drawn with matplotlib (the optional extra bpgrade[plots]) into a PNG file.

matplotlib is imported here only, on the Agg backend (no window, no display needed), and only
when a PNG is asked for: `bpgrade plot` in the terminal never loads it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.pictures.figures import Curves, Graph, Heatmap, LayerRows, Network, Panel, Picture

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

INSTALL = "pip install 'bpgrade[plots]'"
MARKERS = "osD^vx"


class PlotsMissing(RuntimeError):
    """matplotlib is not installed; the message says how to install it."""


def figure(picture: Picture) -> Figure:
    """The picture as a matplotlib Figure (for a notebook to show, or `save_png`)."""
    try:
        # the Agg canvas of this figure alone: pyplot's global backend (a notebook's inline
        # one, say) is left as it is, and no window ever opens
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotsMissing(
            f"drawing pictures as PNG needs matplotlib, the extra bpgrade[plots]: {INSTALL}"
        ) from None
    panels = picture.panels or []
    heights = [_height(panel) for panel in panels] or [1.0]
    fig = Figure(figsize=(9, sum(heights) + 1.2), layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(f"{picture.exercise}: {picture.title}", fontsize=13, fontweight="bold")
    if not panels:
        ax = fig.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, "\n".join(picture.notes) or "nothing to draw", ha="center",
                va="center", wrap=True)
        return fig
    axes = fig.subplots(len(panels), 1, height_ratios=heights, squeeze=False)[:, 0]
    for ax, panel in zip(axes, panels, strict=True):
        _draw(ax, panel)
    if picture.notes:  # what is wrong or missing, under the picture, as in the terminal
        import textwrap

        said = "\n".join(line for note in picture.notes for line in textwrap.wrap(note, 110))
        fig.supxlabel(said, fontsize=9, color="#a00")
    return fig


def png_bytes(picture: Picture) -> bytes:
    """The picture as the bytes of a PNG file; PlotsMissing without matplotlib."""
    import io

    buffer = io.BytesIO()
    figure(picture).savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def save_png(picture: Picture, path: Path | str) -> Path:
    """Draw the picture into the PNG file `path`; PlotsMissing without matplotlib."""
    path = Path(path)
    fig = figure(picture)
    fig.savefig(path, format="png", dpi=100)
    return path


def _height(panel: Panel) -> float:
    if isinstance(panel, LayerRows):
        return 3.5
    if isinstance(panel, Heatmap):
        return 4.5
    if isinstance(panel, Network | Graph):
        return 4.5
    return 3.0


def _draw(ax: Axes, panel: Panel) -> None:
    ax.set_title(panel.title, fontsize=10)
    if isinstance(panel, Curves):
        _curves(ax, panel)
    elif isinstance(panel, LayerRows):
        _layer_rows(ax, panel)
    elif isinstance(panel, Heatmap):
        _heatmap(ax, panel)
    elif isinstance(panel, Network):
        _network(ax, panel)
    else:
        _graph(ax, panel)


def _curves(ax: Axes, panel: Curves) -> None:
    for name, values in panel.series.items():
        ys = [math.nan if v is None else v for v in values]
        ax.plot(panel.x, ys, label=name, linewidth=2)
    for index, (name, level) in enumerate(panel.marks.items()):
        ax.axhline(level, color=f"C{len(panel.series) + index}", linestyle="--", label=name)
    if panel.on_log_scale:
        ax.set_yscale("log")
    ax.axhline(0.0, color="grey", linewidth=0.5)
    ax.set_xlabel(panel.x_label)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9)


def _layer_rows(ax: Axes, panel: LayerRows) -> None:
    positions = list(range(1, len(panel.layers) + 1))
    for index, (name, row) in enumerate(panel.rows.items()):
        values = [100 * v for v in row] if panel.unit == "%" else list(row)
        if panel.log:
            values = [v if v > 0 else math.nan for v in values]
        # markers of their own, largest first, so that rows on the same values all show
        marker = MARKERS[index % len(MARKERS)]
        size = max(10 - 1.5 * index, 3)
        strong = not panel.highlight or name in panel.highlight
        ax.plot(positions[: len(values)], values, marker=marker, markersize=size, label=name,
                linewidth=(3 if panel.highlight else 2) if strong else 1.2,
                alpha=1.0 if strong else 0.55)
    if panel.log:
        ax.set_yscale("log")
    ax.set_xticks(positions, panel.layers)
    ax.set_xlabel("layer (1 = next to the input, last = next to the output)")
    ax.set_ylabel("% of units" if panel.unit == "%" else "norm")
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)


def _heatmap(ax: Axes, panel: Heatmap) -> None:
    image = ax.imshow(panel.rows, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(panel.column_labels)), panel.column_labels)
    ax.set_yticks(range(len(panel.row_labels)), panel.row_labels)
    for i, row in enumerate(panel.rows):
        for j, value in enumerate(row):
            colour = "white" if value > 0.6 else "black"
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8, color=colour)
    ax.figure.colorbar(image, ax=ax, shrink=0.8)


def _network(ax: Axes, panel: Network) -> None:
    largest = max((abs(g) for w in panel.gradients for row in w for g in row), default=0.0)
    columns = len(panel.sizes)
    place = {
        (k, i): (k, (size - 1) / 2 - i) for k, size in enumerate(panel.sizes) for i in range(size)
    }
    for k, weights in enumerate(panel.gradients):
        for j, row in enumerate(weights):
            for i, gradient in enumerate(row):
                share = abs(gradient) / largest if largest else 0.0
                (x0, y0), (x1, y1) = place[(k, i)], place[(k + 1, j)]
                colour = "#c0392b" if gradient > 0 else "#2471a3"
                ax.plot([x0, x1], [y0, y1], color=colour, linewidth=0.3 + 7 * share,
                        alpha=0.25 + 0.75 * share, solid_capstyle="round", zorder=1)
    names = ["input", *(["hidden"] * (columns - 2)), "output"]
    for (_, i), (x, y) in place.items():
        ax.scatter([x], [y], s=300, color="white", edgecolors="black", zorder=2)
        ax.text(x, y, str(i + 1), ha="center", va="center", fontsize=8, zorder=3)
    for k, name in enumerate(names):
        ax.text(k, max(panel.sizes) / 2 + 0.2, name, ha="center", fontsize=9)
    ax.text(columns - 1, -max(panel.sizes) / 2 - 0.3,
            f"red: positive gradient, blue: negative; the thickest: |gradient| = {largest:.3g}",
            ha="right", fontsize=8)
    ax.set_xlim(-0.4, columns - 0.6)
    ax.set_ylim(-max(panel.sizes) / 2 - 0.6, max(panel.sizes) / 2 + 0.6)
    ax.axis("off")


def _graph(ax: Axes, panel: Graph) -> None:
    depth: dict[str, int] = {}
    inputs: dict[str, list[str]] = {node.name: [] for node in panel.nodes}
    for a, b in panel.edges:
        inputs[b].append(a)
    for node in panel.nodes:  # in the order computed: inputs first
        depth[node.name] = 1 + max((depth[a] for a in inputs[node.name]), default=-1)
    levels: dict[int, list[str]] = {}
    for name, level in depth.items():
        levels.setdefault(level, []).append(name)
    place = {
        name: (float(level), (len(names) - 1) / 2 - i)
        for level, names in levels.items()
        for i, name in enumerate(names)
    }
    for a, b in panel.edges:
        (x0, y0), (x1, y1) = place[a], place[b]
        # an edge that skips a level bows, so that it never hides behind the ones between
        bow = 0.0 if depth[b] - depth[a] == 1 else -0.35 if y0 >= y1 else 0.35
        arrow = {"arrowstyle": "->", "color": "grey", "shrinkA": 30, "shrinkB": 30,
                 "connectionstyle": f"arc3,rad={bow}"}
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=arrow)
    for node in panel.nodes:
        x, y = place[node.name]
        computed = f"{node.name} = {node.expression}" if node.expression else node.name
        label = f"{computed}\ndata {_num(node.data)}\ngrad {_num(node.grad)}"
        box: dict[str, Any] = {"boxstyle": "round", "facecolor": "#eaf2f8",
                               "edgecolor": "black" if node.name == panel.root else "grey"}
        ax.text(x, y, label, ha="center", va="center", fontsize=8, bbox=box)
    top = max(len(names) for names in levels.values())
    ax.set_xlim(-0.5, max(levels) + 0.5)
    ax.set_ylim(-top / 2 - 0.2, top / 2 + 0.2)
    ax.axis("off")


def _num(value: float | None) -> str:
    return "?" if value is None else f"{value:.4g}"
