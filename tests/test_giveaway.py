"""No title, stub message or hint of the course holds code of an answer (grader.giveaway), and
every check's line fits a terminal of 80 columns."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import pytest

from grader.catalog import Catalog, load_catalog
from grader.cli.render import exercise_lines
from grader.giveaway import answer_code, giveaways, normalize, stub_messages
from grader.report import CheckReport, ExerciseReport
from tests.conftest import EXERCISES, SOLUTIONS

# What the course said before issue 10: each holds an answer's code, or its formula.
GIVING_AWAY = {
    ("exercise01", "neuron_loss"): "the loss L = (a - y)^2",
    ("exercise01", "local_derivatives.dL_da"): "dL/da = 2(a - y)",
    ("exercise01", "local_derivatives.da_dz"): "da/dz = a(1 - a)",
    ("exercise02", "sigmoid"): "A = 1 / (1 + exp(-Z))",
    ("exercise02", "sigmoid_backward"): "dZ = dA * s * (1 - s)",
    ("exercise02", "relu"): "A = max(Z, 0)",
    ("exercise02", "tanh_backward"): "dZ = dA * (1 - tanh(Z)^2)",
    ("exercise03", "linear_forward"): "Z = X @ W.T + b",
    ("exercise03", "linear_backward.dX"): "dX = dZ @ W",
    ("exercise03", "linear_backward.dW"): "dW = dZ.T @ X",
    ("exercise04", "mse_loss"): "the mean of (Y_hat - Y)^2 over every element",
    ("exercise04", "mse_backward"): "dY_hat = 2 (Y_hat - Y) / Y.size",
    ("exercise04", "softmax_cross_entropy.dlogits"): "dlogits = (softmax - onehot) / N",
    ("exercise05", "two_layer_forward"): "Y_hat = relu(X @ W1.T + b1) @ W2.T + b2",
    ("exercise05", "sgd_step"): "params[k] - lr * grads[k] for every key",
}
STUB_MESSAGES = {
    "exercise01_chain_rule.py": "descent_step: return (w - lr*dL_dw, b - lr*dL_db)",
    "exercise03_linear.py": "linear_forward: compute Z = X @ W.T + b",
    "exercise05_two_layer.py": "sgd_step: return a new dict {k: params[k] - lr * grads[k]}",
}
HINTS = {
    "exercise03": "dX = dZ @ W and dW = dZ.T @ X.",
    "exercise05": "sgd_step must build a new dict: {k: params[k] - lr * grads[k] for k in params}.",
}
# Sentences about the math that are no answer: a convention, a bound, a worked number.
NO_ANSWER = (
    "the slope at exactly Z = 0 is 0",
    "finite, no warning, at |Z| = 1000",
    "dW, the weights' gradient, (D_out, D_in)",
    "W1 then W2 from one default_rng(seed)",
    "dL/dw by the chain rule",
    "the new w after one step",
)


def _with(catalog: Catalog, name: str, **changes: object) -> Catalog:
    data = catalog.model_dump()
    entry = next(e for e in data["exercises"] if e["name"] == name)
    entry.update(changes)
    return Catalog.model_validate(data)


def _titled(catalog: Catalog, exercise: str, check: str, title: str) -> Catalog:
    entry = catalog.find(exercise)
    assert entry is not None
    checks = [
        {**c.model_dump(), "title": title} if c.name == check else c.model_dump()
        for c in entry.checks
    ]
    return _with(catalog, exercise, checks=checks)


def test_the_course_gives_no_answer_away(catalog: Catalog) -> None:
    found = giveaways(catalog, EXERCISES, SOLUTIONS)
    assert not found, "\n".join(map(str, found))


def test_the_solutions_answer_with_code_worth_finding() -> None:
    code = answer_code(SOLUTIONS, given=EXERCISES)
    for answer in ("dZ.T @ X", "dZ @ W", "X @ W.T + b", "2.0 * (a - y)", "dZ.sum(axis=0)"):
        assert normalize(answer) in code, answer
    # with the locals a solution uses put back: s = sigmoid(Z); local = s * (1 - s)
    assert normalize("dA * (1.0 - np.tanh(Z) ** 2)") in code
    assert not any("math.exp(-z)" in where for where in code.values())  # the given helper


@pytest.mark.parametrize(("place", "title"), GIVING_AWAY.items(), ids=lambda v: str(v))
def test_a_title_that_states_the_answer_is_found(
    catalog: Catalog, place: tuple[str, str], title: str
) -> None:
    changed = _titled(catalog, *place, title)
    found = giveaways(changed, EXERCISES, SOLUTIONS)
    assert [g.text for g in found] == [title]
    assert place[1] in found[0].where


def test_titles_about_the_math_but_not_its_code_pass(catalog: Catalog) -> None:
    for title in NO_ANSWER:
        changed = _titled(catalog, "exercise03", "linear_backward.dW", title)
        assert giveaways(changed, EXERCISES, SOLUTIONS) == [], title


def test_a_stub_message_that_states_the_answer_is_found(tmp_path: Path, catalog: Catalog) -> None:
    folder = tmp_path / "exercises"
    shutil.copytree(EXERCISES, folder)
    for name, message in STUB_MESSAGES.items():
        path = folder / name
        function = message.split(":")[0]
        current = dict(stub_messages(path))[function]
        path.write_text(path.read_text(encoding="utf-8").replace(current, message), "utf-8")
    found = giveaways(catalog, folder, SOLUTIONS)
    assert sorted(g.text for g in found) == sorted(STUB_MESSAGES.values())
    assert all("NotImplementedError" in g.where for g in found)


def test_a_hint_that_spells_out_a_line_is_found(catalog: Catalog) -> None:
    for exercise, hint in HINTS.items():
        entry = catalog.find(exercise)
        assert entry is not None
        changed = _with(catalog, exercise, hints=[*entry.hints, hint])
        found = giveaways(changed, EXERCISES, SOLUTIONS)
        assert [g.where for g in found] == [f"catalog {exercise} hint {len(entry.hints) + 1}"]


def test_a_hint_may_repeat_the_math_the_stub_shows(catalog: Catalog) -> None:
    # exercise04's stub states dY_hat = 2 * (Y_hat - Y) / Y.size itself; exercise03's does not
    # state db = dZ.sum(axis=0)
    shown = _with(catalog, "exercise04", hints=["dY_hat = 2 * (Y_hat - Y) / Y.size"])
    assert giveaways(shown, EXERCISES, SOLUTIONS) == []
    hidden = _with(catalog, "exercise03", hints=["db = dZ.sum(axis=0)"])
    assert len(giveaways(hidden, EXERCISES, SOLUTIONS)) == 1


def test_every_check_line_fits_80_columns() -> None:
    catalog = load_catalog(EXERCISES / "catalog.toml")
    for entry in catalog.exercises:
        checks = [
            CheckReport(
                name=c.name,
                title=c.title,
                passed=False,
                score=0.0,
                max_score=max(c.points, 10.0),  # the widest score column: 10/10
                message="",
            )
            for c in entry.checks
        ]
        report = ExerciseReport(
            name=entry.name, title=entry.title, file=entry.file, status="failed",
            score=0.0, max_score=entry.max_score, checks=checks,
        )  # fmt: skip
        for line in exercise_lines(report):
            for row in click.unstyle(line).splitlines():
                assert len(row) <= 80, row
