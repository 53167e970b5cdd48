"""The rules of case design, held for every check of every exercise in the catalog: inputs
that meet each mistake, so that a wrong file cannot pass by the luck of the draw.

An exercise added to the catalog is held to them without this file changing."""

from __future__ import annotations

import numpy as np
import pytest

from grader.catalog import ExerciseEntry, load_catalog
from grader.checks import checks_for
from grader.checks.base import Case, OutputCheck, numeric_leaves, same_data
from grader.checks.inputs import SPECIAL_VALUES
from grader.grading import plan
from grader.reference import reference_for

from .conftest import EXERCISES, SOLUTIONS

SIZE_NAMES = ("N", "D", "D_in", "D_out", "H", "C")
ENTRIES = load_catalog(EXERCISES / "catalog.toml").exercises
OUTPUT_CHECKS = [
    pytest.param(check, id=check.name)
    for entry in ENTRIES
    for check in checks_for(entry.name)
    if isinstance(check, OutputCheck)
]
SEEDED_CHECKS = [
    pytest.param(check, id=check.name)
    for entry in ENTRIES
    for check in checks_for(entry.name)
    if isinstance(check, OutputCheck) and "seed" in check.arguments and check.repeat_seeded
]
REFERENCED_CHECKS = [
    pytest.param(entry, check, id=f"{entry.name}:{check.name}")
    for entry in ENTRIES
    for check in checks_for(entry.name)
    if isinstance(check, OutputCheck)
]


def _cases(check: OutputCheck, seed: int = 0) -> list[Case]:
    return plan([check], seed)[0].cases


def _sizes(case: Case) -> dict[str, float]:
    return {k: f.value for k, f in case.factors.items() if k in SIZE_NAMES}


@pytest.mark.parametrize("check", OUTPUT_CHECKS)
def test_sized_cases_cover_distinct_square_and_single(check: OutputCheck) -> None:
    sized = [c for c in _cases(check) if _sizes(c)]
    if not sized or check.stable:
        pytest.skip("no sizes to vary (a stability check's inputs are fixed large values)")
    first = _sizes(sized[0])
    assert len(set(first.values())) == len(first) and 2 not in first.values(), first
    if len(first) > 1:  # a square: every size equal, so a transpose fits the shapes
        assert any(len(set(_sizes(c).values())) == 1 for c in sized)
    if "N" in first:  # the smallest batch the function takes: 1, or what its contract says
        smallest = sized[0].factors["N"].smallest
        assert any(_sizes(c)["N"] == smallest for c in sized)


@pytest.mark.parametrize("check", OUTPUT_CHECKS)
def test_every_drawn_case_is_called_twice_in_a_row(check: OutputCheck) -> None:
    """A second draw of the same shapes follows each random case, so state kept between
    calls meets different numbers."""
    cases = _cases(check)
    for case in cases:
        if case.twin is None:
            continue
        assert case.twin.twin is case
        for name, value in case.inputs.items():
            other = case.twin.inputs[name]
            assert np.shape(value) == np.shape(other), name
    assert any(case.twin is not None for case in cases)


@pytest.mark.parametrize("seed", [0, 1, 99])
@pytest.mark.parametrize("check", OUTPUT_CHECKS)
def test_elementwise_inputs_meet_kinks_and_large_values(check: OutputCheck, seed: int) -> None:
    """Every argument a function takes element by element holds the kink, values just either
    side of it and large magnitudes, in every draw."""
    if not check.elementwise:
        pytest.skip("no elementwise argument")
    for case in (c for c in _cases(check, seed) if c.plant):
        for name in check.elementwise:
            values = set(np.asarray(case.inputs[name]).ravel().tolist())
            assert set(SPECIAL_VALUES) <= values, (name, case.label)


def test_elementwise_functions_are_declared() -> None:
    """The activations of the course are declared elementwise (so they get the values above)."""
    declared = {c.values[0].function for c in OUTPUT_CHECKS if c.values[0].elementwise}
    assert {"sigmoid", "sigmoid_backward", "relu", "relu_backward", "tanh_backward"} <= declared


@pytest.mark.parametrize("seed", [0, 1, 99])
def test_hidden_layers_meet_the_kink(seed: int) -> None:
    """A network's ReLU sees exactly 0, values just either side and values far past 6."""
    for check in checks_for("exercise05"):
        if check.name != "two_layer_backward.W1":
            continue
        assert isinstance(check, OutputCheck)
        hidden = np.concatenate(
            [
                (c.inputs["X"] @ c.inputs["params"]["W1"].T + c.inputs["params"]["b1"]).ravel()
                for c in _cases(check, seed)
            ]
        )
        assert (hidden == 0).any()
        assert ((np.abs(hidden) > 0) & (np.abs(hidden) < 0.01)).any()
        assert (np.abs(hidden) > 6).any()


@pytest.mark.parametrize("check", SEEDED_CHECKS)
def test_a_seeded_function_is_called_twice_on_the_same_inputs(check: OutputCheck) -> None:
    """Code that draws from np.random's global functions answers differently each call: a
    repeat with the same seed names it, where one call alone only looks wrong."""
    case = _cases(check)[0]
    again, call = check.calls_for(case, "c")
    assert again.function == call.function and again.id != call.id
    for first, second in zip(again.args, call.args, strict=True):
        assert same_data(first, second)
        if isinstance(first, np.ndarray | dict | list):  # what the first call does stays there
            assert first is not second


@pytest.mark.parametrize(("entry", "check"), REFERENCED_CHECKS)
def test_the_reference_answers_are_finite(entry: ExerciseEntry, check: OutputCheck) -> None:
    """The judge takes a NaN where a NaN is expected as right (compare.wrong_cells): so the
    reference must never compute one, or a learner's NaN would pass. An array of NaN alone is
    a driver's word for "no value" (exercise09's .grad left None), not arithmetic."""
    reference = reference_for(entry, SOLUTIONS)
    for case in _cases(check)[:2]:
        for leaf in numeric_leaves(check.expected_value(reference, case)):
            assert np.isfinite(leaf).all() or np.isnan(leaf).all(), case.label
