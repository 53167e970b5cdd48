"""Submissions at the edges: correct ones that must not be failed, wrong ones that must not pass,
and code that must not upset the grader. Each starts from the reference and changes one thing."""

from __future__ import annotations

from pathlib import Path

from grader.catalog import Catalog

from .conftest import SOLUTIONS, failing, grade_in


def submit(
    folder: Path, file: str, old: str, new: str, extra: dict[str, str] | None = None
) -> Path:
    source = (SOLUTIONS / file).read_text()
    assert old in source, old
    folder.mkdir(parents=True, exist_ok=True)
    (folder / file).write_text(source.replace(old, new, 1))
    for name, text in (extra or {}).items():
        (folder / name).write_text(text)
    return folder


def test_a_hard_coded_learning_rate_fails(catalog: Catalog, tmp_path: Path) -> None:
    folder = submit(
        tmp_path,
        "exercise05_two_layer.py",
        "return {k: params[k] - lr * grads[k] for k in params}",
        "return {k: params[k] - 0.05 * grads[k] for k in params}",
    )
    got = failing(grade_in(catalog.find("5"), folder))
    assert {"sgd_step", "train_step.params"} <= set(got)


def test_extra_keys_in_a_returned_dict_fail_once_with_the_key_named(
    catalog: Catalog, tmp_path: Path
) -> None:
    """The contract: a grads dict with the same keys as params. One check answers for it."""
    folder = submit(
        tmp_path,
        "exercise05_two_layer.py",
        'return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}',
        'return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "note": None}',
    )
    report = grade_in(catalog.find("5"), folder)
    assert set(failing(report)) == {"two_layer_backward.W1"}
    assert "'note'" in next(c.message for c in report.checks if not c.passed)


def test_replacing_an_argument_entry_with_anything_is_a_modification(
    catalog: Catalog, tmp_path: Path
) -> None:
    folder = submit(
        tmp_path,
        "exercise05_two_layer.py",
        "    return {k: params[k] - lr * grads[k] for k in params}",
        "    params['W1'] = None\n    return {k: grads[k] for k in grads}",
    )
    got = failing(grade_in(catalog.find("5"), folder))
    assert got["arguments_unchanged"] == "argument_modified"


def test_np_seterr_in_learner_code_does_not_leak_into_the_judge(
    catalog: Catalog, tmp_path: Path
) -> None:
    folder = submit(
        tmp_path,
        "exercise02_activations.py",
        "import numpy as np\n",
        "import numpy as np\n\nnp.seterr(all='raise')\n",
    )
    assert grade_in(catalog.find("2"), folder).status == "passed"


def test_a_helper_module_named_like_the_stdlib_is_harmless(
    catalog: Catalog, tmp_path: Path
) -> None:
    folder = submit(
        tmp_path,
        "exercise03_linear.py",
        "import numpy as np\n",
        "import numpy as np\n",
        {"warnings.py": "from warnings import *  # noqa\n", "helpers.py": "X = 1\n"},
    )
    assert grade_in(catalog.find("3"), folder).status == "passed"


def test_a_stub_in_an_imported_exercise_is_named_as_the_cause(
    catalog: Catalog, tmp_path: Path
) -> None:
    stub = (Path(__file__).resolve().parents[1] / "exercises" / "exercise03_linear.py").read_text()
    folder = submit(
        tmp_path,
        "exercise05_two_layer.py",
        '    Y_hat = A1 @ params["W2"].T + params["b2"]',
        "    from exercise03_linear import linear_forward\n"
        '    Y_hat = linear_forward(A1, params["W2"], params["b2"])',
        {"exercise03_linear.py": stub},
    )
    report = grade_in(catalog.find("5"), folder)
    assert report.status == "failed"
    message = next(c.message for c in report.checks if c.name == "two_layer_forward")
    assert "linear_forward in exercise03_linear.py, which is not implemented yet" in message


def test_keepdims_is_explained_not_called_unsummed(catalog: Catalog, tmp_path: Path) -> None:
    folder = submit(
        tmp_path,
        "exercise03_linear.py",
        "db = dZ.sum(axis=0)",
        "db = dZ.sum(axis=0, keepdims=True)",
    )
    report = grade_in(catalog.find("3"), folder)
    db = next(c for c in report.checks if c.name == "linear_backward.db")
    assert not db.passed and db.diagnosis is None and "keepdims" in db.message


def test_a_python_overflow_at_large_inputs_is_unstable(catalog: Catalog, tmp_path: Path) -> None:
    loop = (
        "def sigmoid(Z):\n"
        "    import math\n"
        "    flat = [1.0 / (1.0 + math.exp(-z)) for z in np.asarray(Z).ravel()]\n"
        "    return np.array(flat).reshape(np.shape(Z))\n\n\n"
        "def _unused_sigmoid(Z"
    )
    folder = submit(tmp_path, "exercise02_activations.py", "def sigmoid(Z", loop)
    got = failing(grade_in(catalog.find("2"), folder))
    # every elementwise case holds |Z| = 1000, and sigmoid_backward calls this sigmoid
    assert got == dict.fromkeys(("sigmoid", "sigmoid.stable", "sigmoid_backward"), "unstable")


def test_an_update_mistake_is_described_as_a_step(catalog: Catalog, tmp_path: Path) -> None:
    folder = submit(
        tmp_path,
        "exercise05_two_layer.py",
        "return {k: params[k] - lr * grads[k] for k in params}",
        "return {k: params[k] + lr * grads[k] for k in params}",
    )
    report = grade_in(catalog.find("5"), folder)
    sgd = next(c for c in report.checks if c.name == "sgd_step")
    assert sgd.diagnosis == "sign" and "your step" in sgd.message


def test_a_forward_without_its_cache_is_explained_not_a_crash(
    catalog: Catalog, tmp_path: Path
) -> None:
    folder = submit(
        tmp_path, "exercise05_two_layer.py", "    return Y_hat, cache", "    return Y_hat"
    )
    report = grade_in(catalog.find("5"), folder)
    forward = next(c for c in report.checks if c.name == "two_layer_forward")
    backward = next(c for c in report.checks if c.name == "two_layer_backward.W1")
    assert "not a tuple" in forward.message and "(Y_hat, cache)" in forward.message
    assert backward.message.startswith("two_layer_backward could not be checked")


def test_a_bias_gradient_of_another_shape_is_judged_not_a_crash(
    catalog: Catalog, tmp_path: Path
) -> None:
    folder = submit(
        tmp_path,
        "exercise03_linear.py",
        "db = dZ.sum(axis=0)",
        "db = dZ.sum(axis=1, keepdims=True).T",
    )
    report = grade_in(catalog.find("3"), folder)
    assert report.status == "failed"
    assert set(failing(report)) == {"linear_backward.db"}


def test_an_infinite_loss_is_judged_not_a_crash(catalog: Catalog, tmp_path: Path) -> None:
    folder = submit(
        tmp_path,
        "exercise04_losses.py",
        "return float(np.mean((Y_hat - Y) ** 2))",
        "return 1e308",
    )
    report = grade_in(catalog.find("4"), folder)
    assert report.status == "failed"
    assert "mse_loss" in failing(report)
