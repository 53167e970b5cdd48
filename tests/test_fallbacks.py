"""Containment with and without each kernel mechanism (as root only).

The sandbox gives every exercise PID, mount, IPC and network namespaces, a control group and a
minimal root; a container may refuse any of them. Each test runs one attack with everything,
then again doing without the mechanism that stops it (`Limits.without`, as a refusing kernel
would), and checks that the fallback holds too: nothing of the learner's uid left running, no
IPC object, no file; and that the sandbox's notes name what was done without.
"""

from __future__ import annotations

import shutil
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.calls import Call, CallResult, NoResults
from grader.sandbox import Exposed, Limits, Sandbox, is_root, protect

from .conftest import SOLUTIONS
from .test_sandbox import processes_of

pytestmark = pytest.mark.skipif(not is_root(), reason="containment needs a root grader")

FORK_CHAIN = """
    import os, time

    def f(x):
        if os.fork() == 0:  # a chain in a new session: each member forks the next and exits
            os.setsid()
            end = time.monotonic() + 30
            while time.monotonic() < end:
                if os.fork():
                    os._exit(0)
                time.sleep(0.005)
            os._exit(0)
        time.sleep(0.2)
        return 1.0
"""

IPC = """
    import ctypes, mmap, os

    def f(x):
        libc = ctypes.CDLL(None, use_errno=True)
        made = [
            libc.shmget(0, 64 << 20, 0o1000 | 0o600),
            libc.msgget(0, 0o1000 | 0o600),
            libc.semget(0, 1, 0o1000 | 0o600),
        ]
        return float(sum(m >= 0 for m in made))
"""

FILES = """
    import os

    def f(x):
        made = 0
        for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", os.environ["TMPDIR"]):
            try:
                with open(os.path.join(folder, "bpgrade-leftover"), "w") as file:
                    file.write("left behind")
                made += 1
            except OSError:
                pass
        return float(made)
"""


MEMORY_THROUGH_FORKS = """
    import os

    def f(x):
        children = []
        for _ in range(3):  # 3 x 300 MiB, each child under a 512 MiB address-space limit
            pid = os.fork()
            if pid == 0:
                block = bytearray(300 << 20)
                for at in range(0, len(block), 4096):
                    block[at] = 1
                os._exit(0)
            children.append(pid)
        return float(sum(os.waitpid(pid, 0)[1] == 0 for pid in children))
"""

MEMFD = """
    import os

    def f(x):
        fd = os.memfd_create("hoard")
        chunk = b"x" * (1 << 20)
        written = 0
        try:
            for _ in range(1500):  # 1.5 GiB of pages in no one's address space
                written += os.write(fd, chunk)
        except OSError:
            pass
        return float(written >> 20)
"""


def ipc_objects(uid: int) -> list[str]:
    found = []
    for table in ("shm", "msg", "sem"):
        lines = Path(f"/proc/sysvipc/{table}").read_text().splitlines()
        header = lines[0].split()
        at = header.index("uid")
        found += [f"{table}: {line}" for line in lines[1:] if line.split()[at] == str(uid)]
    return found


def files_of(uid: int) -> list[str]:
    found = []
    for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        for entry in Path(folder).iterdir():
            try:
                if entry.lstat().st_uid == uid:
                    found.append(str(entry))
            except OSError:
                pass
    return found


def grade(
    without: frozenset[str], source: str, tmp_path: Path, memory: int = 1 << 30
) -> tuple[Sandbox, CallResult]:
    folder = tmp_path / "submission"
    folder.mkdir(parents=True)
    (folder / "exercise09_probe.py").write_text(textwrap.dedent(source))
    box = Sandbox(Limits(timeout=10, memory=memory, without=without))
    workspace = box.workspace(folder)
    outcome = box.run(workspace / "exercise09_probe.py", [Call("f#0", "f", (1.0,))])
    assert not isinstance(outcome.results, NoResults), outcome.results
    return box, outcome.results[0]


