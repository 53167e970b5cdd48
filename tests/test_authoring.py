"""Author tooling: `bpgrade dev new` scaffolds an exercise that works, in a copy of the course,
and `bpgrade dev check` passes the repository and refuses each kind of broken course, one line
per problem that names its file."""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from grader.authoring.consistency import MIN_ALTS, MIN_BUGS, check_course
from grader.authoring.scaffold import ScaffoldError, new_exercise, scaffold
from grader.catalog import Catalog, load_catalog
from grader.checks import checks_for
from grader.cli import main

from .conftest import ROOT

# what a course is made of, as dev check reads it (the rest of the repository is bpgrade's)
COURSE_PARTS = ["exercises", "solutions", "specs", "drivers", "docs", "tests/corpus"]
ORACLE = "tests/test_reference_torch.py"
ORACLES = "tests/test_reference_torch*.py"  # an exercise's own oracle file too (dev new's)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = tmp_path_factory.mktemp("pristine") / "course"
    for part in COURSE_PARTS:
        if (ROOT / part).is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(ROOT / part, course / part, ignore=ignore)
    for oracle in ROOT.glob(ORACLES):
        shutil.copy(oracle, course / "tests" / oracle.name)
    return course


@pytest.fixture
def course(pristine: Path, tmp_path: Path) -> Path:
    """A copy of the course to change: in tmp_path/course, with no shared folder beside it."""
    copy = tmp_path / "course"
    shutil.copytree(pristine, copy)
    return copy


def dev(course: Path, *args: str) -> Result:
    env = {"BPGRADE_COURSE": str(course), "NO_COLOR": "1"}
    return CliRunner().invoke(main, ["dev", *args], env=env, catch_exceptions=False)


def lines(result: Result) -> list[str]:
    """The problems dev check reported, without its closing count."""
    return [line for line in result.stderr.splitlines() if not re.match(r"\d+ problems? in ", line)]


# ---------------------------------------------------------------- dev check on the repository


def test_dev_check_passes_on_the_repository() -> None:
    result = dev(ROOT, "check")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"The course in {ROOT} is consistent.\n"
    assert check_course(ROOT) == []


def test_print_catalog_derives_the_entries_the_catalog_has(catalog: Catalog) -> None:
    for entry in catalog.exercises:
        result = dev(ROOT, "check", "--print-catalog", entry.name)
        assert result.exit_code == 0, result.output
        printed = tomllib.loads(result.stdout)["exercises"]["checks"]
        assert sorted(printed, key=lambda c: c["name"]) == sorted(
            (c.model_dump(exclude_defaults=True) for c in entry.checks), key=lambda c: c["name"]
        )


def test_print_catalog_names_an_unknown_exercise() -> None:
    result = dev(ROOT, "check", "--print-catalog", "exercise99")
    assert result.exit_code == 2
    assert "no exercise 'exercise99'" in result.stderr


# ---------------------------------------------------------------- dev new


def test_dev_new_scaffolds_a_working_exercise(course: Path) -> None:
    result = dev(course, "new", "exercise42", "--title", "Squares and their slopes")
    assert result.exit_code == 0, result.output
    file = "exercise42_squares_and_their_slopes.py"
    written = [
        f"exercises/{file}",
        f"solutions/{file}",
        "specs/exercise42.py",
        "tests/corpus/exercise42/alt_multiply.py",
        "tests/corpus/exercise42/bug_forgot_upstream.py",
        "tests/test_reference_torch_exercise42.py",
    ]
    for path in written:
        assert (course / path).is_file(), path
        assert f"  {path}\n" in result.stdout
    assert "python -m tests.golden.record --only exercise42" in result.stdout

    entry = load_catalog(course / "exercises" / "catalog.toml").find("exercise42")
    assert entry is not None and entry.file == file and entry.title == "Squares and their slopes"
    assert [c.name for c in entry.checks] == [c.name for c in checks_for("exercise42", course)]
    expected = tomllib.loads((course / "tests/corpus/expectations.toml").read_text())
    assert expected["exercise42/alt_multiply.py"] == {"fails": []}
    assert expected["exercise42/bug_forgot_upstream.py"]["fails"] == ["square_backward"]

    # what is left to the author: the stub and solution agree, the oracle test is there, and
    # only the corpus is thinner than a course needs
    check = dev(course, "check")
    assert check.exit_code == 1
    assert lines(check) == [
        f"tests/corpus/exercise42: the corpus of exercise42 has 1 bug_ and 1 alt_ files; it "
        f"needs at least {MIN_BUGS} mistakes (bug_*.py) and {MIN_ALTS} right answers (alt_*.py)"
    ]


