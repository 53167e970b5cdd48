"""Gradebooks: a batch's grades as a CSV a person reads, or one an LMS imports, with a row for
every folder of the class, including the folders that could not be graded.

    book = Gradebook("canvas", assignment="Backprop lab", roster=read_roster(Path("export.csv")))
    book.text(entries, outcomes)    the CSV to import
    book.notes(outcomes)            why each folder got what it got (canvas and moodle)

The formats, each as its LMS documents and reads it:

plain
    `student`, one column per exercise, `total`, `status`, `note`: everything, for a person or
    a spreadsheet. Not made for an import.

canvas
    Canvas's gradebook import (Grades > Import), the columns of its own gradebook export:
    `Student`, `ID`, `SIS User ID`, `SIS Login ID`, `Section`, then one column per assignment,
    named as the assignment is in Canvas (`Title` or `Title (id)`), and a `Points Possible` row
    first. Canvas finds each student by `ID`, then `SIS User ID`, then `SIS Login ID`, then by
    name; a student it cannot find it asks about in its preview, and a blank grade changes
    nothing. Every column after `Section` is an assignment to Canvas (a new one if no
    assignment has its name), so the notes go in a file of their own.

moodle
    Moodle's "Import grades from CSV": a header row, one column that identifies the user
    (matched to a user field chosen as "Map to": email address, ID number or username) and one
    column per grade item. Moodle stops the whole import at a row whose user it cannot find,
    and an empty grade clears the grade there: so this file holds only the students with a
    grade and a known identity, and every other folder is in the notes.

The notes (`<name>-notes.csv` beside an LMS gradebook): `folder`, `student` (as the gradebook
names them; for a rejected folder, the roster's student it is named after), `status`, `score`,
`note`, one row per folder and one per roster student no folder is named after (a student
whose folders were all rejected has those rows, not one saying they have no folder).

Who a folder is: without a roster, the folder's name is the student's login (Canvas's `SIS
Login ID`, Moodle's username, or the email address when every folder is named by one). With a
roster (the class list exported from the LMS: Canvas's gradebook export, Moodle's grade export
or participants list), a folder is the student whose login, SIS id, ID, username, ID number or
email address is the folder's name (letter case aside), or whose email address starts with it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

from grader.catalog import ExerciseEntry
from grader.report import Report

Kind = Literal["plain", "canvas", "moodle"]
KINDS: tuple[str, ...] = get_args(Kind)
Status = Literal["graded", "not graded", "not graded yet", "rejected", "not in roster", "no folder"]
DEFAULT_ASSIGNMENT = "bpgrade"

CANVAS_STUDENT_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
# Canvas reads these as its own (not assignments) wherever they appear in a header
CANVAS_RESERVED = (
    *CANVAS_STUDENT_COLUMNS,
    "LastName",
    "FirstName",
    "Integration ID",
    "Root Account",
)
CANVAS_NOT_ASSIGNMENTS = re.compile(
    "Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade|"
    "Override Score|Override Grade|Override Status"
)
CANVAS_POINTS_POSSIBLE = "Points Possible"
NOTES_COLUMNS = ("folder", "student", "status", "score", "note")


class GradebookError(ValueError):
    """A roster that cannot be read, or an assignment name the LMS would misread."""


# -- what became of each folder ---------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One folder of the class: its report, or None when the folder was rejected or is not
    graded yet (`pending`: a batch that was stopped, or is still running, has not reached it;
    an earlier grade is not shown, as it may not be the submission's now)."""

    folder: str
    report: Report | None
    note: str = ""  # why it was rejected, or what the instructor should know of its grade
    pending: bool = False

    @property
    def status(self) -> Status:
        if self.pending:
            return "not graded yet"
        if self.report is None:
            return "rejected"
        return "not graded" if self.report.error is not None else "graded"

    @property
    def reason(self) -> str:
        if self.report is not None and self.report.error is not None:
            return self.report.error
        return self.note


# -- the roster -------------------------------------------------------------------------------


class RosterEntry(BaseModel):
    """One student of a class list exported from the LMS; the fields it did not export are
    empty."""

    model_config = ConfigDict(frozen=True)

    name: str = ""  # Canvas's Student ("Last, First"); Moodle's first and last name
    canvas_id: str = ""  # Canvas's ID
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    username: str = ""
    id_number: str = ""  # Moodle's ID number
    email: str = ""

    def identities(self) -> list[str]:
        """What a folder may be named after, lower case."""
        fields = (
            self.sis_login_id,
            self.sis_user_id,
            self.canvas_id,
            self.username,
            self.id_number,
            self.email,
        )
        return [value.strip().lower() for value in fields if value.strip()]


