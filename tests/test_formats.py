"""The results formats: each platform's output validates against a schema written by hand
from that platform's documentation (tests/schemas/), independently of the models that make
it, and says what a student may see, no more.

The reports are real: the reference solutions, the untouched stubs, and a mixed submission
(one exercise right, one with a syntax error, one with a known mistake, one that prints,
the rest not started) graded with a student id, so with hidden-case checks. One more is built by
hand for what grading cannot easily produce: a hidden-case check shown at once, markup and
control characters in feedback, undecodable output.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lxml import etree

from grader.catalog import Catalog
from grader.formats import FORMATS, github, render, write_results
from grader.formats._common import GRADING_BROKE, WITHHELD, points
from grader.formats.prairielearn import WITHHELD_HERE
from grader.grading import grade
from grader.report import (
    CheckReport,
    ExerciseReport,
    QuestionReport,
    QuizReport,
    Report,
    summarize,
)

from .classroom_reporter import js_number, reporter_view
from .conftest import course_total

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
CORPUS = ROOT / "tests" / "corpus"
SCHEMAS = Path(__file__).resolve().parent / "schemas"

PLATFORMS = ("gradescope", "prairielearn", "junit", "github")
JSON_PLATFORMS = ("gradescope", "prairielearn", "github")
REPORTS = ("passed", "stubs", "mixed", "broken", "crafted")

NOTE = "not root: the sandbox could not drop privileges (SANDBOX-NOTE)"
PRINTED = 'loss is <&> "ok" ü\n'
# Markup, entities, a CDATA end, non-ASCII and an ANSI colour, all in one feedback text.
NASTY = 'expected <b>dW</b> & "dX" ]]> ü 漢字 ∂L/∂W ✓\n  \x1b[31mred\x1b[0m\ttab'
SECRET_AT_ONCE = "SECRET-INPUT-42"
SECRET_LATER = "SECRET-INPUT-43"
DW = "exercise03 linear_backward.dW"  # the mistaken check, as a test's name starts

QUIZZES = [
    QuizReport(
        quiz="chain-rule",
        seed=3,
        score=2.0,
        max_score=3.0,
        questions=[
            QuestionReport(id="q1", score=2.0, max_score=2.0, correct=True),
            QuestionReport(id="q2", score=0.0, max_score=1.0, correct=False),
        ],
    ),
    QuizReport(
        quiz="shapes",
        seed=8,
        score=1.0,
        max_score=1.0,
        questions=[QuestionReport(id="q1", score=1.0, max_score=1.0, correct=True)],
    ),
]


# ----------------------------------------------------------------------------- reports


def _mixed_submission(folder: Path, catalog: Catalog) -> Path:
    """Every exercise of the course not started (its stub), but for the first four."""
    folder.mkdir(parents=True, exist_ok=True)
    for entry in catalog.exercises:
        shutil.copy(EXERCISES / entry.file, folder)
    shutil.copy(SOLUTIONS / "exercise01_chain_rule.py", folder)
    (folder / "exercise02_activations.py").write_text("def sigmoid(:\n")
    shutil.copy(CORPUS / "exercise03" / "bug_transposed_dw.py", folder / "exercise03_linear.py")
    losses = (SOLUTIONS / "exercise04_losses.py").read_text()
    printing = f"print({PRINTED.rstrip()!r})\ndef mse_loss("
    (folder / "exercise04_losses.py").write_text(losses.replace("def mse_loss(", printing, 1))
    return folder


def _crafted() -> Report:
    def check(name: str, passed: bool, message: str, **extra: Any) -> CheckReport:
        points = 2.0
        return CheckReport(
            name=name,
            title=f"the {name}",
            passed=passed,
            score=points if passed else 0.0,
            max_score=points,
            message=message,
            **extra,
        )

    shown = ExerciseReport(
        name="exercise03",
        title="A linear layer — ü",
        file="exercise03_linear.py",
        status="failed",
        score=2.0,
        max_score=4.0,
        checks=[
            check("linear_forward", True, "right on all 4 inputs."),
            check("linear_backward.dW", False, NASTY, diagnosis="transposed"),
        ],
        output="printed <&> ü \x1b[0m \udcff\n",
    )
    hidden = ExerciseReport(
        name="exercise04",
        title="Losses",
        file="exercise04_losses.py",
        status="failed",
        score=2.0,
        max_score=6.0,
        checks=[
            check("mse_loss", True, "right on all 3 inputs."),
            check("mse_loss:hidden", False, f"wrong on {SECRET_AT_ONCE}", hidden=True),
            check(
                "mse_backward:hidden",
                False,
                f"wrong on {SECRET_LATER}",
                hidden=True,
                visibility="after_due_date",
            ),
        ],
        output=f"the hidden input was {SECRET_LATER}\n",
    )
    report = summarize([shown, hidden], QUIZZES)
    report.student = "alice"
    report.notes = [NOTE]
    return report


@pytest.fixture(scope="module")
def reports(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    entries = catalog.exercises
    folder = _mixed_submission(tmp_path_factory.mktemp("submission"), catalog)
    graded = grade(entries, folder, SOLUTIONS, student="alice")
    mixed = summarize(graded.exercises, QUIZZES)
    mixed.student = graded.student
    mixed.notes = [NOTE]
    broken = mixed.model_copy(
        update={"error": "the reference solution for exercise03 failed to import"}
    )
    return {
        "passed": grade(entries, SOLUTIONS, SOLUTIONS),
        "stubs": grade(entries, EXERCISES, SOLUTIONS),
        "mixed": mixed,
        "broken": broken,
        "crafted": _crafted(),
        # as a GitHub Classroom template grades it: no student id, so no hidden cases
        "partial": summarize(grade(entries, folder, SOLUTIONS).exercises, QUIZZES),
    }


def test_the_mixed_submission_grades_as_intended(
    reports: dict[str, Report], catalog: Catalog
) -> None:
    """The fixtures the other tests rely on: every status, hidden checks, printed output."""
    mixed = reports["mixed"]
    statuses = {e.name: e.status for e in mixed.exercises}
    assert statuses == {
        **{e.name: "not_started" for e in catalog.exercises},
        "exercise01": "passed",
        "exercise02": "error",
        "exercise03": "failed",
        "exercise04": "passed",
        "exercise05": "not_started",
    }
    assert any(c.hidden for e in mixed.exercises for c in e.checks)
    assert "ü" in mixed.exercises[3].output
    assert reports["passed"].all_passed


# ----------------------------------------------------------------------------- helpers


def _schema(fmt: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{fmt}.schema.json").read_text(encoding="utf-8"))


def _junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "junit.xsd")))


def _as_json(report: Report, fmt: str) -> dict[str, Any]:
    return json.loads(render(report, fmt))


def _as_xml(report: Report) -> ET.Element:
    return ET.fromstring(render(report, "junit"))


def _checks(report: Report) -> list[CheckReport]:
    return [check for exercise in report.exercises for check in exercise.checks]


def _strings(data: Any) -> list[str]:
    """Every string in a JSON document, keys left out."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for value in data.values() for s in _strings(value)]
    if isinstance(data, list):
        return [s for value in data for s in _strings(value)]
    return []


