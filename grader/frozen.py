"""Frozen checks: a course's checks as data, so that a release judges without the specs' code.

A check is a dataclass of the engine (`grader/checks`) whose fields are settings (names,
tolerances, sentences), records of the engine (a `Mistake`), and callables from the course's
spec: the cases it draws, its expected value, each mistake's model, its numeric gradient. Those
callables are near-solutions (a mistake's model is often the whole answer with one slip in it),
and a release hands out none of them.

Freezing works on any check of an engine class, with no code per class:

1. `tape` gives the check a `Tape` for each of its callables, wherever it sits (a field, a
   Mistake in a tuple), which answers with the real callable and writes down what it returned,
   keyed by the case it was asked about (`case_key`: a digest of the case's inputs and of its
   second draw's).
2. The release drives the taped check over its public cases (`grader.release.record`): it
   judges the reference's own results and wrong ones, so every path of the judge asks what it
   needs.
3. `freeze` writes the check down as a `FrozenCheck` (grader.recorded): its class by name, its
   settings as data, each callable as its answers by case (`AnsweredSetting`), and the planned
   cases with their calls.

In the release `thaw` builds the check again: an instance of the same engine class (a subclass
that plans the recorded cases and calls instead of drawing them), whose callables are `Answered`
lookups. The engine's own code judges with it as with the spec's check; what the engine asks the
reference itself (the expected value of a function called on its arguments) is answered by the
`Replay` of the reference's recorded calls. Anything not recorded (another seed, a student's
hidden cases) raises `NotRecorded`, as the replay does.
"""

from __future__ import annotations

import dataclasses
import importlib
import weakref
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.calls import Call, Ref
from grader.catalog import ExerciseEntry
from grader.checks import checks_for
from grader.checks.base import Case, Check
from grader.judge.diagnose import Factor
from grader.recorded import (
    PUBLIC_ONLY,
    AnsweredSetting,
    DataSetting,
    FrozenArgument,
    FrozenCall,
    FrozenCase,
    FrozenCheck,
    FrozenFactor,
    ItemsSetting,
    MappingSetting,
    NotRecorded,
    ObjectSetting,
    PlannedSetting,
    Replay,
    Setting,
    call_digest,
)
from grader.sandbox.wire import WireError, decode_value, encode_value

ENGINE = "grader"  # the package whose classes a frozen check may name


class Unfreezable(Exception):
    """A check holds something that cannot be written down as data; the message says what."""


class RecordedFailure(Exception):
    """A callable raised on this case when it was recorded (a mistake the case cannot take)."""


def case_key(case: Case) -> str:
    """What a callable of a check may read of a case: its inputs, and its second draw's."""
    twin = None if case.twin is None else case.twin.inputs
    return call_digest("case", (case.inputs, twin), {})


