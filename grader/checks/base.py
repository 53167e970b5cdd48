"""What a check is: the calls it plans, and how it judges what came back.

A check never sees the learner's module: it plans `Call`s on inputs it generates, and judges
the plain `CallResult`s against the reference solution, which it does see.
"""

from __future__ import annotations

import copy
import dataclasses
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, ClassVar, Literal

import numpy as np

from grader.calls import Call, CallResult, LearnerError, Part, pick
from grader.checks.inputs import plant_special_values
from grader.checks.recall import EXPECTED, recalled
from grader.drivers import drive
from grader.judge.compare import (
    ATOL,
    NUMERIC_ATOL,
    NUMERIC_RTOL,
    Magnitude,
    NotNumeric,
    as_array,
    close,
    close_where_known,
    mismatch,
)
from grader.judge.diagnose import Diagnosis, Factor, Finding, Reading, diagnose, model_finding
from grader.judge.feedback import ITEMS_SHOWN, describe_call, describe_error, describe_mismatch
from grader.judge.types import type_problem
from grader.recorded import NotRecorded, Unanswerable
from grader.report import PlotData

# how a check's answers become the numbers of a picture (OutputCheck.plot)
Plot = Literal["graph", "layers"]

OVERFLOWS = ("OverflowError", "FloatingPointError")
# What to do when a `stable` check fails, one sentence per formula: each overflows its own way
# and has its own rearrangement (the engine's default is for any exp).
STABILITY_ADVICE = (
    "Large inputs must stay finite without overflow: rearrange the formula so that exp only "
    "sees values <= 0. np.where(cond, a, b) computes both a and b everywhere, so an "
    "overflowing branch still warns."
)
SIGMOID_ADVICE = (
    "np.exp(-z) overflows for a large negative z: use the two-branch form, 1 / (1 + exp(-z)) "
    "where z >= 0 and exp(z) / (1 + exp(z)) where z < 0, both built from e = np.exp(-np.abs(z)) "
    "so that exp never sees a positive number (np.where alone still computes the overflowing "
    "branch)."
)
SOFTMAX_ADVICE = (
    "exp of a large score overflows: subtract the row max first, "
    "e = np.exp(S - S.max(axis=-1, keepdims=True)), then divide by the row sums; the result "
    "is the same and exp never sees a positive number."
)
LOG_SOFTMAX_ADVICE = (
    "Never take log(softmax(z)): a probability that rounds to 0 gives log(0) = -inf. Use "
    "log-sum-exp: log_softmax = z - m - log(sum(exp(z - m))) with m the row max, and the loss "
    "is minus its entry at the label."
)
LOG_ZERO_ADVICE = (
    "np.log got 0 (or a negative number): a value that rounds to 0 before its log. Compute "
    "the log directly from its inputs (log-sum-exp for a log of a softmax) rather than taking "
    "the log of a result that can underflow."
)


@dataclass
class Case:
    """One set of inputs: named arguments, and the sizes a wrong factor may come from.

    `twin` is another draw of the same shapes, called right before or after this one, so
    that state kept between calls (a cache by shape, a buffer, a global) meets different
    numbers. `numeric` says whether central differences are worth their cost here (the first
    draw has them; its twin is judged against the reference alone)."""

    label: str
    inputs: dict[str, Any]
    factors: dict[str, Factor] = field(default_factory=dict)
    twin: Case | None = field(default=None, repr=False)
    numeric: bool = True
    plant: bool = True  # whether the special values go into its elementwise arguments
    # Where planning drew it: "exercise03_linear:0:linear_backward.dW#2" (exercise, seed, the
    # check's call id), the same inputs for every learner; None for a case made otherwise
    known_as: str | None = field(default=None, compare=False)
    # False for a student's hidden case: drawn from their id, it never comes back, so the
    # reference's answers on it are neither looked up nor kept (grader.checks.recall)
    recurs: bool = field(default=True, compare=False)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str
    diagnosis: Diagnosis | None = None
    not_started: bool = False
    # every explanation of this wrong case, and the detectors that ran on it: one is named
    # only where every wrong case agrees (the message says nothing of them until then)
    reading: Reading | None = None
    mismatch: bool = False  # a value came back, and it is wrong (not a crash, not a type)
    data: PlotData | None = None  # the numbers behind a picture of the check, for the report
    case: int | None = None  # which of the check's cases the message is about (its number)
    error: LearnerError | None = None  # the learner's error the message reports, if any

    def explained_by(self, finding: Finding) -> Verdict:
        return Verdict(
            False,
            with_likely_mistake(self.message, finding),
            finding.tag,
            self.not_started,
            mismatch=self.mismatch,
            case=self.case,
            error=self.error,
        )


LIKELY = "Likely mistake"


