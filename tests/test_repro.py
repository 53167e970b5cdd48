"""A failing case as a snippet: the report names the case, `bpgrade check --case` prints Python
that runs as printed from the learner's folder and shows the same mismatch; in a release the
expected answer comes from the recorded answers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.catalog import Catalog
from grader.checks.base import OutputCheck
from grader.recorded import dump_answers
from grader.release import record_exercise
from grader.repro import NotReproducible, literal, parse_case, reproduce

from .conftest import SOLUTIONS, grade_in, shared_sandbox
from .test_cli import invoke

# dW scaled by a factor that changes from element to element: no known mistake names it
WRONG_DW = ("    dW = dZ.T @ X  #", "    dW = (dZ.T @ X) * (1.0 + X[:1].T.T)  #")
VERDICT = "print('SAME' if np.allclose(expected, yours) else 'DIFFERENT')"


def _learner(tmp_path: Path, replace: tuple[str, str] | None) -> Path:
    folder = tmp_path / "exercises"
    folder.mkdir()
    text = (SOLUTIONS / "exercise03_linear.py").read_text(encoding="utf-8")
    if replace is not None:
        assert replace[0] in text
        text = text.replace(*replace)
    (folder / "exercise03_linear.py").write_text(text, encoding="utf-8")
    return folder


def _snippet(output: str) -> str:
    lines = output.splitlines()
    start = lines.index("import numpy as np")
    end = next(i for i, line in enumerate(lines) if line.startswith('print("yours'))
    return "\n".join(lines[start : end + 1]) + "\n"


def _run(snippet: str, folder: Path) -> str:
    """The snippet as `python -c` runs it from the learner's folder."""
    ran = subprocess.run(
        [sys.executable, "-c", snippet + VERDICT],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


def test_a_failing_check_names_its_case_and_the_command(catalog: Catalog, tmp_path: Path) -> None:
    entry = catalog.find("exercise03")
    assert entry is not None
    report = grade_in(entry, _learner(tmp_path, WRONG_DW))
    check = next(c for c in report.checks if c.name == "linear_backward.dW")
    assert not check.passed and check.case is not None
    assert check.case.startswith("linear_backward.dW#")
    last = check.message.splitlines()[-1].strip()
    assert last == f"Reproduce it: bpgrade check exercise03 --case {check.case}"
    passed = next(c for c in report.checks if c.passed)
    assert passed.case is None and "case" not in passed.model_dump()


def test_the_snippet_runs_as_printed_and_shows_the_mismatch(
    catalog: Catalog, tmp_path: Path
) -> None:
    entry = catalog.find("exercise03")
    assert entry is not None
    folder = _learner(tmp_path, WRONG_DW)
    report = grade_in(entry, folder)
    case = next(c.case for c in report.checks if c.name == "linear_backward.dW")
    assert case is not None
    result = invoke("check", "exercise03", "--dir", str(folder), "--case", case)
    assert result.exit_code == 0, result.output
    assert "Yours (run in the sandbox): array(" in result.output
    snippet = _snippet(result.output)
    assert "from exercise03_linear import linear_backward" in snippet
    out = _run(snippet, folder)
    assert "expected:" in out and "yours:" in out
    assert out.splitlines()[-1] == "DIFFERENT"
    # the same snippet against a right file: the same call, now the same answer
    right = tmp_path / "right"
    right.mkdir()
    shutil.copy(SOLUTIONS / "exercise03_linear.py", right)
    assert _run(snippet, right).splitlines()[-1] == "SAME"


def test_a_backward_fed_its_cache_calls_the_forward_first(catalog: Catalog, tmp_path: Path) -> None:
    entry = catalog.find("exercise05")
    assert entry is not None
    folder = tmp_path / "exercises"
    folder.mkdir()
    text = (SOLUTIONS / "exercise05_two_layer.py").read_text(encoding="utf-8")
    (folder / entry.file).write_text(text.replace("dW1 = dZ1.T @ X", "dW1 = 2 * dZ1.T @ X"))
    shown = reproduce(entry, "two_layer_backward.W1#0", folder, SOLUTIONS, shared_sandbox())
    assert "_, cache = two_layer_forward(params, X)[:2]" in shown.snippet
    assert _run(shown.snippet, folder).splitlines()[-1] == "DIFFERENT"


def test_in_a_release_the_expected_answer_is_the_recorded_one(
    catalog: Catalog, tmp_path: Path
) -> None:
    entry = catalog.find("exercise03")
    assert entry is not None
    solutions = tmp_path / "release" / "solutions"  # a release has none
    (tmp_path / "release" / "expected").mkdir(parents=True)
    answers = dump_answers(record_exercise(entry, SOLUTIONS))
    (tmp_path / "release" / "expected" / "exercise03.json").write_text(answers, encoding="utf-8")
    folder = _learner(tmp_path, WRONG_DW)
    shown = reproduce(entry, "linear_backward.dW#0", folder, solutions, shared_sandbox())
    full = reproduce(entry, "linear_backward.dW#0", folder, SOLUTIONS, shared_sandbox())
    assert shown.snippet == full.snippet and shown.expected == full.expected
    assert "expected = np.array(" in shown.snippet


def test_without_an_expected_answer_the_snippet_says_so_and_still_runs(
    catalog: Catalog, tmp_path: Path
) -> None:
    from grader.checks import checks_for
    from grader.grading import plan
    from grader.repro import Unavailable, snippet

    check = next(c for c in checks_for("exercise03") if c.name == "linear_backward.dW")
    assert isinstance(check, OutputCheck)
    planned = plan([check], 0)[0]
    text = snippet(check, planned.cases[0], "exercise03_linear.py", Unavailable("not recorded"))
    assert "# the expected answer is not available here: not recorded" in text
    ran = subprocess.run(
        [sys.executable, "-c", text], cwd=_learner(tmp_path, None), capture_output=True, text=True
    )
    assert ran.returncode == 0 and ran.stdout.startswith("yours: ["), ran.stderr


def test_cases_are_named_as_the_report_names_them() -> None:
    assert parse_case("linear_backward.dW#3") == ("linear_backward.dW", 3)
    assert parse_case("linear_forward") == ("linear_forward", 0)
    with pytest.raises(NotReproducible):
        parse_case("linear_forward#x")


def test_an_unknown_case_is_bad_usage(tmp_path: Path) -> None:
    folder = _learner(tmp_path, None)
    result = invoke("check", "exercise03", "--dir", str(folder), "--case", "nothing#0")
    assert result.exit_code == 2 and "has no check 'nothing'" in result.output
    result = invoke("check", "exercise03", "--dir", str(folder), "--case", "linear_forward#99")
    assert result.exit_code == 2 and "numbered 0 to" in result.output


def test_literals_are_exact() -> None:
    import numpy as np

    values = np.array([[0.1 + 0.2, -5e-324, 1e300], [float("nan"), float("inf"), -0.0]])
    rebuilt = eval(literal(values), {"np": np})  # the snippet's own way to read it
    assert np.array_equal(rebuilt, values, equal_nan=True) and rebuilt.dtype == values.dtype
    assert eval(literal({"a": (1, 2.5), "b": [np.int64(3)]})) == {"a": (1, 2.5), "b": [3]}


def test_only_a_single_call_is_offered_as_a_snippet() -> None:
    from grader.checks import checks_for
    from grader.grading import reproducible

    by_name = {c.name: c for c in checks_for("exercise06")}
    assert not reproducible(by_name["gradcheck_of.correct"])  # drives callbacks: no one call
    assert not reproducible(by_name["arguments_unchanged"])
    assert reproducible(by_name["rel_error"])
