"""Who the student is, read the way each platform documents it, and the course's secrets
locked away; metadata files are written here exactly as the platforms describe them."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from grader.catalog import Catalog, ExerciseEntry
from grader.formats import gradescope, prairielearn
from grader.platforms import (
    GRADESCOPE_ROOT,
    PRAIRIELEARN_ROOT,
    gradescope_layout,
    gradescope_student_id,
    lock_course,
    prairielearn_layout,
    prairielearn_student_id,
    student_id,
)
from grader.report import CheckReport, ExerciseReport, summarize

from .conftest import EXERCISES, SOLUTIONS, grade_file


def gradescope_metadata(users: list[dict[str, Any]]) -> dict[str, Any]:
    """submission_metadata.json as Gradescope's autograder docs show it."""
    return {
        "id": 123456,
        "created_at": "2018-07-01T14:22:32.365935-07:00",
        "assignment": {
            "due_date": "2018-07-31T23:00:00.000000-07:00",
            "group_size": 4,
            "group_submission": True,
            "id": 25828,
            "course_id": 1234,
            "late_due_date": None,
            "release_date": "2018-07-02T00:00:00.000000-07:00",
            "title": "Programming Assignment 1",
            "total_points": "20.0",
        },
        "submission_method": "upload",
        "users": users,
        "previous_submissions": [
            {
                "submission_time": "2017-04-06T14:24:48.087023-07:00",
                "score": 0.0,
                "results": {"score": 0.0, "tests": []},
            }
        ],
    }


def prairielearn_data(variant_seed: Any) -> dict[str, Any]:
    """data.json as PrairieLearn's external grader writes it (the question's `data`)."""
    return {
        "params": {},
        "correct_answers": {},
        "submitted_answers": {
            "_files": [{"name": "exercise03_linear.py", "contents": "aW1wb3J0IG51bXB5"}]
        },
        "format_errors": {},
        "partial_scores": {},
        "score": 0,
        "feedback": {},
        "variant_seed": variant_seed,
        "options": {},
        "raw_submitted_answers": {},
        "gradable": True,
    }


def gradescope_root(tmp_path: Path, metadata: Any) -> Path:
    """/autograder laid out as Gradescope lays it out; returns the submission folder."""
    layout = gradescope_layout(tmp_path / "autograder")
    layout.submission.mkdir(parents=True)
    text = metadata if isinstance(metadata, str) else json.dumps(metadata)
    layout.metadata.write_text(text, encoding="utf-8")
    return layout.submission


def prairielearn_root(tmp_path: Path, data: Any) -> Path:
    """/grade laid out as PrairieLearn lays it out; returns the student folder."""
    layout = prairielearn_layout(tmp_path / "grade")
    layout.student.mkdir(parents=True)
    layout.data.parent.mkdir(parents=True)
    text = data if isinstance(data, str) else json.dumps(data)
    layout.data.write_text(text, encoding="utf-8")
    return layout.student


STUDENT = {"email": "student@example.com", "id": 1234, "name": "Student User"}


def test_gradescope_user_id_of_the_submitter(tmp_path: Path) -> None:
    submission = gradescope_root(tmp_path, gradescope_metadata([STUDENT]))
    assert student_id(submission) == "1234"


def test_a_gradescope_group_shares_one_id_whatever_the_order(tmp_path: Path) -> None:
    partner = {"email": "partner@example.com", "id": 987, "name": "Partner"}
    one = gradescope_root(tmp_path / "a", gradescope_metadata([STUDENT, partner]))
    other = gradescope_root(tmp_path / "b", gradescope_metadata([partner, STUDENT]))
    assert student_id(one) == student_id(other) == "987+1234"


def test_the_group_id_documented_for_instructors_is_the_one_made(tmp_path: Path) -> None:
    """docs/platforms.md tells instructors which id reproduces a group's hidden cases; an id
    that differs from the one graded reproduces other cases."""
    docs = (Path(__file__).resolve().parents[1] / "docs" / "platforms.md").read_text()
    documented = re.findall(r"`(\d+)\+(\d+)`", docs)
    assert documented, "docs/platforms.md no longer shows a group id"
    for first, second in documented:
        users = [{"id": int(second), "name": "B"}, {"id": int(first), "name": "A"}]
        submission = gradescope_root(tmp_path / f"{first}-{second}", gradescope_metadata(users))
        assert student_id(submission) == f"{first}+{second}"


