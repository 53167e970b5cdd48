"""The library API (`grader.api`): checks that return reports, a session that keeps its
sandbox warm, feedback in parts rendered as text and as HTML, and errors with types."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import api
from grader.catalog import Catalog
from grader.report import CheckReport, ExerciseReport, PlotData, Report

from .conftest import SOLUTIONS, course_total

TRANSPOSED_DW = """\
import numpy as np


def linear_forward(X, W, b):
    return X @ W.T + b


def linear_backward(dZ, X, W):
    return dZ @ W, X.T @ dZ, dZ.sum(axis=0)
"""

# an error message is the learner's own text: HTML must show it, never run it
SCRIPTED_ERROR = """\
def linear_forward(X, W, b):
    raise ValueError("<script>alert('x')</script> & more")


def linear_backward(dZ, X, W):
    raise NotImplementedError
"""


@pytest.fixture(scope="module")
def session() -> Iterator[api.Session]:
    with api.Session() as session:
        yield session


def _submission(root: Path, text: str) -> Path:
    folder = root / "submission"
    folder.mkdir(parents=True)
    (folder / "exercise03_linear.py").write_text(text, encoding="utf-8")
    return folder


def _failing(report: Report) -> CheckReport:
    return next(c for e in report.exercises for c in e.checks if not c.passed)


# --- checking ----------------------------------------------------------------------------------


def test_the_reference_solutions_get_full_marks(session: api.Session, catalog: Catalog) -> None:
    report = session.check(folder=SOLUTIONS)
    assert isinstance(report, Report)
    assert [e.name for e in report.exercises] == [e.name for e in catalog.exercises]
    assert report.all_passed
    assert report.score == report.max_score == course_total(catalog)


def test_check_in_a_sandbox_of_its_own(catalog: Catalog) -> None:
    report = api.check("3", folder=str(SOLUTIONS))
    [exercise] = report.exercises
    assert (exercise.name, exercise.status) == ("exercise03", "passed")


def test_a_wrong_file_fails_with_a_diagnosis(session: api.Session, tmp_path: Path) -> None:
    report = session.check(["exercise03"], folder=_submission(tmp_path, TRANSPOSED_DW))
    [exercise] = report.exercises
    assert exercise.status == "failed"
    failing = [c for c in exercise.checks if not c.passed]
    assert [(c.name, c.diagnosis) for c in failing] == [("linear_backward.dW", "transposed")]
    feedback = api.feedback(failing[0])
    assert feedback.call.startswith("linear_backward(dZ (")
    assert feedback.headline == f"{feedback.call}: wrong dW."
    assert "expected shape" in feedback.mismatch
    assert feedback.tag == "transposed" and feedback.diagnosis
    assert feedback.text() == failing[0].message


def test_a_re_check_reuses_the_sessions_sandbox(session: api.Session, tmp_path: Path) -> None:
    folder = _submission(tmp_path, TRANSPOSED_DW)
    first = session.check("exercise03", folder=folder)
    zygote = session.sandbox._zygote  # the sandbox's process, that forks one child a check
    assert zygote is not None and zygote.poll() is None
    again = session.check("exercise03", folder=folder)
    assert session.sandbox._zygote is zygote and zygote.poll() is None
    assert again.exercises == first.exercises
    assert len(again.notes) == len(set(again.notes))  # each note once, however many checks


def test_names_are_resolved_each_once_in_their_order(session: api.Session) -> None:
    entries = session.exercises(["3", "exercise01_chain_rule", "exercise03"])
    assert [e.name for e in entries] == ["exercise03", "exercise01"]
    assert session.exercises(entries) == entries


# --- errors with types, in the command's words ----------------------------------------------


def test_an_unknown_exercise(session: api.Session, catalog: Catalog) -> None:
    with pytest.raises(api.UnknownExercise) as raised:
        session.check("exercize03", folder=SOLUTIONS)
    names = ", ".join(e.name for e in catalog.exercises)
    assert str(raised.value) == (
        f"no exercise named 'exercize03'. Did you mean exercise03? The exercises: {names}."
    )
    assert raised.value.closest == "exercise03"
    assert isinstance(raised.value, api.CheckError)


def test_no_exercise_named(session: api.Session) -> None:
    with pytest.raises(api.NoExerciseNamed, match="name an exercise to check, or use --all"):
        session.check([], folder=SOLUTIONS)


def test_no_submission_folder(session: api.Session, tmp_path: Path) -> None:
    with pytest.raises(api.NoSubmission) as raised:
        session.check("3", folder=tmp_path / "nowhere")
    assert str(raised.value) == (
        f"there is no folder {tmp_path / 'nowhere'}; point --dir at your exercise files."
    )


# --- feedback in parts, as text and as HTML ---------------------------------------------------


def test_html_is_escaped_and_holds_the_headline_and_diagnosis(
    session: api.Session, tmp_path: Path
) -> None:
    wrong = session.check("3", folder=_submission(tmp_path, TRANSPOSED_DW))
    feedback = api.feedback(_failing(wrong))
    page = api.to_html(wrong)
    assert f"<code>{feedback.call}</code>: wrong dW." in page
    assert f"{feedback.diagnosis_heading}:</strong> {feedback.diagnosis}" in page
    assert '<pre class="bpgrade-mismatch">' in page

    scripted = session.check("3", folder=_submission(tmp_path / "2", SCRIPTED_ERROR))
    page = api.to_html(scripted)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in page
    assert "exercise03_linear.py, line 2, in linear_forward" in page  # its traceback


def test_a_message_of_another_shape_is_kept_whole() -> None:
    message = "f(x=1): wrong y.\nnot indented\n  Likely mistake: flipped."
    check = CheckReport(name="f.y", title="y", passed=False, score=0, max_score=1, message=message)
    feedback = api.feedback(check)
    assert feedback.headline == message and feedback.text() == message
    assert "<pre>" in api.feedback_html(feedback)


def test_feedback_parts_render_back_to_the_message() -> None:
    message = (
        "g(a (2,)): wrong out.\n"
        "  out: shape (2,) as expected; 1 of 2 elements differ; largest error 1.\n"
        "    expected 1, received 2\n"
        "  Likely mistake, from a case where the shapes let it run: a <b> flipped sign."
    )
    check = CheckReport(
        name="g.out",
        title="out",
        passed=False,
        score=0,
        max_score=1,
        message=message,
        diagnosis="sign",
    )
    feedback = api.feedback(check)
    assert (feedback.call, feedback.tag, feedback.diagnosis_elsewhere) == (
        "g(a (2,))",
        "sign",
        True,
    )
    assert feedback.mismatch.splitlines()[1] == "  expected 1, received 2"
    assert feedback.text() == message
    assert "a &lt;b&gt; flipped sign" in api.feedback_html(feedback)
    assert "(sign)" not in api.feedback_html(feedback)  # the tag is the report's, not the learner's


# --- data behind pictures ----------------------------------------------------------------------


def _report(data: PlotData | None) -> Report:
    check = CheckReport(name="c", title="t", passed=True, score=1, max_score=1, message="ok.")
    exercise = ExerciseReport(
        name="exercise05",
        title="t",
        file="exercise05_two_layer.py",
        status="passed",
        score=1,
        max_score=1,
        checks=[check.model_copy(update={"data": data})],
    )
    return Report(score=1, max_score=1, exercises=[exercise])


def test_plot_data_is_left_out_of_the_json_when_there_is_none() -> None:
    for empty in (None, PlotData()):
        [check] = json.loads(_report(empty).model_dump_json())["exercises"][0]["checks"]
        assert "data" not in check


def test_plot_data_travels_in_the_json_and_every_format_still_renders() -> None:
    from grader.formats import FORMATS, render

    data = PlotData(series={"loss": [2.5, 1.25, 0.5]}, layers={"grad_norm": {"W1": 0.5}})
    report = _report(data)
    [check] = json.loads(render(report, "json"))["exercises"][0]["checks"]
    assert check["data"] == {
        "series": {"loss": [2.5, 1.25, 0.5]},
        "layers": {"grad_norm": {"W1": 0.5}},
    }
    assert Report.model_validate_json(report.model_dump_json()) == report
    for fmt in FORMATS:
        assert render(report, fmt)


# --- light to import ---------------------------------------------------------------------------


def test_importing_the_api_loads_no_sandbox_grading_or_quiz() -> None:
    probe = (
        "import sys, grader.api\n"
        "print(sorted(m for m in sys.modules if m.startswith(('grader.sandbox', "
        "'grader.grading', 'grader.submission', 'grader.quiz', 'grader.checks'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
