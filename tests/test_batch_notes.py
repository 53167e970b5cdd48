"""What the gradebook's note says of where a student's exercise files were found: an empty
folder, files one folder down, a file under another name, files in two places. Each is in the
student's report at length; the gradebook (the plain one's `note`, an LMS's notes file) says
it in a few words, so that a 0 or a file graded from elsewhere is not imported unflagged."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from grader import batch
from grader.catalog import Catalog, ExerciseEntry
from grader.gradebook import CANVAS_STUDENT_COLUMNS, NOTES_COLUMNS, Gradebook
from grader.layout import locate
from grader.report import ExerciseReport, Report, not_a_grade, summarize

from .conftest import SOLUTIONS


def _file(catalog: Catalog, name: str) -> str:
    entry = catalog.find(name)
    assert entry is not None
    return entry.file


def make_class(catalog: Catalog, root: Path) -> None:
    """ann: as the course says; empty: nothing; deep: one folder down; renamed: a browser's
    copy name; twice: at the top and in exercises/ (only the top is graded); both: a folder
    down, renamed there, and another folder; tied: two folders alike, so nothing graded."""
    first, third = _file(catalog, "exercise01"), _file(catalog, "exercise03")
    (root / "ann").mkdir(parents=True)
    (root / "ann" / first).write_text((SOLUTIONS / first).read_text())
    (root / "empty").mkdir()
    (root / "deep" / "hw").mkdir(parents=True)
    (root / "deep" / "hw" / first).write_text((SOLUTIONS / first).read_text())
    (root / "renamed").mkdir()
    (root / "renamed" / third.replace(".py", " (1).py")).write_text((SOLUTIONS / third).read_text())
    (root / "twice" / "exercises").mkdir(parents=True)
    (root / "twice" / first).write_text((SOLUTIONS / first).read_text())
    (root / "twice" / "exercises" / first).write_text("# an older copy\n")
    (root / "both" / "hw").mkdir(parents=True)  # one folder down, and renamed there
    (root / "both" / "hw" / third.replace(".py", " (1).py")).write_text("# mine\n")
    (root / "both" / "hw" / first).write_text("# mine\n")
    (root / "both" / "old").mkdir()
    (root / "both" / "old" / first).write_text("# not graded\n")
    for copy in ("copy1", "copy2"):  # two folders alike: neither is graded
        (root / "tied" / copy).mkdir(parents=True)
        (root / "tied" / copy / first).write_text("# which?\n")


EXPECTED = {
    "ann": "",
    "empty": "no exercise file found",
    "deep": "graded from `hw/`",
    "renamed": "graded `exercise03_linear (1).py` as exercise03_linear.py",
    "twice": "graded from the top; exercise files were found in more than one place",
    "both": "graded from `hw/`; graded `hw/exercise03_linear (1).py` as exercise03_linear.py; "
    "exercise files were found in more than one place",
    "tied": "the exercise files were found in several folders, `copy1/`, `copy2/`, and "
    "bpgrade cannot tell which is yours, so none was graded",
}


def located(entries: list[ExerciseEntry], folder: Path) -> Report:
    """A report with what `grade_located` records of the layout, nothing graded."""
    layout = locate(folder, entries)
    exercises = [
        ExerciseReport(
            name=e.name,
            title=e.title,
            file=e.file,
            status="passed" if e.name in layout.files else "error",
            score=e.max_score if e.name in layout.files else 0,
            max_score=e.max_score,
            checks=[],
            error=None if e.name in layout.files else layout.missing[e.name],
        )
        for e in entries
    ]
    report = summarize(exercises)
    report.layout = layout.notes
    report.files = {name: path.as_posix() for name, path in layout.files.items()}
    return report


def test_each_layout_is_a_short_note(catalog: Catalog, tmp_path: Path) -> None:
    make_class(catalog, tmp_path)
    entries = list(catalog.exercises)
    notes = {name: batch.files_note(located(entries, tmp_path / name)) for name in EXPECTED}
    assert notes == EXPECTED


def test_no_note_for_a_report_that_is_not_a_grade(catalog: Catalog) -> None:
    """An error report has no files: its note is why it was not graded, not 'no file'."""
    report = not_a_grade(list(catalog.exercises), "Not graded: x.", "zed", listed=True)
    assert batch.files_note(report) == ""
    assert batch.outcomes({"zed": report}, [])[0].reason == "Not graded: x."


def test_the_note_beside_a_confirmation_and_in_every_format(
    catalog: Catalog, tmp_path: Path
) -> None:
    make_class(catalog, tmp_path)
    entries = list(catalog.exercises)
    reports = {name: located(entries, tmp_path / name) for name in EXPECTED}
    reports["empty"].notes.append(batch.ALONE)
    everyone = batch.outcomes(reports, [])
    plain = list(csv.DictReader(io.StringIO(Gradebook().text(entries, everyone))))
    assert {row["student"]: row["note"] for row in plain} == {
        **EXPECTED,
        "empty": f"no exercise file found; {batch.ALONE}",
    }
    for kind in ("canvas", "moodle"):
        book = Gradebook(kind)  # type: ignore[arg-type]
        rows = list(csv.reader(io.StringIO(book.notes(everyone))))
        assert rows[0] == list(NOTES_COLUMNS)
        assert {row[0]: row[4] for row in rows[1:]}["deep"] == EXPECTED["deep"]
        header = next(csv.reader(io.StringIO(book.text(entries, everyone))))
        # the import's own columns, and the assignment's: no note column it would reject
        assert header == (
            [*CANVAS_STUDENT_COLUMNS, "bpgrade"] if kind == "canvas" else ["Username", "bpgrade"]
        )


@pytest.mark.parametrize("skipped", [False, True])
def test_the_batch_writes_the_notes(catalog: Catalog, tmp_path: Path, skipped: bool) -> None:
    """Graded, and from the stored reports when a run again skips them."""
    make_class(catalog, tmp_path / "class")
    output = tmp_path / "grades.csv"
    options = batch.BatchOptions(jobs=2, gradebook=Gradebook("canvas"))
    result = batch.grade_batch(tmp_path / "class", output, options)
    if skipped:
        result = batch.grade_batch(tmp_path / "class", output, options)
        assert len(result.skipped) == len(EXPECTED)
    with open(output.with_name("grades-notes.csv"), newline="") as file:
        notes = {row["folder"]: row for row in csv.DictReader(file)}
    assert {name: row["note"] for name, row in notes.items()} == EXPECTED
    assert notes["empty"]["status"] == "graded" and notes["empty"]["score"] == "0"
