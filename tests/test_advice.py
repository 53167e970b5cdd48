"""Issue 9, item 9: no points rest on the learner process's own word.

`arguments_unchanged` is judged from what the learner's process reports about its arguments
after each call (and about what its results share memory with). That process runs the runner
and writes the result pipe, so a learner can report "unchanged" for a function that writes
into its input. The check is therefore advice, worth no points (grader/checks/unchanged.py
says why): these tests grade, in the real sandbox, files whose functions modify their inputs
in place, honestly and with the report forged, and show that forging earns nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.catalog import Catalog
from grader.checks import checks_for
from grader.checks.unchanged import TAG
from grader.report import ExerciseReport

from .conftest import ROOT, SOLUTIONS, grade_file, grade_in

CORPUS = ROOT / "tests" / "corpus"

# Prepended to a learner file: at import, in the sandbox's child, rewrite what the runner
# reports of every call so that no argument changed and nothing is shared with a result.
PATCH_RUNNER = """
import sys as _sys

_runner = _sys.modules["grader.runner"]
_make_call = _runner.make_call


def _forged_call(*args, **kwargs):
    result = _make_call(*args, **kwargs)
    result.args_after = tuple(None for _ in result.args_after)
    result.kwargs_after = {key: None for key in result.kwargs_after}
    result.aliases = ()
    return result


_runner.make_call = _forged_call
"""

# The same lie told on the result pipe: every result frame the child sends is rewritten
# on its way out, whatever the runner computed.
FORGE_FRAMES = """
import sys as _sys

_child = _sys.modules.get("grader.sandbox.child")
_send = getattr(_child, "send", None)


def _forged_send(event, *args, **kwargs):
    kind, body = event
    if kind == "result":
        body.args_after = tuple(None for _ in body.args_after)
        body.kwargs_after = {key: None for key in body.kwargs_after}
        body.aliases = ()
    return _send(event, *args, **kwargs)


if _send is not None:
    _child.send = _forged_send
"""

# (exercise, a corpus file whose only fault is modifying an argument in place)
IN_PLACE = [
    ("exercise02", "exercise02/bug_relu_inplace.py"),
    ("exercise04", "exercise04/bug_softmax_inplace_shift.py"),
    ("exercise05", "exercise05/bug_sgd_step_inplace.py"),
]


def _checks(report: ExerciseReport) -> dict[str, tuple[bool, float, float]]:
    return {c.name: (c.passed, c.score, c.max_score) for c in report.checks}


def _forged(source: Path, prologue: str, folder: Path) -> Path:
    folder.mkdir(parents=True)
    forged = folder / source.name
    forged.write_text(prologue + "\n" + source.read_text())
    return forged


@pytest.mark.parametrize(("exercise", "relative"), IN_PLACE)
def test_modifying_an_argument_in_place_costs_no_points_and_is_advised_against(
    exercise: str, relative: str, catalog: Catalog, tmp_path: Path
) -> None:
    entry = catalog.find(exercise)
    assert entry is not None
    report = grade_file(entry, CORPUS / relative, tmp_path / "submission")
    check = next(c for c in report.checks if c.name == "arguments_unchanged")
    assert not check.passed and check.diagnosis == "argument_modified"
    assert check.message.startswith(TAG), check.message
    assert check.max_score == check.score == 0
    assert "advice" in check.title
    assert report.score == report.max_score == entry.max_score


@pytest.mark.parametrize(("exercise", "relative"), IN_PLACE)
@pytest.mark.parametrize("prologue", [PATCH_RUNNER, FORGE_FRAMES], ids=["runner", "frames"])
def test_forging_the_report_of_the_arguments_earns_nothing(
    exercise: str, relative: str, prologue: str, catalog: Catalog, tmp_path: Path
) -> None:
    """The learner's process says its arguments were left alone while its function writes
    into them: the score is what the same code earns without the lie, check by check."""
    entry = catalog.find(exercise)
    assert entry is not None
    honest = grade_file(entry, CORPUS / relative, tmp_path / "honest")
    source = _forged(CORPUS / relative, prologue, tmp_path / "source")
    lying = grade_file(entry, source, tmp_path / "lying")
    assert lying.score == honest.score == entry.max_score
    scores = {name: score for name, (_, score, _) in _checks(lying).items()}
    assert scores == {name: score for name, (_, score, _) in _checks(honest).items()}
    if prologue is PATCH_RUNNER:
        # the lie is believed: this verdict is the process's word, which is why it is advice
        # (should the runner ever leave the learner's process, this may become a real check)
        assert _checks(lying)["arguments_unchanged"][0], "the forged report was not believed"


def test_the_reference_passes_the_advice_and_earns_every_point(
    catalog: Catalog, tmp_path: Path
) -> None:
    advised = [e for e in catalog.exercises if "arguments_unchanged" in (c.name for c in e.checks)]
    assert advised
    for entry in advised:
        report = grade_in(entry, SOLUTIONS)
        assert report.status == "passed"
        assert report.score == report.max_score == entry.max_score
        advice = next(c for c in report.checks if c.name == "arguments_unchanged")
        assert advice.passed and advice.max_score == 0
        assert advice.message.startswith(TAG)


def test_only_advice_rests_on_the_process_word(catalog: Catalog) -> None:
    """A check the grader marks advice (its verdict is the learner process's report about
    itself) is advice in the catalog, worth no points; every other check is worth points."""
    for entry in catalog.exercises:
        advice = {check.name for check in checks_for(entry.name) if check.advisory}
        assert advice == {c.name for c in entry.checks if c.advice}, entry.name
        assert all(c.points == 0 for c in entry.checks if c.advice)
        assert all(c.points > 0 for c in entry.checks if not c.advice)
    # when arguments_unchanged became advice, its point went to a value check of the same
    # exercise: the exercises the course had then kept their totals (a pin on those five,
    # by name; an exercise added since is no part of it)
    kept = {
        "exercise01": 10,
        "exercise02": 10,
        "exercise03": 10,
        "exercise04": 10,
        "exercise05": 12,
    }
    totals = {e.name: e.max_score for e in catalog.exercises if e.name in kept}
    assert totals == kept