def test_group_ids_that_are_not_numbers_sort_after_numbers(tmp_path: Path) -> None:
    users: list[dict[str, Any]] = [{"id": "b7"}, {"id": 30}, {"id": "a9"}, {"id": 4}]
    assert student_id(gradescope_root(tmp_path, gradescope_metadata(users))) == "4+30+a9+b7"


def test_the_email_is_never_the_id(tmp_path: Path) -> None:
    no_id = {"email": "student@example.com", "name": "Student User"}
    assert student_id(gradescope_root(tmp_path, gradescope_metadata([no_id]))) is None


@pytest.mark.parametrize(
    "metadata",
    [
        "",
        "{not json",
        "[]",
        json.dumps({"users": "1234"}),
        json.dumps({"users": []}),
        json.dumps({"users": [None, 5]}),
        json.dumps(gradescope_metadata([{"id": True}])),
        json.dumps(gradescope_metadata([{"id": None}])),
        json.dumps(gradescope_metadata([{"id": "12; rm -rf /"}])),
        json.dumps(gradescope_metadata([{"id": ""}])),
        json.dumps(gradescope_metadata([{"id": 1.5}])),
        "\udcff",  # not UTF-8 once written
    ],
    ids=[
        "empty",
        "malformed",
        "list",
        "users-not-a-list",
        "no-users",
        "users-not-objects",
        "bool-id",
        "null-id",
        "shell-id",
        "empty-id",
        "float-id",
        "not-utf8",
    ],
)
def test_malformed_gradescope_metadata_gives_none(tmp_path: Path, metadata: str) -> None:
    layout = gradescope_layout(tmp_path)
    layout.submission.mkdir(parents=True)
    layout.metadata.write_bytes(metadata.encode("utf-8", "surrogateescape"))
    assert student_id(layout.submission) is None


def test_a_gradescope_id_given_as_text_is_kept(tmp_path: Path) -> None:
    submission = gradescope_root(tmp_path, gradescope_metadata([{**STUDENT, "id": "u-1234"}]))
    assert student_id(submission) == "u-1234"


def test_prairielearn_variant_seed(tmp_path: Path) -> None:
    student = prairielearn_root(tmp_path, prairielearn_data(1848203611))
    assert student_id(student) == "1848203611"


@pytest.mark.parametrize("seed", [None, True, "", "a b", [1], {"seed": 1}])
def test_a_prairielearn_data_file_without_a_seed_gives_none(tmp_path: Path, seed: Any) -> None:
    assert student_id(prairielearn_root(tmp_path, prairielearn_data(seed))) is None


@pytest.mark.parametrize("data", ["", "{", "null", "[1, 2]"])
def test_malformed_prairielearn_data_gives_none(tmp_path: Path, data: str) -> None:
    assert student_id(prairielearn_root(tmp_path, data)) is None


def test_no_metadata_at_all_gives_none(tmp_path: Path) -> None:
    folder = tmp_path / "submission"
    folder.mkdir()
    assert student_id(folder) is None
    assert student_id(tmp_path / "missing") is None


def test_a_metadata_path_that_is_a_folder_gives_none(tmp_path: Path) -> None:
    (tmp_path / "submission_metadata.json").mkdir()
    assert gradescope_student_id(tmp_path / "submission_metadata.json") is None
    assert prairielearn_student_id(tmp_path) is None


def test_a_relative_submission_path_finds_its_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gradescope_root(tmp_path, gradescope_metadata([STUDENT]))
    monkeypatch.chdir(tmp_path / "autograder")
    assert student_id(Path("submission")) == "1234"


def test_the_documented_layouts() -> None:
    assert Path("/autograder") == GRADESCOPE_ROOT
    assert gradescope_layout().submission == Path("/autograder/submission")
    assert gradescope_layout().metadata == Path("/autograder/submission_metadata.json")
    assert gradescope_layout().results == Path("/autograder/results/results.json")
    assert gradescope_layout().source == Path("/autograder/source")
    assert Path("/grade") == PRAIRIELEARN_ROOT
    assert prairielearn_layout().student == Path("/grade/student")
    assert prairielearn_layout().data == Path("/grade/data/data.json")
    assert prairielearn_layout().results == Path("/grade/results/results.json")
    assert prairielearn_layout().server_files == Path("/grade/serverFilesCourse")