# ----------------------------------------------------------------------------- all formats


def test_the_five_formats() -> None:
    assert FORMATS == ("json", "gradescope", "prairielearn", "junit", "github")


def test_an_unknown_format_is_refused_with_the_valid_ones(reports: dict[str, Report]) -> None:
    with pytest.raises(ValueError, match="gradescope, prairielearn"):
        render(reports["passed"], "moodle")


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize("fmt", JSON_PLATFORMS)
def test_json_formats_validate_against_the_documented_schema(
    reports: dict[str, Report], fmt: str, name: str
) -> None:
    schema = _schema(fmt)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(_as_json(reports[name], fmt))


@pytest.mark.parametrize("name", REPORTS)
def test_junit_validates_against_the_junit_schema(reports: dict[str, Report], name: str) -> None:
    document = etree.fromstring(render(reports[name], "junit").encode("utf-8"))
    schema = _junit_schema()
    assert schema.validate(document), schema.error_log


@pytest.mark.parametrize("name", REPORTS)
def test_json_is_the_report_itself(reports: dict[str, Report], name: str) -> None:
    text = render(reports[name], "json")
    again = Report.model_validate_json(text)
    if name != "crafted":  # the crafted report's undecodable output is escaped
        assert again == reports[name]
    assert json.loads(text)["score"] == reports[name].score


@pytest.mark.parametrize("fmt", PLATFORMS)
def test_every_quiz_appears_with_its_questions(reports: dict[str, Report], fmt: str) -> None:
    text = render(reports["mixed"], fmt)
    assert "quiz chain-rule (seed 3): 2/3 points" in text
    assert "q1: 2/2, correct" in text
    assert "q2: 0/1, wrong" in text
    assert "quiz shapes (seed 8)" in text


def test_json_keeps_the_quizzes(reports: dict[str, Report]) -> None:
    data = json.loads(render(reports["mixed"], "json"))
    assert [q["quiz"] for q in data["quizzes"]] == ["chain-rule", "shapes"]


@pytest.mark.parametrize("fmt", PLATFORMS)
def test_sandbox_notes_are_never_shown(reports: dict[str, Report], fmt: str) -> None:
    """Notes are for instructors: only Gradescope's extra_data, which students do not see,
    may hold them."""
    text = render(reports["mixed"], fmt)
    if fmt == "gradescope":
        data = json.loads(text)
        assert data["extra_data"]["sandbox_notes"] == [NOTE]
        del data["extra_data"]
        text = json.dumps(data)
    assert "SANDBOX-NOTE" not in text


