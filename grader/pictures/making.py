"""The numbers of each exercise's picture, from the learner's own code run in the sandbox.

Two ways, both through a `grader.api.Session`, so that learner code only ever runs in the
sandbox's children: the data a check already puts in the report (`CheckReport.data`:
exercise07's gradient norms, exercise11's attention weights, exercise12's loss curve), or
calls made for the picture alone (exercise01's loss over a grid of w, exercise05's blame and
training steps, exercise08's graph, the last two with drivers of the course's drivers/),
planned here as `Call`s, as grading plans them.
A picture is not a grade: nothing here is judged or scored. Where the learner's function is
not started or fails, the picture says so in a sentence and draws what it can.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grader.calls import Call, CallResult, NoResults, Ref
from grader.pictures.figures import (
    Curves,
    Graph,
    Heatmap,
    LayerRows,
    Network,
    Node,
    Picture,
)

if TYPE_CHECKING:
    from grader.api import Session
    from grader.catalog import ExerciseEntry
    from grader.report import CheckReport, ExerciseReport

Maker = Callable[["Session", "ExerciseEntry", Path], Picture]


# --- running calls in the sandbox --------------------------------------------------------------


def _run(
    session: Session, entry: ExerciseEntry, folder: Path, calls: list[Call]
) -> list[CallResult] | str:
    """The learner's answers to `calls` (a CallResult each), or why there are none (a sentence).
    The file is the one `bpgrade check` grades (`grader.layout`: in `exercises/` below the
    folder, or under a name a browser gave it)."""
    from grader.layout import locate

    layout = locate(folder, [entry])
    found = layout.files.get(entry.name)
    if found is None:
        return layout.missing.get(entry.name, f"there is no file {folder / entry.file}.")
    path = folder / found
    sandbox = session.sandbox
    workspace = sandbox.workspace(path.parent)
    try:
        outcome = sandbox.run(workspace / path.name, calls, 0, entry, session.course)
    finally:
        sandbox.discard(workspace)
    if isinstance(outcome.results, NoResults):
        return outcome.results.reason
    results: list[CallResult] = outcome.results
    return results


def _trouble(function: str, result: CallResult) -> str | None:
    """Why a call has no value, as a sentence about the learner's function; None where it has
    one. A call skipped because an earlier one failed says nothing: the earlier one does."""
    error = result.error
    if error is None:
        return None
    if error.kind == "not_implemented":
        frame = error.frames[-1] if error.frames else None
        if frame is None or frame.function in (function, "<module>"):
            return f"your {function} is not started yet (it raises NotImplementedError)."
        return (
            f"your {frame.function} is not written yet ({frame.file}, line {frame.line} raises "
            f"NotImplementedError), and the picture needs it."
        )
    if error.kind == "exception":
        return f"your {function} raised {error.type}: {error.message}"
    if error.kind == "bad_return":
        return f"your {function} {error.message}."
    if error.kind == "aborted":
        return error.message
    return ""


def _first_troubles(named: list[tuple[str, CallResult]]) -> list[str]:
    """The first sentence of trouble for each function, in order, each sentence once (a time
    limit stops every call after it with the same one)."""
    said: dict[str, str] = {}
    for function, result in named:
        sentence = _trouble(function, result)
        if sentence and function not in said:
            said[function] = sentence
    return list(dict.fromkeys(said.values()))


def _number(result: CallResult) -> float | None:
    value = result.value
    if result.error is not None or isinstance(value, bool):
        return None
    try:
        number = float(np.asarray(value, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


# --- from the report ---------------------------------------------------------------------------


def _checked(
    session: Session, entry: ExerciseEntry, folder: Path, check: str, picture: Picture
) -> CheckReport | None:
    """The check `check` of a grading of the learner's file, or None with the reason in the
    picture's notes (not started, not graded, no numbers)."""
    exercise: ExerciseReport = session.check(entry, folder=folder).exercises[0]
    if exercise.status == "not_started":
        picture.notes.append(
            f"{entry.name} is not started yet: open {folder / entry.file} and replace each "
            "raise NotImplementedError; the picture is drawn from your functions."
        )
        return None
    found = next((c for c in exercise.checks if c.name == check), None)
    if found is None or (exercise.status == "error" and not (found.data and found.data.layers)):
        reason = (exercise.error or "it could not be graded").split("\n")[0]
        picture.notes.append(f"{entry.name} could not run: {reason}")
        return None
    if not found.passed:
        drawn = "drawn from your numbers" if found.data else "not drawn: no numbers came back"
        picture.notes.append(
            f"The check {check} fails ({_what_is_wrong(found)}); the picture is {drawn}. "
            f"bpgrade check {entry.name} says more."
        )
    return found if found.data is not None and found.data.layers else None