# the roster's columns, as Canvas's and Moodle's exports name them (letter case aside)
ROSTER_COLUMNS = {
    "student": "name",
    "id": "canvas_id",
    "sis user id": "sis_user_id",
    "sis login id": "sis_login_id",
    "section": "section",
    "username": "username",
    "id number": "id_number",
    "idnumber": "id_number",
    "email address": "email",
    "email": "email",
}
ROSTER_NAMES = ("first name", "last name")


@dataclass(frozen=True)
class Roster:
    entries: tuple[RosterEntry, ...]
    source: str = ""

    @cached_property
    def _by_identity(self) -> dict[str, list[RosterEntry]]:
        """Each identity's students, in the roster's order: made once, so that finding a
        class's folders takes one look-up each, not a pass over the roster."""
        index: dict[str, list[RosterEntry]] = {}
        for entry in self.entries:
            for identity in dict.fromkeys(entry.identities()):  # once, if two fields agree
                index.setdefault(identity, []).append(entry)
        return index

    @cached_property
    def _by_local_part(self) -> dict[str, list[RosterEntry]]:
        """Each email address's part before the @, lower case: its students."""
        index: dict[str, list[RosterEntry]] = {}
        for entry in self.entries:
            index.setdefault(entry.email.lower().partition("@")[0], []).append(entry)
        return index

    def find(self, folder: str) -> RosterEntry | str:
        """The student a folder is named after; or, when there is none or more than one, why."""
        key = folder.lower()
        found = self._by_identity.get(key, [])
        if not found:  # "jdoe" for jdoe@example.edu, when no other address starts so
            found = self._by_local_part.get(key, [])
        if len(found) == 1:
            return found[0]
        if not found:
            return f"no student of the roster {self.source} has this login, id or email"
        names = ", ".join(e.name or e.email or e.sis_login_id for e in found[:3])
        return f"more than one student of the roster {self.source} has this id ({names})"


def read_roster(path: Path) -> Roster:
    """The class list exported from the LMS. A Canvas gradebook export's `Points Possible`
    row, and rows with no identity at all, are not students."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise GradebookError(f"the roster {path} could not be read ({error})") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise GradebookError(f"the roster {path} is empty")
    header = [cell.strip().lower() for cell in rows[0]]
    columns = {i: ROSTER_COLUMNS[name] for i, name in enumerate(header) if name in ROSTER_COLUMNS}
    names = [header.index(name) for name in ROSTER_NAMES if name in header]
    if not {"canvas_id", "sis_user_id", "sis_login_id", "username", "id_number", "email"} & set(
        columns.values()
    ):
        raise GradebookError(
            f"the roster {path} has no column that identifies a student: export it from the "
            "LMS (Canvas: Grades > Export; Moodle: Grades > Export > Plain text file), or "
            "give it a column named SIS Login ID, SIS User ID, ID, Username, ID number or "
            "Email address"
        )
    entries = []
    for row in rows[1:]:
        cells = {
            name: row[i].strip() for i, name in columns.items() if i < len(row) and row[i].strip()
        }
        if CANVAS_POINTS_POSSIBLE in cells.get("name", ""):
            continue
        if names and "name" not in cells:
            cells["name"] = " ".join(row[i].strip() for i in names if i < len(row)).strip()
        entry = RosterEntry.model_validate(cells)
        if entry.identities():
            entries.append(entry)
    return Roster(tuple(entries), str(path))


# -- the rows of each format ------------------------------------------------------------------


def number(score: float) -> str:
    return f"{score:.4f}".rstrip("0").rstrip(".")


class PlainRow(BaseModel):
    student: str
    scores: list[float | None]  # one per exercise; None where nothing was graded
    total: float | None
    status: Status
    note: str = ""

    def cells(self) -> list[str]:
        scores = [*self.scores, self.total]
        return [
            self.student,
            *("" if s is None else number(s) for s in scores),
            self.status,
            self.note,
        ]


class CanvasRow(BaseModel):
    student: str
    id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    score: float | None = None  # blank: Canvas leaves the grade as it is

    def cells(self) -> list[str]:
        score = "" if self.score is None else number(self.score)
        return [
            self.student,
            self.id,
            self.sis_user_id,
            self.sis_login_id,
            self.section,
            score,
        ]


class MoodleRow(BaseModel):
    user: str  # the value of the user field the column is mapped to
    score: float

    def cells(self) -> list[str]:
        return [self.user, number(self.score)]


class NoteRow(BaseModel):
    folder: str
    student: str  # as the gradebook names them; empty when it does not
    status: Status
    score: float | None = None
    note: str = ""

    def cells(self) -> list[str]:
        score = "" if self.score is None else number(self.score)
        return [self.folder, self.student, self.status, score, self.note]


# Moodle's user fields a grade import can be matched to: the column's header, "Map to"
MOODLE_FIELDS = {
    "email": ("Email address", "useremail"),
    "id_number": ("ID number", "useridnumber"),
    "username": ("Username", "username"),
}


def _csv(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180, as the LMSs export
    writer.writerows(rows)
    return buffer.getvalue()


def check_assignment(name: str) -> str:
    """The gradebook column's name, refused where Canvas would read it as one of its own."""
    name = name.strip()
    if not name:
        raise GradebookError("the assignment's name is empty")
    if name in CANVAS_RESERVED or CANVAS_NOT_ASSIGNMENTS.search(name):
        raise GradebookError(
            f"Canvas reads a column named {name!r} as one of its own, not as an assignment; "
            "name it as the assignment is named in the LMS"
        )
    return name