@pytest.mark.parametrize("fmt", ("prairielearn", "junit", "github"))
def test_platforms_without_visibility_never_show_hidden_cases(
    reports: dict[str, Report], fmt: str
) -> None:
    text = render(reports["crafted"], fmt)
    assert SECRET_AT_ONCE not in text
    assert SECRET_LATER not in text
    # PrairieLearn shows a test once and for good: its note promises no later release
    assert (WITHHELD_HERE if fmt == "prairielearn" else WITHHELD) in text


@pytest.mark.parametrize("fmt", PLATFORMS)
def test_undecodable_output_does_not_break_any_format(reports: dict[str, Report], fmt: str) -> None:
    render(reports["crafted"], fmt).encode("utf-8")


def test_undecodable_output_is_escaped_in_json(reports: dict[str, Report]) -> None:
    data = json.loads(render(reports["crafted"], "json"))
    assert "\\udcff" in data["exercises"][0]["output"]


# ----------------------------------------------------------------------------- gradescope


def test_gradescope_has_one_test_per_check_quiz_and_printout(reports: dict[str, Report]) -> None:
    report = reports["mixed"]
    tests = _as_json(report, "gradescope")["tests"]
    printouts = [e for e in report.exercises if e.output]
    assert len(tests) == len(_checks(report)) + len(report.quizzes) + len(printouts)
    names = [t["name"] for t in tests]
    for exercise in report.exercises:
        for check in exercise.checks:  # a student sees the exercise and the check
            assert f"{exercise.name} {check.name}: {check.title}" in names
    assert len(set(names)) == len(tests)
    assert len({t["number"] for t in tests}) == len(tests)


@pytest.mark.parametrize("name", ("passed", "stubs", "mixed", "crafted"))
def test_gradescope_scores_add_up(reports: dict[str, Report], name: str) -> None:
    report = reports[name]
    data = _as_json(report, "gradescope")
    assert data["score"] == pytest.approx(report.score)
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(report.score)
    assert sum(t["max_score"] for t in data["tests"]) == pytest.approx(report.max_score)


def test_gradescope_statuses_follow_the_checks(reports: dict[str, Report]) -> None:
    report = reports["mixed"]
    tests = _as_json(report, "gradescope")["tests"]
    by_name = {t["name"]: t for t in tests}
    for exercise in report.exercises:
        for check in exercise.checks:
            test = by_name[f"{exercise.name} {check.name}: {check.title}"]
            assert test["status"] == ("passed" if check.passed else "failed")
            assert test["visibility"] == check.visibility


def test_gradescope_all_passed_summary(reports: dict[str, Report], catalog: Catalog) -> None:
    data = _as_json(reports["passed"], "gradescope")
    total = course_total(catalog)
    assert data["output"].splitlines()[-1] == f"Total: {total:g}/{total:g}"
    assert all(t["status"] == "passed" for t in data["tests"])
    assert {data["output_format"], data["test_output_format"], data["test_name_format"]} == {"text"}
    assert data["stdout_visibility"] == "hidden"


def test_gradescope_summary_does_not_reveal_hidden_points(reports: dict[str, Report]) -> None:
    data = _as_json(reports["mixed"], "gradescope")
    assert "Total on the checks shown now:" in data["output"]
    assert "more points from checks shown later" in data["output"]
    assert "Total: " not in data["output"]


def test_gradescope_lets_visibility_hold_back_later_checks(reports: dict[str, Report]) -> None:
    tests = _as_json(reports["crafted"], "gradescope")["tests"]
    later = [t for t in tests if SECRET_LATER in t["output"]]
    # the check itself and what its exercise printed, both released by Gradescope later
    assert len(later) == 2
    assert all(t["visibility"] == "after_due_date" for t in later)


def test_gradescope_withholds_a_hidden_check_shown_at_once(reports: dict[str, Report]) -> None:
    data = _as_json(reports["crafted"], "gradescope")
    assert SECRET_AT_ONCE not in json.dumps(data)
    (test,) = [t for t in data["tests"] if "mse_loss:hidden" in t["name"]]
    assert test["visibility"] == "visible"
    assert test["output"] == WITHHELD
    assert test["status"] == "failed"


def test_gradescope_printout_of_visible_exercise(reports: dict[str, Report]) -> None:
    tests = _as_json(reports["crafted"], "gradescope")["tests"]
    (test,) = [t for t in tests if t["name"] == "exercise03: what your code printed"]
    assert test["visibility"] == "visible"
    assert "printed <&> ü \x1b[0m" in test["output"]
    assert test["max_score"] == 0


def test_gradescope_says_when_grading_broke(reports: dict[str, Report]) -> None:
    data = _as_json(reports["broken"], "gradescope")
    assert data["score"] == 0
    assert data["output"].startswith(GRADING_BROKE)
    assert "failed to import" in data["output"]
    assert data["extra_data"]["grading_error"] == reports["broken"].error


