"""`bpgrade release`: the handout holds no solution, and its own `bpgrade check` judges as the
full grader does, from the answers recorded at release time.

The release is written once for the module, by the real command, from a copy of the course
with one graded quiz added (the course's own quizzes are all practice).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pytest

import grader
import grader.frozen
import grader.release
from grader.bundles.source import needs_torch
from grader.catalog import Catalog, CheckEntry, load_catalog
from grader.checks.base import Case, OutputCheck
from grader.frozen import Answered, Unfreezable, freeze, tape
from grader.giveaway import giveaways
from grader.grading import (
    DEFAULT_SEED,
    catalog_checks,
    grade,
    judge_untouched_stub,
    plan,
    plan_exercise,
    read_source,
)
from grader.loop import STUBS
from grader.quiz.answers import load_answers
from grader.quiz.grading import grade_quiz
from grader.quiz.handout import draw_handout_question, load_handout
from grader.quiz.loader import load_quiz
from grader.quiz.variants import draw
from grader.recorded import (
    PUBLIC_ONLY,
    DamagedAnswers,
    NotRecorded,
    RecordedAnswers,
    Recorder,
    Replay,
    call_digest,
    read_answers,
)
from grader.reference import (
    MissingReference,
    PublicOnly,
    load_reference,
    recorded_stub_report,
    reference_for,
    require_answers,
    stub_report_path,
)
from grader.release import ReleaseError, record_exercise, write_release
from grader.release.leaks import spec_names
from tests.conftest import EXERCISES, ROOT, SOLUTIONS, grade_folder, grade_in, shared_sandbox
from tests.quiz.helpers import EXAMPLE

BPGRADE = Path(sys.executable).with_name("bpgrade")
CORPUS = ROOT / "tests" / "corpus"
SPECS = ROOT / "specs"
CATALOG = load_catalog(EXERCISES / "catalog.toml")
GRADED_QUIZ = "graded-example"
# Wrong files chosen for the corpus sample: common mistakes, most with a diagnosis tag.
CHOSEN = {
    "exercise01/bug_descent_plus.py",
    "exercise02/bug_sigmoid_backward_slope_of_z.py",
    "exercise03/bug_db_mean.py",
    "exercise04/bug_softmax_axis0.py",
    "exercise05/bug_relu_mask_missing.py",
}


def corpus_sample(catalog: Catalog) -> list[str]:
    """One wrong file per exercise of the catalog (one folder holds one file per exercise):
    the one chosen above, or for an exercise with none chosen, its first bug_*.py."""
    bugs = {p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("exercise*/bug_*.py")}
    assert not CHOSEN - bugs, CHOSEN - bugs  # a chosen file renamed or gone
    sample = []
    for entry in catalog.exercises:
        own = sorted(b for b in bugs if b.startswith(f"{entry.name}/"))
        assert own, f"tests/corpus/{entry.name} has no bug_*.py"
        sample.append(next((b for b in own if b in CHOSEN), own[0]))
    return sample


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BPGRADE_COURSE", "NO_COLOR")}
    return {**env, "NO_COLOR": "1", **extra}


def bpgrade(*args: str, cwd: Path, env: dict[str, str] | None = None, input: str | None = None):
    return subprocess.run(
        [str(BPGRADE), *args],
        cwd=cwd,
        env=env or _env(),
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course, plus the example quiz marked graded."""
    folder = tmp_path_factory.mktemp("course")
    for name in ("exercises", "solutions", "specs", "quizzes", "drivers"):
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(ROOT / name, folder / name, ignore=ignore)
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'id = "example"', f'id = "{GRADED_QUIZ}"\ngraded = true', 1
    )
    (folder / "quizzes" / f"{GRADED_QUIZ}.toml").write_text(text, encoding="utf-8")
    return folder


WRITTEN: list[Path] = []  # the release's files as written, before any command ran in it


@pytest.fixture(scope="module")
def release(course: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("handout") / "release"
    env = _env(BPGRADE_COURSE=str(course))
    run = bpgrade("release", "-o", str(target), cwd=course.parent, env=env)
    assert run.returncode == 0, run.stderr
    assert "Wrote the release" in run.stdout and "1 to hand in" in run.stdout
    WRITTEN[:] = sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file())
    return target


@pytest.fixture(scope="module")
def solutions_copy(release: Path) -> Path:
    """The reference solutions as a learner's folder, inside the release."""
    folder = release / "work"
    folder.mkdir(exist_ok=True)
    for path in SOLUTIONS.glob("*.py"):
        shutil.copy(path, folder / path.name)
    return folder


# --- what is in it ----------------------------------------------------------------------------


