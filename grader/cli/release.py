"""`bpgrade release -o DIR`: write what a course hands out. The work is in `grader.release`."""

from __future__ import annotations

from pathlib import Path

import click


def _size(size: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if size < 1024 or unit == "MiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} B"  # pragma: no cover


@click.command()
@click.option(
    "-o",
    "--output",
    "target",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write the release into.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write into a folder that is not empty, replacing what a release puts there.",
)
@click.option(
    "--notebooks",
    is_flag=True,
    help="Also hand out each exercise as a notebook (exercises/*.ipynb), graded cells marked.",
)
def release(target: Path, force: bool, notebooks: bool) -> None:
    """Write what the course hands out to learners: the stubs, the catalog with its hints,
    the quizzes (a graded quiz without its answers), the checks frozen on the public cases for
    `bpgrade check`, and bpgrade itself. Never the reference solutions or the checks' specs.
    With --notebooks, each exercise as a notebook too (needs nbformat: bpgrade[notebook])."""
    from grader.cli.render import echo
    from grader.course import course_root
    from grader.release import EXPECTED, NotEmpty, ReleaseError, write_release

    try:
        written = write_release(course_root(), target, force=force, notebooks=notebooks)
    except NotEmpty as error:
        raise click.UsageError(str(error)) from None
    except ReleaseError as error:
        raise click.ClickException(str(error)) from None
    quizzes = (
        f"{len(written.practice_quizzes)} practice, "
        f"{len(written.graded_quizzes)} to hand in (answers left out)"
    )
    handed = "the stubs, their notebooks" if notebooks else "the stubs"
    rows = [
        ("exercises/", f"{handed} and catalog.toml"),
        (f"{EXPECTED}/", f"{written.recorded_checks} checks frozen on the public cases"),
        ("quizzes/", quizzes),
        ("drivers/", "the drivers of objects, which hold no answers"),
        ("grader/", "bpgrade itself"),
        ("bpgrade/", "`import bpgrade` and %%bpgrade for notebooks"),
    ]
    echo(f"Wrote the release to {target} ({_size(written.size())}, {written.seconds:.1f} s):")
    for folder, what in rows:
        name = folder.rstrip("/")
        count = written.count(name)
        if not count and name in ("drivers", "bpgrade"):
            continue
        files = f"{count} file{'' if count == 1 else 's'}"
        echo(f"  {folder:<11} {files:>9} {_size(written.size(name)):>10}  {what}")
    echo("  README.md, pyproject.toml, .gitignore (for the learner's repository)")
    echo(f"Learners: cd {target} && pip install -e . && bpgrade check --all")