def test_gradescope_keeps_feedback_text_exactly(reports: dict[str, Report]) -> None:
    tests = _as_json(reports["crafted"], "gradescope")["tests"]
    (test,) = [t for t in tests if "linear_backward.dW" in t["name"]]
    assert test["output"] == NASTY
    assert "transposed" in test["tags"]


# ----------------------------------------------------------------------------- prairielearn


@pytest.mark.parametrize("name", ("passed", "stubs", "mixed", "crafted"))
def test_prairielearn_score_is_the_fraction_and_points_add_up(
    reports: dict[str, Report], name: str
) -> None:
    report = reports[name]
    data = _as_json(report, "prairielearn")
    assert data["gradable"] is True
    assert "format_errors" not in data
    assert data["score"] == pytest.approx(report.score / report.max_score)
    assert sum(t["points"] for t in data["tests"]) == pytest.approx(report.score)
    assert sum(t["max_points"] for t in data["tests"]) == pytest.approx(report.max_score)
    assert len(data["tests"]) == len(_checks(report)) + len(report.quizzes)


def test_prairielearn_full_marks(reports: dict[str, Report], catalog: Catalog) -> None:
    data = _as_json(reports["passed"], "prairielearn")
    assert data["score"] == 1.0
    total = course_total(catalog)
    assert data["message"] == f"Total: {total:g}/{total:g}"


def test_prairielearn_not_gradable_when_grading_broke(reports: dict[str, Report]) -> None:
    data = _as_json(reports["broken"], "prairielearn")
    assert data["gradable"] is False
    assert data["message"] == GRADING_BROKE
    (error,) = data["format_errors"]
    assert GRADING_BROKE in error and "failed to import" in error


def test_prairielearn_lists_hidden_checks_without_their_feedback(
    reports: dict[str, Report],
) -> None:
    report = reports["mixed"]
    data = _as_json(report, "prairielearn")
    by_name = {t["name"]: t for t in data["tests"]}
    hidden = [(e, c) for e in report.exercises for c in e.checks if c.hidden]
    assert hidden
    for exercise, check in hidden:
        test = by_name[f"{exercise.name} {check.name}: {check.title}"]
        assert test["message"] == WITHHELD_HERE
        assert test["points"] == check.score


def test_prairielearn_shows_feedback_and_printout_of_visible_checks(
    reports: dict[str, Report],
) -> None:
    data = _as_json(reports["crafted"], "prairielearn")
    (test,) = [t for t in data["tests"] if "linear_backward.dW" in t["name"]]
    assert test["message"] == NASTY
    assert "What your exercise03_linear.py printed:\nprinted <&> ü" in data["output"]
    assert "exercise04_losses.py printed output while running checks" in data["output"]


def test_prairielearn_reports_a_file_that_cannot_be_loaded(reports: dict[str, Report]) -> None:
    data = _as_json(reports["mixed"], "prairielearn")
    errored = [t for t in data["tests"] if t["name"].startswith("exercise02 ")]
    public = [t for t in errored if ":hidden" not in t["name"]]
    assert public and all(t["message"].startswith("not graded:") for t in public)
    hidden = [t for t in errored if ":hidden" in t["name"]]
    assert hidden and not any("not graded" in t["message"] for t in hidden)  # held back
    assert "def sigmoid(:" in data["output"]


# ----------------------------------------------------------------------------- junit


def _suite(root: ET.Element, name: str) -> ET.Element:
    """The suite `name`, or `<student>/name` in a report that names its student."""
    (suite,) = [
        s for s in root.findall("testsuite") if (s.get("name") or "").split("/")[-1] == name
    ]
    return suite


@pytest.mark.parametrize("name", REPORTS)
def test_junit_counts_add_up(reports: dict[str, Report], name: str) -> None:
    root = _as_xml(reports[name])
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "")) == len(cases)
        for tag, attribute in (
            ("failure", "failures"),
            ("error", "errors"),
            ("skipped", "skipped"),
        ):
            assert int(suite.get(attribute, "")) == sum(c.find(tag) is not None for c in cases)
    for attribute in ("tests", "failures", "errors"):
        total = sum(int(s.get(attribute, "")) for s in root.findall("testsuite"))
        assert int(root.get(attribute, "")) == total


def test_junit_one_suite_per_exercise_one_case_per_check(reports: dict[str, Report]) -> None:
    report = reports["mixed"]
    root = _as_xml(report)
    names = [s.get("name") for s in root.findall("testsuite")]
    assert names == [f"alice/{e.name}" for e in report.exercises] + ["alice/quizzes"]
    for exercise in report.exercises:
        suite = _suite(root, exercise.name)
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [f"{c.name}: {c.title}" for c in exercise.checks]
        assert {c.get("classname") for c in cases} == {f"bpgrade.alice.{exercise.name}"}
        assert {c.get("file") for c in cases} == {exercise.file}
        properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert float(properties["score"]) == exercise.score


