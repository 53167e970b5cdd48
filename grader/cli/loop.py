"""The learner's loop: `bpgrade next` (and `bpgrade` alone), `watch`, `reset` and `init`.

The work is in `grader.loop` and `grader.watch`; these commands parse and print.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from grader.cli import EXERCISES_DIR, _catalog, _resolve
from grader.cli.options import limits_options, make_limits
from grader.cli.render import echo, progress_bar, wrapped
from grader.course import course_root, is_release, workspace_root
from grader.loop import Standing, exercises_folder, saved_results, shown_path

if TYPE_CHECKING:
    from grader.watch import Round


def _standing(folder: Path | None) -> tuple[Standing, Path]:
    folder = exercises_folder(folder)
    return Standing(_catalog(), saved_results(workspace_root(), folder)), folder


@click.command(name="next")
@EXERCISES_DIR
def next_(folder: Path | None) -> None:
    """Where you are in the course, and the one thing to do next."""
    standing, folder = _standing(folder)
    score = f"{standing.score:g}/{standing.max_score:g} points"
    heading = f"{standing.passed_count} of {standing.total} exercises passed"
    bar = progress_bar(standing.score, standing.max_score)
    echo(f"{click.style(heading, bold=True)}  {bar}  {score}")
    if not folder.is_dir():
        say = f"There is no folder {shown_path(folder)} here. "
        echo(wrapped("", say + "`bpgrade init DIR` makes a workspace with the exercises in DIR."))
        return
    current = standing.current
    if current is None:
        echo(click.style("Every exercise has passed.", fg="green", bold=True))
        echo("Next: the quizzes, `bpgrade quiz list`.")
        return
    path = shown_path(folder / current.file)
    record = standing.saved.get(current.name)
    echo(wrapped(f"You are on {current.name},", f"{current.title}."))
    if record is None or record.status == "not_started":
        echo(wrapped("Next:", f"write {path}, then run `bpgrade check` (or `bpgrade watch`)."))
    else:
        last = f"{record.score:g}/{record.max_score:g}, {record.status.replace('_', ' ')}"
        echo(f"Last checked: {last}.")
        echo(wrapped("Next:", f"fix {path} and run `bpgrade check`; stuck? `bpgrade hint`."))


@click.command()
@click.argument("name", required=False)
@EXERCISES_DIR
@click.option(
    "--poll",
    is_flag=True,
    help="Look for saves by polling the file, not by the system's file events.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show the messages of passed checks too.")
@limits_options
def watch(
    name: str | None,
    folder: Path | None,
    poll: bool,
    verbose: bool,
    timeout: float,
    memory: int,
    user: str,
) -> None:
    """Check an exercise again each time you save it; once it passes, go on to the next.
    NAME: the exercise (default: the one you are on). Ctrl-C stops."""
    from grader.api import CheckError, Session
    from grader.cli.render import report_text
    from grader.watch import polled_saves, watch, watched_saves

    standing, folder = _standing(folder)
    entry = _resolve(standing.catalog, (name,))[0] if name else standing.current
    if entry is None:
        raise click.UsageError("every exercise has passed: name one to watch it again.")
    saves = polled_saves if poll else watched_saves
    on_terminal = sys.stdout.isatty()
    try:
        with Session(limits=make_limits(timeout, memory, user)) as session:
            for round_ in watch(session, entry, folder, workspace_root(), saves):
                if on_terminal:
                    click.clear()
                echo(report_text(round_.report, session.catalog, verbose, folder=folder))
                echo(_watching(round_, folder))
    except CheckError as error:
        raise click.UsageError(str(error)) from None
    except KeyboardInterrupt:
        echo("\nStopped watching.")
        return
    echo(click.style("Every exercise has passed.", fg="green", bold=True))


def _watching(round_: Round, folder: Path) -> str:
    """The line under each report: what is watched now, and when it was checked."""
    stamp = f"[{datetime.now():%H:%M:%S}]"
    if not round_.passed:
        path = shown_path(folder / round_.entry.file)
        said = f"Watching {path}: save to check again (Ctrl-C stops)."
        return click.style(wrapped(stamp, said), dim=True)
    if round_.following is None:
        return click.style(f"{stamp} {round_.entry.name} passed.", dim=True)
    path = shown_path(folder / round_.following.file)
    return click.style(wrapped(stamp, f"Moving on: watching {path} (Ctrl-C stops)."), bold=True)


@click.command()
@click.argument("name")
@EXERCISES_DIR
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def reset(name: str, folder: Path | None, yes: bool) -> None:
    """Put an exercise's stub back in place of your file, which is kept as a backup in
    .bpgrade/backups/ of the workspace."""
    from grader import progress
    from grader.loop import NoStub, pristine_stub, reset_exercise

    workspace = workspace_root()
    folder = exercises_folder(folder, workspace)
    entry = _resolve(_catalog(), (name,))[0]
    target = folder / entry.file
    course = course_root()
    try:
        stub = pristine_stub(course, entry, target)
    except NoStub as error:
        raise click.ClickException(str(error)) from None
    if target.is_file() and target.read_text(encoding="utf-8", errors="replace") == stub:
        echo(f"{shown_path(target)} is the untouched stub already: nothing to reset.")
        return
    if not yes:
        click.confirm(
            f"Put the stub of {entry.name} back in {shown_path(target)}? "
            "Your file is kept as a backup",
            abort=True,
        )
    try:
        backup = reset_exercise(course, entry, folder, workspace)
    except (NoStub, OSError) as error:
        raise click.ClickException(str(error)) from None
    progress.forget_exercise(workspace, folder, entry.name)
    echo(f"{shown_path(target)} is the stub again.")
    if backup is not None:
        echo(f"Your file is kept as {shown_path(backup)}.")


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Make DIRECTORY a workspace: exercises/ with the stubs, the catalog and their data.
    For a bpgrade installed with pip; refuses a folder that holds anything already."""
    from grader.loop import NotEmpty, init_workspace

    course = course_root()
    if is_release(course):
        raise click.UsageError(
            f"{shown_path(course)} is a release of the course, a workspace already: work in it."
        )
    try:
        written = init_workspace(course, directory)
    except (NotEmpty, OSError) as error:
        raise click.ClickException(str(error)) from None
    stubs = sum(path.suffix == ".py" for path in written)
    echo(f"Made {shown_path(directory)}: {stubs} exercises in exercises/, with their data.")
    echo(f"Next: cd {shown_path(directory)} && bpgrade check 1")
