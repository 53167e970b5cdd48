"""`bpgrade grade SUBMISSIONS -o grades.csv`: grade a whole class. Parses and prints; the work
is in `grader.batch`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader.cli.options import limits_options, make_limits


@click.command()
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("grades.csv"),
    show_default=True,
    help="The CSV to write; each student's report goes beside it, in <name>-reports/.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Submissions graded at the same time.  [default: the number of CPUs]",
)
@click.option("--force", is_flag=True, help="Grade again the submissions graded already.")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Draw the public cases from another seed.",
)
@click.option(
    "--hidden/--no-hidden",
    default=True,
    show_default=True,
    help="Also grade each student on their own hidden cases, drawn from their id (the "
    "folder's name); --no-hidden grades everyone on the same cases.",
)
@limits_options
def grade(
    submissions: Path,
    output: Path,
    jobs: int | None,
    force: bool,
    seed: int | None,
    hidden: bool,
    timeout: float,
    memory: int,
    user: str,
) -> None:
    """Grade a folder of submissions, one sub-folder per student, named by student id.

    \b
    SUBMISSIONS/alice/exercise01_chain_rule.py ...   (or alice/exercises/...)
    SUBMISSIONS/bob/...

    Writes the CSV (student, each exercise, total) and one JSON report per student beside it.
    Run it again to grade only what is new or changed; --force grades everything again.

    Exit status: 0 when every student got a grade; 1 when a folder's name is not usable as a
    student id, or a submission could not be graded (its report says why); 2 for bad usage.
    """
    from grader import batch

    options = batch.BatchOptions(
        jobs=jobs,
        seed=batch.DEFAULT_SEED if seed is None else seed,
        hidden=hidden,
        force=force,
        limits=make_limits(timeout, memory, user),
    )
    try:
        plan = batch.prepare(submissions, output, options)
    except batch.NoSubmissions as error:
        raise click.UsageError(str(error)) from None
    for rejected in plan.rejected:
        click.echo(f"Not graded: folder '{rejected.name}': {rejected.reason}.", err=True)
    label = "Grading" + (f" ({len(plan.skipped)} graded already)" if plan.skipped else "")
    try:
        with click.progressbar(
            length=len(plan.todo),
            label=label,
            file=sys.stderr,  # click.get_text_stream is deprecated
            show_eta=True,
            show_pos=True,
            item_show_func=lambda student: student,
        ) as bar:
            result = batch.run(plan, lambda student, state: bar.update(1, student))
    except batch.BatchError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Graded {len(result.graded)}, skipped {len(result.skipped)}, "
        f"errors {len(result.errors)}, rejected folders {len(result.rejected)}. "
        f"Grades in {result.output.csv}, reports in {result.output.reports}/."
    )
    if result.errors:
        click.echo(f"Not graded (see their reports): {', '.join(result.errors)}", err=True)
    raise SystemExit(1 if result.errors or result.rejected else 0)
