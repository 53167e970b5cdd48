"""`bpgrade plot`: an exercise's picture, drawn from the learner's own code in the sandbox."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from grader import pictures
from grader.cli import EXERCISES_DIR
from grader.cli.options import limits_options, make_limits
from grader.pictures.dot import dot_text, svg


def _style() -> pictures.Style:
    """How this terminal takes text: its width (at most 80), Unicode where stdout's encoding
    is one, colour only on a terminal and never under NO_COLOR."""
    from grader.cli.render import terminal_width, unicode_output

    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    return pictures.Style(width=min(terminal_width(), 80), unicode=unicode_output(), colour=colour)


@click.command()
@click.argument("name", metavar="EXERCISE")
@EXERCISES_DIR
@click.option(
    "--png",
    "png_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw the picture into this PNG file (needs the extra bpgrade[plots]).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the picture into this folder: EXERCISE.png, and for a graph its "
    ".dot (and .svg where Graphviz is installed).",
)
@limits_options
def plot(
    name: str,
    folder: Path | None,
    png_file: Path | None,
    out_dir: Path | None,
    timeout: float,
    memory: int,
    user: str,
) -> None:
    """Draw EXERCISE's picture from your own code: 01, 05, 07, 08, 11 and 12 have one.

    \b
    exercise01  one neuron's loss and slope as w moves, and the factor a(1-a)
    exercise05  your network's gradients in one training step, and its loss
    exercise07  gradient norms and saturation, layer by layer
    exercise08  your computational graph, data and grad per node
    exercise11  the attention weights
    exercise12  your training loss
    """
    from grader.api import CheckError, Session
    from grader.loop import exercises_folder

    if png_file is not None and out_dir is not None:
        raise click.UsageError("give --png FILE or --out DIR, not both.")
    try:
        with Session(limits=make_limits(timeout, memory, user)) as session:
            picture = pictures.make(name, folder=exercises_folder(folder), session=session)
    except CheckError as error:
        raise click.UsageError(str(error)) from None
    click.echo(pictures.text(picture, _style()))
    written: list[Path] = []
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for panel in picture.panels:
            if isinstance(panel, pictures.Graph):
                dot = dot_text(panel)
                written.append(_write(out_dir / f"{picture.exercise}.dot", dot.encode()))
                drawn = svg(dot)
                if drawn is not None:
                    written.append(_write(out_dir / f"{picture.exercise}.svg", drawn))
        png_file = out_dir / f"{picture.exercise}.png"
    if png_file is not None:
        try:
            written.append(pictures.save_png(picture, png_file))
        except pictures.PlotsMissing as error:
            raise click.ClickException(str(error)) from None
    for path in written:
        click.echo(f"Wrote {path}")


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