def test_junit_statuses(reports: dict[str, Report]) -> None:
    report = reports["mixed"]
    root = _as_xml(report)
    unloadable = _suite(root, "exercise02")
    assert unloadable.get("errors") == unloadable.get("tests")
    error = unloadable.find("testcase/error")
    assert error is not None and "syntax error" in (error.get("message") or "")
    assert "def sigmoid(:" in (error.text or "")
    not_started = _suite(root, "exercise05")
    assert not_started.get("failures") == not_started.get("tests")
    assert not_started.get("skipped") == "0"
    assert {f.get("type") for f in not_started.iter("failure")} == {"not_started"}
    failed = _suite(root, "exercise03")
    failures = failed.findall("testcase/failure")
    assert len(failures) == sum(not c.passed for c in report.exercises[2].checks)
    assert "transposed" in {f.get("type") for f in failures}
    passed = _suite(root, "exercise01")
    assert passed.get("failures") == passed.get("errors") == passed.get("skipped") == "0"
    quizzes = _suite(root, "quizzes")
    assert quizzes.get("failures") == "1" and quizzes.get("tests") == "2"


def test_junit_keeps_special_characters_and_escapes_control_ones(
    reports: dict[str, Report],
) -> None:
    root = _as_xml(reports["crafted"])
    (failure,) = [
        case.find("failure")
        for case in root.iter("testcase")
        if (case.get("name") or "").startswith("linear_backward.dW")
    ]
    assert failure is not None
    expected = NASTY.replace("\x1b", "\\x1b")
    assert failure.text == expected
    assert failure.get("message") == expected.splitlines()[0]
    assert failure.get("type") == "transposed"
    out = _suite(root, "exercise03").find("system-out")
    assert out is not None and "printed <&> ü \\x1b[0m \\udcff" in (out.text or "")


def test_junit_withholds_printout_of_hidden_cases(reports: dict[str, Report]) -> None:
    out = _suite(_as_xml(reports["crafted"]), "exercise04").find("system-out")
    assert out is not None and "not shown here" in (out.text or "")


def test_junit_says_when_grading_broke(reports: dict[str, Report]) -> None:
    root = _as_xml(reports["broken"])
    grading = root.findall("testsuite")[0]
    assert grading.get("name") == "alice/grading" and grading.get("errors") == "1"
    error = grading.find("testcase/error")
    assert error is not None and error.get("message") == GRADING_BROKE
    assert "failed to import" in (error.text or "")


def test_junit_a_stub_submission_is_all_failures(reports: dict[str, Report]) -> None:
    """Issue 10: not started was skipped, so a stub submission read as 0 failures."""
    root = _as_xml(reports["stubs"])
    assert int(root.get("failures", "")) == int(root.get("tests", "")) > 0
    assert all(s.get("skipped") == "0" for s in root.findall("testsuite"))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and failure.get("type") == "not_started"
    assert failure.get("message") and failure.text


def test_junit_names_no_student_when_none_is_given(reports: dict[str, Report]) -> None:
    root = _as_xml(reports["partial"])
    assert root.get("name") == "bpgrade"
    assert _suite(root, "exercise03").get("name") == "exercise03"
    assert not [p for p in root.iter("property") if p.get("name") == "student"]
    assert {c.get("classname") for c in _suite(root, "exercise03").iter("testcase")} == {
        "bpgrade.exercise03"
    }


def _keys(xml: str) -> list[tuple[str, str]]:
    """Each case as GitLab keys it: GitLab shows the classname as the case's suite, and
    keeps only the first of cases with the same name."""
    return [
        (c.get("classname") or "", c.get("name") or "") for c in ET.fromstring(xml).iter("testcase")
    ]


def test_junit_reports_of_several_students_read_together_stay_apart(
    reports: dict[str, Report],
) -> None:
    """The documented GitLab job grades every student in one job into one test report."""
    students = ("alice", "bob.smith", "987+1234")
    texts = {
        s: render(reports["partial"].model_copy(update={"student": s}), "junit") for s in students
    }
    keys = [key for text in texts.values() for key in _keys(text)]
    assert len(keys) == len(set(keys)) == len(students) * len(_keys(texts["alice"]))
    for student, text in texts.items():
        root = ET.fromstring(text)
        assert root.get("name") == f"bpgrade {student}"
        for suite in root.findall("testsuite"):
            assert (suite.get("name") or "").startswith(f"{student}/")
            properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
            assert properties["student"] == student
            for case in suite.iter("testcase"):
                package, _, exercise = (case.get("classname") or "").rpartition(".")
                assert package == f"bpgrade.{student}"  # Jenkins: package, then class
                assert exercise == (suite.get("name") or "").split("/")[-1]


