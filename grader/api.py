"""The library behind `bpgrade check`, for the command, a watch mode and notebooks alike.

    from grader import api

    report = api.check("exercise03", folder="exercises")   # a grader.report.Report
    with api.Session() as session:                          # one sandbox, kept warm
        first = session.check("exercise03")
        again = session.check("exercise03")                 # no new sandbox process
    api.feedback(check)     # a failing check's message in parts: headline, call, mismatch...
    api.to_html(report)     # the report for a notebook, every word from the learner escaped

Nothing here prints, exits or knows about click. What keeps a check from starting is a
`CheckError` whose message is the sentence `bpgrade check` shows for it. Imports stay light:
the sandbox, the catalog and the grading machinery load when a session needs them, so that
`bpgrade hint` may use this module and a check without quiz answers never loads the quizzes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from grader.report import LAYOUT_HEADING, CheckReport, ExerciseReport, Report

if TYPE_CHECKING:
    from typing import TypeAlias

    from grader.catalog import Catalog, ExerciseEntry
    from grader.sandbox import Limits, Sandbox

    # What to check: None for every exercise; else names (`exercise03`, `3`,
    # `exercise03_linear`) or the catalog's entries, one or several.
    Exercises: TypeAlias = str | ExerciseEntry | Sequence[str | ExerciseEntry] | None


# --- why a check could not start --------------------------------------------------------------


class CheckError(Exception):
    """A check could not start. The message is the sentence for the learner."""


class UnknownExercise(CheckError, LookupError):
    def __init__(self, name: str, catalog: Catalog) -> None:
        self.name = name
        self.closest = catalog.closest(name)
        suggestion = f" Did you mean {self.closest}?" if self.closest else ""
        super().__init__(f"no exercise named {name!r}.{suggestion} {_listed(catalog)}")


class NoExerciseNamed(CheckError):
    def __init__(self, catalog: Catalog) -> None:
        super().__init__(f"name an exercise to check, or use --all. {_listed(catalog)}")


class NoSubmission(CheckError):
    """The folder of the learner's files is not there."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        super().__init__(f"there is no folder {folder}; point --dir at your exercise files.")


class PublicCasesOnly(CheckError):
    """A student release was asked for another seed or for a student's hidden cases."""


def _listed(catalog: Catalog) -> str:
    return f"The exercises: {', '.join(e.name for e in catalog.exercises)}."


# --- the course and its exercises -------------------------------------------------------------


def load_catalog(course: Path | None = None) -> Catalog:
    """The course's catalog (the course `bpgrade` finds, unless `course` is given)."""
    from grader.catalog import load_catalog as load
    from grader.course import course_root

    return load((course if course is not None else course_root()) / "exercises" / "catalog.toml")


def resolve(catalog: Catalog, exercises: Exercises) -> list[ExerciseEntry]:
    """The catalog's entries for `exercises` (None: all of them), each once, in the order
    given; UnknownExercise for a name the catalog does not have, NoExerciseNamed for none."""
    from grader.catalog import ExerciseEntry

    if exercises is None:
        return list(catalog.exercises)
    wanted = [exercises] if isinstance(exercises, str | ExerciseEntry) else list(exercises)
    if not wanted:
        raise NoExerciseNamed(catalog)
    entries: list[ExerciseEntry] = []
    for name in wanted:
        if isinstance(name, ExerciseEntry):
            entry = name
        else:
            found = catalog.find(name)
            if found is None:
                raise UnknownExercise(name, catalog)
            entry = found
        if entry not in entries:
            entries.append(entry)
    return entries


# --- checking ---------------------------------------------------------------------------------


