"""The wheels a bundle carries, so that the grading machine installs bpgrade offline.

Collected when the instructor builds the bundle, for the grading machine's Python (its
version and architecture, not the instructor's):

- bpgrade itself, built with pip from the files `source.py` lists (the course folded in by
  hatch_build.py, as in any regular install);
- every dependency, as binary wheels for that Python (`pip download --only-binary=:all:`);
- pip's own wheel, which installs the others where the image has no pip (a wheel of pip
  runs as `python pip-X.whl/pip install ...`);
- torch's CPU build and its dependencies, only where the course imports torch.

From the package index by default, or, with a wheelhouse (a folder of wheels), from that
folder alone, with pip's index switched off: a bundle can then be built without a network.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from grader.bundles.source import TORCH_INDEX, TORCH_VERSION, BundleError, SourceFile

PROJECT = "bpgrade"
TORCH_EXTRA = "torch"
# Every glibc these wheels may ask for, up to the newest the images we target have
# (Ubuntu 22.04: 2.35, Amazon Linux 2023: 2.34). pip does not widen a manylinux tag itself.
GLIBC_MINORS = range(17, 35)
ARCHITECTURES = ("x86_64", "aarch64")
_VERSION = re.compile(r"^3\.(1[1-9]|[2-9][0-9])$")  # bpgrade needs Python 3.11 or newer
PIP_TIMEOUT = 1800  # seconds: torch's wheel is large on a slow line


@dataclass(frozen=True)
class Target:
    """The Python on the grading machine that the wheels must fit."""

    pythons: tuple[str, ...]  # "3.11", ...: one set of binary wheels each
    arch: str = "x86_64"

    def __post_init__(self) -> None:
        if not self.pythons:
            raise BundleError("name at least one Python version for the grading machine")
        for version in self.pythons:
            if not _VERSION.match(version):
                raise BundleError(
                    f"{version!r} is not a Python version bpgrade runs on: give one like 3.12 "
                    "(3.11 or newer)"
                )
        if self.arch not in ARCHITECTURES:
            raise BundleError(
                f"{self.arch!r} is not an architecture wheels are fetched for: "
                f"{' or '.join(ARCHITECTURES)}"
            )

    def platforms(self) -> list[str]:
        tags = [f"manylinux_2_{minor}_{self.arch}" for minor in GLIBC_MINORS]
        return [*tags, f"manylinux2014_{self.arch}"]


def this_python() -> Target:
    """The Python running this, as a target: what the tests install into."""
    machine = platform.machine()
    return Target((f"{sys.version_info.major}.{sys.version_info.minor}",), machine)


@dataclass(frozen=True)
class Wheels:
    """The wheels of one bundle, in `folder`; `files` sorted by name."""

    folder: Path
    files: list[Path]
    project: str  # the file name of bpgrade's own wheel
    pip: str  # the file name of pip's wheel
    torch: bool
    target: Target

    @property
    def requirement(self) -> str:
        """What the grading machine installs: bpgrade, with torch where it is bundled."""
        return f"{PROJECT}[{TORCH_EXTRA}]" if self.torch else PROJECT


@contextmanager
def collect(
    sources: list[SourceFile],
    target: Target,
    *,
    torch: bool,
    wheelhouse: Path | None = None,
) -> Iterator[Wheels]:
    """Build bpgrade's wheel from `sources` and fetch every wheel it needs, into a
    temporary folder that lives as long as the `with` block."""
    if wheelhouse is not None and not Path(wheelhouse).is_dir():
        raise BundleError(f"the wheelhouse {wheelhouse} is not a folder")
    with tempfile.TemporaryDirectory(prefix="bpgrade-wheels-") as scratch:
        root = Path(scratch)
        project = _stage(sources, root / "project")
        built = _build_project(project, root / "built", wheelhouse)
        folder = root / "wheels"
        folder.mkdir()
        for version in target.pythons:
            _download(built, folder, version, target, torch=torch, wheelhouse=wheelhouse)
        # a wheel may be fetched for several versions: the folder holds it once
        files = sorted(p for p in folder.iterdir() if p.suffix == ".whl")
        yield Wheels(
            folder=folder,
            files=files,
            project=built.name,
            pip=_one(files, "pip"),
            torch=torch,
            target=target,
        )


def unpack(wheels: Wheels, version: str, target: Path, *, leave_out: frozenset[str]) -> None:
    """Install `wheels` for Python `version` into the folder `target` (no interpreter of
    that version needed here), all but the projects named in `leave_out`."""
    names = sorted({project_name(path) for path in wheels.files} - leave_out - {"pip"})
    _pip(
        [
            "install",
            "--target",
            str(target),
            "--no-deps",
            "--no-compile",  # bytecode of this Python would not fit the grading machine's
            *_binary_for(version, wheels.target),
            *_index(wheels.folder),
            *names,
        ]
    )


def project_name(wheel: Path) -> str:
    """A wheel's project, normalised as PEP 503 does: `pydantic_core-2...whl` is
    pydantic-core."""
    return re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()


def _stage(sources: list[SourceFile], target: Path) -> Path:
    for file in sources:
        destination = target / file.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file.path, destination)
    return target


def _build_project(project: Path, output: Path, wheelhouse: Path | None) -> Path:
    """bpgrade's wheel, built by pip (hatchling from the index, or from the wheelhouse)."""
    output.mkdir()
    _pip(["wheel", "--no-deps", "--wheel-dir", str(output), *_index(wheelhouse), str(project)])
    built = sorted(output.glob(f"{PROJECT}-*.whl"))
    if len(built) != 1:
        raise BundleError(f"pip built {len(built)} wheels of {PROJECT}, not one")
    return built[0]


def _download(
    project: Path,
    folder: Path,
    version: str,
    target: Target,
    *,
    torch: bool,
    wheelhouse: Path | None,
) -> None:
    requirements = [f"{project}[{TORCH_EXTRA}]" if torch else str(project), "pip"]
    options = ["download", "--dest", str(folder), *_binary_for(version, target)]
    options += _index(wheelhouse)
    if torch:
        requirements.append(f"torch=={TORCH_VERSION}")
        if wheelhouse is None:
            # the CPU build: PyPI's Linux wheel pulls in gigabytes of CUDA libraries
            options += ["--extra-index-url", TORCH_INDEX]
    _pip([*options, *requirements])


def _binary_for(version: str, target: Target) -> list[str]:
    """pip's options for wheels that fit CPython `version` on the target's platform."""
    return [
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        version,
        "--abi",
        f"cp{version.replace('.', '')}",
        *(option for tag in target.platforms() for option in ("--platform", tag)),
    ]


def _index(wheelhouse: Path | None) -> list[str]:
    if wheelhouse is None:
        return []
    return ["--no-index", "--find-links", str(Path(wheelhouse).resolve())]


def _pip(arguments: list[str]) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *arguments]
    environment = {**os.environ, "PIP_NO_INPUT": "1"}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=environment, timeout=PIP_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BundleError(f"pip could not run ({error})") from None
    if done.returncode != 0:
        detail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-12:])
        raise BundleError(f"pip {arguments[0]} failed:\n{detail}")


def _one(files: list[Path], name: str) -> str:
    found = [p.name for p in files if p.name.startswith(f"{name}-")]
    if len(found) != 1:
        raise BundleError(f"expected one wheel of {name}, found {len(found)}")
    return found[0]
