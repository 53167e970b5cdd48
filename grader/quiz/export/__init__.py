"""Quizzes for other tools: Moodle GIFT, a QTI 1.2 package for Canvas, a Markdown handout.

Each format lives in its own module, imported only when asked for. Every format shows one
variant (a quiz seed): an LMS cannot draw our params, so a parameterized question goes out
with the variant's values and answer. Choice options and ordering items go out in the
variant's order, the order `bpgrade quiz NAME --seed N` shows: shuffled unless the quiz says
`shuffle = false`, so the right option is not always first even where an LMS shuffles
nothing. docs/quizzes.md says what each LMS then does with them.
"""

from __future__ import annotations

import importlib

from grader.quiz.models import Quiz
from grader.quiz.variants import QuizVariant

FORMATS = ("gift", "qti", "markdown")


def export(
    quiz: Quiz, fmt: str, variant: QuizVariant, answer_key: bool = False, seeded: bool = False
) -> str | bytes:
    """The quiz in `fmt`: text for gift and markdown, the bytes of a zip for qti. `seeded`
    (a seed was asked for) puts the seed in the names an LMS keeps quizzes apart by
    (`common.Names`)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (the formats: {', '.join(FORMATS)})")
    module = importlib.import_module(f"grader.quiz.export.{fmt}")
    if fmt == "markdown":
        return module.to_markdown(quiz, variant, answer_key=answer_key)
    return module.export(quiz, variant, seeded=seeded)