class Session:
    """Checks one after another in one sandbox, kept warm between them: a re-check costs a
    fork of the sandbox's process, not a new one (a watch mode, a notebook's cell run again).

    The sandbox starts first, so that its process gets ready while the course loads. Close
    the session (or use it in a `with`) to stop it and remove its folders. A stop while
    grading (Ctrl-C) halts the sandbox for good: start a new session after it."""

    def __init__(self, *, course: Path | str | None = None, limits: Limits | None = None) -> None:
        from grader.sandbox import Limits, Sandbox

        self.sandbox: Sandbox = Sandbox(limits if limits is not None else Limits())
        try:
            from grader.course import course_root

            self.course = Path(course) if course is not None else course_root()
        except BaseException:
            self.sandbox.close()
            raise
        self._catalog: Catalog | None = None

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = load_catalog(self.course)
        return self._catalog

    def exercises(self, exercises: Exercises = None) -> list[ExerciseEntry]:
        """See `resolve`."""
        return resolve(self.catalog, exercises)

    def check(
        self,
        exercises: Exercises = None,
        *,
        folder: Path | str | None = None,
        seed: int | None = None,
        student: str | None = None,
        platform_student: bool = False,
        answers: Sequence[Path | str] | None = None,
        keep_out: Sequence[Path] = (),
    ) -> Report:
        """Grade the learner's files in `folder` (where `grader.layout` finds them there; by
        default the workspace's exercises/, found walking up from the working directory).

        `seed`: draw the checks' inputs from another seed. `student`: also grade this
        student's own hidden cases; with `platform_student` and no `student`, the id is read
        from a platform's metadata beside `folder` (Gradescope, PrairieLearn). `answers`:
        quiz answers files, or folders of them (None: the submission's answers/ folder).
        `keep_out`: folders learner code must not write into (where results are written).

        Raises a CheckError before anything runs; grading itself never raises (a report that
        is not a grade says why), except for a stop (KeyboardInterrupt and the like)."""
        from grader.grading import DEFAULT_SEED
        from grader.loop import exercises_folder
        from grader.submission import grade_submission

        entries = self.exercises(exercises)
        folder = exercises_folder(None if folder is None else Path(folder))
        if not folder.is_dir():
            raise NoSubmission(folder)
        seed = DEFAULT_SEED if seed is None else seed
        _require_answers(self.course / "solutions", seed, student)
        if student is None and platform_student:
            from grader.platforms import student_id

            student = student_id(folder)
        report = grade_submission(
            entries,
            folder,
            self.course,
            sandbox=self.sandbox,
            seed=seed,
            student=student,
            answers=_answer_paths(answers) if answers else None,
            keep_out=[Path(path) for path in keep_out],
        )
        # the sandbox keeps its notes from check to check: each is said once
        report.notes = list(dict.fromkeys(report.notes))
        return report

    def close(self) -> None:
        self.sandbox.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def check(
    exercises: Exercises = None,
    *,
    folder: Path | str | None = None,
    seed: int | None = None,
    student: str | None = None,
    platform_student: bool = False,
    answers: Sequence[Path | str] | None = None,
    course: Path | str | None = None,
    limits: Limits | None = None,
) -> Report:
    """One check in a sandbox of its own (see `Session.check`, which keeps one warm)."""
    with Session(course=course, limits=limits) as session:
        return session.check(
            exercises,
            folder=folder,
            seed=seed,
            student=student,
            platform_student=platform_student,
            answers=answers,
        )


def _require_answers(solutions: Path, seed: int, student: str | None) -> None:
    """A release has recorded answers for its public cases only: say so before grading."""
    from grader.recorded import Unanswerable
    from grader.reference import require_answers

    try:
        require_answers(solutions, seed, student)
    except Unanswerable as error:
        raise PublicCasesOnly(str(error)) from None


def _answer_paths(answers: Iterable[Path | str]) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, answers):
        files += sorted(path.glob("*.json")) if path.is_dir() else [path]
    return files


# --- feedback in parts ------------------------------------------------------------------------

# A message is a headline, then lines indented by two spaces, each opening a part (below);
# four spaces go on with the line above (a table's row, a line of the learner's code). The
# patterns are compiled on first use (re keeps them): a check that passes never needs them.
_LIKELY = (
    r"Likely mistake(?P<elsewhere>, from a case where the shapes let it run)?: (?P<sentence>.*)"
)
_ELSEWHERE = ", from a case where the shapes let it run"
_NUMBERS = r".+?: (?:expected shape |shape |a number as expected)"  # describe_mismatch's
_FRAME = r".+, line \d+, in .+|\.\.\. \d+ more calls like these \.\.\."
_CALL = r"[A-Za-z_]\w*\("
_CAUSE = "Probably a consequence of "  # grader.checks.consequences
_INPUTS = r"Inputs: |A smaller case fails too"  # grader.checks.base's small inputs
_REPRODUCE = "Reproduce it: "  # grader.grading
_PARTS = ("cause", "traceback", "mismatch", "diagnosis", "advice", "inputs", "reproduce")
# parts of one or more sentences, a line each, where a line of the same part may follow
_SENTENCES = frozenset({"traceback", "advice"})


