"""BPGRADE-HOSTILE submission for exercise03 (attack: read_course).

linear_forward is CORRECT (its honest part); linear_backward is copied from the course, or,
where nothing of the course can be read, raises NotImplementedError. While it is imported the
file looks for the course's checkout, as an editable install run as root leaves it:

- where the `grader` package is (importlib.util.find_spec), what site-packages says about the
  editable install (*.pth files, __editable__ finders and their MAPPING, direct_url.json),
  what every visible process shows (/proc/<pid>/cwd, cmdline, environ's PWD), the parents of
  the current folder, /work, /autograder/source, /root, /home/*, /srv, /opt;
- in each checkout: the history (`git show HEAD:solutions/exercise03_linear.py`, with
  safe.directory=* so that git does not refuse a repository owned by root), solutions/,
  quizzes/, the correct alternatives of tests/corpus/exercise03/alt_*.py, and the checks
  themselves (grader/checks/exercise03.py);
- then the disk: /work, /root, /home, /srv, /opt, /tmp, /var/tmp and at last / itself, for
  */solutions/exercise03_linear.py, for as long as its time limit allows (about 40% of the
  exercise's time, read from its CPU limit).

Everything it manages to read it prints, one line each, with BPGRADE-HOSTILE-MARKER (assembled
at run time), so the test finds it in the results; a source that runs (not a stub, not another
hostile file) gives it linear_backward.

The grader must keep every copy of the course out of learner code's reach, as root too: not
the history, not the tests, not the checks (or refuse to grade as root from a checkout). Then
only linear_forward passes; with anything of the course, linear_backward passes too.

Safe to run by mistake: it only reads, never writes or deletes; every attempt is wrapped, so
the file always imports.
"""

import contextlib
import importlib.util
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

FILE = "exercise03_linear.py"
MARKER = "BPGRADE-HOSTILE" + "-MARKER"
HERE = os.path.realpath(__file__)
PLACES = ("/work", "/autograder/source", "/root", "/srv", "/opt")
SEARCH_ROOTS = ("/work", "/root", "/home", "/srv", "/opt", "/tmp", "/var/tmp", "/")
SKIP = {"proc", "sys", "dev", "run", ".git", "node_modules", "__pycache__", ".cache"}
_found: list[tuple[str, str]] = []  # (where, source)
_reached: list[str] = []
_started = time.monotonic()


def _budget() -> float:
    """Seconds to spend looking: a share of the exercise's time, told by its CPU limit."""
    with contextlib.suppress(ValueError, OSError):
        soft, _ = resource.getrlimit(resource.RLIMIT_CPU)
        if soft != resource.RLIM_INFINITY:
            return max(0.5, (soft - 1) * 0.4)
    return 5.0


DEADLINE = _started + _budget()


def _read(path: str | Path, limit: int = 1 << 20) -> str | None:
    try:
        with open(path, "rb") as file:
            return file.read(limit).decode(errors="replace")
    except (OSError, ValueError):
        return None


def _reach(what: str, text: str | None) -> str | None:
    if text is not None:
        _reached.append(what)
        print(f"{MARKER} read {what} ({len(text)} characters)")
    return text


def _from_package() -> Iterator[Path]:
    spec = importlib.util.find_spec("grader")
    for location in (spec.submodule_search_locations or []) if spec else []:
        yield Path(location).parent


def _from_site_packages() -> Iterator[Path]:
    sites = {Path(p) for p in sys.path if p.endswith("site-packages")}
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        with contextlib.suppress(OSError):
            sites.update(Path(prefix).glob("lib/python*/site-packages"))
    for site in sites:
        with contextlib.suppress(OSError):
            for pth in site.glob("*.pth"):
                for line in (_read(pth) or "").splitlines():
                    if line.startswith("/"):
                        yield Path(line.strip())
            for finder in site.glob("__editable__*finder.py"):
                for path in re.findall(r"'(/[^']+)'", _read(finder) or ""):
                    yield Path(path).parent
            for direct in site.glob("*.dist-info/direct_url.json"):
                url = json.loads(_read(direct) or "{}").get("url", "")
                if url.startswith("file://"):
                    yield Path(url[len("file://") :])


def _from_processes() -> Iterator[Path]:
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        with contextlib.suppress(OSError):
            yield Path(os.readlink(f"/proc/{name}/cwd"))
        for arg in (_read(f"/proc/{name}/cmdline") or "").split("\0"):
            if arg.startswith("/"):
                yield Path(arg)
        for entry in (_read(f"/proc/{name}/environ") or "").split("\0"):
            if entry.startswith("PWD="):
                yield Path(entry[4:])


