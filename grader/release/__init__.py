"""`bpgrade release`: what a course hands out to its learners.

    release/
        README.md           for learners: install, then the loop (check, hint, list, quiz)
        pyproject.toml      `pip install -e .` here gives a `bpgrade` that reads this course
        exercises/          the stubs, exactly as in the course, and catalog.toml (with hints)
        expected/           each exercise's checks frozen on the public cases (`grader.frozen`),
                            and stubs/, the untouched stubs that `bpgrade reset` puts back,
                            with the report each one gets (`<exercise>.json`)
        quizzes/            practice quizzes whole; graded ones without their answers
        drivers/            where the course has them: they drive objects, and hold no answers
        grader/             the bpgrade package (without the course a regular install carries)

With `notebooks` (`bpgrade release --notebooks`), each exercise also as a notebook beside its
stub, `exercises/exercise03_linear.ipynb` (`grader.release.notebooks`), and the `bpgrade`
package a notebook imports (`import bpgrade`, `%load_ext bpgrade`):

        bpgrade/            `bpgrade.check` and the `%%bpgrade` cell magic, over grader/

Never the reference solutions, the specs of the checks (their expected values and mistake
models are near-solutions), the tests, or the answers to a student's hidden cases.

`expected/<exercise>.json` (`grader.recorded.RecordedAnswers`) holds every check of the catalog
as data: its engine class by name, its settings, its planned cases and calls, and what each of
its spec's callables returned on them (the expected values, each mistake's model, the numeric
gradients), with the reference's answers to what the engine asks it itself. They are recorded
and verified by `grader.release.record`; the release's grader judges with them
(`grader.frozen.checks_of`) as the full grader judges with the specs. `grader.release.leaks`
makes sure that no file copied holds a solution's or a spec's code; `grader.release.templates`
writes the release's own files.

`expected/stubs/<exercise>.json` (`grader.recorded.StubReport`) is the report of the exercise's
untouched stub, judged from those answers as a learner's check judges it: a check of an
exercise not yet started reads it rather than parsing megabytes of answers for a report that is
always the same (`grader.reference.recorded_stub_report`).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import grader
from grader.bundles.source import tree_files
from grader.catalog import ExerciseEntry, load_catalog
from grader.giveaway import giveaways
from grader.grading import judge_untouched_stub, read_source
from grader.loop import STUBS
from grader.quiz.models import Quiz
from grader.recorded import RecordedAnswers, StubReport, dump_answers
from grader.reference import (
    EXPECTED,
    expected_path,
    stands_for,
    stub_report,
    stub_report_path,
)
from grader.release.errors import NotEmpty, ReleaseError
from grader.release.leaks import leaks, solution_bodies, spec_bodies
from grader.release.record import record_exercise
from grader.release.templates import gitignore_text, pyproject_text, readme_text

__all__ = [
    "EXPECTED",
    "LAYOUT",
    "NotEmpty",
    "ReleaseError",
    "Written",
    "leaks",
    "record_exercise",
    "solution_bodies",
    "write_release",
]

# What a release consists of at its top level; --force replaces these and nothing else.
LAYOUT = (
    "README.md",
    "pyproject.toml",
    ".gitignore",
    "exercises",
    EXPECTED,
    "quizzes",
    "grader",
    "drivers",
    "bpgrade",
)
# What an earlier bpgrade put in a release and this one does not: --force removes it too (an
# old release's specs/ holds the near-solutions this one leaves out)
FORMER = ("specs",)
PACKAGED_COURSE = "_course"
# the release's folders a regular install carries with it, in grader/_course
INSTALLED = ("exercises", EXPECTED, "quizzes", "drivers")


@dataclass
class Written:
    """What `write_release` wrote: for the command to print, and for tests."""

    target: Path
    files: list[Path] = field(default_factory=list)  # relative to target
    graded_quizzes: list[str] = field(default_factory=list)
    practice_quizzes: list[str] = field(default_factory=list)
    recorded_calls: int = 0  # the reference's answers to the engine's own calls
    recorded_checks: int = 0  # checks frozen on the public cases
    seconds: float = 0.0

    def size(self, under: str | None = None) -> int:
        return sum(
            (self.target / f).stat().st_size
            for f in self.files
            if under is None or f.parts[0] == under
        )

    def count(self, under: str) -> int:
        return sum(1 for f in self.files if f.parts[0] == under)


# --- writing ------------------------------------------------------------------------------


def _check_target(target: Path, course: Path, package: Path, force: bool) -> None:
    """Refuse a target that would overwrite the course or the grader, or someone's files."""
    target = target.resolve()
    for protected in (course.resolve(), package.resolve()):
        if target == protected or protected.is_relative_to(target):
            raise ReleaseError(f"{target} holds the course or the grader: choose another folder")
    for inside in (package, *(course / name for name in LAYOUT), course / "solutions"):
        if target.is_relative_to(inside.resolve()):
            raise ReleaseError(f"{target} is inside {inside}: choose another folder")
    if target.exists() and not target.is_dir():
        raise ReleaseError(f"{target} is a file, not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise NotEmpty(f"{target} is not empty; use --force to write the release into it")


def _clear(target: Path) -> None:
    """Remove what an earlier release wrote at the top of `target`; nothing else."""
    for name in (*LAYOUT, *FORMER):
        old = target / name
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        elif old.exists() or old.is_symlink():
            old.unlink()
    target.mkdir(parents=True, exist_ok=True)


def _load_quizzes(course: Path) -> list[tuple[Path, Quiz]]:
    from grader.quiz.loader import QuizError, load_quiz, quiz_files

    loaded = []
    for path in quiz_files(course / "quizzes"):
        try:  # every variant proven, as `quiz validate` does: a release is handed out as it is
            loaded.append((path, load_quiz(path, prove=True)))
        except QuizError as error:
            raise ReleaseError(f"cannot release an invalid quiz:\n{error}") from None
    return loaded


def _write_quizzes(quizzes: list[tuple[Path, Quiz]], target: Path, written: Written) -> None:
    from grader.quiz.handout import handout_of, handout_path

    folder = target / "quizzes"
    folder.mkdir(parents=True, exist_ok=True)
    for path, quiz in quizzes:
        if quiz.graded:
            out = handout_path(folder, path.stem)
            out.write_text(handout_of(quiz).model_dump_json(indent=2) + "\n", encoding="utf-8")
            written.graded_quizzes.append(path.stem)
        else:
            out = folder / path.name
            shutil.copyfile(path, out)
            written.practice_quizzes.append(path.stem)
        written.files.append(out.relative_to(target))


def _kernel_package() -> Path:
    """The `bpgrade` package beside `grader`, which a notebook imports."""
    import bpgrade

    return Path(bpgrade.__file__).resolve().parent


def _stub_reports(
    entries: list[ExerciseEntry], answers: list[RecordedAnswers], course: Path
) -> list[StubReport]:
    """Each untouched stub's report, judged from the answers recorded for the release exactly
    as a learner's check judges it (`grader.reference.recorded_stub_report` reads it), in a
    scratch folder: anything wrong is found before the release is written."""
    reports = []
    with tempfile.TemporaryDirectory(prefix="bpgrade-release-") as scratch:
        solutions = Path(scratch) / "solutions"  # not there: the judge reads expected/
        for entry, recorded in zip(entries, answers, strict=True):
            path = expected_path(entry, solutions)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump_answers(recorded) + "\n", encoding="utf-8")
            source = read_source(course / "exercises" / entry.file)
            report = judge_untouched_stub(entry, recorded.seed, solutions, source)
            kept = stub_report(entry, solutions, recorded.seed, report)
            if not stands_for(kept.report, entry):
                raise ReleaseError(
                    f"{entry.name}: its untouched stub was judged {report.status} "
                    f"({report.error or 'no error'}), not as not started"
                )
            reports.append(kept)
    return reports


