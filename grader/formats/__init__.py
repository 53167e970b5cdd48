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

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from grader.files import write_atomically

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


def write_results(path: Path, text: str, mode: int = RESULTS_MODE, *, sync: bool = True) -> None:
    """Write `text` to `path` atomically (`grader.files.write_atomically`): a reader sees the
    old file or the whole new one, never a half-written one, even if grading is killed
    mid-write (a platform timeout). The file has `mode` before it takes the name `path`;
    until then, as a temporary file, it is its owner's only (0o600). PrairieLearn does not
    create /grade/results for us; Gradescope does: the folder is made either way. `sync`
    False leaves the folder's sync to the caller (`grader.files.sync_folder`)."""
    write_atomically(path, text, mode, sync=sync)
