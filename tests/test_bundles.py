"""The autograder bundles: what they contain, and their scripts run on folders laid out
exactly as Gradescope (/autograder) and PrairieLearn (/grade) lay them out.

Nothing here installs anything: the scripts' install steps are skipped (setup.sh's
BPGRADE_SKIP_INSTALL) or unneeded (BPGRADE_BIN names a bpgrade that is already there), and
every run points BPGRADE_COURSE at a copy of the course, so that locking the solutions
never touches this checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from grader.bundles import gradescope, prairielearn
from grader.bundles.source import (
    TORCH_INDEX,
    TORCH_VERSION,
    BundleError,
    Limits,
    needs_torch,
)
from grader.catalog import Catalog
from grader.cli import main

from .conftest import EXERCISES, ROOT, SOLUTIONS

BPGRADE = Path(sys.executable).with_name("bpgrade")
COURSE_FOLDERS = ("exercises", "solutions", "quizzes")


# ---------------------------------------------------------------- helpers and fixtures


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A copy of this course, safe to lock and to add files to."""
    copy = tmp_path / "course"
    for folder in COURSE_FOLDERS:
        shutil.copytree(ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture
def bundle(tmp_path: Path, course: Path) -> gradescope.GradescopeBundle:
    return gradescope.build(tmp_path / "out" / "autograder.zip", course=course)


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


def gradescope_machine(
    tmp_path: Path, archive: Path, submission: list[Path], users: list[dict[str, Any]]
) -> Path:
    """/autograder after Gradescope built the image and received a submission."""
    root = tmp_path / "autograder"
    unzip(archive, root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    for file in submission:
        shutil.copy(file, root / "submission" / file.name)
    metadata = {
        "id": 123456,
        "created_at": "2026-07-01T14:22:32.365935-07:00",
        "assignment": {"id": 25828, "course_id": 1234, "title": "Backprop", "total_points": "52.0"},
        "submission_method": "upload",
        "users": users,
        "previous_submissions": [],
    }
    (root / "submission_metadata.json").write_text(json.dumps(metadata))
    (root / "results").mkdir()
    return root


def prairielearn_job(tmp_path: Path, built: Path, student: list[Path], seed: int) -> Path:
    """/grade as PrairieLearn's external grader lays it out for one submission."""
    job = tmp_path / "grade"
    shutil.copytree(built / "serverFilesCourse" / "bpgrade", job / "serverFilesCourse" / "bpgrade")
    (job / "student").mkdir(parents=True)
    for file in student:
        shutil.copy(file, job / "student" / file.name)
    (job / "data").mkdir()
    data = {"params": {}, "correct_answers": {}, "submitted_answers": {}, "variant_seed": seed}
    (job / "data" / "data.json").write_text(json.dumps(data))
    (job / "tests").mkdir()
    return job


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


def run(script: Path, course: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "BPGRADE_COURSE": str(course), **env}
    return subprocess.run(
        [str(script), *args], env=environment, capture_output=True, text=True, timeout=300
    )


def results(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


# ---------------------------------------------------------------- the Gradescope zip


def expected_entries(course: Path) -> set[str]:
    """What the zip must hold, listed independently of the bundle code."""
    names = {"setup.sh", "run_autograder", "pyproject.toml", "README.md"}
    sources = [(ROOT / "grader", "grader")] + [(course / f, f) for f in COURSE_FOLDERS]
    for folder, prefix in sources:
        for path in folder.rglob("*"):
            relative = path.relative_to(folder)
            if not path.is_file() or relative.parts[0] == "_course":
                continue
            if any(p == "__pycache__" or p.startswith(".") for p in relative.parts):
                continue
            if path.suffix in {".pyc", ".pyo"} or path.name.endswith("~"):
                continue
            names.add(f"{prefix}/{relative.as_posix()}")
    return names


def test_the_zip_holds_exactly_the_scripts_the_grader_and_the_course(
    bundle: gradescope.GradescopeBundle, course: Path
) -> None:
    with zipfile.ZipFile(bundle.path) as archive:
        names = archive.namelist()
    assert len(names) == len(set(names))
    assert set(names) == expected_entries(course) == set(bundle.entries)
    for required in (
        "setup.sh",
        "run_autograder",
        "pyproject.toml",
        "grader/cli/autograder.py",
        "exercises/catalog.toml",
        "solutions/exercise03_linear.py",
    ):
        assert required in names


def test_the_zip_leaks_no_tests_environment_or_caches(bundle: gradescope.GradescopeBundle) -> None:
    with zipfile.ZipFile(bundle.path) as archive:
        names = archive.namelist()
    forbidden = ("tests/", ".venv/", ".git/", ".bpgrade/", "benchmarks/", "grader/_course/")
    assert not [n for n in names if n.startswith(forbidden)]
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    assert not [n for n in names if "/." in n or n.startswith(".")]


def test_the_scripts_are_executable_and_nothing_else_is(
    bundle: gradescope.GradescopeBundle,
) -> None:
    with zipfile.ZipFile(bundle.path) as archive:
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert modes.pop("setup.sh") == modes.pop("run_autograder") == 0o100755
    assert set(modes.values()) == {0o100644}


def test_the_zip_is_reproducible(tmp_path: Path, course: Path) -> None:
    first = gradescope.build(tmp_path / "one.zip", course=course)
    second = gradescope.build(tmp_path / "two.zip", course=course)
    assert first.path.read_bytes() == second.path.read_bytes()


def test_setup_installs_no_torch_for_this_course(bundle: gradescope.GradescopeBundle) -> None:
    # exercise04's docstring mentions torch.nn.functional; no file imports torch
    assert not bundle.installs_torch
    assert not needs_torch(ROOT)
    setup = gradescope.setup_script(ROOT)
    assert "torch==" not in setup and TORCH_INDEX not in setup


@pytest.mark.parametrize(
    ("folder", "source"),
    [
        ("solutions", "import torch\n"),
        ("solutions", "def f():\n    from torch import nn\n    return nn\n"),
        ("exercises", "import numpy as np\nimport torch.nn.functional as F\n"),
    ],
)
def test_setup_installs_cpu_torch_when_the_course_imports_it(
    tmp_path: Path, course: Path, folder: str, source: str
) -> None:
    (course / folder / "exercise06_torch.py").write_text(source)
    assert needs_torch(course)
    built = gradescope.build(tmp_path / "autograder.zip", course=course)
    assert built.installs_torch
    with zipfile.ZipFile(built.path) as archive:
        setup = archive.read("setup.sh").decode()
    torch_line = f"torch=={TORCH_VERSION} --index-url {TORCH_INDEX}"
    assert torch_line in setup
    # before bpgrade, so that pip never resolves a CUDA build for it
    assert setup.index(torch_line) < setup.index(
        'pip install --quiet --disable-pip-version-check "$SOURCE"'
    )


def test_a_docstring_that_mentions_torch_is_not_an_import(course: Path) -> None:
    (course / "solutions" / "extra.py").write_text('"""Compare with:\n\nimport torch\n"""\n')
    (course / "exercises" / "broken.py").write_text("import torch as (\n")  # not Python
    assert not needs_torch(course)


def test_setup_installs_bpgrade_from_the_bundled_source_not_editable() -> None:
    setup = gradescope.setup_script(ROOT)
    assert (
        '"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$SOURCE"' in setup
    )
    assert " -e " not in setup and "--editable" not in setup
    assert "python3.11-venv" in setup  # Ubuntu 22.04's python3 is 3.10
    assert 'chmod -R go-rwx "$SOURCE"' in setup


def test_the_limits_reach_run_autograder() -> None:
    script = gradescope.run_autograder_script(Limits(timeout=25, memory="2GiB"))
    assert "--timeout 25 --memory 2GiB" in script


@pytest.mark.parametrize("memory", ["", "1 GiB", "1GiB; rm -rf /", "$(id)"])
def test_a_memory_size_that_is_not_one_is_refused(memory: str) -> None:
    with pytest.raises(BundleError):
        Limits(memory=memory)


def test_the_scripts_are_valid_bash(tmp_path: Path) -> None:
    scripts = {
        "setup.sh": gradescope.setup_script(ROOT),
        "run_autograder": gradescope.run_autograder_script(Limits()),
        "grade.sh": prairielearn.grade_script(Limits()),
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


@pytest.fixture
def pl_course(tmp_path: Path, course: Path) -> Path:
    """An existing PrairieLearn course repository that bpgrade's files are added to."""
    root = tmp_path / "pl-course"
    (root / "questions" / "mine").mkdir(parents=True)
    (root / "infoCourse.json").write_text('{"name": "ML 101"}\n')
    (root / "questions" / "mine" / "info.json").write_text('{"uuid": "keep-me"}\n')
    prairielearn.build(root, course=course)
    return root


def test_prairielearn_layout(pl_course: Path, catalog: Catalog) -> None:
    server_files = pl_course / "serverFilesCourse" / "bpgrade"
    assert mode_of(server_files / "grade.sh") == 0o755
    for name in (
        "pyproject.toml",
        "README.md",
        "grader/cli/__init__.py",
        "solutions/exercise03_linear.py",
    ):
        assert (server_files / name).is_file(), name
    assert not (server_files / "tests").exists()
    questions = sorted(p.name for p in (pl_course / "questions" / "bpgrade").iterdir())
    assert questions == [e.name for e in catalog.exercises]
    # the instructor's own files are left alone
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
        assert options["enableNetworking"] is True


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


def test_regenerating_keeps_each_question_uuid(pl_course: Path, course: Path) -> None:
    def uuids() -> dict[str, str]:
        infos = (pl_course / "questions" / "bpgrade").glob("*/info.json")
        return {p.parent.name: json.loads(p.read_text())["uuid"] for p in infos}

    before = uuids()
    prairielearn.build(pl_course, course=course)
    assert uuids() == before
    assert len(set(before.values())) == len(before)


def test_an_image_with_bpgrade_needs_no_network(tmp_path: Path, course: Path) -> None:
    options = prairielearn.Options(image="myuni/bpgrade-grader:1", networking=False)
    built = prairielearn.build(tmp_path / "pl", options, course=course)
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


def test_grade_sh_without_an_exercise_or_an_installable_bpgrade(
    tmp_path: Path, pl_course: Path, course: Path
) -> None:
    job = prairielearn_job(tmp_path, pl_course, [], seed=1)
    entrypoint = job / "serverFilesCourse" / "bpgrade" / "grade.sh"
    fake = fake_bpgrade(tmp_path / "bin")

    run(entrypoint, course, PL_GRADE_ROOT=str(job), BPGRADE_BIN=str(fake))
    assert "names no exercise" in results(job / "results" / "results.json")["message"]

    # no bpgrade, and a python3 whose pip fails: nothing reaches the network
    broken = tmp_path / "broken-bin"
    broken.mkdir()
    (broken / "python3").write_text("#!/bin/sh\nexit 1\n")
    (broken / "python3").chmod(0o755)
    run(
        entrypoint,
        course,
        "exercise03",
        PL_GRADE_ROOT=str(job),
        BPGRADE_BIN=str(tmp_path / "no-such-bpgrade"),
        PATH=f"{broken}:/usr/bin:/bin",
    )
    written = results(job / "results" / "results.json")
    assert written["gradable"] is False
    assert "could not be installed" in written["message"]


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


def test_cli_builds_both_bundles(tmp_path: Path, course: Path) -> None:
    runner = CliRunner()
    env = {"BPGRADE_COURSE": str(course)}
    zipped = runner.invoke(
        main, ["autograder", "gradescope", "-o", str(tmp_path / "ag.zip")], env=env
    )
    assert zipped.exit_code == 0, zipped.output
    assert f"Wrote {tmp_path / 'ag.zip'}" in zipped.output and "without torch" in zipped.output
    assert zipfile.is_zipfile(tmp_path / "ag.zip")

    pl = runner.invoke(main, ["autograder", "prairielearn", "-o", str(tmp_path / "pl")], env=env)
    assert pl.exit_code == 0, pl.output
    assert (tmp_path / "pl" / "questions" / "bpgrade" / "exercise01" / "info.json").is_file()


def test_cli_refuses_bad_limits(tmp_path: Path, course: Path) -> None:
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
