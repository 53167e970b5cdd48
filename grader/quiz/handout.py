"""A graded quiz as a release hands it out: the questions without their answers.

A quiz with `graded = true` is handed in, not scored by the learner's own copy of bpgrade. A
release writes it as a `Handout` (`quizzes/<name>.handout.json`): every question's prompt,
points, options or items and params, but never which options are correct, a true/false or
numeric answer, its tolerance, the right order of an ordering, option feedback or the
explanation. Options and items are stored in a scrambled order, so their place in the file
tells nothing either (a question with `shuffle = false` keeps the author's order, which is
what its learners see).

`bpgrade quiz NAME` presents a handout one question at a time, as it does a practice quiz, and
saves the replies to `answers/<quiz id>.json`, in the answers-file format
(`grader.quiz.answers`), to hand in. The instructor grades that file against the full quiz with
`bpgrade quiz NAME --answers FILE --seed N`, N being the variant seed the learner was shown: it
fixes the numbers of numeric questions, which a handout draws exactly as the full quiz does.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Annotated, Literal

import click
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from grader.quiz.answers import AnswerSheet, AnswerValue
from grader.quiz.models import (
    Id,
    Item,
    MultipleChoice,
    Numeric,
    Option,
    Ordering,
    Param,
    ParamName,
    Question,
    Quiz,
    SingleChoice,
    Text,
    TrueFalse,
)
from grader.quiz.variants import QuestionVariant, default_seed, draw_param

SUFFIX = ".handout.json"
HIDDEN = "(not shown: this quiz is handed in)"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Choice(_Model):
    id: Id
    text: Text


class _HandoutQuestion(_Model):
    id: Id
    prompt: Text
    points: float = Field(1.0, ge=0)


class HandoutSingleChoice(_HandoutQuestion):
    type: Literal["single_choice"]
    options: list[Choice] = Field(min_length=2)
    shuffle: StrictBool


class HandoutMultipleChoice(_HandoutQuestion):
    type: Literal["multiple_choice"]
    options: list[Choice] = Field(min_length=2)
    shuffle: StrictBool


class HandoutTrueFalse(_HandoutQuestion):
    type: Literal["true_false"]


class HandoutNumeric(_HandoutQuestion):
    type: Literal["numeric"]
    params: dict[ParamName, Param] = Field(default_factory=dict)


class HandoutOrdering(_HandoutQuestion):
    type: Literal["ordering"]
    items: list[Choice] = Field(min_length=2, description="In a scrambled order.")


HandoutQuestion = Annotated[
    HandoutSingleChoice
    | HandoutMultipleChoice
    | HandoutTrueFalse
    | HandoutNumeric
    | HandoutOrdering,
    Field(discriminator="type"),
]


class Handout(_Model):
    """The file `quizzes/<name>.handout.json` of a release."""

    handout: Literal[1] = 1
    id: Id
    title: Text
    description: str = ""
    questions: list[HandoutQuestion] = Field(min_length=1)

    @property
    def max_score(self) -> float:
        return sum(question.points for question in self.questions)


class HandoutError(Exception):
    """A handout file that cannot be read."""


# --- writing ------------------------------------------------------------------------------


def _scrambled(quiz_id: str, question_id: str, ids: list[str]) -> list[str]:
    """A fixed order unrelated to the file's (and never the file's own, when it can differ)."""

    def key(entry_id: str) -> bytes:
        return hashlib.sha256(f"{quiz_id}\0{question_id}\0{entry_id}".encode()).digest()

    order = sorted(ids, key=key)
    if order == ids and len(ids) > 1:
        order = order[1:] + order[:1]
    return order


def _choices(entries: list[Option] | list[Item], order: list[str]) -> list[Choice]:
    texts = {entry.id: entry.text for entry in entries}
    return [Choice(id=entry_id, text=texts[entry_id]) for entry_id in order]


def _handout_question(quiz: Quiz, question: Question) -> HandoutQuestion:
    id_, prompt, points = question.id, question.prompt, question.points
    if isinstance(question, SingleChoice | MultipleChoice):
        ids = [option.id for option in question.options]
        shuffle = quiz.shuffles(question)
        order = _scrambled(quiz.id, question.id, ids) if shuffle else ids
        options = _choices(question.options, order)
        if isinstance(question, SingleChoice):
            return HandoutSingleChoice(
                type="single_choice",
                id=id_,
                prompt=prompt,
                points=points,
                options=options,
                shuffle=shuffle,
            )
        return HandoutMultipleChoice(
            type="multiple_choice",
            id=id_,
            prompt=prompt,
            points=points,
            options=options,
            shuffle=shuffle,
        )
    if isinstance(question, TrueFalse):
        return HandoutTrueFalse(type="true_false", id=id_, prompt=prompt, points=points)
    if isinstance(question, Numeric):
        return HandoutNumeric(
            type="numeric", id=id_, prompt=prompt, points=points, params=dict(question.params)
        )
    if isinstance(question, Ordering):
        order = _scrambled(quiz.id, question.id, [item.id for item in question.items])
        return HandoutOrdering(
            type="ordering",
            id=id_,
            prompt=prompt,
            points=points,
            items=_choices(question.items, order),
        )
    raise TypeError(f"no handout form for {type(question).__name__}")


def handout_of(quiz: Quiz) -> Handout:
    """The quiz without anything that tells its answers."""
    return Handout(
        id=quiz.id,
        title=quiz.title,
        description=quiz.description,
        questions=[_handout_question(quiz, question) for question in quiz.questions],
    )


def handout_path(folder: Path, name: str) -> Path:
    return folder / f"{name}{SUFFIX}"


# --- reading ------------------------------------------------------------------------------


def handout_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []


def find_handout(reference: str, folder: Path) -> Path | None:
    """The handout named `reference` in `folder`, or the handout file `reference` itself."""
    if reference.endswith(SUFFIX):
        path = Path(reference)
        return path if path.is_file() else None
    named = handout_path(folder, reference)
    return named if "/" not in reference and named.is_file() else None


def load_handout(path: Path) -> Handout:
    try:
        return Handout.model_validate_json(path.read_bytes())
    except OSError as error:
        raise HandoutError(f"{path}: cannot read the quiz: {error}") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise HandoutError(f"{path}: not a handed-out quiz ({where}: {first['msg']})") from None


# --- presenting ---------------------------------------------------------------------------


def draw_handout_question(question: HandoutQuestion, seed: int) -> QuestionVariant:
    """The learner's variant, drawn as `grader.quiz.variants.draw_question` draws it from the
    full quiz: the same generator per question, so numeric params get the same values."""
    rng = random.Random(default_seed(str(seed), question.id))  # = variants' per-question seed
    if isinstance(question, HandoutSingleChoice | HandoutMultipleChoice):
        ids = [option.id for option in question.options]
        if question.shuffle:
            rng.shuffle(ids)
        return QuestionVariant(order=tuple(ids))
    if isinstance(question, HandoutOrdering):
        ids = [item.id for item in question.items]
        rng.shuffle(ids)
        return QuestionVariant(order=tuple(ids))
    if isinstance(question, HandoutNumeric):
        return QuestionVariant(
            params={name: draw_param(p, rng) for name, p in question.params.items()}
        )
    return QuestionVariant()


def _presented(question: HandoutQuestion) -> Question:
    """A quiz question with placeholder answers, only so that the interactive session can show
    it and read replies to it (`show_question`, `parse_reply`). Never graded."""
    common = {
        "id": question.id,
        "prompt": question.prompt,
        "points": question.points,
        "explanation": HIDDEN,
    }
    if isinstance(question, HandoutSingleChoice | HandoutMultipleChoice):
        options = [
            {"id": o.id, "text": o.text, "correct": i == 0} for i, o in enumerate(question.options)
        ]
        if isinstance(question, HandoutSingleChoice):
            return SingleChoice.model_validate(
                {**common, "type": "single_choice", "options": options}
            )
        return MultipleChoice.model_validate(
            {**common, "type": "multiple_choice", "options": options}
        )
    if isinstance(question, HandoutTrueFalse):
        return TrueFalse.model_validate({**common, "type": "true_false", "answer": False})
    if isinstance(question, HandoutNumeric):
        return Numeric.model_validate(
            {**common, "type": "numeric", "params": question.params, "answer": 0.0}
        )
    items = [{"id": item.id, "text": item.text} for item in question.items]
    return Ordering.model_validate({**common, "type": "ordering", "items": items})


def answers_path(folder: Path, handout: Handout) -> Path:
    return folder / "answers" / f"{handout.id}.json"


def save_answers(path: Path, answers: dict[str, AnswerValue]) -> None:
    """Written whole each time, through a temporary file, so it is never half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(AnswerSheet(answers).model_dump_json(indent=2) + "\n", encoding="utf-8")
    partial.replace(path)


