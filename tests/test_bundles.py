"""The autograder bundles: what they contain, their scripts run on folders laid out exactly as
Gradescope (/autograder) and PrairieLearn (/grade) lay them out, and, in the slow tier, each
bundle built from a local wheelhouse, installed with the network unused, and grading.

The fast tests need no wheels: a bundle is written from a handful of small, valid wheels made
here, and the scripts' install steps are skipped (setup.sh's BPGRADE_SKIP_INSTALL) or
unneeded (BPGRADE_BIN names a bpgrade that is already there). Every run points
BPGRADE_COURSE at a copy of the course, so that locking the solutions never touches this
checkout.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner

from grader.bundles import gradescope, prairielearn
from grader.bundles import wheels as bundled
from grader.bundles.source import PROJECT_FILES, BundleError, Limits, needs_torch, source_files
from grader.catalog import Catalog, load_catalog
from grader.cli import main
from grader.formats.gradescope import GradescopeResults
from grader.formats.prairielearn import PrairieLearnResults
from grader.platforms import gradescope_layout, prairielearn_layout

from .conftest import EXERCISES, ROOT, SOLUTIONS, course_total

BPGRADE = Path(sys.executable).with_name("bpgrade")
# and drivers/, where exercises have classes or callbacks (grader.drivers)
COURSE_FOLDERS = ("exercises", "solutions", "specs", "quizzes") + (
    ("drivers",) if (ROOT / "drivers").is_dir() else ()
)
SCHEMAS = Path(__file__).resolve().parent / "schemas"
TARGET = bundled.Target(("3.11",))


# ---------------------------------------------------------------- helpers and fixtures


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A copy of this course, safe to lock and to add files to."""
    copy = tmp_path / "course"
    for folder in COURSE_FOLDERS:
        shutil.copytree(ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def make_wheel(folder: Path, project: str, version: str = "1.0", tag: str = "py3-none-any") -> Path:
    """A small wheel that pip installs: one module and the metadata PEP 427 asks for."""
    module = project.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n"
    wheel = f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n"
    files = {
        f"{module}.py": b"",
        f"{dist_info}/METADATA": metadata.encode(),
        f"{dist_info}/WHEEL": wheel.encode(),
    }
    record = "".join(
        f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}\n"
        for name, data in files.items()
    )
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return path


def small_wheels(
    folder: Path, target: bundled.Target = TARGET, torch: bool = False
) -> bundled.Wheels:
    """Wheels as `collect` hands them over, small enough to write a bundle in a moment."""
    files = [
        make_wheel(folder, "bpgrade", "0.1.0"),
        make_wheel(folder, "pip", "26.0"),
        make_wheel(folder, "numpy", "2.0"),
        make_wheel(folder, "pydantic", "2.0"),
    ]
    return bundled.Wheels(
        folder=folder,
        files=sorted(files),
        project=files[0].name,
        pip=files[1].name,
        torch=torch,
        target=target,
    )


@pytest.fixture
def wheels(tmp_path: Path) -> bundled.Wheels:
    return small_wheels(tmp_path / "wheels")


@pytest.fixture
def bundle(tmp_path: Path, wheels: bundled.Wheels) -> gradescope.GradescopeBundle:
    return gradescope.write(tmp_path / "out" / "autograder.zip", wheels)


def unzip(archive: Path, target: Path) -> None:
    """Unpack keeping the mode bits, as Gradescope does (zipfile.extractall drops them)."""
    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            opened.extract(info, target)
            mode = info.external_attr >> 16
            if mode:
                (target / info.filename).chmod(stat.S_IMODE(mode))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def submission_metadata(users: list[dict[str, Any]]) -> dict[str, Any]:
    """submission_metadata.json as Gradescope's autograder docs show it."""
    total = course_total(load_catalog(EXERCISES / "catalog.toml"))
    return {
        "id": 123456,
        "created_at": "2026-07-01T14:22:32.365935-07:00",
        "assignment": {
            "id": 25828,
            "course_id": 1234,
            "title": "Backprop",
            "total_points": f"{total:.1f}",
        },
        "submission_method": "upload",
        "users": users,
        "previous_submissions": [],
    }


def gradescope_machine(
    tmp_path: Path, archive: Path, submission: list[Path], users: list[dict[str, Any]]
) -> Path:
    """/autograder after Gradescope built the image and received a submission."""
    layout = gradescope_layout(tmp_path / "autograder")
    if not layout.source.exists():
        unzip(archive, layout.source)
    shutil.copy2(layout.source / "run_autograder", layout.root / "run_autograder")
    shutil.rmtree(layout.submission, ignore_errors=True)
    layout.submission.mkdir()
    for file in submission:
        shutil.copy(file, layout.submission / file.name)
    layout.metadata.write_text(json.dumps(submission_metadata(users)))
    layout.results.parent.mkdir(exist_ok=True)
    return layout.root


def prairielearn_job(tmp_path: Path, built: Path, student: list[Path], seed: int) -> Path:
    """/grade as PrairieLearn's external grader lays it out for one submission."""
    layout = prairielearn_layout(tmp_path / "grade")
    shutil.copytree(built / "serverFilesCourse" / "bpgrade", layout.server_files / "bpgrade")
    layout.student.mkdir(parents=True)
    for file in student:
        shutil.copy(file, layout.student / file.name)
    layout.data.parent.mkdir()
    data = {"params": {}, "correct_answers": {}, "submitted_answers": {}, "variant_seed": seed}
    layout.data.write_text(json.dumps(data))
    (layout.root / "tests").mkdir()
    return layout.root


