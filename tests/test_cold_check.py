"""A cold `bpgrade check` (issue 16): its zygote started first thing, a process that ends at
once when the check is done (with everything it wrote flushed and its folders removed), and a
torch exercise's untouched stub graded without torch. Timing is `benchmarks/check_speed.py`'s;
these tests pin what the speed must not change."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.catalog import Catalog, ExerciseEntry
from grader.grading import grade
from grader.sandbox import launch
from grader.sandbox.limits import torch_available
from grader.submission import grade_located

from .conftest import EXERCISES, SOLUTIONS


def _entry(catalog: Catalog, name: str) -> ExerciseEntry:
    found = catalog.find(name)
    assert found is not None
    return found


def test_the_early_start_imports_neither_numpy_nor_click() -> None:
    """Started before the command's own imports, or the two would not overlap."""
    probe = "import sys, grader.sandbox.launch; print({'numpy', 'click'} & set(sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "set()"


def test_a_zygote_started_early_is_adopted_once_and_only_for_its_environment() -> None:
    env = launch.zygote_env("numpy")
    launch.start_early("numpy")
    adopted = launch.adopt("numpy", env)
    assert adopted is not None and adopted.poll() is None
    assert launch.adopt("numpy", env) is None  # adopted once
    launch.start_early("numpy")
    other = launch.zygote_env("numpy", frozenset({"net"}))
    early = launch._early["numpy"][1]
    assert launch.adopt("numpy", other) is None
    assert early.poll() is not None  # started for another environment: stopped, not leaked
    adopted.kill()
    adopted.wait()
    assert adopted.stdin is not None and adopted.stdout is not None
    adopted.stdin.close()
    adopted.stdout.close()


@pytest.mark.parametrize("name", ["exercise03", "exercise09"])
def test_an_untouched_stub_graded_without_running_reads_as_when_it_ran(
    catalog: Catalog, name: str, tmp_path: Path
) -> None:
    """`unrun_stub` must say what the stub says when it runs, check by check: exercise09's is
    the one it is used for (torch's), exercise03's a NumPy one with calls that need others."""
    entry = _entry(catalog, name)
    if entry.runtime == "torch" and not torch_available():
        pytest.skip("torch is not installed")
    shutil.copy(EXERCISES / entry.file, tmp_path / entry.file)
    ran = grade([entry], tmp_path, SOLUTIONS)
    unrun = grade([entry], tmp_path, SOLUTIONS, stubs=frozenset({name}))
    assert unrun.exercises[0].status == "not_started"
    assert unrun.exercises == ran.exercises


class _Refused:
    """A sandbox that fails the test if any learner code would run, or torch would start."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def start_early(self, runtime: str) -> bool:
        raise AssertionError(f"the {runtime} zygote was started")

    def run(self, *args: object, **kwargs: object) -> object:
        raise AssertionError("learner code was run")

    def workspace(self, folder: Path) -> Path:
        return folder

    def discard(self, inner: Path) -> None:
        pass

    def stop(self) -> None:
        pass

    def halt(self) -> None:
        pass


@pytest.mark.parametrize("name", ["exercise03", "exercise09"])  # a NumPy one, a torch one
def test_an_untouched_stub_runs_no_child_and_starts_no_torch(
    catalog: Catalog, tmp_path: Path, name: str
) -> None:
    entry = _entry(catalog, name)
    shutil.copy(EXERCISES / entry.file, tmp_path / entry.file)
    located = grade_located([entry], tmp_path, SOLUTIONS, sandbox=_Refused())  # type: ignore[arg-type]
    assert located.graded.exercises[0].status == "not_started"


@pytest.mark.parametrize(("name", "added"), [("exercise03", "#"), ("exercise09", "\n")])
def test_a_stub_changed_by_a_character_is_run(
    catalog: Catalog, tmp_path: Path, name: str, added: str
) -> None:
    entry = _entry(catalog, name)
    text = (EXERCISES / entry.file).read_text(encoding="utf-8")
    (tmp_path / entry.file).write_text(text + added, encoding="utf-8")
    with pytest.raises(AssertionError, match=r"zygote was started|learner code was run"):
        grade_located([entry], tmp_path, SOLUTIONS, sandbox=_Refused())  # type: ignore[arg-type]


def test_every_untouched_numpy_stub_graded_without_running_reads_as_when_it_ran(
    catalog: Catalog, tmp_path: Path
) -> None:
    """Every NumPy exercise's stub is graded unrun where it is untouched (`untouched_stubs`):
    each must say what it says when it runs, a student's hidden cases included."""
    entries = [entry for entry in catalog.exercises if entry.runtime == "numpy"]
    for entry in entries:
        shutil.copy(EXERCISES / entry.file, tmp_path / entry.file)
    names = frozenset(entry.name for entry in entries)
    ran = grade(entries, tmp_path, SOLUTIONS, student="s042")
    unrun = grade(entries, tmp_path, SOLUTIONS, student="s042", stubs=names)
    assert {exercise.status for exercise in unrun.exercises} == {"not_started"}
    assert unrun.exercises == ran.exercises


