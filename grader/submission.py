"""One submission, graded the way a course platform needs it: everything or a clear reason.

A submission folder holds the exercise files at its top or in `exercises/`, and may hold quiz
answers in `answers/<quiz id>.json`. `grade_submission` never raises: when grading itself
breaks (a broken catalog, a bug in the grader) the report says so (`report.error`), so the
platform's results file is still written and says the grade is not a grade. A quiz that cannot
be graded (its file invalid, a question with no answer in the student's variant) is one quiz
not graded, and why: the exercises and the other quizzes are graded as usual.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import tempfile
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from grader.catalog import ExerciseEntry
from grader.grading import DEFAULT_SEED, grade, not_graded
from grader.layout import Layout, locate, worked_in
from grader.layout import shown as layout_name
from grader.notebooks import Module, NotebookError, graded_module, is_notebook, relabel
from grader.report import ExerciseReport, QuizReport, Report, not_a_grade, summarize
from grader.sandbox import (
    MAX_COPY,
    MAX_FILE,
    MAX_FILES,
    Sandbox,
    SubmissionError,
    protect,
    submission_files,
)

ANSWERS_DIR = "answers"
SYMLINKED_FOLDER = (
    "is a symbolic link, so it was not read: quiz answers are read from a real folder of "
    "regular files only, and none were graded"
)


@dataclass(frozen=True)
class Stage:
    folder: Path
    unread: dict[str, str]  # exercise name -> why its file could not be copied
    # exercise name -> the module its notebook's graded cells made (`grader.notebooks`)
    notebooks: dict[str, Module] = field(default_factory=dict)


@contextlib.contextmanager
def staged(submission: Path, layout: Layout, entries: list[ExerciseEntry]) -> Iterator[Stage]:
    """A private copy of the graded folder, each exercise's file first and under the name the
    course gives it (`exercise03_linear (1).py` becomes `exercise03_linear.py`), so that no
    limit on a copy (MAX_FILES, MAX_COPY) can leave an exercise file out of the sandbox's.
    A file that cannot be read is said in `unread`, by its name in the submission.

    Like the sandbox's own folders, its path cannot be found by listing: where learner code
    runs as the grader's user, another submission's code must not come across it."""
    outer = Path(tempfile.mkdtemp(prefix="bpgrade-staged-"))
    try:
        os.chmod(outer, 0o711)
        stage = outer / secrets.token_hex(16)
        stage.mkdir(mode=0o700)
        total = 0
        unread: dict[str, str] = {}
        notebooks: dict[str, Module] = {}
        for entry in entries:
            found = layout.files[entry.name]
            try:
                if is_notebook(found):
                    module = _notebook_module(submission / found, entry)
                    (stage / entry.file).write_text(module.source, encoding="utf-8")
                    notebooks[entry.name] = module
                    total += len(module.source)
                else:
                    total += _copy_exact(submission / found, stage / entry.file)
            except OSError as error:
                unread[entry.name] = (
                    f"{layout_name(found)} could not be read ({error.strerror or error}): "
                    "hand in a regular file that you can open"
                )
            except NotebookError as error:
                unread[entry.name] = f"{layout_name(found)} could not be graded: {error}"
        room = MAX_FILES - len(entries)
        for path, relative in submission_files(submission / layout.folder):
            target = stage / relative
            try:
                size = path.stat(follow_symlinks=False).st_size
                if room <= 0 or total + size > MAX_COPY or os.path.lexists(target):
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target, follow_symlinks=False)
            except OSError:  # gone since, or a folder of the same name as a staged file
                continue
            room, total = room - 1, total + size
        yield Stage(stage, unread, notebooks)
    finally:
        shutil.rmtree(outer, ignore_errors=True)


def _copy_exact(source: Path, target: Path) -> int:
    """Copy one exercise file, never through a link swapped in since it was found; its size."""
    content = _read_exact(source)
    target.write_bytes(content)
    return len(content)


def _read_exact(source: Path) -> bytes:
    """One exercise file's bytes, up to MAX_FILE, never through a link swapped in."""
    fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        return file.read(MAX_FILE + 1)[:MAX_FILE]


