"""Which files of a submission a sandbox copies: `submission_files`, and `copy_submission`.

Regular files only, never through a link, and within bounds (depth, count, size): a link could
point a root grader at anything on the machine, and a submission is a handful of files. The
batch digests a submission with the same walk, so what is copied and what is digested agree.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

SKIPPED_DIRS = {
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    ".bpgrade",
    "node_modules",
    ".ipynb_checkpoints",
}
MAX_FILE = 16 << 20  # a submission file larger than this is not code; it is not copied
MAX_COPY = 128 << 20
MAX_FILES = 2000  # a submission is a handful of files; more are not copied
MAX_DEPTH = 8  # folders deeper than this are not copied


class SubmissionError(ValueError):
    """The submission itself cannot be graded (not the grader's fault): a link, say."""


def submission_files(source: Path) -> Iterator[tuple[Path, Path]]:
    """(path, path relative to `source`) of each file a sandbox copies from a submission.

    Regular files only, never through a symlink: a link could point a root grader at anything
    on the machine, the reference solutions included. Deep or huge trees are cut."""
    if source.is_symlink():
        raise SubmissionError(f"{source.name} is a symbolic link; submit the folder itself")
    total = files = 0
    for root, dirs, names in os.walk(source, followlinks=False):
        here = Path(root).relative_to(source)
        dirs[:] = (
            []
            if len(here.parts) >= MAX_DEPTH
            else sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        )
        for name in sorted(names):
            path = Path(root) / name
            if path.is_symlink() or not path.is_file():
                continue
            size = path.stat().st_size
            if size > MAX_FILE or total + size > MAX_COPY or files >= MAX_FILES:
                continue
            total, files = total + size, files + 1
            yield path, here / name


def copy_submission(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path, relative in submission_files(source):
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / relative)