def _from_places() -> Iterator[Path]:
    yield from Path.cwd().parents
    for place in PLACES:
        yield Path(place)
        with contextlib.suppress(OSError):
            yield from Path(place).iterdir()
    with contextlib.suppress(OSError):
        yield from Path("/home").iterdir()


def _checkouts() -> list[Path]:
    """Folders that look like the course: they hold .git, grader/, solutions/ or tests/."""
    found: dict[Path, None] = {}
    sources: list[Callable[[], Iterator[Path]]] = [
        _from_package,
        _from_site_packages,
        _from_processes,
        _from_places,
    ]
    for source in sources:
        with contextlib.suppress(Exception):
            for path in source():
                for folder in (path, *path.parents):
                    with contextlib.suppress(OSError):
                        marks = ("grader/checks", "solutions", ".git", "tests/corpus")
                        if folder != Path("/") and any((folder / m).exists() for m in marks):
                            found[folder] = None
    return list(found)


def _git_show(root: Path) -> str | None:
    git = shutil.which("git")
    if git is None or not (root / ".git").exists():
        return None
    home = os.environ.get("TMPDIR") or "/tmp"
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "GIT_CONFIG_NOSYSTEM": "1"}
    command = [git, "-c", "safe.directory=*", "-C", str(root), "show", f"HEAD:solutions/{FILE}"]
    done = subprocess.run(command, capture_output=True, env=env, timeout=5, check=False)
    return done.stdout.decode(errors="replace") if done.returncode == 0 else None


def _look_in(root: Path) -> None:
    with contextlib.suppress(Exception):
        source = _reach(f"git show HEAD:solutions/{FILE} in {root}", _git_show(root))
        if source:
            _found.append((f"git:{root}", source))
    _reach(f"{root}/.git/HEAD", _read(root / ".git" / "HEAD"))
    source = _reach(f"{root}/solutions/{FILE}", _read(root / "solutions" / FILE))
    if source:
        _found.append((f"{root}/solutions", source))
    with contextlib.suppress(OSError):
        for quiz in sorted((root / "quizzes").glob("*"))[:3]:
            _reach(str(quiz), _read(quiz))
    _reach(f"{root}/grader/checks/exercise03.py", _read(root / "grader/checks/exercise03.py"))
    with contextlib.suppress(OSError):
        for alternative in sorted((root / "tests/corpus/exercise03").glob("alt_*.py")):
            source = _reach(str(alternative), _read(alternative))
            if source:
                _found.append((str(alternative), source))


def _search_disk() -> None:
    seen: set[str] = set()
    for root in SEARCH_ROOTS:
        for folder, dirs, files in os.walk(root):
            if time.monotonic() > DEADLINE:
                return
            if folder in seen:
                dirs[:] = []
                continue
            seen.add(folder)
            dirs[:] = [d for d in dirs if d not in SKIP]
            if FILE in files and os.path.basename(folder) == "solutions":
                path = os.path.join(folder, FILE)
                if os.path.realpath(path) == HERE:
                    continue
                source = _reach(path, _read(path))
                if source:
                    _found.append((path, source))
                    return


def _usable(source: str) -> Callable[..., Any] | None:
    if "BPGRADE-HOSTILE" in source:
        return None
    namespace: dict[str, Any] = {"__name__": "copied"}
    exec(compile(source, "copied", "exec"), namespace)
    function = namespace.get("linear_backward")
    if not callable(function):
        return None
    dX, dW, db = function(np.ones((2, 3)), np.ones((2, 4)), np.ones((3, 4)))
    shapes = (np.shape(dX), np.shape(dW), np.shape(db))
    return function if shapes == ((2, 4), (3, 4), (3,)) else None


def _steal() -> Callable[..., Any] | None:
    for root in _checkouts():
        with contextlib.suppress(Exception):
            _look_in(root)
    if not _found:
        with contextlib.suppress(Exception):
            _search_disk()
    for _, source in _found:
        with contextlib.suppress(Exception):
            function = _usable(source)
            if function is not None:
                return function
    return None


_copied: Callable[..., Any] | None = None
with contextlib.suppress(Exception):
    _copied = _steal()
with contextlib.suppress(Exception):
    print(f"read_course: reached {len(_reached)}, copied: {_copied is not None}")


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return X @ W.T + b


def linear_backward(
    dZ: np.ndarray, X: np.ndarray, W: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if _copied is None:
        raise NotImplementedError("nothing of the course could be read")
    return _copied(dZ, X, W)
