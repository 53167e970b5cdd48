"""Misplaced files: a corpus of submission layouts, each with the files it must grade and what
the student must be told, through the library (`grader.layout.locate`, `grade_submission`)
and through the real command (`bpgrade check --all --format gradescope`, BPGRADE_OUTPUT).

A file that must not be graded is a copy of the reference solution, so that grading it by
mistake shows as full marks; every exercise file that must be graded is a solution too, so
graded means passed and not graded means an error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest

from grader import submission as submission_module
from grader.catalog import Catalog, ExerciseEntry, load_catalog
from grader.cli.render import report_text
from grader.course import course_root
from grader.formats import FORMATS, markdown, render
from grader.formats._common import STATUS_WORDS
from grader.formats.github import error_annotations
from grader.layout import MAX_ENTRIES, NAME_CHARS, canonical, locate
from grader.report import Report
from grader.sandbox import MAX_FILE
from grader.submission import grade_submission

from .conftest import EXERCISES, ROOT, SOLUTIONS, shared_sandbox
from .test_cli import bpgrade

# every exercise of the course, by name, and its file
FILES = {e.name: e.file for e in load_catalog(EXERCISES / "catalog.toml").exercises}
ALL = list(FILES)


def solution(name: str) -> bytes:
    return (SOLUTIONS / FILES[name]).read_bytes()


def stub(name: str) -> bytes:
    return (EXERCISES / FILES[name]).read_bytes()


def everything(folder: str = "") -> dict[str, bytes]:
    return {f"{folder}{FILES[name]}": solution(name) for name in ALL}


@dataclass
class Layout:
    """A submission: path -> content; the file each exercise must be graded from (the rest
    must not be graded); sentences the notes must hold, and those each missing exercise's
    message must hold."""

    id: str
    files: dict[str, bytes]
    graded: dict[str, str]
    notes: list[str] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=dict)
    scores: dict[str, str] = field(default_factory=dict)  # "passed" unless said otherwise


CORPUS = [
    Layout("at the top", everything(), {n: FILES[n] for n in ALL}),
    Layout("in exercises/", everything("exercises/"), {n: f"exercises/{FILES[n]}" for n in ALL}),
    Layout(
        "one folder deeper",
        everything("my_work/"),
        {n: f"my_work/{FILES[n]}" for n in ALL},
        notes=["one folder deeper", "in `my_work/`", "move them up"],
    ),
    Layout(
        "a whole checkout, two folders deeper, its solutions never read",
        {
            **{f"bpgrade-main/exercises/{FILES[n]}": stub(n) for n in ALL},
            "bpgrade-main/exercises/exercise03_linear.py": solution("exercise03"),
            **everything("bpgrade-main/solutions/"),
            **everything("bpgrade-main/tests/"),
        },
        {n: f"bpgrade-main/exercises/{FILES[n]}" for n in ALL},
        notes=["two folders deeper", "in `bpgrade-main/exercises/`"],
        scores={n: "not_started" for n in ALL if n != "exercise03"},
    ),
    *[
        Layout(
            f"renamed: {name}",
            {name: solution("exercise03")},
            {"exercise03": name},
            notes=[f"rename `{name}` to `exercise03_linear.py`"],
            missing={"exercise01": ["exercise01_chain_rule.py was not found"]},
        )
        for name in (
            "exercise03_linear (1).py",
            "exercise03_linear(1).py",
            "Exercise03_Linear.py",
            "exercise03_linear.py.txt",
            "exercise03_linear-2.py",
            "exercise03.py",
            "Copy of exercise03_linear.py",
            "exercise03_linear - Copy.py",
            "exercise3_linear.py",
        )
    ],
    Layout(
        "renamed and one folder deeper",
        {"my_work/exercise03_linear (1).py": solution("exercise03")},
        {"exercise03": "my_work/exercise03_linear (1).py"},
        notes=["in `my_work/`", "rename `my_work/exercise03_linear (1).py`"],
    ),
    Layout(
        "two candidates: refused, both named",
        {
            "exercise03_linear (1).py": solution("exercise03"),
            "exercise03_linear (2).py": solution("exercise03"),
        },
        {},
        missing={
            "exercise03": [
                "Several files could be it",
                "`exercise03_linear (1).py`",
                "`exercise03_linear (2).py`",
                "none was graded",
            ]
        },
    ),
    Layout(
        "its own name beside a browser copy: its own name wins, the copy is named",
        {"exercise03_linear.py": solution("exercise03"), "exercise03_linear (1).py": b"x = ("},
        {"exercise03": "exercise03_linear.py"},
        notes=["Also found `exercise03_linear (1).py`"],
    ),
    Layout(
        "top and exercises/, the top fuller: the top is graded, exercises/ ignored",
        {**everything(), "exercises/exercise03_linear.py": stub("exercise03")},
        {n: FILES[n] for n in ALL},
        notes=[
            "Only one folder is graded: the top of your submission",
            f"({len(ALL)} against 1)",
            "in `exercises/` were not graded",
            "They differ from the graded ones",
        ],
    ),
    Layout(
        "top and exercises/, exercises/ fuller: exercises/ is graded, the top ignored",
        {**everything("exercises/"), "exercise01_chain_rule.py": stub("exercise01")},
        {n: f"exercises/{FILES[n]}" for n in ALL},
        notes=["Only one folder is graded: `exercises/`", "at the top of your submission were"],
    ),
    Layout(
        "top and exercises/ alike: the top is graded, the same files said",
        {**everything(), **everything("exercises/")},
        {n: FILES[n] for n in ALL},
        notes=["on a tie the shallowest", "They are the same as the graded ones"],
    ),
    Layout(
        "a file beside the graded folder's: named, not graded",
        {**everything("my_work/"), "extra/exercise03_linear.py": b"x = ("},
        {n: f"my_work/{FILES[n]}" for n in ALL},
        notes=["in `extra/` were not graded"],
    ),
    Layout(
        "two folders alike below the top: refused, both named",
        {**everything("copy1/"), **everything("copy2/")},
        {},
        notes=["several folders, `copy1/`, `copy2/`", "none was graded"],
        missing={"exercise03": ["`copy1/`, `copy2/`"]},
    ),
    Layout(
        "exercises/ over another folder of its level",
        {**everything("exercises/"), **everything("old/")},
        {n: f"exercises/{FILES[n]}" for n in ALL},
        notes=["in `old/` were not graded"],
    ),
    *[
        Layout(
            f"never read: {decoy}",
            {decoy: solution("exercise03")},
            {},
            missing={"exercise03": ["exercise03_linear.py was not found", *said]},
        )
        for decoy, said in (
            (".git/exercise03_linear.py", []),
            ("__MACOSX/._exercise03_linear.py", []),
            ("__MACOSX/my_work/exercise03_linear.py", []),
            ("._exercise03_linear.py", []),
            (".hidden/exercise03_linear.py", []),
            ("solutions/exercise03_linear.py", ["bpgrade never looks in `solutions/`"]),
            ("Solutions/exercise03_linear.py", ["bpgrade never looks in `Solutions/`"]),
            ("tests/exercise03_linear.py", ["bpgrade never looks in `tests/`"]),
            ("my_work/solutions/exercise03_linear.py", []),
            ("venv/lib/exercise03_linear.py", []),
        )
    ],
    Layout(
        "other Python files: named as what was found instead",
        {"linear.py": solution("exercise03"), "notes.md": b"hi"},
        {},
        missing={"exercise03": ["Python files found instead: `linear.py`", "rename it to"]},
    ),
    Layout(
        "three folders down: too deep to be looked for",
        everything("a/b/c/"),
        {},
        missing={"exercise03": ["exercise03_linear.py was not found"]},
    ),
]


def write(root: Path, files: dict[str, bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


@pytest.fixture
def entries(catalog: Catalog) -> list[ExerciseEntry]:
    return list(catalog.exercises)


# -- the library -------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", CORPUS, ids=[layout.id for layout in CORPUS])
def test_each_layout_grades_the_expected_files_and_says_so(
    layout: Layout, entries: list[ExerciseEntry], tmp_path: Path
) -> None:
    found = locate(write(tmp_path / "submission", layout.files), entries)
    assert {name: str(path) for name, path in found.files.items()} == layout.graded
    assert set(found.missing) == set(ALL) - set(layout.graded)
    notes = " ".join(found.notes)
    for sentence in layout.notes:
        assert sentence in notes
    for name, sentences in layout.missing.items():
        assert FILES[name] in found.missing[name]
        for sentence in sentences:
            assert sentence in found.missing[name]
    every = notes + " ".join(found.missing.values())
    assert str(tmp_path) not in every and "/tmp" not in every


def test_a_submission_where_the_course_puts_its_files_gets_no_note(
    entries: list[ExerciseEntry], tmp_path: Path
) -> None:
    for folder in ("", "exercises/"):
        found = locate(write(tmp_path / folder.strip("/") / "s", everything(folder)), entries)
        assert found.notes == [] and found.missing == {}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("exercise03_linear (1).py", "exercise03_linear"),
        ("EXERCISE03_LINEAR.PY", "exercise03_linear"),
        ("exercise03_linear.py.txt", "exercise03_linear"),
        ("exercise03_linear (1) copy.py", "exercise03_linear"),
        ("exercise03-linear.py", "exercise03_linear"),
        ("exercise03_linear.ipynb", None),
        ("exercise03_linear.pyc", None),
        ("exercise03_linear_test.py", "exercise03_linear_test"),
    ],
)
def test_near_miss_names_reduce_to_the_exercise_and_nothing_else_does(
    name: str, expected: str | None
) -> None:
    got = canonical(name)
    assert got == (None if expected is None else expected.replace("exercise03", "exercise3"))


def test_grading_a_renamed_file_and_a_nested_folder_gives_full_marks_with_the_notes(
    entries: list[ExerciseEntry], tmp_path: Path
) -> None:
    files = everything("my_work/")
    files["my_work/exercise03_linear (1).py"] = files.pop("my_work/exercise03_linear.py")
    submission = write(tmp_path / "s", files)
    report = grade_submission(entries, submission, course_root(), sandbox=shared_sandbox())
    assert report.error is None
    assert report.score == report.max_score
    assert any("rename `my_work/exercise03_linear (1).py`" in note for note in report.layout)
    assert locate(submission, entries).folder == PurePosixPath("my_work")
    assert report.files["exercise03"] == "my_work/exercise03_linear (1).py"
    assert report.files["exercise01"] == "my_work/exercise01_chain_rule.py"


def test_an_exercise_not_found_is_an_error_that_says_where_it_belongs(
    entries: list[ExerciseEntry], tmp_path: Path
) -> None:
    submission = write(tmp_path / "s", {"exercise01_chain_rule.py": solution("exercise01")})
    report = grade_submission(
        entries, submission, course_root(), sandbox=shared_sandbox(), student="s1"
    )
    by_name = {exercise.name: exercise for exercise in report.exercises}
    assert by_name["exercise01"].status == "passed"
    missing = by_name["exercise03"]
    assert missing.status == "error" and missing.score == 0
    assert missing.error is not None and "belongs at the top of your submission" in missing.error
    # with a student id every check is listed twice, public and hidden, as when graded
    assert len(missing.checks) == 2 * len(entries[2].checks)


# -- what is never followed, and what a message repeats -----------------------------------------


def test_links_are_never_followed_and_are_named(
    entries: list[ExerciseEntry], tmp_path: Path
) -> None:
    submission = tmp_path / "s"
    submission.mkdir()
    (submission / "exercise03_linear.py").symlink_to(SOLUTIONS / "exercise03_linear.py")
    (submission / "my_work").symlink_to(SOLUTIONS, target_is_directory=True)
    (submission / "exercises").symlink_to(SOLUTIONS, target_is_directory=True)
    found = locate(submission, entries)
    assert found.files == {}
    assert "`exercise03_linear.py` is a symbolic link" in found.missing["exercise03"]
    report = grade_submission(entries, submission, course_root(), sandbox=shared_sandbox())
    assert report.score == 0


def test_a_file_too_large_to_grade_is_named_with_the_limit(
    entries: list[ExerciseEntry], tmp_path: Path
) -> None:
    submission = tmp_path / "s"
    submission.mkdir()
    with (submission / "exercise03_linear.py").open("wb") as file:
        file.truncate(MAX_FILE + 1)  # sparse: no disk spent
    found = locate(submission, entries)
    assert found.files == {}
    said = "`exercise03_linear.py` is larger than 16 MiB, so it was not read."
    assert said in found.missing["exercise03"]


def test_a_submission_that_is_a_link_is_not_a_grade(
    entries: list[ExerciseEntry], tmp_path: Path
) -> None:
    (tmp_path / "s").symlink_to(SOLUTIONS, target_is_directory=True)
    report = grade_submission(entries, tmp_path / "s", course_root(), sandbox=shared_sandbox())
    assert report.error == (
        "the submission cannot be graded: s is a symbolic link; submit the folder itself"
    )
    assert report.exercises == [] and report.score == 0
    assert report.max_score == sum(e.max_score for e in entries)


def test_odd_names_are_escaped_and_clipped_in_every_message(
    entries: list[ExerciseEntry], tmp_path: Path
) -> None:
    submission = tmp_path / "s"
    submission.mkdir()
    long = "exercise03_linear" + "x" * 200 + ".py"
    for name in ("evil\x1b[31m\n.py", long):
        (submission / name).write_bytes(solution("exercise03"))
    os.close(os.open(os.fsencode(submission) + b"/bad\xff.py", os.O_CREAT | os.O_WRONLY))
    found = locate(submission, entries)
    message = found.missing["exercise03"]
    assert "\x1b" not in message and "\n" not in message
    assert "evil\\x1b[31m\\n.py" in message and "\\udcff" in message
    assert long not in message and "…" in message
    quoted = [part for part in message.split("`") if "xxxx" in part]
    assert quoted and all(len(part) <= NAME_CHARS for part in quoted)


def test_thousands_of_files_and_a_deep_tree_are_searched_within_bounds(
    entries: list[ExerciseEntry], tmp_path: Path
) -> None:
    submission = tmp_path / "s"
    deep = submission.joinpath(*["d"] * 60)
    deep.mkdir(parents=True)
    (deep / "exercise03_linear.py").write_bytes(solution("exercise03"))
    crowd = submission / "crowd"
    crowd.mkdir()
    for number in range(MAX_ENTRIES + 500):
        (crowd / f"f{number}.py").touch()
    found = locate(submission, entries)
    assert found.files == {}
    assert any(f"more than {MAX_ENTRIES:,} files" in note for note in found.notes)


def test_a_folder_named_like_an_exercise_file_is_not_graded(
    entries: list[ExerciseEntry], tmp_path: Path
) -> None:
    submission = write(
        tmp_path / "s",
        {
            "exercise03_linear.py/x.py": b"",
            "exercise01_chain_rule (1).py": solution("exercise01"),
            "exercise01_chain_rule.py/y.py": b"",
        },
    )
    report = grade_submission(entries, submission, course_root(), sandbox=shared_sandbox())
    by_name = {exercise.name: exercise for exercise in report.exercises}
    assert report.error is None
    assert by_name["exercise03"].status == "error"
    # graded from the file beside the folder of its name, which holds the solution
    assert by_name["exercise01"].status == "passed"
    assert by_name["exercise01"].score == by_name["exercise01"].max_score


def _no_temporary_path(text: str, *roots: Path) -> None:
    for root in roots:
        assert str(root) not in text
    for fragment in ("/tmp", "bpgrade-staged", "bpgrade-submission", "/submission/"):
        assert fragment not in text, fragment


def test_no_temporary_path_in_any_format(
    catalog: Catalog, entries: list[ExerciseEntry], tmp_path: Path
) -> None:
    files = {
        "my_work/exercise01_chain_rule (1).py": solution("exercise01"),
        "my_work/exercise02_activations.py": b"import numpy\nraise RuntimeError('boom')\n",
        "my_work/exercise04_losses.py": b"def mse_loss(:\n",
        "exercises/exercise05_two_layer.py": stub("exercise05"),
    }
    submission = write(tmp_path / "s", files)
    report = grade_submission(entries, submission, course_root(), sandbox=shared_sandbox())
    assert report.layout and report.error is None
    statuses = {exercise.name: exercise.status for exercise in report.exercises}
    # graded from my_work/: exercise01 passes, the rest are errors or not there at all
    assert statuses == {**dict.fromkeys(ALL, "error"), "exercise01": "passed"}
    for fmt in FORMATS:
        text = render(report, fmt)
        _no_temporary_path(text, tmp_path)
        assert "`my_work/`" in text, fmt
    _no_temporary_path(report_text(report, catalog), tmp_path)
    _no_temporary_path(markdown.render(report), tmp_path)


def test_every_format_shows_where_the_files_were_found_first(tmp_path: Path) -> None:
    report = Report(score=0, max_score=0, exercises=[], layout=["Your files are in `x/`."])
    gradescope = json.loads(render(report, "gradescope"))
    assert gradescope["output"].startswith("About your files:\n- Your files are in `x/`.")
    prairielearn = json.loads(render(report, "prairielearn"))
    assert prairielearn["output"].startswith("About your files:")
    junit = ET.fromstring(render(report, "junit"))
    first = junit.find("testsuite")
    assert first is not None and first.get("name") == "files"
    assert "`x/`" in (first.findtext("testcase/system-out") or "")
    assert json.loads(render(report, "json"))["layout"] == ["Your files are in `x/`."]
    assert "- Your files are in `x/`." in markdown.render(report).split("|")[0]


def test_the_terminal_says_where_the_files_were_found_without_loading_a_format() -> None:
    """`bpgrade check` prints the layout notes; the results formats load only when asked."""
    code = (
        "import sys, click\n"
        "from grader.cli.render import report_text\n"
        "from grader.catalog import load_catalog\n"
        "from grader.course import catalog_path\n"
        "from grader.report import Report\n"
        "report = Report(score=0, max_score=0, exercises=[], layout=['In `x/`.'])\n"
        "print(click.unstyle(report_text(report, load_catalog(catalog_path()))))\n"
        "print(sorted(m for m in sys.modules if m.startswith('grader.formats')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "About your files:\n  - In `x/`." in done.stdout
    assert done.stdout.rstrip().endswith("[]")


def test_github_annotates_the_file_that_was_graded(
    entries: list[ExerciseEntry], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a workflow, `bpgrade check --format github` runs from the repository with
    `--dir exercises`: the annotation of a failed exercise found one folder down, under a
    near-miss name, is on that file, not on the name at the top where nothing lies."""
    mistake = (ROOT / "tests" / "corpus" / "exercise03" / "bug_transposed_dw.py").read_bytes()
    write(tmp_path / "exercises", {"hw/exercise03_linear (1).py": mistake})
    monkeypatch.chdir(tmp_path)
    report = grade_submission(entries, Path("exercises"), course_root(), sandbox=shared_sandbox())
    exercise03 = next(e for e in report.exercises if e.name == "exercise03")
    assert exercise03.status == "failed"
    assert report.files == {"exercise03": "hw/exercise03_linear (1).py"}
    [annotation] = [
        command
        for command in error_annotations(report, Path("exercises"))
        if "title=exercise03" in command
    ]
    assert annotation.startswith("::error file=exercises/hw/exercise03_linear (1).py,title=")