def with_likely_mistake(message: str, finding: Finding) -> str:
    # the tag is for machines (the report's `diagnosis`); a learner reads the sentence
    return f"{message}\n  {LIKELY}: {finding.sentence}"


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
    """Plans calls and judges what came back. Everything that came back is what the learner's
    process says: the runner runs there, and the learner may patch it or write the result
    pipe directly. A returned value is judged against the reference, so forging a right one
    costs what computing it does. A verdict that rests on what the process says about itself
    (its arguments after the call, what its result shares memory with) is free to forge:
    such a check is `advisory`, judged and shown but worth no points (the catalog says
    `advice = true` for it; a test holds the two in step).

    Every other report of the process only ever fails a check: an error (whatever its kind or
    type: forging one loses the call), a NumPy warning under `stable` (the record of it may be
    forged, but silencing a warning with np.errstate around a formula whose values are right
    is allowed by the contract, so a forged record gains nothing an honest line would not; the
    values must still be right and finite), and a warning beside a wrong value (a diagnosis
    only). Timeouts and limits are the sandbox's own clock, not the process's word."""

    name: str
    function: str
    advisory: ClassVar[bool] = False
    # the functions of the exercise that this check's function calls (the contract's, or the
    # stub's): a failure here may be a consequence of theirs (grader.checks.consequences)
    uses: tuple[str, ...] = ()

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
        return Verdict(False, message, not_started=error.kind == "not_implemented", error=error)
    last = results[-1].error
    if last is not None:
        return Verdict(False, describe_error(last, function), error=last)
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
    returns_in_words: str = ""  # e.g. "a tuple (dX, dW, db)", for messages about the structure
    output_name: str = ""
    expected: Callable[[ModuleType, Case], Any] | None = None
    numeric: Callable[[ModuleType, Case], Any] | None = None
    mistakes: tuple[Mistake, ...] = ()
    stable: bool = False
    baseline: Callable[[Case], Any] | None = None
    item_names: tuple[str, ...] = ()  # names for the items of a tuple judged whole
    keep: Part = None  # the part of the return value the learner's side sends back at all
    advice: str = STABILITY_ADVICE  # what to do when `stable` fails
    # arguments the function works on element by element: every case of theirs gets the
    # kink, values just either side of it and large magnitudes planted (inputs.elementwise)
    elementwise: tuple[str, ...] = ()
    # a driver of the exercise's drivers module (grader.drivers) makes the call on both
    # sides, where `function` is a class or takes callbacks: `exercise` names that module
    driver: str | None = None
    exercise: str = ""
    # values judged by their order of magnitude alone (rounding noise against a real error),
    # never digit by digit
    magnitude: Magnitude | None = None
    # the absolute tolerance against the reference, as a fraction of the output's scale: the
    # engine's ATOL, or more where right answers differ by more rounding than that (numeric
    # gradients evaluated at points an ulp apart)
    atol: float = ATOL
    # (the type of an error, what to do about it): a sentence added to the message of a case
    # whose call raised that error, where the error's own words cannot teach the fix (a
    # RecursionError on a graph thousands of nodes deep: sort without recursion)
    errors: tuple[tuple[str, str], ...] = ()
    # how the learner's answers become the numbers of a picture in the report (right or
    # wrong: it is their picture): "graph", the first case's dict keyed "node.quantity"
    # ("c.grad") as PlotData.layers[quantity][node] (a graph's data and grads); "layers", each
    # first draw's dict of per-layer lists ({"grad_norm": [...]}) as
    # PlotData.layers["quantity, case"][layer], numbered from 1
    plot: Plot | None = None
    # a sentence added to every failing verdict of a started function: why what the check
    # holds to is true (an invariant's reason), where no single mistake's sentence says it
    why: str = ""
    # a sentence for a failing verdict of a started function that names no mistake: where
    # else to look (the learner's own helpers that this function runs, ungraded on their own)
    unnamed: str = ""
    # a function that takes a seed is called twice on the same inputs: different answers mean
    # randomness from outside that seed (np.random's global functions), named as such; False
    # where a call is costly and another check of the function repeats it already
    repeat_seeded: bool = True
    # the functions of the exercise this function calls (Check.uses)
    uses: tuple[str, ...] = ()
    # where a function's whole job is a new value built from its arguments (sgd_step), a pass
    # that changed them says so beside the function: the contract forbids it. It costs no
    # points, as the advice check it points to: the learner's process alone reports it, so
    # a point on it could be had by forging that report (grader/checks/unchanged.py)
    keeps_arguments: bool = False

    @property
    def subject(self) -> str:
        """What the learner reads the judged value as: Y_hat, grads['W1'], the function."""
        return self.output_name or self.function

    def cases(self, rng: np.random.Generator) -> list[Case]:
        return with_twins(self._planted_cases, rng)

    def _planted_cases(self, rng: np.random.Generator) -> list[Case]:
        cases = self.make_cases(rng)
        for case in (c for c in cases if c.plant):
            for name in self.elementwise:
                case.inputs[name] = plant_special_values(rng, case.inputs[name])
        return cases

    def calls_for(self, case: Case, id: str) -> list[Call]:
        args = self.args(case)
        call = Call(id, self.function, args, keep=self.returned_part, driver=self.driver)
        if self.repeat_seeded and "seed" in self.arguments:
            # its own copies: what the first call does to its arguments never reaches the second
            again = dataclasses.replace(call, id=f"{id}{AGAIN}", args=copy.deepcopy(args))
            return [again, call]
        return [call]

    @property
    def returned_part(self) -> Part:
        """Only the judged part comes back, so the rest may be anything the learner likes."""
        return self.keep if self.keep is not None else self.part

    def args(self, case: Case) -> tuple[Any, ...]:
        return tuple(case.inputs[name] for name in self.arguments)

    def expected_value(self, reference: ModuleType, case: Case) -> Any:
        if self.expected is not None:
            return self.expected(reference, case)
        args = copy.deepcopy(self.args(case))
        if self.driver is not None:
            return pick(drive(reference, self.exercise, self.driver, *args), self.part)
        return pick(getattr(reference, self.function)(*args), self.part)

    def judge(self, reference: ModuleType, evidence: Evidence) -> Verdict:
        verdict, failing = self._judge(reference, evidence)
        if not verdict.passed and not verdict.not_started:
            named = LIKELY in verdict.message
            unnamed = self.unnamed if not named else ""
            inputs = ""
            if not named and verdict.error is None and verdict.case is not None:
                # no mistake named: the numbers themselves are a way in, where they are few
                inputs = self._inputs(evidence, verdict.case, failing)
            for sentence in (self.why, unnamed, inputs):
                if sentence:
                    verdict = dataclasses.replace(
                        verdict, message=f"{verdict.message}\n  {sentence}"
                    )
        data = _plot_data(evidence, self.plot) if self.plot else None
        return verdict if data is None else dataclasses.replace(verdict, data=data)

    def _inputs(self, evidence: Evidence, shown: int, failing: list[int]) -> str:
        """The inputs of the case shown where they are small; else those of the first small
        case that fails too, named (unless it is a student's hidden one) for --case."""
        line = small_inputs(self.arguments, evidence.cases[shown].inputs)
        if line:
            return line
        for number in failing:
            line = small_inputs(self.arguments, evidence.cases[number].inputs)
            if line:
                call = evidence.calls[number][-1].id  # "linear_backward.dW#4", as --case takes
                named = "" if HIDDEN_CALL in call else f", {call}"
                label = evidence.cases[number].label
                return f"A smaller case fails too{named} ({label}): {line.removeprefix(INPUTS)}"
        return ""

    def _judge(self, reference: ModuleType, evidence: Evidence) -> tuple[Verdict, list[int]]:
        """The verdict, and the numbers of the cases that failed."""
        verdicts: list[Verdict | None] = []
        for case, calls, results in zip(
            evidence.cases, evidence.calls, evidence.results, strict=True
        ):
            try:
                # once a case is wrong the rest are judged only to name the mistake
                oracle = not any(verdicts)
                verdict = self.judge_case(reference, case, calls, results, oracle=oracle)
            except NotRecorded as missing:  # a release without an answer for this case
                message = f"{self.subject} cannot be checked on {case.label}: {missing}"
                return Verdict(False, message), []
            if verdict is not None:
                verdict = dataclasses.replace(verdict, case=len(verdicts))
            verdicts.append(verdict)
            if verdict is not None and verdict.not_started:
                return verdict, []
        wrong = [v for v in verdicts if v is not None]
        if wrong:
            failing = [i for i, v in enumerate(verdicts) if v is not None]
            return _named(wrong) or _kept_state(evidence.cases, verdicts) or wrong[0], failing
        count = len(evidence.cases)
        right = f"right on all {count} input{'s' if count != 1 else ''}"
        changed = _arguments_changed(self, evidence) if self.keeps_arguments else ""
        return Verdict(True, f"{right}, {changed}" if changed else f"{right}."), []

    def judge_case(
        self,
        reference: ModuleType,
        case: Case,
        calls: list[Call],
        results: list[CallResult],
        oracle: bool = True,
    ) -> Verdict | None:
        """The verdict on one case, None when it is right. `oracle` False skips the numeric
        gradient (a case judged only to confirm a diagnosis)."""
        called = describe_call(self.function, self.arguments, calls[-1].args)
        failure = failed_call(self.function, results, calls, called)
        if failure is not None:
            error = results[-1].error
            if error is not None and error.type in OVERFLOWS:  # an overflow is instability
                message = failure.message + "\n  " + self.advice
                return Verdict(False, message, "unstable", error=error)
            if error is not None and error.kind == "bad_return" and self.returns_in_words:
                message = f"{failure.message[:-1]}; it should return {self.returns_in_words}."
                return Verdict(False, message, error=error)
            taught = [sentence for kind, sentence in self.errors if error and error.type == kind]
            if taught:
                return Verdict(False, "\n  ".join([failure.message, *taught]), error=error)
            return failure
        result = results[-1]
        received = result.value  # the runner already kept only self.returned_part
        unseeded = _unseeded(called, calls, results)
        if unseeded is not None:
            return unseeded
        expected = recalled(self.expected_value, reference, case, EXPECTED, self)
        judge = _Judgement(self, reference, case, called, oracle and case.numeric)
        if self.stable:
            unstable = self._stability(called, result, received)
            if unstable is not None:
                return _with_known_mistake(unstable, self._value_verdict(judge, received, expected))
        verdict = self._value_verdict(judge, received, expected)
        if verdict is not None and self.stable and verdict.mismatch:
            # any wrong value for large inputs is a stability problem, whatever else it is
            found = verdict.reading.first if verdict.reading else None
            if found is None:
                advice = (
                    f"If {self.function} is right on ordinary inputs, the size of these is "
                    f"the trouble. {self.advice}"
                )
                return Verdict(False, f"{verdict.message}\n  {advice}", "unstable")
            # a known mistake that shows on large inputs too is that mistake, named as such
            return Verdict(False, with_likely_mistake(verdict.message, found), "unstable")
        if (
            verdict is not None
            and verdict.mismatch
            and _overflowed(result, received)
            and not _modelled(verdict)
        ):
            # NaN or inf where the answer is finite, and NumPy said it overflowed (unless a
            # known mistake gives those very NaNs: a mask that hides a whole row)
            warned = next(w for w in result.warnings if w.startswith("RuntimeWarning"))
            advice = self._advice_for(warned)
            message = f"{verdict.message}\n  {LIKELY}: {advice}"
            return Verdict(False, message, "unstable", mismatch=True)
        return verdict

    def _value_verdict(self, judge: _Judgement, received: Any, expected: Any) -> Verdict | None:
        if isinstance(expected, dict):
            return judge.judge_dict(received, expected)
        if isinstance(expected, tuple):
            return judge.judge_tuple(received, expected)
        return judge.array(received, expected, self.subject, self._baseline(judge.case))

    def _baseline(self, case: Case) -> Any:
        return None if self.baseline is None else self.baseline(case)

    def _stability(self, called: str, result: CallResult, received: Any) -> Verdict | None:
        numpy_warnings = [w for w in result.warnings if w.startswith("RuntimeWarning")]
        if numpy_warnings:
            advice = self._advice_for(numpy_warnings[0])
            return Verdict(
                False,
                f"{called} raised a NumPy warning: {numpy_warnings[0]}. {advice}",
                "unstable",
            )
        bad = sum(int((~np.isfinite(leaf)).sum()) for leaf in numeric_leaves(received))
        if bad:
            return Verdict(
                False,
                f"{called} returned {bad} NaN or infinite value{'s' if bad != 1 else ''} for "
                f"large inputs. {self.advice}",
                "unstable",
            )
        return None

    def _advice_for(self, warning: str) -> str:
        """The check's advice; for a log of 0 where the check has only the engine's default
        (which speaks of exp), the sentence on log(0)."""
        if self.advice == STABILITY_ADVICE and "in log" in warning:
            return LOG_ZERO_ADVICE
        return self.advice