def _what_is_wrong(check: CheckReport) -> str:
    """A failing check's headline without the call it opens with (its inputs are long)."""
    from grader.api import feedback

    told = feedback(check)
    headline = told.headline.split("\n")[0]
    if told.call and headline.startswith(told.call):
        headline = headline[len(told.call) :].lstrip(": ")
    return headline.rstrip(".")


# --- exercise01: one neuron ---------------------------------------------------------------------

NEURON = {"b": 0.0, "x": 1.5, "y": 1.0}
W_GRID = [float(w) for w in np.linspace(-6.0, 6.0, 49)]


def neuron(session: Session, entry: ExerciseEntry, folder: Path) -> Picture:
    """The loss of one neuron and its slope as w moves, with the sigmoid's factor a(1 - a)."""
    b, x, y = NEURON["b"], NEURON["x"], NEURON["y"]
    calls: list[Call] = []
    for i, w in enumerate(W_GRID):
        calls += [
            Call(f"L{i}", "neuron_loss", (w, b, x, y)),
            Call(f"g{i}", "neuron_gradients", (w, b, x, y), keep=0),
            Call(f"d{i}", "local_derivatives", (w, b, x, y), keep=1),
        ]
    picture = Picture(
        entry.name,
        "One neuron: the loss and its slope as w moves",
        caption=(
            "Where |z| = |w*x + b| is large, the sigmoid's factor a(1-a) is nearly 0, so the "
            "slope dL/dw is nearly 0 even where the loss is high: a neuron that is confidently "
            "wrong learns slowly."
        ),
    )
    results = _run(session, entry, folder, calls)
    if isinstance(results, str):
        picture.notes.append(f"{entry.name} could not run: {results}")
        return picture
    named = [(call.function, result) for call, result in zip(calls, results, strict=True)]
    picture.notes += _first_troubles(named)
    where = f"x = {x:g}, b = {b:g}, y = {y:g}"
    panels = (  # the factor on its own axis: a wrong one must not flatten the loss
        (f"the loss L and its slope dL/dw as w moves ({where})", {"L": 0, "dL/dw": 1}),
        ("the sigmoid's factor a(1-a), your da/dz, on the way from L back to w", {"a(1-a)": 2}),
    )
    for title, starts in panels:
        series: dict[str, list[float | None]] = {}
        for label, start in starts.items():
            values = [_number(result) for _, result in named[start::3]]
            if any(v is not None for v in values):
                series[label] = values
        if series:
            picture.panels.append(Curves(title, W_GRID, "w", series))
    return picture


# --- exercise05: a two-layer network ------------------------------------------------------------

NETWORK_SIZES = (3, 5, 2)  # D, H, C: small enough to draw every connection
EXAMPLES, LEARNING_RATE, STEPS, TRAINING_SEED = 16, 0.1, 30, 5


def _training_data() -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """He-initialized parameters and a task a two-layer network can learn (a fixed teacher)."""
    D, H, C = NETWORK_SIZES
    rng = np.random.default_rng(TRAINING_SEED)
    params = {
        "W1": rng.normal(0.0, np.sqrt(2.0 / D), size=(H, D)),
        "b1": np.zeros(H),
        "W2": rng.normal(0.0, np.sqrt(2.0 / H), size=(C, H)),
        "b2": np.zeros(C),
    }
    X = rng.normal(size=(EXAMPLES, D))
    Y = np.tanh(X @ rng.normal(size=(D, C)))
    return params, X, Y


