"""The CI setups docs/platforms.md gives instructors, taken from the page itself: the GitHub
Classroom workflow and the GitLab job are parsed as YAML, checked for what their runners
need, and their bpgrade commands run here, offline, the way the runner would run them (bash,
the step's environment, `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY` as files). GitHub's
reporter is not run (it is a Node action fetched at run time); what it computes of the
result is in `classroom_reporter`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import yaml  # type: ignore[import-untyped]
from lxml import etree  # type: ignore[import-untyped]

from grader.catalog import Catalog

from .classroom_reporter import reporter_view
from .conftest import course_total

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "platforms.md"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
CORPUS = ROOT / "tests" / "corpus"
REPORTER = "classroom-resources/autograding-grading-reporter@v1"


def _section(title: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _yaml_blocks(title: str) -> list[Any]:
    blocks = re.findall(r"```yaml\n(.*?)```", _section(title), flags=re.DOTALL)
    return [yaml.safe_load(block) for block in blocks]


def _workflow() -> dict[Any, Any]:  # YAML 1.1 reads the key `on` as True
    (workflow,) = _yaml_blocks("GitHub Classroom")
    return workflow


def _steps() -> list[dict[str, Any]]:
    (job,) = _workflow()["jobs"].values()
    return job["steps"]


def _bpgrade_step() -> dict[str, Any]:
    (step,) = [s for s in _steps() if "bpgrade check" in s.get("run", "")]
    return step


RIGHT = ("exercise01", "exercise02", "exercise04")


def _partly_right(folder: Path, catalog: Catalog) -> Path:
    """Some exercises right, one with a known mistake, the rest not started."""
    folder.mkdir(parents=True)
    for entry in catalog.exercises:
        shutil.copy((SOLUTIONS if entry.name in RIGHT else EXERCISES) / entry.file, folder)
    shutil.copy(CORPUS / "exercise03" / "bug_transposed_dw.py", folder / "exercise03_linear.py")
    return folder


def _partly_right_score(catalog: Catalog) -> float:
    """What `_partly_right` earns: the right ones in full, and the mistaken exercise03 all
    but its dW (tests/corpus/expectations.toml: bug_transposed_dw fails that check alone)."""
    linear = catalog.find("exercise03")
    assert linear is not None
    (dw,) = [c.points for c in linear.checks if c.name == "linear_backward.dW"]
    right = [e.max_score for e in catalog.exercises if e.name in RIGHT]
    assert len(right) == len(RIGHT)
    return sum(right) + linear.max_score - dw


def _run(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A run step as the runner runs it: `bash -e {0}`, bpgrade on the PATH."""
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "BPGRADE_COURSE")}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    environment.update(env)
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


# ----------------------------------------------------------------------------- GitHub


def test_the_workflow_hands_bpgrades_result_to_the_reporter() -> None:
    workflow = _workflow()
    assert "push" in workflow[True if True in workflow else "on"]  # YAML 1.1 reads `on` as True
    assert workflow["permissions"]["checks"] == "write"
    # the reporter's README: Classroom records a score only from a workflow of this name
    # with this one job, otherwise "no scores will be uploaded to Classroom"
    assert workflow["name"] == "Autograding Tests"
    assert list(workflow["jobs"]) == ["run-autograding-tests"]
    step = _bpgrade_step()
    runner = step["id"]
    script = step["run"]
    output = re.search(r"--format github --output (\S+)", script)
    assert output is not None, script
    assert f'echo "result=$(base64 -w0 {output[1]})" >> "$GITHUB_OUTPUT"' in script
    (reporter,) = [s for s in _steps() if s.get("uses") == REPORTER]
    assert _steps().index(reporter) > _steps().index(step)
    assert reporter["with"]["runners"] == runner
    # the reporter reads `<RUNNER ID>_RESULTS`, the id upper-cased
    assert reporter["env"] == {
        f"{runner.upper()}_RESULTS": f"${{{{ steps.{runner}.outputs.result }}}}"
    }