def test_the_scaffold_grades_as_its_verdicts_say(course: Path, tmp_path: Path) -> None:
    assert dev(course, "new", "exercise42", "--topic", "square").exit_code == 0
    env = {"BPGRADE_COURSE": str(course), "NO_COLOR": "1"}
    expected = tomllib.loads((course / "tests/corpus/expectations.toml").read_text())
    runs = {
        "solutions": (course / "solutions" / "exercise42_square.py", 0),
        **{
            name: (course / "tests/corpus" / name, 1 if verdict["fails"] else 0)
            for name, verdict in expected.items()
            if name.startswith("exercise42/")
        },
    }
    for name, (source, status) in runs.items():
        folder = tmp_path / "submission" / name.replace("/", "_")
        folder.mkdir(parents=True)
        shutil.copy(source, folder / "exercise42_square.py")
        args = ["check", "exercise42", "--dir", str(folder)]
        result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
        assert result.exit_code == status, (name, result.output)


def test_dev_new_refuses_to_overwrite(course: Path) -> None:
    assert dev(course, "new", "exercise42", "--topic", "square").exit_code == 0
    before = {p: p.read_bytes() for p in course.rglob("*") if p.is_file()}
    again = dev(course, "new", "exercise42", "--topic", "square")
    assert again.exit_code == 1
    assert "exercise42 is there already, not overwritten: exercises/exercise42_square.py" in (
        again.stderr
    )
    assert {p: p.read_bytes() for p in course.rglob("*") if p.is_file()} == before
    # an exercise the contract names, under another topic: refused, the contract's name holds
    other = dev(course, "new", "exercise03", "--topic", "other")
    assert other.exit_code == 1
    assert "the contract names exercise03's file exercises/exercise03_linear.py" in other.stderr
    # and in a course without a contract, one its catalog has: the entry is not written twice
    (course / "docs" / "contract.md").unlink()
    other = dev(course, "new", "exercise03", "--topic", "other")
    assert other.exit_code == 1
    assert "exercises/catalog.toml (its entry exercise03)" in other.stderr


@pytest.mark.parametrize(
    ("name", "topic", "says"),
    [
        ("exercise6", None, "is not an exercise name like exercise06"),
        ("ex06", None, "is not an exercise name"),
        ("exercise06", "Big Topic", "lowercase words joined by _"),
    ],
)
def test_dev_new_refuses_bad_names(name: str, topic: str | None, says: str) -> None:
    with pytest.raises(ScaffoldError, match=says):
        new_exercise(name, topic)


def test_dev_new_takes_the_topic_from_the_title() -> None:
    assert new_exercise("exercise07", title="Deep networks: vanishing gradients.").file == (
        "exercise07_deep_networks_vanishing_gradients.py"
    )
    assert new_exercise("exercise07").file == "exercise07_topic.py"


CONTRACT_TEXT = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")


def test_dev_new_takes_the_file_name_and_title_from_the_contract() -> None:
    exercise = new_exercise("exercise10", contract=CONTRACT_TEXT)
    assert (exercise.file, exercise.title) == ("exercise10_normalization.py", "Normalization")
    titled = new_exercise("exercise10", title="Batchnorm and layernorm", contract=CONTRACT_TEXT)
    assert (titled.file, titled.title) == ("exercise10_normalization.py", "Batchnorm and layernorm")
    # an exercise the contract does not name yet: the author's topic, or the title's words
    assert new_exercise("exercise42", "scale", contract=CONTRACT_TEXT).file == "exercise42_scale.py"


def test_dev_new_refuses_a_topic_the_contract_contradicts() -> None:
    with pytest.raises(ScaffoldError, match=r"exercises/exercise10_normalization\.py"):
        new_exercise("exercise10", "batchnorm", contract=CONTRACT_TEXT)


def test_dev_refuses_a_student_release(course: Path) -> None:
    shutil.rmtree(course / "solutions")
    (course / "expected").mkdir()
    for args in (["check"], ["new", "exercise42"]):
        result = dev(course, *args)  # as every instructor's command is refused there
        assert result.exit_code == 2
        assert "bpgrade dev is for instructors' checkouts of the course" in result.stderr
    with pytest.raises(ScaffoldError, match="is a student release; author in the course's"):
        scaffold(course, new_exercise("exercise42"))


# ---------------------------------------------------------------- dev check's refusals

STUB3 = Path("exercises/exercise03_linear.py")
STUB5 = Path("exercises/exercise05_two_layer.py")
CATALOG = Path("exercises/catalog.toml")


def _edit(path: Path | str, old: str, new: str, count: int = 1) -> Callable[[Path], None]:
    def edit(course: Path) -> None:
        text = (course / path).read_text(encoding="utf-8")
        assert old in text, (path, old)
        (course / path).write_text(text.replace(old, new, count), encoding="utf-8")

    return edit


def _thin_corpus(course: Path) -> None:
    """exercise03 keeps 5 of its mistakes and 1 of its alternatives, each with its verdict."""
    folder = course / "tests/corpus/exercise03"
    gone = sorted(folder.glob("bug_*.py"))[5:] + sorted(folder.glob("alt_*.py"))[1:]
    expectations = course / "tests/corpus/expectations.toml"
    text = expectations.read_text(encoding="utf-8")
    for path in gone:
        path.unlink()
        text = re.sub(rf'\["exercise03/{path.name}"\]\n(?:(?!\[")[^\n]*\n)*', "", text)
    expectations.write_text(text, encoding="utf-8")