INPUTS = "Inputs: "
INPUTS_SHOWN = 12  # elements of an array shown as numbers; a larger one by its shape
HIDDEN_CALL = ":hidden#"  # in the id of a call on a student's hidden cases (grader.grading)
INPUTS_WIDTH = 240  # characters of the whole inputs line; wider, it is left out


def small_inputs(names: tuple[str, ...], inputs: dict[str, Any]) -> str:
    """'Inputs: X = [[0.5, -1.2], [3.1, 0.0]], ...' where every input is small enough to read
    (arrays of at most INPUTS_SHOWN elements, 4 significant digits); empty otherwise."""
    given = [inputs[n] for n in names if n in inputs]
    if not any(isinstance(v, np.ndarray | dict) for v in given):
        return ""  # numbers alone: the call in the message's first line shows them already
    shown = []
    for name in (n for n in names if n in inputs):
        value = _small(inputs[name])
        if value is None:
            return ""
        shown.append(f"{name} = {value}")
    line = INPUTS + ", ".join(shown)
    return line if shown and len(line) <= INPUTS_WIDTH else ""


def _small(value: Any) -> str | None:
    if isinstance(value, bool | int | str) or value is None:
        return repr(value)
    if isinstance(value, float):
        return _four(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        if value.size > INPUTS_SHOWN:
            return None
        return _nested(value.tolist())
    if isinstance(value, dict):
        items = [(k, _small(v)) for k, v in value.items()]
        if any(v is None for _, v in items):
            return None
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in items) + "}"
    return None


