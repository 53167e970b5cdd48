"""Checks that judge values by their order of magnitude (`Magnitude`), where the digits are
rounding noise that differs between right answers, and checks with an absolute tolerance of
their own (`atol`), where right answers differ by more rounding than the engine's ATOL."""

from __future__ import annotations

import types

import numpy as np

from grader.calls import Call, CallResult
from grader.checks.base import Case, Mistake, OutputCheck
from grader.judge.compare import ATOL, Magnitude

SIZES = Magnitude(small=1e-7, large=1e-3)


def test_classes_and_wrong_cells() -> None:
    expected = np.array([1e-11, 0.3, np.inf, 5e-5, np.nan])
    assert SIZES.classes(expected).tolist()[:4] == [-1.0, 1.0, 1.0, 0.0]
    assert np.isnan(SIZES.classes(expected)[4])
    # other noise, another large figure, inf for inf, the in-between value itself, NaN for NaN
    right = np.array([3e-10, 0.05, 2.0, 5e-5, np.nan])
    assert not SIZES.wrong_cells(right, expected).any()
    wrong = np.array([2e-6, 1e-9, 0.5, 6e-5, 0.0])
    assert SIZES.wrong_cells(wrong, expected).tolist() == [True, True, False, True, True]
    # a mistake is named by its noise and its real errors, these to six digits
    assert SIZES.matches(np.array([3e-11, 0.25]), np.array([1e-10, 0.25 + 1e-9]))
    assert not SIZES.matches(np.array([3e-11, 1 / 3]), np.array([1e-10, 0.25]))
    assert SIZES.words(1e-12) == "below 1e-07 (rounding noise)"
    assert SIZES.words(0.2) == "above 0.001"


def _check(**options: object) -> OutputCheck:
    return OutputCheck(
        name="figures", function="figures", arguments=("x",), make_cases=lambda rng: [], **options
    )


def _judge(check: OutputCheck, expected: np.ndarray, received: np.ndarray) -> object:
    reference = types.SimpleNamespace(figures=lambda x: expected)
    case = Case("one case", {"x": np.zeros(3)})
    call = Call("c", "figures", (case.inputs["x"],))
    return check.judge_case(reference, case, [call], [CallResult(value=received)])  # type: ignore[arg-type]


def test_a_check_by_magnitude_passes_other_noise_and_names_a_mistake_by_its_sizes() -> None:
    swapped = Mistake(
        "wrong_variable",
        "compared with the wrong input.",
        lambda ref, c: np.array([1e-12, 0.02, 0.3]),
    )
    check = _check(magnitude=SIZES, mistakes=(swapped,))
    expected = np.array([2e-10, 1e-11, 0.4])
    assert _judge(check, expected, np.array([5e-9, 3e-12, 0.2])) is None
    verdict = _judge(check, expected, np.array([4e-11, 0.02, 0.3]))
    assert verdict is not None and not verdict.passed
    assert "figures[1]: expected below 1e-07 (rounding noise), received 0.02." in verdict.message
    assert "figures[0]" not in verdict.message  # right cells are not listed
    assert verdict.reading is not None and verdict.reading.first is not None
    assert verdict.reading.first.tag == "wrong_variable"


def test_a_tolerance_of_its_own_passes_rounding_and_fails_a_real_difference() -> None:
    expected = np.array([0.5, 1e-3, -2.0])
    noise = expected + np.array([1e-10, -1e-10, 1e-10])
    assert _judge(_check(), expected, noise) is not None  # the engine's ATOL: 1e-11 of the scale
    assert _check().atol == ATOL
    loose = _check(atol=1e-8)
    assert _judge(loose, expected, noise) is None
    verdict = _judge(loose, expected, expected + np.array([0.0, 5e-6, 0.0]))
    assert verdict is not None and "1 of 3 elements differ" in verdict.message