def write_release(
    course: Path, target: Path, *, force: bool = False, notebooks: bool = False
) -> Written:
    """Write the release of `course` (a folder with exercises/, solutions/ and quizzes/) into
    `target`, with `notebooks` each exercise as a notebook too. Everything that can go wrong
    is found before anything is written: ReleaseError."""
    started = time.perf_counter()
    package = Path(grader.__file__).resolve().parent
    if not (course / "solutions").is_dir():
        raise ReleaseError(
            f"the course in {course} has no solutions/: a release is written from the full "
            "course, which has them."
        )
    _check_target(target, course, package, force)
    catalog = load_catalog(course / "exercises" / "catalog.toml")
    shown = giveaways(catalog, course / "exercises", course / "solutions")
    if shown:
        raise ReleaseError(
            "every failing check shows its title, and a stub its message, so they must not "
            "hold an answer's code; rewrite them to say what is checked:\n"
            + "\n".join(f"  {found}" for found in shown)
        )
    copies = [
        (course / "exercises" / f, Path("exercises") / f)
        for f in tree_files(course / "exercises", links=False)
    ]
    # exercises/ becomes the learner's own: `bpgrade reset` puts a stub back from a copy
    copies += [
        (course / "exercises" / f, STUBS / f)
        for f in tree_files(course / "exercises", links=False)
        if f.suffix == ".py" and len(f.parts) == 1
    ]
    # drivers (grader.drivers) drive the learner's objects and hold no answers
    if (course / "drivers").is_dir():
        copies += [
            (course / "drivers" / f, Path("drivers") / f)
            for f in tree_files(course / "drivers", links=False)
        ]
    copies += [
        (package / f, Path("grader") / f)
        for f in tree_files(package, frozenset({PACKAGED_COURSE}), links=False)
    ]
    if notebooks:
        kernel = _kernel_package()
        copies += [(kernel / f, Path("bpgrade") / f) for f in tree_files(kernel, links=False)]
    copied = [(source, str(name)) for source, name in copies]
    found = leaks(copied, solution_bodies(course)) + leaks(copied, spec_bodies(course))
    if found:
        raise ReleaseError(
            "the release would hand out the code of reference solutions or specs: "
            + "; ".join(found[:5])
        )
    answers = [record_exercise(entry, course / "solutions") for entry in catalog.exercises]
    stubs = _stub_reports(catalog.exercises, answers, course)
    quizzes = _load_quizzes(course)

    _clear(target)
    written = Written(target)
    for source, name in copies:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / name)
        written.files.append(name)
    for recorded in answers:
        name = Path(EXPECTED) / f"{recorded.exercise}.json"
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(dump_answers(recorded) + "\n", encoding="utf-8")
        written.files.append(name)
        written.recorded_calls += len(recorded.calls)
        written.recorded_checks += len(recorded.checks)
    for entry, kept in zip(catalog.exercises, stubs, strict=True):
        name = stub_report_path(entry, target / "solutions").relative_to(target)
        (target / name).write_text(kept.model_dump_json() + "\n", encoding="utf-8")
        written.files.append(name)
    _write_quizzes(quizzes, target, written)
    if notebooks:
        from grader.release.notebooks import write_notebooks

        made = write_notebooks(catalog.exercises, course / "exercises", target / "exercises")
        written.files += [path.relative_to(target) for path in made]
    installed = tuple(name for name in INSTALLED if (target / name).is_dir())
    packages = ("grader", "bpgrade") if notebooks else ("grader",)
    (target / "pyproject.toml").write_text(pyproject_text(installed, packages), encoding="utf-8")
    (target / ".gitignore").write_text(gitignore_text(), encoding="utf-8")
    readme = readme_text(
        catalog, written.practice_quizzes, written.graded_quizzes, notebooks=notebooks
    )
    (target / "README.md").write_text(readme, encoding="utf-8")
    written.files += [Path("pyproject.toml"), Path(".gitignore"), Path("README.md")]
    written.seconds = time.perf_counter() - started
    return written