def _notebook_module(source: Path, entry: ExerciseEntry) -> Module:
    """The module a handed-in notebook's graded cells make, told by the notebook's name."""
    text = _read_exact(source).decode("utf-8", errors="replace")
    # its name as messages repeat it (clipped, control characters escaped), without backticks
    return graded_module(text, entry.name, layout_name(source.name)[1:-1])


@dataclass(frozen=True)
class AnswerFiles:
    """The quiz answers handed in: the files, the folder their paths are checked from (no
    symbolic link may lie between it and a file), and why the answers folder was not read."""

    files: list[Path]
    root: Path | None = None
    refused: str | None = None


def answer_files(submission: Path, folder: Path | None = None) -> AnswerFiles:
    """Quiz answers handed in with the submission: answers/<quiz id>.json, in the submission,
    in the folder its exercise files were graded from, or beside it. A symbolic link for a
    folder is refused, not followed: it could point the grader, which may run as root, at
    files the learner may not read."""
    for root in dict.fromkeys((submission, folder or submission, submission.parent)):
        folder = root / ANSWERS_DIR
        try:
            info = os.stat(folder, follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISLNK(info.st_mode):
            return AnswerFiles([], root, f"{ANSWERS_DIR}/ {SYMLINKED_FOLDER}")
        if not stat.S_ISDIR(info.st_mode):
            continue
        # only now: the quiz machinery (pydantic models) costs a check without answers 50 ms
        from grader.quiz.answers import AnswersError, open_folder

        try:
            fd = open_folder(folder, root)
        except (AnswersError, OSError) as error:
            reason = error if isinstance(error, AnswersError) else error.strerror
            return AnswerFiles([], root, f"{ANSWERS_DIR}/ could not be read ({reason})")
        try:
            names = sorted(entry.name for entry in os.scandir(fd) if entry.name.endswith(".json"))
        finally:
            os.close(fd)
        return AnswerFiles([folder / name for name in names], root)
    return AnswerFiles([])


def grade_quizzes(
    answers: list[Path], quizzes: Path, student: str | None, root: Path | None = None
) -> list[QuizReport]:
    """Each answers file graded against the course quiz of the same name.

    The variant (option order, numbers) is the student's own: drawn from the student id when
    there is one, else from the user running the grader, as `bpgrade quiz` does. A file below
    `root` (the submission) is read only if no symbolic link lies on its way there, and one
    named through a linked folder is reported by that folder, not by its name. Files that
    name no quiz of the course are reported a few at most, the rest counted, so that a
    submission with thousands of them still gets a small report."""
    from grader.quiz.answers import (
        REGULAR_ONLY,
        SHOWN_IDS,
        clip,
        linked_on_the_way,
        listed,
    )
    from grader.quiz.variants import current_user

    reports = []
    strays: list[str] = []
    linked: dict[str, None] = {}  # why a folder on the way was refused, each said once
    ways: dict[Path, str | None] = {}  # each folder walked once
    for path in answers:
        if path.parent not in ways:
            ways[path.parent] = linked_on_the_way(path, root)
        reason = ways[path.parent]
        if reason is not None:
            linked[reason] = None
            continue
        quiz_file = quizzes / f"{path.stem}.toml"
        if not quiz_file.is_file():
            strays.append(path.stem)
            continue
        reports.append(_grade_quiz(quiz_file, path, student or current_user(), root))
    for reason in list(linked)[:SHOWN_IDS]:
        reports.append(_ungradable(f"{ANSWERS_DIR}/", 0.0, f"not read, {reason}: {REGULAR_ONLY}"))
    for stem in strays[:SHOWN_IDS]:
        reports.append(_ungradable(clip(stem), 0.0, f"the course has no quiz {listed([stem])}"))
    if len(strays) > SHOWN_IDS:
        more = strays[SHOWN_IDS:]
        reports.append(
            _ungradable(
                f"{ANSWERS_DIR}/",
                0.0,
                f"{len(more):,} more answers files name no quiz of the course "
                f"({listed(more)}); they were not read",
            )
        )
    return reports


def _grade_quiz(quiz_file: Path, path: Path, student: str, root: Path | None) -> QuizReport:
    """One answers file graded against the course's quiz `quiz_file`. Whatever is wrong with
    the quiz (an invalid file, a question with no answer in the student's variant, a bug)
    makes this quiz not graded, and says why; it never reaches the exercises' grading."""
    from grader.quiz.answers import AnswersError, clip, load_answers
    from grader.quiz.grading import VariantError, drawn, grade_quiz
    from grader.quiz.loader import QuizError, load_quiz
    from grader.quiz.variants import default_seed

    # What is wrong with the course's quiz is told without its details: they could show a
    # graded question's answer (a field's value, the formula that has no value).
    not_yours = "a mistake in the course's quiz, not yours (`bpgrade quiz validate` shows it)"
    try:
        quiz = load_quiz(quiz_file)
    except QuizError:
        return _ungradable(clip(path.stem), 0.0, f"the course's quiz file is invalid: {not_yours}")
    seed = default_seed(student, quiz.id)
    try:
        variant = drawn(quiz, seed)
        answered = load_answers(path, quiz, root=root, name=f"{ANSWERS_DIR}/{clip(path.name)}")
        result = grade_quiz(quiz, answered, variant)
    except AnswersError as error:  # the student's file, the student's mistake
        return _ungradable(quiz.id, quiz.max_score, str(error), seed)
    except VariantError as error:
        why = f'question "{error.question}" has no answer in your variant ({seed}): {not_yours}'
        return _ungradable(quiz.id, quiz.max_score, why, seed)
    except Exception as error:  # a bug grading this quiz must not take the exercises down
        detail = traceback.format_exception_only(error)[-1].strip()
        return _ungradable(
            quiz.id,
            quiz.max_score,
            f"grading this quiz failed ({detail}); this is not your fault",
            seed,
        )
    return QuizReport.model_validate(result.model_dump())


def grade_handed_in(found: AnswerFiles, quizzes: Path, student: str | None) -> list[QuizReport]:
    """The quizzes of `answer_files`, and, when the answers folder was refused, why."""
    reports = grade_quizzes(found.files, quizzes, student, found.root)
    if found.refused is not None:
        reports.append(_ungradable(f"{ANSWERS_DIR}/", 0.0, found.refused))
    return reports


def _ungradable(quiz: str, max_score: float, reason: str, seed: int = 0) -> QuizReport:
    return QuizReport(
        quiz=quiz, seed=seed, score=0.0, max_score=max_score, questions=[], error=reason
    )


def grade_submission(
    entries: list[ExerciseEntry],
    submission: Path,
    course: Path,
    *,
    sandbox: Sandbox,
    seed: int = DEFAULT_SEED,
    student: str | None = None,
    answers: list[Path] | None = None,
    keep_out: list[Path] | None = None,
) -> Report:
    try:
        if submission.is_symlink():  # it could point anywhere, the reference included
            raise SubmissionError(f"{submission.name} is a symbolic link; submit the folder itself")
        located = _located_while_probed(
            entries, submission, course, keep_out or [], seed, sandbox, student
        )
        report = located.graded
        found = (
            answer_files(submission, submission / located.folder)
            if answers is None
            else AnswerFiles(answers, submission)
        )
        if found.files or found.refused:
            quizzes = grade_handed_in(found, course / "quizzes", student)
            report = summarize(report.exercises, quizzes).model_copy(
                update={
                    "student": student,
                    "notes": report.notes,
                    "layout": report.layout,
                    "files": report.files,
                }
            )
        return report
    except SubmissionError as error:
        return not_a_grade(entries, f"the submission cannot be graded: {error}", student)
    except Exception as error:  # the platform must get a results file, whatever broke
        detail = traceback.format_exception_only(error)[-1].strip()
        reason = f"grading itself failed ({detail}); this is not your fault"
        return not_a_grade(entries, reason, student)


def untouched_stubs(
    entries: list[ExerciseEntry], stage: Stage, submission: Path, layout: Layout, course: Path
) -> frozenset[str]:
    """The exercises whose staged file is still the course's stub (line endings aside), which
    `grade` grades without running them (`unrun_stub`): a learner's release midway, or a
    student of a class who did not start an exercise, spares a child each (a NumPy one costs
    tens of milliseconds, a torch one seconds of importing torch)."""
    stubs = set()
    for entry in entries:
        if entry.name in stage.notebooks:
            continue
        try:
            stub = _course_stub(course, entry, submission / layout.files[entry.name])
            if stub is None:
                continue
            handed_in = (stage.folder / entry.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if handed_in == stub:
            stubs.add(entry.name)
    return frozenset(stubs)


def _course_stub(course: Path, entry: ExerciseEntry, learner_file: Path) -> str | None:
    """The stub to compare with, where finding it costs less than running the file: the one
    the course keeps on disk (`kept_stub`); for a torch exercise also the one in the course's
    git history, as starting git costs far less than importing torch."""
    from grader.loop import NoStub, kept_stub, pristine_stub

    if entry.runtime != "torch":
        return kept_stub(course, entry, learner_file)
    try:
        return pristine_stub(course, entry, learner_file)
    except NoStub:
        return None


def _located_while_probed(
    entries: list[ExerciseEntry],
    submission: Path,
    course: Path,
    keep_out: list[Path],
    seed: int,
    sandbox: Sandbox,
    student: str | None,
) -> Located:
    """`grade_located`, while `protect`'s probe waits for the zygote and runs in another
    thread: the grader finds, copies and plans meanwhile, and no learner code runs before
    the probe has passed (`Sandbox.hold_until`). Raises what either raises, the probe's
    first, as when it ran before."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bpgrade-probe") as prober:
        probed = prober.submit(protect, sandbox, course, keep_out)
        sandbox.hold_until(probed)
        try:
            located = grade_located(
                entries, submission, course / "solutions", seed, sandbox=sandbox, student=student
            )
        except Exception:
            probed.result()
            raise
        finally:
            sandbox.hold_until(None)
        probed.result()
    located.graded.notes = list(sandbox.notes)  # the probe's too, whenever it ended
    return located


@dataclass
class Located:
    """A report of the exercises, graded from where `grader.layout` found their files."""

    graded: Report
    folder: Path  # the folder graded, relative to the submission


def grade_located(
    entries: list[ExerciseEntry],
    submission: Path,
    solutions: Path,
    seed: int = DEFAULT_SEED,
    *,
    sandbox: Sandbox,
    student: str | None = None,
) -> Located:
    """Each exercise graded from the file found for it, or not graded and why, and the
    report's `layout` notes saying where the files were found, and its `files` which file
    each exercise was graded from. Raises what grading raises."""
    # the course's stubs: a .py still the stub yields to a notebook worked in beside it
    layout = worked_in(submission, locate(submission, entries), solutions.parent / "exercises")
    found = [e for e in entries if e.name in layout.files]
    graded: dict[str, ExerciseReport] = {}
    why = dict(layout.missing)
    if found:
        with staged(submission, layout, found) as stage:
            why.update(stage.unread)
            readable = [e for e in found if e.name not in stage.unread]
            if readable:
                stubs = untouched_stubs(readable, stage, submission, layout, solutions.parent)
                report = grade(
                    readable,
                    stage.folder,
                    solutions,
                    seed,
                    sandbox=sandbox,
                    student=student,
                    stubs=stubs,
                )
                graded = {
                    exercise.name: (
                        relabel(exercise, stage.notebooks[exercise.name])
                        if exercise.name in stage.notebooks
                        else exercise
                    )
                    for exercise in report.exercises
                }
    hidden = student is not None
    exercises = [
        graded[e.name] if e.name in graded else not_graded(e, why[e.name], hidden) for e in entries
    ]
    result = summarize(exercises)
    result.student = student
    result.notes = list(sandbox.notes)
    result.layout = layout.notes
    result.files = {e.name: layout.files[e.name].as_posix() for e in found}
    return Located(result, Path(layout.folder))