def _nested(value: Any) -> str:
    """A list of lists of numbers as Python writes it, each float to 4 significant digits."""
    if isinstance(value, list):
        return "[" + ", ".join(_nested(item) for item in value) + "]"
    return _four(value) if isinstance(value, float) else repr(value)


def _four(x: float) -> str:
    """4 significant digits, still written as a float (3.0, not 3)."""
    text = f"{x:.4g}"
    return text if any(c in text for c in ".einf") else f"{text}.0"


def _arguments_changed(check: OutputCheck, evidence: Evidence) -> str:
    """How a call of the check's function changed an argument, as the end of the sentence of
    a pass: its values are right, and what the advice check says of it, beside the function."""
    # unchanged.py builds on this module: imported here, when a check asks
    from grader.checks.unchanged import change_of

    for calls, results in zip(evidence.calls, evidence.results, strict=True):
        call, result = calls[-1], results[-1]
        for name, before, after in zip(check.arguments, call.args, result.args_after, strict=False):
            how = change_of(before, after)
            if how:
                return (
                    f"but it changed its argument {name} in place ({how}), which the contract "
                    "forbids: build new arrays rather than write into the caller's (see "
                    "arguments_unchanged: advice, no points)."
                )
    return ""


AGAIN = ":same-seed"  # the id suffix of a seeded call's first, identical twin


