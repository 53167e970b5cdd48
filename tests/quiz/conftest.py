"""Fixtures for the quiz tests: the example quiz of issue 3, as text and loaded."""

from __future__ import annotations

import pytest

from grader.quiz.loader import load_quiz
from grader.quiz.models import Quiz
from tests.quiz.helpers import EXAMPLE


@pytest.fixture
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


@pytest.fixture
def example() -> Quiz:
    return load_quiz(EXAMPLE)
