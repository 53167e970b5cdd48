"""Where each grading platform puts things, and who the student is.

Gradescope and PrairieLearn both run a grader as root in a fresh container, with the
submission in a well-known folder and a metadata file beside it:

    /autograder/                        Gradescope (the "zip file upload" autograder)
        source/                         the autograder zip, unpacked
        submission/                     the student's files
        submission_metadata.json        who submitted, when, for which assignment
        results/results.json            what the grader must write

    /grade/                             PrairieLearn's external grader
        serverFilesCourse/              the course files the question asked for
        student/                        the student's files
        data/data.json                  the question's `data` object
        results/results.json            what the grader must write

`student_id(submission)` reads the metadata beside a submission folder, so that
`bpgrade check --dir SUBMISSION` can seed the student's own hidden cases without being
told who the student is. Nothing here raises: a missing or malformed file means "no
identity", and grading goes on with the public cases.

`lock_course(course)` makes the reference solutions and quiz keys readable by their owner
(root, on a platform) only, before any learner code runs.
"""

from __future__ import annotations

import json
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.files import tree

GRADESCOPE_ROOT = Path("/autograder")
PRAIRIELEARN_ROOT = Path("/grade")

# An identity ends up on a command line and in reports: keep it to plain characters.
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$")
# What learner code must never read: the reference solutions, the check specs (their mistake
# models are near-solutions) and the quizzes' answer keys.
SECRET_FOLDERS = ("solutions", "specs", "quizzes")
# Metadata files are small; a huge one is not what the platform wrote.
_MAX_METADATA_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class GradescopeLayout:
    """The paths Gradescope documents, under `root` (/autograder on Gradescope)."""

    root: Path = GRADESCOPE_ROOT

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def submission(self) -> Path:
        return self.root / "submission"

    @property
    def metadata(self) -> Path:
        return self.root / "submission_metadata.json"

    @property
    def results(self) -> Path:
        return self.root / "results" / "results.json"


@dataclass(frozen=True)
class PrairieLearnLayout:
    """The paths PrairieLearn's external grader documents, under `root` (/grade)."""

    root: Path = PRAIRIELEARN_ROOT

    @property
    def server_files(self) -> Path:
        return self.root / "serverFilesCourse"

    @property
    def student(self) -> Path:
        return self.root / "student"

    @property
    def data(self) -> Path:
        return self.root / "data" / "data.json"

    @property
    def results(self) -> Path:
        return self.root / "results" / "results.json"


def gradescope_layout(root: Path = GRADESCOPE_ROOT) -> GradescopeLayout:
    return GradescopeLayout(Path(root))


def prairielearn_layout(root: Path = PRAIRIELEARN_ROOT) -> PrairieLearnLayout:
    return PrairieLearnLayout(Path(root))


def student_id(submission: Path) -> str | None:
    """The student's identity from the platform metadata beside `submission`, or None.

    Gradescope first (submission_metadata.json beside the submission folder), then
    PrairieLearn (data/data.json beside the student folder).
    """
    parent = Path(submission).absolute().parent
    return gradescope_student_id(parent / "submission_metadata.json") or prairielearn_student_id(
        parent / "data" / "data.json"
    )


def gradescope_student_id(metadata: Path) -> str | None:
    """The submitters' Gradescope user ids, from `users[].id` of submission_metadata.json.

    The user id, not the email or the name: it is Gradescope's own key for the account, so
    it survives a change of email address, it is the same on every assignment and every
    resubmission, and it is not personal data in a report. A group submission lists every
    member; their ids are joined with "+" in ascending order (numbers as numbers, so 987
    comes before 1234: `987+1234`), so the whole group shares one set of cases whatever order
    Gradescope lists them in, and an instructor who sorts the ids by hand gets the same id.
    """
    document = _read_json(metadata)
    users = document.get("users") if isinstance(document, dict) else None
    if not isinstance(users, list):
        return None
    found = {_plain_id(user.get("id")) for user in users if isinstance(user, dict)}
    ids = sorted((i for i in found if i is not None), key=_ascending)
    if not ids:
        return None
    joined = "+".join(ids)
    return joined if _SAFE_ID.match(joined) else None


def _ascending(identity: str) -> tuple[int, int, str]:
    # Gradescope's ids are numbers: as text, "1234" would sort before "987"
    if identity.isascii() and identity.isdigit():
        return (0, int(identity), identity)
    return (1, 0, identity)


def prairielearn_student_id(data: Path) -> str | None:
    """The variant's seed, from `variant_seed` of PrairieLearn's data.json.

    PrairieLearn keeps the student's identity out of question code by design: data.json
    carries the fields of the question's `data` object (params, submitted_answers,
    variant_seed, ...), never the user. Each student works on their own variant, and the
    variant's seed is stable across that variant's resubmissions and shown to staff, so it
    does what a student id does here: students cannot share outputs, and the instructor
    can reproduce a student's cases.
    """
    document = _read_json(data)
    if not isinstance(document, dict):
        return None
    return _plain_id(document.get("variant_seed"))


def _plain_id(value: Any) -> str | None:
    # bool is an int in Python; `true` is not an id
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and _SAFE_ID.match(value.strip()):
        return value.strip()
    return None


def _read_json(path: Path) -> Any:
    try:
        if not path.is_file() or path.stat().st_size > _MAX_METADATA_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None


def lock_course(course: Path) -> list[Path]:
    """Make the course's reference solutions and quiz keys readable by their owner only.

    On a platform the grader runs as root and learner code as an unprivileged user, so
    dropping the group and other bits is what keeps a submission from opening (or printing
    into its feedback) the answers. Returns the folders locked.
    """
    locked = []
    for name in SECRET_FOLDERS:
        folder = Path(course) / name
        if not folder.is_dir():
            continue
        for path in tree(folder):
            if not path.is_symlink():  # the folder itself may be one
                path.chmod(stat.S_IMODE(path.stat().st_mode) & ~0o077)
        locked.append(folder)
    return locked
