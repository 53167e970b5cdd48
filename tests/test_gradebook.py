"""Gradebooks, read back as Canvas and Moodle read them.

The readers here restate what each LMS does with an imported CSV, from its own source:

- Canvas (`app/models/gradebook_importer.rb`): the header's first cell holds "Student", its
  second "ID"; then `SIS User ID` and `SIS Login ID` (or `SIS Login ID` alone), and the last
  student column must be `Section`; every later column is an assignment unless its name holds
  one of Canvas's computed columns (Current Score, Final Grade...). A row whose first cell
  holds "Points Possible" gives the assignments' points. A student is found by ID, then SIS
  User ID, then SIS Login ID, then name; a blank grade changes nothing.
- Moodle (`grade/import/csv/classes/load_data.php`): one column identifies the user, mapped to
  a user field (email, idnumber, username, id); a line with an empty identifier keeps the
  previous line's user, one naming no user stops the whole import, an empty grade clears the
  grade, and a grade must be a number no higher than the item's maximum.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from grader.batch import ALONE, Rejected, outcomes
from grader.catalog import Catalog
from grader.gradebook import (
    NOTES_COLUMNS,
    Gradebook,
    GradebookError,
    Roster,
    RosterEntry,
    read_roster,
)
from grader.report import ExerciseReport, Report, summarize

from .conftest import course_total

CANVAS_NOT_ASSIGNMENTS = re.compile(
    "Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade|"
    "Override Score|Override Grade|Override Status"
)


def parse(text: str) -> list[list[str]]:
    assert "\r\n" in text  # RFC 4180 line ends, as the LMSs export
    return list(csv.reader(io.StringIO(text)))


# -- Canvas's reading ---------------------------------------------------------------------------


def canvas_read(text: str) -> tuple[list[str], dict[str, float], list[dict[str, str]]]:
    """(assignments, their points possible, student rows), or AssertionError where Canvas
    would refuse the file ("Invalid header row")."""
    rows = parse(text)
    header = rows[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1]
    columns = 3
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        columns += 1
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        columns += 2
    assert "Section" in header[columns - 1]
    assignments = [h for h in header[columns:] if not CANVAS_NOT_ASSIGNMENTS.search(h)]
    possible: dict[str, float] = {}
    students = []
    for row in rows[1:]:
        cells = dict(zip(header, row, strict=True))
        if "Points Possible" in row[0]:
            possible = {a: float(cells[a]) for a in assignments}
            continue
        assert any(cells[c] for c in ("ID", "SIS User ID", "SIS Login ID", "Student"))
        students.append(cells)
    for student in students:
        for assignment in assignments:
            grade = student[assignment].strip()
            if grade:
                assert 0 <= float(grade) <= possible.get(assignment, float("inf"))
    return assignments, possible, students


# -- Moodle's reading ---------------------------------------------------------------------------

MOODLE_FIELDS = {"useremail": "email", "useridnumber": "id_number", "username": "username"}


def moodle_read(
    text: str, map_from: str, map_to: str, users: list[RosterEntry], maximum: float
) -> dict[str, dict[str, float]]:
    """user field value -> {grade item: grade}, or AssertionError where Moodle would stop the
    import or clear a grade."""
    rows = parse(text)
    header = rows[0]
    known = {getattr(user, MOODLE_FIELDS[map_to]) for user in users}
    column = header.index(map_from)
    grades: dict[str, dict[str, float]] = {}
    for line in rows[1:]:
        if len(line) <= 1:
            continue
        user = line[column].strip()
        assert user, "an empty identifier keeps the previous line's user"
        assert user in known, f"Moodle stops the whole import at {user!r}"
        for name, value in zip(header, line, strict=True):
            if name == map_from:
                continue
            assert value.strip() not in ("", "-"), "an empty grade clears the grade"
            assert 0 <= float(value) <= maximum
            grades.setdefault(user, {})[name] = float(value)
    return grades


# -- a class, without grading anything ------------------------------------------------------------


def report(
    catalog: Catalog, student: str, scores: dict[str, float], error: str | None = None
) -> Report:
    """A report of every exercise of the course, each scoring what `scores` says, else 0."""
    unknown = set(scores) - {e.name for e in catalog.exercises}
    assert not unknown, unknown
    exercises = []
    for e in catalog.exercises:
        score = scores.get(e.name, 0.0)
        exercises.append(
            ExerciseReport(
                name=e.name,
                title=e.title,
                file=e.file,
                status="passed" if score == e.max_score else "failed",
                score=score,
                max_score=e.max_score,
                checks=[],
            )
        )
    made = summarize(exercises)
    made.student, made.error = student, error
    return made


def full(catalog: Catalog) -> dict[str, float]:
    return {e.name: e.max_score for e in catalog.exercises}


def max_of(catalog: Catalog, exercise: str) -> float:
    entry = catalog.find(exercise)
    assert entry is not None
    return entry.max_score


# ann and dee: full marks; ben: exercise01 in full and 5.5 of exercise02; cy: exercise03
BEN_EXERCISE02 = 5.5


def ben_total(catalog: Catalog) -> float:
    return max_of(catalog, "exercise01") + BEN_EXERCISE02


@pytest.fixture
def reports(catalog: Catalog) -> dict[str, Report]:
    alone = report(catalog, "dee", full(catalog))
    alone.notes.append(ALONE)
    ben = {"exercise01": max_of(catalog, "exercise01"), "exercise02": BEN_EXERCISE02}
    cy = {"exercise03": max_of(catalog, "exercise03")}
    return {
        "ann": report(catalog, "ann", full(catalog)),
        "ben": report(catalog, "ben", ben),
        "cy@example.edu": report(catalog, "cy@example.edu", cy),
        "dee": alone,
        "eve": report(catalog, "eve", {}, error="Not graded: the grader failed on it (x)."),
    }


REJECTED = [
    Rejected("Bob", "the same id as bob but for letter case"),
    Rejected("bob", "the same id as Bob but for letter case"),
    Rejected("carol smith", "not usable as a student id"),
    Rejected("notes.txt", "a file, not a folder"),
]
FOLDERS = ["Bob", "ann", "ben", "bob", "carol smith", "cy@example.edu", "dee", "eve", "notes.txt"]


def roster_csv(path: Path) -> Path:
    """A Canvas gradebook export: its columns, its Points Possible row, an assignment."""
    path.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (77),Current Score\r\n"
        "    Points Possible,,,,,10,(read only)\r\n"
        '"Lee, Ann",101,S1,ann,Lab A,7,70\r\n'
        '"Ng, Ben",102,S2,BEN,Lab A,,\r\n'
        '"Cy, Cy",103,S3,cy@example.edu,Lab B,,\r\n'
        '"Bo, Bob",104,S4,bob,Lab B,,\r\n'
        '"Ray, Fay",105,S5,fay,Lab B,,\r\n',
        encoding="utf-8",
    )
    return path


def test_plain_has_every_folder_with_its_status_and_why(
    catalog: Catalog, reports: dict[str, Report]
) -> None:
    text = Gradebook().text(list(catalog.exercises), outcomes(reports, REJECTED))
    rows = parse(text)
    assert rows[0] == ["student", *(e.name for e in catalog.exercises), "total", "status", "note"]
    by_folder = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == FOLDERS
    assert by_folder["ben"]["exercise02"] == "5.5"
    assert by_folder["ben"]["total"] == f"{ben_total(catalog):g}"
    assert by_folder["carol smith"]["status"] == "rejected"
    assert by_folder["carol smith"]["total"] == ""  # nothing graded: no number
    assert by_folder["carol smith"]["note"] == "not usable as a student id"
    assert (
        by_folder["eve"]["status"] == "not graded" and "grader failed" in by_folder["eve"]["note"]
    )
    assert by_folder["dee"]["status"] == "graded" and by_folder["dee"]["note"] == ALONE


def test_canvas_without_a_roster_names_the_login_and_imports(
    catalog: Catalog, reports: dict[str, Report]
) -> None:
    book = Gradebook("canvas", "Backprop lab")
    assignments, possible, students = canvas_read(
        book.text(list(catalog.exercises), outcomes(reports, REJECTED))
    )
    assert assignments == ["Backprop lab"]  # one assignment, no column Canvas would invent
    total = course_total(catalog)
    assert possible == {"Backprop lab": total}
    assert [s["SIS Login ID"] for s in students] == FOLDERS  # a row for every folder
    grades = {s["SIS Login ID"]: s["Backprop lab"] for s in students}
    assert grades["ann"] == f"{total:g}" and grades["ben"] == f"{ben_total(catalog):g}"
    # rejected, or not graded: blank, which changes nothing in Canvas
    assert grades["carol smith"] == grades["Bob"] == grades["eve"] == ""
    assert "SIS Login ID" in book.mapping(outcomes(reports, REJECTED))


def test_canvas_with_a_roster_names_students_as_canvas_does(
    catalog: Catalog, reports: dict[str, Report], tmp_path: Path
) -> None:
    roster = read_roster(roster_csv(tmp_path / "export.csv"))
    assert [e.sis_login_id for e in roster.entries] == [
        "ann",
        "BEN",
        "cy@example.edu",
        "bob",
        "fay",
    ]
    book = Gradebook("canvas", "Backprop lab (1234)", roster)
    everyone = outcomes(reports, REJECTED)
    assignments, _, students = canvas_read(book.text(list(catalog.exercises), everyone))
    assert assignments == ["Backprop lab (1234)"]
    ann = next(s for s in students if s["SIS Login ID"] == "ann")
    assert ann == {
        "Student": "Lee, Ann",
        "ID": "101",
        "SIS User ID": "S1",
        "SIS Login ID": "ann",
        "Section": "Lab A",
        "Backprop lab (1234)": f"{course_total(catalog):g}",
    }
    ben = next(s for s in students if s["ID"] == "102")  # BEN in Canvas, ben the folder
    assert ben["Backprop lab (1234)"] == f"{ben_total(catalog):g}"

    notes = {
        row[0]: dict(zip(NOTES_COLUMNS, row, strict=True))
        for row in parse(book.notes(everyone))[1:]
    }
    assert notes["ann"]["student"] == "ann" and notes["ann"]["status"] == "graded"
    assert notes["dee"]["status"] == "not in roster"  # graded, but Canvas will ask who
    assert "no student of the roster" in notes["dee"]["note"]
    assert notes["carol smith"]["status"] == "rejected"
    # a roster student with no folder is named too
    assert notes[""] == {
        "folder": "",
        "student": "fay",
        "status": "no folder",
        "score": "",
        "note": "in the roster, but no folder of the class is named after them",
    }


def test_moodle_holds_only_what_moodle_can_import_and_notes_the_rest(
    catalog: Catalog, reports: dict[str, Report], tmp_path: Path
) -> None:
    moodle_export = tmp_path / "moodle.csv"  # Moodle's grade export: names, ID number, email
    moodle_export.write_text(
        "First name,Last name,ID number,Institution,Department,Email address,Lab (Real)\n"
        "Ann,Lee,S1,,,ann@example.edu,\n"
        "Ben,Ng,S2,,,ben@example.edu,\n"
        "Cy,Cy,S3,,,cy@example.edu,\n",
        encoding="utf-8",
    )
    roster = read_roster(moodle_export)
    assert roster.entries[0].name == "Ann Lee"
    book = Gradebook("moodle", "Backprop lab", roster)
    everyone = outcomes(reports, REJECTED)
    text = book.text(list(catalog.exercises), everyone)
    assert parse(text)[0] == ["Email address", "Backprop lab"]
    assert 'Map from "Email address" to "useremail"' in book.mapping(everyone)
    total = course_total(catalog)
    grades = moodle_read(text, "Email address", "useremail", list(roster.entries), total)
    # ann and ben: folders named by the address's local part; cy: by the address
    assert grades == {
        "ann@example.edu": {"Backprop lab": total},
        "ben@example.edu": {"Backprop lab": ben_total(catalog)},
        "cy@example.edu": {"Backprop lab": max_of(catalog, "exercise03")},
    }
    notes = {
        row[0]: dict(zip(NOTES_COLUMNS, row, strict=True))
        for row in parse(book.notes(everyone))[1:]
    }
    assert set(notes) == set(FOLDERS)  # every folder, none of the roster left over
    assert notes["dee"]["status"] == "not in roster" and "left out" in notes["dee"]["note"]
    assert notes["eve"]["status"] == "not graded"
    assert notes["Bob"]["status"] == "rejected" and notes["Bob"]["student"] == ""


def test_moodle_without_a_roster_uses_the_folder_as_username(
    catalog: Catalog, reports: dict[str, Report]
) -> None:
    book = Gradebook("moodle")
    everyone = outcomes(reports, REJECTED)
    text = book.text(list(catalog.exercises), everyone)
    users = [RosterEntry(username=name) for name in reports]
    total = course_total(catalog)
    grades = moodle_read(text, "Username", "username", users, total)
    assert set(grades) == {"ann", "ben", "cy@example.edu", "dee"}  # eve's is not a grade
    assert grades["dee"] == {"bpgrade": total}
    # every folder named by an email address: the email is the identifier
    emails = {"a@x.org": reports["ann"], "b@x.org": reports["ben"]}
    text = book.text(list(catalog.exercises), outcomes(emails, []))
    assert parse(text)[0] == ["Email address", "bpgrade"]


def test_two_folders_of_one_student_are_neither_taken(
    catalog: Catalog, reports: dict[str, Report]
) -> None:
    roster = Roster((RosterEntry(name="Cy", sis_login_id="cy", email="cy@example.edu"),))
    two = {"cy": reports["ann"], "cy@example.edu": reports["cy@example.edu"]}
    book = Gradebook("canvas", roster=roster)
    _, _, students = canvas_read(book.text(list(catalog.exercises), outcomes(two, [])))
    own = [f"{course_total(catalog):g}", f"{max_of(catalog, 'exercise03'):g}"]
    assert [s["bpgrade"] for s in students] == own  # each as its own folder...
    # ...and neither given the student's identity, nor a login made of the folder's name
    assert all(s["ID"] == "" for s in students)
    assert [s["SIS Login ID"] for s in students] == ["", ""]
    notes = parse(book.notes(outcomes(two, [])))
    assert all("named after the same student" in row[4] for row in notes[1:3])


@pytest.mark.parametrize(
    "name", ["", "  ", "Student", "Section", "Final Score", "Lab (Current Score)"]
)
def test_an_assignment_name_canvas_would_misread_is_refused(name: str) -> None:
    with pytest.raises(GradebookError):
        Gradebook("canvas", name)


def test_a_roster_with_no_identity_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("Name,Grade\nAnn,3\n")
    with pytest.raises(GradebookError, match="no column that identifies"):
        read_roster(path)


def test_roster_find_by_identity_then_by_the_address_local_part() -> None:
    both = RosterEntry(name="Jo", sis_login_id="jo", username="JO", email="jo@a.edu")
    twin = RosterEntry(name="Jo Too", email="jo@b.edu")
    local = RosterEntry(name="Kim", email="kim@a.edu")
    roster = Roster(
        (
            both,
            twin,
            local,
            RosterEntry(name="Al", id_number="7"),
            RosterEntry(name="Al Too", canvas_id="7"),
        ),
        "export.csv",
    )
    assert roster.find("Jo") is both  # one student whose two fields agree: found once
    assert roster.find("KIM") is local  # no identity is kim: kim@a.edu's local part
    assert roster.find("7") == (
        "more than one student of the roster export.csv has this id (Al, Al Too)"
    )
    assert "no student of the roster" in str(roster.find("nobody"))
    assert roster.find("jo@b.edu") is twin


def _notes_rows(text: str) -> list[dict[str, str]]:
    return [dict(zip(NOTES_COLUMNS, row, strict=True)) for row in parse(text)[1:]]


def test_a_student_whose_folders_were_rejected_is_not_also_without_a_folder(
    catalog: Catalog, reports: dict[str, Report], tmp_path: Path
) -> None:
    """Bob and bob, rejected as one student's two folders: one row each, naming the roster's
    bob and why; no 'no folder' row for bob beside them."""
    roster = read_roster(roster_csv(tmp_path / "export.csv"))
    book = Gradebook("canvas", roster=roster)
    rows = _notes_rows(book.notes(outcomes(reports, REJECTED)))
    bobs = [row for row in rows if row["folder"].lower() == "bob" or row["student"] == "bob"]
    assert bobs == [
        {
            "folder": "Bob",
            "student": "bob",
            "status": "rejected",
            "score": "",
            "note": "the same id as bob but for letter case",
        },
        {
            "folder": "bob",
            "student": "bob",
            "status": "rejected",
            "score": "",
            "note": "the same id as Bob but for letter case",
        },
    ]
    assert [row["student"] for row in rows if row["status"] == "no folder"] == ["fay"]
    # the import is as before: a rejected folder has no grade and gives Canvas no identity
    _, _, students = canvas_read(book.text(list(catalog.exercises), outcomes(reports, REJECTED)))
    assert [s["ID"] for s in students if s["Student"] in ("Bob", "bob")] == ["", ""]


def test_a_rejected_folder_does_not_take_a_graded_folders_student(
    catalog: Catalog, reports: dict[str, Report], tmp_path: Path
) -> None:
    """`ann` graded and a file named by ann's SIS user id: ann keeps her grade and identity."""
    roster = read_roster(roster_csv(tmp_path / "export.csv"))
    book = Gradebook("canvas", roster=roster)
    everyone = outcomes({"ann": reports["ann"]}, [Rejected("S1", "a file, not a folder")])
    _, _, students = canvas_read(book.text(list(catalog.exercises), everyone))
    ann = next(s for s in students if s["ID"] == "101")
    assert ann["bpgrade"] == f"{course_total(catalog):g}"
    rows = {row["folder"]: row for row in _notes_rows(book.notes(everyone))}
    assert rows["ann"]["status"] == "graded" and rows["ann"]["note"] == ""
    assert rows["S1"]["student"] == "ann" and rows["S1"]["note"] == "a file, not a folder"


