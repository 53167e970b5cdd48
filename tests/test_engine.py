"""The grading engine (grader/engine/): `bpgrade check` through it prints what it prints
in-process, to the byte, with the same exit status; a stale engine is replaced; a socket
folder or a peer that is not the user's own is refused; a lost engine means in-process
grading; an idle one goes.

Each test has an engine folder of its own (BPGRADE_ENGINE_DIR), and stops what it started.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.engine import place, wire
from grader.engine.front import wanted
from tests.conftest import ROOT, SOLUTIONS, on_a_terminal

BPGRADE = Path(sys.executable).parent / "bpgrade"
FILE = "exercise03_linear.py"
NOBODY = 65534

pytestmark = pytest.mark.skipif(
    not BPGRADE.is_file() or not hasattr(socket, "SO_PEERCRED"),
    reason="needs the installed bpgrade command and Linux's SO_PEERCRED",
)


def _environment(folder: Path | None, **more: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BPGRADE")}
    environment.pop("CI", None)  # CI runs these tests too: here an engine is what is tested
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    if folder is None:
        environment["BPGRADE_ENGINE"] = "0"
    else:
        environment["BPGRADE_ENGINE_DIR"] = str(folder)
    return {**environment, **more}


def _answering(folder: Path) -> bool:
    with contextlib.closing(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)) as probe:
        try:
            probe.connect(place.socket_path(str(folder)))
        except OSError:
            return False
    return True


def warm_engine(folder: Path, **more: str) -> int:
    """The engine of `folder`, started where none answers: the command that finds none runs
    in-process and starts one for the next, which loads once that command has ended."""
    if not _answering(folder) and not engines_of(folder):
        subprocess.run(
            [str(BPGRADE), "list"], cwd=ROOT, env=_environment(folder, **more), capture_output=True
        )
    deadline = time.monotonic() + 120
    while not _answering(folder):
        assert time.monotonic() < deadline, "no engine started"
        time.sleep(0.05)
    pid = engine_pid(folder)
    assert pid is not None
    return pid


def bpgrade(
    folder: Path | None, *arguments: str, cwd: Path = ROOT, warm: bool = True, **more: str
) -> subprocess.CompletedProcess[bytes]:
    """`bpgrade` through the engine of `folder` (a warm one, unless not `warm`), or
    in-process where it is None."""
    if folder is not None and warm:
        warm_engine(folder, **more)
    return subprocess.run(
        [str(BPGRADE), *arguments],
        cwd=cwd,
        env=_environment(folder, **more),
        capture_output=True,
        timeout=300,
    )


def engine_pid(folder: Path) -> int | None:
    """The running engine's process, from its lock file, where one runs."""
    for lock in folder.glob("engine-*.lock"):
        with contextlib.suppress(OSError, ValueError):
            pid = int(lock.read_text().strip())
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"grader.engine" in command:
                return pid
    return None


def _gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
        except OSError:
            return True
        if status == "Z":  # ended; its parent (the front, or init) reaps it
            return True
        time.sleep(0.05)
    return False


def engines_of(folder: Path) -> list[int]:
    """Every engine process of `folder`: serving, or started and not yet loaded (no lock)."""
    wanted = f"grader.engine\0{folder}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                command = (entry / "cmdline").read_bytes()
                if wanted in command + b"\0" and _alive(int(entry.name)):
                    found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def stop_engine(folder: Path) -> None:
    for pid in engines_of(folder):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not _gone(pid, 10.0):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def engine_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder of the test's own for its engines (a short path: sockets have a limit)."""
    folder = tmp_path_factory.mktemp("e") / "engine"
    try:
        yield folder
    finally:
        stop_engine(folder)


def wrong_submission(folder: Path) -> Path:
    """exercise03 with db summed over the wrong axis: it fails."""
    folder.mkdir(parents=True, exist_ok=True)
    source = (SOLUTIONS / FILE).read_text(encoding="utf-8")
    (folder / FILE).write_text(source.replace("axis=0", "axis=1"), encoding="utf-8")
    return folder


def same(*outputs: bytes) -> tuple[bytes, ...]:
    """The output, but for the uid learner code ran as: as root each sandbox has its own
    (slots.py), and the engine's holds one while an in-process check takes another."""
    return tuple(re.sub(rb"uid \d+, its own", b"uid N, its own", output) for output in outputs)


# --- the front's choice --------------------------------------------------------------------


def test_only_a_learners_check_list_and_next_go_to_the_engine() -> None:
    assert wanted(["check", "exercise03"], {})
    assert wanted([], {})  # `bpgrade` alone is `next`
    assert wanted(["list"], {}) and wanted(["next"], {})
    assert not wanted(["grade", "submissions"], {})
    assert not wanted(["autograder", "gradescope"], {})
    assert not wanted(["watch"], {})
    assert not wanted(["check", "--all", "--format", "gradescope"], {})
    assert not wanted(["check", "--output=results.json"], {})
    assert not wanted(["check"], {"BPGRADE_OUTPUT": "/autograder/results/results.json"})
    assert not wanted(["check"], {"BPGRADE_ENGINE": "0"})
    assert not wanted(["check"], {"CI": "true"})