@dataclass(frozen=True)
class Feedback:
    """A failing check's feedback in parts, built once from its report (`feedback`) and
    rendered as the terminal's text (`text`, the check's message to the byte) and as HTML
    (`to_html`).

    Every part but the headline may be empty. A message whose lines do not fall into these
    parts (none that the checks write today) is kept whole as the headline."""

    headline: str  # what is wrong, in one sentence: "linear_backward(dZ (3, 4), ...): wrong db."
    call: str = ""  # the call the headline opens with, its arguments' shapes or values
    traceback: str = ""  # where the learner's code raised: its files, lines and code
    mismatch: str = ""  # the numbers of a wrong value: shapes, how many differ, the table
    tag: str | None = None  # the likely mistake's name (`transposed`): the report's diagnosis
    diagnosis: str = ""  # the likely mistake, in words
    diagnosis_elsewhere: bool = False  # seen on another case, where the shapes let it run
    advice: str = ""  # what to do about it (numerical stability), why the answer is what it is
    cause: str = ""  # "Probably a consequence of X failing ...: fix that first."
    inputs: str = ""  # the small inputs of a failing case, where no mistake is named
    reproduce: str = ""  # "Reproduce it: bpgrade check exercise03 --case ..."

    def text(self) -> str:
        """The check's message, as the terminal shows it (before indentation and colour)."""
        lines = [self.headline]
        parts = (self.cause, self.traceback, self.mismatch)
        lines += [_indented(part) for part in parts if part]
        if self.diagnosis:
            lines.append(_indented(f"{self.diagnosis_heading}: {self.diagnosis}"))
        lines += [_indented(part) for part in (self.advice, self.inputs, self.reproduce) if part]
        return "\n".join(lines)

    @property
    def diagnosis_heading(self) -> str:
        """The words before the likely mistake; its tag is the report's, never the learner's."""
        return f"Likely mistake{_ELSEWHERE if self.diagnosis_elsewhere else ''}"


def _indented(block: str) -> str:
    return "\n".join("  " + line for line in block.split("\n"))


def feedback(check: CheckReport) -> Feedback:
    """`check`'s message in parts; `feedback(check).text() == check.message`, always."""
    parsed = _parsed(check.message)
    if parsed is None or parsed.text() != check.message:
        return Feedback(headline=check.message)
    if parsed.diagnosis:
        return replace(parsed, tag=check.diagnosis)
    return parsed


def _parsed(message: str) -> Feedback | None:
    headline, *rest = message.split("\n")
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in rest:
        if not line.startswith("  "):
            return None
        body = line[2:]
        if body.startswith("  ") and current is not None:
            current.append(body)
            continue
        part = _part_of(body)
        if part in _SENTENCES and current is not None and parts.get(part) is current:
            current.append(body)  # the next frame of a traceback, or sentence of advice
            continue
        if part in parts or any(later in parts for later in _PARTS[_PARTS.index(part) + 1 :]):
            return None  # a part twice, or out of order: not a message of the usual shape
        current = parts[part] = [body]
    likely = None
    if "diagnosis" in parts:
        likely = re.fullmatch(_LIKELY, "\n".join(parts["diagnosis"]), re.DOTALL)
        if likely is None:
            return None
    return Feedback(
        headline=headline,
        call=_call_in(headline),
        traceback="\n".join(parts.get("traceback", [])),
        mismatch="\n".join(parts.get("mismatch", [])),
        diagnosis=likely["sentence"] if likely else "",
        diagnosis_elsewhere=bool(likely and likely["elsewhere"]),
        advice="\n".join(parts.get("advice", [])),
        cause="\n".join(parts.get("cause", [])),
        inputs="\n".join(parts.get("inputs", [])),
        reproduce="\n".join(parts.get("reproduce", [])),
    )


def _part_of(line: str) -> str:
    if line.startswith(_CAUSE):
        return "cause"
    if re.match(_INPUTS, line):
        return "inputs"
    if line.startswith(_REPRODUCE):
        return "reproduce"
    if re.match(_LIKELY, line):
        return "diagnosis"
    if re.fullmatch(_FRAME, line):
        return "traceback"
    if re.match(_NUMBERS, line):
        return "mismatch"
    return "advice"


def _call_in(headline: str) -> str:
    """The call a headline opens with, as `describe_call` wrote it, or ""."""
    if re.match(_CALL, headline) is None:
        return ""
    depth = 0
    for i, char in enumerate(headline):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return headline[: i + 1]
    return ""


# --- what the learner's code printed --------------------------------------------------------

# Escape sequences (colour, cursor moves, a terminal's title) and other control characters
# (a carriage return that writes over a line) in what learner code printed: shown as they
# are, they could pass for the grader's words.
_CONTROL = (
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # colour, cursor moves (CSI)
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # a terminal's title, links (OSC)
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # the rest, the escape character itself among them
)


def printed_text(output: str) -> str:
    """What a check's code printed (`CheckReport.output`), fit to show: control characters
    and escape sequences taken out, tabs expanded, no blank lines at the end."""
    return re.sub(_CONTROL, "", output).expandtabs(4).rstrip()


# --- HTML, for notebooks ----------------------------------------------------------------------

_STATUS_COLOURS = {"passed": "green", "failed": "#c00", "not_started": "#b80", "error": "#c00"}


