"""`bpgrade release`: what a course hands out to its learners.

    release/
        README.md           for learners: install, then the loop (check, hint, list, quiz)
        pyproject.toml      `pip install -e .` here gives a `bpgrade` that reads this course
        exercises/          the stubs, exactly as in the course, and catalog.toml (with hints)
        expected/           the reference's answers on the public cases (`grader.recorded`)
        quizzes/            practice quizzes whole; graded ones without their answers
        grader/             the bpgrade package (without the course a regular install carries)

Never the reference solutions, the tests, or the answers to a student's hidden cases.

The answers are recorded by driving every check over its public cases with a recording stand-in
for the reference (`Recorder`): the judge runs on the reference's own results and on wrong
ones, and every expected value and every model of a known mistake is asked for directly, so a
release judges any learner's file as the full grader would. Numeric gradients are not recorded
(hundreds of reference calls on perturbed inputs each); instead each expected value is checked
against its numeric gradient here, at half the judge's numeric tolerance, which makes that
comparison in the release redundant: whatever is close to the expected value is then close to
the numeric gradient as well. Before anything is written, each check's verdicts from the
recorded answers are compared with those from the reference itself.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import importlib.metadata
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import grader
from grader import progress
from grader.bundles.source import tree_files
from grader.calls import Call, CallResult
from grader.catalog import Catalog, ExerciseEntry, load_catalog
from grader.checks.base import Check, Evidence, OutputCheck, Verdict
from grader.giveaway import giveaways
from grader.grading import DEFAULT_SEED, Planned, catalog_checks, plan
from grader.judge.compare import NUMERIC_ATOL, NUMERIC_RTOL, as_array, close_where_known
from grader.quiz.models import Quiz
from grader.recorded import RecordedAnswers, Recorder, Replay
from grader.reference import EXPECTED, load_reference
from grader.runner import run_exercise

# What a release consists of at its top level; --force replaces these and nothing else.
LAYOUT = (
    "README.md",
    "pyproject.toml",
    ".gitignore",
    "exercises",
    EXPECTED,
    "quizzes",
    "grader",
    "specs",
    "drivers",
)
PACKAGED_COURSE = "_course"
# A numeric gradient must agree with the expected value this much more closely than the judge
# asks of a learner, so that skipping it in a release cannot change a verdict (see above).
NUMERIC_MARGIN = 0.5
FALLBACK_DEPENDENCIES = ("numpy>=1.24", "click>=8.1", "pydantic>=2.5")


class ReleaseError(Exception):
    """The release cannot be written; the message says why, for the instructor."""


class NotEmpty(ReleaseError):
    """The target folder holds files already, and --force was not given."""


@dataclass
class Written:
    """What `write_release` wrote: for the command to print, and for tests."""

    target: Path
    files: list[Path] = field(default_factory=list)  # relative to target
    graded_quizzes: list[str] = field(default_factory=list)
    practice_quizzes: list[str] = field(default_factory=list)
    recorded_calls: int = 0
    seconds: float = 0.0

    def size(self, under: str | None = None) -> int:
        return sum(
            (self.target / f).stat().st_size
            for f in self.files
            if under is None or f.parts[0] == under
        )

    def count(self, under: str) -> int:
        return sum(1 for f in self.files if f.parts[0] == under)


# --- recording the answers ---------------------------------------------------------------


def _chosen_checks(entry: ExerciseEntry) -> list[Check]:
    try:
        return catalog_checks(entry)
    except LookupError as error:
        raise ReleaseError(f"{entry.name}: {error}") from None


def _evidence(planned: Planned, results: dict[str, CallResult], calls: list[Call]) -> Evidence:
    return Evidence(
        cases=planned.cases,
        calls=planned.calls,
        results=[[results[call.id] for call in case_calls] for case_calls in planned.calls],
        exercise_calls=calls,
        exercise_results=[results[call.id] for call in calls],
    )


def _wrong(value: Any) -> Any:
    """A wrong answer of the same shape: every number moved, so every judge takes its
    failing path (diagnoses, notes) and asks the reference whatever that path needs."""
    if isinstance(value, dict):
        return {key: _wrong(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        items = [_wrong(item) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value) * 1.5 + 0.25
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return value * 1.5 + 0.25
    return value


def _wrong_results(results: dict[str, CallResult]) -> dict[str, CallResult]:
    return {
        key: dataclasses.replace(result, value=_wrong(result.value))
        for key, result in results.items()
    }


def _without_numeric(check: Check) -> Check:
    if isinstance(check, OutputCheck) and check.numeric is not None:
        return dataclasses.replace(check, numeric=None)
    return check


def _check_numeric(check: OutputCheck, reference: Any, planned: Planned) -> None:
    """Every expected value the judge would compare with a numeric gradient agrees with it
    well inside the judge's tolerance; otherwise a release would judge differently."""
    if check.numeric is None:
        return
    for case in planned.cases:
        expected = check.expected_value(reference, case)
        if isinstance(expected, dict | tuple) or not case.numeric:
            continue  # the judge compares whole arrays only with a numeric gradient
        numeric = as_array(check.numeric(reference, case))
        rtol, atol = NUMERIC_RTOL * NUMERIC_MARGIN, NUMERIC_ATOL * NUMERIC_MARGIN
        if not close_where_known(as_array(expected), numeric, rtol, atol):
            raise ReleaseError(
                f"{check.name}: on {case.label} the reference solution's value disagrees with "
                "the numeric gradient of its forward pass; fix the solution before releasing."
            )


