"""What a notebook's kernel runs: `check`, the `%%bpgrade` cell magic, and the report shown.

One `grader.api.Session` per kernel, started on the first check and kept warm (a check run
again forks the sandbox's process, it does not start one), closed when the kernel exits. The
learner's code is only ever a file handed to that sandbox: a notebook, or a cell's text.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.api import Session
    from grader.catalog import ExerciseEntry
    from grader.pictures import Picture
    from grader.report import Report

_session: Session | None = None


def _warm_session() -> Session:
    """The kernel's session: started once, closed when the kernel exits."""
    global _session
    if _session is None:
        from grader.api import Session

        _session = Session()
        atexit.register(_close)
    return _session


def _close() -> None:
    global _session
    if _session is not None:
        _session.close()
        _session = None


@contextmanager
def _graded_in_session() -> Iterator[Session]:
    """The warm session; one stopped mid-check (the kernel interrupted) is closed for good,
    as a stop halts its sandbox, and the next check starts a new one."""
    session = _warm_session()
    try:
        yield session
    except Exception:
        raise
    except BaseException:
        _close()
        raise


class Graded:
    """A report as a notebook shows it: HTML under the cell (`_repr_html_`), text in a plain
    REPL (`repr`, `str`). The report itself is `.report` (`grader.report.Report`)."""

    def __init__(self, report: Report) -> None:
        self.report = report

    @property
    def passed(self) -> bool:
        return self.report.all_passed

    def _repr_html_(self) -> str:
        import html

        from grader.api import to_html

        printed = "".join(
            f"<details><summary>what {html.escape(e.name)} printed</summary>"
            f"<pre>{html.escape(e.output)}</pre></details>"
            for e in self.report.exercises
            if e.output
        )
        return to_html(self.report) + printed

    def __str__(self) -> str:
        report = self.report
        if report.error is not None:
            return f"Not graded: {report.error}"
        lines = [*(f"About your files: {note}" for note in report.layout)]
        for exercise in report.exercises:
            status = exercise.status.replace("_", " ")
            lines.append(
                f"{exercise.name} {exercise.title}: "
                f"{exercise.score:g}/{exercise.max_score:g} {status}"
            )
            if exercise.status == "error" and exercise.error:
                lines.append(_indented(exercise.error))
            elif exercise.status == "failed":
                failing = [c for c in exercise.checks if not c.passed]
                lines += [f"  ✗ {c.name}: {_indented(c.message).lstrip()}" for c in failing]
            if exercise.output:
                lines += ["  What it printed:", _indented(exercise.output.rstrip("\n"))]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def _indented(text: str) -> str:
    return "\n".join("    " + line for line in text.split("\n"))


def check(
    exercise: str,
    *,
    folder: Path | str | None = None,
    notebook: Path | str | None = None,
    seed: int | None = None,
) -> Graded:
    """Grade `exercise` in bpgrade's sandbox, as `bpgrade check` does; the report shows as
    HTML under the cell.

    `folder`: where the exercise files are (by default `exercises/` when there is one here,
    else this folder). `notebook`: grade this notebook's graded cells instead, as last saved
    (save it first), whatever else `folder` holds."""
    with _graded_in_session() as session:
        if notebook is None:
            where = Path(folder) if folder is not None else _default_folder()
            return Graded(session.check(exercise, folder=where, seed=seed))
        from grader.api import CheckError
        from grader.notebooks import notebook_name

        entry = _entry(session, exercise)
        if not Path(notebook).is_file():
            raise CheckError(f"there is no notebook {notebook} here (in {Path.cwd()}).")
        with _private_folder() as private:
            shutil.copyfile(Path(notebook), private / notebook_name(entry.file))
            return Graded(session.check(entry, folder=private, seed=seed))


def _default_folder() -> Path:
    """The workspace's exercises/ (found walking up, as `bpgrade` finds it), else here: a
    notebook kept beside the exercise files."""
    from grader.loop import exercises_folder

    nested = exercises_folder()
    return nested if nested.is_dir() else Path(".")


def plot(exercise: str, *, folder: Path | str | None = None) -> Picture:
    """The picture of `exercise` drawn from your own code (run in bpgrade's sandbox, as a
    check runs it): under the cell as an image with matplotlib (`bpgrade[plots]`), as
    Unicode blocks without it. The numbers are the picture's fields."""
    from grader import pictures

    where = Path(folder) if folder is not None else _default_folder()
    with _graded_in_session() as session:
        return pictures.make(exercise, folder=where, session=session)


def _entry(session: Session, exercise: str) -> ExerciseEntry:
    entries = session.exercises(exercise)
    if len(entries) != 1:
        from grader.api import NoExerciseNamed

        raise NoExerciseNamed(session.catalog)
    return entries[0]


@contextmanager
def _private_folder() -> Iterator[Path]:
    """A folder only this user can read, for one submission, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="bpgrade-notebook-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def grade_cell(exercise: str, code: str, seed: int | None = None) -> Graded:
    """Grade `code`, a cell's text, as the whole of `exercise`'s file; its spots are told as
    the cell's lines (the `%%bpgrade` line is the cell's line 1)."""
    from grader.notebooks import cell_module, relabel

    module = cell_module(code)
    with _graded_in_session() as session:
        entry = _entry(session, exercise)
        with _private_folder() as private:
            (private / entry.file).write_text(module.source, encoding="utf-8")
            report = session.check(entry, folder=private, seed=seed)
    exercises = [relabel(e, module) if e.name == entry.name else e for e in report.exercises]
    return Graded(report.model_copy(update={"exercises": exercises}))


def bpgrade_magic(line: str, cell: str) -> Graded | None:
    """%%bpgrade exercise03: grade this cell's code as the exercise's file, in bpgrade's
    sandbox, and show the report under the cell.

    The cell is NOT run in the notebook's kernel: only its text is graded, on its own (the
    rest of your exercises folder is not needed). To use the functions in the notebook too,
    run the same code in another cell. Errors name the cell's lines, this line being line 1.
    """
    from IPython.core.error import UsageError

    from grader.api import CheckError

    words = line.split()
    if len(words) != 1:
        raise UsageError("name the exercise to grade this cell as: %%bpgrade exercise03")
    try:
        return grade_cell(words[0], cell)
    except CheckError as error:
        raise UsageError(str(error)) from None


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext bpgrade`: registers the `%%bpgrade` cell magic."""
    ipython.register_magic_function(bpgrade_magic, magic_kind="cell", magic_name="bpgrade")


def unload_ipython_extension(ipython: Any) -> None:
    _close()
