"""What every bundle is made from: the grader's source and the course, and the scripts
around them.

bpgrade's wheel is built from a small Python project: pyproject.toml, README.md (the
project's readme), hatch_build.py (the build hook that pyproject.toml names), the `grader`
package, and the course folders that the hook folds into the package (exercises,
solutions, specs, quizzes, and drivers where the course has them). Never the tests (their
corpus holds wrong and right solutions), a virtual environment, caches or progress files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import grader
from grader.course import course_root
from grader.files import tree

COURSE_FOLDERS = ("exercises", "solutions", "specs", "quizzes", "drivers")
# a course whose exercises are all plain functions has no drivers (grader.drivers)
OPTIONAL_FOLDERS = frozenset({"drivers"})
PROJECT_FILES = ("pyproject.toml", "README.md", "hatch_build.py")
PACKAGE = "grader"
# The copy of the course inside a regular install; the bundle carries the course as the
# top-level folders instead, and pyproject.toml puts it back at install time.
PACKAGED_COURSE = "_course"

TEMPLATES = Path(__file__).resolve().parent / "templates"

TORCH_VERSION = "2.13.0"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"

# Values pasted into the shell scripts: keep them to characters a shell takes literally.
_MEMORY = re.compile(r"^[0-9]+(\.[0-9]+)?[A-Za-z]{0,3}$")


class BundleError(Exception):
    """The bundle cannot be built; the message says why, for the instructor."""


@dataclass(frozen=True)
class SourceFile:
    name: str  # a POSIX path inside the bundle
    path: Path


@dataclass(frozen=True)
class Limits:
    """The per-exercise limits the bundle's script passes to `bpgrade check`."""

    timeout: float = 10.0
    memory: str = "1GiB"

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise BundleError(f"the timeout must be positive, not {self.timeout}")
        if not _MEMORY.match(self.memory):
            raise BundleError(f"{self.memory!r} is not a memory size like 1GiB or 512MiB")

    @property
    def timeout_text(self) -> str:
        return f"{self.timeout:g}"


def project_root() -> Path:
    """The checkout that holds the grader package and its pyproject.toml."""
    root = Path(grader.__file__).resolve().parent.parent
    missing = [name for name in PROJECT_FILES if not (root / name).is_file()]
    if missing:
        raise BundleError(
            f"no {' or '.join(missing)} beside the grader package in {root}: build bundles "
            "from a checkout of bpgrade (pip install -e .), not from an installed copy."
        )
    return root


def source_files(project: Path | None = None, course: Path | None = None) -> list[SourceFile]:
    """Every file a bundle ships, sorted by name, from the checkout and the course."""
    project = project_root() if project is None else project
    course = course_root() if course is None else course
    files = [SourceFile(name, project / name) for name in PROJECT_FILES]
    files += _tree(project / PACKAGE, PACKAGE, skip_top=frozenset({PACKAGED_COURSE}))
    for folder in COURSE_FOLDERS:
        if folder in OPTIONAL_FOLDERS and not (course / folder).is_dir():
            continue
        if not (course / folder).is_dir():
            raise BundleError(f"the course in {course} has no {folder}/ folder")
        files += _tree(course / folder, folder)
    return sorted(files, key=lambda f: f.name)


def _tree(root: Path, prefix: str, skip_top: frozenset[str] = frozenset()) -> list[SourceFile]:
    return [SourceFile(f"{prefix}/{f.as_posix()}", root / f) for f in tree_files(root, skip_top)]


def tree_files(
    root: Path, skip_top: frozenset[str] = frozenset(), *, links: bool = True
) -> list[Path]:
    """The files under `root` to ship, relative to it and sorted: no caches, dotfiles or
    editor litter, and nothing under a top-level name in `skip_top`. A link to a file is
    shipped as the file it names; with `links=False` links are left out (a release hands its
    files to learners, and a link could name anything on the instructor's machine)."""
    files = []
    for path in tree(root, links=links):
        relative = path.relative_to(root)
        if path == root or relative.parts[0] in skip_top or _ignored(relative):
            continue
        if path.is_file():  # a link's target, where links are shipped
            files.append(relative)
    return sorted(files)


def _ignored(relative: Path) -> bool:
    # caches, editor and OS litter, progress files: nothing the grader reads
    return (
        any(part == "__pycache__" or part.startswith(".") for part in relative.parts)
        or relative.suffix in {".pyc", ".pyo"}
        or relative.name.endswith("~")
    )


def needs_torch(course: Path | None = None) -> bool:
    """Whether an exercise of the course's catalog runs with the torch runtime: the catalog
    says so, whatever the files import (a NumPy exercise's docstring may well say "as
    torch.nn.Linear does", and a torch exercise's stub may not import torch at all)."""
    from grader.catalog import load_catalog

    course = course_root() if course is None else course
    return "torch" in load_catalog(course / "exercises" / "catalog.toml").runtimes


def template(name: str, **values: str) -> str:
    """A script from grader/bundles/templates with its @NAME@ placeholders filled in."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise BundleError(f"template {name} still has {', '.join(sorted(set(left)))}")
    return text