def _unexpected_file(course: Path) -> None:
    (course / "tests/corpus/exercise03/bug_new.py").write_text("x = 1\n")


def _no_spec(course: Path) -> None:
    (course / "specs/exercise03.py").unlink()


def _shared_contract(course: Path) -> None:
    shared = course.parent / "shared"
    shared.mkdir()
    (shared / "curriculum.md").write_text("# The exercise contract, as it is now\n")


BROKEN: list[tuple[str, Callable[[Path], None], str]] = [
    (
        "an argument less",
        _edit(
            STUB3, "dZ: np.ndarray, X: np.ndarray, W: np.ndarray", "dZ: np.ndarray, X: np.ndarray"
        ),
        f"{STUB3}: linear_backward(dZ, X) differs from the solution's linear_backward(dZ, X, W)",
    ),
    (
        "another default",
        _edit(STUB5, "seed: int = 0", "seed: int = 1"),
        f"{STUB5}: init_params(D, H, C, seed=1) differs from the solution's "
        "init_params(D, H, C, seed=0)",
    ),
    (
        "a docstring",
        _edit(STUB3, "- X: inputs, shape (N, D_in)", "- X: inputs, shape (D_in, N)"),
        f"{STUB3}: linear_forward's docstring differs from the solution's: line 6 reads "
        "'- X: inputs, shape (D_in, N)', the solution's '- X: inputs, shape (N, D_in)'",
    ),
    (
        "a function of the solution's only",
        _edit(STUB3, "def linear_backward(", "def _linear_backward("),
        f"{STUB3}: linear_backward is in the solution but not in the stub",
    ),
    (
        "a graded stub that computes",
        _edit(
            STUB3,
            'raise NotImplementedError("linear_forward: compute Z, shape (N, D_out) (see the '
            'docstring)")',
            "return X @ W.T + b",
        ),
        f"{STUB3}: linear_forward is graded but the stub does not raise NotImplementedError",
    ),
    (
        "a thin corpus",
        _thin_corpus,
        "tests/corpus/exercise03: the corpus of exercise03 has 5 bug_ and 1 alt_ files; it "
        "needs at least 6 mistakes (bug_*.py) and 2 right answers (alt_*.py)",
    ),
    (
        "a corpus file without its verdict",
        _unexpected_file,
        "tests/corpus/exercise03/bug_new.py: has no expected verdict in "
        "tests/corpus/expectations.toml",
    ),
    (
        "no torch oracle",
        _edit(ORACLE, "def test_exercise03_", "def test_layer_"),
        f"{ORACLE}: exercise03 has no torch oracle test (a test_exercise03_... function in "
        "tests/test_reference_torch*.py)",
    ),
    (
        "a check the spec has not",
        _edit(CATALOG, 'name = "linear_backward.db"', 'name = "linear_backward.bias"'),
        f"{CATALOG}: exercise03 lists checks its spec has not: linear_backward.bias",
    ),
    (
        "a hint for a check the exercise has not",
        _edit(CATALOG, 'checks = ["linear_backward.db"]', 'checks = ["linear_backward.bias"]'),
        f"{CATALOG}: exercise03's hint 4 serves no check named linear_backward.bias",
    ),
    (
        "a check of the spec left out",
        _edit(CATALOG, 'name = "linear_backward.db"', 'name = "linear_backward.bias"'),
        f"{CATALOG}: exercise03 leaves out checks of its spec: linear_backward.db "
        "(bpgrade dev check --print-catalog exercise03 prints the entries)",
    ),
    (
        "no spec",
        _no_spec,
        "specs/exercise03.py: exercise03 has no check spec (the catalog lists it)",
    ),
    (
        "a title that gives the answer away",
        _edit(
            CATALOG,
            'title = "dW, the weights\' gradient, (D_out, D_in)"',
            'title = "dW = dZ.T @ X"',
        ),
        f"{CATALOG}: exercise03 linear_backward.dW title: 'dW = dZ.T @ X' holds",
    ),
    (
        "a stale contract copy",
        _shared_contract,
        "docs/contract.md: differs from ",
    ),
    (
        "a catalog that does not load",
        _edit(CATALOG, "points = 3", "points = -3"),
        f"{CATALOG}: the catalog could not be read: ",
    ),
]


@pytest.mark.parametrize(("broken", "says"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_dev_check_refuses_a_broken_course(
    course: Path, broken: Callable[[Path], None], says: str
) -> None:
    assert dev(course, "check").exit_code == 0  # the copy is sound before it is broken
    broken(course)
    result = dev(course, "check")
    assert result.exit_code == 1
    reported = lines(result)
    assert any(line.startswith(says) for line in reported), reported
    for line in reported:  # one line a problem, each naming a file of the course
        path, _, message = line.partition(": ")
        assert message and (course / path).parent.is_dir(), line