# -- the command ---------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", CORPUS, ids=[layout.id for layout in CORPUS])
def test_each_layout_through_the_command(layout: Layout, tmp_path: Path) -> None:
    submission = write(tmp_path / "submission", layout.files)
    results = tmp_path / "results" / "results.json"
    done = bpgrade(
        tmp_path,
        "check",
        "--all",
        "--dir",
        str(submission),
        "--format",
        "gradescope",
        env={"BPGRADE_OUTPUT": str(results)},
    )
    assert done.returncode in (0, 1), done.stderr
    data = json.loads(results.read_text())
    by_exercise: dict[str, list[dict[str, object]]] = {}
    for test in data["tests"]:
        if test.get("status"):
            by_exercise.setdefault(str(test["tags"][0]), []).append(test)
    output = data["output"]
    for name in ALL:
        tests = by_exercise[name]
        score = sum(float(str(t["score"])) for t in tests)
        maximum = sum(float(str(t["max_score"])) for t in tests)
        expected = layout.scores.get(name, "passed") if name in layout.graded else "error"
        assert (score == maximum) == (expected == "passed"), name
        [line] = [line for line in output.splitlines() if line.startswith(f"{name} (")]
        assert line.endswith(f", {STATUS_WORDS[expected]}"), line
    for sentence in layout.notes:
        assert sentence in output
    for name, sentences in layout.missing.items():
        for sentence in sentences:
            assert sentence in output, name
    said = [line for line in done.stdout.splitlines() if not line.startswith("Results written")]
    _no_temporary_path("\n".join([output, *said, done.stderr]), tmp_path)


