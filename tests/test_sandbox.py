"""The sandbox: learner code in a limited child process, and what comes back from it.

Each test writes a tiny learner file and runs it through `grader.sandbox.Sandbox` directly,
so that a failure points at the isolation itself, not at a check.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from grader.calls import Call, CallResult, NoResults
from grader.sandbox import Limits, Sandbox, is_root

ROOT_ONLY = pytest.mark.skipif(not is_root(), reason="needs root to switch users")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Limits(timeout=1.5, memory=512 << 20, output=4096)) as box:
        yield box


def learner_file(tmp_path: Path, source: str, name: str = "exercise09_probe.py") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def run(box: Sandbox, path: Path, *calls: Call) -> tuple[list[CallResult] | NoResults, str]:
    workspace = box.workspace(path.parent)
    outcome = box.run(workspace / path.name, list(calls))
    return outcome.results, outcome.output


def processes_of(uid: int) -> list[int]:
    """The pids of the machine's processes that run as `uid`."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:
            continue
        uids = next((line.split()[1:] for line in lines if line.startswith("Uid:")), [])
        if str(uid) in uids:
            found.append(int(status.parent.name))
    return found


def call(function: str, *args: object) -> Call:
    return Call(f"{function}#0", function, args)


def failure(results: list[CallResult] | NoResults) -> str:
    assert isinstance(results, NoResults), results
    return results.reason


def stopped(results: list[CallResult] | NoResults, first: int = 0) -> str:
    """The reason the calls from `first` on never answered: every one of them says it."""
    assert not isinstance(results, NoResults), results
    errors = [r.error for r in results[first:]]
    assert errors and all(e is not None and e.kind == "aborted" for e in errors), results
    assert len({e.message for e in errors if e is not None}) == 1
    assert errors[0] is not None
    return errors[0].message


def test_plain_results_come_back_and_the_zygote_is_reused(sandbox: Sandbox, tmp_path: Path) -> None:
    path = learner_file(tmp_path, "def f(x):\n    return x * 2, {'k': [1, 2.5]}\n")
    results, _ = run(sandbox, path, call("f", np.arange(3.0)))
    assert not isinstance(results, NoResults)
    value = results[0].value
    np.testing.assert_array_equal(value[0], [0.0, 2.0, 4.0])
    assert value[1] == {"k": [1, 2.5]}
    zygote = sandbox._zygote
    run(sandbox, path, call("f", np.arange(3.0)))
    assert sandbox._zygote is zygote  # one interpreter for every exercise


def test_an_endless_loop_is_stopped_by_the_wall_clock(sandbox: Sandbox, tmp_path: Path) -> None:
    path = learner_file(tmp_path, "def f(x):\n    while True:\n        pass\n")
    started = time.monotonic()
    reason = stopped(run(sandbox, path, call("f", 1.0))[0])
    # the loop is on both lines: the stack names whichever it was on at the time
    assert reason in (
        "timed out after 1.5 s in f (exercise09_probe.py, line 2: `while True:`)",
        "timed out after 1.5 s in f (exercise09_probe.py, line 3: `pass`)",
    )
    assert time.monotonic() - started < 5


def test_a_loop_that_ignores_sigterm_is_still_stopped(sandbox: Sandbox, tmp_path: Path) -> None:
    source = """
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)

        def f(x):
            while True:
                pass
    """
    path = learner_file(tmp_path, source)
    assert stopped(run(sandbox, path, call("f", 1.0))[0]).startswith("timed out after 1.5 s in f")


def test_a_slow_import_is_named(sandbox: Sandbox, tmp_path: Path) -> None:
    path = learner_file(tmp_path, "import time\ntime.sleep(60)\n")
    reason = failure(run(sandbox, path, call("f", 1.0))[0])
    assert reason == (
        "timed out after 1.5 s while exercise09_probe.py was being imported "
        "(exercise09_probe.py, line 2: `time.sleep(60)`)"
    )


def test_the_memory_limit_is_named(sandbox: Sandbox, tmp_path: Path) -> None:
    source = """
        import numpy as np

        def f(x):
            hog = np.ones((1 << 31) // 8)
            return float(hog.sum())
    """
    reason = stopped(run(sandbox, learner_file(tmp_path, source), call("f", 1.0))[0])
    assert reason == (
        "exceeded the 512 MiB memory limit in f "
        "(exercise09_probe.py, line 5: `hog = np.ones((1 << 31) // 8)`)"
    )