def _unseeded(called: str, calls: Sequence[Call], results: Sequence[CallResult]) -> Verdict | None:
    """A failing verdict where a seeded call and its identical twin answered differently."""
    if len(calls) < 2 or not calls[0].id.endswith(AGAIN):
        return None
    if same_data(results[0].value, results[-1].value):
        return None
    sentence = (
        "two calls with the same inputs and seed gave different answers, so the randomness "
        "comes from somewhere other than the seed (np.random's global functions, or a "
        "generator made outside the function): make rng = np.random.default_rng(seed) inside "
        "it and draw only from rng."
    )
    message = f"{called}: a different answer every call."
    return Verdict(False, with_likely_mistake(message, Finding("unseeded", sentence)), "unseeded")


def _plot_data(evidence: Evidence, plot: Plot) -> PlotData | None:
    layers = _graph(evidence) if plot == "graph" else _per_layer(evidence)
    return PlotData(layers=layers) if layers else None


def _per_layer(evidence: Evidence) -> dict[str, dict[str, float]]:
    """Each first draw's answer, {quantity: [per layer]}, as {"quantity, case": {layer: v}};
    what is not a list of numbers shows nothing."""
    layers: dict[str, dict[str, float]] = {}
    for case, results in zip(evidence.cases, evidence.results, strict=True):
        answer = results[-1].value if results else None
        if not case.numeric or not isinstance(answer, dict):  # a second draw: shown once
            continue
        for quantity, values in answer.items():
            try:
                numbers = [float(v) for v in values]
            except (TypeError, ValueError):
                continue
            series = {str(i): v for i, v in enumerate(numbers, start=1)}
            layers[f"{quantity}, {case.label}"] = series
    return layers


def _graph(evidence: Evidence) -> dict[str, dict[str, float]] | None:
    """The first case's answer as {quantity: {node: value}}, where it is a dict of numbers
    keyed "node.quantity"; None where it is not (an error, another shape)."""
    if not evidence.results or not evidence.results[0]:
        return None
    answer = evidence.results[0][-1].value
    if evidence.results[0][-1].error is not None or not isinstance(answer, dict):
        return None
    layers: dict[str, dict[str, float]] = {}
    for key, value in answer.items():
        node, dot, quantity = str(key).rpartition(".")
        if not dot or isinstance(value, bool) or not isinstance(value, int | float):
            return None
        layers.setdefault(quantity, {})[node] = float(value)
    return layers


def _explanation(wrong: list[Verdict]) -> tuple[Verdict, Finding] | None:
    """The first wrong case whose mistake has a name that every other wrong case allows (shows
    it too, or could not have), with that name: never a coincidence of one case, never a ratio
    that changes with the data."""
    for verdict in wrong:
        if verdict.reading is None:
            continue
        for finding in verdict.reading.findings:
            if all(v.reading is None or v.reading.allows(finding) for v in wrong):
                return verdict, finding
    return None