@pytest.fixture
def clean() -> Iterator[list[Sandbox]]:
    boxes: list[Sandbox] = []
    yield boxes
    for box in boxes:
        box.close()


@pytest.mark.parametrize("without", [frozenset(), frozenset({"pid"}), frozenset({"pid", "cgroup"})])
def test_a_fork_chain_in_a_new_session_is_gone_when_its_exercise_ends(
    without: frozenset[str], tmp_path: Path, clean: list[Sandbox]
) -> None:
    box, result = grade(without, FORK_CHAIN, tmp_path)
    clean.append(box)
    assert result.value == 1.0
    assert box.uid is not None
    assert processes_of(box.uid) == []
    time.sleep(0.3)  # a member that escaped would have forked again by now
    assert processes_of(box.uid) == []
    if "pid" in without:
        assert any("without a PID namespace" in note for note in box.notes), box.notes


@pytest.mark.parametrize("without", [frozenset(), frozenset({"ipc"})])
def test_ipc_objects_die_with_their_exercise(
    without: frozenset[str], tmp_path: Path, clean: list[Sandbox]
) -> None:
    box, result = grade(without, IPC, tmp_path)
    clean.append(box)
    assert result.value == 3.0  # it made all three
    assert box.uid is not None
    assert ipc_objects(box.uid) == []
    if "ipc" in without:
        assert any("without an IPC namespace" in note for note in box.notes), box.notes


@pytest.mark.parametrize("without", [frozenset(), frozenset({"filesystem"})])
def test_files_written_anywhere_are_gone_when_the_exercise_ends(
    without: frozenset[str], tmp_path: Path, clean: list[Sandbox]
) -> None:
    box, result = grade(without, FILES, tmp_path)
    clean.append(box)
    assert result.value is not None and result.value >= 1.0  # its scratch space at least
    assert box.uid is not None
    assert files_of(box.uid) == []


def test_without_a_private_filesystem_the_probe_names_stray_copies_of_the_course(
    tmp_path: Path, clean: list[Sandbox]
) -> None:
    stray = Path("/srv") / f"bpgrade-stray-{tmp_path.name}"
    shutil.copytree(SOLUTIONS, stray / "solutions")
    try:
        for path in [stray, *stray.rglob("*")]:  # as a clone under the usual umask would be
            path.chmod(0o755 if path.is_dir() else 0o644)
        for boxed in (frozenset(), frozenset({"filesystem"})):
            box = Sandbox(Limits(timeout=3, without=boxed))
            clean.append(box)
            course = tmp_path / f"course-{len(clean)}"
            shutil.copytree(SOLUTIONS, course / "solutions")
            protect(box, course, [])
            named = [note for note in box.notes if str(stray) in note]
            if boxed:  # it could see the machine: the probe looked for copies, and found this
                assert named, box.notes
                assert any("without a private filesystem" in note for note in box.notes)
            else:  # the minimal root holds no copy: nothing to name
                assert named == [], box.notes
    finally:
        shutil.rmtree(stray)


