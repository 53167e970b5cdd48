"""The `bpgrade` command. It parses arguments and prints; the work happens in the library.

Exit status: 0 when everything checked passed, 1 when anything failed, 2 for bad usage.
"""

# ruff: noqa: E402 - most imports come after the sandbox's zygote has started (below)

from __future__ import annotations

import gc
import os
import sys

# The grader's NumPy works on small arrays, where BLAS threads spinning against the sandbox's
# children on a shared machine cost more than they give (exercise05's reference graded in 0.10 s
# on one thread, 0.20 s with a pool). Set before NumPy is first imported, which the CLI does
# lazily; the sandbox gives learner code one thread of its own (grader/sandbox/limits.py).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")


def _one_shot_check(argv: list[str]) -> bool:
    """Whether this process is `bpgrade check`, grading once and exiting (not its --help)."""
    return argv[1:2] == ["check"] and not {"-h", "--help"} & set(argv)


if _one_shot_check(sys.argv):
    # A check is short and its garbage is freed with the process: collecting it on the way
    # cost tens of ms of sweeps over the imports' objects, which are never garbage.
    gc.disable()
    # The sandbox's zygote takes an interpreter and a NumPy import to get ready: started
    # before this command's own imports (click, NumPy, pydantic), the two overlap.
    from grader.sandbox.launch import start_early

    start_early()

import importlib
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import click

from grader import __version__
from grader.cli.options import limits_options, make_limits

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    from grader.api import Session
    from grader.catalog import Catalog, ExerciseEntry
    from grader.report import Report
    from grader.sandbox import Limits

EXERCISES_DIR = click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The folder that holds the exercise files  [default: exercises/ of the workspace, "
    "found from here up]",
)


# Commands that work from the full course (its reference solutions): a student release has
# none, so there they are left out of --help and refused in a sentence.
INSTRUCTOR_COMMANDS = frozenset({"autograder", "dev", "grade", "release"})


class InstructorsOnly(click.ClickException):
    exit_code = 2  # bad usage, as an unknown command would be


def _in_release() -> bool:
    from grader.course import course_root, is_release

    try:
        return is_release(course_root())
    except OSError:
        return False


def _instructors_only(name: str, learner_commands: list[str]) -> click.Command:
    """Stands in for an instructor's command in a release, whatever its arguments."""

    def refuse() -> None:
        *others, last = learner_commands
        raise InstructorsOnly(
            f"bpgrade {name} is for instructors' checkouts of the course; a student release "
            f"has {', '.join(others)} and {last}."
        )

    return click.Command(
        name,
        callback=refuse,
        add_help_option=False,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )


