"""Quizzes for other tools: Moodle GIFT, a QTI 1.2 package for Canvas, a Markdown handout.

Each format lives in its own module, imported only when asked for. Every format shows one
variant (a quiz seed): an LMS cannot draw our params, so a parameterized question goes out
with the variant's values and answer. Choice options keep their file order, since the LMS
shuffles them itself; ordering items go out in the variant's shuffled order.
"""

from __future__ import annotations

import importlib

from grader.quiz.models import Quiz
from grader.quiz.variants import QuizVariant

FORMATS = ("gift", "qti", "markdown")


def export(quiz: Quiz, fmt: str, variant: QuizVariant, answer_key: bool = False) -> str | bytes:
    """The quiz in `fmt`: text for gift and markdown, the bytes of a zip for qti."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (the formats: {', '.join(FORMATS)})")
    module = importlib.import_module(f"grader.quiz.export.{fmt}")
    if fmt == "markdown":
        return module.to_markdown(quiz, variant, answer_key=answer_key)
    return module.export(quiz, variant)