def _same(a: Verdict, b: Verdict) -> bool:
    return (a.passed, a.message, a.diagnosis) == (b.passed, b.message, b.diagnosis)


def record_exercise(
    entry: ExerciseEntry, solutions: Path, seed: int = DEFAULT_SEED
) -> RecordedAnswers:
    """The reference's answers to every question the checks of `entry` ask on the public cases.

    The reference solution is trusted, so its calls run in this process."""
    path = solutions / entry.file
    if not path.is_file():
        raise ReleaseError(f"{entry.name}: there is no reference solution {path}")
    reference = load_reference(path)
    checks = _chosen_checks(entry)
    planned = plan(checks, seed)
    calls = [call for p in planned for case_calls in p.calls for call in case_calls]
    ran = run_exercise(path, calls)
    if not isinstance(ran, list):
        raise ReleaseError(f"{entry.name}: the reference solution does not load: {ran.reason}")
    own = {call.id: result for call, result in zip(calls, ran, strict=True)}
    wrong = _wrong_results(own)
    recorder = Recorder(reference)
    for p in planned:
        driven = _without_numeric(p.check)
        verdict = driven.judge(recorder, _evidence(p, own, calls))
        if not verdict.passed:
            raise ReleaseError(
                f"{entry.name}: the reference solution fails its own check {p.check.name}: "
                f"{verdict.message}"
            )
        driven.judge(recorder, _evidence(p, wrong, calls))
        if isinstance(p.check, OutputCheck) and isinstance(driven, OutputCheck):
            for case in p.cases:
                driven.expected_value(recorder, case)
                for mistake in p.check.mistakes:
                    mistake.model(recorder, case)
            _check_numeric(p.check, reference, p)
    answers = RecordedAnswers(
        grader_version=grader.__version__,
        numpy_version=np.__version__,
        exercise=entry.name,
        file=entry.file,
        seed=seed,
        checks=[c.name for c in entry.checks],
        calls=recorder.calls,
    )
    _verify(entry, answers, reference, planned, [own, wrong], calls)
    return answers