class LazyGroup(click.Group):
    """Imports a subcommand group only when it is used, so `bpgrade check` stays quick."""

    lazy: ClassVar[dict[str, str]] = {
        "quiz": "grader.cli.quiz:quiz",
        "autograder": "grader.cli.autograder:autograder",
        "release": "grader.cli.release:release",
        "grade": "grader.cli.batch:grade",
        "dev": "grader.cli.dev:dev",
        "next": "grader.cli.loop:next_",
        "watch": "grader.cli.loop:watch",
        "reset": "grader.cli.loop:reset",
        "init": "grader.cli.loop:init",
        "plot": "grader.cli.plot:plot",
    }

    def main(self, args: Sequence[str] | None = None, *rest: Any, **options: Any) -> Any:
        """Run as a script's own command line (the console script `bpgrade`, `python -m
        grader`), a finished check ends the process at once: see `Finished`. A caller that
        passes the arguments (click's test runner), or runs it from `python -c` and carries on
        after, gets the SystemExit."""
        try:
            return super().main(args, *rest, **options)
        except Finished as finished:
            script = getattr(sys.modules.get("__main__"), "__file__", None)
            if args is None and script is not None:
                finished.leave()
            raise

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = sorted([*super().list_commands(ctx), *self.lazy])
        if _in_release():
            return [name for name in names if name not in INSTRUCTOR_COMMANDS]
        return names

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in INSTRUCTOR_COMMANDS and _in_release():
            learner = [n for n in self.list_commands(ctx) if n not in INSTRUCTOR_COMMANDS]
            return _instructors_only(name, learner)
        if name in self.lazy:
            module, attribute = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="bpgrade")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Learn backpropagation by doing it: exercises checked as you go, and quizzes.

    \b
    The loop: edit exercises/exercise01_chain_rule.py, then
      bpgrade check                grade the exercise you are on, with feedback
      bpgrade watch                grade it again each time you save
      bpgrade hint                 one more hint for what failed, each time
      bpgrade                      where you are and what to do next
    """
    if ctx.invoked_subcommand is None:  # `bpgrade` alone: where the learner is
        from grader.cli.loop import next_

        ctx.invoke(next_)


def _catalog() -> Catalog:
    from grader.api import load_catalog

    return load_catalog()


def _resolve(catalog: Catalog, names: tuple[str, ...]) -> list[ExerciseEntry]:
    from grader.api import CheckError, resolve

    try:
        return resolve(catalog, names)
    except CheckError as error:
        raise click.UsageError(str(error)) from None


@main.command()
@click.argument("names", nargs=-1, metavar="NAME...")
@click.option("--all", "all_", is_flag=True, help="Check every exercise.")
@EXERCISES_DIR
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "gradescope", "prairielearn", "junit", "github"]),
    help="Write the results in this platform's format (to --output, else standard output).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="BPGRADE_OUTPUT",
    help="Where --format writes; always written, atomically, even when grading breaks. "
    "Also read from BPGRADE_OUTPUT, which learner code cannot see.",
)
@click.option(
    "--student-id",
    help="Also grade this student's own hidden cases. With --format gradescope or "
    "prairielearn it is read from the platform's metadata when not given.",
)
@click.option(
    "--answers",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    help="A quiz answers file named <quiz>.json, or a folder of them, to grade with the "
    "exercises (default: the submission's answers/ folder).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Draw the checks' inputs from another seed.",
)
@limits_options
@click.option("-v", "--verbose", is_flag=True, help="Show the messages of passed checks too.")
@click.option(
    "--case",
    "case",
    metavar="CHECK[#N]",
    help="Print a Python snippet that reproduces one case of a check (as a failing check "
    "names it), with the expected answer and yours.",
)
def check(
    names: tuple[str, ...],
    all_: bool,
    folder: Path | None,
    as_json: bool,
    fmt: str | None,
    output: Path | None,
    student_id: str | None,
    answers: tuple[Path, ...],
    seed: int | None,
    timeout: float,
    memory: int,
    user: str,
    verbose: bool,
    case: str | None,
) -> None:
    """Grade exercises: NAME is exercise03, 3 or exercise03_linear; none, the one you are
    on (the first not passed yet).

    Learner code runs in separate, limited processes (as --user when run as root); the
    results never come from code the learner could have changed.
    """
    from grader.loop import exercises_folder

    if as_json and fmt not in (None, "json"):
        raise click.UsageError("--json prints our own report; use --format alone for others")
    if output is not None and fmt is None:
        fmt = "json"
    folder = exercises_folder(folder)
    if not names and not all_:
        names = (_current_exercise(folder, quiet=as_json or fmt is not None),)
    results = Results(fmt, output, folder)
    request = Request(None if all_ else names, folder, seed, student_id, answers)
    limits = make_limits(timeout, memory, user)
    if case is not None:
        from grader.cli.repro import show_case

        show_case(names, folder, case, seed, limits)
        return
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        report, catalog = _graded_or_stopped(request, results, limits)
        # graded: what is left is writing it down, which a late SIGTERM must not cut short
        signal.signal(signal.SIGTERM, _unheeded)
        _show_check(report, catalog, results, as_json, verbose)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _current_exercise(folder: Path, quiet: bool) -> str:
    """The exercise the learner is on, said on standard error where standard output is a
    report in a format."""
    from grader.cli.render import echo
    from grader.course import workspace_root
    from grader.loop import Standing, saved_results

    standing = Standing(_catalog(), saved_results(workspace_root(), folder))
    current = standing.current
    if current is None:
        raise click.UsageError(
            "every exercise has passed: name one to check it again, or use --all."
        )
    said = f"Checking {current.name}, the first exercise not passed yet."
    echo(click.style(said, dim=True), err=quiet)
    return current.name


@dataclass(frozen=True)
class Request:
    """What `bpgrade check` was asked to grade, as `grader.api.Session.check` takes it."""

    exercises: tuple[str, ...] | None  # None: --all
    folder: Path
    seed: int | None
    student: str | None
    answers: tuple[Path, ...]


@dataclass(frozen=True)
class Results:
    """Where the report goes besides the terminal: a platform's format, to a file or not."""

    fmt: str | None
    output: Path | None
    folder: Path  # the submission, where a workflow's annotations point

    def write(self, report: Report) -> None:
        """The results file (with --output) and, on GitHub, the annotations."""
        if self.output is None:
            return
        from grader.formats import render, write_results

        write_results(self.output, render(report, self.fmt or "json"))
        if self.fmt == "github":  # in a workflow, the feedback goes where the student sees it
            from grader.formats.github import publish

            for command in publish(report, self.folder, os.environ):
                click.echo(command)


