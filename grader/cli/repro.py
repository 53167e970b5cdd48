"""`bpgrade check NAME --case CHECK#N`: one case of a check as a snippet to run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from grader.sandbox import Limits


def show_case(
    names: tuple[str, ...], folder: Path, case: str, seed: int | None, limits: Limits
) -> None:
    from grader.api import CheckError, Session
    from grader.cli.render import echo
    from grader.grading import DEFAULT_SEED
    from grader.repro import NotReproducible, reproduce

    if len(names) != 1:
        raise click.UsageError("--case reproduces a case of one exercise: name exactly one")
    with Session(limits=limits) as session:
        try:
            entry = session.exercises(names)[0]
        except CheckError as error:
            raise click.UsageError(str(error)) from None
        try:
            shown = reproduce(
                entry,
                case,
                folder,
                session.course / "solutions",
                session.sandbox,
                DEFAULT_SEED if seed is None else seed,
            )
        except NotReproducible as error:
            raise click.UsageError(f"cannot reproduce {case}: {error}") from None
    echo(click.style(f"{shown.case} ({shown.label}). Run this from {folder}/:", bold=True))
    echo("")
    echo(shown.snippet)
    echo(click.style("Expected:", bold=True) + f" {shown.expected}")
    echo(click.style("Yours (run in the sandbox):", bold=True) + f" {shown.received}")