def test_os_exit_inside_a_function_is_named(sandbox: Sandbox, tmp_path: Path) -> None:
    path = learner_file(tmp_path, "import os\n\ndef f(x):\n    os._exit(3)\n")
    reason = stopped(run(sandbox, path, call("f", 1.0))[0])
    assert reason == "the submission exited (status 3) in f, before returning"


def test_a_hard_crash_is_named(sandbox: Sandbox, tmp_path: Path) -> None:
    source = """
        import ctypes

        def f(x):
            return ctypes.string_at(0)
    """
    reason = stopped(run(sandbox, learner_file(tmp_path, source), call("f", 1.0))[0])
    assert reason == (
        "crashed (SIGSEGV) in f (exercise09_probe.py, line 5: `return ctypes.string_at(0)`)"
    )


def test_output_is_kept_up_to_the_cap_and_the_rest_is_dropped(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = """
        def f(x):
            for _ in range(100_000):
                print("flood " * 10)
            return x
    """
    results, output = run(sandbox, learner_file(tmp_path, source), call("f", 1.0))
    assert not isinstance(results, NoResults)
    assert results[0].value == 1.0  # the flood costs the learner nothing but the output
    assert output.startswith("flood")
    assert "more output dropped]" in output
    assert len(output) < 4096 + 100


def test_standard_input_is_closed(sandbox: Sandbox, tmp_path: Path) -> None:
    path = learner_file(tmp_path, "def f(x):\n    return input()\n")
    results, _ = run(sandbox, path, call("f", 1.0))
    assert not isinstance(results, NoResults)
    error = results[0].error
    assert error is not None and error.type == "EOFError"


def test_an_orphan_holding_the_pipes_neither_delays_nor_outlives_the_exercise(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = """
        import os, subprocess

        def f(x):
            child = subprocess.Popen(["sleep", "600"], start_new_session=True)
            if os.fork() == 0:  # a double fork, re-parented away from the learner's process
                os.setsid()
                if os.fork() == 0:
                    import time
                    time.sleep(600)
                os._exit(0)
            return float(child.pid)
    """
    started = time.monotonic()
    results, _ = run(sandbox, learner_file(tmp_path, source), call("f", 1.0))
    assert time.monotonic() - started < 1.4  # well before the 1.5 s wall clock
    assert not isinstance(results, NoResults)
    if sandbox.uid is not None:  # its own uid, in a PID namespace: the pid means nothing here
        assert processes_of(sandbox.uid) == []
    else:
        with pytest.raises(ProcessLookupError):
            os.kill(int(results[0].value), 0)
    assert sandbox._zygote is not None
    children = Path(f"/proc/{sandbox._zygote.pid}/task/{sandbox._zygote.pid}/children")
    if children.exists():  # the exercise's supervisor may take a moment to go
        deadline = time.monotonic() + 2
        while children.read_text().split() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert children.read_text().split() == []


def test_garbage_on_the_results_pipe_is_refused(sandbox: Sandbox, tmp_path: Path) -> None:
    source = """
        import os, struct

        def f(x):
            fake = b'{"$array": ["O", [1], "AAAAAAAAAAA="]}'  # an object array: never decoded
            os.write(3, struct.pack(">Q", len(fake)) + fake)
            os._exit(0)
    """
    reason = failure(run(sandbox, learner_file(tmp_path, source), call("f", 1.0))[0])
    assert reason == "the submission sent back something that is not plain data in f"


def test_a_dead_zygote_is_replaced(sandbox: Sandbox, tmp_path: Path) -> None:
    path = learner_file(tmp_path, "def f(x):\n    return x + 1\n")
    assert sandbox._zygote is not None
    sandbox._zygote.kill()
    sandbox._zygote.wait()
    results, _ = run(sandbox, path, call("f", 1.0))
    assert not isinstance(results, NoResults) and results[0].value == 2.0


def test_a_stop_from_two_threads_at_once_hands_the_zygote_over_once(tmp_path: Path) -> None:
    """A stop (SIGTERM) reaches the grader while its waiter thread reads the zygote: both
    threads stop the sandbox at once, and neither may fail on what the other let go."""
    import threading

    path = learner_file(tmp_path, "import time\ndef f(x):\n    time.sleep(30)\n")
    with Sandbox(Limits(timeout=20)) as box:
        for _ in range(3):
            box.start()
            failures: list[BaseException] = []
            gate = threading.Barrier(2)

            def stop_at_the_gate(
                failures: list[BaseException] = failures, gate: threading.Barrier = gate
            ) -> None:
                gate.wait()
                try:
                    box.stop()
                except BaseException as error:  # pragma: no cover - the failure itself
                    failures.append(error)

            waiter = threading.Thread(target=lambda: run(box, path, call("f", 1.0)))
            waiter.start()
            time.sleep(0.3)
            other = threading.Thread(target=stop_at_the_gate)
            other.start()
            stop_at_the_gate()
            other.join()
            waiter.join(timeout=10)
            assert not waiter.is_alive() and failures == []


def test_a_halted_sandbox_starts_no_more_learner_code(tmp_path: Path) -> None:
    path = learner_file(tmp_path, "def f(x):\n    return x + 1\n")
    with Sandbox(Limits(timeout=5)) as box:
        box.halt()
        results, _ = run(box, path, call("f", 1.0))
        assert isinstance(results, NoResults)
        assert box._zygote is None


def test_the_environment_is_scrubbed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BPGRADE_OUTPUT", "/secret/results.json")
    source = """
        import os

        def f(x):
            try:
                with open("/proc/self/environ", "rb") as file:
                    raw = file.read()
            except OSError:  # as nobody after leaving root, it is not even readable
                raw = b""
            return float(b"secret" in raw or "BPGRADE_OUTPUT" in os.environ)
    """
    with Sandbox(Limits(timeout=5)) as box:
        results, _ = run(box, learner_file(tmp_path, source), call("f", 1.0))
    assert not isinstance(results, NoResults)
    assert results[0].value == 0.0


@ROOT_ONLY
def test_as_root_learner_code_runs_as_the_sandboxs_own_uid_and_cannot_read_root_files(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("answers")
    secret.chmod(0o600)
    source = f"""
        import os

        def f(x):
            try:
                open({str(secret)!r}).read()
                readable = 1.0
            except OSError:
                readable = 0.0
            return float(os.getuid()), float(os.geteuid()), readable
    """
    results, _ = run(sandbox, learner_file(tmp_path, source), call("f", 1.0))
    assert not isinstance(results, NoResults)
    uid, euid, readable = results[0].value
    assert uid == euid == sandbox.uid
    assert readable == 0.0


@ROOT_ONLY
def test_two_sandboxes_at_once_never_share_a_uid() -> None:
    """Batch jobs each hold one: the uid is the sandbox's alone while it lives."""
    with Sandbox(Limits(timeout=2)) as one, Sandbox(Limits(timeout=2)) as two:
        assert one.uid is not None and two.uid is not None
        assert one.uid != two.uid
        import pwd

        for uid in (one.uid, two.uid):
            with pytest.raises(KeyError):
                pwd.getpwuid(uid)  # no account of the machine has it


@ROOT_ONLY
def test_as_root_the_submission_copy_cannot_be_changed(sandbox: Sandbox, tmp_path: Path) -> None:
    source = """
        def f(x):
            try:
                with open(__file__, "a") as file:
                    file.write("# changed")
                return 1.0
            except OSError:
                return 0.0
    """
    results, _ = run(sandbox, learner_file(tmp_path, source), call("f", 1.0))
    assert not isinstance(results, NoResults)
    assert results[0].value == 0.0


def test_not_root_says_what_it_could_not_apply() -> None:
    if is_root():
        with Sandbox() as box:
            assert not any("not root" in note for note in box.notes)
    else:
        with Sandbox() as box:
            assert any("not root" in note for note in box.notes)


GRADER_THAT_IS_KILLED = """
import sys
from pathlib import Path
from grader.calls import Call
from grader.sandbox import Limits, Sandbox

folder = Path(sys.argv[1])
with Sandbox(Limits(timeout=60)) as box:
    box.run(box.workspace(folder) / "exercise09_probe.py", [Call("f#0", "f", (1.0,))])
"""


@pytest.mark.skipif(sys.platform != "linux", reason="a parent-death signal is Linux's")
def test_learner_code_does_not_outlive_a_killed_grader(tmp_path: Path) -> None:
    source = """
        import os

        def f(x):
            os.execvp("sleep", ["sleep", "617.25"])  # a process we can find by its arguments
    """
    learner_file(tmp_path, source)
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # what a killed grader leaves, pytest removes
    before = set(Path("/tmp").glob("bpgrade-*"))  # where it goes when nobody cannot pass there
    command = [sys.executable, "-c", GRADER_THAT_IS_KILLED, str(tmp_path)]
    grader = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 20
        while not _sleepers() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _sleepers(), "the learner's process never started"
    finally:
        grader.kill()
        grader.wait()
    deadline = time.monotonic() + 5
    while _sleepers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _sleepers() == []
    for left in set(Path("/tmp").glob("bpgrade-*")) - before:  # a SIGKILL cleans up nothing
        if _holds_the_sleeper(left):  # not another grader's, running beside these tests
            shutil.rmtree(left, ignore_errors=True)


def _holds_the_sleeper(folder: Path) -> bool:
    for path in folder.rglob("*.py"):
        with contextlib.suppress(OSError):
            if "617.25" in path.read_text(errors="replace"):
                return True
    return False


def _sleepers() -> list[str]:
    found = subprocess.run(["pgrep", "-f", "sleep 617.25"], capture_output=True, text=True)
    return found.stdout.split()


def test_the_next_child_finds_nothing_of_the_last_ones_answers(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """In batch grading one zygote serves student after student: a child walking up its stack
    and through the heap it inherited must not find what the previous child sent back."""
    first = learner_file(
        tmp_path / "a", "def f(x):\n    print('PRINTED-BY-A')\n    return 'ANSWER-OF-A'\n"
    )
    run(sandbox, first, call("f", 1.0))
    spy = """
        import gc, sys

        def f(x):
            seen = []
            frame = sys._getframe()
            while frame is not None:
                seen += [repr(v)[:10_000_000] for v in frame.f_locals.values()]
                frame = frame.f_back
            seen += [repr(o)[:100_000] for o in gc.get_objects() if isinstance(o, (dict, list))]
            text = " ".join(seen)
            return float("ANSWER-OF-A" in text or "PRINTED-BY-A" in text)
    """
    results, _ = run(sandbox, learner_file(tmp_path / "b", spy), call("f", 1.0))
    assert not isinstance(results, NoResults)
    assert results[0].value == 0.0


@pytest.mark.parametrize(
    "flood",
    [
        "os.write(3, bytes(32 << 20))",  # millions of empty frames
        'os.write(3, struct.pack(">Q", 12 << 20) + b"[" + b"0," * (6 << 20) + b"0]")',  # one huge
    ],
)
def test_a_flood_on_the_results_pipe_is_cut_short(
    sandbox: Sandbox, tmp_path: Path, flood: str
) -> None:
    source = f"""
        import os, struct

        def f(x):
            {flood}
            os._exit(0)
    """
    started = time.monotonic()
    results, _ = run(sandbox, learner_file(tmp_path, source), call("f", 1.0))
    assert time.monotonic() - started < 5
    assert isinstance(results, NoResults)


def test_only_plain_number_dtypes_are_decoded() -> None:
    from grader.sandbox import wire

    for dtype in ("O", "f8," * 1000, "V8", "<U4", "M8[s]", "c16"):
        payload = json.dumps({"$array": [dtype, [1], "AAAAAAAAAAA="]}).encode()
        with pytest.raises(wire.WireError):
            wire.loads(payload)
    assert wire.loads(json.dumps({"$array": ["<f8", [1], "AAAAAAAAAAA="]}).encode()) == [0.0]


@ROOT_ONLY
def test_as_root_nothing_the_learner_wrote_in_shared_scratch_survives(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    names = [
        f"{shared}/bpgrade-leftover-{os.getpid()}" for shared in ("/tmp", "/var/tmp", "/dev/shm")
    ]
    source = f"""
        import os

        def f(x):
            for name in {names!r}:
                try:
                    with open(name, "w") as file:
                        file.write("left behind")
                    os.makedirs(name + ".d/inner", exist_ok=True)
                except OSError:
                    pass
            return x
    """
    results, _ = run(sandbox, learner_file(tmp_path, source), call("f", 1.0))
    assert not isinstance(results, NoResults)
    assert [n for n in names if os.path.exists(n) or os.path.exists(n + ".d")] == []


def test_a_course_planted_in_a_folder_anyone_can_write_is_ignored(tmp_path: Path) -> None:
    from grader.course import is_release_root

    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "catalog.toml").write_text("")
    (tmp_path / "expected").mkdir()
    assert is_release_root(tmp_path)
    tmp_path.chmod(0o1777)  # as /tmp is
    assert not is_release_root(tmp_path)


# --- the interpreter's modules, wherever Python lives -------------------------------------------

STANDARD_IMPORTS = """
    import cmath, csv, _csv, glob, heapq, _heapq, logging, unittest, fractions, statistics
    import itertools, pprint
    import numpy as np
    import numpy.testing
    from numpy.testing import assert_allclose

    def f(x):
        import bisect, difflib, email.mime.text, textwrap, xml.etree.ElementTree
        import datetime
        from concurrent import futures
        assert_allclose(np.polynomial.polynomial.polyval(1.0, [1.0, 2.0]), 3.0)
        numpy.testing.assert_array_equal(np.fft.fft([1.0, 2.0]).real, [3.0, -1.0])
        logging.getLogger("learner").info("imported")
        row = next(csv.reader(["a,b,c"]))
        when = datetime.datetime.strptime("2020", "%Y")  # _strptime, imported on first use
        latin = "\\u00e9".encode("cp1252")  # an encoding module, looked up on first use
        return (
            abs(cmath.sqrt(-4)), heapq.nsmallest(1, [3, 1])[0], len(row), when.year, len(latin),
            len(glob.glob("*.py")), float(os.getuid()),
        )
"""


def test_the_standard_library_and_numpy_import_in_the_child(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """As root with Python where the learner's user cannot pass (pyenv under /root, 0700),
    modules the zygote never loaded still import: C extensions, lazy NumPy submodules,
    imports inside functions, codecs and _strptime that the standard library loads itself."""
    path = learner_file(tmp_path, "import os\n" + textwrap.dedent(STANDARD_IMPORTS))
    results, output = run(sandbox, path, call("f", 1.0))
    assert not isinstance(results, NoResults), results
    assert results[0].error is None, results[0].error
    value = results[0].value
    assert value[:6] == (2.0, 1, 3, 2020, 1, 1), output
    if is_root():
        assert value[6] != 0.0  # it ran as the learner's user


@ROOT_ONLY
def test_a_learners_logging_py_is_never_imported_as_root(sandbox: Sandbox, tmp_path: Path) -> None:
    """A file of the submission named like a standard module runs as the learner's user only
    (it shadows the standard one for the learner, as Python does), never as root."""
    guarded = tmp_path / "root-only"
    guarded.mkdir(mode=0o755)  # root may write here, the learner's user may not
    witness = guarded / "imported-as-root"
    spy = f"""
        import os

        UID = os.getuid()
        try:
            with open({str(witness)!r}, "w") as file:
                file.write(str(UID))
        except OSError:
            pass

        def getLogger(name=None):
            return None
    """
    folder = tmp_path / "submission"
    learner_file(folder, spy, "logging.py")
    learner_file(folder, spy, "numpy.py")
    source = """
        import logging

        def f(x):
            return float(logging.UID)
    """
    results, _ = run(sandbox, learner_file(folder, source), call("f", 1.0))
    assert not isinstance(results, NoResults), results
    assert results[0].value not in (None, 0.0)  # the learner's logging.py, run as the learner
    assert not witness.exists()


@ROOT_ONLY
def test_the_interpreters_folders_give_no_more_than_their_own_permissions(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Where the learner's user reaches the interpreter's folders through descriptors, a file
    in them that only root may read stays unreadable, and nothing above them opens up."""
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    if not os.access(stdlib, os.W_OK):
        pytest.skip("cannot plant a root-only file in the standard library here")
    secret = stdlib / f"bpgrade-secret-{os.getpid()}.txt"
    secret.write_text("answers")
    secret.chmod(0o600)
    try:
        reached = sandbox.probe([secret, Path("/root"), Path("/root/.bashrc")], [stdlib])
    finally:
        secret.unlink()
    assert reached["read"] == []
    assert reached["write"] == []
    assert reached["unimportable"] == []


def test_a_module_outside_the_course_is_named_in_a_sentence(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    import importlib.util

    if importlib.util.find_spec("scipy") is not None:
        pytest.skip("scipy is installed here")
    path = learner_file(tmp_path, "import numpy as np\nimport scipy.linalg\n")
    results, _ = run(sandbox, path, call("f", 1.0))
    assert isinstance(results, NoResults)
    assert results.reason == (
        "importing exercise09_probe.py failed: scipy is not part of this course's environment: "
        "use NumPy and the Python standard library"
    )
    assert [(f.file, f.line) for f in results.frames] == [("exercise09_probe.py", 2)]


# --- what answered before a limit is kept ------------------------------------------------------


def test_calls_that_answered_before_a_timeout_are_kept(sandbox: Sandbox, tmp_path: Path) -> None:
    source = """
        def first(x):
            return x + 1

        def helper(x):
            total = 0
            while True:
                total += x

        def second(x):
            return helper(x)

        def third(x):
            return x
    """
    path = learner_file(tmp_path, source)
    calls = [Call("a", "first", (1.0,)), Call("b", "second", (1.0,)), Call("c", "third", (1.0,))]
    started = time.monotonic()
    results, _ = run(sandbox, path, *calls)
    assert time.monotonic() - started < 5
    assert not isinstance(results, NoResults)
    assert results[0].error is None and results[0].value == 2.0
    reason = stopped(results, 1)
    assert reason.startswith("timed out after 1.5 s in second (exercise09_probe.py, line ")
    assert reason.endswith(("line 7: `while True:`)", "line 8: `total += x`)"))  # in helper


def test_the_line_is_named_when_the_childs_own_timer_never_wrote_it(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """On a busy machine the child's timer thread may not run before the deadline; the
    supervisor then asks for the stack itself (as it does here, the timer being cancelled)."""
    source = """
        import faulthandler

        def f(x):
            faulthandler.cancel_dump_traceback_later()
            while True:
                pass
    """
    reason = stopped(run(sandbox, learner_file(tmp_path, source), call("f", 1.0))[0])
    assert reason.startswith("timed out after 1.5 s in f (exercise09_probe.py, line ")
    assert reason.endswith(("`while True:`)", "`pass`)"))


def test_a_silenced_or_forged_stack_costs_only_the_line(sandbox: Sandbox, tmp_path: Path) -> None:
    source = """
        import faulthandler, os

        def f(x):
            faulthandler.cancel_dump_traceback_later()
            os.write(4, b"\\xff\\x00junk\\ncall 7\\n  File \\"/etc/passwd\\", line 1 in f\\n" * 100)
            while True:
                pass
    """
    results, _ = run(sandbox, learner_file(tmp_path, source), call("f", 1.0))
    assert stopped(results) == "timed out after 1.5 s in f"


@dataclass(frozen=True)
class CpuFirst(Limits):
    """A CPU-time limit ahead of the wall clock, as several busy threads reach it."""

    @property
    def cpu(self) -> int:
        return 1


def test_the_cpu_limit_keeps_what_answered_and_names_the_line(tmp_path: Path) -> None:
    source = """
        def first(x):
            return x

        def burn(x):
            n = 0
            while True:
                n += 1
    """
    path = learner_file(tmp_path, source)
    # the wall clock far behind: on a loaded machine 1 s of CPU can take many seconds
    with Sandbox(CpuFirst(timeout=60.0)) as box:
        results, _ = run(box, path, Call("a", "first", (1.0,)), Call("b", "burn", (1.0,)))
    assert not isinstance(results, NoResults)
    assert results[0].value == 1.0
    assert stopped(results, 1) in (
        "used more than 1 s of CPU time in burn (exercise09_probe.py, line 7: `while True:`)",
        "used more than 1 s of CPU time in burn (exercise09_probe.py, line 8: `n += 1`)",
    )


def test_the_stack_text_is_read_as_text_only(tmp_path: Path) -> None:
    from grader.sandbox.stack import last_spot

    folder = tmp_path / "work"
    (folder / "sub").mkdir(parents=True)
    (folder / "mine.py").write_text("a = 1\nwhile True:\n    pass\n")
    where = str(folder)
    text = (
        "call 0\ncall 1\n"
        "Timeout (0:00:01.750000)!\n"
        "Thread 0x00007f0000000002 (most recent call first):\n"
        f'  File "{where}/mine.py", line 3 in spinner\n'
        '  File "/usr/lib/python3.11/threading.py", line 982 in run\n'
        "\n"
        "Thread 0x00007f0000000001 (most recent call first):\n"
        '  File "/usr/lib/python3.11/site-packages/numpy/core/x.py", line 9 in inner\n'
        f'  File "{where}/mine.py", line 2 in graded\n'
        '  File "/work/grader/runner.py", line 190 in make_call\n'
        "\xff\x00 junk that is no frame\n"
        f'  File "{where}/sub/elsewhere.py", line 1 in nested\n'
    ).encode("latin-1")
    spot = last_spot(text, folder)
    assert spot is not None
    assert (spot.call, spot.file, spot.line, spot.function) == (1, "mine.py", 2, "graded")
    assert spot.describe(folder) == "(mine.py, line 2: `while True:`)"
    assert last_spot(b"\xff" * 1000 + b"\ncall 3\n", folder) is None
    assert last_spot(text.replace(where.encode(), b"/elsewhere"), folder) is None
    # a learner's own thread stands in when no stack shows the call
    alone = text.split(b"\n\n")[0]
    spot = last_spot(alone, folder)
    assert spot is not None and (spot.call, spot.line) == (1, 3)


MEMORY_SEARCH = """
    import os, re

    # the hidden argument as the wire spells it, found by a pattern that holds it in two
    # pieces, so that neither this file nor the search puts it in memory whole
    MARK = re.compile(b"777123" + b"(?=4[.]5)")

    def in_memory():
        import ctypes

        ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # dumpable again, so its /proc/self/mem opens
        with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", buffering=0) as mem:
            for line in maps:
                span, perms = line.split()[:2]
                start, end = (int(x, 16) for x in span.split("-"))
                if "r" not in perms:
                    continue
                for at in range(start, end, 1 << 22):  # in pieces that overlap by the mark
                    try:
                        mem.seek(at)
                        if MARK.search(mem.read(min(end - at, (1 << 22) + 16))):
                            return 1.0
                    except (OSError, MemoryError):  # a region the kernel will not show
                        break
        return 0.0

    AT_IMPORT = in_memory()

    def f(x):
        print("printed with", x)
        if x < 0:
            os._exit(37)
        return AT_IMPORT if x < 100 else in_memory()
"""


def test_hidden_calls_reach_the_child_only_after_the_public_ones_answered(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Not in its memory while it imports (nor in the zygote's, for the next child): an
    exception at import cannot carry them. What it prints from then on is told apart."""
    path = learner_file(tmp_path, MEMORY_SEARCH)
    workspace = sandbox.workspace(path.parent)
    calls = [Call("f#0", "f", (1.0,)), Call("f#0:hidden", "f", (7771234.5,))]
    outcome = sandbox.run(workspace / path.name, calls, hidden=1)
    assert not isinstance(outcome.results, NoResults), outcome.results
    at_import, later = (r.value for r in outcome.results)
    assert later == 1.0  # the search works: the hidden call's own argument is found
    assert at_import == 0.0
    assert "printed with 7771234.5" in outcome.hidden_output
    assert "printed with 1.0" in outcome.output and "1.0" not in outcome.hidden_output
    again = sandbox.run(workspace / path.name, [Call("f#0", "f", (1.0,))])
    assert not isinstance(again.results, NoResults)
    assert again.results[0].value == 0.0  # nothing of it was left where the next child starts


def test_how_a_child_stopped_in_its_hidden_cases_is_told_only_with_them(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    path = learner_file(tmp_path, MEMORY_SEARCH)
    workspace = sandbox.workspace(path.parent)
    calls = [Call("f#0", "f", (1.0,)), Call("f#0:hidden", "f", (-1.0,))]
    outcome = sandbox.run(workspace / path.name, calls, hidden=1)
    assert not isinstance(outcome.results, NoResults)
    assert outcome.stopped is not None and "37" not in outcome.stopped
    assert "hidden cases" in outcome.stopped
    error = outcome.results[1].error
    assert error is not None and "status 37" in error.message