@pytest.mark.parametrize("name", (*REPORTS, "partial"))
def test_junit_carries_the_fields_readers_use(reports: dict[str, Report], name: str) -> None:
    """Beyond the schema: what Jenkins, GitLab and the GitHub reporters read is there."""
    root = _as_xml(reports[name])
    assert root.tag == "testsuites" and root.get("name")
    for suite in root.findall("testsuite"):
        assert suite.get("name") and suite.get("time") == "0"
        for case in suite.findall("testcase"):
            assert case.get("name") and case.get("classname") and case.get("time") == "0"
            for detail in [*case.findall("failure"), *case.findall("error")]:
                assert detail.get("message") and detail.get("type") and detail.text
            assert len(case.findall("failure")) + len(case.findall("error")) <= 1
            assert case.find("skipped") is None


def test_junit_is_utf8_xml(reports: dict[str, Report]) -> None:
    text = render(reports["crafted"], "junit")
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>")
    assert "漢字" in text  # written as characters, not as references


# ----------------------------------------------------------------------------- github


def test_github_one_total_everywhere_on_a_partly_correct_submission(
    reports: dict[str, Report],
) -> None:
    """Issue 10: the reporter's log said 50.73/52 where Classroom recorded 50/52."""
    report = reports["partial"]
    assert 0 < report.score < report.max_score
    assert all(not c.hidden for c in _checks(report))
    view = reporter_view(_as_json(report, "github"))
    bpgrade_total = f"{points(report.score)}/{points(report.max_score)}"  # bpgrade's own log
    assert view["recorded"] == bpgrade_total
    assert view["tests passed"] == bpgrade_total
    assert view["log"] == f"{report.score:.2f}/{points(report.max_score)}"
    weighed = float(view["table"].split("/")[0])  # JavaScript's own float arithmetic
    assert weighed == pytest.approx(report.score, abs=1e-9)


def test_github_one_test_per_point_pass_or_fail(reports: dict[str, Report]) -> None:
    data = _as_json(reports["partial"], "github")
    assert len(data["tests"]) == data["max_score"] == reports["partial"].max_score
    assert {t["score"] for t in data["tests"] if t["status"] == "pass"} == {1}
    assert {t["score"] for t in data["tests"] if t["status"] != "pass"} == {0}
    two = [t["name"] for t in data["tests"] if t["name"].startswith(DW)]
    assert [name[-14:] for name in two] == ["(point 1 of 2)", "(point 2 of 2)"]
    assert isinstance(data["max_score"], int)  # whole points, as Classroom keeps them


def test_github_advice_is_no_test(reports: dict[str, Report], catalog: Catalog) -> None:
    """A 0-point test would still count in the reporter's passed/all."""
    data = _as_json(reports["passed"], "github")
    assert not [t for t in data["tests"] if "advice" in t["name"]]
    total = course_total(catalog)
    assert reporter_view(data)["tests passed"] == f"{total:g}/{total:g}"
    assert data["status"] == "pass"


@pytest.mark.parametrize(
    ("name", "status"),
    [("passed", "pass"), ("stubs", "fail"), ("mixed", "error"), ("crafted", "fail")],
)
def test_github_status_and_scores(reports: dict[str, Report], name: str, status: str) -> None:
    report = reports[name]
    data = _as_json(report, "github")
    assert data["version"] == 1
    assert data["status"] == status
    assert data["max_score"] == report.max_score
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(report.score)
    view = reporter_view(data)
    assert view["log"] == f"{report.score:.2f}/{js_number(report.max_score)}"


def test_github_half_points_of_hidden_cases_still_agree(reports: dict[str, Report]) -> None:
    """Checks split between public and hidden cases are worth halves: each test is half a
    point, and the reporter's weighing still gives the recorded grade."""
    report = reports["mixed"]
    data = _as_json(report, "github")
    assert {t["score"] for t in data["tests"] if t["status"] == "pass"} == {0.5}
    view = reporter_view(data)
    assert view["recorded"] == f"{js_number(report.score)}/{js_number(report.max_score)}"
    assert view["log"] == f"{report.score:.2f}/{js_number(report.max_score)}"


def test_github_counts_whole_points_of_partial_credit() -> None:
    question = QuestionReport(id="q1", score=1.5, max_score=2.0, correct=False)
    quiz = QuizReport(quiz="loop", seed=1, score=1.5, max_score=2.0, questions=[question])
    report = summarize([], [quiz])
    data = json.loads(render(report, "github"))
    assert [t["status"] for t in data["tests"]] == ["pass", "fail"]
    view = reporter_view(data)
    assert view["recorded"] == view["tests passed"] == "1/2"
    assert view["log"] == "1.00/2"
    summary = github.job_summary(report)
    assert summary.startswith("## bpgrade: 1/2 points")
    assert "Your exact score is 1.5/2" in summary


