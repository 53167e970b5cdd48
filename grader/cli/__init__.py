"""The `bpgrade` command. It parses arguments and prints; the work happens in the library.

Exit status: 0 when everything checked passed, 1 when anything failed, 2 for bad usage.
"""

from __future__ import annotations

import importlib
import os
import signal
from pathlib import Path
from typing import ClassVar

import click

from grader import __version__
from grader.cli.options import limits_options, make_limits

EXERCISES_DIR = click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("exercises"),
    show_default=True,
    help="The folder that holds the exercise files.",
)


# Commands that work from the full course (its reference solutions): a student release has
# none, so there they are left out of --help and refused in a sentence.
INSTRUCTOR_COMMANDS = frozenset({"autograder", "grade", "release"})


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
    }

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


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bpgrade")
def main() -> None:
    """Learn backpropagation by doing it: exercises checked as you go, and quizzes.

    \b
    The loop: edit exercises/exercise01_chain_rule.py, then
      bpgrade check exercise01     grade it, with feedback on what is wrong
      bpgrade hint exercise01      one more hint each time
      bpgrade list                 your progress
    """


def _catalog():
    from grader.catalog import load_catalog
    from grader.course import catalog_path

    return load_catalog(catalog_path())


def _resolve(catalog, names: tuple[str, ...]):
    entries = []
    for name in names:
        entry = catalog.find(name)
        if entry is None:
            valid = ", ".join(e.name for e in catalog.exercises)
            closest = catalog.closest(name)
            suggestion = f" Did you mean {closest}?" if closest else ""
            raise click.UsageError(
                f"no exercise named {name!r}.{suggestion} The exercises: {valid}."
            )
        if entry not in entries:
            entries.append(entry)
    return entries


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
def check(
    names: tuple[str, ...],
    all_: bool,
    folder: Path,
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
) -> None:
    """Grade exercises: NAME is exercise03, 3 or exercise03_linear.

    Learner code runs in separate, limited processes (as --user when run as root); the
    results never come from code the learner could have changed.
    """
    if as_json and fmt not in (None, "json"):
        raise click.UsageError("--json prints our own report; use --format alone for others")
    if output is not None and fmt is None:
        fmt = "json"
    limits = make_limits(timeout, memory, user)
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        report, catalog = _graded_or_stopped(
            names, all_, folder, fmt, output, student_id, answers, seed, limits
        )
        # graded: what is left is writing it down, which a late SIGTERM must not cut short
        signal.signal(signal.SIGTERM, _unheeded)
        _show_check(report, catalog, folder, fmt, output, as_json, verbose)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _graded_or_stopped(names, all_, folder, fmt, output, student_id, answers, seed, limits):
    """The report and the catalog; or, when stopped (SIGTERM, Ctrl-C) before grading is
    done, the results file (with --output) says so, and the command ends with status 1."""
    from grader.sandbox import Sandbox

    entries = []  # the exercises being graded, once known: a stop costs them all
    try:
        # started first, so the sandbox's process gets ready while the grader loads the course
        sandbox = Sandbox(limits)
        try:
            return _grade_for_check(
                names, all_, folder, fmt, output, student_id, answers, seed, sandbox, entries
            )
        finally:
            sandbox.close()
    except (Stopped, KeyboardInterrupt) as stop:
        reason = str(stop) if isinstance(stop, Stopped) else "the grader was interrupted (Ctrl-C)"
        if output is not None:  # the platform still gets its results file: not a grade, and why
            from grader.report import not_a_grade

            report = not_a_grade(entries, f"{reason}: no grade was given", student_id)
            _write_results(report, fmt, output, folder)
        if isinstance(stop, KeyboardInterrupt):
            raise  # click says "Aborted!"
        click.echo(f"{reason}." + (f" Results written to {output}" if output else ""), err=True)
        raise SystemExit(1) from None


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