def _graded_or_stopped(
    request: Request, results: Results, limits: Limits
) -> tuple[Report, Catalog]:
    """The report and the catalog; or, when stopped (SIGTERM, Ctrl-C) before grading is
    done, the results file (with --output) says so, and the command ends with status 1."""
    entries: list[
        ExerciseEntry
    ] = []  # the exercises being graded, once known: a stop costs them all
    try:
        with session_for(limits) as session:
            return _graded(session, request, results, entries), session.catalog
    except (Stopped, KeyboardInterrupt) as stop:
        reason = str(stop) if isinstance(stop, Stopped) else "the grader was interrupted (Ctrl-C)"
        from grader.report import not_a_grade

        # the platform still gets its results file: not a grade, and why
        results.write(not_a_grade(entries, f"{reason}: no grade was given", request.student))
        if isinstance(stop, KeyboardInterrupt):
            raise  # click says "Aborted!"
        written = f" Results written to {results.output}" if results.output else ""
        click.echo(f"{reason}.{written}", err=True)
        raise SystemExit(1) from None


def _new_session(limits: Limits) -> AbstractContextManager[Session]:
    from grader.api import Session

    return Session(limits=limits)


# Where `check` gets its session: a new one, closed after it; the grading engine
# (grader.engine.server) lends one of its warm ones instead.
session_for: Callable[[Limits], AbstractContextManager[Session]] = _new_session


class Finished(SystemExit):
    """`bpgrade check` is done: the report is shown and written, its sandbox closed.

    What is left of the process is the interpreter's exit, whose garbage collections over
    every object the imports made took longer than grading an exercise (148 ms measured for
    a check): `leave` ends it at once instead, once what it wrote is flushed and synced (the
    sandbox is closed by then, its folders removed). Only for a script's own command line
    (`LazyGroup.main`)."""

    def leave(self) -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
                os.fsync(stream.fileno())  # where it is a file, as a platform's log may be
            except (OSError, ValueError, AttributeError):
                pass  # a terminal or a pipe: nothing to sync
        os._exit(self.code if isinstance(self.code, int) else 1)


class Stopped(BaseException):
    """The grader was asked to stop (SIGTERM: a CI job cancelled, a platform's time limit).

    A BaseException, as KeyboardInterrupt is: no `except Exception` on the way (judging an
    exercise, grading a submission) may take a stop for an error and carry on."""