@dataclass
class Gradebook:
    kind: Kind = "plain"
    assignment: str = DEFAULT_ASSIGNMENT
    roster: Roster | None = None
    _identities: dict[str, RosterEntry | str] = field(default_factory=dict, repr=False)
    # a rejected folder's student, for the notes only: it has no grade to import
    _owners: dict[str, RosterEntry] = field(default_factory=dict, repr=False)
    _twins: set[RosterEntry] = field(default_factory=set, repr=False)  # two folders or more

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise GradebookError(f"no gradebook format {self.kind!r}; the formats: {KINDS}")
        self.assignment = check_assignment(self.assignment)
        if self.kind == "moodle" and self.roster is not None:
            self._moodle_field(())  # a roster Moodle cannot use is refused before grading

    @property
    def has_notes(self) -> bool:
        """Whether the notes need a file of their own: an LMS's import has no column for them."""
        return self.kind != "plain"

    def text(self, entries: Sequence[ExerciseEntry], outcomes: Sequence[Outcome]) -> str:
        outcomes = sorted(outcomes, key=_folder)
        self._match(outcomes)
        if self.kind == "canvas":
            return self._canvas(entries, outcomes)
        if self.kind == "moodle":
            return self._moodle(outcomes)
        return self._plain(entries, outcomes)

    def notes(self, outcomes: Sequence[Outcome]) -> str:
        self._match(outcomes)
        user_field = self._user_field()
        rows = [
            NoteRow.model_validate(self._note(o, user_field)) for o in sorted(outcomes, key=_folder)
        ]
        if self.roster is not None:
            # a student some folder is named after has a row there, graded or not
            named = {*self._identities.values(), *self._owners.values(), *self._twins}
            rows += [
                NoteRow(
                    folder="",
                    student=self._shown(entry),
                    status="no folder",
                    note="in the roster, but no folder of the class is named after them",
                )
                for entry in self.roster.entries
                if entry not in named
            ]
        return _csv([NOTES_COLUMNS, *(row.cells() for row in rows)])

    def mapping(self, outcomes: Sequence[Outcome]) -> str:
        """What to choose on the LMS's import page, in words."""
        if self.kind == "moodle":
            header, field_name = MOODLE_FIELDS[self._moodle_field(outcomes)]
            return (
                f'In Moodle, identify users: Map from "{header}" to "{field_name}"; map '
                f'"{self.assignment}" to its grade item.'
            )
        if self.kind == "canvas" and self.roster is None:
            return "Canvas matches each folder's name to a student's SIS Login ID."
        return ""

    # -- who a folder is ----------------------------------------------------------------

    def _match(self, outcomes: Sequence[Outcome]) -> None:
        """Each folder's student; two folders named after one student are neither taken. A
        rejected folder has no grade, so it takes no student from a folder that has one (nor
        from another rejected one): the notes name its student, beside why it was rejected."""
        if self.roster is None:
            return
        found = {o.folder: self.roster.find(o.folder) for o in outcomes}  # a look-up each
        rejected = {o.folder for o in outcomes if o.status == "rejected"}
        self._owners = {}
        folders: dict[RosterEntry, list[str]] = {}
        for folder, student in found.items():
            if not isinstance(student, RosterEntry):
                continue
            if folder in rejected:
                self._owners[folder] = student
                found[folder] = ""
            else:
                folders.setdefault(student, []).append(folder)
        self._twins = {student for student, named in folders.items() if len(named) > 1}
        for named in folders.values():
            for folder in named if len(named) > 1 else []:
                other = next(name for name in named if name != folder)
                found[folder] = f"folder {other} is named after the same student of the roster"
        self._identities = found

    def _student(self, folder: str) -> RosterEntry | str:
        if self.roster is None:
            return "no roster"
        if folder in self._identities:
            return self._identities[folder]
        return self.roster.find(folder)

    def _shown(self, entry: RosterEntry) -> str:
        return entry.sis_login_id or entry.email or entry.username or entry.id_number or entry.name

    def _user_field(self) -> str:
        """The roster's field that names a student in the Moodle file; "" where none does."""
        if self.kind == "moodle" and self.roster is not None:
            return self._moodle_field(())
        return ""

    def _note(self, outcome: Outcome, user_field: str) -> dict[str, object]:
        owner = self._owners.get(outcome.folder)
        student = self._student(outcome.folder) if owner is None else owner
        report = outcome.report
        graded = outcome.status == "graded"
        status: Status = outcome.status
        note = outcome.reason
        if isinstance(student, str) and self.roster is not None:
            note = "; ".join(part for part in (note, student) if part)
            if graded:
                status = "not in roster"
        left_out = (
            self.kind == "moodle"
            and graded
            and (self.roster is not None and isinstance(student, str))
        )
        if left_out:
            note += "; left out of the Moodle file (Moodle stops an import at an unknown user)"
        return {
            "folder": outcome.folder,
            "student": self._name(outcome, student, user_field),
            "status": status,
            "score": report.score if report is not None and graded else None,
            "note": note,
        }

    def _name(self, outcome: Outcome, student: RosterEntry | str, user_field: str) -> str:
        if isinstance(student, RosterEntry):
            if user_field:
                return str(getattr(student, user_field))
            return self._shown(student)
        if self.kind == "moodle" and (self.roster is not None or outcome.status != "graded"):
            return ""  # not in the Moodle file
        return outcome.folder

    # -- the formats ----------------------------------------------------------------------

    def _plain(self, entries: Sequence[ExerciseEntry], outcomes: Sequence[Outcome]) -> str:
        header = ["student", *(e.name for e in entries), "total", "status", "note"]
        rows = []
        for outcome in outcomes:
            report = outcome.report
            if report is None:
                scores: list[float | None] = [None] * len(entries)
                total = None
            else:
                by_name = {e.name: e.score for e in report.exercises}
                scores = [by_name.get(e.name, 0.0) for e in entries]
                total = report.score
            row = PlainRow(
                student=outcome.folder,
                scores=scores,
                total=total,
                status=outcome.status,
                note=outcome.reason,
            )
            rows.append(row.cells())
        return _csv([header, *rows])

    def _canvas(self, entries: Sequence[ExerciseEntry], outcomes: Sequence[Outcome]) -> str:
        header = [*CANVAS_STUDENT_COLUMNS, self.assignment]
        possible = sum(e.max_score for e in entries)
        rows = [[CANVAS_POINTS_POSSIBLE, "", "", "", "", number(possible)]]
        for outcome in outcomes:
            graded = outcome.status == "graded" and outcome.report is not None
            score = outcome.report.score if graded and outcome.report is not None else None
            student = self._student(outcome.folder)
            if isinstance(student, RosterEntry):
                row = CanvasRow(
                    student=student.name or outcome.folder,
                    id=student.canvas_id,
                    sis_user_id=student.sis_user_id,
                    sis_login_id=student.sis_login_id,
                    section=student.section,
                    score=score,
                )
            else:
                # without a roster, Canvas looks the folder's name up as a login, then as a
                # name; with one, a folder it does not name is no login: Canvas must not find
                # a student by it (the notes say why), only ask about it by name
                login = outcome.folder if self.roster is None else ""
                row = CanvasRow(student=outcome.folder, sis_login_id=login, score=score)
            rows.append(row.cells())
        return _csv([header, *rows])

    def _moodle_field(self, outcomes: Sequence[Outcome]) -> str:
        """The one user field every row of the Moodle file has: the roster's email address,
        ID number or username; without a roster, the folders' names (email addresses when
        every one is)."""
        if self.roster is None:
            names = [o.folder for o in outcomes if o.status == "graded"]
            return "email" if names and all("@" in name for name in names) else "username"
        for name in MOODLE_FIELDS:
            if all(getattr(entry, name) for entry in self.roster.entries):
                return name
        raise GradebookError(
            f"the roster {self.roster.source} has no user field (email address, ID number or "
            "username) for every student, which a Moodle import needs one of"
        )

    def _moodle(self, outcomes: Sequence[Outcome]) -> str:
        field_name = self._moodle_field(outcomes)
        rows = []
        for outcome in outcomes:
            if outcome.status != "graded" or outcome.report is None:
                continue  # an empty grade would clear the grade Moodle has
            student = self._student(outcome.folder)
            if isinstance(student, RosterEntry):
                user = str(getattr(student, field_name))
            elif self.roster is None:
                user = outcome.folder
            else:
                continue  # Moodle would stop the whole import at this row
            rows.append(MoodleRow(user=user, score=outcome.report.score).cells())
        return _csv([[MOODLE_FIELDS[field_name][0], self.assignment], *rows])


def _folder(outcome: Outcome) -> str:
    return outcome.folder