def run_handout(handout: Handout, seed: int, path: Path) -> bool:
    """Ask every question and save the replies to `path` after each one; True when all were
    answered, False when the learner stopped (what was answered stays saved)."""
    from grader.quiz.session import _ask, counted, echo_wrapped, show_question, style

    count = len(handout.questions)
    click.echo(style(handout.title, bold=True))
    if handout.description:
        echo_wrapped(handout.description)
    click.echo(
        f"{counted(count, 'question')}, {counted(handout.max_score, 'point')}, to hand in: "
        "this quiz is not scored here. "
        f"Your answers are saved to {path}. Ctrl-D or Ctrl-C stops."
    )
    answers: dict[str, AnswerValue] = {}
    try:
        for number, question in enumerate(handout.questions, start=1):
            variant = draw_handout_question(question, seed)
            presented = _presented(question)
            # No rule to tell: a handed-out quiz is scored by the course, not here.
            show_question(presented, variant, number, count, show_rule=False)
            answers[question.id] = _ask(presented, variant)
            save_answers(path, answers)
            click.echo(style("Saved.", dim=True))
    except (click.Abort, KeyboardInterrupt, EOFError):
        click.echo()
        click.echo(
            style("Stopped", bold=True)
            + f" after {len(answers)} of {count} questions; "
            + (f"those answers are saved in {path}." if answers else "nothing was saved.")
        )
        return False
    click.echo()
    click.echo(
        style("Done. ", bold=True)
        + f"Hand in {path}. Your variant is {seed}: the grader needs it with your answers."
    )
    return True
