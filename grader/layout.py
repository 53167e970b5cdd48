"""Where a submission's exercise files are, and what the student is told when they are not
where the course puts them: at the top of the submission, or in its `exercises/` folder.

    layout = locate(submission, entries)
    layout.folder     the folder graded, relative to the submission ("." for its top)
    layout.files      exercise name -> the file graded for it, relative to the submission
    layout.missing    exercise name -> why nothing was graded for it, and the fix
    layout.notes      for the student: the folder graded and why, files graded under another
                      name, folders and files that were not graded

What is graded when files are not where they belong, so that a slip costs a note, not a zero,
while nothing is graded that could be someone else's work:

- One folder is graded: the one that holds the most exercises, on a tie the shallowest (the
  top, then `exercises/`). It may lie one or two folders down (`my_work/`,
  `bpgrade-main/exercises/`); the note then says to move the files up. Folders that tie
  below the top (`copy1/` and `copy2/`) are not chosen between: nothing is graded and both
  are named. Exercise files in any other folder are named, never graded.
- In that folder, an exercise's own file name wins. Failing it, one file under a near-miss
  name (a browser's `exercise03_linear (1).py`, `Exercise03_Linear.py`,
  `exercise03_linear.py.txt`, `exercise03_linear-2.py`, `exercise03.py`) is graded as the
  expected name, with a note to rename it; several such files are listed and none is graded.
- A notebook (`exercise03_linear.ipynb`, or one under a near-miss name) is graded for an
  exercise that has no .py in that folder: its graded cells make the module
  (`grader.notebooks`). The .py wins where both are there, unless it is still the course's
  stub (a release with notebooks hands out both): then the notebook is graded.
- Never searched or read: anything through a symbolic link, hidden folders (`.git`),
  `__MACOSX`, and the folders where a course keeps its own copies (`solutions/`, `tests/`).

The search is bounded (two folders down, MAX_ENTRIES entries in all); every name a message
repeats is relative to the submission, clipped, and its control characters escaped.
"""

from __future__ import annotations

import os
import re
import stat
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from grader.catalog import ExerciseEntry
from grader.notebooks import is_notebook, notebook_name
from grader.sandbox import MAX_FILE, size_text

TOP = PurePosixPath(".")
NESTED = "exercises"  # the one sub-folder the course documents
MAX_LEVELS = 2  # how far below the top the exercise files are looked for
MAX_ENTRIES = 5000  # folder entries looked at, in all: a submission is a handful of files
SHOWN_NAMES = 3  # names listed in one sentence; the rest are counted
NAME_CHARS = 60  # of a name a message repeats
# Folders never searched: where a course keeps its reference or its tests, or where tools
# keep copies (macOS archives, virtual environments). A file there may be anyone's.
NEVER_SEARCHED = {
    "__macosx",
    "__pycache__",
    "node_modules",
    "site-packages",
    "venv",
    "env",
    "solutions",
    "solution",
    "reference",
    "tests",
    "test",
    "answers",
    "quizzes",
}
# What browsers, file managers and cloud drives add to a name they copy or download again:
# "name (1)", "name(2)", "name-2", "name_2", "name copy", "name - Copy", "Copy of name".
_COPY_SUFFIX = re.compile(r"(?:\s*\(\d{1,3}\)|[\s_-]+\d{1,3}|[\s_-]*(?:-\s*)?copy(?:\s*\d{1,3})?)$")
_COPY_PREFIX = re.compile(r"^copy\s+of\s+")
_EXERCISE_NUMBER = re.compile(r"^exercise[\s_-]*0*(\d+)")


@dataclass(frozen=True)
class Layout:
    folder: PurePosixPath
    files: dict[str, PurePosixPath]
    missing: dict[str, str]
    notes: list[str]
    # exercise name -> the notebook beside its graded .py, graded instead where the .py is
    # still the course's stub (`worked_in`)
    beside: dict[str, PurePosixPath] = field(default_factory=dict)


