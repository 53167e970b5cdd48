"""A runtime per exercise (issue 12, item 3): a torch exercise runs in children forked from a
zygote that imported and warmed torch once, so each costs a fork, not an import; the NumPy
zygote never imports torch; without torch, a torch exercise says how to install it and the
others grade as usual.

The toy course in tests/fixtures/toy_course has a torch exercise, `double(x)`, graded through
a driver that backpropagates through the learner's function."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.calls import Call, CallResult
from grader.catalog import Catalog, ExerciseEntry
from grader.grading import grade
from grader.sandbox import GIB, TORCH_ADDRESS_SPACE, Limits, Sandbox

from .conftest import TOY

INSTALL = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as box:
        yield box


def entry(catalog: Catalog, name: str) -> ExerciseEntry:
    found = catalog.find(name)
    assert found is not None
    return found


def submit(tmp_path: Path, file: str, source: str) -> Path:
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    (folder / file).write_text(textwrap.dedent(source))
    return folder


def results(outcome_results: object) -> list[CallResult]:
    assert isinstance(outcome_results, list), outcome_results
    return outcome_results


def test_the_catalog_gives_runtimes_and_limits(toy: Catalog) -> None:
    numpy_one, torch_one = entry(toy, "exercise01"), entry(toy, "exercise02")
    assert (numpy_one.runtime, torch_one.runtime) == ("numpy", "torch")
    assert toy.runtimes == {"numpy", "torch"}
    limits = Limits(timeout=5.0, memory=GIB)
    box = Sandbox.__new__(Sandbox)  # limits_for needs no zygote
    box.limits = limits
    assert box.limits_for(numpy_one) == limits
    torch_limits = box.limits_for(torch_one)
    assert torch_limits.timeout == 20  # the catalog's own
    assert torch_limits.memory == GIB + TORCH_ADDRESS_SPACE  # room for what torch maps
    own = torch_one.model_copy(update={"memory": 3 * GIB, "timeout": None})
    assert box.limits_for(own) == Limits(timeout=5.0, memory=3 * GIB)


def test_the_default_course_needs_torch_for_exercise09_only(catalog: Catalog) -> None:
    assert catalog.runtimes == {"numpy", "torch"}
    assert [e.name for e in catalog.exercises if e.runtime == "torch"] == ["exercise09"]


@pytest.mark.parametrize(
    ("source", "status"),
    [
        ("def double(x):\n    return 2 * x\n", "passed"),
        ("def double(x):\n    return x + x\n", "passed"),
        ("def double(x):\n    return x * 2 + 1\n", "failed"),  # a wrong value
        ("def double(x):\n    return x * x\n", "failed"),  # right at 2, wrong gradient
        ("def double(x):\n    return (2 * x).detach()\n", "failed"),  # no gradient at all
        ("def double(x):\n    return (2 * x).tolist()\n", "failed"),  # not a tensor
    ],
)
def test_a_torch_exercise_is_graded_in_the_sandbox(
    toy: Catalog, sandbox: Sandbox, tmp_path: Path, source: str, status: str
) -> None:
    pytest.importorskip("torch")
    exercise = entry(toy, "exercise02")
    folder = submit(tmp_path, exercise.file, source)
    graded = grade([exercise], folder, TOY / "solutions", sandbox=sandbox).exercises[0]
    assert graded.status == status, graded


def test_the_torch_stub_is_not_started(toy: Catalog, sandbox: Sandbox) -> None:
    pytest.importorskip("torch")
    report = grade(
        [entry(toy, "exercise02")], TOY / "exercises", TOY / "solutions", sandbox=sandbox
    )
    assert report.exercises[0].status == "not_started"


def test_gradients_come_back_as_arrays(toy: Catalog, sandbox: Sandbox) -> None:
    pytest.importorskip("torch")
    import numpy as np

    exercise = entry(toy, "exercise02")
    workspace = sandbox.workspace(TOY / "solutions")
    call = Call("g", "double", ([1.0, -2.0], [1.0, 3.0]), driver="value_and_grad")
    (result,) = results(sandbox.run(workspace / exercise.file, [call], exercise=exercise).results)
    assert result.error is None, result.error
    value, grad = result.value["value"], result.value["grad"]
    assert type(value) is np.ndarray and type(grad) is np.ndarray  # detached, on the CPU
    assert value.tolist() == [2.0, -4.0] and grad.tolist() == [2.0, 6.0]


def _preloaded(sandbox: Sandbox, exercise: ExerciseEntry, workspace: Path) -> dict[str, bool]:
    call = Call("p", "double", (), driver="torch_preloaded")
    (result,) = results(sandbox.run(workspace / exercise.file, [call], exercise=exercise).results)
    assert result.error is None, result.error
    return result.value


def test_a_torch_exercise_costs_a_fork_not_an_import(toy: Catalog, tmp_path: Path) -> None:
    """Every run, the first included, is a child forked from the one warm torch zygote: torch
    was in the child's sys.modules before the drivers module (loaded before the learner's)
    was, so the child never imported it; and the zygote is the same process each time."""
    pytest.importorskip("torch")
    exercise = entry(toy, "exercise02")
    with Sandbox() as box:
        workspace = box.workspace(TOY / "solutions")
        first = _preloaded(box, exercise, workspace)
        zygote = box._zygotes["torch"]
        later = [_preloaded(box, exercise, workspace) for _ in range(2)]
        assert box._zygotes["torch"] is zygote and zygote.poll() is None
        assert first == {"torch_preloaded": True, "torch_loaded": True}
        assert later == [first, first]
        maps = Path(f"/proc/{zygote.pid}/maps")
        if maps.is_file():
            assert "libtorch" in maps.read_text()


def test_the_numpy_zygote_never_imports_torch(toy: Catalog, sandbox: Sandbox) -> None:
    """Not even once a torch exercise ran beside it in the same grader."""
    pytest.importorskip("torch")
    counter, double = entry(toy, "exercise01"), entry(toy, "exercise02")
    workspace = sandbox.workspace(TOY / "solutions")
    _preloaded(sandbox, double, workspace)
    call = Call("t", "Counter", (), driver="torch_loaded")
    (result,) = results(sandbox.run(workspace / counter.file, [call], exercise=counter).results)
    assert result.value == {"torch": False}
    zygote = sandbox._zygote
    assert zygote is not None
    maps = Path(f"/proc/{zygote.pid}/maps")
    if maps.is_file():
        assert "libtorch" not in maps.read_text()


def test_without_torch_a_torch_exercise_says_how_to_install_it(
    toy: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """And the NumPy exercise beside it grades as usual."""
    import grader.sandbox.client

    monkeypatch.setattr(grader.sandbox.client, "torch_available", lambda: False)
    with Sandbox() as box:
        report = grade(toy.exercises, TOY / "solutions", TOY / "solutions", sandbox=box)
        assert "torch" not in box._zygotes  # never started
    statuses = {e.name: e.status for e in report.exercises}
    assert statuses == {"exercise01": "passed", "exercise02": "error"}
    error = report.exercises[1].error or ""
    assert INSTALL in error
    assert error.count(". ") == 0  # one sentence


def _allocating(mebibytes: int) -> str:
    return f"""
        import torch

        def double(x):
            big = torch.ones({mebibytes} * 1024 * 1024 // 8, dtype=torch.float64)
            return 2 * x + 0 * big[:1].sum()
    """


def test_a_torch_exercise_has_the_room_a_numpy_one_has(
    toy: Catalog, sandbox: Sandbox, tmp_path: Path
) -> None:
    """512 MiB more, as a NumPy exercise could take under the 1 GiB default: the warm torch
    already maps about 640 MiB of the child's address space, so under the NumPy exercise's
    limit this allocation fails; under the torch default (TORCH_ADDRESS_SPACE more) it runs.
    A memory hog (3 GiB) still fails under the torch default."""
    pytest.importorskip("torch")
    exercise = entry(toy, "exercise02")
    call = Call("g", "double", ([1.0], [1.0]), driver="value_and_grad")
    narrow = exercise.model_copy(update={"memory": sandbox.limits.memory})
    runs = [(512, exercise, True), (512, narrow, False), (3072, exercise, False)]
    for number, (size, runs_with, fits) in enumerate(runs):
        (tmp_path / str(number)).mkdir()
        folder = submit(tmp_path / str(number), exercise.file, _allocating(size))
        workspace = sandbox.workspace(folder)
        outcome = sandbox.run(workspace / exercise.file, [call], exercise=runs_with)
        (result,) = results(outcome.results)
        assert (result.error is None) == fits, (size, result.error)
        if not fits:
            assert result.error is not None and "memory" in result.error.message.lower()


def test_the_zygote_is_past_torchs_first_uses_before_any_child(
    toy: Catalog, sandbox: Sandbox, tmp_path: Path
) -> None:
    """A child finds torch's compiler front end (the first optimizer's import) and sympy (the
    first backward with an upstream gradient) loaded: it pays a fork, not their seconds."""
    pytest.importorskip("torch")
    exercise = entry(toy, "exercise02")
    source = """
        import sys

        def double(x):
            cold = [m for m in ("torch._dynamo", "sympy") if m not in sys.modules]
            if cold:
                raise RuntimeError(f"not yet imported: {cold}")
            return 2 * x
    """
    workspace = sandbox.workspace(submit(tmp_path, exercise.file, source))
    call = Call("g", "double", ([1.0], [1.0]), driver="value_and_grad")
    (result,) = results(sandbox.run(workspace / exercise.file, [call], exercise=exercise).results)
    assert result.error is None, result.error


def test_the_judge_warms_torch_while_a_torch_exercise_runs(toy: Catalog) -> None:
    """Grading a torch exercise starts torch's first uses in the grader at once, beside its
    children, so the judge's first case does not import torch._dynamo (seconds) after them.
    In a fresh interpreter: this one may have torch warm already."""
    pytest.importorskip("torch")
    code = textwrap.dedent(
        f"""
        import sys, threading
        from pathlib import Path
        from grader.catalog import load_catalog
        from grader.grading import _start_torch

        class Box:
            def start_early(self, runtime):
                return runtime == "torch"

        toy = load_catalog(Path({str(TOY)!r}) / "exercises" / "catalog.toml")
        _start_torch([toy.find("exercise02")], Box())
        for thread in threading.enumerate():
            if thread is not threading.main_thread():
                thread.join()
        print(sorted(m for m in ("torch", "torch._dynamo", "sympy") if m in sys.modules))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[-2] == "['sympy', 'torch', 'torch._dynamo']", done.stderr


def test_warming_torch_leaves_its_random_numbers_alone() -> None:
    """A notebook's kernel runs the grader beside the learner's seeded experiments."""
    torch = pytest.importorskip("torch")
    from grader.torch_warmup import first_uses

    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    first_uses()
    assert torch.equal(torch.rand(3), expected)
