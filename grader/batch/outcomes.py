"""Every folder of the class as the gradebook lists it: a graded student with a note on
where their files were found (and on a grade confirmed alone), a student not graded yet, a
rejected folder with the reason."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import PurePosixPath

from grader.batch.discovery import Rejected
from grader.gradebook import Outcome
from grader.layout import NESTED, TOP, shown
from grader.report import Report

NOT_YET = "run the same command again to grade it"
ALONE = (
    "Graded a second time on its own, with no other submission beside it, to confirm an "
    "error seen while others were being graded; this is that grade."
)


def score_row(report: Report) -> Report:
    """What the gradebook and a run's summary read of a report: its scores, notes, error and
    where its files were found, without the checks' messages and the learner's output, which
    are most of a report (the whole reports of a class of 50,000 would be GiBs)."""
    exercises = [e.model_copy(update={"checks": [], "output": ""}) for e in report.exercises]
    return report.model_copy(update={"exercises": exercises})


def files_note(report: Report) -> str:
    """Where the student's exercise files were found, in a few words for the gradebook's note,
    when not where the course puts them: none at all, a folder further down, a file graded
    under another name; what else the report's layout notes say, by their first sentence
    ("exercise files were found in more than one place"). "" for files where they belong,
    and for a report that is no grade (its error says why)."""
    if report.error is not None:
        return ""
    files = {name: PurePosixPath(path) for name, path in report.files.items()}
    if not files and not report.layout:
        # no file found where the layout says: nothing ran, so every exercise has its why
        nothing = report.exercises and all(e.error is not None for e in report.exercises)
        return "no exercise file found" if nothing else ""
    rest = list(report.layout)  # locate's notes: the deeper folder's first, then the others
    folder = next(iter(files.values())).parent if files else None  # the one folder graded
    deeper = folder is not None and folder not in (TOP, PurePosixPath(NESTED))
    if deeper:
        rest = rest[1:]
    expected = {e.name: e.file for e in report.exercises}
    renamed = []
    for name, path in files.items():
        if name in expected and path.name != expected[name]:
            renamed.append(f"graded {shown(path)} as {expected[name]}")
            rest = [note for note in rest if shown(path) not in note]
    parts = []
    if folder is not None and (deeper or rest):  # elsewhere too: say which was graded
        parts.append(
            "graded from the top" if folder == TOP else f"graded from {shown(folder, True)}"
        )
    parts += renamed + [_first_sentence(note) for note in rest]
    return "; ".join(part for part in parts if part)


def _first_sentence(note: str) -> str:
    """A note's first sentence or clause, up to '. ' or ': ' outside a `name`, lower case."""
    quoted = False
    for index, char in enumerate(note):
        quoted ^= char == "`"
        if not quoted and char in ".:" and note[index + 1 : index + 2] in (" ", ""):
            note = note[:index]
            break
    return note[:1].lower() + note[1:]


def outcomes(
    reports: dict[str, Report], rejected: Sequence[Rejected], pending: Collection[str] = ()
) -> list[Outcome]:
    """Every folder of the class, graded or not, as the gradebook lists them; `pending`, the
    students to grade, those without a report of this run as not graded yet. A graded
    folder's note says where its files were found (`files_note`), and that it was graded a
    second time on its own."""
    graded = [
        Outcome(
            student,
            report,
            "; ".join(
                note
                for note in (files_note(report), ALONE if ALONE in report.notes else "")
                if note
            ),
        )
        for student, report in reports.items()
    ]
    waiting = [Outcome(s, None, NOT_YET, pending=True) for s in pending if s not in reports]
    return [*graded, *waiting, *(Outcome(r.name, None, r.reason) for r in rejected)]