def test_the_workflows_grading_step_gives_one_total_and_the_feedback(
    tmp_path: Path, catalog: Catalog
) -> None:
    """The documented step, run as GitHub Actions runs it, on a partly right submission:
    the result the reporter decodes is valid, every total it would show is the one bpgrade
    printed, and the feedback is in the job summary and the annotations."""
    repository = tmp_path / "repository"
    _partly_right(repository / "exercises", catalog)
    github_output = tmp_path / "github_output"
    summary = tmp_path / "step_summary.md"
    github_output.touch()
    summary.touch()
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(github_output),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    step = _run(_bpgrade_step()["run"], repository, env)
    assert step.returncode == 0, step.stderr  # `|| true`: the reporter decides the outcome

    (line,) = github_output.read_text(encoding="utf-8").splitlines()
    name, _, value = line.partition("=")
    assert name == "result"
    result = json.loads(base64.b64decode(value).decode("utf-8"))
    schema = json.loads((SCHEMAS / "github.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(result)

    total = re.search(r"^Total: (\S+)$", step.stdout, flags=re.MULTILINE)
    assert total is not None, step.stdout
    view = reporter_view(result)
    score, maximum = _partly_right_score(catalog), course_total(catalog)
    assert view["recorded"] == view["tests passed"] == total[1] == f"{score:g}/{maximum:g}"
    assert view["log"] == f"{score:.2f}/{maximum:g}"
    assert result["status"] == "fail"

    annotations = [line for line in step.stdout.splitlines() if line.startswith("::")]
    assert [a.split(",")[0] for a in annotations] == ["::error file=exercises/exercise03_linear.py"]
    written = summary.read_text(encoding="utf-8")
    assert written.startswith(f"## bpgrade: {score:g}/{maximum:g} points\n")
    assert "Likely mistake: dW has the right numbers but is transposed" in written
    assert "exercise05: not started yet" in written


# ----------------------------------------------------------------------------- GitLab


def _gitlab_job() -> dict[str, Any]:
    (config,) = _yaml_blocks("Plain CI with JUnit")
    (job,) = config.values()
    return job


def test_the_gitlab_job_keeps_every_students_results_apart(
    tmp_path: Path, catalog: Catalog
) -> None:
    """The documented job grades every folder in one job; GitLab reads all the reports as
    one and keys a case by classname and name, keeping only the first of a kind."""
    job = _gitlab_job()
    install, *script = job["script"]
    assert install == "pip install ."  # done here by the test's own environment
    _partly_right(tmp_path / "submissions" / "alice", catalog)
    shutil.copytree(EXERCISES, tmp_path / "submissions" / "bob")
    for line in script:
        ran = _run(line, tmp_path, {})
        assert ran.returncode == 0, ran.stderr

    pattern = job["artifacts"]["reports"]["junit"]
    reports = sorted(tmp_path.glob(pattern))
    assert [r.name for r in reports] == ["alice.xml", "bob.xml"]
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "junit.xsd")))
    keys: list[tuple[str, str]] = []
    for report in reports:
        document = etree.parse(str(report))
        assert schema.validate(document), schema.error_log
        student = report.stem
        cases = list(ET.parse(report).iter("testcase"))
        assert {c.get("classname", "").rsplit(".", 1)[0] for c in cases} == {f"bpgrade.{student}"}
        keys += [(c.get("classname", ""), c.get("name", "")) for c in cases]
    assert len(keys) == len(set(keys))

    bob = ET.parse(tmp_path / "reports" / "bob.xml").getroot()
    assert int(bob.get("failures", "")) == int(bob.get("tests", "")) > 0  # stubs: all failing
    alice = ET.parse(tmp_path / "reports" / "alice.xml").getroot()
    assert 0 < int(alice.get("failures", "")) < int(alice.get("tests", ""))