def _verify(
    entry: ExerciseEntry,
    answers: RecordedAnswers,
    reference: Any,
    planned: list[Planned],
    outcomes: list[dict[str, CallResult]],
    calls: list[Call],
) -> None:
    """The recorded answers judge as the reference does, on right and on wrong results."""
    replay = Replay(RecordedAnswers.model_validate_json(answers.model_dump_json()))
    for p in planned:
        for results in outcomes:
            evidence = _evidence(p, results, calls)
            real = p.check.judge(reference, copy.deepcopy(evidence))
            recorded = p.check.judge(replay, copy.deepcopy(evidence))
            if not _same(real, recorded):
                raise ReleaseError(
                    f"{entry.name}: the recorded answers judge {p.check.name} differently from "
                    f"the reference ({recorded.message!r} instead of {real.message!r}); "
                    "this check asks the reference something the recording does not cover."
                )


# --- what must never be handed out --------------------------------------------------------


def _function_bodies(path: Path) -> Iterator[tuple[str, str]]:
    """(function name, its body without the docstring as an AST dump) for every function."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                body = body[1:]
            if body:
                yield node.name, ast.dump(ast.Module(body=body, type_ignores=[]))


def solution_bodies(course: Path) -> dict[str, str]:
    """Body dump -> 'file:function' for every function of the reference solutions that the
    stubs do not hand out themselves (a given helper is in both)."""
    given = {
        body for stub in (course / "exercises").glob("*.py") for _, body in _function_bodies(stub)
    }
    return {
        body: f"{path.name}:{name}"
        for path in sorted((course / "solutions").glob("*.py"))
        for name, body in _function_bodies(path)
        if body not in given
    }


def leaks(files: list[tuple[Path, str]], bodies: dict[str, str]) -> list[str]:
    """Which of `files` ((path, name shown)) define a function with a solution's body."""
    found = []
    for path, shown in files:
        if path.suffix != ".py":
            continue
        for name, body in _function_bodies(path):
            if body in bodies:
                found.append(f"{shown}:{name} is {bodies[body]}")
    return found


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
    for name in LAYOUT:
        old = target / name
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        elif old.exists() or old.is_symlink():
            old.unlink()
    target.mkdir(parents=True, exist_ok=True)


def _dependencies() -> list[str]:
    try:
        requirements = importlib.metadata.requires("bpgrade") or []
    except importlib.metadata.PackageNotFoundError:
        requirements = []
    plain = [r for r in requirements if "extra ==" not in r]
    return plain or list(FALLBACK_DEPENDENCIES)


def pyproject_text() -> str:
    dependencies = "".join(f'    "{d}",\n' for d in _dependencies())
    return f"""[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "bpgrade"
version = "{grader.__version__}"
description = "Backpropagation exercises, checked as you go"
readme = "README.md"
requires-python = ">=3.11"
dependencies = [
{dependencies}]

[project.scripts]
bpgrade = "grader.cli:main"

[tool.hatch.build.targets.wheel]
packages = ["grader"]

# A regular install carries this course with it; an editable one reads it from this folder.
[tool.hatch.build.targets.wheel.force-include]
"exercises" = "grader/_course/exercises"
"{EXPECTED}" = "grader/_course/{EXPECTED}"
"quizzes" = "grader/_course/quizzes"
"specs" = "grader/_course/specs"
"""


def gitignore_text() -> str:
    """A release is the template of each learner's repository (GitHub Classroom): what the
    learner writes (exercises/, answers/) is committed; what a machine makes is not."""
    return f"""# Commit your exercise files (exercises/) and your quiz answers (answers/).
# Everything below is made on your machine and stays there.

# bpgrade's own state: your progress and the hints you have revealed
{progress.STATE_FILE.parent.as_posix()}/

# results files written by `bpgrade check --output` (CI writes its own on every push)
bpgrade-result*.json
/results.json
/results.xml

# virtual environments
.venv/
/venv/
/env/

# Python's and the tools' caches, build output
__pycache__/
*.py[cod]
*.egg-info/
/build/
/dist/
.pytest_cache/
.mypy_cache/
.ruff_cache/
.ipynb_checkpoints/

# editors and operating systems
.idea/
.vscode/
*.swp
*~
.DS_Store
Thumbs.db
"""