def _release_checkout(tmp_path: Path, entry: ExerciseEntry, *, kept: bool) -> Path:
    """A learner's checkout of a release, its exercise file the course's own (so not a copy
    to compare with), expected/stubs/ keeping one where `kept`."""
    course = tmp_path / "release"
    (course / "exercises").mkdir(parents=True)
    shutil.copy(EXERCISES / entry.file, course / "exercises" / entry.file)
    if kept:
        (course / "expected" / "stubs").mkdir(parents=True)
        shutil.copy(EXERCISES / entry.file, course / "expected" / "stubs" / entry.file)
    (course / "solutions").symlink_to(SOLUTIONS)  # what judging needs, not a release's part
    return course


def test_a_release_midway_grades_its_untouched_stubs_from_the_kept_copy(
    catalog: Catalog, tmp_path: Path
) -> None:
    entry = _entry(catalog, "exercise03")
    course = _release_checkout(tmp_path, entry, kept=True)
    located = grade_located(
        [entry],
        course / "exercises",
        course / "solutions",
        sandbox=_Refused(),  # type: ignore[arg-type]
    )
    assert located.graded.exercises[0].status == "not_started"


def test_a_numpy_stub_is_never_looked_for_in_git_history(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting git may cost more than the child it would spare: without a copy kept on
    disk a NumPy exercise's file is run, whatever it holds."""
    from grader import loop

    def no_git(*args: object) -> str:
        raise AssertionError("git was asked")

    monkeypatch.setattr(loop, "_from_git", no_git)
    entry = _entry(catalog, "exercise03")
    course = _release_checkout(tmp_path, entry, kept=False)
    with pytest.raises(AssertionError, match="learner code was run"):
        grade_located(
            [entry],
            course / "exercises",
            course / "solutions",
            sandbox=_Refused(),  # type: ignore[arg-type]
        )


def _bpgrade(cwd: Path, tmp: Path, *args: str) -> tuple[int, str]:
    """The installed script, its standard output a file (block-buffered, as a CI log is)."""
    script = shutil.which("bpgrade", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "grader"]
    env = {**os.environ, "TMPDIR": str(tmp)}
    out = tmp.parent / "stdout.txt"
    with out.open("w") as stdout:
        code = subprocess.run(
            [*command, *args], cwd=cwd, env=env, stdout=stdout, timeout=120
        ).returncode
    return code, out.read_text(encoding="utf-8")


def test_a_check_that_ends_at_once_has_written_and_removed_everything(tmp_path: Path) -> None:
    """The process ends with os._exit: what it printed to a file, its progress file and its
    exit status are all there, and no folder of its sandbox is left behind."""
    work, tmp = tmp_path / "work", tmp_path / "tmp"
    tmp.mkdir(mode=0o755)
    shutil.copytree(EXERCISES.parent / "exercises", work / "exercises")
    shutil.copy(SOLUTIONS / "exercise03_linear.py", work / "exercises")
    code, printed = _bpgrade(work, tmp, "check", "exercise03")
    assert code == 0, printed
    assert printed.rstrip().endswith("Next: `bpgrade check exercise04`."), printed
    assert '"exercise03"' in (work / ".bpgrade" / "progress.json").read_text()
    code, printed = _bpgrade(work, tmp, "check", "exercise04")
    assert code == 1 and "Not started" in printed, printed
    assert list(tmp.iterdir()) == []


def test_no_learner_code_runs_before_the_probe_has_passed(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe runs while the grader plans and copies: a probe that ends late and refuses
    (learner code could read the course) still stops every child, and says why."""
    import time

    from grader import submission
    from grader.sandbox import Exposed, Sandbox

    def refuse(*args: object) -> None:
        time.sleep(0.5)  # past the planning and copying, which wait for nothing
        raise Exposed("learner code could read the course")

    monkeypatch.setattr(submission, "protect", refuse)
    shutil.copy(SOLUTIONS / "exercise03_linear.py", tmp_path)
    with Sandbox() as sandbox:
        asked: list[object] = []
        monkeypatch.setattr(sandbox, "_ask", lambda *args: asked.append(args))
        report = submission.grade_submission(
            [_entry(catalog, "exercise03")], tmp_path, SOLUTIONS.parent, sandbox=sandbox
        )
    assert asked == []
    assert report.error is not None and "could read the course" in report.error