def _named(wrong: list[Verdict]) -> Verdict | None:
    """The verdict to show, with its likely mistake: a crash or a wrong type first (it says
    what to fix first), then the first case whose mistake has a name."""
    first = wrong[0]
    mismatches = [v for v in wrong if v.mismatch]
    found = _explanation(mismatches)
    if not first.mismatch:
        if found is None or first.not_started or first.diagnosis is not None:
            return first
        finding = found[1]
        return Verdict(
            False,
            f"{first.message}\n  {LIKELY}, from a case where the shapes let it run: "
            f"{finding.sentence}",
            finding.tag,
            case=first.case,
            error=first.error,
        )
    named = [v for v in mismatches if v.reading is None and v.diagnosis is not None]
    if found is None:
        return named[0] if named else None
    return found[0].explained_by(found[1])


STATE = Finding(
    None,
    "right on the first call but wrong on a later call with the same shapes: your code keeps "
    "something between calls (a module-level variable, a cache keyed by shape, a counter, a "
    "buffer). Compute every result from the arguments alone (a backward pass from the cache "
    "it is given).",
)


def _kept_state(cases: list[Case], verdicts: list[Verdict | None]) -> Verdict | None:
    """Right on a case, wrong on a later call: whether every wrong case is a second draw whose
    first was right, or every call after the very first is wrong."""
    wrong = [(case, v) for case, v in zip(cases, verdicts, strict=True) if v is not None]
    right = {id(case) for case, v in zip(cases, verdicts, strict=True) if v is None}
    if not right or any(v.not_started for _, v in wrong):
        return None
    if not all(v.mismatch for _, v in wrong):
        return None
    second_draws = all(
        c.twin is not None and id(c.twin) in right and not c.numeric for c, _ in wrong
    )
    drifting = verdicts[0] is None and all(v is not None for v in verdicts[1:])
    if not (second_draws or drifting) or len(cases) < 2:
        return None
    return wrong[0][1].explained_by(STATE)


def with_twins(
    make_cases: Callable[[np.random.Generator], list[Case]], rng: np.random.Generator
) -> list[Case]:
    """Each case followed by a second draw of the same shapes, so that every function is
    called twice in a row on different numbers: code that keeps state between calls (a result
    memoised by shape, a module-level cache, a momentum buffer) fails on the second."""
    first = make_cases(rng)
    second = make_cases(np.random.default_rng(int(rng.integers(0, 2**63))))
    cases: list[Case] = []
    for case, twin in zip(first, second, strict=True):
        cases.append(case)
        if same_data(case.inputs, twin.inputs):
            continue  # a fixed case: a second call would only repeat it
        twin.label = f"{twin.label}, a second draw"
        twin.numeric = False
        case.twin, twin.twin = twin, case
        cases.append(twin)
    return cases