def _stop(number: int, frame: object) -> None:
    """SIGTERM stops like Ctrl-C does: the sandbox is cleaned up and, with --output, the
    results file still says what happened. Once: a second SIGTERM must not cut it short."""
    signal.signal(signal.SIGTERM, _unheeded)
    raise Stopped("the grader was stopped (SIGTERM) before it finished")


def _unheeded(number: int, frame: object) -> None:
    """A SIGTERM while the results are written down: they are, and then the command ends."""


def _graded(
    session: Session, request: Request, results: Results, chosen: list[ExerciseEntry]
) -> Report:
    """The report of the library's check; what keeps it from starting is bad usage, and
    with --output the results file says so, whatever it was."""
    from grader.api import CheckError

    try:
        chosen.extend(session.exercises(request.exercises))
        return session.check(
            chosen,
            folder=request.folder,
            seed=request.seed,
            student=request.student,
            platform_student=results.fmt in ("gradescope", "prairielearn"),
            answers=request.answers or None,
            keep_out=[results.output.absolute().parent] if results.output is not None else [],
        )
    except Exception as error:  # usage errors too; a stop is written down by `check`
        from grader.report import not_a_grade

        # a platform is waiting for its results file, whatever happened
        results.write(not_a_grade([], f"grading could not start: {error}", request.student))
        if isinstance(error, CheckError):
            raise click.UsageError(str(error)) from None
        raise


def _show_check(
    report: Report, catalog: Catalog, results: Results, as_json: bool, verbose: bool
) -> None:
    from grader import progress
    from grader.cli.render import echo, report_text
    from grader.course import workspace_root

    results.write(report)
    if report.error is None:
        progress.record_report(workspace_root(), results.folder, report)
    if as_json or (results.fmt is not None and results.output is None):
        from grader.formats import render

        click.echo(render(report, results.fmt or "json"))
    else:
        echo(report_text(report, catalog, verbose, folder=results.folder))
        if results.output is not None:
            echo(click.style(f"Results written to {results.output}", dim=True))
    raise Finished(0 if report.all_passed else 1)


@main.command(name="list")
@EXERCISES_DIR
def list_(folder: Path | None) -> None:
    """Every exercise with its status and score, and every quiz with yours."""
    from grader.cli.render import echo, progress_text
    from grader.course import quizzes_dir, workspace_root
    from grader.loop import exercises_folder, saved_results
    from grader.quiz.listing import course_quizzes

    workspace = workspace_root()
    saved = saved_results(workspace, exercises_folder(folder, workspace))
    echo(progress_text(_catalog(), saved, course_quizzes(quizzes_dir(), workspace)))


@main.command()
@click.argument("name", required=False)
@click.option("--reset", is_flag=True, help="Hide the hints again.")
def hint(name: str | None, reset: bool) -> None:
    """Reveal one more hint each time you ask: first those for the first check that failed
    when you last checked. NAME: the exercise (default: the one you are on)."""
    from grader import progress
    from grader.cli.render import echo, hint_lines
    from grader.course import workspace_root
    from grader.loop import Standing, exercises_folder, saved_results

    catalog = _catalog()
    workspace = workspace_root()
    saved = saved_results(workspace, exercises_folder(None, workspace))
    if name is None:
        current = Standing(catalog, saved).current
        if current is None:
            raise click.UsageError("every exercise has passed: name one for its hints.")
        name = current.name
    entry = _resolve(catalog, (name,))[0]
    if reset:
        progress.reset_hints(workspace, entry.name)
        echo(f"Hints for {entry.name} hidden again.")
        return
    if not entry.hints:
        echo(f"{entry.name} has no hints.")
        return
    record = saved.get(entry.name)
    failing = record.failing if record is not None and record.status != "passed" else []
    revealed = progress.reveal_hint(workspace, entry.name, entry.hint_order(failing))
    echo("\n".join(hint_lines(entry, revealed, failing)))
