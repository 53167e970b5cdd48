"""The first screen of `bpgrade check`: a failing exercise fits an 80x24 terminal and shows
the score, the first thing to fix and its likely mistake; tables fit the width or change form;
what the learner's code printed is shown with the check that ran it, and cannot pass for the
grader's words."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import numpy as np
import pytest

from grader.api import feedback, printed_text, to_html
from grader.catalog import Catalog
from grader.cli.render import report_text
from grader.judge.compare import mismatch
from grader.judge.feedback import describe_mismatch, describe_value, side_by_side
from grader.judge.tables import fit
from grader.report import ExerciseReport, summarize

from .conftest import SOLUTIONS, grade_file

CORPUS = Path(__file__).parent / "corpus"
BUGS = sorted(
    path.relative_to(CORPUS).as_posix()
    for number in range(1, 13)
    for path in (CORPUS / f"exercise{number:02d}").glob("bug_*.py")
)
WIDTH, HEIGHT = 80, 24


def _screen(report: ExerciseReport, catalog: Catalog, verbose: bool = False) -> list[str]:
    text = report_text(summarize([report]), catalog, verbose=verbose, width=WIDTH)
    return click.unstyle(text).split("\n")


def _words(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


@pytest.mark.parametrize("relative", BUGS)
def test_a_failing_exercise_fits_the_first_screen(
    relative: str, catalog: Catalog, tmp_path: Path
) -> None:
    entry = catalog.find(relative.split("/")[0])
    assert entry is not None
    report = grade_file(entry, CORPUS / relative, tmp_path / "submission")
    lines = _screen(report, catalog)
    assert max(len(line) for line in lines) <= WIDTH, max(lines, key=len)
    # what the terminal shows once the command is done: the last lines, and the prompt
    assert len(lines) <= HEIGHT - 2, "\n".join(lines)
    first = _words(lines[: HEIGHT - 2])
    assert f"{report.name} {report.title} {report.score:g}/{report.max_score:g}" in first
    assert "Next:" in first
    failed = next(c for c in report.checks if not c.passed)
    assert f"✗ {failed.name} " in first or f"XX {failed.name} " in first
    said = feedback(failed)
    if said.diagnosis:  # its likely mistake in words, without the report's tag
        start = " ".join(said.diagnosis.split()[:6])
        assert f"{said.diagnosis_heading}: {start}" in first
    elif failed.diagnosis is not None:  # a mistake named in the headline itself
        assert " ".join(said.headline.split()[:6]) in first
    for verbose in (False, True):
        shown = "\n".join(_screen(report, catalog, verbose))
        assert not re.search(r"Likely mistake \(", shown)


def test_verbose_shows_every_failing_check_and_a_wide_table_changes_form(
    catalog: Catalog, tmp_path: Path
) -> None:
    entry = catalog.find("exercise05")
    assert entry is not None
    source = CORPUS / "exercise05" / "bug_backward_divides_by_n.py"
    report = grade_file(entry, source, tmp_path / "submission")
    failing = [c for c in report.checks if not c.passed]
    assert len(failing) > 1
    short = _words(_screen(report, catalog))
    assert "`bpgrade check exercise05 -v` shows every failing check in full." in short
    assert short.count("Likely mistake:") == 1
    full = _screen(report, catalog, verbose=True)
    assert max(len(line) for line in full) <= WIDTH
    named = sum(bool(feedback(c).diagnosis) for c in failing)
    assert _words(full).count("Likely mistake:") == named
    # W1's 6x5 table is wider than 80 columns side by side: one above the other with -v
    assert any(line.strip() == "expected" for line in full)


def test_several_exercises_get_a_line_each_and_the_first_failure_in_full(
    catalog: Catalog, tmp_path: Path
) -> None:
    graded = []
    for relative in ("exercise01/bug_error_flipped.py", "exercise03/bug_transposed_dw.py"):
        entry = catalog.find(relative.split("/")[0])
        assert entry is not None
        graded.append(grade_file(entry, CORPUS / relative, tmp_path / relative))
    first, second = graded
    text = report_text(summarize(graded), catalog, width=WIDTH)
    lines = click.unstyle(text).split("\n")
    assert len(lines) <= HEIGHT - 2 and max(map(len, lines)) <= WIDTH
    words = _words(lines)
    assert f"{second.name} {second.title} {second.score:g}/{second.max_score:g} failed" in words
    assert next(c.name for c in first.checks if not c.passed) in words
    assert not any(c.name in words for c in second.checks)  # its checks wait their turn
    assert "Total:" in words and "Next: fix exercise01" in words


def test_the_likely_mistake_is_coloured_for_a_terminal(catalog: Catalog, tmp_path: Path) -> None:
    entry = catalog.find("exercise03")
    assert entry is not None
    source = CORPUS / "exercise03" / "bug_transposed_dw.py"
    report = grade_file(entry, source, tmp_path / "submission")
    text = report_text(summarize([report]), catalog, width=WIDTH)
    # styled here; echo leaves the colour out where stdout is no terminal, or NO_COLOR is set
    assert click.style("Likely mistake", fg="yellow", bold=True) + ":" in text


# --- tables ------------------------------------------------------------------------------------

EXPECTED = np.array([[2.114, 0.3594, 1.302], [-0.1063, -0.3259, -0.4296]])
RECEIVED = np.array([[2.114, -0.1063, 0.6802], [0.3594, -0.3259, -0.4296]])
# as the judge writes it into the report, without the message's indentation
TABLE = [
    line.removeprefix("    ")
    for line in side_by_side(EXPECTED, RECEIVED, EXPECTED != RECEIVED).split("\n")
]
CELLS = {"2.114", "0.3594", "1.302", "-0.1063", "-0.3259", "-0.4296", "0.6802"}


def _numbers(lines: list[str]) -> set[str]:
    return {t.rstrip("*,") for line in lines for t in re.findall(r"-?\d+\.\d+\*?", line)}


def test_a_table_that_fits_is_kept_side_by_side() -> None:
    assert fit(TABLE, 80, None) == TABLE


def test_a_narrower_table_is_stacked_then_cut_to_its_wrong_cells() -> None:
    stacked = fit(TABLE, 40, None)
    assert stacked[0] == "expected" and stacked[3].startswith("received")
    assert max(map(len, stacked)) <= 40 and _numbers(stacked) == CELLS
    wrong = fit(TABLE, 40, 3, arrow="->")
    assert wrong[0] == "wrong cells, expected -> received:"
    assert "[0, 1] 0.3594 -> -0.1063" in wrong[1]
    assert len(wrong) <= 3 and max(map(len, wrong)) <= 40
    assert all(number in CELLS for number in _numbers(wrong))  # no number cut in two


def test_lines_that_are_no_table_are_kept() -> None:
    lines = ["expected 0.5, received 0.25"]
    assert fit(lines, 10, 1) == lines


# --- the learner's prints ----------------------------------------------------------------------

PRINTING = '''
def neuron_loss(w, b, x, y):
    print("\\x1b[2J\\x1b[31mloss\\x1b[0m for", w)
    for i in range(30):
        print("line", i)
    return -1.0
'''


def test_prints_are_shown_under_their_check_capped_and_without_escapes(
    catalog: Catalog, tmp_path: Path
) -> None:
    entry = catalog.find("exercise01")
    assert entry is not None
    source = tmp_path / "printing.py"
    source.write_text((SOLUTIONS / entry.file).read_text() + PRINTING)
    report = grade_file(entry, source, tmp_path / "submission")
    printed = {c.name: c.output for c in report.checks if c.output}
    assert list(printed) == ["neuron_loss"]
    assert "\x1b[31mloss" in printed["neuron_loss"]  # kept as printed in the report
    assert "output" not in report.checks[1].model_dump()  # no key where nothing was printed

    for verbose in (False, True):
        lines = _screen(report, catalog, verbose)
        text = "\n".join(lines)
        assert "\x1b" not in text and "[2J" not in text
        at = next(i for i, line in enumerate(lines) if "neuron_loss " in line)
        label = next(i for i, line in enumerate(lines) if "Your prints:" in line)
        assert at < label  # under its check
        assert "loss for" in lines[label + 1]
        bars = [line for line in lines if re.match(r"\s+[│|] ", line)]
        assert 0 < len(bars) <= 10
        assert re.search(r"\.\.\. \d+ more lines", text)
        assert text.count("Your prints:") == 1


FIRST_BUGS = [
    next(bug for bug in BUGS if bug.startswith(f"exercise{number:02d}/"))
    for number in range(1, 13)
]


def _printing_everywhere(source: str) -> str:
    """The file with a dozen lines printed at the start of every function and method."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            loud = ast.parse("for _line in range(12):\n    print('debugging', _line)").body
            node.body = [*loud, *node.body]
    return ast.unparse(tree)


