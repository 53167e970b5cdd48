"""`bpgrade dev new` and `bpgrade dev check`: tools for a course's authors. The work is in
`grader.authoring`; here the arguments are parsed and the results printed."""

from __future__ import annotations

import click


# hidden from `bpgrade --help`, which is the learner's loop; README.md's "Adding an exercise"
# shows it to authors, and a student release refuses it as it refuses every instructor's command
@click.group(hidden=True)
def dev() -> None:
    """Author tools: scaffold a new exercise, check the course before learners see it."""


@dev.command()
@click.argument("name", metavar="exerciseNN")
@click.option(
    "--topic", help="The file's topic, lowercase words joined by _ (exerciseNN_TOPIC.py)."
)
@click.option("--title", help="The exercise's title, as `bpgrade list` shows it.")
def new(name: str, topic: str | None, title: str | None) -> None:
    """Scaffold exerciseNN in the course: a stub, a solution, a check spec, a corpus of two
    learner files with their verdicts, a torch oracle test and the catalog entry, a small
    working example to edit. Nothing is overwritten."""
    from grader.authoring.scaffold import (
        ScaffoldError,
        contract_text,
        new_exercise,
        next_steps,
        scaffold,
    )
    from grader.cli.render import echo
    from grader.course import course_root

    course = course_root()
    try:
        exercise = new_exercise(name, topic, title, contract_text(course))
        written = scaffold(course, exercise)
    except ScaffoldError as error:
        raise click.ClickException(str(error)) from None
    echo(f"Scaffolded {exercise.name} in {course}:")
    for path in written:
        echo(f"  {path.as_posix()}")
    echo("Next:")
    for number, step in enumerate(next_steps(exercise), start=1):
        echo(f"  {number}. {step}")


@dev.command()
@click.option(
    "--print-catalog",
    "print_catalog",
    metavar="EXERCISE",
    help="Print the catalog's check entries derived from this exercise's spec, to paste.",
)
def check(print_catalog: str | None) -> None:
    """Refuse a course whose parts disagree: stubs and solutions, specs and the catalog,
    thin corpora, exercises without a torch oracle test, a stale contract copy. Each
    problem is one line that names its file; the status is 1 when there is any."""
    from grader.authoring.consistency import check_course
    from grader.authoring.scaffold import ScaffoldError, refuse_other_courses
    from grader.cli.render import echo
    from grader.course import course_root

    course = course_root()
    try:
        refuse_other_courses(course)
    except ScaffoldError as error:
        raise click.ClickException(str(error)) from None
    if print_catalog is not None:
        click.echo(_catalog_checks(print_catalog), nl=False)
        return
    problems = check_course(course)
    for problem in problems:
        echo(str(problem), err=True)
    if problems:
        echo(f"{len(problems)} problem{'' if len(problems) == 1 else 's'} in {course}.", err=True)
        raise SystemExit(1)
    echo(f"The course in {course} is consistent.")


def _catalog_checks(query: str) -> str:
    from grader.authoring.consistency import CATALOG, catalog_entries_toml
    from grader.course import course_root

    try:
        return catalog_entries_toml(course_root(), query)
    except LookupError as error:
        raise click.UsageError(f"{error} (in {CATALOG.as_posix()} or specs/)") from None