def same_data(a: Any, b: Any) -> bool:
    """Whether two values are the same data (NaN equal to NaN: a repeat of the same NaN)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            return np.array_equal(a, b, equal_nan=True)
        except TypeError:  # not numbers: equal_nan cannot look at them
            return np.array_equal(a, b)
    try:
        return bool(a == b) or (a != a and b != b)
    except (TypeError, ValueError):
        return False


@dataclass
class _Judgement:
    """One case of an OutputCheck: the received value against the expected one, by type,
    then shape and values, then the numeric gradient; a wrong value gets a diagnosis."""

    check: OutputCheck
    reference: ModuleType
    case: Case
    called: str
    oracle: bool
    # the keys of a dict answer already judged right, with the learner's values: a mistake
    # that would have got one of them wrong is not the learner's (the dict's first wrong key
    # alone cannot tell "no grad flowed" from "grads flowed the wrong way")
    agreed: dict[str, Any] = field(default_factory=dict)

    def judge_tuple(self, received: Any, expected: tuple[Any, ...]) -> Verdict | None:
        if not isinstance(received, tuple | list) or len(received) != len(expected):
            return Verdict(False, f"{self.called} should return {self.check.returns_in_words}.")
        for name, r, e in zip(self.check.item_names, received, expected, strict=True):
            verdict = self.array(r, e, name, key=name)
            if verdict is not None:
                return verdict
        return None

    def judge_dict(self, received: Any, expected: dict[str, Any]) -> Verdict | None:
        called, keys = self.called, ", ".join(expected)
        if not isinstance(received, dict):
            return Verdict(
                False,
                f"{called} returned a {type(received).__name__}; it should return a dict "
                f"with the keys {keys}.",
            )
        missing = [key for key in expected if key not in received]
        if missing:
            return Verdict(
                False,
                f"{called} returned a dict without {', '.join(repr(k) for k in missing)}.",
            )
        extra = [key for key in received if key not in expected]
        if extra:
            return Verdict(
                False,
                f"{called} returned a dict with the extra key{'s' if len(extra) > 1 else ''} "
                f"{', '.join(repr(k) for k in extra)}; it should have exactly the keys {keys}.",
            )
        baseline = self.check._baseline(self.case)
        for key, value in expected.items():
            verdict = self.array(
                received[key],
                value,
                f"{self.check.subject}[{key!r}]",
                None if baseline is None else baseline[key],
                key,
            )
            if verdict is not None:
                return verdict
            self.agreed[key] = received[key]
        return self._numeric_by_key(received)

    def array(
        self,
        received: Any,
        expected: Any,
        name: str,
        baseline: Any = None,
        key: str | None = None,
    ) -> Verdict | None:
        called = self.called
        problem = type_problem(received, expected, name)
        if problem is not None:
            return Verdict(False, f"{called}: {problem}")
        try:
            r = as_array(received)
        except NotNumeric:
            return Verdict(
                False,
                f"{called} returned {type(received).__name__} for {name}, which is not numbers.",
            )
        e = as_array(expected)
        if self.check.magnitude is not None:
            return self._by_magnitude(r, e, name, key)
        if r.shape == e.shape and close(r, e, atol=self.check.atol):
            return self._numeric(r, name) if key is None else None
        reading = diagnose(
            r,
            e,
            name=name,
            modeled=self._models(self.check.mistakes, key),
            generic=self._models(argument_mistakes(self.check, self.case), key),
            factors=self.case.factors,
            baseline=baseline,
            atol=self.check.atol,
        )
        diff = mismatch(r, e, atol=self.check.atol) if r.shape == e.shape else None
        message = "\n".join([f"{called}: wrong {name}.", describe_mismatch(name, r, e, diff)])
        return Verdict(False, message, reading=reading, mismatch=True)

    def _by_magnitude(
        self, r: np.ndarray, e: np.ndarray, name: str, key: str | None
    ) -> Verdict | None:
        """`array` for a check judged by order of magnitude: each value must be of the size
        the expected one is; a known mistake is named when it gives noise where the learner's
        values are noise and the same real errors (Magnitude.matches)."""
        size = self.check.magnitude
        assert size is not None
        if r.shape == e.shape and not size.wrong_cells(r, e).any():
            return None
        models = self._models(self.check.mistakes, key)
        found = []
        for finding, value in models:
            try:
                modeled = as_array(value)
            except NotNumeric:
                continue
            if size.matches(r, modeled):
                found.append(finding)
        reading = Reading(tuple(found), frozenset(f.family for f, _ in models))
        lines = [
            f"{self.called}: wrong {name}. These values are judged by their size alone: below "
            f"{size.small:g} is rounding noise, above {size.large:g} a real error."
        ]
        if r.shape != e.shape:
            lines.append(f"  {name}: expected shape {e.shape}, received {r.shape}.")
        else:
            wrong = size.wrong_cells(r, e)
            for index in list(zip(*np.nonzero(wrong), strict=True))[:ITEMS_SHOWN]:
                at = ", ".join(str(int(i)) for i in index)
                lines.append(
                    f"  {name}[{at}]: expected {size.words(float(e[index]))}, received "
                    f"{float(r[index]):.3g}."
                )
        return Verdict(False, "\n".join(lines), reading=reading, mismatch=True)

    def _numeric(self, received: np.ndarray, name: str, found: Any = None) -> Verdict | None:
        """The second, independent oracle: central differences of the reference forward
        (`found`, where the oracle's answer is at hand already)."""
        if self.check.numeric is None or not self.oracle:
            return None
        if found is None:
            # the same case recurs (every student's public cases, a watched re-check); a
            # release recorded it, and a case it did not record cannot be checked (judge says so)
            found = recalled(self.check.numeric, self.reference, self.case, name, self.check)
        numeric = as_array(found)
        if close_where_known(received, numeric, NUMERIC_RTOL, NUMERIC_ATOL):
            return None
        known = ~np.isnan(numeric)
        wrong = mismatch(received[known], numeric[known], NUMERIC_RTOL, NUMERIC_ATOL)
        return Verdict(
            False,
            f"{self.called}: {name} disagrees with the numeric gradient (central differences).\n"
            + describe_mismatch(name, received[known], numeric[known], wrong),
        )

    def _numeric_by_key(self, received: dict[str, Any]) -> Verdict | None:
        """A returned dict whose keys follow the case (a network's gradients, one W and one b
        per layer) against an oracle that answers a dict with the same keys, key by key."""
        if self.check.numeric is None or not self.oracle:
            return None
        subject = self.check.subject
        found = recalled(self.check.numeric, self.reference, self.case, subject, self.check)
        for key, numeric in found.items():
            verdict = self._numeric(as_array(received[key]), f"{subject}[{key!r}]", numeric)
            if verdict is not None:
                return verdict
        return None

    def _models(self, mistakes: Sequence[Mistake], key: str | None) -> list[tuple[Finding, Any]]:
        """What each of these mistakes returns on these inputs."""
        modeled = []
        for mistake in mistakes:
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    whole = mistake.model(self.reference, self.case)
                    if not self._explains_agreed(whole):
                        continue
                    value = _model_part(whole, key)
            except Unanswerable:  # a release without this model: diagnose without it
                continue
            except Exception:  # a substitution the reference cannot take
                continue
            modeled.append((model_finding(mistake.tag, mistake.sentence), value))
        return modeled

    def _explains_agreed(self, answer: Any) -> bool:
        """Whether a mistake's whole answer has what the learner got right, within the
        tolerance a right answer has (diagnose matches the wrong key within it too)."""
        if not self.agreed or not isinstance(answer, dict):
            return True
        try:
            return all(
                key in answer
                and close(as_array(answer[key]), as_array(value), atol=max(self.check.atol, ATOL))
                for key, value in self.agreed.items()
            )
        except (NotNumeric, ValueError):
            return True


def argument_mistakes(check: OutputCheck, case: Case) -> list[Mistake]:
    """Mistakes any function can make with its own arguments, modelled by calling the
    reference on substituted inputs: an upstream gradient left out (replaced by ones), two
    arguments of one shape swapped, a matrix used untransposed where its transpose belongs
    (or the other way round, or reshaped in place of a transpose)."""
    names = [n for n in check.arguments if n in case.inputs]
    mistakes = []
    for name in names:
        value = case.inputs[name]
        if name.startswith("d") and isinstance(value, np.ndarray):
            mistakes.append(
                Mistake(
                    "upstream_ignored",
                    f"this is what you get with {name} replaced by ones: the upstream "
                    f"gradient {name} must be multiplied in.",
                    _substituted(check, {name: np.ones_like(value)}),
                )
            )
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if _swappable(case.inputs[a], case.inputs[b]):
                mistakes.append(
                    Mistake(
                        "wrong_variable",
                        f"this is what you get with {a} and {b} swapped: check that each is "
                        "used where the formula needs it.",
                        _substituted(check, {a: case.inputs[b], b: case.inputs[a]}),
                    )
                )
    for name, path, matrix in _matrices(case.inputs, names):
        flipped = matrix.reshape(matrix.shape[::-1]).T
        mistakes.append(
            Mistake(
                "transposed",
                f"this is what you get with {path} transposed: {path}.T belongs where you "
                f"used {path}, or the other way round (square shapes hide it); and reshape is "
                "no transpose.",
                _substituted(check, {name: _replace_at(case.inputs[name], path, flipped)}),
            )
        )
    return mistakes


def _swappable(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and not np.array_equal(a, b)
    return isinstance(a, float) and isinstance(b, float) and a != b


def _matrices(inputs: dict[str, Any], names: list[str]) -> list[tuple[str, str, np.ndarray]]:
    """(argument, how to call it, matrix) for every 2-D float argument, also inside a dict."""
    found = []
    for name in names:
        value = inputs[name]
        if isinstance(value, np.ndarray) and value.ndim == 2 and value.dtype.kind == "f":
            if value.shape[0] > 1 and value.shape[1] > 1:
                found.append((name, name, value))
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, np.ndarray) and item.ndim == 2 and min(item.shape) > 1:
                    found.append((name, key, item))
    return found


def _replace_at(value: Any, path: str, matrix: np.ndarray) -> Any:
    return {**value, path: matrix} if isinstance(value, dict) else matrix


def _substituted(check: OutputCheck, replaced: dict[str, Any]) -> Callable[[ModuleType, Case], Any]:
    def model(reference: ModuleType, case: Case) -> Any:
        changed = Case(case.label, {**case.inputs, **replaced}, case.factors)
        return check.expected_value(reference, changed)

    return model


def _with_known_mistake(unstable: Verdict, value: Verdict | None) -> Verdict:
    """A warning or a NaN on large inputs, with the check's own known mistake where one gives
    exactly the learner's value (a mask that hides a whole row: its NaN is no overflow)."""
    if value is None or not _modelled(value):
        return unstable
    assert value.reading is not None
    found = next(f for f in value.reading.findings if f.key.startswith("model:"))
    return Verdict(
        False,
        with_likely_mistake(unstable.message, found),
        "unstable",
    )


def _modelled(verdict: Verdict) -> bool:
    """Whether one of the check's own known mistakes gives exactly the learner's value."""
    reading = verdict.reading
    return reading is not None and any(f.key.startswith("model:") for f in reading.findings)


def _overflowed(result: CallResult, received: Any) -> bool:
    warned = any(w.startswith("RuntimeWarning") for w in result.warnings)
    return warned and any(not np.isfinite(leaf).all() for leaf in numeric_leaves(received))


def numeric_leaves(value: Any) -> list[np.ndarray]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in numeric_leaves(item)]
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in numeric_leaves(item)]
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
