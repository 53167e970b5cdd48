"""Loading quiz files: TOML in, a validated `Quiz` out, or errors a quiz author can act on.

Every problem names the file, the question id, the field and, where the TOML text shows
it, the line: the loader finds the question by scanning for its `id = "..."` line and the
field within that question's table. Loading parses and validates; it never runs anything.
With `prove=True` (`bpgrade quiz validate`, `quiz export`) it also proves every numeric
question over every variant it can have (`grader.quiz.grid`): that takes NumPy and a grid of
up to MAX_GRID_POINTS evaluations per question, so taking or grading a quiz, which only meets
one variant, leaves it to the author's checks.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from grader.quiz.models import (
    QUESTION_TYPES,
    FieldError,
    Item,
    MultipleChoice,
    Numeric,
    Option,
    Ordering,
    Quiz,
    Range,
    SingleChoice,
    TrueFalse,
)


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    question: str | None = None
    field: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        about = []
        if self.question is not None:
            about.append(f'question "{self.question}"')
        if self.field:
            about.append(f'field "{self.field}"')
        return f"{where}: {', '.join(about) + ': ' if about else ''}{self.message}"


class QuizError(Exception):
    """A quiz that cannot be used; `problems` says everything that is wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


# --- finding quizzes ---------------------------------------------------------------------


def quiz_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.toml")) if folder.is_dir() else []


def resolve(reference: str, folder: Path) -> Path:
    """A quiz by name in `folder` (`backprop` is `folder/backprop.toml`) or by path."""
    as_path = Path(reference)
    if as_path.suffix == ".toml" or len(as_path.parts) > 1 or as_path.is_file():
        if as_path.is_file():
            return as_path
        raise QuizError([Problem(reference, "no such quiz file")])
    named = folder / f"{reference}.toml"
    if named.is_file():
        return named
    known = ", ".join(p.stem for p in quiz_files(folder)) or "none"
    raise QuizError(
        [Problem(reference, f"no quiz of that name in {folder} (the quizzes: {known})")]
    )


# --- loading -----------------------------------------------------------------------------


def load_quiz(path: Path, *, prove: bool = False) -> Quiz:
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise QuizError([Problem(shown, f"cannot read the file: {error}")]) from None
    return parse_quiz(text, shown, prove=prove)


