"""`bpgrade grade SUBMISSIONS -o grades.csv`: grade a whole class. Parses and prints; the work
is in `grader.batch`, the gradebooks in `grader.gradebook`."""

from __future__ import annotations

import shlex
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

import click

from grader.cli.options import limits_options, make_limits

INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command that Ctrl-C stopped


@click.command()
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("grades.csv"),
    show_default=True,
    help="The gradebook to write; each student's report goes beside it, in <name>-reports/.",
)
@click.option(
    "--gradebook",
    type=click.Choice(["plain", "canvas", "moodle"]),
    default="plain",
    show_default=True,
    help="plain: a column per exercise, the total, and each folder's status; canvas or "
    "moodle: the CSV that LMS's grade import reads, with <name>-notes.csv beside it.",
)
@click.option(
    "--roster",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The class list exported from the LMS (Canvas: Grades > Export; Moodle: Grades > "
    "Export > Plain text file), to name each folder's student as the LMS does. Without it a "
    "folder's name is the student's login.",
)
@click.option(
    "--assignment",
    default="bpgrade",
    show_default=True,
    help="The gradebook column: the assignment's name in the LMS (Canvas also takes 'Name (id)').",
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
    gradebook: str,
    roster: Path | None,
    assignment: str,
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

    Writes the gradebook, with a row for every folder (those that could not be graded say
    why), and each student's report beside it, as JSON and as Markdown. Run it again to grade
    only what is new or changed (after a Ctrl-C too); --force grades everything again.

    Exit status: 0 when every student got a grade; 1 when a folder's name is not usable as a
    student id, or a submission could not be graded (its report says why); 2 for bad usage;
    130 when stopped by Ctrl-C.
    """
    from grader import batch
    from grader.gradebook import Gradebook, GradebookError, read_roster

    previous = signal.signal(signal.SIGINT, _interrupt)
    try:
        try:
            if roster is not None and gradebook == "plain":
                raise click.UsageError("--roster names students for --gradebook canvas or moodle")
            book = Gradebook(
                gradebook,  # type: ignore[arg-type]  # click.Choice checked it
                assignment,
                read_roster(roster) if roster is not None else None,
            )
            options = batch.BatchOptions(
                jobs=jobs,
                seed=batch.DEFAULT_SEED if seed is None else seed,
                hidden=hidden,
                force=force,
                limits=make_limits(timeout, memory, user),
                gradebook=book,
            )
            plan = batch.prepare(submissions, output, options)
        except (batch.NoSubmissions, GradebookError) as error:
            raise click.UsageError(str(error)) from None
        for rejected in plan.rejected:
            click.echo(f"Not graded: '{rejected.name}': {rejected.reason}.", err=True)
        result = _run(batch, plan)
    except batch.Interrupted as stop:
        _say_interrupted(stop.saved, stop.result, stop.total)
        raise SystemExit(INTERRUPTED) from None
    except KeyboardInterrupt:
        _say_interrupted([], None, None)
        raise SystemExit(INTERRUPTED) from None
    except batch.BatchError as error:
        raise click.ClickException(str(error)) from None
    finally:
        signal.signal(signal.SIGINT, previous)
    click.echo(
        f"Graded {len(result.graded)}, skipped {len(result.skipped)}, "
        f"errors {len(result.errors)}, rejected folders {len(result.rejected)}. "
        f"Grades in {result.output.csv}"
        + (f" (notes in {result.output.notes})" if book.has_notes else "")
        + f", reports in {result.output.reports}/."
    )
    mapping = book.mapping(batch.outcomes(result.reports, result.rejected))
    if mapping:
        click.echo(mapping)
    if result.errors:
        click.echo(f"Not graded (see their reports): {', '.join(result.errors)}", err=True)
    raise SystemExit(1 if result.errors or result.rejected else 0)


def _interrupt(number: int, frame: object) -> None:
    """The first Ctrl-C stops the batch; more while it cleans up and writes would cut that
    short, so they are ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _run(batch: Any, plan: Any) -> Any:
    from grader.batch.progress import Ticker

    total = len(plan.todo)
    stream = sys.stderr  # the batch's own output (the summary) stays on stdout
    already = f" ({len(plan.skipped)} graded already)" if plan.skipped else ""
    if not stream.isatty():  # a log: a line now and then, never a redrawn bar
        click.echo(f"Grading {total} submissions{already}.", err=True)
        ticker = Ticker(total)

        def report(event: Any) -> None:
            if ticker.due(event.done):
                click.echo(event.line(), err=True)

        return batch.run(plan, report)
    bar = _Bar(stream, f"Grading{already}")
    try:
        return batch.run(plan, bar.update)
    finally:
        bar.close()


class _Bar:
    """One line on a terminal, redrawn as each submission finishes."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream, self.label, self.width = stream, label, 0
        self._draw(f"{label}: starting the graders")

    def update(self, event: Any) -> None:
        self._draw(f"{self.label}: {event.line()}")

    def _draw(self, text: str) -> None:
        padding = max(0, self.width - len(text))
        click.echo("\r" + text + " " * padding, file=self.stream, nl=False)
        self.width = len(text)

    def close(self) -> None:
        click.echo(file=self.stream)


def _say_interrupted(saved: list[str], result: Any, total: int | None) -> None:
    prog = click.get_current_context().find_root().info_name or "bpgrade"
    if result is None:  # nothing changed yet: the very command, --force and all, starts it
        start = shlex.join([*shlex.split(prog), *sys.argv[1:]])
        click.echo(f"\nInterrupted (Ctrl-C) before grading began. To start: {start}", err=True)
        return
    # a stopped --force has already set aside what it regrades: without it, the rest is done
    argv = [arg for arg in sys.argv[1:] if arg != "--force"]
    again = shlex.join([*shlex.split(prog), *argv])
    click.echo(
        f"\nInterrupted (Ctrl-C): {len(saved)} of {total} submissions are graded and saved "
        f"in {result.output.csv} and {result.output.reports}/. To grade the rest, run the same "
        f"command again; it skips what is graded:\n  {again}",
        err=True,
    )