def _case_in(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Case | None:
    return next((arg for arg in (*args, *kwargs.values()) if isinstance(arg, Case)), None)


def _is_callable(value: Any) -> bool:
    return callable(value) and not isinstance(value, type)


# --- at release time --------------------------------------------------------------------------


class Tape:
    """Stands for one callable of a check while the release drives it: answers with the real
    callable, handed the real reference (never the recorder, so that the reference's calls it
    makes are not recorded for the release: only its result is), and writes that down."""

    def __init__(self, original: Callable[..., Any], reference: ModuleType, where: str) -> None:
        self.original = original
        self.reference = reference
        self.where = where
        self.values: dict[str, Any] = {}
        self.raised: dict[str, str] = {}
        self.planning = False  # called without a case: it draws cases
        self.problem: str | None = None  # said when the check is frozen, not to the judge

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = tuple(self.reference if isinstance(a, ModuleType) else a for a in args)
        case = _case_in(args, kwargs)
        if case is None:
            self.planning = True
            return self.original(*args, **kwargs)
        key = case_key(case)
        try:
            result = self.original(*args, **kwargs)
        except Exception as error:
            self.raised.setdefault(key, f"{type(error).__name__}: {error}")
            raise
        if key not in self.values and self.problem is None:
            try:
                self.values[key] = encode_value(result)  # now: the caller may change it later
            except WireError as error:  # a judge may take any error for a model that failed
                self.problem = f"{self.where} returned what cannot be written down: {error}"
        return result

    def setting(self) -> Setting:
        if self.problem is not None:
            raise Unfreezable(self.problem)
        if self.planning and not self.values and not self.raised:
            return PlannedSetting()
        return AnsweredSetting(values=self.values, raised=self.raised)


def _engine_type(value: Any) -> str:
    kind = type(value)
    if kind.__module__ != ENGINE and not kind.__module__.startswith(ENGINE + "."):
        raise Unfreezable(
            f"{kind.__qualname__} is defined in {kind.__module__}, not in the grader: a release "
            "carries no code of the course's specs, so a check's classes must be the engine's "
            "(grader/checks), with the spec's functions only in their fields."
        )
    if "<locals>" in kind.__qualname__:
        raise Unfreezable(f"{kind.__qualname__} is a class defined inside a function")
    return f"{kind.__module__}:{kind.__qualname__}"


def _init_fields(value: Any) -> list[str]:
    return [f.name for f in dataclasses.fields(value) if f.init]


def _taped(value: Any, where: str, tapes: list[Tape], reference: ModuleType) -> Any:
    if _is_callable(value):
        tape = Tape(value, reference, where)
        tapes.append(tape)
        return tape
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for name in _init_fields(value):
            item = getattr(value, name)
            taped = _taped(item, f"{where}.{name}", tapes, reference)
            if taped is not item:
                changes[name] = taped
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, tuple | list):
        items = [_taped(item, f"{where}[{i}]", tapes, reference) for i, item in enumerate(value)]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        taped_items = {k: _taped(v, f"{where}[{k!r}]", tapes, reference) for k, v in value.items()}
        if all(taped_items[k] is value[k] for k in value):
            return value
        return taped_items
    return value


def tape(check: Check, reference: ModuleType) -> tuple[Check, list[Tape]]:
    """The check with a Tape for every callable it holds, and those tapes."""
    if not dataclasses.is_dataclass(check):
        raise Unfreezable(f"{check.name} is a {type(check).__name__}, which is no dataclass")
    _engine_type(check)
    tapes: list[Tape] = []
    taped = _taped(check, check.name, tapes, reference)
    return taped, tapes


def _setting(value: Any, where: str) -> Setting:
    if isinstance(value, Tape):
        return value.setting()
    if _is_callable(value):
        raise Unfreezable(f"{where} is a callable that was never taped")
    try:
        if _plain(value):
            return DataSetting(value=encode_value(value))
    except WireError:
        pass
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            name: _setting(getattr(value, name), f"{where}.{name}") for name in _init_fields(value)
        }
        return ObjectSetting(type=_engine_type(value), fields=fields)
    if isinstance(value, tuple | list):
        items = [_setting(item, f"{where}[{i}]") for i, item in enumerate(value)]
        return ItemsSetting(is_tuple=isinstance(value, tuple), items=items)
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return MappingSetting(items={k: _setting(v, f"{where}[{k!r}]") for k, v in value.items()})
    raise Unfreezable(f"{where} is a {type(value).__name__}, which cannot be written down")


