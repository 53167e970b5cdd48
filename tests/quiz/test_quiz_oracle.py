"""Every parameterized answer in the course's quizzes, proven over many seeds against an
independent computation in torch: autograd for the gradients, torch's own optimizers,
clipping and initialization for the rest. Each question id has its torch function here,
and a question without one fails the test, so a new question cannot go unproven."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import pytest

from grader.quiz.loader import load_quiz, quiz_files
from grader.quiz.models import Numeric
from grader.quiz.variants import draw, expected_value
from tests.quiz.helpers import QUIZZES

torch = pytest.importorskip("torch")

SEEDS = range(200)
BANK = {quiz.id: quiz for quiz in map(load_quiz, quiz_files(QUIZZES))}


def parameterized() -> list[tuple[str, Numeric]]:
    return [
        (quiz.id, question)
        for quiz in BANK.values()
        for question in quiz.questions
        if isinstance(question, Numeric) and question.params
    ]


def _t(value: float, grad: bool = False) -> torch.Tensor:
    return torch.tensor(value, dtype=torch.float64, requires_grad=grad)


def forward_loss(p: dict[str, float]) -> float:
    w, b, x, y = (_t(p[k]) for k in ("w", "b", "x", "y"))
    return float(torch.nn.functional.mse_loss(w * x + b, y, reduction="sum"))


def chain_rule_two_layer(p: dict[str, float]) -> float:
    u = _t(p["u"], grad=True)
    y_hat = _t(p["v"]) * torch.tanh(u * p["x"])
    loss = (y_hat - p["y"]) ** 2 / 2
    loss.backward()
    return float(u.grad)


def output_error_bce(p: dict[str, float]) -> float:
    z = _t(p["z"], grad=True)
    torch.nn.functional.binary_cross_entropy_with_logits(z, _t(p["y"])).backward()
    return float(z.grad)


def weight_gradient(p: dict[str, float]) -> float:
    # A loss whose derivative at z is delta: L = delta * z.
    w = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([p["x1"], p["x2"]], dtype=torch.float64)
    z = w @ x + 0.1
    (p["delta"] * z).backward()
    return float(w.grad[1])  # type: ignore[index]


def sigmoid_slope_at(p: dict[str, float]) -> float:
    z = _t(p["z"], grad=True)
    torch.sigmoid(z).backward()
    return float(z.grad)


def vanishing_depth(p: dict[str, float]) -> float:
    # n sigmoid layers with weight 1, each at its steepest point z = 0: the bias -0.5
    # brings every output 0.5 back to a pre-activation of 0.
    z0 = _t(0.0, grad=True)
    z = z0
    for _ in range(int(p["n"])):
        z = torch.sigmoid(z) - 0.5
    z.backward()
    return float(z0.grad)


def clip_norm(p: dict[str, float]) -> float:
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    w.grad = torch.tensor([p["g1"], p["g2"]], dtype=torch.float64)
    torch.nn.utils.clip_grad_norm_([w], max_norm=1.0)
    return float(w.grad[0])


@functools.cache
def _kaiming_std(n: int) -> float:
    """The standard deviation of the weights torch's He initialization actually draws."""
    weights = torch.empty(1000, n, dtype=torch.float64)
    generator = torch.Generator().manual_seed(0)
    torch.nn.init.kaiming_normal_(weights, nonlinearity="relu", generator=generator)
    return float(weights.std())


def he_init_std(p: dict[str, float]) -> float:
    n = int(p["n"])
    std = torch.nn.init.calculate_gain("relu") / math.sqrt(n)
    assert _kaiming_std(n) == pytest.approx(std, rel=0.02)
    return std


def minibatch_mean(p: dict[str, float]) -> float:
    w = _t(p["w"], grad=True)
    x = torch.tensor([p["x1"], p["x2"]], dtype=torch.float64)
    y = torch.tensor([p["y1"], p["y2"]], dtype=torch.float64)
    torch.nn.functional.mse_loss(w * x, y).backward()
    return float(w.grad)