def test_github_errors_for_a_file_that_cannot_be_loaded(reports: dict[str, Report]) -> None:
    """The reporter prints an errored test's message and not its name: one error, which
    names the exercise; the exercise's other points fail."""
    tests = _as_json(reports["partial"], "github")["tests"]
    errored = [t for t in tests if t["status"] == "error"]
    assert len(errored) == 1
    (error,) = errored
    assert error["message"].startswith("exercise02 (exercise02_activations.py) could not be")
    assert "syntax error" in error["message"]
    assert error["test_code"] == "bpgrade check exercise02"
    others = [t for t in tests if t["filename"] == "exercise02_activations.py"]
    assert {t["status"] for t in others} == {"error", "fail"}
    assert sum(t["score"] for t in others) == 0


def test_github_failed_tests_say_how_to_see_them_again(reports: dict[str, Report]) -> None:
    tests = _as_json(reports["partial"], "github")["tests"]
    (first, second) = [t for t in tests if t["name"].startswith(DW)]
    assert first["test_code"] == "bpgrade check exercise03" and second["test_code"] == ""
    assert "transposed" in first["message"]
    assert all(t["test_code"] == "" for t in tests if t["status"] == "pass")


def test_github_grading_broke_records_no_grade(reports: dict[str, Report]) -> None:
    data = _as_json(reports["broken"], "github")
    assert data["status"] == "error"
    (only,) = data["tests"]
    assert only["name"] == "grading" and only["status"] == "error"
    assert only["message"].startswith(GRADING_BROKE)
    assert data["max_score"] == reports["broken"].max_score
    assert reporter_view(data)["recorded"] == f"0/{js_number(reports['broken'].max_score)}"
    assert reporter_view(data)["log"].startswith("0.00/")


def test_github_result_survives_the_reporters_base64(reports: dict[str, Report]) -> None:
    """The reporter decodes `<RUNNER>_RESULTS` from base64 as UTF-8 and parses it."""
    text = render(reports["crafted"], "github")
    carried = base64.b64encode(text.encode("utf-8")).decode("ascii")
    data = json.loads(base64.b64decode(carried).decode("utf-8"))
    (test, _) = [t for t in data["tests"] if "linear_backward.dW" in t["name"]]
    assert test["message"] == NASTY
    assert test["status"] == "fail"


