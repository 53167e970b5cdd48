"""Variants: a stable per-learner seed, option shuffling and param draws."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from grader.quiz.loader import parse_quiz
from grader.quiz.models import Numeric, Quiz
from grader.quiz.variants import default_seed, draw, format_number, render_prompt
from tests.quiz.helpers import REPO


def test_the_default_seed_is_sha256_of_user_and_quiz() -> None:
    digest = hashlib.sha256(b"ada\x00backprop").digest()
    assert default_seed("ada", "backprop") == int.from_bytes(digest[:8], "big")
    assert default_seed("ada", "backprop") != default_seed("alan", "backprop")
    assert default_seed("ada", "backprop") != default_seed("ada", "chain-rule")


def test_the_default_seed_does_not_depend_on_python_hash_salt() -> None:
    code = "from grader.quiz.variants import default_seed; print(default_seed('ada', 'backprop'))"
    seeds = set()
    for salt in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": salt, "PYTHONPATH": str(REPO)}
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        seeds.add(int(run.stdout))
    assert seeds == {default_seed("ada", "backprop")}


def test_the_same_seed_gives_the_same_variant(example: Quiz) -> None:
    assert draw(example, 7) == draw(example, 7)


def test_seeds_change_the_option_order(example: Quiz) -> None:
    orders = {draw(example, seed).questions["loss-input"].order for seed in range(40)}
    assert len(orders) == 6  # every order of three options shows up
    for order in orders:
        assert sorted(order) == ["a", "b", "c"]


def test_shuffle_false_keeps_the_file_order(example_text: str) -> None:
    quiz = parse_quiz("shuffle = false\n" + example_text)
    for seed in range(20):
        variant = draw(quiz, seed)
        assert variant.questions["loss-input"].order == ("a", "b", "c")
        assert variant.questions["backward-computes"].order == ("a", "b", "c", "d")


def test_a_question_can_override_the_quiz(example_text: str) -> None:
    text = example_text.replace(
        'type = "single_choice"\n', 'type = "single_choice"\nshuffle = false\n', 1
    )
    quiz = parse_quiz(text)
    orders = {draw(quiz, seed).questions["loss-input"].order for seed in range(20)}
    assert orders == {("a", "b", "c")}


def test_ordering_items_are_never_shown_in_the_right_order(example: Quiz) -> None:
    right = ("forward", "loss", "backward", "step")
    for seed in range(300):
        order = draw(example, seed).questions["loop-order"].order
        assert order != right
        assert sorted(order) == sorted(right)


def test_params_are_drawn_in_range_and_rounded_to_two_decimals(example: Quiz) -> None:
    seen_x = set()
    for seed in range(300):
        params = draw(example, seed).questions["neuron-dw"].params
        assert -1.0 <= params["w"] <= 1.0
        assert -0.5 <= params["b"] <= 0.5
        assert round(params["w"], 2) == params["w"]
        assert round(params["b"], 2) == params["b"]
        seen_x.add(params["x"])
    assert seen_x == {1.0, 2.0, 3.0}


def test_a_question_variant_does_not_depend_on_the_other_questions(example_text: str) -> None:
    base = parse_quiz(example_text)
    extra = """
[[questions]]
id = "added"
type = "single_choice"
prompt = "p"
explanation = "e"
options = [{ id = "a", text = "A", correct = true }, { id = "b", text = "B" }]
"""
    longer = parse_quiz(example_text + extra)
    for seed in range(10):
        for question in base.questions:
            assert draw(base, seed).of(question) == draw(longer, seed).of(question)


def test_the_prompt_shows_the_rounded_params(example: Quiz) -> None:
    question = example.question("neuron-dw")
    assert isinstance(question, Numeric)
    variant = draw(example, 0).of(question)
    assert render_prompt(question, variant).endswith(
        "with w = 0.1, b = -0.1, x = 1, y = 1. What is dL/dw?"
    )


def test_format_number() -> None:
    assert format_number(2.0) == "2"
    assert format_number(-0.5) == "-0.5"
    assert format_number(0.1 + 0.2) == "0.3"
    assert format_number(0.25**10) == "9.53674e-07"
