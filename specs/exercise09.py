"""exercise09: PyTorch, the training loop (train_step, evaluate, accumulated_step) and two
custom autograd Functions (LinearFunction, SigmoidFunction).

Models, optimizers and losses cannot cross into the learner's process, so every function is
graded through a driver (drivers/exercise09.py) that builds them from plain numbers, calls the
learner's function and reads back what happened. Each known mistake is modelled by running the
same driver on a small file that makes it (the `_bug_*` functions below), so the grader names
it only where the learner's numbers are exactly that file's.

torch is imported only inside the functions that use it: loading this spec never needs it (a
grader without torch says how to install it, and the NumPy exercises never import it).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from grader.checks.base import Case, Check, Mistake
from grader.checks.inputs import batch_factors, case_label, normal
from grader.checks.spec import Function
from grader.drivers import drive

EXERCISE = "exercise09"
LR, MOMENTUM = 0.1, 0.9

# ---------------------------------------------------------------- cases

# (N, D_in, H, D_out), loss, the mode every module is in when handed over, and which parameters
# get no gradient: all sizes different first; N = 1; every size equal; one with D_in = 2
NETS = [
    ((3, 4, 5, 6), "mse", "train", "unused"),
    ((1, 3, 4, 2), "mse", "eval", "frozen"),
    ((3, 3, 3, 3), "cross_entropy", "eval", "unused"),
    ((5, 2, 3, 4), "cross_entropy", "train", "frozen"),
]


def _net(
    rng: np.random.Generator, sizes: tuple[int, ...], loss: str, mode: str, no_grad: str
) -> dict[str, Any]:
    """The plain description of a model, its optimizer and its loss (drivers/exercise09.py
    builds them): booleans rather than words, so that a message shows them."""
    return {
        "sizes": list(sizes),
        "seed": int(rng.integers(0, 2**31)),
        "cross_entropy": loss == "cross_entropy",
        "lr": LR,
        "momentum": MOMENTUM,
        "training": mode == "train",
        "unused": no_grad == "unused",
        "frozen": no_grad == "frozen",
    }


def _drawn_targets(rng: np.random.Generator, loss: str, n: int, d_out: int) -> np.ndarray:
    if loss == "mse":
        return normal(rng, n, d_out)
    return rng.integers(0, d_out, size=n)


def _label(sizes: dict[str, int], loss: str, mode: str, no_grad: str) -> str:
    without = "an unused parameter" if no_grad == "unused" else "a frozen bias"
    return f"{case_label(**sizes)}, {loss}, handed over in {mode} mode, {without}"


def net_cases(rng: np.random.Generator) -> list[Case]:
    """A model, a batch and its targets, for train_step and evaluate."""
    cases = []
    for (n, d_in, h, d_out), loss, mode, no_grad in NETS:
        inputs = {
            "net": _net(rng, (d_in, h, d_out), loss, mode, no_grad),
            "X": normal(rng, n, d_in),
            "y": _drawn_targets(rng, loss, n, d_out),
        }
        sizes = {"N": n, "D_in": d_in, "H": h, "D_out": d_out}
        cases.append(Case(_label(sizes, loss, mode, no_grad), inputs, batch_factors(**sizes)))
    return cases


# the micro-batch sizes of accumulated_step: unequal (so that weighting each micro-batch by
# 1 / their number is wrong), a single micro-batch of one example, unequal again, and equal
MICRO_BATCHES = [
    ((3, 1, 2), (4, 5, 3), "mse", "train", "unused"),
    ((1,), (3, 4, 2), "mse", "eval", "frozen"),
    ((2, 1), (3, 3, 3), "cross_entropy", "eval", "unused"),
    ((2, 2), (3, 4, 5), "cross_entropy", "train", "frozen"),
]


def accumulation_cases(rng: np.random.Generator) -> list[Case]:
    """A model, a batch and how it is split: the driver hands the learner the micro-batches
    (X[:3], y[:3]), (X[3:4], y[3:4]), ... as a list of pairs."""
    cases = []
    for parts, (d_in, h, d_out), loss, mode, no_grad in MICRO_BATCHES:
        n = sum(parts)
        inputs = {
            "net": _net(rng, (d_in, h, d_out), loss, mode, no_grad),
            "X": normal(rng, n, d_in),
            "y": _drawn_targets(rng, loss, n, d_out),
            "sizes": list(parts),
        }
        sizes = {"N": n, "D_in": d_in, "H": h, "D_out": d_out}
        label = f"{_label(sizes, loss, mode, no_grad)}, micro-batches of {list(parts)}"
        cases.append(Case(label, inputs, batch_factors(**sizes)))
    return cases


# (N, D_in, D_out): all different, N = 1, all equal (W square, so a transposed dW fits), and
# the worked example's
LINEAR_SIZES = [(3, 5, 4), (1, 3, 2), (4, 4, 4), (1, 2, 1)]


def linear_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n, d_in, d_out in LINEAR_SIZES:
        inputs = {
            "X": normal(rng, n, d_in),
            "W": normal(rng, d_out, d_in),
            "b": normal(rng, d_out),
            "dZ": normal(rng, n, d_out),
        }
        sizes = {"N": n, "D_in": d_in, "D_out": d_out}
        cases.append(Case(case_label(**sizes), inputs, batch_factors(**sizes)))
    return cases


def linear_gradcheck_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(case.label, {k: case.inputs[k] for k in ("X", "W", "b")}, case.factors)
        for case in linear_cases(rng)
    ]


SIGMOID_SHAPES = [(3, 5), (4, 4), (2, 3, 4)]


def sigmoid_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(
            f"Z of shape {shape}", {"Z": normal(rng, *shape, scale=2.0), "dA": normal(rng, *shape)}
        )
        for shape in SIGMOID_SHAPES
    ]


def sigmoid_gradcheck_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(f"Z of shape {shape}", {"Z": normal(rng, *shape, scale=2.0)})
        for shape in ((3, 4), (1, 5))
    ]


# ---------------------------------------------------------------- the functions

TRAIN_STEP = Function(
    "train_step",
    ("net", "X", "y"),
    net_cases,
    keys=("loss", "params", "grads", "mode"),
    driver="train_step",
    exercise=EXERCISE,
)
EVALUATE = Function(
    "evaluate",
    ("net", "X", "y"),
    net_cases,
    keys=("loss", "graph", "mode"),
    driver="evaluate",
    exercise=EXERCISE,
)
ACCUMULATED_STEP = Function(
    "accumulated_step",
    ("net", "X", "y", "sizes"),
    accumulation_cases,
    keys=("loss", "params", "mode"),
    driver="accumulated_step",
    exercise=EXERCISE,
)
LINEAR = Function(
    "LinearFunction",
    ("X", "W", "b", "dZ"),
    linear_cases,
    keys=("Z", "dX", "dW", "db"),
    driver="linear_function",
    exercise=EXERCISE,
)
LINEAR_GRADCHECK = Function(
    "LinearFunction",
    ("X", "W", "b"),
    linear_gradcheck_cases,
    driver="linear_gradcheck",
    exercise=EXERCISE,
)
SIGMOID = Function(
    "SigmoidFunction",
    ("Z", "dA"),
    sigmoid_cases,
    keys=("A", "dZ", "saved"),
    driver="sigmoid_function",
    exercise=EXERCISE,
)
SIGMOID_GRADCHECK = Function(
    "SigmoidFunction",
    ("Z",),
    sigmoid_gradcheck_cases,
    driver="sigmoid_gradcheck",
    exercise=EXERCISE,
)


# ---------------------------------------------------------------- the numeric oracle


def _numeric_jacobian(forward: Callable[..., np.ndarray], inputs: list[np.ndarray]) -> np.ndarray:
    """Central differences of `forward` (NumPy, the grader's own) in every input element: one
    row per output element, one column per input element, the inputs joined in order."""
    h = 1e-6
    flat = np.concatenate([x.ravel() for x in inputs])
    shapes = [x.shape for x in inputs]

    def at(vector: np.ndarray) -> np.ndarray:
        parts, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            parts.append(vector[start : start + size].reshape(shape))
            start += size
        return forward(*parts).ravel()

    columns = []
    for j in range(flat.size):
        step = np.zeros_like(flat)
        step[j] = h
        columns.append((at(flat + step) - at(flat - step)) / (2 * h))
    return np.stack(columns, axis=1)


def _linear_numeric(ref: ModuleType, case: Case) -> np.ndarray:
    i = case.inputs
    return _numeric_jacobian(lambda X, W, b: X @ W.T + b, [i["X"], i["W"], i["b"]])


def _sigmoid_numeric(ref: ModuleType, case: Case) -> np.ndarray:
    return _numeric_jacobian(lambda Z: 0.5 * (1.0 + np.tanh(0.5 * Z)), [case.inputs["Z"]])


# ---------------------------------------------------------------- known mistakes, as files


def _module(**functions: Any) -> ModuleType:
    module = ModuleType("exercise09_mistake")
    module.__dict__.update(functions)
    return module


def _bug(function: Function, part: str, **functions: Any) -> Callable[[ModuleType, Case], Any]:
    """What a file whose `functions` make the mistake returns through the check's driver."""

    def model(ref: ModuleType, case: Case) -> Any:
        assert function.driver is not None
        args = [case.inputs[name] for name in function.arguments]
        return drive(_module(**functions), EXERCISE, function.driver, *args)[part]

    return model


def _bug_no_zero_grad(model, optimizer, loss_fn, X, y):
    model.train()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _bug_zero_grad_before_step(model, optimizer, loss_fn, X, y):
    model.train()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


def _bug_train_step_no_train(model, optimizer, loss_fn, X, y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _bug_train_step_tensor(model, optimizer, loss_fn, X, y):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss


def _bug_evaluate_with_graph(model, loss_fn, X, y):
    was_training = model.training
    model.eval()
    loss = loss_fn(model(X), y)
    model.train(was_training)
    return loss.item()


def _bug_evaluate_no_eval(model, loss_fn, X, y):
    import torch

    with torch.no_grad():
        return loss_fn(model(X), y).item()


def _bug_evaluate_left_in_eval(model, loss_fn, X, y):
    import torch

    model.eval()
    with torch.no_grad():
        return loss_fn(model(X), y).item()


def _bug_evaluate_back_to_train(model, loss_fn, X, y):
    import torch

    model.eval()
    with torch.no_grad():
        loss = loss_fn(model(X), y).item()
    model.train()
    return loss


def _bug_evaluate_tensor(model, loss_fn, X, y):
    import torch

    was_training = model.training
    model.eval()
    with torch.no_grad():
        loss = loss_fn(model(X), y)
    model.train(was_training)
    return loss


def _accumulate(
    weight: Callable[[int, int, int], float],
    *,
    zero_grad: str = "once",
    step: str = "once",
    mean_of_means: bool = False,
    train: bool = True,
    tensor: bool = False,
) -> Callable[..., Any]:
    """accumulated_step with one mistake: `weight(n, N, K)` of a micro-batch's loss, where
    zero_grad and step are called ("once", "never", "in_loop"), the returned loss the mean of
    the micro-batches' means."""

    def accumulated_step(model, optimizer, loss_fn, batches):
        if train:
            model.train()
        if zero_grad == "once":
            optimizer.zero_grad()
        total, count = sum(len(X) for X, _ in batches), len(batches)
        losses = []
        for X, y in batches:
            if zero_grad == "in_loop":
                optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            (loss * weight(len(X), total, count)).backward()
            if step == "in_loop":
                optimizer.step()
            losses.append(loss * (1.0 / count if mean_of_means else len(X) / total))
        if step == "once":
            optimizer.step()
        mean = sum(losses)
        return mean.detach() if tensor else mean.item()

    return accumulated_step


def _share(n: int, total: int, count: int) -> float:
    return n / total


# ---------------------------------------------------------------- checks

TENSOR_LOSS = "returned the loss as a tensor; return loss.item(), a Python float"


def _loss_mistakes(function: Function, bug: Callable[..., Any], graph: bool) -> Mistake:
    kept = (
        ": a tensor that requires grad keeps the whole graph of the forward pass alive for as "
        "long as the caller holds it (a list of losses over an epoch holds every graph)."
        if graph
        else ": the caller adds it up, prints it, compares it as a number."
    )
    return Mistake(
        "tensor_returned",
        f"{function.name} {TENSOR_LOSS}{kept}",
        _bug(function, "loss", **{function.name: bug}),
    )


TRAIN_PARAMS_MISTAKES = (
    Mistake(
        "stale_gradients",
        "the step used the new gradients plus whatever .grad held before the call (the "
        "grader leaves stale values there, as an earlier backward would): loss.backward() "
        "adds to .grad. Clear it first, as the contract orders: model.train(), "
        "optimizer.zero_grad(), forward, backward, step (a zero_grad after the step comes "
        "too late for this one).",
        _bug(TRAIN_STEP, "params", train_step=_bug_no_zero_grad),
    ),
    Mistake(
        "call_order",
        "the parameters did not move: optimizer.step() found every .grad None, cleared after "
        "backward (zero_grad between backward and step) or not yet filled (step before "
        "backward). The order is zero_grad, forward, backward, step.",
        _bug(TRAIN_STEP, "params", train_step=_bug_zero_grad_before_step),
    ),
)

TRAIN_GRADS_MISTAKES = (
    Mistake(
        "stale_gradients",
        "each .grad holds the new gradient plus the stale one left by an earlier step: call "
        "optimizer.zero_grad() before loss.backward().",
        _bug(TRAIN_STEP, "grads", train_step=_bug_no_zero_grad),
    ),
    Mistake(
        "call_order",
        "every .grad is None after your call: zero_grad ran after backward, either before "
        "the step (which then found no gradients) or after it (which then used the stale "
        "values left in .grad). The order is zero_grad, forward, backward, step.",
        _bug(TRAIN_STEP, "grads", train_step=_bug_zero_grad_before_step),
    ),
)

TRAIN_MODE_MISTAKE = Mistake(
    "wrong_mode",
    "the model ran in the mode it was handed over in: a training step starts with "
    "model.train() (dropout and batchnorm behave differently in training).",
    _bug(TRAIN_STEP, "mode", train_step=_bug_train_step_no_train),
)

ACCUMULATED_PARAMS_MISTAKES = (
    Mistake(
        "scaled",
        "each micro-batch's loss was divided by the number of micro-batches: that weights a "
        "micro-batch of 1 example as much as one of 3. Weight each by its share of the "
        "examples, n / N, so the step is train_step's on all of them.",
        _bug(ACCUMULATED_STEP, "params", accumulated_step=_accumulate(lambda n, t, k: 1 / k)),
    ),
    Mistake(
        "scaled",
        "the micro-batches' gradients were added up unscaled: each loss is already a mean "
        "over its micro-batch, so the sum counts every micro-batch as a whole batch. Weight "
        "each loss by n / N before backward.",
        _bug(ACCUMULATED_STEP, "params", accumulated_step=_accumulate(lambda n, t, k: 1.0)),
    ),
    Mistake(
        "call_order",
        "only the last micro-batch's gradient reached the step: zero_grad inside the loop "
        "throws the earlier ones away. Clear the gradients once, before the loop.",
        _bug(
            ACCUMULATED_STEP,
            "params",
            accumulated_step=_accumulate(_share, zero_grad="in_loop"),
        ),
    ),
    Mistake(
        "call_order",
        "the optimizer stepped once per micro-batch: step inside the loop. Accumulating means "
        "backward per micro-batch and ONE step after the loop.",
        _bug(ACCUMULATED_STEP, "params", accumulated_step=_accumulate(_share, step="in_loop")),
    ),
    Mistake(
        "call_order",
        "the optimizer stepped once per micro-batch, each time on that micro-batch alone "
        "(zero_grad and step inside the loop): that is one train_step per micro-batch. "
        "Clear once before the loop, backward per micro-batch, ONE step after it.",
        _bug(
            ACCUMULATED_STEP,
            "params",
            accumulated_step=_accumulate(_share, zero_grad="in_loop", step="in_loop"),
        ),
    ),
    Mistake(
        "stale_gradients",
        "the gradients were never cleared: the step used the micro-batches' gradients plus "
        "whatever the last step left in .grad. Call optimizer.zero_grad() once, before the "
        "loop.",
        _bug(ACCUMULATED_STEP, "params", accumulated_step=_accumulate(_share, zero_grad="never")),
    ),
)

ACCUMULATED_LOSS_MISTAKES = (
    Mistake(
        "scaled",
        "the loss returned is the mean of the micro-batches' means, which weights a small "
        "micro-batch as much as a large one: weight each by n / N (the mean over all the "
        "examples).",
        _bug(
            ACCUMULATED_STEP,
            "loss",
            accumulated_step=_accumulate(lambda n, t, k: 1 / k, mean_of_means=True),
        ),
    ),
    Mistake(
        "call_order",
        "the optimizer stepped once per micro-batch (step inside the loop), so each later "
        "micro-batch's loss was computed with parameters already moved. Step once, after the "
        "loop.",
        _bug(ACCUMULATED_STEP, "loss", accumulated_step=_accumulate(_share, step="in_loop")),
    ),
    Mistake(
        "call_order",
        "the optimizer stepped once per micro-batch (zero_grad and step inside the loop), so "
        "each later micro-batch's loss was computed with parameters already moved. Clear "
        "once before the loop, step once after it.",
        _bug(
            ACCUMULATED_STEP,
            "loss",
            accumulated_step=_accumulate(_share, zero_grad="in_loop", step="in_loop"),
        ),
    ),
    _loss_mistakes(ACCUMULATED_STEP, _accumulate(_share, tensor=True), graph=False),
)

CHECKS: list[Check] = [
    TRAIN_STEP.output(
        "loss",
        shown="loss",
        mistakes=(_loss_mistakes(TRAIN_STEP, _bug_train_step_tensor, graph=True),),
    ),
    TRAIN_STEP.output("params", shown="params", mistakes=TRAIN_PARAMS_MISTAKES),
    TRAIN_STEP.output("grads", shown="grads", mistakes=TRAIN_GRADS_MISTAKES),
    TRAIN_STEP.output(
        "mode",
        shown="mode",
        mistakes=(TRAIN_MODE_MISTAKE,),
    ),
    EVALUATE.output(
        "loss",
        shown="loss",
        mistakes=(_loss_mistakes(EVALUATE, _bug_evaluate_tensor, graph=False),),
    ),
    EVALUATE.output(
        "graph",
        shown="graph",
        mistakes=(
            Mistake(
                "graph_built",
                "the model ran with gradients on, so every operation was recorded in a graph "
                "that evaluation never uses (time and memory for nothing). Compute the loss "
                "inside `with torch.no_grad():`; model.eval() alone does not turn gradients "
                "off.",
                _bug(EVALUATE, "graph", evaluate=_bug_evaluate_with_graph),
            ),
        ),
    ),
    EVALUATE.output(
        "mode",
        shown="mode",
        mistakes=(
            Mistake(
                "wrong_mode",
                "the model ran in the mode it was handed over in: evaluation runs in "
                "evaluation mode, model.eval() (torch.no_grad() alone does not change it).",
                _bug(EVALUATE, "mode", evaluate=_bug_evaluate_no_eval),
            ),
            Mistake(
                "wrong_mode",
                "the model stayed in evaluation mode after evaluate: the caller's training "
                "loop goes on in it. Note model.training before model.eval() and put it back "
                "afterwards.",
                _bug(EVALUATE, "mode", evaluate=_bug_evaluate_left_in_eval),
            ),
            Mistake(
                "wrong_mode",
                "the model was put in training mode afterwards, whatever mode it was in "
                "before: note model.training before model.eval() and restore that "
                "(model.train(was_training)).",
                _bug(EVALUATE, "mode", evaluate=_bug_evaluate_back_to_train),
            ),
        ),
    ),
    ACCUMULATED_STEP.output("loss", shown="loss", mistakes=ACCUMULATED_LOSS_MISTAKES),
    ACCUMULATED_STEP.output(
        "params",
        shown="params",
        mistakes=ACCUMULATED_PARAMS_MISTAKES,
    ),
    ACCUMULATED_STEP.output(
        "mode",
        shown="mode",
        mistakes=(
            Mistake(
                "wrong_mode",
                "the model ran in the mode it was handed over in: a training step starts "
                "with model.train().",
                _bug(ACCUMULATED_STEP, "mode", accumulated_step=_accumulate(_share, train=False)),
            ),
        ),
    ),
    LINEAR.output("Z", shown="Z"),
    LINEAR.output("dX", shown="dX"),
    LINEAR.output("dW", shown="dW"),
    LINEAR.output("db", shown="db"),
    LINEAR_GRADCHECK.output(
        suffix="", shown="the Jacobian through autograd", gradient=_linear_numeric
    ),
    SIGMOID.output("A", shown="A", elementwise=("Z",)),
    SIGMOID.output("dZ", shown="dZ", elementwise=("Z",)),
    SIGMOID.output(
        "saved",
        shown="saved",
        elementwise=("Z",),
        mistakes=(
            Mistake(
                "wrong_variable",
                "forward saved its input Z, so backward computes sigmoid(Z) a second time: "
                "save the output A (ctx.save_for_backward(A)) and use dA * A * (1 - A).",
                lambda ref, case: 0.0,
            ),
        ),
    ),
    SIGMOID_GRADCHECK.output(
        suffix="", shown="the Jacobian through autograd", gradient=_sigmoid_numeric
    ),
]