def test_github_job_summary_has_the_total_and_the_feedback(reports: dict[str, Report]) -> None:
    report = reports["partial"]
    summary = github.job_summary(report)
    score, max_score = points(report.score), points(report.max_score)
    assert summary.startswith(f"## bpgrade: {score}/{max_score} points\n")
    assert "exact score" not in summary  # whole points: nothing to explain
    rows = [line for line in summary.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + len(report.exercises) + len(report.quizzes)
    assert "| ❌ | exercise03: A linear layer | 8/10 | failed |" in rows
    (check,) = [c for c in report.exercises[2].checks if not c.passed]
    assert check.message in summary  # whole, in a code block
    assert "def sigmoid(:" in summary
    assert "exercise05: not started yet" in summary
    assert "q2: 0/1, wrong" in summary


def test_github_job_summary_withholds_hidden_feedback(reports: dict[str, Report]) -> None:
    summary = github.job_summary(reports["crafted"])
    assert SECRET_AT_ONCE not in summary and SECRET_LATER not in summary
    assert WITHHELD in summary
    assert NASTY in summary  # kept exactly, inside a code block


def test_github_job_summary_markup_stays_text() -> None:
    """Titles, names and feedback come from the course and the learner's code: they show as
    typed, and neither break the table nor end a code block early."""
    check = CheckReport(
        name="f|g",
        title="<img src=x> **bold** | cell",
        passed=False,
        score=0.0,
        max_score=1.0,
        message="````\n# heading\n````",
    )
    exercise = ExerciseReport(
        name="exercise09",
        title="a | b <script>",
        file="exercise09.py",
        status="failed",
        score=0.0,
        max_score=1.0,
        checks=[check],
    )
    summary = github.job_summary(summarize([exercise]))
    (row,) = [line for line in summary.splitlines() if line.startswith("| ❌")]
    assert len(re.findall(r"(?<!\\)\|", row)) == 5
    assert "<script>" not in summary and "<img" not in summary
    assert "`````text\n````\n# heading\n````\n`````" in summary


def test_github_job_summary_fits_what_github_shows() -> None:
    """GitHub drops a step summary over 1 MiB whole; ours stops short of it and says where
    the rest is."""
    checks = [
        CheckReport(
            name=f"c{i}", title="t", passed=False, score=0, max_score=1, message="x" * 50_000
        )
        for i in range(60)
    ]
    exercise = ExerciseReport(
        name="exercise09",
        title="big",
        file="exercise09.py",
        status="failed",
        score=0,
        max_score=60,
        checks=checks,
    )
    summary = github.job_summary(summarize([exercise]))
    assert len(summary.encode("utf-8")) <= github.SUMMARY_BUDGET
    assert summary.rstrip().endswith("it is in the bpgrade step's log.")


def _decoded(data: str) -> str:
    return data.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def test_github_annotations_name_the_file_and_the_failed_checks(
    reports: dict[str, Report], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    commands = github.error_annotations(reports["partial"], tmp_path / "exercises")
    assert len(commands) == 3  # exercise02 (an error), exercise03, the chain-rule quiz
    assert all(c.startswith("::error ") and "\n" not in c for c in commands)
    error, failed, quiz = commands
    assert error.startswith(
        "::error file=exercises/exercise02_activations.py,title=exercise02%3A 0/10%2C could"
    )
    properties, message = failed.split("::", 2)[1:]
    assert "file=exercises/exercise03_linear.py" in properties
    assert _decoded(message).startswith("linear_backward.dW: linear_backward(")
    assert "file=" not in quiz


def test_github_annotations_leave_out_a_file_outside_the_repository(
    reports: dict[str, Report], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "repo").mkdir()
    monkeypatch.chdir(tmp_path / "repo")
    commands = github.error_annotations(reports["partial"], tmp_path / "elsewhere")
    assert commands and not [c for c in commands if "file=" in c]


def test_github_annotations_keep_to_what_github_shows() -> None:
    exercises = [
        ExerciseReport(
            name=f"exercise{i:02}",
            title="t",
            file=f"exercise{i:02}.py",
            status="error",
            score=0,
            max_score=1,
            checks=[],
            error="50% of it, broken: here",
        )
        for i in range(14)
    ]
    commands = github.error_annotations(summarize(exercises), None)
    assert len(commands) == github.ANNOTATIONS
    assert "see the job summary" in commands[-1]
    assert commands[0].endswith("::50%25 of it, broken: here")


def test_github_annotations_withhold_hidden_feedback(reports: dict[str, Report]) -> None:
    text = "\n".join(github.error_annotations(reports["crafted"], None))
    assert SECRET_AT_ONCE not in text and SECRET_LATER not in text


def test_github_says_first_where_the_files_were_found(reports: dict[str, Report]) -> None:
    note = "your files were one folder deeper, in `hw1/`: graded there"
    report = reports["partial"].model_copy(update={"layout": [note]})
    summary = github.job_summary(report)
    assert summary.index("**About your files:**") < summary.index("| | | points | result |")
    assert "- your files were one folder deeper, in \\`hw1/\\`: graded there" in summary
    commands = github.error_annotations(report, None)
    assert commands[0] == f"::warning title=About your files::{note}"


def test_github_publishes_only_inside_actions(reports: dict[str, Report], tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("an earlier step's summary\n", encoding="utf-8")
    report = reports["partial"]
    assert github.publish(report, None, {"GITHUB_STEP_SUMMARY": str(summary)}) == []
    assert summary.read_text(encoding="utf-8") == "an earlier step's summary\n"
    environ = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    commands = github.publish(report, None, environ)
    assert commands == github.error_annotations(report, None)
    written = summary.read_text(encoding="utf-8")
    assert written == "an earlier step's summary\n" + github.job_summary(report)


def test_github_a_summary_that_cannot_be_written_is_a_warning(
    reports: dict[str, Report], tmp_path: Path
) -> None:
    environ = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path)}  # a folder
    commands = github.publish(reports["partial"], None, environ)
    assert commands[-1].startswith("::warning title=bpgrade::no job summary")


# ----------------------------------------------------------------------------- writing


def test_write_results_writes_utf8_readable_by_all(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    old = os.umask(0o077)  # a strict umask must not make the results unreadable
    try:
        write_results(path, "ü 漢字\n")
    finally:
        os.umask(old)
    assert path.read_text(encoding="utf-8") == "ü 漢字\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["results.json"]


def test_write_results_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text("old, and longer than the new text")
    write_results(path, "new")
    assert path.read_text() == "new"
    assert os.listdir(tmp_path) == ["results.json"]


def test_write_results_makes_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "grade" / "results" / "results.json"  # PrairieLearn does not make it
    write_results(path, "{}")
    assert path.read_text() == "{}"


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "results.json"
    path.write_text("old")

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_results(path, "new")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["results.json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_written_results_read_back(reports: dict[str, Report], tmp_path: Path, fmt: str) -> None:
    text = render(reports["crafted"], fmt)
    path = tmp_path / "results"
    write_results(path, text)
    assert path.read_bytes() == text.encode("utf-8")
    if fmt == "junit":
        ET.parse(path)
    else:
        json.loads(path.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- imports


def test_imports_stay_lazy() -> None:
    """Importing the formats, or rendering a JSON one, loads neither xml nor the other
    formats' modules."""
    code = """
import sys
from grader.formats import render
from grader.report import Report
assert "grader.formats.gradescope" not in sys.modules
report = Report(score=0, max_score=0, exercises=[])
render(report, "json"); render(report, "gradescope")
assert "xml.etree.ElementTree" not in sys.modules, "xml loaded"
assert "grader.formats.junit" not in sys.modules
render(report, "junit")
assert "xml.etree.ElementTree" in sys.modules
"""
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