@dataclass
class _Folder:
    path: PurePosixPath
    level: int
    exact: dict[str, PurePosixPath] = field(default_factory=dict)
    near: dict[str, list[PurePosixPath]] = field(default_factory=dict)
    links: dict[str, list[PurePosixPath]] = field(default_factory=dict)
    large: dict[str, list[PurePosixPath]] = field(default_factory=dict)
    python: list[str] = field(default_factory=list)  # other .py (or notebook) files, a few
    # exercise name -> notebooks handed in for it (`grader.notebooks`), graded when no .py is
    notebooks: dict[str, list[PurePosixPath]] = field(default_factory=dict)

    def present(self) -> set[str]:
        return set(self.exact) | set(self.near) | set(self.notebooks)

    def rank(self) -> tuple[int, int, bool, int]:
        """More exercises first, then the shallowest, then the documented `exercises/` over
        any other folder of its level, then more files under their own names."""
        return (len(self.present()), -self.level, self.path.name == NESTED, len(self.exact))


@dataclass
class _Search:
    folders: dict[PurePosixPath, _Folder]
    unsearched: list[str]  # folders near the top that are never searched, for a message
    cut: bool  # MAX_ENTRIES was reached


# -- names -------------------------------------------------------------------------------------


def shown(name: str | PurePosixPath, folder: bool = False) -> str:
    """A name as a message repeats it: clipped to NAME_CHARS with its end kept (the
    extension tells most), control characters and undecodable bytes escaped, in backticks."""
    text = str(name) + ("/" if folder else "")
    if len(text) > NAME_CHARS:
        keep = NAME_CHARS - 20
        text = f"{text[:keep]}…{text[-19:]}"
    text = "".join(c if c.isprintable() else _escaped(c) for c in text)
    return "`" + text.replace("`", "'") + "`"


def _escaped(char: str) -> str:
    """A control character or a lone surrogate (an undecodable byte) as a visible escape."""
    return char.encode("unicode_escape", "backslashreplace").decode("ascii", "backslashreplace")


def listed(names: list[str]) -> str:
    words = ", ".join(names[:SHOWN_NAMES])
    rest = len(names) - SHOWN_NAMES
    return f"{words} and {rest:,} more" if rest > 0 else words


def canonical(name: str) -> str | None:
    """The exercise file a near-miss name stands for, reduced to compare: lower case, no
    `.txt` a browser added, no copy marks, separators as underscores, the exercise number
    without leading zeros; None for a name that is not a Python file."""
    text = name.strip().lower().removesuffix(".txt").rstrip()
    if not text.endswith(".py"):
        return None
    stem = _COPY_PREFIX.sub("", text.removesuffix(".py").strip())
    for _ in range(3):  # "name (1) copy"
        shorter = _COPY_SUFFIX.sub("", stem).strip()
        if shorter == stem:
            break
        stem = shorter
    stem = re.sub(r"[\s.-]+", "_", stem)
    return _EXERCISE_NUMBER.sub(lambda m: f"exercise{int(m.group(1))}", stem)


def _matcher(entries: list[ExerciseEntry]) -> dict[str, str]:
    """canonical name -> exercise: its file's stem, and its bare name (`exercise03.py`)."""
    names: dict[str, str] = {}
    for entry in entries:
        for form in (entry.file, f"{entry.name}.py"):
            key = canonical(form)
            if key is not None:
                names[key] = entry.name
    return names


# -- the search --------------------------------------------------------------------------------


