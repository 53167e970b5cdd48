"""`autograder.zip` for Gradescope's "zip file upload" autograder.

Gradescope unpacks the zip into /autograder/source, runs `setup.sh` once as root to build
the image, then runs `run_autograder` for every submission and reads
/autograder/results/results.json. Both scripts must sit at the root of the zip, and both
are stored executable. Next to them: the grader's source and the course (see `source.py`),
which setup.sh installs with pip.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.bundles.source import (
    Limits,
    SourceFile,
    needs_torch,
    source_files,
    template,
    torch_install_line,
)
from grader.course import course_root

SETUP = "setup.sh"
RUN_AUTOGRADER = "run_autograder"
# Fixed timestamps and a fixed order: the same course gives the same zip, byte for byte.
_EPOCH = (1980, 1, 1, 0, 0, 0)
_EXECUTABLE = 0o100755
_REGULAR = 0o100644


@dataclass(frozen=True)
class GradescopeBundle:
    path: Path
    entries: list[str]
    installs_torch: bool


def setup_script(course: Path | None = None) -> str:
    return template("gradescope_setup.sh", TORCH_INSTALL=torch_install_line(course))


def run_autograder_script(limits: Limits) -> str:
    return template(
        "gradescope_run_autograder.sh", TIMEOUT=limits.timeout_text, MEMORY=limits.memory
    )


def build(
    output: Path,
    limits: Limits | None = None,
    *,
    project: Path | None = None,
    course: Path | None = None,
) -> GradescopeBundle:
    """Write the autograder zip to `output` (atomically) and say what is in it."""
    limits = limits or Limits()
    course = course_root() if course is None else course
    files = source_files(project, course)
    scripts = {SETUP: setup_script(course), RUN_AUTOGRADER: run_autograder_script(limits)}
    output.parent.mkdir(parents=True, exist_ok=True)
    _write_zip(output, scripts, files)
    return GradescopeBundle(
        path=output,
        entries=sorted([*scripts, *(f.name for f in files)]),
        installs_torch=needs_torch(course),
    )


def _write_zip(output: Path, scripts: dict[str, str], files: list[SourceFile]) -> None:
    # Written beside the target and renamed: an interrupted build never leaves half a zip
    # where the instructor expects a good one.
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in scripts.items():
                archive.writestr(_entry(name, _EXECUTABLE), text)
            for file in files:
                archive.writestr(_entry(file.name, _REGULAR), file.path.read_bytes())
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would surprise whoever uploads it
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.create_system = 3  # Unix, so that unzip and Gradescope honour the mode bits
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info