def test_two_graded_folders_of_one_student_leave_no_no_folder_row(
    catalog: Catalog, reports: dict[str, Report]
) -> None:
    roster = Roster((RosterEntry(name="Cy", sis_login_id="cy", email="cy@example.edu"),))
    two = {"cy": reports["ann"], "cy@example.edu": reports["cy@example.edu"]}
    rows = _notes_rows(Gradebook("canvas", roster=roster).notes(outcomes(two, [])))
    assert [row["folder"] for row in rows] == ["cy", "cy@example.edu"]


def test_a_student_not_graded_yet_keeps_a_row_and_no_grade(
    catalog: Catalog, reports: dict[str, Report], tmp_path: Path
) -> None:
    """A batch stopped before grading gus (or re-grading him): his row says so, with no grade
    for an import to take; the notes say it too."""
    everyone = outcomes(reports, REJECTED, pending=["gus", "ann"])  # ann is graded: no effect
    rows = {row[0]: row for row in parse(Gradebook().text(list(catalog.exercises), everyone))}
    gus = dict(zip(rows["student"], rows["gus"], strict=True))
    assert gus["status"] == "not graded yet" and gus["total"] == gus["exercise01"] == ""
    assert "again" in gus["note"]
    assert dict(zip(rows["student"], rows["ann"], strict=True))["status"] == "graded"

    roster = Roster(
        (
            *read_roster(roster_csv(tmp_path / "export.csv")).entries,
            RosterEntry(name="Gus", sis_login_id="gus", email="gus@example.edu"),
        )
    )
    canvas = Gradebook("canvas", roster=roster)
    _, _, students = canvas_read(canvas.text(list(catalog.exercises), everyone))
    assert next(s for s in students if s["SIS Login ID"] == "gus")["bpgrade"] == ""
    notes = {row["folder"]: row for row in _notes_rows(canvas.notes(everyone))}
    assert notes["gus"]["status"] == "not graded yet" and notes["gus"]["student"] == "gus"
    assert not any(row["student"] == "gus" for row in notes.values() if not row["folder"])

    users = Roster(
        (
            RosterEntry(name="Ann", email="ann@example.edu"),
            RosterEntry(name="Gus", email="gus@example.edu"),
        )
    )
    moodle = Gradebook("moodle", roster=users)
    text = moodle.text(list(catalog.exercises), everyone)
    total = course_total(catalog)
    grades = moodle_read(text, "Email address", "useremail", list(users.entries), total)
    assert grades == {"ann@example.edu": {"bpgrade": total}}  # an empty grade would clear gus's
    assert {r["folder"]: r for r in _notes_rows(moodle.notes(everyone))}["gus"]["status"] == (
        "not graded yet"
    )