def parse_quiz(text: str, shown: str = "<quiz>", *, prove: bool = False) -> Quiz:
    """The quiz `text` validated; with `prove`, every numeric question also proven over its
    whole grid of variants (`_prove`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"at line (\d+)", str(error))
        raise QuizError(
            [Problem(shown, f"not valid TOML: {error}", line=int(line.group(1)) if line else None)]
        ) from None
    try:
        quiz = Quiz.model_validate(data)
    except ValidationError as error:
        raise QuizError(_problems(error, data, text, shown)) from None
    problems = _prove(quiz, text, shown) if prove else []
    if not math.isfinite(quiz.max_score):
        message = "the questions' points add up to no finite total: use smaller points"
        problems.append(Problem(shown, message, field="points"))
    if problems:
        raise QuizError(problems)
    return quiz


def _prove(quiz: Quiz, text: str, shown: str) -> list[Problem]:
    """Every numeric question proven over its whole grid of variants (grader.quiz.grid):
    a division by zero, a log of 0 or an underflow that some learner would meet, or a known
    mistake that some variant accepts, is an error of the file."""
    from grader.quiz.grid import prove  # NumPy: only for the author's checks

    problems: list[Problem] = []
    for question in quiz.questions:
        if not isinstance(question, Numeric):
            continue
        refusal = prove(question)
        if refusal is not None:
            line = _find_line(text, question.id, refusal.field)
            problems.append(Problem(shown, refusal.message, question.id, refusal.field, line))
    return problems


# --- explaining validation errors --------------------------------------------------------


def _problems(error: ValidationError, data: dict[str, Any], text: str, shown: str) -> list[Problem]:
    problems: list[Problem] = []
    for detail in error.errors():
        loc = list(detail["loc"])
        cause = detail.get("ctx", {}).get("error")
        question_id: str | None = None
        occurrence = 1
        question_type: str | None = None
        raw_question: dict[str, Any] = {}
        if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
            raw_question = _raw_question(data, loc[1])
            question_id = _question_name(raw_question, loc[1])
            loc = loc[2:]
            if loc and loc[0] in QUESTION_TYPES:
                question_type = str(loc.pop(0))
        field = _field_path(loc)
        if detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
            field = "type"
        if isinstance(cause, FieldError):
            field = f"{field}.{cause.field}" if field else cause.field
            if cause.question is not None:
                question_id, occurrence = cause.question, 2
        message = _message(detail, cause, loc, question_type)
        line = _find_line(text, question_id, field, occurrence, raw_question)
        problem = Problem(shown, message, question_id, field or None, line)
        # A value that fits no member of a union fails once per member; the first says it.
        if not any((p.question, p.field) == (problem.question, problem.field) for p in problems):
            problems.append(problem)
    return problems


_UNION_BRANCHES = {"float", "str", "int", "bool"}


def _raw_question(data: dict[str, Any], index: int) -> dict[str, Any]:
    questions = data.get("questions")
    if (
        isinstance(questions, list)
        and index < len(questions)
        and isinstance(questions[index], dict)
    ):
        return questions[index]
    return {}


def _question_name(raw: dict[str, Any], index: int) -> str:
    given = raw.get("id")
    return given if isinstance(given, str) and given else f"#{index + 1}"


def _field_path(loc: list[Any]) -> str:
    parts: list[str] = []
    for i, part in enumerate(loc):
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1]}[{part}]"] if parts else [f"[{part}]"]
        elif i >= 2 and loc[i - 2] == "params" and part in ("range", "choices"):
            continue  # the tag pydantic adds for the kind of param
        elif part in _UNION_BRANCHES or "[" in str(part):
            continue  # which member of a union (answer: float | str) or a dict "[key]"
        else:
            parts.append(str(part))
    return ".".join(parts)


def _message(
    detail: Any, cause: Exception | None, loc: list[Any], question_type: str | None
) -> str:
    kind = detail["type"]
    if cause is not None and kind == "value_error":
        return str(cause)
    if kind == "missing":
        return "is required"
    if kind == "union_tag_invalid":
        tag = detail.get("ctx", {}).get("tag")
        return f"unknown question type {tag!r} (the types are {', '.join(QUESTION_TYPES)})"
    if kind == "union_tag_not_found":
        return f"is required (one of {', '.join(QUESTION_TYPES)})"
    if kind == "extra_forbidden":
        return _unknown_field(str(detail["loc"][-1]), loc, question_type)
    given = detail.get("input")
    shown_input = f" (got {given!r})" if isinstance(given, str | int | float | bool) else ""
    return f"{detail['msg']}{shown_input}"


def _unknown_field(name: str, loc: list[Any], question_type: str | None) -> str:
    """Say where the misspelt key is and guess what was meant."""
    if len(loc) == 1:
        model: type[BaseModel] = _QUESTION_MODELS.get(question_type or "", Quiz)
        what = f"a {question_type} question" if question_type else "a quiz"
    else:
        entries: dict[str, type[BaseModel]] = {"options": Option, "items": Item}
        model = entries.get(str(loc[0]), Range)
        what = {"options": "an option", "items": "an item"}.get(str(loc[0]), "a param")
    known = list(model.model_fields) + (["choices"] if model is Range else [])
    guess = difflib.get_close_matches(name, known, n=1)
    return f"is not a field of {what}" + (f"; did you mean {guess[0]!r}?" if guess else "")


_QUESTION_MODELS: dict[str, type[BaseModel]] = {
    "single_choice": SingleChoice,
    "multiple_choice": MultipleChoice,
    "true_false": TrueFalse,
    "numeric": Numeric,
    "ordering": Ordering,
}


# --- finding the line --------------------------------------------------------------------

_QUESTIONS_HEADER = re.compile(r"^\s*\[\[\s*questions\s*\]\]")
_ANY_HEADER = re.compile(r"^\s*\[")


def _id_line(qid: str) -> re.Pattern[str]:
    # A question's own `id = "..."` line: alone on its line, unlike an option's inline id.
    return re.compile(r"^\s*id\s*=\s*([\"'])" + re.escape(qid) + r"\1\s*(#.*)?$")


def _key_line(key: str) -> re.Pattern[str]:
    return re.compile(r"^\s*(\[\s*questions\.)?" + re.escape(key) + r"\s*(=|\])")


def _find_line(
    text: str,
    question_id: str | None,
    field: str | None,
    occurrence: int = 1,
    raw_question: dict[str, Any] | None = None,
) -> int | None:
    """The 1-based line of `field` in the question's table, else the question's id line."""
    lines = text.splitlines()
    key = re.split(r"[.\[]", field or "", maxsplit=1)[0]
    if question_id is None:
        first_table = next(
            (i for i, line in enumerate(lines) if _ANY_HEADER.match(line)), len(lines)
        )
        return _first(lines, _key_line(key), 0, first_table) if key else None
    start = _question_start(lines, question_id, occurrence)
    if start is None:
        return None
    end = next(
        (i for i in range(start + 1, len(lines)) if _QUESTIONS_HEADER.match(lines[i])), len(lines)
    )
    block_start = max(
        (i for i in range(start + 1) if _QUESTIONS_HEADER.match(lines[i])), default=start
    )
    id_line = (
        _first(lines, _id_line(question_id), block_start, end) if question_id[:1] != "#" else None
    )
    if key == "id" or not key:
        return id_line or block_start + 1
    found = _first(lines, _key_line(key), block_start, end)
    if found is None:
        return id_line or block_start + 1
    # Within a list of options or items, point at the entry by its id.
    index = re.match(rf"{re.escape(key)}\[(\d+)\]", field or "")
    entries = (raw_question or {}).get(key)
    if index and isinstance(entries, list) and int(index.group(1)) < len(entries):
        entry = entries[int(index.group(1))]
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            inline = re.compile(r"\bid\s*=\s*([\"'])" + re.escape(entry["id"]) + r"\1")
            return _first(lines, inline, found - 1, end) or found
    # Within params, point at the param by name.
    parts = (field or "").split(".")
    if key == "params" and len(parts) > 1:
        named = re.compile(r"(^|[\s{,])" + re.escape(parts[1]) + r"\s*=")
        return _first(lines, named, found - 1, end) or found
    return found


def _question_start(lines: list[str], question_id: str, occurrence: int) -> int | None:
    """The 0-based line index where the question starts (its id line, or its header)."""
    if question_id.startswith("#"):
        headers = [i for i, line in enumerate(lines) if _QUESTIONS_HEADER.match(line)]
        index = int(question_id[1:]) - 1
        return headers[index] if index < len(headers) else None
    matches = [i for i, line in enumerate(lines) if _id_line(question_id).match(line)]
    if not matches:
        return None
    return matches[min(occurrence, len(matches)) - 1]


def _first(lines: list[str], pattern: re.Pattern[str], start: int, end: int) -> int | None:
    """The 1-based number of the first line in [start, end) that matches."""
    return next((i + 1 for i in range(max(start, 0), end) if pattern.search(lines[i])), None)
