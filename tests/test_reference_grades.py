"""The grader is never wrong about the reference: full marks on every seed, zero on the stubs."""

from __future__ import annotations

import pytest

from grader.authoring.consistency import check_name_differences
from grader.catalog import Catalog
from grader.checks import checks_for

from .conftest import EXERCISES, SOLUTIONS, grade_folder

# A quick tier of a few seeds on every run; the other seeds of the 200 are the slow tier
# (about 0.6 s a seed), left out by `pytest -m "not slow"` and run by CI's plain `pytest`.
QUICK_SEEDS = 3
SEEDS = [
    seed if seed < QUICK_SEEDS else pytest.param(seed, marks=pytest.mark.slow)
    for seed in range(200)
]


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_passes_every_check(seed: int, catalog: Catalog) -> None:
    report = grade_folder(list(catalog.exercises), SOLUTIONS, seed)
    failures = [
        (e.name, c.name, c.message) for e in report.exercises for c in e.checks if not c.passed
    ]
    assert failures == []
    assert report.score == report.max_score


def test_stubs_are_not_started(catalog: Catalog) -> None:
    report = grade_folder(list(catalog.exercises), EXERCISES)
    assert [e.status for e in report.exercises] == ["not_started"] * len(catalog.exercises)
    assert report.score == 0
    assert all(
        "NotImplementedError" in c.message or "Not every function" in c.message
        for e in report.exercises
        for c in e.checks
    )


def test_catalog_and_grader_name_the_same_checks(catalog: Catalog) -> None:
    # the comparison `bpgrade dev check` makes: (only in the catalog, only in the spec)
    for entry in catalog.exercises:
        assert check_name_differences(entry, checks_for(entry.name)) == ([], []), entry.name