def test_the_layout_is_what_a_course_hands_out(release: Path) -> None:
    top = {path.parts[0] for path in WRITTEN}
    drivers = {"drivers"} if (ROOT / "drivers").is_dir() else set()
    assert top == {
        "README.md", "pyproject.toml", ".gitignore", "exercises", "expected", "quizzes", "grader",
        *drivers,
    }  # fmt: skip
    assert not (release / "specs").exists()  # the checks travel as data (expected/), not code
    installed = tomllib.loads((release / "pyproject.toml").read_text(encoding="utf-8"))
    included = installed["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert set(included) == {"exercises", "expected", "quizzes", *drivers}
    package = [path for path in WRITTEN if path.parts[0] == "grader"]
    assert Path("grader/cli/__init__.py") in package
    assert not [p for p in package if "_course" in p.parts or "__pycache__" in p.parts]
    assert not [p for p in package if p.suffix == ".pyc"]
    for path in EXERCISES.iterdir():
        if path.is_file():
            assert (release / "exercises" / path.name).read_bytes() == path.read_bytes()
    for stub in EXERCISES.glob("*.py"):  # the untouched copies `bpgrade reset` puts back
        assert (release / STUBS / stub.name).read_bytes() == stub.read_bytes()
    catalog = load_catalog(release / "exercises" / "catalog.toml")
    assert all(entry.hints for entry in catalog.exercises)


def _bodies(path: Path) -> dict[str, str]:
    """body dump (docstring left out) -> function name, for every function in a file, and
    expression dump -> "<lambda>" for every lambda (a spec's mistake models are lambdas)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bodies = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]
            if body:
                bodies[ast.dump(ast.Module(body=body, type_ignores=[]))] = node.name
        elif isinstance(node, ast.Lambda):
            bodies[ast.dump(node.body)] = "<lambda>"
    return bodies


def _handed_out(release: Path) -> list[Path]:
    """Every file of the release as written (the tests' own folder `work` left out)."""
    return [
        path
        for path in sorted(release.rglob("*"))
        if path.is_file() and "work" not in path.relative_to(release).parts
    ]


def test_no_solution_is_handed_out(release: Path) -> None:
    assert not (release / "solutions").exists()
    given = {body for stub in EXERCISES.glob("*.py") for body in _bodies(stub)}
    solved = {
        body: f"{path.name}:{name}"
        for path in SOLUTIONS.glob("*.py")
        for body, name in _bodies(path).items()
        if body not in given  # a helper the stub hands out itself (exercise01's sigmoid)
    }
    assert len(solved) >= 20
    solution_files = {path.read_bytes() for path in SOLUTIONS.glob("*.py")}
    for path in _handed_out(release):
        assert path.read_bytes() not in solution_files, path
        if path.suffix == ".py":
            leaked = set(_bodies(path)) & set(solved)
            assert not leaked, f"{path} defines {[solved[b] for b in leaked]}"


def test_no_code_of_the_specs_is_handed_out(release: Path) -> None:
    """The specs' expected values and mistake models are near-solutions (a model is often the
    whole answer with one slip in it): the release holds no file, function or lambda of
    theirs, and its recorded checks name none of their modules, functions or classes."""
    specs = sorted(SPECS.rglob("*.py"))
    assert {path.stem for path in specs} >= {entry.name for entry in CATALOG.exercises}
    spec_code = {
        body: f"{path.name}:{name}" for path in specs for body, name in _bodies(path).items()
    }
    models = [body for body, name in spec_code.items() if name.endswith("<lambda>")]
    assert len(models) >= 20  # the mistake models, among others
    spec_files = {path.read_bytes() for path in specs}
    names = spec_names(ROOT)
    assert {"bpgrade_course_specs", "bpgrade_course_specs.exercise03", "linear_cases"} <= names
    for path in _handed_out(release):
        assert "specs" not in path.relative_to(release).parts, path
        assert path.read_bytes() not in spec_files, path
        if path.suffix == ".py":
            leaked = set(_bodies(path)) & set(spec_code)
            assert not leaked, f"{path} defines {sorted(spec_code[b] for b in leaked)}"
    modules = {name for name in names if "." in name}  # bpgrade_course_specs.exercise03
    for path in _handed_out(release):
        if path.suffix not in (".json", ".py", ".toml", ".md", ".txt"):
            continue
        text = path.read_text(encoding="utf-8")
        # the grader's own code may use a spec's helper names (a method _params), never a
        # spec module; the course's files and the recorded checks, none of their names
        sought = modules if path.relative_to(release).parts[0] == "grader" else names
        found = [n for n in sought if re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", text)]
        assert not found, f"{path.relative_to(release)} names {found}"
    for path in sorted((release / "expected").glob("*.json")):
        text = path.read_text(encoding="utf-8")
        assert "<lambda>" not in text and "<locals>" not in text


def test_the_recorded_checks_are_plain_json_models(release: Path) -> None:
    catalog = load_catalog(release / "exercises" / "catalog.toml")
    for entry in catalog.exercises:
        path = release / "expected" / f"{entry.name}.json"
        json.loads(path.read_text(encoding="utf-8"))  # JSON, not pickle
        answers = RecordedAnswers.model_validate_json(path.read_bytes())
        assert answers.exercise == entry.name and answers.seed == 0
        assert [check.name for check in answers.checks] == [c.name for c in entry.checks]
        assert all(check.type.startswith("grader.") for check in answers.checks)
        # each callable of a check is recorded as its value on each public case (a numeric
        # gradient too: one array, not the reference's calls on perturbed inputs), and a
        # call's arguments are the case's inputs, by name: every case is drawn twice, so that
        # state kept between calls meets a second draw, and the mistakes any function can make
        # are recorded (a deep network's, exercise07's, are the most: one per weight matrix)
        assert path.stat().st_size < 2_000_000, entry.name


# --- bpgrade check inside it ------------------------------------------------------------------


def test_the_reference_solutions_pass_inside_the_release(
    release: Path, solutions_copy: Path
) -> None:
    run = bpgrade("check", "--all", "--json", "--dir", str(solutions_copy), cwd=release)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["score"] == report["max_score"] > 0
    assert all(e["status"] == "passed" for e in report["exercises"])


def test_bpgrade_finds_the_release_from_a_folder_inside_it(release: Path) -> None:
    run = bpgrade("check", "exercise02", "--json", "--dir", ".", cwd=release / "exercises")
    assert run.returncode == 1
    assert json.loads(run.stdout)["exercises"][0]["status"] == "not_started"


def test_the_stubs_are_not_started_from_the_release_root(release: Path) -> None:
    run = bpgrade("check", "--all", "--json", cwd=release)
    assert run.returncode == 1
    statuses = {e["name"]: e["status"] for e in json.loads(run.stdout)["exercises"]}
    assert set(statuses.values()) == {"not_started"}, statuses


def test_corpus_files_fail_the_same_checks_as_under_the_full_grader(
    release: Path, tmp_path: Path
) -> None:
    expectations = tomllib.loads((CORPUS / "expectations.toml").read_text(encoding="utf-8"))
    catalog = load_catalog(EXERCISES / "catalog.toml")
    sample = corpus_sample(catalog)
    folder = tmp_path / "submission"
    folder.mkdir()
    for name in sample:
        entry = catalog.find(name.split("/")[0])
        assert entry is not None
        shutil.copy(CORPUS / name, folder / entry.file)
    run = bpgrade(
        "check", "--all", "--json", "--dir", str(folder), cwd=tmp_path,
        env=_env(BPGRADE_COURSE=str(release)),
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    exercises = {e["name"]: e for e in json.loads(run.stdout)["exercises"]}
    for name in sample:
        expected = expectations[name]
        report = exercises[name.split("/")[0]]
        failed = {c["name"]: c["diagnosis"] for c in report["checks"] if not c["passed"]}
        assert set(failed) == set(expected["fails"]), name
        for check, tag in expected.get("diagnosis", {}).items():
            assert failed[check] == tag, (name, check)


@pytest.mark.parametrize("exercise", [entry.name for entry in CATALOG.exercises])
def test_the_release_and_the_full_grader_say_the_same(
    release: Path, tmp_path: Path, exercise: str
) -> None:
    """Word for word, on every corpus file of every exercise of the catalog (both graded in
    this process): the release's frozen checks judge as the specs' checks do."""
    entry = CATALOG.find(exercise)
    assert entry is not None
    files = sorted((CORPUS / exercise).glob("*.py"))
    assert files, f"tests/corpus/{exercise} is empty"
    for path in files:
        folder = tmp_path / path.stem
        folder.mkdir()
        shutil.copy(path, folder / entry.file)
        full = grade_folder([entry], folder).exercises[0]
        handed = grade([entry], folder, release / "solutions", sandbox=shared_sandbox())
        got = handed.exercises[0]
        assert (got.status, got.score) == (full.status, full.score), path.name
        for a, b in zip(full.checks, got.checks, strict=True):
            assert (a.name, a.passed, a.message, a.diagnosis) == (
                b.name, b.passed, b.message, b.diagnosis
            ), (path.name, a.name)  # fmt: skip


def test_the_release_runs_its_own_copy_of_bpgrade(release: Path, solutions_copy: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", "import grader; print(grader.__file__)"],
        cwd=release, capture_output=True, text=True, env=_env(),
    )  # fmt: skip
    assert Path(run.stdout.strip()).parent == release / "grader"
    run = subprocess.run(
        [sys.executable, "-m", "grader", "check", "--all", "--dir", str(solutions_copy)],
        cwd=release, capture_output=True, text=True, env=_env(), timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


def test_another_seed_or_hidden_cases_are_refused_in_a_sentence(
    release: Path, solutions_copy: Path
) -> None:
    run = bpgrade("check", "exercise03", "--seed", "5", "--dir", str(solutions_copy), cwd=release)
    assert run.returncode == 2  # bad usage: asked for what a release cannot answer
    assert PUBLIC_ONLY in run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    with pytest.raises(PublicOnly, match=PUBLIC_ONLY):
        require_answers(release / "solutions", 5)
    with pytest.raises(PublicOnly, match="hidden cases"):
        require_answers(release / "solutions", 0, student="s123")
    require_answers(release / "solutions", 0)
    require_answers(SOLUTIONS, 5, student="s123")  # the full course answers anything


# --- the oracles ------------------------------------------------------------------------------


def test_a_digest_tells_inputs_apart_bit_for_bit() -> None:
    x = np.arange(6.0).reshape(2, 3)
    same = call_digest("f", (x.copy(),), {})
    assert call_digest("f", (x,), {}) == same
    assert call_digest("f", (np.ascontiguousarray(x.T).T,), {}) == same
    assert call_digest("f", (x.reshape(3, 2),), {}) != same
    assert call_digest("f", (x.astype(np.float32),), {}) != same
    assert call_digest("g", (x,), {}) != same
    assert call_digest("f", (0.1,), {}) != call_digest("f", (0.1 + 1e-17 + 2**-56,), {})
    assert call_digest("f", (1,), {}) != call_digest("f", (1.0,), {})
    assert call_digest("f", ({"a": 1.0, "b": 2.0},), {}) == call_digest(
        "f", ({"b": 2.0, "a": 1.0},), {}
    )


def test_a_replay_answers_recorded_calls_only() -> None:
    module = load_reference(SOLUTIONS / "exercise03_linear.py")
    recorder = Recorder(module)
    rng = np.random.default_rng(0)
    X, W, b = rng.normal(size=(3, 4)), rng.normal(size=(2, 4)), rng.normal(size=2)
    Z = recorder.linear_forward(X, W, b)
    answers = RecordedAnswers(
        grader_version="test", numpy_version=np.__version__, exercise="exercise03",
        file="exercise03_linear.py", seed=0, checks=[], calls=recorder.calls,
    )  # fmt: skip
    replay = Replay(RecordedAnswers.model_validate_json(answers.model_dump_json()))
    again = replay.linear_forward(X.copy(), W.copy(), b.copy())
    assert np.array_equal(again, Z) and again is not Z
    again[0, 0] = 99.0  # a fresh copy each time: a caller's change does not stick
    assert np.array_equal(replay.linear_forward(X, W, b), Z)
    with pytest.raises(NotRecorded, match=PUBLIC_ONLY):
        replay.linear_forward(X + 1e-6, W, b)
    with pytest.raises(NotRecorded):
        replay.linear_backward(Z, X, W)


def test_a_frozen_check_is_the_engines_class_with_answers_for_its_callables(
    release: Path,
) -> None:
    entry = CATALOG.find("exercise03")
    assert entry is not None
    spec = {check.name: check for check in catalog_checks(entry)}
    frozen = {check.name: check for check in catalog_checks(entry, release / "solutions")}
    assert list(frozen) == list(spec)
    for name, check in frozen.items():
        assert isinstance(check, type(spec[name])), name  # the engine's class, planning recorded
    dW = frozen["linear_backward.dW"]
    assert isinstance(dW, OutputCheck)
    assert [m.sentence for m in dW.mistakes] == [m.sentence for m in spec[dW.name].mistakes]
    assert all(isinstance(m.model, Answered) for m in dW.mistakes)
    assert isinstance(dW.numeric, Answered)  # the numeric gradient on each case, as recorded
    assert (dW.function, dW.arguments, dW.part) == ("linear_backward", ("dZ", "X", "W"), 1)
    (planned,) = plan([dW], DEFAULT_SEED)
    (drawn,) = plan([spec[dW.name]], DEFAULT_SEED)
    assert [c.label for c in planned.cases] == [c.label for c in drawn.cases]
    assert planned.calls[0][0].args[1] is planned.cases[0].inputs["X"]  # inputs once, by name
    case = planned.cases[0]
    reference = load_reference(SOLUTIONS / entry.file)
    model = dW.mistakes[0].model
    assert np.array_equal(model(None, case), spec[dW.name].mistakes[0].model(reference, case))
    moved = Case(case.label, {**case.inputs, "X": case.inputs["X"] + 1.0})
    with pytest.raises(NotRecorded, match=PUBLIC_ONLY):
        model(None, moved)
    with pytest.raises(NotRecorded, match=PUBLIC_ONLY):
        dW.make_cases(np.random.default_rng(5))  # the cases were drawn when it was written


@dataclass(frozen=True)
class CourseOwnCheck(OutputCheck):
    """A check class a spec might define: a release could not judge with it without its code."""


def test_a_check_of_a_class_outside_the_grader_is_not_released() -> None:
    entry = CATALOG.find("exercise03")
    assert entry is not None
    check = catalog_checks(entry)[0]
    assert isinstance(check, OutputCheck)
    own = CourseOwnCheck(**{f.name: getattr(check, f.name) for f in fields(check)})
    with pytest.raises(Unfreezable, match=r"CourseOwnCheck is defined in tests\.test_release"):
        tape(own, load_reference(SOLUTIONS / entry.file))


def test_a_value_that_cannot_be_written_down_stops_the_release() -> None:
    entry = CATALOG.find("exercise03")
    assert entry is not None
    check = catalog_checks(entry)[0]
    assert isinstance(check, OutputCheck)
    odd = dataclasses.replace(check, expected=lambda ref, case: object())
    taped, _ = tape(odd, load_reference(SOLUTIONS / entry.file))
    assert isinstance(taped, OutputCheck)
    (planned,) = plan([taped], DEFAULT_SEED)
    taped.expected_value(None, planned.cases[0])  # type: ignore[arg-type]
    with pytest.raises(Unfreezable, match=r"linear_forward\.expected returned what cannot be"):
        freeze(taped, planned.cases, planned.calls)


def test_a_recording_of_another_bpgrade_asks_for_the_release_again(
    release: Path, tmp_path: Path
) -> None:
    data = json.loads((release / "expected" / "exercise03.json").read_text(encoding="utf-8"))
    data["format"] = 1
    path = tmp_path / "exercise03.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DamagedAnswers, match=r"another version of bpgrade \(format 1\); write the"):
        read_answers(path)


def test_each_untouched_stubs_report_is_recorded_as_a_check_would_judge_it(
    release: Path,
) -> None:
    """A learner's check of an exercise not yet started reads the report the release wrote
    (expected/stubs/<exercise>.json): it must be the one judging the stub gives."""
    solutions = release / "solutions"
    for entry in load_catalog(release / "exercises" / "catalog.toml").exercises:
        recorded = recorded_stub_report(entry, solutions, DEFAULT_SEED)
        source = read_source(release / "exercises" / entry.file)
        judged = judge_untouched_stub(entry, DEFAULT_SEED, solutions, source)
        assert recorded == judged, entry.name
        assert recorded.status == "not_started" and recorded.max_score > 0


def test_a_recorded_stub_report_stands_only_for_what_it_was_judged_with(
    release: Path, tmp_path: Path
) -> None:
    entry = load_catalog(release / "exercises" / "catalog.toml").exercises[2]
    (tmp_path / "expected" / "stubs").mkdir(parents=True)
    for name in (f"{entry.name}.json", f"stubs/{entry.name}.json"):
        shutil.copy(release / "expected" / name, tmp_path / "expected" / name)
    solutions = tmp_path / "solutions"
    assert recorded_stub_report(entry, solutions, DEFAULT_SEED) is not None
    retitled = entry.model_copy(update={"title": "Another title"})
    assert recorded_stub_report(retitled, solutions, DEFAULT_SEED) is None
    assert recorded_stub_report(entry, solutions, DEFAULT_SEED + 1) is None
    answers = tmp_path / "expected" / f"{entry.name}.json"
    answers.write_bytes(answers.read_bytes() + b"\n")
    assert recorded_stub_report(entry, solutions, DEFAULT_SEED) is None
    shutil.copy(release / "expected" / f"{entry.name}.json", answers)
    kept = stub_report_path(entry, solutions)
    kept.write_text(kept.read_text(encoding="utf-8").replace(grader.__version__, "0.0.0"))
    assert recorded_stub_report(entry, solutions, DEFAULT_SEED) is None
    kept.write_text("{not json", encoding="utf-8")
    assert recorded_stub_report(entry, solutions, DEFAULT_SEED) is None
    # answers checked out with CRLF line endings are the same answers
    shutil.copy(release / "expected" / "stubs" / f"{entry.name}.json", kept)
    answers.write_bytes(answers.read_bytes().replace(b"\n", b"\r\n"))
    assert recorded_stub_report(entry, solutions, DEFAULT_SEED) is not None
    # a course with the reference solution judges with its specs, whatever expected/ holds
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / entry.file).write_text("", encoding="utf-8")
    assert recorded_stub_report(entry, solutions, DEFAULT_SEED) is None


def test_a_recorded_stub_report_never_gives_points(release: Path, tmp_path: Path) -> None:
    """Its digests can be written by anyone: what it says must be what an untouched stub can
    get, or it is judged afresh."""
    entry = load_catalog(release / "exercises" / "catalog.toml").exercises[1]
    (tmp_path / "expected" / "stubs").mkdir(parents=True)
    shutil.copy(release / "expected" / f"{entry.name}.json", tmp_path / "expected")
    kept = tmp_path / "expected" / "stubs" / f"{entry.name}.json"
    recorded = json.loads((release / "expected" / "stubs" / kept.name).read_text("utf-8"))
    for forged in (
        {"score": entry.max_score, "status": "passed"},
        {"status": "passed"},
        {"max_score": 1.0},
        {"error": "stopped"},
    ):
        data = json.loads(json.dumps(recorded))
        data["report"].update(forged)
        kept.write_text(json.dumps(data), encoding="utf-8")
        assert recorded_stub_report(entry, tmp_path / "solutions", DEFAULT_SEED) is None, forged
    data = json.loads(json.dumps(recorded))
    data["report"]["checks"][0].update(score=1.0, passed=True)
    kept.write_text(json.dumps(data), encoding="utf-8")
    assert recorded_stub_report(entry, tmp_path / "solutions", DEFAULT_SEED) is None


def test_a_stub_judged_other_than_not_started_stops_the_release(
    course: Path, release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A judge that gave up (a slow machine, a grader bug) is not written down for every
    learner's check: the release stops before anything is written."""
    recorded = {
        path.stem: RecordedAnswers.model_validate_json(path.read_bytes())
        for path in (release / "expected").glob("*.json")
    }
    monkeypatch.setattr(
        grader.release, "record_exercise", lambda entry, solutions: recorded[entry.name]
    )
    judge = grader.release.judge_untouched_stub

    def gave_up(*args: object, **kwargs: object) -> object:
        report = judge(*args, **kwargs)  # type: ignore[arg-type]
        return report.model_copy(update={"status": "error", "error": "the grader gave up"})

    monkeypatch.setattr(grader.release, "judge_untouched_stub", gave_up)
    target = tmp_path / "release"
    with pytest.raises(ReleaseError, match="untouched stub was judged error"):
        write_release(course, target)
    assert not target.exists() or not any(target.iterdir())


def test_planning_a_frozen_exercise_decodes_each_checks_cases_once(
    release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The calls of a case just handed out are found by identity, not by decoding and
    digesting every case of the check again."""
    decoded: list[object] = []
    original = grader.frozen._Plan._decoded

    def counted(self: grader.frozen._Plan) -> list[Case]:
        decoded.append(self)
        return original(self)

    monkeypatch.setattr(grader.frozen._Plan, "_decoded", counted)
    entry = load_catalog(release / "exercises" / "catalog.toml").exercises[2]
    planned = plan_exercise(entry, DEFAULT_SEED, None, release / "solutions")
    checks = planned.rounds[0][0]
    assert len(decoded) == len(checks) == len(set(map(id, decoded)))


def test_a_learners_check_reads_the_recorded_report_of_an_untouched_stub(
    release: Path, tmp_path: Path
) -> None:
    """The report written down is the one shown (no stub is planned or judged again), and a
    stub changed by the learner is judged instead."""
    copy = tmp_path / "release"
    shutil.copytree(release, copy, symlinks=True)
    kept = copy / "expected" / "stubs" / "exercise02.json"
    data = json.loads(kept.read_text(encoding="utf-8"))
    data["report"]["checks"][0]["message"] = "as the release recorded it"
    kept.write_text(json.dumps(data), encoding="utf-8")
    run = bpgrade("check", "exercise02", "--json", cwd=copy)
    checks = json.loads(run.stdout)["exercises"][0]["checks"]
    assert checks[0]["message"] == "as the release recorded it"
    learner = copy / "exercises" / "exercise02_activations.py"
    learner.write_text(learner.read_text(encoding="utf-8") + "\n# started\n", encoding="utf-8")
    run = bpgrade("check", "exercise02", "--json", cwd=copy)
    checks = json.loads(run.stdout)["exercises"][0]["checks"]
    assert checks[0]["message"] != "as the release recorded it"
    assert "not implemented yet" in checks[0]["message"]


def test_reference_for_without_solution_or_answers_says_so(tmp_path: Path) -> None:
    entry = load_catalog(EXERCISES / "catalog.toml").exercises[0]
    with pytest.raises(MissingReference, match="neither a reference solution"):
        reference_for(entry, tmp_path / "solutions")


def test_a_check_the_grader_lacks_is_named_when_grading_and_when_releasing() -> None:
    entry = load_catalog(EXERCISES / "catalog.toml").exercises[0]
    extra = CheckEntry(name="no_such_check", title="Not a check", points=1.0)
    unknown = entry.model_copy(update={"checks": [*entry.checks, extra]})
    lacking = "the catalog names checks the grader does not have: no_such_check"
    with pytest.raises(LookupError, match=f"^{lacking}$"):
        plan_exercise(unknown, DEFAULT_SEED)
    with pytest.raises(ReleaseError, match=f"^{entry.name}: {lacking}$"):
        record_exercise(unknown, SOLUTIONS)


# --- where the course is ----------------------------------------------------------------------


def test_the_course_is_the_release_around_the_working_directory(
    release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from grader.course import course_root

    monkeypatch.delenv("BPGRADE_COURSE", raising=False)
    monkeypatch.chdir(ROOT)
    assert course_root() == ROOT  # the editable checkout, as before
    monkeypatch.chdir(tmp_path)
    assert course_root() == ROOT
    monkeypatch.chdir(release / "exercises")
    assert course_root() == release
    monkeypatch.setenv("BPGRADE_COURSE", str(tmp_path))
    assert course_root() == tmp_path  # the environment still wins


# --- writing it -------------------------------------------------------------------------------


def test_a_folder_that_is_not_empty_needs_force(course: Path, tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    run = bpgrade(
        "release", "-o", str(tmp_path), cwd=tmp_path, env=_env(BPGRADE_COURSE=str(course))
    )
    assert run.returncode == 2
    assert "not empty" in run.stderr and "--force" in run.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_a_release_never_overwrites_the_course(course: Path) -> None:
    for target in (course, course / "exercises", course.parent):
        with pytest.raises(ReleaseError):
            write_release(course, target, force=True)
    assert (course / "solutions").is_dir() and (course / "exercises" / "catalog.toml").is_file()


def test_a_release_has_no_release_of_its_own(release: Path, tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match="no solutions/"):
        write_release(release, tmp_path / "again")
    assert not (tmp_path / "again").exists()


def test_a_title_that_gives_an_answer_away_stops_the_release(course: Path, tmp_path: Path) -> None:
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    catalog = copy / "exercises" / "catalog.toml"
    text = catalog.read_text(encoding="utf-8")
    title = 'title = "dW, the weights\' gradient, (D_out, D_in)"'
    assert title in text
    catalog.write_text(text.replace(title, 'title = "dW = dZ.T @ X"'), encoding="utf-8")
    with pytest.raises(ReleaseError) as refused:
        write_release(copy, tmp_path / "handout")
    assert "linear_backward.dW title: 'dW = dZ.T @ X' holds `dZ.T @ X`" in str(refused.value)
    assert not (tmp_path / "handout").exists()


def test_a_release_carries_drivers_and_refuses_code_of_a_spec(course: Path, tmp_path: Path) -> None:
    """Drivers hold no answers: they ship, and a regular install carries them. A file of the
    course that holds a spec's code (its mistake models are near-solutions) stops the release
    before anything is recorded or written."""
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    (copy / "drivers").mkdir(exist_ok=True)
    driver = "def twice(module, x):\n    return module.linear_forward(x, x, x)\n"
    (copy / "drivers" / "exercise03.py").write_text(driver, encoding="utf-8")
    planted = copy / "exercises" / "helpers.py"
    shutil.copy(SPECS / "exercise03.py", planted)
    with pytest.raises(ReleaseError, match=r"exercises/helpers\.py:<lambda> is specs/exercise03"):
        write_release(copy, tmp_path / "refused")
    assert not (tmp_path / "refused").exists()
    planted.unlink()
    written = write_release(copy, tmp_path / "handout")
    assert (tmp_path / "handout" / "drivers" / "exercise03.py").read_text() == driver
    pyproject = tomllib.loads((tmp_path / "handout" / "pyproject.toml").read_text())
    included = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included["drivers"] == "grader/_course/drivers"
    drivers = len(list((copy / "drivers").glob("*.py")))  # the course's own, and the one above
    assert written.count("drivers") == drivers and written.count("specs") == 0


# --- a learner's repository -------------------------------------------------------------------


def test_the_release_gives_no_answer_away(release: Path, tmp_path: Path) -> None:
    """The titles, hints and stub messages handed out, against the course's solutions. The
    release was only written because this scan found nothing in the course, so the same scan
    of the same files with an answer planted in a check title must find it: else a clean
    result would prove nothing."""
    catalog = load_catalog(release / "exercises" / "catalog.toml")
    found = giveaways(catalog, release / "exercises", SOLUTIONS)
    assert not found, "\n".join(map(str, found))

    leaking = tmp_path / "exercises"
    shutil.copytree(release / "exercises", leaking)
    toml = leaking / "catalog.toml"
    title = 'title = "dW, the weights\' gradient, (D_out, D_in)"'
    text = toml.read_text(encoding="utf-8")
    assert title in text
    toml.write_text(text.replace(title, 'title = "dW, from dZ.T @ X"'), encoding="utf-8")
    found = giveaways(load_catalog(toml), leaking, SOLUTIONS)
    assert [(g.where, g.text) for g in found] == [
        ("catalog exercise03 linear_backward.dW title", "dW, from dZ.T @ X")
    ]
    assert found[0].answer.startswith("`dZ.T @ X` (exercise03_linear.py:")


@pytest.mark.slow
def test_a_fresh_editable_install_checks_as_the_full_grader(release: Path, tmp_path: Path) -> None:
    """What the README tells a learner: a new virtual environment, `pip install -e .` in the
    release, then `bpgrade check`; the reference solutions pass, and a corpus file fails
    the checks it fails under the full grader."""
    handout = tmp_path / "handout"
    shutil.copytree(release, handout, ignore=shutil.ignore_patterns("work", "answers"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    if needs_torch(release):  # as the README says: torch's CPU build first, pinned
        torch = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "torch==2.13.0"],
            capture_output=True, text=True, timeout=900, env=_env(),
        )  # fmt: skip
        assert torch.returncode == 0, torch.stderr
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-e", "."],
        cwd=handout, capture_output=True, text=True, timeout=600, env=_env(),
    )  # fmt: skip
    if install.returncode != 0 and "No matching distribution" in install.stderr:
        pytest.skip(f"no package index for the build: {install.stderr.strip()[-300:]}")
    assert install.returncode == 0, install.stderr
    learner = venv / "bin" / "bpgrade"
    env = _env()
    mine = handout / "mine"
    mine.mkdir()
    for path in SOLUTIONS.glob("*.py"):
        shutil.copy(path, mine / path.name)
    run = subprocess.run(
        [str(learner), "check", "--all", "--json", "--dir", str(mine)],
        cwd=handout, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert all(e["status"] == "passed" for e in json.loads(run.stdout)["exercises"])
    (wrong,) = [name for name in corpus_sample(CATALOG) if name.startswith("exercise03/")]
    entry = CATALOG.find("exercise03")
    assert entry is not None
    shutil.copy(CORPUS / wrong, mine / entry.file)
    run = subprocess.run(
        [str(learner), "check", "exercise03", "--json", "--dir", str(mine)],
        cwd=handout, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    checks = json.loads(run.stdout)["exercises"][0]["checks"]
    full = grade_in(entry, mine)
    assert [(c["name"], c["passed"], c["message"]) for c in checks] == [
        (c.name, c.passed, c.message) for c in full.checks
    ]


LEARNER_COMMANDS = ("check", "hint", "init", "list", "next", "plot", "quiz", "reset", "watch")
INSTRUCTOR_COMMANDS = ("autograder", "grade", "release")


def _listed(help_text: str) -> set[str]:
    commands = help_text.split("Commands:", 1)[1]
    return {line.split()[0] for line in commands.splitlines() if line.strip()}


def test_a_release_lists_the_learners_commands_only(release: Path, tmp_path: Path) -> None:
    assert _listed(bpgrade("--help", cwd=ROOT).stdout) == {
        *LEARNER_COMMANDS, *INSTRUCTOR_COMMANDS
    }  # fmt: skip
    assert _listed(bpgrade("--help", cwd=release / "exercises").stdout) == set(LEARNER_COMMANDS)
    own = subprocess.run(
        [sys.executable, "-m", "grader", "--help"],
        cwd=release, capture_output=True, text=True, env=_env(),
    )  # fmt: skip
    assert _listed(own.stdout) == set(LEARNER_COMMANDS)  # the release's own copy of bpgrade
    elsewhere = bpgrade("--help", cwd=tmp_path, env=_env(BPGRADE_COURSE=str(release)))
    assert _listed(elsewhere.stdout) == set(LEARNER_COMMANDS)


@pytest.mark.parametrize(
    "args",
    [
        ("grade", "submissions", "-o", "grades.csv", "--jobs", "4"),
        ("release", "-o", "again"),
        ("autograder", "gradescope", "-o", "autograder.zip"),
        ("grade", "--help"),
    ],
    ids=lambda args: " ".join(args),
)
def test_an_instructors_command_in_a_release_says_so(release: Path, args: tuple[str, ...]) -> None:
    run = bpgrade(*args, cwd=release)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == (
        f"Error: bpgrade {args[0]} is for instructors' checkouts of the course; a student "
        "release has check, hint, init, list, next, plot, quiz, reset and watch.\n"
    )
    assert not (release / "again").exists() and not (release / "grades.csv").exists()


def test_a_learners_repository_commits_their_work_and_nothing_made(
    release: Path, tmp_path: Path
) -> None:
    """The release as a GitHub Classroom template: after a learner installed, worked, checked,
    answered a quiz and the workflow ran, git would commit what they wrote, not what was made."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    shutil.copytree(release, repo, ignore=shutil.ignore_patterns("work"))
    checked = bpgrade("check", "exercise01", cwd=repo)  # writes bpgrade's own progress
    assert checked.returncode == 1, checked.stderr
    assert (repo / ".bpgrade").is_dir()
    stub = repo / "exercises" / "exercise01_chain_rule.py"
    stub.write_text(stub.read_text(encoding="utf-8") + "\n# my work\n", encoding="utf-8")
    made = [
        ".venv/bin/python",
        "exercises/__pycache__/exercise01_chain_rule.cpython-312.pyc",
        "grader/__pycache__/cli.cpython-312.pyc",
        ".pytest_cache/README.md",
        "bpgrade.egg-info/PKG-INFO",
        "bpgrade-result.json",
        ".DS_Store",
    ]
    written = [
        "answers/graded-example.json",
        ".github/workflows/classroom.yml",
        "exercises/notes.md",
    ]
    for name in made + written:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("x", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    committed = {line[3:] for line in status.stdout.splitlines()}
    handed_out = {path.as_posix() for path in WRITTEN}
    assert handed_out <= committed, sorted(handed_out - committed)
    assert set(written) <= committed
    assert committed - handed_out - set(written) == set(), "made on the learner's machine"


# --- quizzes ----------------------------------------------------------------------------------


def test_practice_quizzes_go_out_whole(release: Path) -> None:
    for path in (ROOT / "quizzes").glob("*.toml"):
        assert (release / "quizzes" / path.name).read_bytes() == path.read_bytes()


def test_a_graded_quiz_goes_out_without_its_answers(course: Path, release: Path) -> None:
    assert not (release / "quizzes" / f"{GRADED_QUIZ}.toml").exists()
    path = release / "quizzes" / f"{GRADED_QUIZ}.handout.json"
    text = path.read_text(encoding="utf-8")
    for word in ("correct", "answer", "explanation", "feedback", "tolerance", "rtol", "scoring"):
        assert f'"{word}"' not in text, word
    full = load_quiz(course / "quizzes" / f"{GRADED_QUIZ}.toml")
    for secret in ("Backprop computes gradients", "peaks at a = 0.5", "not the loss"):
        assert secret not in text
    handout = load_handout(path)
    assert [q.id for q in handout.questions] == [q.id for q in full.questions]
    ordering = next(q for q in handout.questions if q.type == "ordering")
    right = [item.id for item in next(q for q in full.questions if q.type == "ordering").items]
    assert [item.id for item in ordering.items] != right


def test_a_graded_quiz_is_asked_and_its_answers_saved_to_hand_in(
    course: Path, release: Path
) -> None:
    handout = load_handout(release / "quizzes" / f"{GRADED_QUIZ}.handout.json")
    replies = []
    for question in handout.questions:
        count = len(draw_handout_question(question, 7).order)
        replies.append(
            {
                "single_choice": "a",
                "multiple_choice": "a b",
                "true_false": "t",
                "numeric": "0.25",
                "ordering": " ".join("abcdefgh"[:count]),
            }[question.type]
        )
    run = bpgrade("quiz", GRADED_QUIZ, "--seed", "7", cwd=release, input="\n".join(replies) + "\n")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "not scored here" in run.stdout and "Score" not in run.stdout
    saved = release / "answers" / f"{GRADED_QUIZ}.json"
    full = load_quiz(course / "quizzes" / f"{GRADED_QUIZ}.toml")
    answers = load_answers(saved, full)  # the answers-file format, for the full quiz
    assert set(answers) == {q.id for q in full.questions}
    result = grade_quiz(full, answers, draw(full, 7))  # what the instructor runs
    assert result.max_score == full.max_score

    listed = bpgrade("quiz", "list", cwd=release)
    assert GRADED_QUIZ in listed.stdout and "to hand in" in listed.stdout
    scored = bpgrade("quiz", GRADED_QUIZ, "--answers", str(saved), cwd=release)
    assert scored.returncode == 2 and "cannot be scored here" in scored.stderr


def test_a_handout_draws_the_same_numbers_as_the_full_quiz(course: Path, release: Path) -> None:
    handout = load_handout(release / "quizzes" / f"{GRADED_QUIZ}.handout.json")
    full = load_quiz(course / "quizzes" / f"{GRADED_QUIZ}.toml")
    for seed in (0, 7, 12345):
        variant = draw(full, seed)
        for question in handout.questions:
            if question.type == "numeric":
                assert (
                    draw_handout_question(question, seed).params
                    == variant.questions[question.id].params
                )
