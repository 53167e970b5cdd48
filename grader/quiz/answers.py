"""The answers file of `bpgrade quiz NAME --answers FILE`: one model, like every file we read.

A JSON object mapping question id to answer: an option id (single_choice), a list of option
ids (multiple_choice), true or false (true_false), a number (numeric) or a list of item ids
in order (ordering). Questions left out score 0; an id the quiz does not have is an error,
since it most likely means the file belongs to another quiz or has a typo.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import RootModel, ValidationError

from grader.quiz.models import Quiz

AnswerValue = bool | float | str | list[str]


class AnswerSheet(RootModel[dict[str, AnswerValue]]):
    """Question id -> answer."""


class AnswersError(Exception):
    """An answers file that cannot be graded against the quiz."""


def load_answers(path: Path, quiz: Quiz) -> dict[str, AnswerValue]:
    try:
        sheet = AnswerSheet.model_validate_json(path.read_bytes())
    except OSError as error:
        raise AnswersError(f"{path}: cannot read the answers: {error}") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"][:1])
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        raise AnswersError(
            f"{path}: not a JSON object of question id -> answer ({detail})"
        ) from None
    unknown = sorted(set(sheet.root) - {q.id for q in quiz.questions})
    if unknown:
        raise AnswersError(
            f"{path}: quiz {quiz.id!r} has no question {', '.join(map(repr, unknown))}"
        )
    return sheet.root
