"""Per-student reports as Markdown (`grades-reports/<student>.md`): what the JSON holds, for a
person, with nothing of the learner's rendered as Markdown or HTML."""

from __future__ import annotations

import re

from grader.formats import markdown
from grader.report import CheckReport, ExerciseReport, Report, summarize

HOSTILE = "```\n# not a heading\n<script>alert(1)</script>\n````"


def _report() -> Report:
    checks = [
        CheckReport(
            name="linear_forward",
            title="Z = X W^T + b",
            passed=True,
            score=2,
            max_score=2,
            message="ok",
        ),
        CheckReport(
            name="linear_backward",
            title="dW, db",
            passed=False,
            score=0,
            max_score=3,
            message=f"dW is transposed\n{HOSTILE}",
            hidden=True,
        ),
    ]
    exercises = [
        ExerciseReport(
            name="exercise03",
            title="A linear layer",
            file="exercise03_linear.py",
            status="failed",
            score=2,
            max_score=5,
            checks=checks,
            output=HOSTILE,
        ),
        ExerciseReport(
            name="exercise04",
            title="Losses",
            file="exercise04_losses.py",
            status="error",
            score=0,
            max_score=10,
            checks=[],
            error="exercise04_losses.py has a syntax error",
        ),
    ]
    report = summarize(exercises)
    report.student = "ann"
    report.notes = ["Graded a second time on its own."]
    return report


def _outside_fences(text: str) -> str:
    """The text with every fenced block taken out, fences matched by their length."""
    out, fence = [], None
    for line in text.splitlines():
        match = re.match(r"\s*(`{3,})", line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None:
            out.append(line)
    assert fence is None, "a fence left open"
    return "\n".join(out)


def test_the_report_reads_as_markdown() -> None:
    text = markdown.render(_report())
    assert text.startswith("# ann: 2/15\n")
    assert "| exercise03: A linear layer | 2/5 | failed |" in text
    assert "| exercise04: Losses | 0/10 | could not be graded |" in text
    assert "- **failed** `linear_backward` (hidden cases), 0/3: dW, db" in text
    assert "exercise04_losses.py has a syntax error" in text
    assert "- Graded a second time on its own." in text


def test_nothing_of_the_learners_is_rendered() -> None:
    text = markdown.render(_report())
    assert text.count("<script>") == 2  # in the message and in what was printed...
    outside = _outside_fences(text)
    assert "<script>" not in outside and "# not a heading" not in outside  # ...fenced, both
