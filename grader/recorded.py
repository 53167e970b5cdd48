"""Recorded answers: what the reference solution returned, written down at release time.

A release hands out no solutions, yet its `bpgrade check` must judge the public cases just as
the full grader does. At release time a `Recorder` stands in for the reference module: each
call of one of its functions is answered by the real function and written down as
(function name, digest of the arguments) -> result. In the release a `Replay` stands in for
the module: it answers a call from what was written down, and raises `NotRecorded` for any
call that was not (another seed, a student's hidden cases, a numeric gradient's perturbed
inputs).

The digest is sha256 (its first 128 bits) over a canonical encoding of the arguments: arrays
by dtype, shape and bytes, floats by their exact repr, dicts by sorted keys (the wire's JSON
encoding), so a call is found again exactly when its inputs are bit for bit the same. Results
are stored as the wire's plain JSON data (arrays as base64 bytes), and read back with its safe
decoder: never pickle.

A release records more than the reference's calls: its checks, frozen (`FrozenCheck`, made and
read by `grader.frozen`). This module holds the models of the whole file
`expected/<exercise>.json`, the one description of its format.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from grader.report import ExerciseReport
from grader.sandbox.wire import WireError, decode_value, encode_value

# a driver's answer is recorded as a call of this prefix and its name, which no function of
# a reference can have
DRIVEN = "driver:"
PUBLIC_ONLY = "this release has recorded answers for the public cases only"
# hex digits of a digest: 128 bits, so that no two of the grader's own inputs ever share one
DIGEST_LENGTH = 32


# The models below are built (their validators and serializers) when first used, not when
# imported: only a release reads recorded answers, and a check of a course's own exercises,
# which imports this module for its errors, would pay about 25 ms of CPU for nothing.


class Unanswerable(LookupError):
    """The grader has no reference answer for what it was asked: the base of the errors below
    and of those of `grader.reference`, so a command can catch them all and say why."""


class NotRecorded(Unanswerable):
    """A call to the reference that a release has no recorded answer for."""


class RecordedCall(BaseModel, defer_build=True):
    model_config = ConfigDict(extra="forbid", frozen=True)

    function: str
    digest: str = Field(pattern=r"^[0-9a-f]{32}$", description="call_digest of the arguments")
    result: JsonValue = Field(
        default=None, description="The reference's result, as the wire encodes it."
    )


# --- a check, frozen ---------------------------------------------------------------------------
# A check is a dataclass of the engine (grader/checks) whose fields are settings (names,
# tolerances, sentences), records of the engine (a Mistake), and callables of the course's spec
# (the cases it draws, its expected value, each mistake's model, a numeric gradient). A frozen
# check keeps every setting as data and every callable as what it returned on each case.

ENGINE_TYPE = r"^grader(\.[A-Za-z_][A-Za-z0-9_]*)+:[A-Za-z_][A-Za-z0-9_]*$"


class DataSetting(BaseModel, defer_build=True):
    """Plain data: numbers, text, arrays, and tuples, lists and dicts of those."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["data"] = "data"
    value: JsonValue = Field(default=None, description="As the wire encodes it.")


class ItemsSetting(BaseModel, defer_build=True):
    """A tuple or a list that holds something other than plain data (mistakes, say)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["items"] = "items"
    is_tuple: bool
    items: list[Setting]


class MappingSetting(BaseModel, defer_build=True):
    """A dict (text keys) that holds something other than plain data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["mapping"] = "mapping"
    items: dict[str, Setting]


class ObjectSetting(BaseModel, defer_build=True):
    """An instance of one of the grader's dataclasses (a Mistake, an Initialization)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["object"] = "object"
    type: str = Field(pattern=ENGINE_TYPE, description="module:name, in the grader package.")
    fields: dict[str, Setting]


class AnsweredSetting(BaseModel, defer_build=True):
    """A callable of the spec, as what it returned on each case it was asked about (by
    `case_key`): never its code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["answered"] = "answered"
    values: dict[str, JsonValue] = Field(description="case key -> the value, as the wire has it")
    raised: dict[str, str] = Field(
        default_factory=dict, description="case key -> the error it raised (a case it cannot take)"
    )