def _search(submission: Path, entries: list[ExerciseEntry]) -> _Search:
    """Breadth first from the top, never through a link, MAX_LEVELS down, MAX_ENTRIES in all."""
    exact = {e.file: e.name for e in entries}
    near = _matcher(entries)
    folders: dict[PurePosixPath, _Folder] = {}
    unsearched: list[str] = []
    budget = MAX_ENTRIES
    pending = deque([(submission, TOP, 0)])
    while pending and budget > 0:
        path, relative, level = pending.popleft()
        folder = folders.setdefault(relative, _Folder(relative, level))
        try:
            with os.scandir(path) as scan:
                listing = []
                for entry in scan:  # a huge folder is read only as far as the budget goes
                    listing.append(entry)
                    if len(listing) >= budget:
                        break
        except OSError:
            continue
        budget -= len(listing)
        for entry in sorted(listing, key=lambda e: e.name):
            name = entry.name
            if name.startswith("."):  # .git, macOS's ._name twins, editors' files
                continue
            try:
                if entry.is_symlink():
                    _add_link(folder, name, exact, near)
                elif entry.is_dir(follow_symlinks=False):
                    if name.lower() in NEVER_SEARCHED:
                        if level == 0 and name.lower() != "__macosx":
                            unsearched.append(name)
                    elif level < MAX_LEVELS:
                        pending.append((Path(entry.path), relative / name, level + 1))
                elif entry.is_file(follow_symlinks=False):
                    size = entry.stat(follow_symlinks=False).st_size
                    _add_file(folder, name, size, exact, near)
            except OSError:  # gone, or unreadable, while we looked
                continue
    return _Search(folders, unsearched, budget <= 0)


def _add_file(
    folder: _Folder, name: str, size: int, exact: dict[str, str], near: dict[str, str]
) -> None:
    path = folder.path / name
    exercise = exact.get(name) or near.get(canonical(name) or "")
    if exercise is None and is_notebook(name):
        exercise = near.get(canonical(name[: -len(".ipynb")] + ".py") or "")
        if exercise is not None and size <= MAX_FILE:
            _add_notebook(folder, exercise, path)
            return
    if exercise is None:
        if name.lower().endswith((".py", ".ipynb")) and len(folder.python) <= SHOWN_NAMES:
            folder.python.append(name)
        return
    if size > MAX_FILE:  # the sandbox copies no file this large: name it, grade nothing
        folder.large.setdefault(exercise, []).append(path)
    elif name in exact:
        folder.exact[exercise] = path
    elif len(folder.near.get(exercise, [])) <= SHOWN_NAMES:
        folder.near.setdefault(exercise, []).append(path)


def _add_notebook(folder: _Folder, exercise: str, path: PurePosixPath) -> None:
    found = folder.notebooks.setdefault(exercise, [])
    if len(found) <= SHOWN_NAMES:
        found.append(path)


def _add_link(folder: _Folder, name: str, exact: dict[str, str], near: dict[str, str]) -> None:
    exercise = exact.get(name) or near.get(canonical(name) or "")
    if exercise is not None:
        folder.links.setdefault(exercise, []).append(folder.path / name)


# -- the choice --------------------------------------------------------------------------------


def _where(folder: PurePosixPath) -> str:
    return "the top of your submission" if folder == TOP else shown(folder, folder=True)


def _at(folder: PurePosixPath) -> str:
    return "at the top of your submission" if folder == TOP else f"in {_where(folder)}"


def _deeper(folder: PurePosixPath) -> str:
    levels = len(folder.parts)
    how = "one folder" if levels == 1 else f"{'two' if levels == 2 else levels} folders"
    return (
        f"Your files are {how} deeper than bpgrade looks, in {shown(folder, folder=True)}: "
        "they were graded from there. Next time, move them up to the top of your submission."
    )