# --- the same output -----------------------------------------------------------------------


def test_a_check_through_the_engine_prints_what_it_prints_in_process(
    engine_dir: Path, tmp_path: Path
) -> None:
    wrong = wrong_submission(tmp_path / "wrong")
    for arguments in (
        ("check", "exercise03", "--dir", str(SOLUTIONS)),
        ("check", "exercise03", "--dir", str(wrong)),
        ("check", "exercise03", "--dir", str(wrong), "-v"),
        ("check", "exercise03", "--dir", str(wrong), "--json"),
        ("check", "exercise99", "--dir", str(wrong)),  # bad usage: status 2
        ("list",),
    ):
        alone = bpgrade(None, *arguments)
        through = bpgrade(engine_dir, *arguments)
        assert engine_pid(engine_dir) is not None, "no engine answered"
        assert same(through.stdout, through.stderr) == same(alone.stdout, alone.stderr), arguments
        assert through.returncode == alone.returncode, arguments


def test_exit_statuses_through_the_engine(engine_dir: Path, tmp_path: Path) -> None:
    wrong = wrong_submission(tmp_path / "wrong")
    assert bpgrade(engine_dir, "check", "exercise03", "--dir", str(SOLUTIONS)).returncode == 0
    assert bpgrade(engine_dir, "check", "exercise03", "--dir", str(wrong)).returncode == 1
    assert bpgrade(engine_dir, "check", "nope", "--dir", str(wrong)).returncode == 2


def test_the_terminal_width_and_no_color_are_the_askers(engine_dir: Path, tmp_path: Path) -> None:
    wrong = wrong_submission(tmp_path / "wrong")
    arguments = ("check", "exercise03", "--dir", str(wrong))
    for width in ("50", "120"):
        alone = bpgrade(None, *arguments, COLUMNS=width, NO_COLOR="1")
        through = bpgrade(engine_dir, *arguments, COLUMNS=width, NO_COLOR="1")
        assert same(through.stdout) == same(alone.stdout)
    narrow, wide = (bpgrade(engine_dir, *arguments, COLUMNS=w).stdout for w in ("50", "120"))
    assert narrow != wide


# --- a stale engine ------------------------------------------------------------------------


def _course_copy(folder: Path) -> Path:
    for name in ("exercises", "solutions", "specs", "drivers", "quizzes"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, folder / name)
    return folder