class PlannedSetting(BaseModel, defer_build=True):
    """A callable that only drew the cases: they are recorded in the check's `cases`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["planned"] = "planned"


Setting = Annotated[
    DataSetting | ItemsSetting | MappingSetting | ObjectSetting | AnsweredSetting | PlannedSetting,
    Field(discriminator="kind"),
]


class FrozenFactor(BaseModel, defer_build=True):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    meaning: str


class FrozenArgument(BaseModel, defer_build=True):
    """One argument of a planned call: an input of one of the check's cases, by the case's
    index and the input's name (most are, and each is written down once), or a value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case: int | None = None
    input: str | None = None
    value: JsonValue = Field(default=None, description="As the wire encodes it.")


class FrozenCall(BaseModel, defer_build=True):
    """A planned call (grader.calls.Call)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    function: str
    args: list[FrozenArgument]
    kwargs: dict[str, FrozenArgument] = Field(default_factory=dict)
    keep: JsonValue = Field(default=None, description="The part that comes back, as encoded.")
    driver: str | None = None


class FrozenCase(BaseModel, defer_build=True):
    """One planned case (grader.checks.base.Case), its special values already planted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    inputs: JsonValue = Field(description="The named arguments, as the wire encodes a dict.")
    factors: dict[str, FrozenFactor] = Field(default_factory=dict)
    twin: int | None = Field(default=None, description="The index of its second draw, if any.")
    numeric: bool = True
    plant: bool = True
    id: str = Field(description="The id its calls were planned under.")
    calls: list[FrozenCall]


class FrozenCheck(BaseModel, defer_build=True):
    """One check of the catalog, as a release judges with it: its engine class, its settings,
    its planned cases and calls, and what each of its callables returned on them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: str = Field(pattern=ENGINE_TYPE, description="module:name of its class, in the grader.")
    fields: dict[str, Setting]
    cases: list[FrozenCase]


class RecordedAnswers(BaseModel, defer_build=True):
    """The file `expected/<exercise>.json` of a release: one exercise's frozen checks, and the
    reference's answers to the calls the engine makes itself."""

    model_config = ConfigDict(extra="forbid")

    format: Literal[2] = 2
    grader_version: str
    numpy_version: str = Field(description="NumPy that drew the cases; another may draw others.")
    exercise: str
    file: str
    seed: int = Field(description="The seed of the public cases.")
    checks: list[FrozenCheck] = Field(description="The catalog's checks, in order, when recorded.")
    calls: list[RecordedCall]


class StubReport(BaseModel, defer_build=True):
    """The file `expected/stubs/<exercise>.json` of a release: how the exercise's untouched stub
    is graded, judged when the release was written. A learner's check of an exercise not yet
    started reads it instead of planning and judging every public case once more (the recorded
    answers are megabytes of JSON to parse for a report that is always the same). It stands
    only for the grader version, the seed, the catalog entry and the recorded answers it was
    judged with; anything else is judged afresh."""

    model_config = ConfigDict(extra="forbid")

    format: Literal[1] = 1
    grader_version: str
    seed: int
    entry: str = Field(description="sha256 of the catalog entry, as JSON, it was judged for.")
    answers: str = Field(description="sha256 of the recorded answers it was judged against.")
    report: ExerciseReport


def file_digest(data: bytes) -> str:
    """sha256, in hex: what a recorded file says of what it was made from."""
    return hashlib.sha256(data).hexdigest()


