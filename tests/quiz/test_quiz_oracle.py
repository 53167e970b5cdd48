"""Every numeric answer in the course's quizzes, proven over many seeds and at the corners of
its grid of variants against an independent computation in torch: autograd for the
gradients, torch's own optimizers, clipping and initialization for the rest. Each question id
has its torch function here, and a numeric question without one fails the test, so a new
question cannot go unproven."""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable

import pytest

from grader.quiz.grid import param_values
from grader.quiz.loader import load_quiz, quiz_files
from grader.quiz.models import Numeric
from grader.quiz.variants import draw, expected_value
from tests.quiz.helpers import QUIZZES

torch = pytest.importorskip("torch")

SEEDS = range(200)
BANK = {quiz.id: quiz for quiz in map(load_quiz, quiz_files(QUIZZES))}


def numeric_questions() -> list[tuple[str, Numeric]]:
    return [
        (quiz.id, question)
        for quiz in BANK.values()
        for question in quiz.questions
        if isinstance(question, Numeric)
    ]


def corners(question: Numeric) -> list[dict[str, float]]:
    """Every combination of each param's smallest and largest value: where ranges bite."""
    ends = [
        sorted({values[0], values[-1]}) for values in map(param_values, question.params.values())
    ]
    return [dict(zip(question.params, point, strict=True)) for point in itertools.product(*ends)]


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
    # brings every output 0.5 back to a pre-activation of 0. The question asks how many
    # times smaller the gradient gets.
    z0 = _t(0.0, grad=True)
    z = z0
    for _ in range(int(p["n"])):
        z = torch.sigmoid(z) - 0.5
    z.backward()
    return 1 / float(z0.grad)


