"""What a root sandbox sets up before learner code runs: its uid (`grader.sandbox.slots`),
with nothing an earlier holder left running; its child's tie to its supervisor, so that a
child whose supervisor died before it could be told never runs learner code; and the minimal
root, wherever Python lives."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from grader.sandbox import is_root, slots
from grader.sandbox.child import orphaned

from .test_sandbox import processes_of


def test_a_child_knows_its_supervisor_is_gone_by_its_results_pipe() -> None:
    read_end, write_end = os.pipe()
    try:
        assert not orphaned(write_end)
        os.close(read_end)
        assert orphaned(write_end)
    finally:
        os.close(write_end)


@pytest.mark.skipif(not is_root(), reason="slots are a root grader's")
def test_taking_a_slot_kills_what_an_earlier_holder_left_and_passes_over_its_zombies() -> None:
    slot = slots.take()
    uid = slot.uid
    slot.release()
    # what a grader killed between forking a child and arming its parent-death signal leaves
    leftover = subprocess.Popen(
        ["sleep", "60"], user=uid, group=uid, extra_groups=[], start_new_session=True
    )
    try:
        assert processes_of(uid) == [leftover.pid]
        other = slots.take()
        try:
            # killed, but a zombie until this process reaps it: that slot is passed over
            assert processes_of(uid) == [leftover.pid]
            assert other.uid != uid
            assert processes_of(other.uid) == []
        finally:
            other.release()
        assert leftover.wait(timeout=5) == -9
        again = slots.take()
        again.release()
        assert again.uid == uid  # nothing left of the earlier holder: the first free slot
    finally:
        if leftover.poll() is None:
            leftover.kill()
            leftover.wait()


@pytest.mark.skipif(not is_root(), reason="the minimal root is a root grader's")
@pytest.mark.parametrize("under", ["/var/lib", "/var/tmp"])
def test_the_minimal_root_is_built_where_python_lives_beneath_var(under: str) -> None:
    """A virtual environment in /var/lib (or /var/tmp) is bound into a root that has its own
    /var: built in a forked child, whose mount namespace dies with it."""
    import tempfile

    from grader.sandbox import namespaces

    with tempfile.TemporaryDirectory(dir=under) as folder:
        Path(folder, "marker.py").write_text("")
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                root = namespaces.build_root([folder], [])
                inside = f"{root.path}{folder}/marker.py"
                status = 0 if os.path.isfile(inside) and os.path.isdir(f"{root.path}/var") else 2
            finally:
                os._exit(status)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