def call_digest(function: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """sha256 of a canonical encoding of a call: the same inputs, bit for bit, the same digest."""
    encoded = [function, encode_value(tuple(args)), encode_value(dict(kwargs))]
    text = json.dumps(encoded, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LENGTH]


class Recorder(ModuleType):
    """The reference module, writing down every call made to its functions."""

    def __init__(self, module: ModuleType) -> None:
        super().__init__(f"_bpgrade_recorder_{module.__name__}")
        self._module = module
        self._calls: dict[str, RecordedCall] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        target = getattr(self._module, name)
        if not callable(target):
            return target

        def record(*args: Any, **kwargs: Any) -> Any:
            digest = call_digest(name, args, kwargs)  # before the call, as the replay will see it
            result = target(*args, **kwargs)
            if digest not in self._calls:
                self._calls[digest] = RecordedCall(
                    function=name, digest=digest, result=encode_value(result)
                )
            return result

        return record

    def driven(
        self,
        name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        run: Callable[[ModuleType], Any],
    ) -> Any:
        """A driver's answer on the reference (`run(module)`), written down as one call of
        `DRIVEN` + name: the driver's own calls inside are the reference's business."""
        function = DRIVEN + name
        digest = call_digest(function, args, kwargs)
        result = run(self._module)
        if digest not in self._calls:
            self._calls[digest] = RecordedCall(
                function=function, digest=digest, result=encode_value(result)
            )
        return result

    @property
    def calls(self) -> list[RecordedCall]:
        return list(self._calls.values())


class Replay(ModuleType):
    """Stands for the reference module in a release: answers recorded calls, and only those."""

    def __init__(self, answers: RecordedAnswers) -> None:
        super().__init__(f"_bpgrade_replay_{answers.exercise}")
        self._answers = answers
        self._results = {(c.function, c.digest): c.result for c in answers.calls}

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)

        def replay(*args: Any, **kwargs: Any) -> Any:
            key = (name, call_digest(name, args, kwargs))
            if key not in self._results:
                raise NotRecorded(self._missing(name))
            try:
                return decode_value(self._results[key])  # a fresh copy on every call
            except WireError as error:
                raise NotRecorded(f"the recorded answer of {name} is damaged ({error})") from None

        return replay

    def driven(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """What the driver `name` answered on the reference, recorded at its boundary."""
        return getattr(self, DRIVEN + name)(*args, **kwargs)

    def _missing(self, name: str) -> str:
        answers = self._answers
        return (
            f"no answer was recorded for {name} on these inputs: {PUBLIC_ONLY} (seed "
            f"{answers.seed}, drawn by bpgrade {answers.grader_version} with NumPy "
            f"{answers.numpy_version})."
        )

    @property
    def seed(self) -> int:
        return self._answers.seed

    @property
    def checks(self) -> list[str]:
        """The names of the checks recorded, in the catalog's order when recorded."""
        return [check.name for check in self._answers.checks]

    @property
    def frozen(self) -> list[FrozenCheck]:
        return list(self._answers.checks)


class DamagedAnswers(Unanswerable):
    """A recorded-answers file that cannot be read."""


def read_answers(path: Path) -> RecordedAnswers:
    try:
        return RecordedAnswers.model_validate_json(path.read_bytes())
    except OSError as error:
        raise DamagedAnswers(f"{path}: cannot read the recorded answers: {error}") from None
    except ValidationError as error:
        written = _format_of(path)
        if written is not None and written != RecordedAnswers.model_fields["format"].default:
            raise DamagedAnswers(
                f"{path}: recorded by another version of bpgrade (format {written}); write the "
                "release again"
            ) from None
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise DamagedAnswers(
            f"{path}: not a recorded-answers file ({where}: {first['msg']})"
        ) from None


def dump_answers(answers: RecordedAnswers) -> str:
    """The file's text: what is None is left out (each such field defaults to None)."""
    return answers.model_dump_json(exclude_none=True)


def _format_of(path: Path) -> Any:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data.get("format") if isinstance(data, dict) else None


@cache
def load_replay(path: Path) -> Replay:
    return Replay(read_answers(path))
