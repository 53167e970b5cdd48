"""Drivers (issue 12, item 2): a call answered by a grader-owned function that drives the
learner's objects in the sandboxed child, and by the same function on the reference.

The toy course in tests/fixtures/toy_course grades a `Counter` class through a driver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.calls import Call
from grader.catalog import Catalog, ExerciseEntry
from grader.drivers import NoDriver, driver_path, load_driver
from grader.grading import grade
from grader.recorded import DRIVEN
from grader.release import write_release
from grader.report import ExerciseReport
from grader.runner import run_exercise
from grader.sandbox import Sandbox, wire

from .conftest import TOY

SOLUTION = (TOY / "solutions" / "exercise01_counter.py").read_text()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as box:
        yield box


def counter(catalog: Catalog) -> ExerciseEntry:
    entry = catalog.find("exercise01")
    assert entry is not None
    return entry


def grade_counter(
    catalog: Catalog, sandbox: Sandbox, tmp_path: Path, source: str
) -> ExerciseReport:
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "exercise01_counter.py").write_text(textwrap.dedent(source))
    report = grade([counter(catalog)], folder, TOY / "solutions", sandbox=sandbox)
    return report.exercises[0]


def test_a_right_counter_passes_through_the_driver(
    toy: Catalog, sandbox: Sandbox, tmp_path: Path
) -> None:
    graded = grade_counter(toy, sandbox, tmp_path, SOLUTION)
    assert graded.status == "passed", graded
    assert graded.score == graded.max_score


def test_the_stub_is_not_started(toy: Catalog, sandbox: Sandbox) -> None:
    report = grade([counter(toy)], TOY / "exercises", TOY / "solutions", sandbox=sandbox)
    assert report.exercises[0].status == "not_started"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(SOLUTION.replace("self.total += n", "self.total += 1"), id="add_ignores_n"),
        pytest.param(
            """
            class Counter:
                total = 0  # on the class: every counter shares it

                def add(self, n):
                    Counter.total += n

                def value(self):
                    return Counter.total
            """,
            id="state_on_the_class",
        ),
        pytest.param(
            """
            class Counter:
                items = []  # a mutable class attribute, shared by every instance

                def add(self, n):
                    self.items.append(n)

                def value(self):
                    return sum(self.items)
            """,
            id="shared_list",
        ),
    ],
)
def test_a_wrong_counter_fails(toy: Catalog, sandbox: Sandbox, tmp_path: Path, source: str) -> None:
    graded = grade_counter(toy, sandbox, tmp_path, source)
    assert graded.status == "failed", graded
    assert graded.score == 0
    assert "wrong result[" in graded.checks[0].message


def test_a_release_records_drivers_at_their_boundary(
    toy: Catalog, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release holds what each driver answered on the reference, not the calls it made
    inside: its grader judges a driven class word for word as the full grader does, with
    no solution, and a torch driver's tensors are recorded as arrays."""
    release = tmp_path / "release"
    write_release(TOY, release)
    recorded = json.loads((release / "expected" / "exercise01.json").read_text())
    assert {call["function"] for call in recorded["calls"]} == {DRIVEN + "two_counters"}
    torch_recorded = json.loads((release / "expected" / "exercise02.json").read_text())
    assert {call["function"] for call in torch_recorded["calls"]} == {DRIVEN + "value_and_grad"}
    for name, source in [("right", SOLUTION), ("wrong", SOLUTION.replace("+= n", "+= 1"))]:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "exercise01_counter.py").write_text(source)
        full = grade([counter(toy)], folder, TOY / "solutions", sandbox=sandbox).exercises[0]
        monkeypatch.setenv("BPGRADE_COURSE", str(release))
        handed = grade([counter(toy)], folder, release / "solutions", sandbox=sandbox)
        monkeypatch.setenv("BPGRADE_COURSE", str(TOY))
        got = handed.exercises[0]
        assert (got.status, got.score) == (full.status, full.score), name
        assert [c.message for c in got.checks] == [c.message for c in full.checks]
    assert full.status == "failed"