def sigmoid_slope_max(p: dict[str, float]) -> float:
    z = torch.linspace(-10, 10, 20001, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(z).sum().backward()
    return float(z.grad.max())  # type: ignore[union-attr]


def exploding_product(p: dict[str, float]) -> float:
    # n layers h = relu(f * h), every unit active: the gradient at the input.
    h0 = _t(1.0, grad=True)
    h = h0
    for _ in range(int(p["n"])):
        h = torch.relu(p["f"] * h)
    h.backward()
    return float(h0.grad)


def _neuron_grad(w: float, b: float) -> float:
    """exercise01's neuron with its example's x = 2 and y = 1: dL/dw by autograd."""
    wt = _t(w, grad=True)
    loss = (torch.sigmoid(wt * 2.0 + b) - 1.0) ** 2
    loss.backward()
    return float(wt.grad)


def neuron_gradient(p: dict[str, float]) -> float:
    return _neuron_grad(p["w"], p["b"])


def neuron_step(p: dict[str, float]) -> float:
    w = torch.nn.Parameter(_t(p["w"]))
    optimizer = torch.optim.SGD([w], lr=p["lr"])
    loss = (torch.sigmoid(w * 2.0 + 0.0) - 1.0) ** 2
    loss.backward()
    optimizer.step()
    return float(w.detach())


def two_layer_dW2_value(p: dict[str, float]) -> float:
    # Y_hat = A1 @ W2.T + b2 with nn.Linear's layout; the loss sum(dY_hat * Y_hat) has
    # exactly dY_hat as its gradient at Y_hat.
    layer = torch.nn.Linear(1, 1, dtype=torch.float64)
    a1 = torch.tensor([[p["a1"]], [p["a2"]]], dtype=torch.float64)
    d = torch.tensor([[p["d1"]], [p["d2"]]], dtype=torch.float64)
    (layer(a1) * d).sum().backward()
    return float(layer.weight.grad[0, 0])  # type: ignore[index]


def bias_sum(p: dict[str, float]) -> float:
    layer = torch.nn.Linear(2, 1, dtype=torch.float64)
    x = torch.ones(3, 2, dtype=torch.float64)
    d = torch.tensor([[p["d1"]], [p["d2"]], [p["d3"]]], dtype=torch.float64)
    (layer(x) * d).sum().backward()
    return float(layer.bias.grad[0])  # type: ignore[index]


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


def centered_difference(p: dict[str, float]) -> float:
    w = _t(p["w"], grad=True)
    (w**3).backward()
    h = p["h"]

    def f(v: float) -> float:
        return float(_t(v) ** 3)

    numeric = (f(p["w"] + h) - f(p["w"] - h)) / (2 * h)
    assert numeric - float(w.grad) == pytest.approx(h**2)  # the error is h^2 exactly
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


def unequal_micro_batches(p: dict[str, float]) -> float:
    """The weight on the first micro-batch's mean loss that makes accumulation match the whole
    batch's mean: the whole mean's gradient per example over the micro-batch mean's."""
    n1, n2 = int(p["n1"]), int(p["n2"])
    losses = torch.ones(n1 + n2, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.mse_loss(losses, torch.zeros(n1 + n2, dtype=torch.float64)).backward()
    whole = float(losses.grad[0])  # type: ignore[index]
    first = torch.ones(n1, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.mse_loss(first, torch.zeros(n1, dtype=torch.float64)).backward()
    return whole / float(first.grad[0])  # type: ignore[index]


def running_var_step(p: dict[str, float]) -> float:
    """PyTorch's own batchnorm in training mode updates its running variance in place."""
    mean, var = torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
    batch = torch.tensor([[p["x1"]], [p["x2"]]], dtype=torch.float64)
    torch.nn.functional.batch_norm(batch, mean, var, training=True, momentum=0.1)
    return float(var[0])


def causal_weight(p: dict[str, float]) -> float:
    """Position 1's weight on position 0, through a -inf causal mask and torch's softmax (the
    scores of rows 0 and 2 do not matter to row 1)."""
    scores = torch.tensor([[p["a"], 0.0, 0.0], [p["a"], p["b"], p["c"]], [0.0, 0.0, 0.0]])
    future = torch.triu(torch.ones(3, 3, dtype=torch.bool), diagonal=1)
    P = torch.softmax(scores.double().masked_fill(future, float("-inf")), dim=-1)
    return float(P[1, 0])


def embedding_repeated_token(p: dict[str, float]) -> float:
    """dW[3, 0] of torch's embedding, token 3 at k positions among others."""
    k = int(p["k"])
    idx = torch.tensor([[3] * k + [0, 1]])
    W = torch.zeros(5, 2, dtype=torch.float64, requires_grad=True)
    dOut = torch.full((1, k + 2, 2), 0.25, dtype=torch.float64)
    dOut[0, :k, 0] = p["g"]
    torch.nn.functional.embedding(idx, W).backward(dOut)
    return float(W.grad[3, 0])  # type: ignore[index]


def gpt_first_loss(p: dict[str, float]) -> float:
    # a freshly initialized model: logits near 0, here exactly 0, at every position
    V = int(p["V"])
    logits = torch.zeros(4, V, dtype=torch.float64)
    targets = torch.tensor([0, V // 2, V - 1, 1])
    return float(torch.nn.functional.cross_entropy(logits, targets))


def gpt_wpe_gradient(p: dict[str, float]) -> float:
    # x0 = wte[idx] + wpe[:T] for a batch of 3; dx0 is zero except at position 2, channel 0
    wpe = torch.zeros(4, 2, dtype=torch.float64, requires_grad=True)
    wte = torch.zeros(5, 2, dtype=torch.float64)
    idx = torch.tensor([[0, 1, 2], [3, 3, 4], [1, 0, 0]])
    x0 = torch.nn.functional.embedding(idx, wte) + wpe[:3]
    upstream = torch.zeros(3, 3, 2, dtype=torch.float64)
    upstream[:, 2, 0] = torch.tensor([p["g1"], p["g2"], p["g3"]], dtype=torch.float64)
    x0.backward(upstream)
    assert wpe.grad is not None
    return float(wpe.grad[2, 0])


ORACLES: dict[tuple[str, str], Callable[[dict[str, float]], float]] = {
    ("backprop", "forward-loss"): forward_loss,
    ("backprop", "chain-rule-two-layer"): chain_rule_two_layer,
    ("backprop", "output-error-bce"): output_error_bce,
    ("backprop", "weight-gradient"): weight_gradient,
    ("backprop", "sigmoid-slope-at"): sigmoid_slope_at,
    ("backprop", "vanishing-depth"): vanishing_depth,
    ("backprop", "sigmoid-slope-max"): sigmoid_slope_max,
    ("backprop", "sigmoid-saturated"): sigmoid_slope_at,
    ("backprop", "exploding-product"): exploding_product,
    ("backprop", "neuron-gradient"): neuron_gradient,
    ("backprop", "neuron-step"): neuron_step,
    ("backprop", "two-layer-dW2-value"): two_layer_dW2_value,
    ("backprop", "bias-sum"): bias_sum,
    ("backprop", "clip-norm"): clip_norm,
    ("backprop", "he-init-std"): he_init_std,
    ("backprop", "minibatch-mean"): minibatch_mean,
    ("backprop", "sgd-step"): sgd_step,
    ("backprop", "centered-difference"): centered_difference,
    ("backprop", "running-var-step"): running_var_step,
    ("backprop", "causal-weight"): causal_weight,
    ("backprop", "embedding-repeated-token"): embedding_repeated_token,
    ("backprop", "gpt-first-loss"): gpt_first_loss,
    ("backprop", "gpt-wpe-gradient"): gpt_wpe_gradient,
    ("chain-rule", "composite"): composite,
    ("chain-rule", "sigmoid-squared"): sigmoid_squared,
    ("chain-rule", "branch-sum"): branch_sum,
    ("pytorch-loop", "accumulation-steps"): accumulation_steps,
    ("pytorch-loop", "momentum-two-steps"): momentum_two_steps,
    ("pytorch-loop", "unequal-micro-batches"): unequal_micro_batches,
}


def test_every_numeric_question_has_an_oracle() -> None:
    assert {(quiz_id, q.id) for quiz_id, q in numeric_questions()} == set(ORACLES)


@pytest.mark.parametrize(
    ("quiz_id", "question"),
    numeric_questions(),
    ids=[f"{k}/{q.id}" for k, q in numeric_questions()],
)
def test_numeric_answers_agree_with_torch(quiz_id: str, question: Numeric) -> None:
    oracle = ORACLES[(quiz_id, question.id)]
    quiz = BANK[quiz_id]
    distinct = set()
    drawn = [draw(quiz, seed).of(question).params for seed in SEEDS]
    for params in drawn + corners(question):
        distinct.add(tuple(sorted(params.items())))
        answer = expected_value(question, params)
        truth = oracle(params)
        # clip_grad_norm_ divides by (norm + 1e-6), hence the relative 1e-6.
        assert answer == pytest.approx(truth, rel=1e-6, abs=1e-12), params
    assert len(distinct) > 1 or not question.params
