"""`autograder.zip` for Gradescope's "zip file upload" autograder.

Gradescope unpacks the zip into /autograder/source, runs `setup.sh` once as root to build
the image, then runs `run_autograder` for every submission and reads
/autograder/results/results.json. Both scripts must sit at the root of the zip, and both
are stored executable. Beside them, `wheels/`: bpgrade (the course folded in) and every
wheel it needs, for the image's Python (see `wheels.py`), which setup.sh installs with
pip's index switched off. Nothing is downloaded while a submission is graded.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.bundles import wheels as bundled
from grader.bundles.source import Limits, needs_torch, source_files, template
from grader.course import course_root
from grader.files import atomic_file

SETUP = "setup.sh"
RUN_AUTOGRADER = "run_autograder"
# Fixed timestamps and a fixed order: the same course gives the same zip, byte for byte.
_EPOCH = (1980, 1, 1, 0, 0, 0)
_EXECUTABLE = 0o100755
_REGULAR = 0o100644


WHEELS = "wheels"
# Gradescope's default base image is Ubuntu 22.04; its archive has python3.11.
DEFAULT_TARGET = bundled.Target(("3.11",))


@dataclass(frozen=True)
class GradescopeBundle:
    path: Path
    entries: list[str]
    installs_torch: bool
    target: bundled.Target


def setup_script(wheels: bundled.Wheels) -> str:
    return template(
        "gradescope_setup.sh",
        PYTHONS=" ".join(wheels.target.pythons),
        ARCH=wheels.target.arch,
        PIP_WHEEL=wheels.pip,
        REQUIREMENT=wheels.requirement,
    )


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
    target: bundled.Target = DEFAULT_TARGET,
    wheelhouse: Path | None = None,
) -> GradescopeBundle:
    """Fetch the wheels and write the autograder zip to `output` (atomically)."""
    course = course_root() if course is None else course
    with bundled.collect(
        source_files(project, course), target, torch=needs_torch(course), wheelhouse=wheelhouse
    ) as wheels:
        return write(output, wheels, limits)


def write(output: Path, wheels: bundled.Wheels, limits: Limits | None = None) -> GradescopeBundle:
    """The zip of the scripts and `wheels`, at `output`."""
    limits = limits or Limits()
    scripts = {SETUP: setup_script(wheels), RUN_AUTOGRADER: run_autograder_script(limits)}
    files = {f"{WHEELS}/{path.name}": path for path in wheels.files}
    output.parent.mkdir(parents=True, exist_ok=True)
    _write_zip(output, scripts, files)
    return GradescopeBundle(
        path=output,
        entries=sorted([*scripts, *files]),
        installs_torch=wheels.torch,
        target=wheels.target,
    )


def _write_zip(output: Path, scripts: dict[str, str], files: dict[str, Path]) -> None:
    # Written whole or not at all (grader.files): an interrupted build never leaves half a
    # zip where the instructor expects a good one. Readable by all: mkstemp's 0600 would
    # surprise whoever uploads it.
    with (
        atomic_file(output, 0o644) as target,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for name, text in scripts.items():
            archive.writestr(_entry(name, _EXECUTABLE), text)
        for name in sorted(files):
            # a wheel is compressed already: stored as it is
            entry = _entry(name, _REGULAR, zipfile.ZIP_STORED)
            with archive.open(entry, "w") as out, files[name].open("rb") as wheel:
                shutil.copyfileobj(wheel, out, 1 << 20)


def _entry(name: str, mode: int, compression: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.create_system = 3  # Unix, so that unzip and Gradescope honour the mode bits
    info.external_attr = mode << 16
    info.compress_type = compression
    return info