def locate(submission: Path, entries: list[ExerciseEntry]) -> Layout:
    """Where each exercise's file is, which folder is graded, and what the student is told.
    A submission that is itself a symbolic link is refused before this (`grade_submission`,
    the batch's `discover`)."""
    search = _search(submission, entries)
    candidates = [f for f in search.folders.values() if f.present()]
    best = max((f.rank() for f in candidates), default=None)
    tied = [f for f in candidates if f.rank() == best]
    notes: list[str] = []
    if len(tied) > 1:  # never the top, which has no equal: several folders look alike
        return _refused(entries, tied, search)
    graded = tied[0] if tied else search.folders.get(TOP, _Folder(TOP, 0))
    if graded.path != TOP and graded.path != PurePosixPath(NESTED):
        notes.append(_deeper(graded.path))
    others = [f for f in candidates if f is not graded]
    files: dict[str, PurePosixPath] = {}
    missing: dict[str, str] = {}
    renamed: list[str] = []
    beside: dict[str, PurePosixPath] = {}
    for entry in entries:
        chosen, note = _choose(entry, graded)
        if chosen is not None and not is_notebook(chosen):
            notebook, _ = _notebook(entry, graded)
            if notebook is not None:
                beside[entry.name] = notebook
        if chosen is not None:
            files[entry.name] = chosen
            renamed += [note] if note else []
        else:
            missing[entry.name] = _missing(entry, graded, others, search, note)
    if others:
        notes.append(_ignored(submission, graded, others, files))
    notes += renamed
    if search.cut:
        notes.append(
            f"Your submission holds more than {MAX_ENTRIES:,} files and folders: only the "
            "first of them were searched for the exercise files."
        )
    return Layout(graded.path, files, missing, notes, beside)


def _choose(entry: ExerciseEntry, folder: _Folder) -> tuple[PurePosixPath | None, str]:
    """The file graded for `entry` in the graded folder, and what to tell the student."""
    near = folder.near.get(entry.name, [])
    exact = folder.exact.get(entry.name)
    if exact is not None:
        if not near:
            return exact, ""
        return exact, (
            f"Also found {listed([shown(p) for p in near])} beside {shown(exact)}, "
            f"which was graded: remove the copies you do not mean."
        )
    if len(near) == 1:
        return near[0], f"Graded as {entry.file}: rename {shown(near[0])} to {shown(entry.file)}."
    if near:
        return None, (
            f"Several files could be it, {listed([shown(p) for p in near])}, so none was "
            f"graded: rename the one you mean to {entry.file} and remove the others."
        )
    return _notebook(entry, folder)


def worked_in(submission: Path, layout: Layout, stubs: Path) -> Layout:
    """The layout with each notebook in `layout.beside` graded where the .py beside it is
    still the course's stub (in `stubs`), byte for byte: a release with notebooks hands out
    both, and the notebook is the one worked in. A .py under another name than the stub's is
    never a stub."""
    files = dict(layout.files)
    notes = list(layout.notes)
    for name, notebook in layout.beside.items():
        chosen = files[name]
        try:
            stub = (stubs / chosen.name).read_bytes()
        except OSError:
            continue
        if _regular_bytes(submission / chosen) == stub:
            files[name] = notebook
            still = f"{shown(chosen)} beside it is still the stub"
            notes.append(f"{shown(notebook)} was graded: {still}.")
    return replace(layout, files=files, notes=notes)


