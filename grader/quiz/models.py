"""The quiz file format: these models are its one description.

A quiz is a TOML file validated against `Quiz`; `bpgrade quiz schema` prints the JSON Schema
made from these models, for editor completion. Questions are a union discriminated by
`type`. Checks that span fields raise `FieldError`, which names the field at fault so that
the loader can point at it (pydantic alone only knows the model the check ran on).

Beyond the format issue 3 fixes, a quiz may say `shuffle = false` (here, or on one choice
question) to keep the options in file order, and a true_false question may carry
`wrong_feedback`, shown to a learner who answers it wrong.

Issue 11 adds, all optional: `topics` on every question (the course topics it covers), and
`mistakes` on a numeric question (known wrong answers, as expressions of its params, each with
the feedback for a learner who gives it). A multiple_choice question has one scoring rule,
`right_minus_wrong`, which `SCORING_NOTE` states to the learner.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StrictBool,
    StringConstraints,
    Tag,
    model_validator,
)

from grader.quiz.expression import (
    FUNCTIONS,
    Expression,
    ExpressionError,
    Number,
    evaluate,
    parse_expression,
)

MAX_OPTIONS = 26  # options are lettered a to z


class FieldError(ValueError):
    """A failed check across fields, naming the field (and where needed the question)."""

    def __init__(self, field: str, message: str, question: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.question = question


Id = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"),
    Field(description="Letters, digits, '-', '_' and '.', starting with a letter or digit."),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class _Model(BaseModel):
    # A misspelt field is an error, not a silently ignored key.
    model_config = ConfigDict(extra="forbid")


class Option(_Model):
    id: Id
    text: Text
    correct: StrictBool = False
    feedback: Text | None = Field(None, description="Shown to a learner who picks this option.")


class Item(_Model):
    id: Id
    text: Text


def _check_unique_ids(entries: Sequence[Option | Item], field: str) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise FieldError(field, f"two {field} have the id {entry.id!r}")
        seen.add(entry.id)


Topic = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$"),
    Field(description="A course topic: an exercise's file name without exerciseNN_ and .py."),
]


class _Question(_Model):
    id: Id
    prompt: Text
    explanation: Text = Field(description="Why the answer is right; shown after every answer.")
    points: FiniteFloat = Field(1.0, ge=0)
    topics: list[Topic] = Field(
        default_factory=list,
        description=(
            "The course topics the question covers, named after the exercises (chain_rule for "
            "exercise01_chain_rule.py, two_layer for exercise05_two_layer.py, ...)."
        ),
    )


class _Choice(_Question):
    options: list[Option] = Field(min_length=2, max_length=MAX_OPTIONS)
    shuffle: StrictBool | None = Field(
        None, description="Shuffle the options per learner; unset follows the quiz."
    )

    @property
    def correct_ids(self) -> set[str]:
        return {option.id for option in self.options if option.correct}

    def option(self, option_id: str) -> Option | None:
        return next((option for option in self.options if option.id == option_id), None)


class SingleChoice(_Choice):
    type: Literal["single_choice"]

    @model_validator(mode="after")
    def _one_correct(self) -> SingleChoice:
        _check_unique_ids(self.options, "options")
        found = len(self.correct_ids)
        if found != 1:
            raise FieldError(
                "options",
                f"a single_choice question needs exactly one correct option, found {found}",
            )
        return self


Scoring = Literal["right_minus_wrong"]

# Told to the learner with every multiple_choice question. It names no counts: how many
# options are correct is part of the question.
SCORING_NOTE = (
    "Partial credit: each correct option you tick earns its share of the points, each wrong "
    "option you tick takes away its share of them (the wrong options together are worth all "
    "the points), and the score never goes below 0. Ticking nothing, or every option, scores 0."
)


class MultipleChoice(_Choice):
    type: Literal["multiple_choice"]
    scoring: Scoring = Field(
        "right_minus_wrong",
        description=(
            "The one rule: each correct option ticked earns 1/(correct options) of the points, "
            "each wrong option ticked costs 1/(wrong options), floored at 0; so an empty answer "
            "and an answer ticking every option both score 0."
        ),
    )

    @model_validator(mode="after")
    def _some_correct(self) -> MultipleChoice:
        _check_unique_ids(self.options, "options")
        if not self.correct_ids:
            raise FieldError(
                "options", "a multiple_choice question needs at least one correct option"
            )
        if len(self.correct_ids) == len(self.options):
            # Ticking every box would be the answer: nothing left to ask.
            raise FieldError(
                "options", "a multiple_choice question needs at least one wrong option"
            )
        return self


class TrueFalse(_Question):
    type: Literal["true_false"]
    answer: StrictBool
    wrong_feedback: Text | None = Field(None, description="Shown to a learner who answers wrong.")


class Range(_Model):
    """Drawn uniformly, then rounded to 2 decimals; the rounded value is shown and used."""

    low: FiniteFloat
    high: FiniteFloat

    @model_validator(mode="after")
    def _not_empty(self) -> Range:
        if self.low >= self.high:
            raise FieldError(
                "high", f"empty range: low ({self.low:g}) must be below high ({self.high:g})"
            )
        return self


class Choices(_Model):
    """One of the values, drawn with equal chances."""

    choices: list[FiniteFloat] = Field(min_length=1)


def _param_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        if "choices" in value:
            return "choices"
        if "low" in value or "high" in value:
            return "range"
        return None
    kinds: dict[type, str] = {Range: "range", Choices: "choices"}
    return kinds.get(type(value))


Param = Annotated[
    Annotated[Range, Tag("range")] | Annotated[Choices, Tag("choices")],
    Discriminator(
        _param_kind,
        custom_error_type="param_kind",
        custom_error_message="a param is { low = ..., high = ... } or { choices = [...] }",
    ),
]


def _not_a_function(name: str) -> str:
    if name in FUNCTIONS:
        raise ValueError(f"{name!r} is a function of the answer language, not a param name")
    return name


ParamName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$"),
    AfterValidator(_not_a_function),
]

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(text: str) -> list[str]:
    """The `{name}` placeholders in a prompt, in order."""
    return _PLACEHOLDER.findall(text)


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace `{name}` for the names in `values`; any other braces stay as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


class Mistake(_Model):
    """A known wrong answer to a numeric question (a flipped sign, a missing factor): what a
    learner who makes that mistake would answer, and what to tell them."""

    expression: FiniteFloat | str = Field(
        description="A number, or an expression of the question's params, in the answer language."
    )
    feedback: Text = Field(description="Shown to a learner whose answer matches this mistake.")
    _expression: Expression = PrivateAttr()

    @property
    def parsed(self) -> Expression:
        return self._expression


class Numeric(_Question):
    type: Literal["numeric"]
    params: dict[ParamName, Param] = Field(
        default_factory=dict,
        description="Drawn per learner and shown in the prompt as {name}.",
    )
    answer: FiniteFloat | str = Field(
        description=(
            "A number, or an expression of the params: numbers, + - * / **, parentheses, "
            "exp, log, sqrt, tanh, sigmoid."
        )
    )
    tolerance: FiniteFloat | None = Field(
        None, ge=0, description="Accept |given - answer| <= this."
    )
    rtol: FiniteFloat | None = Field(
        None, ge=0, description="Accept |given - answer| <= rtol * |answer|."
    )
    mistakes: list[Mistake] = Field(
        default_factory=list,
        description=(
            "Known wrong answers, each an expression of the params with its feedback; "
            "`bpgrade quiz validate` proves that none is accepted in any variant."
        ),
    )
    _expression: Expression = PrivateAttr()

    @model_validator(mode="after")
    def _check_answer(self) -> Numeric:
        if isinstance(self.answer, str):
            try:
                self._expression = parse_expression(self.answer, names=self.params)
            except ExpressionError as error:
                raise FieldError("answer", f"{error} in {self.answer!r}") from None
            if self.tolerance is None and self.rtol is None:
                raise FieldError("tolerance", "a computed answer needs a tolerance or an rtol")
        else:
            self._expression = Number(self.answer)
        self._parse_mistakes()
        self._check_prompt()
        self._check_computable()
        return self

    def _parse_mistakes(self) -> None:
        for index, mistake in enumerate(self.mistakes):
            if isinstance(mistake.expression, str):
                try:
                    mistake._expression = parse_expression(mistake.expression, names=self.params)
                except ExpressionError as error:
                    raise FieldError(
                        f"mistakes[{index}].expression", f"{error} in {mistake.expression!r}"
                    ) from None
            else:
                mistake._expression = Number(mistake.expression)

    def _check_prompt(self) -> None:
        if not self.params:
            return  # braces in a prompt without params are just text
        shown = set(placeholders(self.prompt))
        if unknown := sorted(shown - self.params.keys()):
            raise FieldError(
                "prompt", f"the prompt shows {{{unknown[0]}}} but no such param exists"
            )
        if hidden := sorted(self.params.keys() - shown):
            raise FieldError(
                "params", f"param {hidden[0]!r} is never shown: put {{{hidden[0]}}} in the prompt"
            )

    def _check_computable(self) -> None:
        # One sample at the middle of every range catches answers that can never be computed,
        # such as log of a negative constant.
        sample = {
            name: (p.low + p.high) / 2 if isinstance(p, Range) else p.choices[0]
            for name, p in self.params.items()
        }
        try:
            evaluate(self._expression, sample)
        except ExpressionError as error:
            at = ", ".join(f"{k} = {v:g}" for k, v in sample.items())
            raise FieldError(
                "answer", f"cannot be computed{' for ' + at if at else ''}: {error}"
            ) from None

    @property
    def expression(self) -> Expression:
        return self._expression


class Ordering(_Question):
    type: Literal["ordering"]
    items: list[Item] = Field(
        min_length=2, max_length=MAX_OPTIONS, description="In the right order; shown shuffled."
    )

    @model_validator(mode="after")
    def _unique(self) -> Ordering:
        _check_unique_ids(self.items, "items")
        return self


QUESTION_TYPES = ("single_choice", "multiple_choice", "true_false", "numeric", "ordering")

Question = Annotated[
    SingleChoice | MultipleChoice | TrueFalse | Numeric | Ordering,
    Field(discriminator="type"),
]


class Quiz(_Model):
    id: Id
    title: Text
    description: str = ""
    shuffle: StrictBool = Field(
        True, description="Shuffle options per learner (ordering items always are)."
    )
    graded: StrictBool = Field(
        False, description="Handed in for a grade: a release leaves its answers out."
    )
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_question_ids(self) -> Quiz:
        seen: set[str] = set()
        for question in self.questions:
            if question.id in seen:
                raise FieldError("id", f"two questions have the id {question.id!r}", question.id)
            seen.add(question.id)
        return self

    @property
    def max_score(self) -> float:
        return sum(question.points for question in self.questions)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def shuffles(self, question: SingleChoice | MultipleChoice) -> bool:
        return self.shuffle if question.shuffle is None else question.shuffle
