"""A class graded by `bpgrade grade --jobs 2` as root, with an attacker among honest classmates
(issue 9). The attacker (tests/hostile/batch_sabotage/) finds the batch through the grader's
command line, reads and runs its classmates' files to copy their answers, reads the gradebook
and the reports, writes into its classmates' scratch and workspace, SIGSTOPs and SIGKILLs every
process it can see that is not its own, and leaves a process that goes on killing for 40 s.
The class lies in a world-readable folder, as an instructor's course folder does under the
usual umask: what keeps learner code out must be the sandbox, not the folder's modes.

Contained, it changes nothing but its own grade: every honest classmate gets full marks, the
run reports no error and exits 0, the attacker gets only its honest points, the gradebook's
totals are right, nothing of the batch reached the attacker (no marker in any report, no
classmate in its report, no file of its own among the reports, the submissions unchanged), the
whole run takes under a minute, and nothing of the learner's uids is left afterwards.

These protections exist only for a root grader (each submission's code runs as a uid of its
own): every test here skips when not root.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.report import Report
from grader.sandbox import is_root

from .conftest import SOLUTIONS
from .hostile import leftovers
from .test_hostile import BPGRADE, CATALOG, FULL, HOSTILE, MARKER, honest_score

pytestmark = pytest.mark.skipif(
    not is_root(), reason="these protections exist only for a root grader"
)

TIMEOUT = 2.0
SECONDS = 60.0  # the whole batch, five students, two at a time
# sorted, the attacker is graded third: two classmates are graded (and reported) before it,
# two after it, and one beside it
CLASSMATES = ("a-honest", "b-honest", "x-honest", "y-honest")
ATTACKER = "m-attacker"
ATTACK = {"exercise": "exercise03", "passes": ["linear_forward"]}
EXERCISES = [entry.name for entry in CATALOG.exercises]


@dataclass
class Batch:
    submissions: Path
    csv: Path
    process: subprocess.CompletedProcess[str]
    seconds: float
    before: dict[str, str]  # digests of the submissions' files before grading
    left: leftovers.Leftovers

    @property
    def reports(self) -> Path:
        return self.csv.with_name(f"{self.csv.stem}-reports")

    def report(self, student: str) -> Report:
        return Report.model_validate_json((self.reports / f"{student}.json").read_text())

    def rows(self) -> dict[str, dict[str, str]]:
        with open(self.csv, newline="") as file:
            return {row["student"]: row for row in csv.DictReader(file)}


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _class(submissions: Path) -> None:
    for number, student in enumerate((*CLASSMATES, ATTACKER)):
        # every other student keeps the files in exercises/, as a platform's upload may
        folder = submissions / student / ("exercises" if number % 2 else "")
        folder.mkdir(parents=True, mode=0o755)
        for solution in SOLUTIONS.glob("exercise*.py"):
            shutil.copyfile(solution, folder / solution.name)
            (folder / solution.name).chmod(0o644)
        if student == ATTACKER:
            for hostile in (HOSTILE / "batch_sabotage").glob("*.py"):
                shutil.copyfile(hostile, folder / hostile.name)


@pytest.fixture(scope="module")
def batch() -> Iterator[Batch]:
    if not is_root():
        pytest.skip("these protections exist only for a root grader")
    # world-readable, as an instructor's course folder under the usual umask is: what keeps
    # learner code out must be the sandbox, not the folder's modes
    base = Path(tempfile.mkdtemp(prefix="bpgrade-batch-attacks-"))
    try:
        base.chmod(0o755)
        yield _grade_class(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _grade_class(base: Path) -> Batch:
    submissions = base / "submissions"
    _class(submissions)
    before = _digests(submissions)
    output = base / "out" / "grades.csv"
    output.parent.mkdir(mode=0o755)
    mark = leftovers.now()
    started = time.monotonic()
    process = subprocess.run(
        [
            BPGRADE,
            "grade",
            str(submissions),
            "-o",
            str(output),
            "--jobs",
            "2",
            "--timeout",
            str(TIMEOUT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    seconds = time.monotonic() - started
    deadline = time.monotonic() + 1.0
    left = leftovers.find(mark)
    while left.processes and time.monotonic() < deadline:
        time.sleep(0.05)
        left = leftovers.find(mark)
    if left:
        leftovers.remove(mark)  # the killer and its kind: not for the tests after these
    return Batch(submissions, output, process, seconds, before, left)


def test_the_run_reports_no_error(batch: Batch) -> None:
    assert batch.process.returncode == 0, batch.process.stderr
    assert "Graded 5, skipped 0, errors 0, rejected folders 0" in batch.process.stdout


def test_honest_classmates_get_full_marks(batch: Batch) -> None:
    rows = batch.rows()
    for student in CLASSMATES:
        report = batch.report(student)
        assert report.error is None, report.error
        assert {e.name: e.score for e in report.exercises} == FULL, student
        assert report.score == pytest.approx(sum(FULL.values()))
        assert [float(rows[student][name]) for name in EXERCISES] == list(FULL.values())
        failing = [c.name for e in report.exercises for c in e.checks if not c.passed]
        assert not failing, f"{student}: {failing}"


def test_the_attacker_gets_only_its_honest_points(batch: Batch) -> None:
    report = batch.report(ATTACKER)
    scores = {e.name: e.score for e in report.exercises}
    honest = honest_score(ATTACK)
    assert scores == {**FULL, "exercise03": honest}, report.exercises[2]
    assert float(batch.rows()[ATTACKER]["total"]) == pytest.approx(
        sum(FULL.values()) - FULL["exercise03"] + honest
    )


def test_the_gradebook_has_the_class_and_right_totals(batch: Batch) -> None:
    rows = batch.rows()
    assert sorted(rows) == sorted((*CLASSMATES, ATTACKER))
    for student, row in rows.items():
        total = sum(float(row[name]) for name in EXERCISES)
        assert float(row["total"]) == pytest.approx(total)
        assert float(row["total"]) == pytest.approx(batch.report(student).score)


def test_nothing_of_the_batch_reached_the_attacker(batch: Batch) -> None:
    expected = {f"{s}.{kind}" for s in (*CLASSMATES, ATTACKER) for kind in ("json", "md", "sha256")}
    assert {p.name for p in batch.reports.iterdir()} == expected
    texts = [batch.csv.read_text(), *(p.read_text() for p in batch.reports.iterdir())]
    assert not [text[:200] for text in texts if MARKER in text]
    attacker = (batch.reports / f"{ATTACKER}.json").read_text()
    assert not [student for student in CLASSMATES if student in attacker]
    assert _digests(batch.submissions) == batch.before


def test_nothing_of_the_learners_is_left(batch: Batch) -> None:
    assert not batch.left, batch.left.describe()


def test_the_batch_takes_under_a_minute(batch: Batch) -> None:
    assert batch.seconds < SECONDS