def test_without_a_private_filesystem_root_grading_beside_a_readable_checkout_is_refused(
    tmp_path: Path, clean: list[Sandbox]
) -> None:
    course = Path("/srv") / f"bpgrade-checkout-{tmp_path.name}"  # where anyone may pass
    shutil.copytree(SOLUTIONS, course / "solutions")
    try:
        (course / ".git").mkdir()
        (course / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
        for path in [course, *course.rglob("*")]:  # a clone under the usual umask
            path.chmod(0o755 if path.is_dir() else 0o644)
        confined = Sandbox(Limits(timeout=3))
        clean.append(confined)
        protect(confined, course, [])  # the minimal root holds no checkout: nothing to refuse
        exposed = Sandbox(Limits(timeout=3, without=frozenset({"filesystem"})))
        clean.append(exposed)
        with pytest.raises(Exposed, match=r"pip install .*without -e"):
            protect(exposed, course, [])
    finally:
        shutil.rmtree(course)


@pytest.mark.parametrize("without", [frozenset(), frozenset({"cgroup"})])
def test_memory_through_forks_is_bounded_for_the_exercise_as_a_whole(
    without: frozenset[str], tmp_path: Path, clean: list[Sandbox]
) -> None:
    box, result = grade(without, MEMORY_THROUGH_FORKS, tmp_path, memory=512 << 20)
    clean.append(box)
    if without:  # per-process limits only: each child stays under its own, and all finish
        assert result.value == 3.0
        assert any("without a control group" in note for note in box.notes), box.notes
    else:  # 900 MiB in all under a 512 MiB group: the kernel stops some of them
        assert result.value is None or result.value < 3.0


def test_memfd_pages_count_against_the_exercise(tmp_path: Path, clean: list[Sandbox]) -> None:
    for without in (frozenset(), frozenset({"cgroup"})):
        box, result = grade(without, MEMFD, tmp_path / "-".join(without or ["all"]))
        clean.append(box)
        # the group's memory, or else the largest file it may write, stops it far short
        assert result.value is None or result.value <= 1024, result


def test_without_a_private_filesystem_a_batch_learner_code_could_read_is_refused(
    tmp_path: Path, clean: list[Sandbox]
) -> None:
    course = tmp_path / "course"
    shutil.copytree(SOLUTIONS, course / "solutions")
    batch = Path("/srv") / f"bpgrade-batch-{tmp_path.name}"
    (batch / "bob").mkdir(parents=True)
    try:
        for path in [batch, batch / "bob"]:  # as an instructor's folder under the usual umask
            path.chmod(0o755)
        confined = Sandbox(Limits(timeout=3))
        clean.append(confined)
        protect(confined, course, [], private=[batch / "bob"])  # hidden by the minimal root
        exposed = Sandbox(Limits(timeout=3, without=frozenset({"filesystem"})))
        clean.append(exposed)
        with pytest.raises(Exposed, match="other students' files or grades"):
            protect(exposed, course, [], private=[batch / "bob"])
        batch.chmod(0o700)  # as the sentence says: then it may go on
        protect(exposed, course, [], private=[batch / "bob"])
    finally:
        shutil.rmtree(batch)


def _modes(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mode for p in [folder, *sorted(folder.rglob("*"))]}


def test_root_grading_never_changes_the_instructors_course(
    tmp_path: Path, clean: list[Sandbox]
) -> None:
    """Only bpgrade's own installed copy is locked; a course folder the instructor keeps
    (a checkout, a copy) keeps its modes, and where learner code could read it, grading
    is refused with a sentence instead."""
    course = Path("/srv") / f"bpgrade-course-{tmp_path.name}"
    shutil.copytree(SOLUTIONS, course / "solutions")
    (course / "quizzes").mkdir()
    (course / "quizzes" / "backprop.toml").write_text("# keys\n")
    try:
        for path in [course, *course.rglob("*")]:  # as a clone under the usual umask
            path.chmod(0o755 if path.is_dir() else 0o644)
        before = _modes(course)
        confined = Sandbox(Limits(timeout=3))
        clean.append(confined)
        protect(confined, course, [])  # the minimal root holds no course: nothing to refuse
        assert _modes(course) == before
        exposed = Sandbox(Limits(timeout=3, without=frozenset({"filesystem"})))
        clean.append(exposed)
        with pytest.raises(Exposed, match=r"readable by its owner only \(chmod -R go-rwx"):
            protect(exposed, course, [])
        assert _modes(course) == before
    finally:
        shutil.rmtree(course)


def test_root_checks_leave_the_checkout_as_it_was(tmp_path: Path) -> None:
    """The command an instructor runs in a checkout (an editable install): its solutions and
    quizzes keep their modes."""
    import subprocess
    import sys

    checkout = SOLUTIONS.parent
    before = {name: _modes(checkout / name) for name in ("solutions", "quizzes", "exercises")}
    done = subprocess.run(
        [sys.executable, "-m", "grader", "check", "exercise01", "--dir", str(SOLUTIONS)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    after = {name: _modes(checkout / name) for name in before}
    assert after == before
