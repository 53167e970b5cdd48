"""A computational graph as Graphviz DOT text, and as SVG where Graphviz's `dot` is installed."""

from __future__ import annotations

import json
import shutil
import subprocess

from grader.pictures.figures import Graph


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:.4g}"


def dot_text(graph: Graph) -> str:
    """The graph, inputs on the left, each node labelled with its data and grad."""
    lines = ["digraph G {", "  rankdir=LR;", '  node [shape=record, fontname="Helvetica"];']
    for node in graph.nodes:
        computed = f"{node.name} = {node.expression}" if node.expression else node.name
        label = f"{computed} | data {_number(node.data)} | grad {_number(node.grad)}"
        style = ", style=bold" if node.name == graph.root else ""
        lines.append(f"  {json.dumps(node.name)} [label={json.dumps('{' + label + '}')}{style}];")
    lines += [f"  {json.dumps(a)} -> {json.dumps(b)};" for a, b in graph.edges]
    lines.append("}")
    return "\n".join(lines)


def svg(dot: str) -> bytes | None:
    """The DOT text drawn by Graphviz as SVG; None where `dot` is not installed or fails."""
    program = shutil.which("dot")
    if program is None:
        return None
    try:
        done = subprocess.run(
            [program, "-Tsvg"], input=dot.encode(), capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 and done.stdout else None