def test_the_batch_grades_a_nested_student_and_says_where(tmp_path: Path) -> None:
    submissions = tmp_path / "submissions"
    write(submissions / "ann", everything("my_work/"))
    write(submissions / "ben", everything())
    shutil.copy(
        SOLUTIONS / "exercise03_linear.py", submissions / "ben" / "exercise03_linear (1).py"
    )
    output = tmp_path / "grades.csv"
    done = bpgrade(tmp_path, "grade", str(submissions), "-o", str(output), "--jobs", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    ann = Report.model_validate_json((tmp_path / "grades-reports" / "ann.json").read_text())
    assert ann.score == ann.max_score
    assert any("in `my_work/`" in note for note in ann.layout)
    ben = Report.model_validate_json((tmp_path / "grades-reports" / "ben.json").read_text())
    assert ben.score == ben.max_score
    assert any("Also found `exercise03_linear (1).py`" in note for note in ben.layout)


def test_a_link_swapped_in_after_the_search_is_not_followed(
    entries: list[ExerciseEntry], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    submission = write(tmp_path / "s", {"exercise03_linear (1).py": b"x = 1\n"})
    found = locate(submission, entries)
    (submission / "exercise03_linear (1).py").unlink()
    (submission / "exercise03_linear (1).py").symlink_to(SOLUTIONS / "exercise03_linear.py")
    monkeypatch.setattr(submission_module, "locate", lambda folder, entries: found)
    report = grade_submission(entries, submission, course_root(), sandbox=shared_sandbox())
    exercise03 = next(e for e in report.exercises if e.name == "exercise03")
    assert report.error is None and exercise03.status == "error" and exercise03.score == 0
    assert exercise03.error is not None
    assert "`exercise03_linear (1).py` could not be read" in exercise03.error