def _grade_for_check(names, all_, folder, fmt, output, student_id, answers, seed, sandbox, chosen):
    from grader.course import course_root
    from grader.grading import DEFAULT_SEED
    from grader.report import not_a_grade
    from grader.submission import grade_submission

    try:
        catalog = _catalog()
        if not names and not all_:
            valid = ", ".join(e.name for e in catalog.exercises)
            raise click.UsageError(
                f"name an exercise to check, or use --all. The exercises: {valid}."
            )
        entries = list(catalog.exercises) if all_ else _resolve(catalog, names)
        if not folder.is_dir():
            raise click.UsageError(
                f"there is no folder {folder}; point --dir at your exercise files."
            )
        chosen.extend(entries)
        _require_answers(seed, student_id)
    except Exception as error:  # usage errors too; a stop is written down by `check`
        if output is not None:  # a platform is waiting for its results file, whatever happened
            report = not_a_grade([], f"grading could not start: {error}", student_id)
            _write_results(report, fmt, output, folder)
        raise
    if student_id is None and fmt in ("gradescope", "prairielearn"):
        from grader.platforms import student_id as platform_student_id

        student_id = platform_student_id(folder)
    quiz_answers = _answer_paths(answers) if answers else None
    keep_out = [output.absolute().parent] if output is not None else []
    report = grade_submission(
        entries,
        folder,
        course_root(),
        sandbox=sandbox,
        seed=DEFAULT_SEED if seed is None else seed,
        student=student_id,
        answers=quiz_answers,
        keep_out=keep_out,
    )
    return report, catalog


def _require_answers(seed: int | None, student_id: str | None) -> None:
    """A release has recorded answers for its public cases only: say so before grading."""
    from grader.course import solutions_dir
    from grader.grading import DEFAULT_SEED
    from grader.recorded import Unanswerable
    from grader.reference import require_answers

    try:
        require_answers(solutions_dir(), DEFAULT_SEED if seed is None else seed, student_id)
    except Unanswerable as error:
        raise click.UsageError(str(error)) from None


def _answer_paths(answers: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in answers:
        files += sorted(path.glob("*.json")) if path.is_dir() else [path]
    return files


def _write_results(report, fmt: str | None, output: Path, folder: Path | None) -> None:
    from grader.formats import render, write_results

    write_results(output, render(report, fmt or "json"))
    if fmt == "github":  # in a workflow, the feedback goes where the student sees it
        from grader.formats.github import publish

        for command in publish(report, folder, os.environ):
            click.echo(command)


def _show_check(report, catalog, folder, fmt, output, as_json, verbose) -> None:
    from grader import progress
    from grader.cli.render import echo, report_text

    if output is not None:
        _write_results(report, fmt, output, folder)
    if report.error is None:
        progress.record_report(Path.cwd(), folder, report)
    if as_json or (fmt is not None and output is None):
        from grader.formats import render

        click.echo(render(report, fmt or "json"))
    else:
        echo(report_text(report, catalog, verbose))
        if output is not None:
            echo(click.style(f"Results written to {output}", dim=True))
    raise SystemExit(0 if report.all_passed else 1)


@main.command(name="list")
@EXERCISES_DIR
def list_(folder: Path) -> None:
    """Every exercise with its status and score, and every quiz with yours."""
    from grader import progress
    from grader.cli.render import echo, progress_text
    from grader.course import quizzes_dir
    from grader.quiz.listing import course_quizzes

    state = progress.load(Path.cwd())
    saved = state.exercises.get(progress.folder_key(Path.cwd(), folder), {})
    echo(progress_text(_catalog(), saved, course_quizzes(quizzes_dir(), Path.cwd())))


@main.command()
@click.argument("name")
@click.option("--reset", is_flag=True, help="Hide the hints again.")
def hint(name: str, reset: bool) -> None:
    """Reveal one more hint for an exercise each time you ask."""
    from grader import progress
    from grader.cli.render import echo

    entry = _resolve(_catalog(), (name,))[0]
    if reset:
        progress.reset_hints(Path.cwd(), entry.name)
        echo(f"Hints for {entry.name} hidden again.")
        return
    shown = progress.reveal_hint(Path.cwd(), entry.name, len(entry.hints))
    if not entry.hints:
        echo(f"{entry.name} has no hints.")
        return
    for number, text in enumerate(entry.hints[:shown], start=1):
        prefix = click.style(f"Hint {number}/{len(entry.hints)}:", bold=number == shown)
        echo(f"{prefix} {text}")
    if shown == len(entry.hints):
        echo(click.style("That was the last hint.", dim=True))
    else:
        echo(click.style(f"Run `bpgrade hint {entry.name}` again for the next one.", dim=True))
