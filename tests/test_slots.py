"""A sandbox's uid (`grader.sandbox.slots`) and its child's tie to its supervisor: nothing an
earlier exercise left running is there when a slot is taken again, and a child whose
supervisor died before it could be told never runs learner code."""

from __future__ import annotations

import os
import subprocess
import time

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
def test_taking_a_slot_kills_what_an_earlier_holder_left_running() -> None:
    slot = slots.take()
    uid = slot.uid
    slot.release()
    # what a grader killed between forking a child and arming its parent-death signal leaves
    leftover = subprocess.Popen(
        ["sleep", "60"], user=uid, group=uid, extra_groups=[], start_new_session=True
    )
    try:
        assert processes_of(uid) == [leftover.pid]
        again = slots.take()
        try:
            assert again.uid == uid  # the first free slot, as before
            assert leftover.wait(timeout=5) == -9
            time.sleep(0.05)
            assert processes_of(uid) == []
        finally:
            again.release()
    finally:
        if leftover.poll() is None:
            leftover.kill()
            leftover.wait()
