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
