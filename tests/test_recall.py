"""The reference's answers on a public case are computed once per process; a student's
hidden cases are never kept (grader.checks.recall)."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import numpy as np

from grader.catalog import load_catalog
from grader.checks.base import Case
from grader.checks.recall import EXPECTED, recalled
from grader.grading import plan_exercise
from grader.numeric import OracleCache

ROOT = Path(__file__).resolve().parents[1]


CALLS: list[float] = []  # the scale of each oracle call (a global: no part of its digest)


class Oracle:
    """A counted oracle: x times its scale."""

    def __init__(self, scale: float) -> None:
        def oracle(reference: Any, case: Case) -> np.ndarray:
            CALLS.append(scale)
            return np.asarray(case.inputs["x"]) * scale

        self.scale, self.function = scale, oracle

    @property
    def calls(self) -> int:
        return CALLS.count(self.scale)


def _module(name: str, file: Path) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = str(file)  # a module is digested by its file's bytes
    return module


REFERENCE = _module("reference", ROOT / "solutions" / "exercise03_linear.py")
# any object with a digest stands for the check
CHECK = _module("check", ROOT / "grader" / "checks" / "spec.py")


def _case(known_as: str | None = "exercise03_linear:0:linear_backward.dW#0") -> Case:
    return Case("a case", {"x": np.arange(3.0)}, known_as=known_as)


def test_a_public_case_is_computed_once_and_handed_out_as_a_copy() -> None:
    CALLS.clear()
    cache, oracle = OracleCache(), Oracle(2.0)
    first = recalled(oracle.function, REFERENCE, _case(), "dW", CHECK, cache)
    first[0] = 99.0  # the caller's to write into
    again = recalled(oracle.function, REFERENCE, _case(), "dW", CHECK, cache)  # another student's
    assert oracle.calls == 1
    np.testing.assert_array_equal(again, [0.0, 2.0, 4.0])


def test_a_hidden_case_is_never_kept() -> None:
    CALLS.clear()
    cache, oracle = OracleCache(), Oracle(2.0)
    for _ in range(2):
        hidden = _case()
        hidden.recurs = False
        recalled(oracle.function, REFERENCE, hidden, "dW", CHECK, cache)
    assert oracle.calls == 2
    assert len(cache) == 0 and cache.hits == cache.misses == 0


def test_the_name_of_a_case_is_not_all_of_its_key() -> None:
    cache = OracleCache()
    CALLS.clear()
    doubled, tripled = Oracle(2.0), Oracle(3.0)
    recalled(doubled.function, REFERENCE, _case(), "dW", CHECK, cache)
    np.testing.assert_array_equal(
        recalled(tripled.function, REFERENCE, _case(), "dW", CHECK, cache), [0.0, 3.0, 6.0]
    )
    other = _module("another_check", ROOT / "grader" / "checks" / "base.py")
    recalled(doubled.function, REFERENCE, _case(), "db", CHECK, cache)
    recalled(doubled.function, REFERENCE, _case(), "dW", other, cache)
    assert doubled.calls == 3 and tripled.calls == 1


def test_an_expected_value_is_kept_only_for_a_named_case() -> None:
    CALLS.clear()
    cache, oracle = OracleCache(), Oracle(2.0)
    for _ in range(2):
        recalled(oracle.function, REFERENCE, _case(known_as=None), EXPECTED, CHECK, cache)
    assert oracle.calls == 2 and len(cache) == 0


def test_planning_names_public_cases_and_marks_hidden_ones() -> None:
    entry = next(
        e for e in load_catalog(ROOT / "exercises" / "catalog.toml").exercises
        if e.name.startswith("exercise03")
    )
    planned = plan_exercise(entry, 7, "alice", ROOT / "solutions")
    (public, _), (hidden, _) = planned.rounds
    names = [case.known_as for p in public for case in p.cases]
    assert all(case.recurs for p in public for case in p.cases)
    assert len(set(names)) == len(names) and all(
        name is not None and name.startswith(f"{entry.name}:7:") for name in names
    )
    assert not any(case.recurs for p in hidden for case in p.cases)
    assert all(case.known_as is None for p in hidden for case in p.cases)