def sgd_step(p: dict[str, float]) -> float:
    w = torch.nn.Parameter(_t(p["w"]))
    optimizer = torch.optim.SGD([w], lr=p["lr"])
    w.grad = _t(p["g"])
    optimizer.step()
    return float(w.detach())


def grad_accumulates(p: dict[str, float]) -> float:
    w = _t(1.0, grad=True)
    for _ in range(2):
        (p["x"] * w).backward()
    return float(w.grad)


def centered_difference(p: dict[str, float]) -> float:
    w = _t(p["w"], grad=True)
    (w**3).backward()
    h = 0.01

    def f(v: float) -> float:
        return float(_t(v) ** 3)

    numeric = (f(p["w"] + h) - f(p["w"] - h)) / (2 * h)
    assert numeric == pytest.approx(float(w.grad), rel=1e-3)  # the check passes
    return numeric


def composite(p: dict[str, float]) -> float:
    x = _t(p["x"], grad=True)
    ((3 * x + 1) ** 2).backward()
    return float(x.grad)


def sigmoid_squared(p: dict[str, float]) -> float:
    w = _t(p["w"], grad=True)
    (torch.sigmoid(w * p["x"]) ** 2).backward()
    return float(w.grad)


def branch_sum(p: dict[str, float]) -> float:
    w = _t(p["w"], grad=True)
    a, c = w * p["x"], w * w
    (a + c).backward()
    return float(w.grad)


def accumulation_steps(p: dict[str, float]) -> float:
    w = _t(0.5, grad=True)
    for _ in range(int(p["k"])):
        (p["g"] * w).backward()  # each mini-batch alone gives dL/dw = g
    return float(w.grad)


def momentum_two_steps(p: dict[str, float]) -> float:
    w = torch.nn.Parameter(_t(p["w"]))
    optimizer = torch.optim.SGD([w], lr=p["lr"], momentum=0.9)
    for g in (p["g1"], p["g2"]):
        optimizer.zero_grad()
        w.grad = _t(g)
        optimizer.step()
    return float(w.detach())


ORACLES: dict[tuple[str, str], Callable[[dict[str, float]], float]] = {
    ("backprop", "forward-loss"): forward_loss,
    ("backprop", "chain-rule-two-layer"): chain_rule_two_layer,
    ("backprop", "output-error-bce"): output_error_bce,
    ("backprop", "weight-gradient"): weight_gradient,
    ("backprop", "sigmoid-slope-at"): sigmoid_slope_at,
    ("backprop", "vanishing-depth"): vanishing_depth,
    ("backprop", "clip-norm"): clip_norm,
    ("backprop", "he-init-std"): he_init_std,
    ("backprop", "minibatch-mean"): minibatch_mean,
    ("backprop", "sgd-step"): sgd_step,
    ("backprop", "grad-accumulates"): grad_accumulates,
    ("backprop", "centered-difference"): centered_difference,
    ("chain-rule", "composite"): composite,
    ("chain-rule", "sigmoid-squared"): sigmoid_squared,
    ("chain-rule", "branch-sum"): branch_sum,
    ("pytorch-loop", "accumulation-steps"): accumulation_steps,
    ("pytorch-loop", "momentum-two-steps"): momentum_two_steps,
}


def test_every_parameterized_question_has_an_oracle() -> None:
    assert {(quiz_id, q.id) for quiz_id, q in parameterized()} == set(ORACLES)


@pytest.mark.parametrize(
    ("quiz_id", "question"), parameterized(), ids=[f"{k}/{q.id}" for k, q in parameterized()]
)
def test_parameterized_answers_agree_with_torch(quiz_id: str, question: Numeric) -> None:
    oracle = ORACLES[(quiz_id, question.id)]
    quiz = BANK[quiz_id]
    distinct = set()
    for seed in SEEDS:
        params = draw(quiz, seed).of(question).params
        distinct.add(tuple(sorted(params.items())))
        answer = expected_value(question, params)
        truth = oracle(params)
        # clip_grad_norm_ divides by (norm + 1e-6), hence the relative 1e-6.
        assert answer == pytest.approx(truth, rel=1e-6, abs=1e-12), (seed, params)
    assert len(distinct) > 1
