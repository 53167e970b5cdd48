"""The course's question banks: they load, hold the kinds of question issue 3 asks for, and
cover every topic of the course by tag (issue 11), with no duplicates. test_quiz_oracle.py
proves their numeric answers with torch; test_quiz_mistakes.py their known mistakes."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from grader.catalog import load_catalog
from grader.quiz.grading import grade_question
from grader.quiz.loader import load_quiz, quiz_files
from grader.quiz.models import (
    MultipleChoice,
    Numeric,
    Ordering,
    Question,
    Quiz,
    SingleChoice,
)
from grader.quiz.variants import draw
from tests.quiz.helpers import QUIZZES, REPO

BANK = {path.stem: load_quiz(path, prove=True) for path in quiz_files(QUIZZES)}
QUESTIONS = [(quiz.id, q) for quiz in BANK.values() for q in quiz.questions]


def _topic(file_name: str) -> str:
    """exercise05_two_layer.py is the topic two_layer."""
    return re.sub(r"^exercise\d{2}_", "", file_name.removesuffix(".py"))


def course_topics() -> list[str]:
    """The topics of the exercises the course ships: its catalog."""
    catalog = load_catalog(REPO / "exercises" / "catalog.toml")
    return [_topic(entry.file) for entry in catalog.exercises]


def contract_topics() -> set[str]:
    """Every exercise of the exercise contract, the ones beyond the catalog included."""
    text = (REPO / "docs" / "contract.md").read_text(encoding="utf-8")
    return {_topic(name) for name in re.findall(r"exercises/(exercise\d{2}_[a-z0-9_]+\.py)", text)}


def tagged(topic: str, quiz: Quiz | None = None) -> list[str]:
    quizzes = [quiz] if quiz else list(BANK.values())
    return [q.id for each in quizzes for q in each.questions if topic in q.topics]


def test_the_three_quizzes_exist() -> None:
    assert {"backprop", "chain-rule", "pytorch-loop"} <= set(BANK)


def test_backprop_has_the_questions_issue_3_asks_for() -> None:
    quiz = BANK["backprop"]
    assert len(quiz.questions) >= 20
    kinds = Counter(q.type for q in quiz.questions)
    assert kinds["numeric"] >= 3
    assert sum(1 for q in quiz.questions if isinstance(q, Numeric) and q.params) >= 2
    assert kinds["multiple_choice"] >= 2
    assert kinds["true_false"] >= 2
    assert kinds["ordering"] >= 1


def test_the_topics_come_from_the_course() -> None:
    topics = course_topics()
    assert len(topics) == len(set(topics)) > 0
    assert set(topics) <= contract_topics()


@pytest.mark.parametrize(("quiz_id", "question"), QUESTIONS, ids=[q.id for _, q in QUESTIONS])
def test_every_question_names_topics_of_the_course(quiz_id: str, question: Question) -> None:
    assert question.topics, f"{quiz_id}/{question.id} has no topic"
    unknown = set(question.topics) - contract_topics()
    assert not unknown, f"{quiz_id}: {sorted(unknown)} name no exercise of docs/contract.md"


@pytest.mark.parametrize("topic", course_topics())
def test_every_topic_of_the_course_has_questions(topic: str) -> None:
    # By tag, not by keyword: a question counts for the topics its author says it covers.
    everywhere = tagged(topic)
    assert len(everywhere) >= 3, (topic, everywhere)
    in_backprop = tagged(topic, BANK["backprop"])
    assert len(in_backprop) >= 2, (topic, in_backprop)
    kinds = {q.type for _, q in QUESTIONS if q.id in everywhere}
    assert len(kinds) >= 2, (topic, kinds)  # not only recall: a computation or a choice too


def test_the_two_layer_backward_pass_is_asked_in_the_course_layout() -> None:
    ids = set(tagged("two_layer", BANK["backprop"]))
    assert {"two-layer-dW2", "two-layer-dA1", "two-layer-relu", "two-layer-db"} <= ids
    dW2 = BANK["backprop"].question("two-layer-dW2")
    assert isinstance(dW2, SingleChoice)
    right = next(o for o in dW2.options if o.correct)
    # W2 is (C, H) as in torch.nn.Linear and batch first: dW2 = dY_hat.T @ A1, never A1.T @ ...
    assert right.text == "dW2 = dY_hat.T @ A1"


def test_no_question_is_asked_twice() -> None:
    def content(question: Question) -> tuple[str, ...]:
        if isinstance(question, SingleChoice | MultipleChoice):
            return tuple(sorted(o.text for o in question.options))
        if isinstance(question, Ordering):
            return tuple(item.text for item in question.items)
        return (question.prompt,)

    seen = Counter(content(q) for _, q in QUESTIONS)
    assert [c for c, n in seen.items() if n > 1] == []


def test_zero_grad_is_not_asked_over_and_over() -> None:
    # Issue 11 counted seven questions on zero_grad and accumulation across the bank.
    about = [q.id for _, q in QUESTIONS if "zero_grad" in q.prompt]
    assert len(about) <= 4, about


def test_the_courses_own_loop_order_scores_full_marks() -> None:
    orderings = [(quiz_id, q) for quiz_id, q in QUESTIONS if isinstance(q, Ordering)]
    loops = [(k, q) for k, q in orderings if "optimizer.step()" in [i.text for i in q.items]]
    assert loops
    for quiz_id, question in loops:
        texts = {item.text: item.id for item in question.items}
        course_loop = [
            "pred = model(X)",
            "loss = loss_fn(pred, y)",
            "loss.backward()",
            "optimizer.step()",
            "optimizer.zero_grad()",
        ]
        answer = [texts[line] for line in course_loop if line in texts]
        variant = draw(BANK[quiz_id], 0).of(question)
        assert grade_question(question, answer, variant).correct, question.id


@pytest.mark.parametrize("quiz", BANK.values(), ids=list(BANK))
def test_choice_questions_have_plausible_wrong_options(quiz: Quiz) -> None:
    for question in quiz.questions:
        assert question.explanation
        if isinstance(question, SingleChoice | MultipleChoice):
            wrong = [o for o in question.options if not o.correct]
            assert len(wrong) >= 2, question.id
            assert any(o.feedback for o in wrong), question.id


@pytest.mark.parametrize("quiz", BANK.values(), ids=list(BANK))
def test_every_numeric_question_knows_its_mistakes(quiz: Quiz) -> None:
    for question in quiz.questions:
        if isinstance(question, Numeric):
            assert len(question.mistakes) >= 2, question.id