def two_layer(session: Session, entry: ExerciseEntry, folder: Path) -> Picture:
    """The gradient of every weight after one train_step, and the loss over a few steps."""
    params, X, Y = _training_data()
    lr = LEARNING_RATE
    calls = [  # the blame by their backward; the loss by their train_step, step after step
        Call("blame", "two_layer_backward", (params, X, Y), driver="step_blame"),
        Call("step1", "train_step", (params, X, Y, lr)),
    ]
    for k in range(2, STEPS + 1):
        previous = Ref(f"step{k - 1}", 0)
        calls.append(Call(f"step{k}", "train_step", (previous, X, Y, lr), keep=1))
    picture = Picture(
        entry.name,
        "Your two-layer network: the blame flowing back",
        caption=(
            "Each connection is drawn as strong as its weight's gradient in one training step, "
            "by your two_layer_forward and two_layer_backward: the blame for the error flows "
            "back from the outputs through W2, then through the ReLU (units that were off pass "
            "none back) to W1."
        ),
    )
    results = _run(session, entry, folder, calls)
    if isinstance(results, str):
        picture.notes.append(f"{entry.name} could not run: {results}")
        return picture
    blame, steps = results[0], results[1:]
    picture.notes += _first_troubles(
        [("two_layer_backward", blame)] + [("train_step", r) for r in steps]
    )
    gradients = _blame(params, blame) or _step_gradients(params, steps[0], lr)
    if gradients is not None:
        picture.panels.append(
            Network(
                "the blame of one training step: |gradient| of each weight (stronger: more)",
                list(NETWORK_SIZES),
                gradients,
                ["W1 (input to hidden)", "W2 (hidden to output)"],
            )
        )
    elif blame.error is None or steps[0].error is None:
        picture.notes.append(
            "neither your two_layer_backward's grads nor your train_step's new params have W1 "
            "and W2 of the shapes they came in: the connections are not drawn."
        )
    losses = [_number(_loss_of(r)) for r in steps]
    if any(loss is not None for loss in losses):
        numbers = [float(k) for k in range(1, len(losses) + 1)]
        title = f"the loss of {len(losses)} train_steps (lr = {lr:g})"
        picture.panels.append(Curves(title, numbers, "step", {"loss": losses}))
    return picture


def _loss_of(result: CallResult) -> CallResult:
    """A train_step's loss: the first call returns (new_params, loss), the rest the loss."""
    value = result.value
    if result.error is None and isinstance(value, tuple | list) and len(value) == 2:
        return CallResult(value=value[1])
    return result


def _weights(params: dict[str, np.ndarray], answer: Any) -> list[np.ndarray] | None:
    """W1 and W2 of a dict of the learner's, where both have the shapes of `params`."""
    if not isinstance(answer, dict):
        return None
    found = [answer.get(key) for key in ("W1", "W2")]
    arrays = [w for w in found if isinstance(w, np.ndarray)]
    if len(arrays) != 2:
        return None
    if any(w.shape != params[k].shape for w, k in zip(arrays, ("W1", "W2"), strict=True)):
        return None
    return [np.nan_to_num(w.astype(np.float64)) for w in arrays]


def _blame(params: dict[str, np.ndarray], result: CallResult) -> list[list[list[float]]] | None:
    """dW1 and dW2 from the learner's backward, where it gave them."""
    grads = _weights(params, result.value) if result.error is None else None
    return [g.tolist() for g in grads] if grads is not None else None


def _step_gradients(
    params: dict[str, np.ndarray], result: CallResult, lr: float
) -> list[list[list[float]]] | None:
    """Each W's gradient as a train_step moved it, (params - new_params) / lr, where its
    answer is (new_params, loss) with W1 and W2 of the shapes they came in; else None."""
    answer = result.value
    if result.error is not None or not isinstance(answer, tuple | list) or len(answer) != 2:
        return None
    new = _weights(params, answer[0])
    if new is None:
        return None
    return [((params[k] - w) / lr).tolist() for k, w in zip(("W1", "W2"), new, strict=True)]


# --- exercise07: gradients through deep networks -----------------------------------------------


def deep(session: Session, entry: ExerciseEntry, folder: Path) -> Picture:
    """Gradient norms and saturation per layer, per activation and initialization (the check
    deep_picture runs the learner's init_weights, deep_forward, deep_backward, gradient_norms
    and saturation on ten-layer networks)."""
    picture = Picture(
        entry.name,
        "Gradients through ten layers: vanishing or flat",
        caption=(
            "Read each row from the output (right) back to the input (left), the way the blame "
            "flows: sigmoid with small weights shrinks the gradient at every layer until it "
            "vanishes, while ReLU with He initialization keeps it about the same size."
        ),
    )
    check = _checked(session, entry, folder, "deep_picture", picture)
    if check is None or check.data is None:
        return picture
    lesson = ("sigmoid, small init", "relu, he init")  # vanishing, and flat
    for quantity, title, log, unit in (
        ("grad_norm", "gradient norm of each layer's W, log scale", True, ""),
        ("saturation", "saturation of each hidden layer (share of units stuck flat)", False, "%"),
    ):
        rows = {
            key.split(", ", 1)[1] + " init": list(values.values())
            for key, values in check.data.layers.items()
            if key.split(", ", 1)[0] == quantity
        }
        if rows:
            count = max(len(r) for r in rows.values())
            layers = [str(i) for i in range(1, count + 1)]
            shown = tuple(row for row in lesson if row in rows) if log else ()
            picture.panels.append(
                LayerRows(title, layers, rows, log=log, unit=unit, highlight=shown)
            )
    return picture


# --- exercise08: the computational graph -------------------------------------------------------