def test_an_exception_in_the_learners_method_shows_the_learners_line(
    toy: Catalog, sandbox: Sandbox, tmp_path: Path
) -> None:
    """The driver calls the learner's method; the traceback shown is the learner's, not the
    driver's."""
    broken = SOLUTION.replace("self.total += n", "self.total += n / 0")
    graded = grade_counter(toy, sandbox, tmp_path, broken)
    message = graded.checks[0].message
    assert "ZeroDivisionError" in message
    assert "exercise01_counter.py" in message and "n / 0" in message, message
    assert "drivers" not in message and "two_counters" not in message


def test_a_learner_module_cannot_replace_the_driver(
    toy: Catalog, sandbox: Sandbox, tmp_path: Path
) -> None:
    """A wrong counter whose module, as it is imported, rebinds the driver in the drivers
    module and puts a forged drivers module in sys.modules: the real driver still runs."""
    forger = SOLUTION.replace("self.total += n", "self.total += 1") + textwrap.dedent(
        """
        import sys, types

        def _forged(module, steps_a, steps_b):
            return {"a": sum(steps_a), "b": sum(steps_b),
                    "a_after_each": [sum(steps_a[: i + 1]) for i in range(len(steps_a))]}

        for _name, _module in list(sys.modules.items()):
            if "driver" in _name:
                setattr(_module, "two_counters", _forged)
        sys.modules["_bpgrade_driver_exercise01"] = types.SimpleNamespace(two_counters=_forged)
        """
    )
    graded = grade_counter(toy, sandbox, tmp_path, forger)
    assert graded.status == "failed", graded


def test_learner_code_sees_the_driver_and_nothing_else_of_the_course(
    toy: Catalog, sandbox: Sandbox, tmp_path: Path
) -> None:
    """The drivers module reaches the child as a copy of that one file: beside it there is
    nothing, and the course's specs and solutions stay out of reach (as root, where learner
    code runs as another user on a minimal filesystem)."""
    secrets = [TOY / "specs" / "exercise01.py", TOY / "solutions" / "exercise01_counter.py"]
    spy = SOLUTION.replace(
        "        return self.total",
        textwrap.indent(
            textwrap.dedent(
                f"""
                import os, sys
                here = os.path.dirname(sys.modules["_bpgrade_driver_exercise01"].__file__)
                beside = len(os.listdir(here))
                readable = 0
                for path in {[str(p) for p in secrets]!r}:
                    try:
                        open(path).close()
                        readable += 1
                    except OSError:
                        pass
                return self.total + 1000 * beside + 100000 * readable
                """
            ),
            "        ",
        ),
    )
    entry = counter(toy)
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / entry.file).write_text(spy)
    workspace = sandbox.workspace(folder)
    call = Call("c", "Counter", ([1], []), driver="two_counters")
    outcome = sandbox.run(workspace / entry.file, [call], exercise=entry)
    assert not isinstance(outcome.results, type(None))
    assert isinstance(outcome.results, list), outcome.results
    value = outcome.results[0].value
    assert value is not None, outcome.results[0].error
    beside, readable = value["a"] // 1000 % 100, value["a"] // 100000
    assert beside == 1  # the drivers module alone
    if not sandbox.unprivileged:
        pytest.skip("learner code runs as the grader's own user, which may read the course")
    assert readable == 0


def test_a_missing_driver_is_the_graders_error(
    toy: Catalog, sandbox: Sandbox, tmp_path: Path
) -> None:
    entry = counter(toy)
    workspace = sandbox.workspace(TOY / "solutions")
    calls = [
        Call("a", "Counter", (), driver="no_such_driver"),
        Call("b", "Counter", (), driver="_private"),
    ]
    outcome = sandbox.run(workspace / entry.file, calls, exercise=entry)
    assert isinstance(outcome.results, list)
    for result in outcome.results:
        assert result.error is not None and result.error.type == "GraderError"