def _regular_bytes(path: Path) -> bytes | None:
    """A regular file's bytes, up to MAX_FILE; None for anything else, never through a link
    swapped in since the search (nor a FIFO, which would never answer)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return file.read(MAX_FILE + 1)


def _notebook(entry: ExerciseEntry, folder: _Folder) -> tuple[PurePosixPath | None, str]:
    """With no .py for `entry`, the notebook handed in for it, its marked cells graded
    (`grader.notebooks`): under its own name, or the one notebook under a near-miss name."""
    found = folder.notebooks.get(entry.name, [])
    name = notebook_name(entry.file)
    own = [path for path in found if path.name == name]
    if own:
        return own[0], ""
    if len(found) == 1:
        return found[0], f"Graded as {name}: rename {shown(found[0])} to {shown(name)}."
    if found:
        return None, (
            f"Several notebooks could be it, {listed([shown(p) for p in found])}, so none was "
            f"graded: rename the one you mean to {name} and remove the others."
        )
    return None, ""


def _missing(
    entry: ExerciseEntry,
    graded: _Folder,
    others: list[_Folder],
    search: _Search,
    ambiguous: str,
) -> str:
    """Why nothing was graded for `entry`: the expected name, what was found, the fix."""
    place = "" if graded.path == TOP else f" (bpgrade graded {_where(graded.path)})"
    lines = [
        f"{entry.file} was not found: it belongs at the top of your submission, or in "
        f"`{NESTED}/`{place}."
    ]
    if ambiguous:
        lines.append(ambiguous)
    elsewhere = [
        p for f in others for p in ([f.exact[entry.name]] if entry.name in f.exact else [])
    ] + [p for f in others for p in f.near.get(entry.name, [])]
    if elsewhere:
        lines.append(
            f"Found {listed([shown(p) for p in elsewhere])}, in a folder that was not graded: "
            f"move it to {_where(graded.path)} as {entry.file}."
        )
    links = [p for f in search.folders.values() for p in f.links.get(entry.name, [])]
    if links:
        lines.append(
            f"{listed([shown(p) for p in links])} is a symbolic link, which bpgrade never "
            "follows: submit the file itself."
        )
    large = [p for f in search.folders.values() for p in f.large.get(entry.name, [])]
    if large:
        lines.append(
            f"{listed([shown(p) for p in large])} is larger than {size_text(MAX_FILE)}, so it "
            "was not read."
        )
    if len(lines) == 1 and graded.python:
        found = [shown(graded.path / name) for name in graded.python]
        lines.append(
            f"Python files found instead: {listed(found)}. If one of them is your "
            f"{entry.name} work, rename it to {entry.file}."
        )
    if len(lines) == 1 and search.unsearched:
        folders = listed([shown(name, folder=True) for name in search.unsearched])
        lines.append(f"bpgrade never looks in {folders}.")
    return " ".join(lines)


def _same(submission: Path, a: PurePosixPath, b: PurePosixPath) -> bool:
    try:
        return (submission / a).read_bytes() == (submission / b).read_bytes()
    except OSError:
        return False


def _differ(submission: Path, others: list[_Folder], files: dict[str, PurePosixPath]) -> bool:
    """Whether any exercise file outside the graded folder is not the one graded."""
    for folder in others:
        for name, paths in [*folder.near.items(), *((n, [p]) for n, p in folder.exact.items())]:
            graded = files.get(name)
            if graded is None or any(not _same(submission, p, graded) for p in paths):
                return True
    return False


def _ignored(
    submission: Path, graded: _Folder, others: list[_Folder], files: dict[str, PurePosixPath]
) -> str:
    """Which folder was graded, why, and that the others were not (the same files or not)."""
    names = listed([_at(f.path) for f in others])
    count = len(graded.present())
    most = max(len(f.present()) for f in others)
    if count > most:
        why = f"the one that holds the most exercise files ({count} against {most})"
    else:
        why = (
            "which holds as many exercise files as any other (on a tie the shallowest "
            "folder is graded: the top first, then `exercises/`)"
        )
    what = (
        "They differ from the graded ones."
        if _differ(submission, others, files)
        else "They are the same as the graded ones."
    )
    return (
        f"Exercise files were found in more than one place. Only one folder is graded: "
        f"{_where(graded.path)}, {why}. The exercise files {names} were not graded. {what}"
    )


def _refused(entries: list[ExerciseEntry], tied: list[_Folder], search: _Search) -> Layout:
    """Several folders below the top hold the exercise files alike: none is chosen."""
    folders = listed([shown(f.path, folder=True) for f in tied])
    why = (
        f"The exercise files were found in several folders, {folders}, and bpgrade cannot "
        "tell which is yours, so none was graded: keep one of them (best, move its files to "
        "the top of your submission)."
    )
    missing = {e.name: f"{e.file} was not graded. {why}" for e in entries}
    return Layout(TOP, {}, missing, [why])
