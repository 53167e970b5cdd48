"""What a check is: the calls it plans, and how it judges what came back.

A check never sees the learner's module: it plans `Call`s on inputs it generates, and judges
the plain `CallResult`s against the reference solution, which it does see.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from grader.calls import Call, CallResult, LearnerError, Part, pick
from grader.judge.compare import (
    NUMERIC_ATOL,
    NUMERIC_RTOL,
    NotNumeric,
    as_array,
    close,
    mismatch,
)
from grader.judge.diagnose import Diagnosis, Factor, Finding, diagnose
from grader.judge.feedback import describe_call, describe_error, describe_mismatch
from grader.recorded import NotRecorded

OVERFLOWS = ("OverflowError", "FloatingPointError")
STABILITY_ADVICE = (
    "Large inputs must stay finite without overflow: rearrange the formula so exp only sees "
    "values <= 0 (subtract the row max, or use exp(-|z|)). np.where(cond, a, b) computes both "
    "a and b everywhere, so an overflowing branch still warns."
)


@dataclass
class Case:
    """One set of inputs: named arguments, and the sizes a wrong factor may come from."""

    label: str
    inputs: dict[str, Any]
    factors: dict[str, Factor] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str
    diagnosis: Diagnosis | None = None
    not_started: bool = False


@dataclass
class Evidence:
    """What a check judges: its cases, the calls made for each, and what came back."""

    cases: list[Case]
    calls: list[list[Call]]  # per case
    results: list[list[CallResult]]  # per case
    exercise_calls: list[Call]
    exercise_results: list[CallResult]


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: what code with this mistake returns, and what to tell the learner."""

    tag: Diagnosis | None
    sentence: str
    model: Callable[[ModuleType, Case], Any]


class Check(ABC):
    name: str
    function: str

    @abstractmethod
    def cases(self, rng: np.random.Generator) -> list[Case]: ...

    @abstractmethod
    def calls_for(self, case: Case, id: str) -> list[Call]: ...

    @abstractmethod
    def judge(self, reference: ModuleType, evidence: Evidence) -> Verdict: ...


def failed_call(
    function: str, results: Sequence[CallResult], calls: Sequence[Call], called: str = ""
) -> Verdict | None:
    """A failing verdict for the first call of a case that did not return, if any did not.

    `called` describes the call under test (with its argument shapes) for the message.
    """
    for call, result in zip(calls, results, strict=True):
        if result.error is None:
            continue
        error = result.error
        if error.kind == "skipped":
            continue
        name = call.function
        if name != function:
            message = describe_error(error, name)
            message = f"{function} could not be checked, because {message[0].lower()}{message[1:]}"
        else:
            message = describe_error(error, name, called)
        return Verdict(False, message, not_started=error.kind == "not_implemented")
    last = results[-1].error
    if last is not None:
        return Verdict(False, describe_error(last, function))
    return None


