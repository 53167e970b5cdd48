"""The exercise catalog: the course's exercises in order, with their checks, points and hints."""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    model_validator,
)

# What an exercise's code runs with: "numpy" (NumPy and the standard library; torch is never
# imported) or "torch" (torch imported and warmed once per grader, so each run costs a fork).
Runtime = Literal["numpy", "torch"]
RUNTIMES: tuple[Runtime, ...] = ("numpy", "torch")
_UNITS = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}


def _bytes(value: Any) -> Any:
    """A size in bytes, from a number of bytes or a text like "2 GiB" or "512MiB"."""
    if not isinstance(value, str):
        return value
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", value)
    if match is None or match[2].lower() not in _UNITS:
        raise ValueError(f"{value!r} is not a size like 2 GiB or 512 MiB")
    return int(float(match[1]) * _UNITS[match[2].lower()])


Size = Annotated[int, BeforeValidator(_bytes), Field(gt=0)]


class CheckEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z_][a-z0-9_]*(\.[A-Za-z0-9_]+)?$")
    title: str
    points: NonNegativeFloat = 0.0
    # advice is judged and shown, and worth nothing: a check whose verdict rests on what the
    # learner's own process says about itself, not on a value judged against the reference
    # (grader.checks.base.Check.advisory)
    advice: bool = False

    @model_validator(mode="after")
    def _points(self) -> CheckEntry:
        if self.advice and self.points != 0:
            raise ValueError(f"{self.name} is advice, which is worth no points")
        if not self.advice and self.points <= 0:
            raise ValueError(f"{self.name} needs points above 0, or advice = true")
        return self


class Hint(BaseModel):
    """A hint for a stuck learner. Written in the catalog as a plain string (for the whole
    exercise) or as a table `{ text = "...", checks = ["softmax"] }` naming the checks it
    serves, so that `bpgrade hint` gives it first when one of those checks fails. A check
    named `linear_backward` serves its parts too (`linear_backward.dW`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    checks: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value

    def serves(self, check: str) -> bool:
        return any(check == name or check.startswith(name + ".") for name in self.checks)


class ExerciseEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^exercise\d{2}$")
    file: str = Field(pattern=r"^exercise\d{2}_[a-z0-9_]+\.py$")
    title: str
    hints: list[Hint] = []
    checks: list[CheckEntry] = Field(min_length=1)
    runtime: Runtime = "numpy"
    # the sandbox's limits for this exercise, where they differ from the grader's own (a
    # torch exercise without a memory of its own gets more: grader.sandbox.TORCH_ADDRESS_SPACE)
    timeout: PositiveFloat | None = None  # seconds of wall clock
    memory: Size | None = None  # bytes of address space, or a text: "2 GiB"

    @property
    def stem(self) -> str:
        return self.file.removesuffix(".py")

    @property
    def max_score(self) -> float:
        return sum(check.points for check in self.checks)

    @model_validator(mode="after")
    def _consistent(self) -> ExerciseEntry:
        if not self.file.startswith(self.name + "_"):
            raise ValueError(f"file {self.file!r} should start with {self.name}_")
        names = [check.name for check in self.checks]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate check names: {', '.join(duplicates)}")
        return self

    def unserved_hints(self) -> list[str]:
        """A sentence for each hint that names a check this exercise does not have (a renamed
        check, a typo): `bpgrade dev check` says so. Learners are not refused a course for it:
        such a hint is only never put first."""
        names = [check.name for check in self.checks]
        said = []
        for number, hint in enumerate(self.hints, start=1):
            unknown = [c for c in hint.checks if not any(_part(name, c) for name in names)]
            if unknown:
                said.append(f"hint {number} serves no check named {', '.join(unknown)}")
        return said

    def hint_order(self, failing: list[str]) -> list[int]:
        """The hints' indices, the most useful first: those serving the first failing check
        (those naming it before those naming all its parts), then the next failing check's,
        then the hints for the whole exercise, then the rest; each group in catalog order."""
        ranked: list[int] = []
        groups = []
        for check in failing:  # a hint that names the check itself before one for all its parts
            groups.append([i for i, h in enumerate(self.hints) if check in h.checks])
            groups.append([i for i, h in enumerate(self.hints) if h.serves(check)])
        groups.append([i for i, h in enumerate(self.hints) if not h.checks])
        groups.append(list(range(len(self.hints))))
        for group in groups:
            ranked += [index for index in group if index not in ranked]
        return ranked


def _part(check: str, name: str) -> bool:
    """`check` is `name` or one of its parts (`linear_backward.dW` of `linear_backward`)."""
    return check == name or check.startswith(name + ".")


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    exercises: list[ExerciseEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Catalog:
        names = [e.name for e in self.exercises]
        if len(set(names)) != len(names):
            raise ValueError("exercise names must be unique")
        return self

    def find(self, query: str) -> ExerciseEntry | None:
        """`exercise03`, `3`, `03`, `exercise03_linear` or `exercise03_linear.py`."""
        query = query.strip().removesuffix(".py")
        if re.fullmatch(r"\d{1,2}", query):
            query = f"exercise{int(query):02d}"
        for entry in self.exercises:
            if query in (entry.name, entry.stem):
                return entry
        return None

    @property
    def runtimes(self) -> set[Runtime]:
        """The runtimes its exercises run with: a bundle installs torch for "torch"."""
        return {entry.runtime for entry in self.exercises}

    def closest(self, query: str) -> str | None:
        names = [e.name for e in self.exercises] + [e.stem for e in self.exercises]
        match = difflib.get_close_matches(query, names, n=1, cutoff=0.5)
        if not match:
            return None
        entry = self.find(match[0])
        return entry.name if entry else None


def load_catalog(path: Path) -> Catalog:
    with path.open("rb") as file:
        return Catalog.model_validate(tomllib.load(file))
