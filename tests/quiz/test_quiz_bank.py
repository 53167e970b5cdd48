"""The course's question banks: they load, hold the questions issue 3 asks for, and cover
its topics. test_quiz_oracle.py proves their parameterized answers with torch."""

from __future__ import annotations

from collections import Counter

import pytest

from grader.quiz.loader import load_quiz, quiz_files
from grader.quiz.models import MultipleChoice, Numeric, Quiz, SingleChoice
from tests.quiz.helpers import QUIZZES

BANK = {path.stem: load_quiz(path) for path in quiz_files(QUIZZES)}


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


# Each topic of issue 3, and words a question about it must contain.
TOPICS = {
    "the forward pass and the loss": ["forward pass", "loss"],
    "credit assignment": ["credit-assignment"],
    "the chain rule as a product of local derivatives": ["chain rule", "multipl"],
    "the output error": ["y_hat - y"],
    "a weight's gradient is error times input": ["error arriving", "input"],
    "the sigmoid slope and vanishing gradients": ["a(1 - a)", "0.25"],
    "vanishing gradients": ["vanishing"],
    "exploding gradients and clipping": ["explode", "clip"],
    "why ReLU helps": ["ReLU", "slope"],
    "Xavier and He initialization": ["Xavier", "He "],
    "mini-batch averages": ["mini-batch", "mean"],
    "what an optimizer changes": ["optimizer.step()", "change"],
    "the learning rate": ["learning rate", "overshoot"],
    "the gradient points uphill": ["uphill"],
    "loss.backward() fills .grad": ["backward()", ".grad"],
    "zero_grad() and accumulation": ["zero_grad()", "adds"],
    "the order of a training step": ["training step in order"],
    "numeric gradient checking": ["numeric gradient", "centered difference"],
}


def _text(question: object) -> str:
    return " ".join(str(v) for v in vars(question).values())


@pytest.mark.parametrize("topic", TOPICS)
def test_backprop_covers_every_topic(topic: str) -> None:
    words = TOPICS[topic]
    texts = [_text(q) for q in BANK["backprop"].questions]
    assert any(all(word in text for word in words) for text in texts), topic


@pytest.mark.parametrize("quiz", BANK.values(), ids=list(BANK))
def test_choice_questions_have_plausible_wrong_options(quiz: Quiz) -> None:
    for question in quiz.questions:
        assert question.explanation
        if isinstance(question, SingleChoice | MultipleChoice):
            wrong = [o for o in question.options if not o.correct]
            assert len(wrong) >= 2, question.id
            assert any(o.feedback for o in wrong), question.id