def _plain(value: Any) -> bool:
    """Data the wire carries as it is: no dataclass of the checks, dicts with text keys only."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, tuple | list):
        return all(_plain(item) for item in value)
    if isinstance(value, Call | Ref):
        return True
    if dataclasses.is_dataclass(value) or _is_callable(value):
        return False
    return value is None or isinstance(value, bool | int | float | str | np.ndarray | np.generic)


def _argument(value: Any, inputs: dict[int, tuple[int, str]]) -> FrozenArgument:
    found = inputs.get(id(value))
    if found is not None:
        return FrozenArgument(case=found[0], input=found[1])
    return FrozenArgument(value=encode_value(value))


def _frozen_call(call: Call, inputs: dict[int, tuple[int, str]]) -> FrozenCall:
    return FrozenCall(
        id=call.id,
        function=call.function,
        args=[_argument(arg, inputs) for arg in call.args],
        kwargs={name: _argument(arg, inputs) for name, arg in call.kwargs.items()},
        keep=encode_value(call.keep),
        driver=call.driver,
    )


def freeze(check: Check, cases: list[Case], calls: list[list[Call]]) -> FrozenCheck:
    """A taped check, after the release drove it, as data; with its planned cases and calls."""
    fields = {
        name: _setting(getattr(check, name), f"{check.name}.{name}") for name in _init_fields(check)
    }
    index = {id(case): i for i, case in enumerate(cases)}
    # a call's argument that is a case's input (the very object) is written down by name
    inputs = {
        id(value): (i, name) for i, case in enumerate(cases) for name, value in case.inputs.items()
    }
    frozen_cases = []
    for case, case_calls in zip(cases, calls, strict=True):
        twin = None if case.twin is None else index.get(id(case.twin))
        frozen_cases.append(
            FrozenCase(
                label=case.label,
                inputs=encode_value(case.inputs),
                factors={
                    name: FrozenFactor(value=f.value, meaning=f.meaning)
                    for name, f in case.factors.items()
                },
                twin=twin,
                numeric=case.numeric,
                plant=case.plant,
                id=case_calls[-1].id if case_calls else "",
                calls=[_frozen_call(call, inputs) for call in case_calls],
            )
        )
    return FrozenCheck(name=check.name, type=_engine_type(check), fields=fields, cases=frozen_cases)


# --- in the release ---------------------------------------------------------------------------


class Answered:
    """Stands for a callable of a check in a release: what it returned on each recorded case."""

    def __init__(self, where: str, setting: AnsweredSetting) -> None:
        self.where = where
        self.values = setting.values
        self.raised = setting.raised

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        case = _case_in(args, kwargs)
        if case is None:
            raise NotRecorded(f"{self.where} was recorded for its cases only: {PUBLIC_ONLY}")
        key = case_key(case)
        if key in self.raised:
            raise RecordedFailure(self.raised[key])
        if key not in self.values:
            raise NotRecorded(
                f"no value of {self.where} was recorded for {case.label}: {PUBLIC_ONLY}"
            )
        try:
            return decode_value(self.values[key])  # a fresh copy on every call
        except WireError as error:
            raise NotRecorded(f"the recorded value of {self.where} is damaged ({error})") from None


class Planned:
    """Stands for the callable that drew a check's cases: they were drawn at release time."""

    def __init__(self, where: str) -> None:
        self.where = where

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotRecorded(f"{self.where}: {PUBLIC_ONLY}, drawn when it was written")


def _engine_class(name: str) -> type:
    module, _, qualname = name.partition(":")
    if module != ENGINE and not module.startswith(ENGINE + "."):
        raise NotRecorded(f"{name} is not a class of the grader")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not isinstance(found, type) or not dataclasses.is_dataclass(found):
        raise NotRecorded(f"{name} is not a dataclass of the grader")
    return found


def _value(setting: Setting, where: str) -> Any:
    if isinstance(setting, DataSetting):
        return decode_value(setting.value)
    if isinstance(setting, ItemsSetting):
        items = [_value(item, f"{where}[{i}]") for i, item in enumerate(setting.items)]
        return tuple(items) if setting.is_tuple else items
    if isinstance(setting, MappingSetting):
        return {k: _value(v, f"{where}[{k!r}]") for k, v in setting.items.items()}
    if isinstance(setting, ObjectSetting):
        kind = _engine_class(setting.type)
        return kind(**{k: _value(v, f"{where}.{k}") for k, v in setting.fields.items()})
    if isinstance(setting, AnsweredSetting):
        return Answered(where, setting)
    return Planned(where)