GRAPH_LEAVES = {"a": 2.0, "b": -1.5}
GRAPH_PROGRAM = "c = a * b; d = c + a; e = d * c; L = e - b"  # c and a are each used twice


def _graph_edges(program: str, leaves: list[str]) -> tuple[list[Node], list[tuple[str, str]]]:
    nodes = [Node(name, "", None, None) for name in leaves]
    edges: list[tuple[str, str]] = []
    for statement in program.split("; "):
        name, _, expression = statement.partition(" = ")
        known = {node.name for node in nodes}
        for used in dict.fromkeys(re.findall(r"(?<![.\w])[A-Za-z_]\w*", expression)):
            if used in known:
                edges.append((used, name))
        nodes.append(Node(name, expression, None, None))
    return nodes, edges


def graph(session: Session, entry: ExerciseEntry, folder: Path) -> Picture:
    """A small graph built with the learner's Value, backward() from its root: data and grad
    of every node (exercise08's own driver builds it, as its checks do)."""
    planned, edges = _graph_edges(GRAPH_PROGRAM, list(GRAPH_LEAVES))
    root = planned[-1].name
    calls = [  # data first, on its own: a Value without backward() yet still has it
        Call("data", "Value", (dict(GRAPH_LEAVES), GRAPH_PROGRAM), driver="graph_data"),
        Call("graph", "Value", (dict(GRAPH_LEAVES), GRAPH_PROGRAM, [root]), driver="operators"),
    ]
    picture = Picture(
        entry.name,
        "Your computational graph: data forward, grad backward",
        caption=(
            f"Built with your Value, then {root}.backward(): each node's grad is how much "
            f"{root} moves when that node moves; a node used twice adds up the grad of each use. "
            "bpgrade check exercise08 says whether these are right."
        ),
    )
    results = _run(session, entry, folder, calls)
    numbers: dict[str, Any] = {}
    if isinstance(results, str):
        picture.notes.append(f"{entry.name} could not run: {results}")
    else:
        picture.notes += _first_troubles([("Value", result) for result in results])
        for result in results:
            if result.error is None and isinstance(result.value, dict):
                numbers.update(result.value)
    nodes = [
        Node(
            n.name,
            n.expression,
            _plain_float(numbers.get(f"{n.name}.data")),
            _plain_float(numbers.get(f"{n.name}.grad")),
        )
        for n in planned
    ]
    picture.panels.append(Graph(f"{GRAPH_PROGRAM}, from {root}", nodes, edges, root))
    return picture


def _plain_float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# --- exercise11: attention ----------------------------------------------------------------------


def attention(session: Session, entry: ExerciseEntry, folder: Path) -> Picture:
    """The attention weights of one sequence, a row per query (the check attention_picture)."""
    picture = Picture(
        entry.name,
        "Attention weights: where each position looks",
        caption=(
            "Row t is query t's weights over the keys: each row sums to 1, and with the causal "
            "mask nothing after the query gets any weight (the upper right stays empty)."
        ),
    )
    check = _checked(session, entry, folder, "attention_picture", picture)
    if check is None or check.data is None:
        return picture
    labels = list(check.data.layers)
    rows = [list(values.values()) for values in check.data.layers.values()]
    width = max(len(row) for row in rows)
    picture.panels.append(
        Heatmap(
            "weights, a row per query (darker: more weight)",
            [row + [0.0] * (width - len(row)) for row in rows],
            [label.split(",")[0] for label in labels],
            [f"key {j}" for j in range(1, width + 1)],
        )
    )
    return picture


# --- exercise12: the training loss --------------------------------------------------------------


def training_loss(session: Session, entry: ExerciseEntry, folder: Path) -> Picture:
    """The loss curve of the learner's training on the course's text (the check
    text_loss_curve)."""
    picture = Picture(
        entry.name,
        "Your tiny GPT's training loss",
        caption=(
            "The loss starts near ln V, a uniform guess over the V characters, and falls as the "
            "model learns which characters follow which."
        ),
    )
    check = _checked(session, entry, folder, "text_loss_curve", picture)
    if check is None or check.data is None:
        return picture
    for label, values in check.data.layers.items():
        losses: list[float | None] = list(values.values())
        steps = [float(k) for k in values]
        size = re.search(r"\bV=(\d+)", label)  # the vocabulary's size, as the case names it
        marks = {"ln V, a uniform guess": math.log(int(size[1]))} if size else {}
        picture.panels.append(Curves(label, steps, "step", {"loss": losses}, marks=marks))
    return picture


MAKERS: dict[str, Maker] = {
    "exercise01": neuron,
    "exercise05": two_layer,
    "exercise07": deep,
    "exercise08": graph,
    "exercise11": attention,
    "exercise12": training_loss,
}