def test_a_changed_catalog_or_grader_file_replaces_the_engine(
    engine_dir: Path, tmp_path: Path
) -> None:
    course = _course_copy(tmp_path / "course")
    arguments = ("check", "exercise03", "--dir", str(SOLUTIONS))
    first = bpgrade(engine_dir, *arguments, BPGRADE_COURSE=str(course))
    assert first.returncode == 0
    pid = engine_pid(engine_dir)
    assert pid is not None
    assert bpgrade(engine_dir, *arguments, BPGRADE_COURSE=str(course)).returncode == 0
    assert engine_pid(engine_dir) == pid  # unchanged: the same engine answered

    catalog = course / "exercises" / "catalog.toml"
    catalog.write_text(
        catalog.read_text(encoding="utf-8").replace("Linear layer", "Linear layers", 1),
        encoding="utf-8",
    )
    again = bpgrade(engine_dir, *arguments, BPGRADE_COURSE=str(course))
    assert again.returncode == 0
    assert _gone(pid, 10.0)  # it declined and went; the check ran in-process
    replaced = warm_engine(engine_dir)
    assert replaced != pid
    assert same(again.stdout) == same(bpgrade(None, *arguments, BPGRADE_COURSE=str(course)).stdout)

    grader_file = ROOT / "grader" / "engine" / "request.py"
    before = grader_file.stat()
    try:
        os.utime(grader_file, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
        assert bpgrade(engine_dir, *arguments, BPGRADE_COURSE=str(course)).returncode == 0
    finally:
        os.utime(grader_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _gone(replaced, 10.0)
    assert warm_engine(engine_dir) != replaced


# --- who may use it ------------------------------------------------------------------------


def test_a_folder_others_may_use_is_refused(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    with pytest.raises(place.Unsafe, match="mode 755"):
        place.private_dir(str(loose))
    link = tmp_path / "link"
    link.symlink_to(loose)
    with pytest.raises(place.Unsafe, match="not a folder"):
        place.private_dir(str(link))
    fresh = tmp_path / "fresh"
    assert place.private_dir(str(fresh)) == str(fresh)
    assert fresh.stat().st_mode & 0o777 == 0o700


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_folder_of_another_user_is_refused(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, NOBODY, NOBODY)
    with pytest.raises(place.Unsafe, match="belongs to uid"):
        place.private_dir(str(theirs))


def test_with_a_refused_folder_the_check_runs_in_process(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    loose.chmod(0o777)
    arguments = ("check", "exercise03", "--dir", str(SOLUTIONS))
    through = bpgrade(loose, *arguments, warm=False)
    assert through.returncode == 0
    assert same(through.stdout) == same(bpgrade(None, *arguments).stdout)
    assert list(loose.iterdir()) == []  # no engine, no socket


@pytest.mark.skipif(os.geteuid() != 0, reason="a peer of another uid needs root to make")
def test_a_peer_of_another_user_is_refused() -> None:
    # a folder that another user can reach (pytest's own is its owner's only), and the way to
    # the socket opened as a mistaken chmod would: the engine still greets its user only
    above = Path(tempfile.mkdtemp(prefix="bpgrade-peer-"))
    engine_dir = above / "engine"
    try:
        above.chmod(0o711)
        assert bpgrade(engine_dir, "list").returncode == 0
        path = place.socket_path(str(engine_dir))
        engine_dir.chmod(0o711)
        os.chmod(path, 0o666)
        assert _as_nobody(path) == 0, "the engine greeted another user"
        assert bpgrade(engine_dir, "list").returncode == 0  # and still serves its own
    finally:
        stop_engine(engine_dir)
        shutil.rmtree(above, ignore_errors=True)


def _as_nobody(path: str) -> int:
    """0 where a client running as nobody is sent no frame; 1 where it is greeted."""
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's verdict is its exit status
        code = 3
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(20)
                connection.connect(path)
                code = 0 if wire.receive(connection) is None else 1
        except BaseException as error:
            os.write(2, f"{error!r}\n".encode())
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status)


# --- losing it, and its going --------------------------------------------------------------


def test_an_engine_killed_mid_check_means_grading_in_process(
    engine_dir: Path, tmp_path: Path
) -> None:
    slow = tmp_path / "slow"
    slow.mkdir()
    source = (SOLUTIONS / FILE).read_text(encoding="utf-8")
    (slow / FILE).write_text(f"import time\ntime.sleep(2)\n{source}", encoding="utf-8")
    arguments = ("check", "exercise03", "--dir", str(slow))
    assert bpgrade(engine_dir, "list").returncode == 0  # an engine, warm
    pid = engine_pid(engine_dir)
    assert pid is not None
    front = subprocess.Popen(
        [str(BPGRADE), *arguments],
        cwd=ROOT,
        env=_environment(engine_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)
    os.kill(pid, signal.SIGKILL)
    out, err = front.communicate(timeout=300)
    alone = bpgrade(None, *arguments)
    assert front.returncode == alone.returncode == 0
    assert same(out, err) == same(alone.stdout, alone.stderr)


def test_an_idle_engine_goes_and_takes_its_socket(engine_dir: Path) -> None:
    pid = warm_engine(engine_dir, BPGRADE_ENGINE_IDLE="1")
    assert _gone(pid, 60.0), "the idle engine did not go"
    assert not Path(place.socket_path(str(engine_dir))).exists()


def _slow_check(engine_dir: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    """A check through the (warm) engine of a file that sleeps 30 s at import, 2 s in."""
    slow = tmp_path / "slow"
    slow.mkdir()
    source = (SOLUTIONS / FILE).read_text(encoding="utf-8")
    (slow / FILE).write_text(f"import time\ntime.sleep(30)\n{source}", encoding="utf-8")
    front = subprocess.Popen(
        [str(BPGRADE), "check", "exercise03", "--dir", str(slow), "--timeout", "60"],
        cwd=ROOT,
        env=_environment(engine_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(2.0)
    return front


def test_ctrl_c_stops_the_check_in_the_engine(engine_dir: Path, tmp_path: Path) -> None:
    pid = warm_engine(engine_dir)
    front = _slow_check(engine_dir, tmp_path)
    front.send_signal(signal.SIGINT)
    _, err = front.communicate(timeout=60)
    assert front.returncode == 1
    assert err.endswith(b"Aborted!\n")
    assert engine_pid(engine_dir) == pid  # still there, and still answering
    assert bpgrade(engine_dir, "check", "exercise03", "--dir", str(SOLUTIONS)).returncode == 0


def test_sigterm_to_the_front_stops_the_check_as_in_process(
    engine_dir: Path, tmp_path: Path
) -> None:
    warm_engine(engine_dir)
    front = _slow_check(engine_dir, tmp_path)
    front.send_signal(signal.SIGTERM)
    _, err = front.communicate(timeout=60)
    assert front.returncode == 1
    assert b"stopped (SIGTERM)" in err


def _on_a_terminal(folder: Path | None, *arguments: str) -> bytes:
    if folder is not None:
        warm_engine(folder)
    environment = _environment(folder, TERM="xterm")
    environment.pop("NO_COLOR", None)
    status, written = on_a_terminal([str(BPGRADE), *arguments], ROOT, environment)
    assert status == 1
    return written


def test_on_a_terminal_the_colours_and_width_are_the_same(
    engine_dir: Path, tmp_path: Path
) -> None:
    wrong = wrong_submission(tmp_path / "wrong")
    arguments = ("check", "exercise03", "--dir", str(wrong))
    through = _on_a_terminal(engine_dir, *arguments)
    assert engine_pid(engine_dir) is not None
    assert b"\x1b[" in through  # colour: the front's terminal is the engine's
    assert same(through) == same(_on_a_terminal(None, *arguments))