def _e(text: str) -> str:
    import html  # here: a check in the terminal has no use for it

    return html.escape(text, quote=True)


def feedback_html(feedback: Feedback) -> str:
    """One failing check's feedback as HTML: every part escaped, tables kept in <pre>."""
    if "\n" in feedback.headline:
        headline = f"<pre>{_e(feedback.headline)}</pre>"
    elif feedback.call and feedback.headline.startswith(feedback.call):
        after = feedback.headline[len(feedback.call) :]
        headline = f"<p><code>{_e(feedback.call)}</code>{_e(after)}</p>"
    else:
        headline = f"<p>{_e(feedback.headline)}</p>"
    parts = [headline]
    if feedback.cause:
        parts.append(f'<p class="bpgrade-cause"><strong>{_e(feedback.cause)}</strong></p>')
    if feedback.traceback:
        parts.append(f'<pre class="bpgrade-traceback">{_e(feedback.traceback)}</pre>')
    if feedback.mismatch:
        parts.append(f'<pre class="bpgrade-mismatch">{_e(feedback.mismatch)}</pre>')
    if feedback.diagnosis:
        parts.append(
            f'<p class="bpgrade-diagnosis"><strong>{_e(feedback.diagnosis_heading)}:</strong> '
            f"{_e(feedback.diagnosis)}</p>"
        )
    if feedback.advice:
        parts.append(f'<p class="bpgrade-advice">{_e(feedback.advice)}</p>')
    if feedback.inputs:
        parts.append(f'<pre class="bpgrade-inputs">{_e(feedback.inputs)}</pre>')
    if feedback.reproduce:
        parts.append(f'<p class="bpgrade-reproduce"><code>{_e(feedback.reproduce)}</code></p>')
    return '<div class="bpgrade-feedback">' + "".join(parts) + "</div>"


def _points(score: float, max_score: float) -> str:
    return f"{score:g}/{max_score:g}"


def _check_html(check: CheckReport) -> str:
    mark = "&#10003;" if check.passed else "&#10007;"
    colour = "green" if check.passed else "#c00"
    row = (
        f'<li><span style="color:{colour}">{mark}</span> <code>{_e(check.name)}</code> '
        f"{_points(check.score, check.max_score)} {_e(check.title)}"
    )
    if not check.passed:
        row += feedback_html(feedback(check))
    printed = printed_text(check.output)
    if printed:
        row += f'<p>Your prints:</p><pre class="bpgrade-prints">{_e(printed)}</pre>'
    return row + "</li>"


def _exercise_html(exercise: ExerciseReport) -> str:
    colour = _STATUS_COLOURS.get(exercise.status, "black")
    status = exercise.status.replace("_", " ")
    parts = [
        f"<h4>{_e(exercise.name)} {_e(exercise.title)} "
        f"{_points(exercise.score, exercise.max_score)} "
        f'<span style="color:{colour}">{_e(status)}</span></h4>'
    ]
    if exercise.status == "not_started":
        parts.append(
            f"<p>Not started: open <code>{_e(exercise.file)}</code> and replace each "
            "<code>raise NotImplementedError</code>.</p>"
        )
    elif exercise.status == "error":
        parts.append(f"<pre>{_e(exercise.error or '')}</pre>")
    else:
        parts.append("<ul>" + "".join(_check_html(c) for c in exercise.checks) + "</ul>")
    return "".join(parts)


def to_html(report: Report) -> str:
    """The report as HTML for a notebook (IPython.display.HTML): the same parts as the
    terminal's, every word of the learner's (messages, file names, errors) escaped."""
    parts: list[str] = []
    if report.error is not None:
        parts.append(f'<p><strong style="color:#c00">Not graded:</strong> {_e(report.error)}</p>')
    else:
        if report.layout:
            notes = "".join(f"<li>{_e(note)}</li>" for note in report.layout)
            parts.append(f"<p><strong>{_e(LAYOUT_HEADING)}</strong></p><ul>{notes}</ul>")
        parts += [_exercise_html(exercise) for exercise in report.exercises]
        for quiz in report.quizzes:
            right = sum(q.correct for q in quiz.questions)
            said = f"not graded: {quiz.error}" if quiz.error else f"{right} of "
            said += "" if quiz.error else f"{len(quiz.questions)} right"
            parts.append(
                f"<p><strong>quiz {_e(quiz.quiz)}</strong> "
                f"{_points(quiz.score, quiz.max_score)} {_e(said)}</p>"
            )
        if len(report.exercises) + len(report.quizzes) > 1:
            parts.append(f"<p>Total: {_points(report.score, report.max_score)}</p>")
    return '<div class="bpgrade-report">' + "".join(parts) + "</div>"