@pytest.mark.parametrize("relative", FIRST_BUGS)
def test_a_failing_exercise_that_prints_a_lot_still_fits_the_first_screen(
    relative: str, catalog: Catalog, tmp_path: Path
) -> None:
    """Its prints give up lines, down to one that says they are there, before the score or
    the mistake leave the screen."""
    entry = catalog.find(relative.split("/")[0])
    assert entry is not None
    source = tmp_path / entry.file
    source.write_text(_printing_everywhere((CORPUS / relative).read_text(encoding="utf-8")))
    report = grade_file(entry, source, tmp_path / "submission")
    assert any(check.output for check in report.checks if not check.passed)
    lines = _screen(report, catalog)
    assert len(lines) <= HEIGHT - 2, "\n".join(lines)
    first = _words(lines)
    assert f"{report.name} {report.title} {report.score:g}/{report.max_score:g}" in first
    assert "Your prints:" in first


def test_printed_text_keeps_no_escape_or_carriage_return() -> None:
    printed = "\x1b[31mred\x1b[0m\tdone\rXX\n\x1b]0;title\x07ok\x00\n\n"
    assert printed_text(printed) == "red doneXX\nok"


def test_html_shows_prints_escaped(catalog: Catalog, tmp_path: Path) -> None:
    entry = catalog.find("exercise01")
    assert entry is not None
    source = tmp_path / "printing.py"
    source.write_text((SOLUTIONS / entry.file).read_text() + PRINTING + "    # <b>\n")
    report = grade_file(entry, source, tmp_path / "submission")
    page = to_html(summarize([report]))
    assert page.count('<pre class="bpgrade-prints">') == 1
    assert "loss for" in page and "\x1b" not in page


