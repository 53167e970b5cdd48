"""The catalog model: what a course's exercises/catalog.toml may say."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from grader.catalog import Catalog

from .conftest import ROOT

EXERCISE = {
    "name": "exercise01",
    "file": "exercise01_chain_rule.py",
    "title": "One neuron",
    "checks": [{"name": "neuron_loss", "title": "L", "points": 1}],
}


def test_find_accepts_every_spelling(catalog: Catalog) -> None:
    for query in ("exercise03", "3", "03", "exercise03_linear", "exercise03_linear.py"):
        entry = catalog.find(query)
        assert entry is not None and entry.name == "exercise03"
    names = {e.name for e in catalog.exercises}
    absent = next(f"exercise{n:02d}" for n in range(1, 100) if f"exercise{n:02d}" not in names)
    assert catalog.find(absent) is None  # a name of the form the course has none of
    assert catalog.find(str(int(absent.removeprefix("exercise")))) is None


def test_closest_suggests_a_near_miss(catalog: Catalog) -> None:
    assert catalog.closest("exercize03") == "exercise03"
    assert catalog.closest("linear") is None or catalog.closest("linear") == "exercise03"


@pytest.mark.parametrize(
    "change",
    [
        {"points": -1},
        {"points": 0},
        {"points": None},
        {"name": "Not A Check!"},
        {"surprise": True},
        {"advice": True},  # advice with points: advice is worth nothing
        {"advice": True, "points": 0.5},
    ],
)
def test_bad_checks_are_refused(change: dict) -> None:
    exercise = {**EXERCISE, "checks": [{**EXERCISE["checks"][0], **change}]}
    with pytest.raises(ValidationError):
        Catalog.model_validate({"exercises": [exercise]})


def test_file_must_belong_to_its_exercise() -> None:
    with pytest.raises(ValidationError, match="should start with exercise01_"):
        Catalog.model_validate({"exercises": [{**EXERCISE, "file": "exercise02_x.py"}]})


def test_duplicate_checks_and_exercises_are_refused() -> None:
    twice = {**EXERCISE, "checks": EXERCISE["checks"] * 2}
    with pytest.raises(ValidationError, match="duplicate check"):
        Catalog.model_validate({"exercises": [twice]})
    with pytest.raises(ValidationError, match="unique"):
        Catalog.model_validate({"exercises": [EXERCISE, EXERCISE]})


def test_max_score_adds_up_the_points(catalog: Catalog) -> None:
    assert catalog.find("3").max_score == sum(c.points for c in catalog.find("3").checks)


def test_advice_is_worth_no_points_and_adds_nothing() -> None:
    advice = {"name": "arguments_unchanged", "title": "A", "advice": True}
    for entry in (advice, {**advice, "points": 0}):
        exercise = {**EXERCISE, "checks": [*EXERCISE["checks"], entry]}
        catalog = Catalog.model_validate({"exercises": [exercise]})
        checks = catalog.exercises[0].checks
        assert checks[1].advice and checks[1].points == 0
        assert catalog.exercises[0].max_score == 1
    with pytest.raises(ValidationError, match="advice = true"):
        Catalog.model_validate(
            {"exercises": [{**EXERCISE, "checks": [{"name": "neuron_loss", "title": "L"}]}]}
        )


def test_the_readme_lists_every_exercise_of_the_catalog(catalog: Catalog) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| (exercise\d{2}) \| `(exercise\d{2}_\w+\.py)` \|", readme, re.M))
    assert rows == {(entry.name, entry.file) for entry in catalog.exercises}