def test_a_course_without_drivers_for_the_exercise_is_not_graded(
    toy: Catalog, sandbox: Sandbox, tmp_path: Path
) -> None:
    entry = counter(toy).model_copy(update={"name": "exercise09"})
    workspace = sandbox.workspace(TOY / "solutions")
    call = Call("a", "Counter", (), driver="two_counters")
    outcome = sandbox.run(workspace / "exercise01_counter.py", [call], exercise=entry)
    assert not isinstance(outcome.results, list)
    assert "no drivers for exercise09" in outcome.results.reason


def test_the_runner_calls_a_driver_in_process() -> None:
    drivers = driver_path("exercise01", TOY)
    calls = [
        Call("a", "Counter", ([2, 3], [4]), driver="two_counters"),
        Call("b", "Countr", ([2], []), driver="two_counters"),
    ]
    results = run_exercise(TOY / "solutions" / "exercise01_counter.py", calls, drivers)
    assert isinstance(results, list)
    assert results[0].value == {"a": 5, "b": 4, "a_after_each": [2, 5]}
    assert results[1].error is not None and "Countr is not defined" in results[1].error.message


def test_the_reference_goes_through_the_same_driver() -> None:
    from grader.reference import load_reference

    reference = load_reference(TOY / "solutions" / "exercise01_counter.py")
    drive = load_driver("exercise01", "two_counters", TOY)
    assert drive(reference, [1, 1], [5]) == {"a": 2, "b": 5, "a_after_each": [1, 2]}
    with pytest.raises(NoDriver):
        load_driver("exercise01", "nothing", TOY)
    with pytest.raises(NoDriver):
        load_driver("exercise07", "two_counters", TOY)


def test_a_call_with_a_driver_crosses_the_wire() -> None:
    call = Call("a", "Counter", ([1], []), {"k": 1.5}, keep="a", driver="two_counters")
    assert wire.loads(wire.dumps(call)) == call
    plain = Call("b", "f", (1.0,))
    assert wire.loads(wire.dumps(plain)) == plain


def test_reducing_to_plain_data_never_imports_torch() -> None:
    """A NumPy exercise's child must not pay for torch: to_plain looks for torch.Tensor only
    where torch is already imported."""
    code = (
        "import sys, numpy as np\n"
        "from grader.runner import to_plain\n"
        "to_plain({'a': np.ones(2), 'b': [1, 2.5]})\n"
        "try:\n"
        "    to_plain(object())\n"
        "except TypeError:\n"
        "    pass\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_drivers_reach_the_child_without_a_private_filesystem(toy: Catalog, tmp_path: Path) -> None:
    """Where the kernel gives no minimal root (or the grader is not root), the child reads the
    copy of the drivers module at its own path."""
    from grader.sandbox import Limits

    with Sandbox(Limits(without=frozenset({"filesystem"}))) as box:
        graded = grade_counter(toy, box, tmp_path, SOLUTION)
    assert graded.status == "passed", graded


def test_the_judge_finds_the_course_of_where_it_runs_and_the_drivers_as_they_are_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the drivers are is remembered (the judge asks once per case), but by what
    decides it: another course (BPGRADE_COURSE) is another folder, and a drivers file
    changed since is loaded again."""
    courses = []
    for answer in (1, 2):
        course = tmp_path / f"course{answer}"
        (course / "drivers").mkdir(parents=True)
        (course / "drivers" / "exercise01.py").write_text(f"def which(m):\n    return {answer}\n")
        courses.append(course)
    for answer, course in enumerate(courses, start=1):
        monkeypatch.setenv("BPGRADE_COURSE", str(course))
        assert load_driver("exercise01", "which")(None) == answer
    changed = courses[1] / "drivers" / "exercise01.py"
    changed.write_text("def which(m):\n    return 3\n")
    os.utime(changed, ns=(0, changed.stat().st_mtime_ns + 10**9))
    assert load_driver("exercise01", "which")(None) == 3
    changed.unlink()
    with pytest.raises(NoDriver):
        load_driver("exercise01", "which")
