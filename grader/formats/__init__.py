"""A grade report in each platform's own results format, and a safe way to write it.

    render(report, "gradescope")  ->  the text of Gradescope's results.json
    write_results(path, text)     ->  written whole or not at all

The formats: `json` (our own report, `grader.report.Report`), `gradescope` (autograder
results.json), `prairielearn` (external grader results.json), `junit` (JUnit XML for CI
servers) and `github` (the result object of GitHub Classroom's autograding actions). Each
platform's module holds the model of its documented schema and says where that came from.

Imports stay light: a format's module, and xml for junit, load only when that format is used.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from grader.report import Report

Format = Literal["json", "gradescope", "prairielearn", "junit", "github"]
FORMATS: tuple[str, ...] = get_args(Format)

# Results files are read by the platform's harness, which may run as another user than the
# grader (PrairieLearn and Gradescope both do): readable by all, writable by the owner.
RESULTS_MODE = 0o644


def render(report: Report, fmt: str) -> str:
    """The report as the text of format `fmt` (one of FORMATS)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown results format {fmt!r}; the formats: {', '.join(FORMATS)}")
    from grader.formats._common import printable_report

    report = printable_report(report)
    if fmt == "json":
        return report.model_dump_json(indent=2)
    module = importlib.import_module(f"grader.formats.{fmt}")
    return module.render(report)


def write_results(path: Path, text: str, mode: int = RESULTS_MODE) -> None:
    """Write `text` to `path` atomically: a reader sees the old file or the whole new one,
    never a half-written one, even if grading is killed mid-write (a platform timeout).
    The file has `mode` before it takes the name `path`; until then, as a temporary file, it
    is its owner's only (0o600)."""
    path = Path(path)
    # PrairieLearn does not create /grade/results for us; Gradescope does. Create it either way.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes the file 0o600; chmod sets the mode exactly, whatever the umask.
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; a best effort, since not every system can open a
    folder for syncing (Windows cannot)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