def test_lock_course_leaves_solutions_and_quizzes_to_their_owner(tmp_path: Path) -> None:
    for folder in ("exercises", "solutions", "quizzes", "solutions/deep"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "file.py").write_text("x = 1\n")
    for path in tmp_path.rglob("*"):
        path.chmod(0o777 if path.is_dir() else 0o666)

    locked = lock_course(tmp_path)

    assert locked == [tmp_path / "solutions", tmp_path / "quizzes"]
    for folder in ("solutions", "quizzes"):
        for path in [tmp_path / folder, *(tmp_path / folder).rglob("*")]:
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
            assert stat.S_IMODE(path.stat().st_mode) & 0o600 == 0o600, path
    assert stat.S_IMODE((tmp_path / "exercises" / "file.py").stat().st_mode) == 0o666


def test_lock_course_without_quizzes(tmp_path: Path) -> None:
    (tmp_path / "solutions").mkdir()
    assert lock_course(tmp_path) == [tmp_path / "solutions"]


# ---------------------------------------------------------------- what each platform is told


def exercise_entry(catalog: Catalog, name: str) -> ExerciseEntry:
    found = catalog.find(name)
    assert found is not None
    return found


def test_prairielearn_does_not_grade_a_file_with_a_syntax_error(
    tmp_path: Path, catalog: Catalog
) -> None:
    """PrairieLearn's docs give a syntax error as the example of `gradable: false`: the
    student keeps the attempt, and is told why."""
    entry = exercise_entry(catalog, "exercise03")
    broken = tmp_path / "broken.py"
    broken.write_text("import numpy as np\n\ndef linear_forward(X, W, b:\n    return X\n")
    report = summarize([grade_file(entry, broken, tmp_path / "student", student="7")])

    data = json.loads(prairielearn.render(report))

    assert data["gradable"] is False
    assert data["tests"] == []
    assert data["message"] == prairielearn.NOT_COMPILED
    (error,) = data["format_errors"]
    assert "exercise03_linear.py has a syntax error" in error and "line 3" in error


def test_prairielearn_grades_a_file_that_compiles_but_fails_to_import(
    tmp_path: Path, catalog: Catalog
) -> None:
    entry = exercise_entry(catalog, "exercise03")
    failing = tmp_path / "failing.py"
    # words that mimic the runner's own sentence for a syntax error do not make it one
    failing.write_text("raise SyntaxError('exercise03_linear.py has a syntax error: not really')\n")
    report = summarize([grade_file(entry, failing, tmp_path / "student")])

    data = json.loads(prairielearn.render(report))

    assert data["gradable"] is True and data["score"] == 0.0
    assert "format_errors" not in data
    assert all("raised SyntaxError" in test["message"] for test in data["tests"])


def test_prairielearn_grades_the_other_files_beside_one_that_does_not_compile(
    tmp_path: Path, catalog: Catalog
) -> None:
    folder = tmp_path / "student"
    good = grade_file(
        exercise_entry(catalog, "exercise03"), SOLUTIONS / "exercise03_linear.py", folder
    )
    (tmp_path / "bad.py").write_text("def sigmoid(:\n")
    bad = grade_file(exercise_entry(catalog, "exercise02"), tmp_path / "bad.py", folder)

    data = json.loads(prairielearn.render(summarize([good, bad])))

    assert data["gradable"] is True
    assert data["score"] == pytest.approx(good.max_score / (good.max_score + bad.max_score))


def test_prairielearn_promises_no_release_it_cannot_make(tmp_path: Path, catalog: Catalog) -> None:
    entry = exercise_entry(catalog, "exercise03")
    exercise = grade_file(entry, EXERCISES / entry.file, tmp_path / "student", student="7")
    assert any(check.hidden for check in exercise.checks)

    text = prairielearn.render(summarize([exercise]))

    assert prairielearn.WITHHELD_HERE in text
    for promise in ("after the deadline", "after the due date", "later"):
        assert promise not in text.lower()


def test_gradescope_gives_what_the_code_printed_the_status_of_its_exercise() -> None:
    def exercise(passed: bool) -> ExerciseReport:
        check = CheckReport(
            name="f", title="f", passed=passed, score=float(passed), max_score=1.0, message=""
        )
        return ExerciseReport(
            name="exercise03",
            title="t",
            file="exercise03_linear.py",
            status="passed" if passed else "failed",
            score=check.score,
            max_score=1.0,
            checks=[check],
            output="hello\n",
        )

    for passed, status in ((True, "passed"), (False, "failed")):
        tests = json.loads(gradescope.render(summarize([exercise(passed)])))["tests"]
        (printed,) = [t for t in tests if t["name"].endswith("what your code printed")]
        assert printed["status"] == status
        assert printed["max_score"] == 0
        assert all(t.get("status") in ("passed", "failed") for t in tests)
