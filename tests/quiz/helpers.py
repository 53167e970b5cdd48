"""Paths the quiz tests share: the example of issue 3 and the course's quizzes."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
EXAMPLE = DATA / "example.toml"
REPO = Path(__file__).resolve().parents[2]
QUIZZES = REPO / "quizzes"