def readme_text(catalog: Catalog, practice: list[str], graded: list[str]) -> str:
    first = catalog.exercises[0]
    rows = "".join(f"| {e.name} | `{e.file}` | {e.title} |\n" for e in catalog.exercises)
    quizzes = ""
    if practice or graded:
        lines = [f"bpgrade quiz {name:<16} # practice: graded as you answer" for name in practice]
        lines += [
            f"bpgrade quiz {name:<16} # to hand in: saves answers/<quiz>.json" for name in graded
        ]
        quizzes = "\n## Quizzes\n\n```bash\nbpgrade quiz list\n" + "\n".join(lines) + "\n```\n"
        if graded:
            quizzes += (
                "\nA quiz to hand in is not scored here: each answer is saved to\n"
                "`answers/<quiz>.json` as you go, and that file is what you hand in, with the\n"
                "variant number printed at the end.\n"
            )
    return f"""# Backpropagation exercises

Learn backpropagation by doing it: fill in the functions in `exercises/`, and `bpgrade` checks
them the moment you ask, and tells you what is wrong.

## Install

Python 3.11 or newer. In this folder:

```bash
python3 -m venv .venv && . .venv/bin/activate && pip install -e .
bpgrade check {first.name}
```

## The loop

Each file in `exercises/` opens with the math, the shapes and a small worked example; each
function you write says what it takes and returns. Edit one, then:

```bash
bpgrade check {first.name}     # grade one exercise (also: {first.name[-2:]}, {first.stem})
bpgrade hint {first.name}      # one more hint each time you ask (--reset hides them again)
bpgrade list                 # every exercise, its status and score
bpgrade check --all          # grade everything
```

A failing check says which function was called with which shapes, which output is wrong and
by how much, and, when the mistake is a known one, what it is. A function you have not started
is reported as *not started*. Progress and hints are kept in `.bpgrade/` in the folder you run
`bpgrade` from.

| exercise | file | topic |
|---|---|---|
{rows}
## Handing in

What you hand in, or commit, is your exercise files in `exercises/` and, for a quiz to hand
in, `answers/`. The `.gitignore` keeps what your machine makes (`.venv/`, caches, bpgrade's
progress) out of your repository.

The checks here use the course's public cases; the answers they compare with are recorded in
`expected/`. Your course may grade your hand-in on further cases of its own.
{quizzes}"""


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


def write_release(course: Path, target: Path, *, force: bool = False) -> Written:
    """Write the release of `course` (a folder with exercises/, solutions/ and quizzes/) into
    `target`. Everything that can go wrong is found before anything is written: ReleaseError."""
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
    answers = [record_exercise(entry, course / "solutions") for entry in catalog.exercises]
    quizzes = _load_quizzes(course)
    copies = [
        (course / "exercises" / f, Path("exercises") / f)
        for f in tree_files(course / "exercises", links=False)
    ]
    # the checks' specs still travel as code (their mistake models with them) until a release
    # carries recorded checks instead (issue 12)
    copies += [
        (course / "specs" / f, Path("specs") / f) for f in tree_files(course / "specs", links=False)
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
    found = leaks([(source, str(name)) for source, name in copies], solution_bodies(course))
    if found:
        raise ReleaseError(
            "the release would hand out reference solutions: " + "; ".join(found[:5])
        )

    _clear(target)
    written = Written(target)
    for source, name in copies:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / name)
        written.files.append(name)
    for recorded in answers:
        name = Path(EXPECTED) / f"{recorded.exercise}.json"
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(recorded.model_dump_json() + "\n", encoding="utf-8")
        written.files.append(name)
        written.recorded_calls += len(recorded.calls)
    _write_quizzes(quizzes, target, written)
    (target / "pyproject.toml").write_text(pyproject_text(), encoding="utf-8")
    (target / ".gitignore").write_text(gitignore_text(), encoding="utf-8")
    readme = readme_text(catalog, written.practice_quizzes, written.graded_quizzes)
    (target / "README.md").write_text(readme, encoding="utf-8")
    written.files += [Path("pyproject.toml"), Path(".gitignore"), Path("README.md")]
    written.seconds = time.perf_counter() - started
    return written