@dataclass(frozen=True)
class OutputCheck(Check):
    """One output of one function, judged against the reference on every case.

    `numeric` adds central differences of the reference forward as a second, independent
    oracle for gradients. `stable` makes NumPy warnings and non-finite values failures.
    `baseline` is subtracted before naming a factor (an update is judged by its step).
    """

    name: str
    function: str
    arguments: tuple[str, ...]
    make_cases: Callable[[np.random.Generator], list[Case]]
    part: Part = None
    shape_of_return: str = ""  # e.g. "a tuple (dX, dW, db)", for messages about the structure
    output_name: str = ""
    expected: Callable[[ModuleType, Case], Any] | None = None
    numeric: Callable[[ModuleType, Case], Any] | None = None
    mistakes: tuple[Mistake, ...] = ()
    stable: bool = False
    baseline: Callable[[Case], Any] | None = None
    item_names: tuple[str, ...] = ()  # names for the items of a tuple judged whole
    keep: Part = None  # the part of the return value the learner's side sends back at all

    @property
    def label(self) -> str:
        return self.output_name or self.function

    def cases(self, rng: np.random.Generator) -> list[Case]:
        return self.make_cases(rng)

    def calls_for(self, case: Case, id: str) -> list[Call]:
        return [Call(id, self.function, self.args(case), keep=self.returned_part)]

    @property
    def returned_part(self) -> Part:
        """Only the judged part comes back, so the rest may be anything the learner likes."""
        return self.keep if self.keep is not None else self.part

    def args(self, case: Case) -> tuple[Any, ...]:
        return tuple(case.inputs[name] for name in self.arguments)

    def expected_value(self, reference: ModuleType, case: Case) -> Any:
        if self.expected is not None:
            return self.expected(reference, case)
        whole = getattr(reference, self.function)(*copy.deepcopy(self.args(case)))
        return pick(whole, self.part)

    def judge(self, reference: ModuleType, evidence: Evidence) -> Verdict:
        for case, calls, results in zip(
            evidence.cases, evidence.calls, evidence.results, strict=True
        ):
            try:
                verdict = self.judge_case(reference, case, calls, results)
            except NotRecorded as missing:  # a release without the expected value of this case
                return Verdict(False, f"{self.label} cannot be checked on {case.label}: {missing}")
            if verdict is not None:
                return verdict
        count = len(evidence.cases)
        return Verdict(True, f"right on all {count} input{'s' if count != 1 else ''}.")

    def judge_case(
        self, reference: ModuleType, case: Case, calls: list[Call], results: list[CallResult]
    ) -> Verdict | None:
        called = describe_call(self.function, self.arguments, calls[-1].args)
        failure = failed_call(self.function, results, calls, called)
        if failure is not None:
            error = results[-1].error
            if self.stable and error is not None and error.type in OVERFLOWS:
                return Verdict(False, failure.message + "\n  " + STABILITY_ADVICE, "unstable")
            if error is not None and error.kind == "bad_return" and self.shape_of_return:
                message = f"{failure.message[:-1]}; it should return {self.shape_of_return}."
                return Verdict(False, message)
            return failure
        result = results[-1]
        received = result.value  # the runner already kept only self.returned_part
        expected = self.expected_value(reference, case)
        if self.stable:
            verdict = self._stability(called, result, received)
            if verdict is not None:
                return verdict
        if isinstance(expected, dict):
            return self._judge_dict(reference, case, called, received, expected)
        if isinstance(expected, tuple):
            return self._judge_tuple(reference, case, called, received, expected)
        return self._judge_array(
            reference, case, called, received, expected, self.label, self._baseline(case)
        )

    def _baseline(self, case: Case) -> Any:
        return None if self.baseline is None else self.baseline(case)

    def _stability(self, called: str, result: CallResult, received: Any) -> Verdict | None:
        numpy_warnings = [w for w in result.warnings if w.startswith("RuntimeWarning")]
        if numpy_warnings:
            return Verdict(
                False,
                f"{called} raised a NumPy warning: {numpy_warnings[0]}. {STABILITY_ADVICE}",
                "unstable",
            )
        bad = sum(int((~np.isfinite(leaf)).sum()) for leaf in _numeric_leaves(received))
        if bad:
            return Verdict(
                False,
                f"{called} returned {bad} NaN or infinite value{'s' if bad != 1 else ''} for "
                f"large inputs. {STABILITY_ADVICE}",
                "unstable",
            )
        return None

    def _judge_tuple(
        self,
        reference: ModuleType,
        case: Case,
        called: str,
        received: Any,
        expected: tuple[Any, ...],
    ) -> Verdict | None:
        if not isinstance(received, tuple | list) or len(received) != len(expected):
            return Verdict(False, f"{called} should return {self.shape_of_return}.")
        for name, r, e in zip(self.item_names, received, expected, strict=True):
            verdict = self._judge_array(reference, case, called, r, e, name, key=name)
            if verdict is not None:
                return verdict
        return None

    def _judge_dict(
        self,
        reference: ModuleType,
        case: Case,
        called: str,
        received: Any,
        expected: dict[str, Any],
    ) -> Verdict | None:
        if not isinstance(received, dict):
            return Verdict(
                False,
                f"{called} returned a {type(received).__name__}; it should return a dict "
                f"with the keys {', '.join(expected)}.",
            )
        missing = [key for key in expected if key not in received]
        if missing:
            return Verdict(
                False,
                f"{called} returned a dict without {', '.join(repr(k) for k in missing)}.",
            )
        baseline = self._baseline(case)
        for key, value in expected.items():
            verdict = self._judge_array(
                reference,
                case,
                called,
                received[key],
                value,
                f"{self.label}[{key!r}]",
                None if baseline is None else baseline[key],
                key,
            )
            if verdict is not None:
                return verdict
        return None

    def _judge_array(
        self,
        reference: ModuleType,
        case: Case,
        called: str,
        received: Any,
        expected: Any,
        name: str,
        baseline: Any = None,
        key: str | None = None,
    ) -> Verdict | None:
        try:
            r = as_array(received)
        except NotNumeric:
            return Verdict(
                False,
                f"{called} returned {type(received).__name__} for {name}, which is not numbers.",
            )
        e = as_array(expected)
        if r.shape == e.shape and close(r, e):
            if self.numeric is None or key is not None:
                return None
            try:
                numeric = as_array(self.numeric(reference, case))
            except NotRecorded:  # a release: the expected value was checked against it then
                return None
            if close(r, numeric, NUMERIC_RTOL, NUMERIC_ATOL):
                return None
            return Verdict(
                False,
                f"{called}: {name} disagrees with the numeric gradient (central differences).\n"
                + describe_mismatch(
                    name, r, numeric, mismatch(r, numeric, NUMERIC_RTOL, NUMERIC_ATOL)
                ),
            )
        modeled = []
        for m in self.mistakes:
            try:
                model = _model_part(m.model(reference, case), key)
            except NotRecorded:  # a release without this model: diagnose without it
                continue
            modeled.append((Finding(m.tag, m.sentence), model))
        finding = diagnose(
            r, e, name=name, modeled=modeled, factors=case.factors, baseline=baseline
        )
        diff = mismatch(r, e) if r.shape == e.shape else None
        lines = [f"{called}: wrong {name}.", describe_mismatch(name, r, e, diff)]
        if finding is not None:
            tag = f" ({finding.tag})" if finding.tag else ""
            lines.append(f"  Likely mistake{tag}: {finding.sentence}")
        return Verdict(False, "\n".join(lines), finding.tag if finding else None)


def _numeric_leaves(value: Any) -> list[np.ndarray]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _numeric_leaves(item)]
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in _numeric_leaves(item)]
    try:
        return [as_array(value)]
    except NotNumeric:
        return []


def _model_part(value: Any, key: str | None) -> Any:
    if key is None:
        return value
    return value.get(key) if isinstance(value, dict) else None


def ones_upstream(argument: str) -> Callable[[Case], Case]:
    """The same case with the upstream gradient replaced by ones: what 'forgot dA' computes."""

    def replace(case: Case) -> Case:
        inputs = dict(case.inputs)
        inputs[argument] = np.ones_like(inputs[argument])
        return Case(case.label, inputs, case.factors)

    return replace


def not_started(results: Sequence[CallResult]) -> bool:
    """True when every call ended in NotImplementedError (or was skipped because of one)."""
    errors: list[LearnerError | None] = [r.error for r in results]
    return (
        bool(errors)
        and all(e is not None and e.kind in ("not_implemented", "skipped") for e in errors)
        and any(e is not None and e.kind == "not_implemented" for e in errors)
    )