def fake_bpgrade(folder: Path, mode: str = "write") -> Path:
    """A stand-in for bpgrade that logs its arguments and writes (or fails to write) a
    results file; `autograder student-id` is handed to the real bpgrade."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "bpgrade"
    script.write_text(
        f"""#!{sys.executable}
import json, subprocess, sys
args = sys.argv[1:]
with open({str(folder / "calls.jsonl")!r}, "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[:2] == ["autograder", "student-id"]:
    sys.exit(subprocess.call([{str(BPGRADE)!r}, *args]))
if args[:2] == ["autograder", "lock"]:
    sys.exit(0)
if {mode!r} == "crash":
    sys.exit(3)
import os
with open(os.environ["BPGRADE_OUTPUT"], "w") as out:
    out.write("{{not json" if {mode!r} == "garbage" else json.dumps({{"score": 7.0, "tests": []}}))
sys.exit(1)
"""
    )
    script.chmod(0o755)
    return script


def calls(fake: Path) -> list[list[str]]:
    log = fake.with_name("calls.jsonl")
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def run(
    script: Path, course: Path | None, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    if course is not None:
        environment["BPGRADE_COURSE"] = str(course)
    return subprocess.run(
        [str(script), *args], env=environment, capture_output=True, text=True, timeout=600
    )


def results(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


# ---------------------------------------------------------------- what a bundle is built from


def test_bpgrade_is_built_from_the_project_files_the_grader_and_the_course(course: Path) -> None:
    names = {f.name for f in source_files(course=course)}
    # hatch_build.py: pyproject.toml names it as the build hook, so no install works without
    assert {"pyproject.toml", "README.md", "hatch_build.py"} <= names
    assert set(PROJECT_FILES) <= names
    for required in (
        "grader/cli/autograder.py",
        "exercises/catalog.toml",
        "solutions/exercise03_linear.py",
    ):
        assert required in names
    forbidden = ("tests/", ".venv/", ".git/", ".bpgrade/", "benchmarks/", "grader/_course/")
    assert not [n for n in names if n.startswith(forbidden)]
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]


@pytest.mark.parametrize("version", ["3.10", "2.7", "3", "3.11.4", "", "3.11; rm -rf /"])
def test_a_python_bpgrade_does_not_run_on_is_refused(version: str) -> None:
    with pytest.raises(BundleError):
        bundled.Target((version,))


def test_an_unknown_architecture_is_refused() -> None:
    with pytest.raises(BundleError):
        bundled.Target(("3.12",), "sparc")


def test_the_target_asks_for_every_manylinux_glibc_up_to_the_images() -> None:
    platforms = bundled.Target(("3.13",)).platforms()
    assert "manylinux2014_x86_64" in platforms
    assert {"manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64"} <= set(
        platforms
    )
    assert not [p for p in platforms if "aarch64" in p]


def test_a_wheelhouse_without_what_bpgrade_needs_says_so(tmp_path: Path, course: Path) -> None:
    # no hatchling, no pydantic: pip, offline, must fail, and the instructor read why
    wheelhouse = tmp_path / "wheelhouse"
    make_wheel(wheelhouse, "click", "8.1.0")
    with (
        pytest.raises(BundleError, match="pip wheel failed"),
        bundled.collect(source_files(course=course), TARGET, torch=False, wheelhouse=wheelhouse),
    ):
        pass


def test_a_wheelhouse_that_is_not_a_folder_is_refused(tmp_path: Path, course: Path) -> None:
    with (
        pytest.raises(BundleError, match="not a folder"),
        bundled.collect(
            source_files(course=course), TARGET, torch=False, wheelhouse=tmp_path / "no"
        ),
    ):
        pass


# ---------------------------------------------------------------- the Gradescope zip


def test_the_zip_holds_the_scripts_and_the_wheels_only(
    bundle: gradescope.GradescopeBundle, wheels: bundled.Wheels
) -> None:
    with zipfile.ZipFile(bundle.path) as archive:
        names = archive.namelist()
        stored = {i.filename: i.compress_type for i in archive.infolist()}
    assert len(names) == len(set(names))
    expected = {"setup.sh", "run_autograder", *(f"wheels/{w.name}" for w in wheels.files)}
    assert set(names) == expected == set(bundle.entries)
    # a wheel is a zip already
    assert {stored[n] for n in names if n.startswith("wheels/")} == {zipfile.ZIP_STORED}


def test_the_scripts_are_executable_and_nothing_else_is(
    bundle: gradescope.GradescopeBundle,
) -> None:
    with zipfile.ZipFile(bundle.path) as archive:
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert modes.pop("setup.sh") == modes.pop("run_autograder") == 0o100755
    assert set(modes.values()) == {0o100644}


def test_the_zip_is_reproducible(tmp_path: Path, wheels: bundled.Wheels) -> None:
    first = gradescope.write(tmp_path / "one.zip", wheels)
    second = gradescope.write(tmp_path / "two.zip", wheels)
    assert first.path.read_bytes() == second.path.read_bytes()


def test_setup_installs_from_the_bundled_wheels_with_the_index_switched_off(
    wheels: bundled.Wheels,
) -> None:
    setup = gradescope.setup_script(wheels)
    install = '"$VENV/bin/python" "$PIP_WHEEL/pip" install'
    assert install in setup
    line = setup[setup.index(install) : setup.index('"bpgrade"', setup.index(install))]
    assert "--no-index" in line and '--find-links "$WHEELS"' in line
    assert f'PIP_WHEEL="$WHEELS/{wheels.pip}"' in setup
    assert "VERSIONS=(3.11)" in setup
    assert "://" not in setup  # no URL at all: nothing is fetched from anywhere but apt
    assert " -e " not in setup and "--editable" not in setup
    assert 'chmod -R go-rwx "$SOURCE"' in setup


def test_setup_installs_torch_from_the_wheels_when_the_course_needs_it(tmp_path: Path) -> None:
    with_torch = small_wheels(tmp_path / "w", bundled.Target(("3.11", "3.12")), torch=True)
    setup = gradescope.setup_script(with_torch)
    assert '"bpgrade[torch]"' in setup
    assert "VERSIONS=(3.11 3.12)" in setup


def _built_setup(tmp_path: Path, course: Path) -> tuple[bool, str]:
    built = gradescope.build(
        tmp_path / "autograder.zip", course=course, wheelhouse=tmp_path / "wheelhouse"
    )
    with zipfile.ZipFile(built.path) as archive:
        return built.installs_torch, archive.read(gradescope.SETUP).decode("utf-8")


def test_setup_installs_torch_for_this_course(tmp_path: Path, collected: list[Any]) -> None:
    """The setup.sh built for this course (its wheels from `small_wheels`, with the torch
    `build` asked for) installs torch because exercise09 runs with it, and only then."""
    assert needs_torch(ROOT)
    installs_torch, setup = _built_setup(tmp_path, ROOT)
    assert installs_torch
    assert '"bpgrade[torch]"' in setup


def test_setup_installs_no_torch_for_a_numpy_course(
    tmp_path: Path, course: Path, collected: list[Any]
) -> None:
    """Without a torch runtime in its catalog a course's setup.sh installs bpgrade alone
    (exercise04's docstring mentions torch.nn.functional, exercise09's imports torch)."""
    _with_runtime(course, "exercise09", "numpy")
    assert not needs_torch(course)
    installs_torch, setup = _built_setup(tmp_path, course)
    assert not installs_torch
    assert '--find-links "$WHEELS" "bpgrade"\n' in setup
    assert "torch" not in setup


def _with_runtime(course: Path, name: str, runtime: str) -> None:
    """Give the course's exercise `name` a runtime in its catalog (in place of its own)."""
    path = course / "exercises" / "catalog.toml"
    text = path.read_text()
    anchor = f'name = "{name}"\n'
    assert anchor in text
    head, _, rest = text.partition(anchor)
    end = rest.find("[[")  # the exercise's own table ends where its checks begin
    block = re.sub(r'(?m)^runtime = "[a-z]+"\n', "", rest[:end])
    path.write_text(f'{head}{anchor}runtime = "{runtime}"\n{block}{rest[end:]}')


def test_a_course_with_a_torch_exercise_needs_torch(course: Path) -> None:
    """From the catalog's runtimes: one torch exercise is enough."""
    _with_runtime(course, "exercise09", "numpy")
    assert not needs_torch(course)
    _with_runtime(course, "exercise03", "torch")
    assert needs_torch(course)


def test_imports_of_torch_do_not_make_a_course_need_it(course: Path) -> None:
    """A NumPy exercise's files may import or mention torch (a docstring's comparison, a
    solution that checks itself against torch.nn.Linear): the catalog decides, not a scan."""
    (course / "solutions" / "extra.py").write_text("import torch\n")
    (course / "exercises" / "exercise06_torch.py").write_text("import torch.nn.functional as F\n")
    _with_runtime(course, "exercise03", "numpy")
    _with_runtime(course, "exercise09", "numpy")
    assert not needs_torch(course)


def test_the_drivers_folder_ships_where_the_course_has_one(course: Path) -> None:
    assert "drivers/exercise09.py" in {f.name for f in source_files(course=course)}
    shutil.rmtree(course / "drivers", ignore_errors=True)  # a course of plain functions only
    names = {f.name for f in source_files(course=course)}
    assert not any(name.startswith("drivers/") for name in names)
    (course / "drivers").mkdir()
    (course / "drivers" / "exercise03.py").write_text("def drive(module):\n    return 1\n")
    names = {f.name for f in source_files(course=course)}
    assert "drivers/exercise03.py" in names


def test_the_limits_reach_run_autograder() -> None:
    script = gradescope.run_autograder_script(Limits(timeout=25, memory="2GiB"))
    assert "--timeout 25 --memory 2GiB" in script


@pytest.mark.parametrize("memory", ["", "1 GiB", "1GiB; rm -rf /", "$(id)"])
def test_a_memory_size_that_is_not_one_is_refused(memory: str) -> None:
    with pytest.raises(BundleError):
        Limits(memory=memory)


def test_the_scripts_are_valid_bash(tmp_path: Path, wheels: bundled.Wheels) -> None:
    scripts = {
        "setup.sh": gradescope.setup_script(wheels),
        "run_autograder": gradescope.run_autograder_script(Limits()),
        "grade.sh": prairielearn.grade_script(TARGET, Limits()),
    }
    for name, text in scripts.items():
        path = tmp_path / name
        path.write_text(text)
        checked = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, (name, checked.stderr)
        if shutil.which("shellcheck"):
            linted = subprocess.run(["shellcheck", str(path)], capture_output=True, text=True)
            assert linted.returncode == 0, (name, linted.stdout)


# ---------------------------------------------------------------- setup.sh and run_autograder


def test_setup_locks_the_source_copy_and_the_installed_course(
    tmp_path: Path, bundle: gradescope.GradescopeBundle, course: Path
) -> None:
    root = tmp_path / "autograder"
    unzip(bundle.path, root / "source")
    fake = fake_bpgrade(tmp_path / "venv" / "bin")

    done = run(
        root / "source" / "setup.sh",
        course,
        AUTOGRADER_ROOT=str(root),
        BPGRADE_VENV=str(tmp_path / "venv"),
        BPGRADE_SKIP_INSTALL="1",
    )

    assert done.returncode == 0, done.stderr
    assert ["autograder", "lock"] in calls(fake)
    for path in [root / "source", *(root / "source").rglob("*")]:
        assert mode_of(path) & 0o077 == 0, path


def test_run_autograder_passes_the_submission_and_the_student(
    tmp_path: Path, bundle: gradescope.GradescopeBundle, course: Path
) -> None:
    users = [{"email": "s@example.com", "id": 1234, "name": "S"}]
    root = gradescope_machine(tmp_path, bundle.path, [SOLUTIONS / "exercise03_linear.py"], users)
    fake = fake_bpgrade(tmp_path / "bin")

    done = run(root / "run_autograder", course, AUTOGRADER_ROOT=str(root), BPGRADE_BIN=str(fake))

    assert done.returncode == 0, done.stderr
    assert results(root / "results" / "results.json") == {"score": 7.0, "tests": []}
    check = [c for c in calls(fake) if c[0] == "check"]
    assert check == [
        [
            "check", "--all",
            "--dir", str(root / "submission"),
            "--format", "gradescope",
            "--timeout", "10", "--memory", "1GiB",
            "--student-id", "1234",
        ]
    ]  # fmt: skip


@pytest.mark.parametrize("mode", ["crash", "garbage"])
def test_run_autograder_always_leaves_valid_results(
    tmp_path: Path, bundle: gradescope.GradescopeBundle, course: Path, mode: str
) -> None:
    root = gradescope_machine(tmp_path, bundle.path, [], users=[])
    fake = fake_bpgrade(tmp_path / "bin", mode)
    (root / "results" / "results.json").write_text('{"score": 100.0}')  # stale: never kept

    done = run(root / "run_autograder", course, AUTOGRADER_ROOT=str(root), BPGRADE_BIN=str(fake))

    assert done.returncode == 0
    written = results(root / "results" / "results.json")
    assert written["score"] == 0.0 and written["tests"] == []
    assert "could not grade this submission" in written["output"]
    assert "--student-id" not in calls(fake)[-1]  # no users: no identity


def test_run_autograder_without_bpgrade_still_writes_results(
    tmp_path: Path, bundle: gradescope.GradescopeBundle, course: Path
) -> None:
    root = gradescope_machine(tmp_path, bundle.path, [], users=[])
    done = run(
        root / "run_autograder",
        course,
        AUTOGRADER_ROOT=str(root),
        BPGRADE_VENV=str(tmp_path / "never-installed"),
    )
    assert done.returncode == 0
    written = results(root / "results" / "results.json")
    assert written["score"] == 0.0
    assert "not installed" in written["output"]


def test_run_autograder_grades_a_gradescope_submission_end_to_end(
    tmp_path: Path, bundle: gradescope.GradescopeBundle, course: Path, catalog: Catalog
) -> None:
    users = [{"email": "s@example.com", "id": 1234, "name": "S"}]
    root = gradescope_machine(tmp_path, bundle.path, sorted(SOLUTIONS.glob("exercise*.py")), users)

    done = run(root / "run_autograder", course, AUTOGRADER_ROOT=str(root), BPGRADE_BIN=str(BPGRADE))

    assert done.returncode == 0, done.stderr
    written = results(root / "results" / "results.json")
    assert "could not grade" not in written.get("output", "")
    assert written["tests"]
    assert written["score"] == pytest.approx(sum(e.max_score for e in catalog.exercises))


# ---------------------------------------------------------------- PrairieLearn


@pytest.fixture(scope="module")
def pl_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A PrairieLearn course part written once (unpacking wheels takes pip a moment): the
    course it was made from, and the part."""
    root = tmp_path_factory.mktemp("pl")
    course = root / "course"
    for folder in COURSE_FOLDERS:
        shutil.copytree(
            ROOT / folder, course / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    part = root / "part"
    prairielearn.write(part, small_wheels(root / "wheels"), course=course)
    return course, part


@pytest.fixture
def pl_course(tmp_path: Path, pl_template: tuple[Path, Path]) -> Path:
    """An existing PrairieLearn course repository that bpgrade's files were added to."""
    root = tmp_path / "pl-course"
    shutil.copytree(pl_template[1], root)
    (root / "questions" / "mine").mkdir(parents=True)
    (root / "infoCourse.json").write_text('{"name": "ML 101"}\n')
    (root / "questions" / "mine" / "info.json").write_text('{"uuid": "keep-me"}\n')
    return root


def test_prairielearn_layout(pl_course: Path, catalog: Catalog) -> None:
    server_files = pl_course / "serverFilesCourse" / "bpgrade"
    assert mode_of(server_files / "grade.sh") == 0o755
    assert sorted(p.name for p in server_files.iterdir()) == ["grade.sh", "site"]
    site = server_files / "site" / "3.11"
    assert (site / "bpgrade.py").is_file() and (site / "pydantic.py").is_file()
    # learner code imports NumPy in its sandbox, from the image: never from the course part
    assert not list(site.glob("numpy*")) and not list(site.glob("pip*"))
    questions = sorted(p.name for p in (pl_course / "questions" / "bpgrade").iterdir())
    assert questions == [e.name for e in catalog.exercises]


def test_regenerating_leaves_the_instructors_own_files_alone(
    pl_course: Path, pl_template: tuple[Path, Path], tmp_path: Path
) -> None:
    prairielearn.write(pl_course, small_wheels(tmp_path / "w"), course=pl_template[0])
    assert (pl_course / "infoCourse.json").read_text() == '{"name": "ML 101"}\n'
    assert (pl_course / "questions" / "mine" / "info.json").read_text() == '{"uuid": "keep-me"}\n'


def test_prairielearn_info_json_follows_the_external_grading_docs(
    pl_course: Path, catalog: Catalog
) -> None:
    for entry in catalog.exercises:
        info = json.loads(
            (pl_course / "questions" / "bpgrade" / entry.name / "info.json").read_text()
        )
        uuid.UUID(info["uuid"])
        assert info["type"] == "v3"
        assert info["gradingMethod"] == "External"
        assert info["title"].startswith(entry.name)
        options = info["externalGradingOptions"]
        assert options["enabled"] is True
        assert options["image"] == "prairielearn/grader-python"
        assert options["serverFilesCourse"] == ["bpgrade/"]
        program, argument = options["entrypoint"].split()
        assert program == "/grade/serverFilesCourse/bpgrade/grade.sh" and argument == entry.name
        assert (
            pl_course / "serverFilesCourse" / program.removeprefix("/grade/serverFilesCourse/")
        ).is_file()
        assert isinstance(options["timeout"], int) and 0 < options["timeout"] <= 600
        # PrairieLearn's default, no network: a job installs nothing
        assert "enableNetworking" not in options


def test_prairielearn_question_uploads_the_exercise_file(pl_course: Path, catalog: Catalog) -> None:
    for entry in catalog.exercises:
        folder = pl_course / "questions" / "bpgrade" / entry.name
        page = (folder / "question.html").read_text()
        assert f'<pl-file-upload file-names="{entry.file}"></pl-file-upload>' in page
        assert f'<pl-file-download file-name="{entry.file}"></pl-file-download>' in page
        assert "<pl-external-grader-results></pl-external-grader-results>" in page
        stubs = list((folder / "clientFilesQuestion").iterdir())
        assert stubs == [folder / "clientFilesQuestion" / entry.file]
        assert stubs[0].read_bytes() == (EXERCISES / entry.file).read_bytes()


def test_prairielearn_questions_hold_no_solution(pl_course: Path) -> None:
    solutions = {p.read_bytes() for p in SOLUTIONS.glob("*.py")}
    shipped = [p for p in (pl_course / "questions").rglob("*") if p.is_file()]
    assert not [p for p in shipped if p.read_bytes() in solutions]


def test_regenerating_keeps_each_question_uuid(
    pl_course: Path, pl_template: tuple[Path, Path], tmp_path: Path
) -> None:
    def uuids() -> dict[str, str]:
        infos = (pl_course / "questions" / "bpgrade").glob("*/info.json")
        return {p.parent.name: json.loads(p.read_text())["uuid"] for p in infos}

    before = uuids()
    prairielearn.write(pl_course, small_wheels(tmp_path / "w"), course=pl_template[0])
    assert uuids() == before
    assert len(set(before.values())) == len(before)


def test_a_grading_image_of_ones_own(tmp_path: Path, course: Path, wheels: bundled.Wheels) -> None:
    options = prairielearn.Options(image="myuni/bpgrade-grader:1")
    built = prairielearn.write(tmp_path / "pl", wheels, options, course=course)
    info = json.loads((built.questions[0] / "info.json").read_text())
    assert info["externalGradingOptions"]["image"] == "myuni/bpgrade-grader:1"
    assert "enableNetworking" not in info["externalGradingOptions"]


@pytest.mark.parametrize("make", [lambda: prairielearn.Options(job_timeout=0),
                                  lambda: prairielearn.Options(job_timeout=601),
                                  lambda: prairielearn.Options(job_timeout=10)])  # fmt: skip
def test_prairielearn_job_timeouts_out_of_range_are_refused(make: Callable[[], object]) -> None:
    with pytest.raises(BundleError):
        make()


def test_grade_sh_locks_then_grades_the_student_folder(
    tmp_path: Path, pl_course: Path, course: Path
) -> None:
    job = prairielearn_job(
        tmp_path, pl_course, [SOLUTIONS / "exercise03_linear.py"], seed=1848203611
    )
    fake = fake_bpgrade(tmp_path / "bin")
    entrypoint = job / "serverFilesCourse" / "bpgrade" / "grade.sh"

    done = run(entrypoint, course, "exercise03", PL_GRADE_ROOT=str(job), BPGRADE_BIN=str(fake))

    assert done.returncode == 0, done.stderr
    assert results(job / "results" / "results.json") == {"score": 7.0, "tests": []}
    made = calls(fake)
    assert made.index(["autograder", "lock"]) < next(
        i for i, c in enumerate(made) if c[0] == "check"
    )
    assert [c for c in made if c[0] == "check"] == [
        [
            "check", "exercise03",
            "--dir", str(job / "student"),
            "--format", "prairielearn",
            "--timeout", "10", "--memory", "1GiB",
            "--student-id", "1848203611",
        ]
    ]  # fmt: skip
    for folder in ("serverFilesCourse", "data", "tests"):
        assert mode_of(job / folder) & 0o077 == 0, folder


@pytest.mark.parametrize("mode", ["crash", "garbage"])
def test_grade_sh_always_leaves_valid_results(
    tmp_path: Path, pl_course: Path, course: Path, mode: str
) -> None:
    job = prairielearn_job(tmp_path, pl_course, [], seed=1)
    fake = fake_bpgrade(tmp_path / "bin", mode)
    entrypoint = job / "serverFilesCourse" / "bpgrade" / "grade.sh"

    done = run(entrypoint, course, "exercise03", PL_GRADE_ROOT=str(job), BPGRADE_BIN=str(fake))

    assert done.returncode == 0
    written = results(job / "results" / "results.json")
    assert written["gradable"] is False
    assert "could not grade" in written["message"]


def fake_python(folder: Path, version: str, numpy: bool = True) -> Path:
    """An image's python3 that says its version, and may lack NumPy."""
    folder.mkdir(parents=True, exist_ok=True)
    python = folder / "python3"
    python.write_text(
        f"""#!{sys.executable}
import sys
code = sys.argv[2] if len(sys.argv) > 2 else ""
if "version_info" in code:
    print({version!r})
elif "import numpy" in code and not {numpy!r}:
    sys.exit("ModuleNotFoundError: No module named 'numpy'")
"""
    )
    python.chmod(0o755)
    return python


def test_grade_sh_without_an_exercise(tmp_path: Path, pl_course: Path, course: Path) -> None:
    job = prairielearn_job(tmp_path, pl_course, [], seed=1)
    entrypoint = job / "serverFilesCourse" / "bpgrade" / "grade.sh"
    fake = fake_bpgrade(tmp_path / "bin")

    run(entrypoint, course, PL_GRADE_ROOT=str(job), BPGRADE_BIN=str(fake))

    written = results(job / "results" / "results.json")
    assert written["gradable"] is False and "names no exercise" in written["message"]


@pytest.mark.parametrize(
    ("version", "numpy", "said"),
    [
        ("3.14", True, "the grading image runs Python 3.14"),
        # exercise09 runs with torch, so the course needs it on the image too
        ("3.11", False, "lacks a package learner code needs (numpy, torch)"),
    ],
)
def test_grade_sh_on_an_image_the_course_part_does_not_fit(
    tmp_path: Path, pl_course: Path, course: Path, version: str, numpy: bool, said: str
) -> None:
    job = prairielearn_job(tmp_path, pl_course, [SOLUTIONS / "exercise03_linear.py"], seed=1)
    entrypoint = job / "serverFilesCourse" / "bpgrade" / "grade.sh"
    python = fake_python(tmp_path / "image", version, numpy)

    done = run(
        entrypoint,
        course,
        "exercise03",
        PL_GRADE_ROOT=str(job),
        BPGRADE_PYTHON=str(python),
        PATH=f"{python.parent}:/usr/bin:/bin",  # no bpgrade on it
    )

    written = results(job / "results" / "results.json")
    assert written["gradable"] is False
    assert said in written["message"]
    if version != "3.11":
        assert "--python 3.14" in done.stderr  # the instructor's fix, in the job's log


def test_grade_sh_grades_a_prairielearn_submission_end_to_end(
    tmp_path: Path, pl_course: Path, course: Path
) -> None:
    job = prairielearn_job(tmp_path, pl_course, [SOLUTIONS / "exercise03_linear.py"], seed=7)
    entrypoint = job / "serverFilesCourse" / "bpgrade" / "grade.sh"

    done = run(entrypoint, course, "exercise03", PL_GRADE_ROOT=str(job), BPGRADE_BIN=str(BPGRADE))

    assert done.returncode == 0, done.stderr
    written = results(job / "results" / "results.json")
    assert written.get("gradable", True) is True
    assert written["score"] == pytest.approx(1.0)


# ---------------------------------------------------------------- the command


@pytest.fixture
def collected(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[bundled.Target]:
    """The wheels the command asks for come from `small_wheels`; returns the targets asked."""
    asked: list[bundled.Target] = []

    @contextmanager
    def collect(
        sources: list[Any], target: bundled.Target, *, torch: bool, wheelhouse: Path | None
    ) -> Iterator[bundled.Wheels]:
        assert wheelhouse == tmp_path / "wheelhouse"
        asked.append(target)
        yield small_wheels(tmp_path / f"w{len(asked)}", target, torch)

    monkeypatch.setattr(bundled, "collect", collect)
    (tmp_path / "wheelhouse").mkdir()
    return asked


def test_cli_builds_both_bundles(tmp_path: Path, course: Path, collected: list[Any]) -> None:
    runner = CliRunner()
    env = {"BPGRADE_COURSE": str(course)}
    house = ["--wheelhouse", str(tmp_path / "wheelhouse")]
    zipped = runner.invoke(
        main, ["autograder", "gradescope", "-o", str(tmp_path / "ag.zip"), *house], env=env
    )
    assert zipped.exit_code == 0, zipped.output
    assert f"Wrote {tmp_path / 'ag.zip'}" in zipped.output and "with torch" in zipped.output
    assert "for Python 3.11 (x86_64)" in zipped.output
    assert zipfile.is_zipfile(tmp_path / "ag.zip")

    pl = runner.invoke(
        main,
        ["autograder", "prairielearn", "-o", str(tmp_path / "pl"), "--python", "3.12",
         "--python", "3.13", *house],
        env=env,
    )  # fmt: skip
    assert pl.exit_code == 0, pl.output
    assert (tmp_path / "pl" / "questions" / "bpgrade" / "exercise01" / "info.json").is_file()
    assert collected == [bundled.Target(("3.11",)), bundled.Target(("3.12", "3.13"))]
    sites = sorted(
        p.name for p in (tmp_path / "pl" / "serverFilesCourse" / "bpgrade" / "site").iterdir()
    )
    assert sites == ["3.12", "3.13"]


def test_cli_refuses_bad_limits_and_pythons(tmp_path: Path, course: Path) -> None:
    runner = CliRunner()
    env = {"BPGRADE_COURSE": str(course)}
    bad = runner.invoke(
        main,
        ["autograder", "gradescope", "-o", str(tmp_path / "a.zip"), "--memory", "lots"],
        env=env,
    )
    assert bad.exit_code == 2
    assert not (tmp_path / "a.zip").exists()
    short = runner.invoke(
        main,
        ["autograder", "prairielearn", "-o", str(tmp_path / "pl"), "--job-timeout", "5"],
        env=env,
    )
    assert short.exit_code == 2 and "job timeout" in short.output
    old = runner.invoke(
        main,
        ["autograder", "gradescope", "-o", str(tmp_path / "a.zip"), "--python", "3.10"],
        env=env,
    )
    assert old.exit_code == 2 and "3.11 or newer" in old.output
    assert not (tmp_path / "a.zip").exists()


def test_cli_student_id_and_lock(tmp_path: Path, course: Path) -> None:
    runner = CliRunner()
    (tmp_path / "submission").mkdir()
    none = runner.invoke(main, ["autograder", "student-id", str(tmp_path / "submission")])
    assert none.exit_code == 1 and none.output == ""
    (tmp_path / "submission_metadata.json").write_text(json.dumps({"users": [{"id": 42}]}))
    found = runner.invoke(main, ["autograder", "student-id", str(tmp_path / "submission")])
    assert found.exit_code == 0 and found.output == "42\n"

    locked = runner.invoke(main, ["autograder", "lock"], env={"BPGRADE_COURSE": str(course)})
    assert locked.exit_code == 0, locked.output
    assert mode_of(course / "solutions" / "exercise03_linear.py") & 0o077 == 0


# -------------------------------------------- slow: built, installed offline, graded
#
# Each bundle is built from a local wheelhouse, installed from its own files into a fresh
# environment with the network unused, and run as its platform runs it. The wheelhouse:
# BPGRADE_WHEELHOUSE (CI fetches one in .ci/run, where the registry is reachable), else one
# made from the local package indexes pip is configured with (file:// URLs and find-links
# folders), never from the network.

# (torch: the course has a torch exercise, so its bundles install torch, or the image has it)
WHEELHOUSE_NEEDS = ("pip", "hatchling", "numpy", "click", "pydantic", "torch==2.13.0")


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("BPGRADE_WHEELHOUSE")
    if given:
        # CI sets it: a missing wheelhouse there is a failure, never a skip
        assert Path(given).is_dir(), f"BPGRADE_WHEELHOUSE={given} is not a folder"
        return Path(given)
    local = _local_indexes()
    if not local:
        pytest.skip(
            "no wheelhouse: set BPGRADE_WHEELHOUSE to a folder holding wheels of "
            f"{' '.join(WHEELHOUSE_NEEDS)} and their dependencies for this Python "
            "(`pip download -d DIR ...`, as .ci/run does); pip has no local index here"
        )
    folder = tmp_path_factory.mktemp("wheelhouse")
    done = subprocess.run(
        [*_offline(), sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
         "--dest", str(folder), *local, *WHEELHOUSE_NEEDS],
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull, **_DEAD_PROXIES},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"pip's local indexes do not hold what bpgrade needs: {done.stderr[-300:]}")
    return folder


def _local_indexes() -> list[str]:
    """pip's configured indexes and find-links that lie on this machine, as options."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True
    ).stdout
    indexes: list[str] = []
    links: list[str] = []
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        for item in value.strip().strip("'\"").split():
            if key.endswith("index-url") and item.startswith("file://") and item not in indexes:
                indexes.append(item)
            elif key.endswith("find-links") and Path(item.removeprefix("file://")).is_dir():
                links += [] if item in links else [item]
    if not indexes and not links:
        return []
    # the first local index replaces pip's default one, which is on the network
    options = ["--index-url", indexes[0]] if indexes else ["--no-index"]
    options += [o for index in indexes[1:] for o in ("--extra-index-url", index)]
    return options + [o for link in links for o in ("--find-links", link)]


# Any attempt to reach the network fails at once, also where no network namespace can be
# made: every proxy points at a closed port.
_DEAD_PROXIES = {
    name: "http://127.0.0.1:9"
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")
}
# and pip, told to use no index, would not try
_NO_NETWORK = {"PIP_NO_INDEX": "1", **_DEAD_PROXIES}


def _offline() -> list[str]:
    """A prefix that runs a command without a network: a network namespace of its own, as
    root where `unshare` can make one."""
    unshare = shutil.which("unshare")
    if os.geteuid() == 0 and unshare:
        probe = subprocess.run([unshare, "-n", "true"], capture_output=True)
        if probe.returncode == 0:
            return [unshare, "-n"]
    return []


def run_offline(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **_NO_NETWORK, **env}
    environment.pop("BPGRADE_COURSE", None)  # the installed course is the one graded
    return subprocess.run(
        [*_offline(), *command], env=environment, capture_output=True, text=True, timeout=900
    )


def base_python() -> str:
    """The interpreter under this virtual environment: a fresh one is made from it."""
    return str(getattr(sys, "_base_executable", sys.executable))


def validate(data: dict[str, Any], platform: str) -> None:
    schema = json.loads((SCHEMAS / f"{platform}.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)


@pytest.mark.slow
def test_the_gradescope_zip_installs_offline_and_grades_a_submission(
    tmp_path: Path, wheelhouse: Path, catalog: Catalog
) -> None:
    built = gradescope.build(
        tmp_path / "autograder.zip", target=bundled.this_python(), wheelhouse=wheelhouse
    )
    layout = gradescope_layout(tmp_path / "autograder")
    unzip(built.path, layout.source)
    venv = tmp_path / "opt-bpgrade"

    setup = run_offline(
        ["bash", str(layout.source / "setup.sh")],
        AUTOGRADER_ROOT=str(layout.root), BPGRADE_VENV=str(venv), BPGRADE_PYTHON=base_python(),
    )  # fmt: skip
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-2000:]
    total = course_total(catalog)
    assert f"Total: {total:g}/{total:g}" in setup.stdout  # the self-test, in the new environment

    mistaken = tmp_path / "exercise03_linear.py"
    reference = (SOLUTIONS / "exercise03_linear.py").read_text()
    mistaken.write_text(reference.replace("    dW = dZ.T @ X", "    dW = X.T @ dZ"))
    assert mistaken.read_text() != reference
    others = [SOLUTIONS / e.file for e in catalog.exercises if e.file != mistaken.name]
    files = [*others, mistaken]
    users = [{"email": "s@example.com", "id": 1234, "name": "S"}]
    root = gradescope_machine(tmp_path, built.path, files, users)

    graded = run_offline(
        [str(root / "run_autograder")], AUTOGRADER_ROOT=str(root), BPGRADE_VENV=str(venv)
    )

    assert graded.returncode == 0, graded.stderr[-2000:]
    data = results(layout.results)
    validate(data, "gradescope")
    GradescopeResults.model_validate(data)
    assert "could not grade" not in data["output"]
    assert data["extra_data"]["student"] == "1234"
    if _offline():  # as root: every protection held, the minimal root first
        (applied,) = data["extra_data"]["sandbox_notes"]  # no note of a refused mechanism
        assert "on a minimal read-only filesystem" in applied
    assert all(t["status"] in ("passed", "failed") for t in data["tests"])
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert failed and all(t["name"].startswith("exercise03 linear_backward.dW") for t in failed)
    assert any("transposed" in t["tags"] for t in failed)
    assert 0 < data["score"] < total


@pytest.mark.slow
def test_the_prairielearn_course_part_grades_a_job_offline_without_installing(
    tmp_path: Path, wheelhouse: Path
) -> None:
    part = tmp_path / "pl-course"
    prairielearn.build(
        part, prairielearn.Options(target=bundled.this_python()), wheelhouse=wheelhouse
    )
    # the grading image: its own Python with NumPy (and torch), as prairielearn/grader-python's
    image = tmp_path / "image"
    made = subprocess.run([base_python(), "-m", "venv", "--without-pip", str(image)])
    assert made.returncode == 0
    pip = next(wheelhouse.glob("pip-*.whl"))
    provided = ["numpy", "torch"] if needs_torch(ROOT) else ["numpy"]  # the stock image's
    numpy = run_offline(
        [str(image / "bin" / "python"), f"{pip}/pip", "install", "--quiet", "--no-index",
         "--find-links", str(wheelhouse), *provided]
    )  # fmt: skip
    assert numpy.returncode == 0, numpy.stderr
    path = f"{image / 'bin'}:/usr/bin:/bin"  # no bpgrade, no uv: only the image's Python

    for name, source, gradable in (
        ("right", SOLUTIONS / "exercise03_linear.py", True),
        ("syntax", None, False),
    ):
        job_root = tmp_path / name
        job = prairielearn_job(job_root, part, [], seed=1848203611)
        student = job / "student" / "exercise03_linear.py"
        if source is None:
            student.write_text("def linear_forward(X, W, b:\n    return X\n")
        else:
            shutil.copy(source, student)
        entrypoint = job / "serverFilesCourse" / "bpgrade" / "grade.sh"

        done = run_offline([str(entrypoint), "exercise03"], PL_GRADE_ROOT=str(job), PATH=path)

        assert done.returncode == 0, done.stderr[-2000:]
        assert "student id: 1848203611" in done.stdout
        data = results(job / "results" / "results.json")
        validate(data, "prairielearn")
        PrairieLearnResults.model_validate(data)
        assert data["gradable"] is gradable, data
        if gradable:
            assert data["score"] == pytest.approx(1.0)
            assert data["tests"] and all(t["points"] == t["max_points"] for t in data["tests"])
        else:
            assert "syntax error" in " ".join(data["format_errors"])
