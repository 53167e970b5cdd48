"""The numbers behind exercise07's picture reach the report (`CheckReport.data`): each layer's
gradient norm and each hidden layer's saturation, computed with the learner's own functions,
for each activation under an initialization that suits it and one that does not."""

from __future__ import annotations

import itertools
from pathlib import Path

from grader.catalog import Catalog
from grader.report import CheckReport

from .conftest import SOLUTIONS, grade_file, grade_in

CORPUS = Path(__file__).parent / "corpus" / "exercise07"


def _picture(checks: list[CheckReport]) -> dict[str, list[float]]:
    check = next(c for c in checks if c.name == "deep_picture")
    assert check.data is not None
    return {name: list(values.values()) for name, values in check.data.layers.items()}


def test_the_picture_shows_vanishing_and_exploding(catalog: Catalog) -> None:
    entry = catalog.find("exercise07")
    assert entry is not None
    picture = _picture(grade_in(entry, SOLUTIONS).checks)
    vanishing = picture["grad_norm, sigmoid, small"]
    assert len(vanishing) == 10 and vanishing[0] < 1e-9 * vanishing[-1]
    assert all(a < b for a, b in itertools.pairwise(vanishing))
    assert min(picture["grad_norm, relu, unit"]) > 1e3 * max(picture["grad_norm, relu, he"])
    assert len(picture["saturation, tanh, unit"]) == 9
    assert min(picture["saturation, tanh, unit"]) > max(picture["saturation, tanh, xavier"])


def test_a_wrong_file_gets_its_own_picture(catalog: Catalog, tmp_path: Path) -> None:
    entry = catalog.find("exercise07")
    assert entry is not None
    report = grade_file(entry, CORPUS / "bug_tanh_saturation_one_sided.py", tmp_path)
    ours = _picture(report.checks)["saturation, tanh, unit"]
    right = _picture(grade_in(entry, SOLUTIONS).checks)["saturation, tanh, unit"]
    assert all(a < b for a, b in zip(ours, right, strict=True))  # one side of two counted


def test_the_json_report_leaves_data_out_where_a_check_has_none(catalog: Catalog) -> None:
    entry = catalog.find("exercise07")
    assert entry is not None
    dumped = grade_in(entry, SOLUTIONS).model_dump()
    with_data = [c["name"] for c in dumped["checks"] if "data" in c]
    assert with_data == ["deep_picture"]


def test_exercise11_picture_is_each_querys_weights(catalog: Catalog, tmp_path: Path) -> None:
    """exercise11's picture: one row of attention weights per query position, causal (zero
    after the query) and summing to 1; an anti-causal file's picture is its own."""
    entry = catalog.find("exercise11")
    assert entry is not None

    def rows(checks: list[CheckReport]) -> list[list[float]]:
        check = next(c for c in checks if c.name == "attention_picture")
        assert check.data is not None
        return [list(values.values()) for values in check.data.layers.values()]

    ours = rows(grade_in(entry, SOLUTIONS).checks)
    assert len(ours) == 6 and all(len(row) == 6 for row in ours)
    for t, row in enumerate(ours):
        assert all(p == 0.0 for p in row[t + 1 :]) and abs(sum(row) - 1.0) < 1e-12
    wrong = Path(__file__).parent / "corpus" / "exercise11" / "bug_anti_causal_mask.py"
    theirs = rows(grade_file(entry, wrong, tmp_path).checks)
    assert theirs[0][-1] > 0.0  # the first query sees the last position
    assert theirs[-1] == [0.0] * 5 + [1.0]  # and the last one only itself