class _Plan:
    """The recorded cases and calls of one frozen check. A case is found again by its key, so
    a warm session may plan it again and again; the cases last handed out are also known by
    identity, which spares a plan decoding and digesting every case a second time."""

    def __init__(self, frozen: FrozenCheck) -> None:
        self.frozen = frozen
        self._keys: dict[str, int] | None = None
        # the cases handed out last, by identity: planning asks for the calls of the very
        # cases it was given, and finding them by key would decode and digest every case
        # again; held weakly, so that a warm process keeps no case it has done with
        self._issued: dict[int, tuple[weakref.ref[Case], int]] = {}

    def cases(self) -> list[Case]:
        cases = self._decoded()
        self._issued = {id(case): (weakref.ref(case), index) for index, case in enumerate(cases)}
        return cases

    def _decoded(self) -> list[Case]:
        cases = [
            Case(
                c.label,
                decode_value(c.inputs),
                {name: Factor(f.value, f.meaning) for name, f in c.factors.items()},
                numeric=c.numeric,
                plant=c.plant,
            )
            for c in self.frozen.cases
        ]
        for case, frozen in zip(cases, self.frozen.cases, strict=True):
            if frozen.twin is not None:
                case.twin = cases[frozen.twin]
        return cases

    def _index(self, case: Case) -> int:
        issued = self._issued.get(id(case))
        if issued is not None and issued[0]() is case:
            return issued[1]
        if self._keys is None:
            keys: dict[str, int] = {}
            for index, planned in enumerate(self._decoded()):
                keys.setdefault(case_key(planned), index)
            self._keys = keys
        found = self._keys.get(case_key(case))
        if found is None:
            raise NotRecorded(f"{self.frozen.name} has no calls recorded for {case.label}")
        return found

    def calls_for(self, case: Case, id: str) -> list[Call]:
        i = self._index(case)
        frozen = self.frozen.cases[i]

        def argument(arg: FrozenArgument) -> Any:
            if arg.case is None or arg.input is None:
                return decode_value(arg.value)
            if arg.case == i:
                return case.inputs[arg.input]  # the very object, as when it was planned
            if case.twin is not None and arg.case == frozen.twin:
                return case.twin.inputs[arg.input]
            return decode_value(self.frozen.cases[arg.case].inputs)[arg.input]

        calls = [
            Call(
                call.id,
                call.function,
                tuple(argument(a) for a in call.args),
                {name: argument(a) for name, a in call.kwargs.items()},
                decode_value(call.keep),
                call.driver,
            )
            for call in frozen.calls
        ]
        return calls if id == frozen.id else [_renamed(c, frozen.id, id) for c in calls]


def _renamed(call: Call, old: str, new: str) -> Call:
    def rename(name: str) -> str:
        return new + name[len(old) :] if name.startswith(old) else name

    args = tuple(Ref(rename(a.call), a.part) if isinstance(a, Ref) else a for a in call.args)
    return dataclasses.replace(call, id=rename(call.id), args=args)


class FrozenPlan:
    """Plans a frozen check's recorded cases and calls; the engine class below judges."""

    _plan: _Plan

    def cases(self, rng: np.random.Generator) -> list[Case]:
        return self._plan.cases()

    def calls_for(self, case: Case, id: str) -> list[Call]:
        return self._plan.calls_for(case, id)


@cache
def _frozen_class(kind: type) -> type:
    return type(f"Frozen{kind.__name__}", (FrozenPlan, kind), {"__module__": __name__})


def thaw(frozen: FrozenCheck) -> Check:
    """The check a FrozenCheck was made from, as far as judging the recorded cases goes."""
    kind = _engine_class(frozen.type)
    if not issubclass(kind, Check):
        raise NotRecorded(f"{frozen.type} is not a check")
    fields = {k: _value(v, f"{frozen.name}.{k}") for k, v in frozen.fields.items()}
    check: Check = _frozen_class(kind)(**fields)
    object.__setattr__(check, "_plan", _Plan(frozen))
    return check


@cache
def frozen_checks(replay: Replay) -> list[Check]:
    return [thaw(frozen) for frozen in replay.frozen]


def checks_of(entry: ExerciseEntry, solutions: Path | None = None) -> list[Check]:
    """The checks of an exercise: its spec's where the course has its reference solution (or
    no solutions folder is named), else the frozen checks a release recorded beside it."""
    from grader.course import is_release
    from grader.reference import expected_path, reference_for

    if solutions is None or (solutions / entry.file).is_file():
        return checks_for(entry.name)
    if not (expected_path(entry, solutions).is_file() or is_release(solutions.parent)):
        return checks_for(entry.name)
    replay = reference_for(entry, solutions)  # says why when it has no checks recorded
    if not isinstance(replay, Replay):
        return checks_for(entry.name)
    return frozen_checks(replay)