# --- numbers in words ---------------------------------------------------------------------------


def test_a_seed_prints_whole_however_it_came() -> None:
    for seed in (1118119381, np.int64(1118119381), np.array(1118119381)):
        assert describe_value(seed) == "1118119381"


def test_a_wrong_number_says_how_far_off_in_words() -> None:
    expected, received = np.array(0.5), np.array(-0.5)
    said = describe_mismatch("dL_dw", received, expected, mismatch(received, expected))
    assert said.startswith("  dL_dw: a number as expected, off by 1 (200% of the expected value).")
    assert "element" not in said and "relative" not in said


def _said(received: np.ndarray, expected: np.ndarray) -> str:
    return describe_mismatch("y", received, expected, mismatch(received, expected))


def test_one_wrong_cell_differs_and_many_differ() -> None:
    expected = np.array([1.0, 2.0, 3.0])
    one, two = np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 4.0])
    assert "1 of 3 elements differs;" in _said(one, expected)
    assert "2 of 3 elements differ;" in _said(two, expected)
    assert "(up to 50% of the expected value)" in _said(two, expected)


def test_a_wrong_cell_shows_the_digits_that_tell_it_from_the_expected_one() -> None:
    """An eps left out of a square root is off in the sixth digit: at four, the starred
    cells would read the same as the expected ones."""
    expected = np.array([[3.3461231, 5.5630012], [0.2280001, -0.0836204]])
    received = expected * (1 + 3e-6)
    said = _said(received, expected)
    rows = [line.split("]")[:2] for line in said.split("\n") if line.strip().startswith("[")]
    assert rows, said
    for left, right in rows:
        wrong = right.replace("*", " ").split("[")[-1].split()
        right_cells = left.split("[")[-1].split()
        assert all(a != b for a, b in zip(right_cells, wrong, strict=True)), said
    # right cells keep the short form
    close = expected.copy()
    close[0, 0] = 99.0
    assert "5.563 " in _said(close, expected)
