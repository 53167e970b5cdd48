"""What `bpgrade dev check` refuses: a course whose parts disagree before a learner sees them.

Each finding is one `Problem` that names its file, relative to the course folder:

- a stub and its solution declare different functions: names, arguments, defaults or
  docstrings (compared with `ast`, so formatting and the bodies do not matter), or a graded
  function of the stub does something other than raise NotImplementedError;
- an exercise's corpus of learner files is thinner than MIN_BUGS mistakes (`bug_*.py`) and
  MIN_ALTS right answers in other styles (`alt_*.py`), or a corpus file and its expected
  verdict (tests/corpus/expectations.toml) miss each other;
- an exercise has no torch oracle test: a test function named `test_<exercise>_...` in
  tests/test_reference_torch*.py (`pytest -k exercise03` runs an exercise's oracle);
- the catalog's check names and the spec's (`specs/<exercise>.py`) disagree;
- a title, hint or stub message shows an answer's code (what `bpgrade release` refuses:
  grader/giveaway.py);
- the contract copy (docs/contract.md) differs from the shared curriculum beside the course.

It also derives an exercise's catalog check entries from its spec, for an author to paste.
"""

from __future__ import annotations

import ast
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from grader.catalog import Catalog, CheckEntry, ExerciseEntry, load_catalog
from grader.checks.base import Check

MIN_BUGS = 6  # learner files with a mistake, each expected to fail with its diagnosis
MIN_ALTS = 2  # right answers written another way, each expected to pass

CATALOG = Path("exercises") / "catalog.toml"
CORPUS = Path("tests") / "corpus"
EXPECTATIONS = CORPUS / "expectations.toml"
ORACLE_TESTS = "tests/test_reference_torch*.py"  # a glob, relative to the course
CONTRACT = Path("docs") / "contract.md"


def shared_contract(course: Path) -> Path:
    """The course's exercise contract as the shared folder beside the checkout holds it."""
    return course.resolve().parent / "shared" / "curriculum.md"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a course, in one line that names the file to fix."""

    path: Path  # relative to the course folder
    message: str

    def __str__(self) -> str:
        return f"{self.path.as_posix()}: {self.message}"


def check_course(course: Path) -> list[Problem]:
    """Every problem `bpgrade dev check` finds in the course folder; none: the course is sound."""
    try:
        catalog = load_catalog(course / CATALOG)
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        return [Problem(CATALOG, f"the catalog could not be read: {first}")]
    problems: list[Problem] = []
    for entry in catalog.exercises:
        checks, spec_problems = _spec_checks(course, entry)
        problems += spec_problems
        problems += [Problem(CATALOG, f"{entry.name}'s {said}") for said in entry.unserved_hints()]
        graded = {check.function for check in checks if check.function}
        problems += signature_problems(course, entry, graded)
        problems += corpus_problems(course, entry)
    problems += giveaway_problems(course, catalog)
    problems += expectation_problems(course, catalog)
    problems += oracle_problems(course, catalog)
    problems += contract_problems(course)
    return problems


# ---------------------------------------------------------------- catalog and spec


def spec_path(entry: ExerciseEntry) -> Path:
    return Path("specs") / f"{entry.name}.py"


def spec_checks(course: Path, entry: ExerciseEntry) -> list[Check]:
    """The checks the exercise's spec declares (raises as `grader.checks.checks_for` does)."""
    from grader.checks import checks_for

    return checks_for(entry.name, course)


def check_name_differences(entry: ExerciseEntry, checks: list[Check]) -> tuple[list[str], ...]:
    """(names only the catalog lists, names only the spec declares), each sorted: the two must
    name the same checks, or grading refuses the exercise."""
    in_catalog = {check.name for check in entry.checks}
    in_spec = {check.name for check in checks}
    return sorted(in_catalog - in_spec), sorted(in_spec - in_catalog)


def _spec_checks(course: Path, entry: ExerciseEntry) -> tuple[list[Check], list[Problem]]:
    from grader.checks import NoSpec

    path = spec_path(entry)
    try:
        checks = spec_checks(course, entry)
    except NoSpec:
        return [], [Problem(path, f"{entry.name} has no check spec (the catalog lists it)")]
    except Exception as error:  # an author's spec that does not import: say why, go on
        return [], [Problem(path, f"the spec does not load: {type(error).__name__}: {error}")]
    only_catalog, only_spec = check_name_differences(entry, checks)
    problems = []
    if only_catalog:
        problems.append(
            Problem(
                CATALOG, f"{entry.name} lists checks its spec has not: {', '.join(only_catalog)}"
            )
        )
    if only_spec:
        problems.append(
            Problem(
                CATALOG,
                f"{entry.name} leaves out checks of its spec: {', '.join(only_spec)} "
                f"(bpgrade dev check --print-catalog {entry.name} prints the entries)",
            )
        )
    return checks, problems


def derived_entries(entry: ExerciseEntry | None, checks: list[Check]) -> list[CheckEntry]:
    """The catalog's check entries for a spec's checks, in the spec's order: the catalog's
    own title and points where it has the check, a plain title and 1 point where not."""
    known = {c.name: c for c in entry.checks} if entry is not None else {}
    entries = []
    for check in checks:
        if check.name in known:
            entries.append(known[check.name])
        elif check.advisory:
            entries.append(CheckEntry(name=check.name, title=ADVICE_TITLE, advice=True))
        else:
            entries.append(CheckEntry(name=check.name, title=_title(check), points=1))
    return entries


def catalog_entries_toml(course: Path, query: str) -> str:
    """The `[[exercises.checks]]` tables an exercise's spec calls for: `query` names it as
    the catalog does (exercise03, 3) or, before the catalog has it, as its spec is named."""
    from grader.checks import NoSpec, checks_for

    catalog = load_catalog(course / CATALOG)
    entry = catalog.find(query)
    name = entry.name if entry is not None else query.strip().removesuffix(".py")
    try:
        checks = checks_for(name, course)
    except NoSpec as error:
        raise LookupError(f"no exercise {query!r}: {error}") from None
    return checks_toml(derived_entries(entry, checks))


ADVICE_TITLE = "args not changed or returned (advice)"
ADVICE_COMMENT = "# advice: judged and shown, worth no points (grader/checks/unchanged.py says why)"


def _title(check: Check) -> str:
    shown = getattr(check, "output_name", "")
    if getattr(check, "stable", False):
        return "finite, no warning, for large inputs"
    if shown:
        return f"{shown}, as {check.function} returns it"
    return f"what {check.function} returns"


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def checks_toml(entries: list[CheckEntry]) -> str:
    """The `[[exercises.checks]]` tables of one exercise, as catalog.toml writes them."""
    blocks = []
    for check in entries:
        lines = ["[[exercises.checks]]"]
        if check.advice:
            lines.append(ADVICE_COMMENT)
        lines += [f"name = {toml_string(check.name)}", f"title = {toml_string(check.title)}"]
        if check.advice:
            lines.append("advice = true")
        else:
            points = int(check.points) if check.points == int(check.points) else check.points
            lines.append(f"points = {points}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


# ---------------------------------------------------------------- stub and solution


@dataclass(frozen=True)
class Declared:
    """What the contract fixes of one function or class: the rest (bodies, annotations,
    formatting) is the stub's and the solution's own."""

    name: str
    signature: str  # "linear_backward(dZ, X, W)"; a class: "class Value"
    docstring: str | None
    node: ast.AST


def declarations(tree: ast.Module) -> dict[str, Declared]:
    """The public functions and classes of a module, and the public methods of its classes
    ("Value.backward"): a name that starts with "_" is a helper of the file's own (dunder
    methods are the contract's: `__add__`)."""
    found: dict[str, Declared] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            if node.name.startswith("_") and not _dunder(node.name):
                continue
            name = prefix + node.name
            if isinstance(node, ast.ClassDef):
                found[name] = Declared(name, f"class {name}", ast.get_docstring(node), node)
                visit(node.body, name + ".")
            else:
                found[name] = Declared(name, signature(node, name), ast.get_docstring(node), node)

    visit(tree.body, "")
    return found


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def signature(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> str:
    """Its arguments as a call sees them: names, kinds and defaults, without annotations."""
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += args.defaults
    parts = []
    for index, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        parts.append(arg.arg if default is None else f"{arg.arg}={ast.unparse(default)}")
        if index == len(args.posonlyargs) - 1:
            parts.append("/")
    if args.vararg is not None:
        parts.append(f"*{args.vararg.arg}")
    elif args.kwonlyargs:
        parts.append("*")
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        parts.append(arg.arg if kw_default is None else f"{arg.arg}={ast.unparse(kw_default)}")
    if args.kwarg is not None:
        parts.append(f"**{args.kwarg.arg}")
    return f"{name}({', '.join(parts)})"


def raises_not_implemented(function: ast.AST) -> bool:
    """Whether the body raises NotImplementedError (what a function not started does)."""
    for node in ast.walk(function):
        if isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(raised, ast.Name) and raised.id == "NotImplementedError":
                return True
    return False


def _parsed(course: Path, path: Path) -> tuple[ast.Module | None, Problem | None]:
    try:
        return ast.parse((course / path).read_text(encoding="utf-8"), str(path)), None
    except FileNotFoundError:
        return None, Problem(path, "is missing (the catalog lists it)")
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError) as error:
        return None, Problem(path, f"could not be parsed: {error}")


def signature_problems(course: Path, entry: ExerciseEntry, graded: set[str]) -> list[Problem]:
    """The stub and its solution declare the same functions, with the same arguments,
    defaults and docstrings; the stub's graded functions raise NotImplementedError."""
    stub_path = Path("exercises") / entry.file
    solution_path = Path("solutions") / entry.file
    stub, stub_problem = _parsed(course, stub_path)
    solution, solution_problem = _parsed(course, solution_path)
    problems = [p for p in (stub_problem, solution_problem) if p is not None]
    if stub is None or solution is None:
        return problems
    ours, theirs = declarations(stub), declarations(solution)
    for name in sorted(theirs.keys() - ours.keys()):
        problems.append(Problem(stub_path, f"{name} is in the solution but not in the stub"))
    for name in sorted(ours.keys() - theirs.keys()):
        problems.append(Problem(stub_path, f"{name} is in the stub but not in the solution"))
    for name in [n for n in ours if n in theirs]:
        stubbed, solved = ours[name], theirs[name]
        if stubbed.signature != solved.signature:
            problems.append(
                Problem(
                    stub_path,
                    f"{stubbed.signature} differs from the solution's {solved.signature}",
                )
            )
        if stubbed.docstring != solved.docstring:
            where = _first_difference(stubbed.docstring, solved.docstring)
            problems.append(
                Problem(stub_path, f"{name}'s docstring differs from the solution's: {where}")
            )
    for name in sorted(graded):
        stubbed_function = ours.get(name)
        if stubbed_function is not None and not raises_not_implemented(stubbed_function.node):
            problems.append(
                Problem(
                    stub_path, f"{name} is graded but the stub does not raise NotImplementedError"
                )
            )
    return problems


def _first_difference(stub: str | None, solution: str | None) -> str:
    if stub is None or solution is None:
        return "the stub has none" if stub is None else "the solution has none"
    ours, theirs = stub.splitlines(), solution.splitlines()
    for number, (line, other) in enumerate(zip(ours, theirs, strict=False), start=1):
        if line != other:
            return f"line {number} reads {line.strip()!r}, the solution's {other.strip()!r}"
    longer = "the stub's" if len(ours) > len(theirs) else "the solution's"
    return f"{longer} goes on after line {min(len(ours), len(theirs))}"


def giveaway_problems(course: Path, catalog: Catalog) -> list[Problem]:
    """What `bpgrade release` would refuse: a title, hint or stub message that holds the
    code of an answer, found by grader.giveaway, refused here before a release is made."""
    from grader.giveaway import giveaways

    try:
        found = giveaways(catalog, course / "exercises", course / "solutions")
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return []  # a stub or solution that does not parse is reported as such
    problems = []
    for giveaway in found:
        if giveaway.where.startswith("catalog "):
            path, where = CATALOG, giveaway.where.removeprefix("catalog ")
        else:  # "<stub file>:<function> NotImplementedError"
            file, _, where = giveaway.where.partition(":")
            path = Path("exercises") / file
        problems.append(
            Problem(
                path,
                f"{where}: {giveaway.text!r} holds {giveaway.answer}; say what is checked, "
                "not the code (grader/giveaway.py)",
            )
        )
    return problems


# ---------------------------------------------------------------- the corpus


def corpus_files(course: Path, exercise: str, prefix: str) -> list[Path]:
    return sorted((course / CORPUS / exercise).glob(f"{prefix}*.py"))


def corpus_problems(course: Path, entry: ExerciseEntry) -> list[Problem]:
    folder = CORPUS / entry.name
    bugs = len(corpus_files(course, entry.name, "bug_"))
    alts = len(corpus_files(course, entry.name, "alt_"))
    if bugs >= MIN_BUGS and alts >= MIN_ALTS:
        return []
    return [
        Problem(
            folder,
            f"the corpus of {entry.name} has {bugs} bug_ and {alts} alt_ files; it needs at "
            f"least {MIN_BUGS} mistakes (bug_*.py) and {MIN_ALTS} right answers (alt_*.py)",
        )
    ]


def expectation_problems(course: Path, catalog: Catalog) -> list[Problem]:
    """Each corpus file of an exercise has its expected verdict, and each verdict its file."""
    path = course / EXPECTATIONS
    try:
        expected = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        expected = {}
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return [Problem(EXPECTATIONS, f"could not be read: {error}")]
    names = {entry.name for entry in catalog.exercises}
    files = {
        p.relative_to(course / CORPUS).as_posix()
        for name in names
        for p in (course / CORPUS / name).glob("*.py")
    }
    problems = [
        Problem(CORPUS / relative, f"has no expected verdict in {EXPECTATIONS.as_posix()}")
        for relative in sorted(files - expected.keys())
    ]
    problems += [
        Problem(EXPECTATIONS, f"[{toml_string(relative)}] names a file the corpus does not have")
        for relative in sorted(expected.keys() - files)
        if relative.split("/")[0] in names
    ]
    return problems


# ---------------------------------------------------------------- torch oracles


def oracle_tests(course: Path) -> dict[str, list[str]]:
    """The torch oracle tests of each exercise: `test_<exercise>_...` functions in the
    course's tests/test_reference_torch*.py, by exercise."""
    found: dict[str, list[str]] = {}
    for path in sorted(course.glob(ORACLE_TESTS)):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue  # pytest says why; here it has no oracle
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_exercise"):
                exercise = node.name.removeprefix("test_").split("_")[0]
                found.setdefault(exercise, []).append(node.name)
    return found


def oracle_problems(course: Path, catalog: Catalog) -> list[Problem]:
    covered = oracle_tests(course)
    return [
        Problem(
            Path("tests") / "test_reference_torch.py",
            f"{entry.name} has no torch oracle test (a test_{entry.name}_... function in "
            f"{ORACLE_TESTS})",
        )
        for entry in catalog.exercises
        if entry.name not in covered
    ]


# ---------------------------------------------------------------- the contract


def contract_problems(course: Path) -> list[Problem]:
    shared = shared_contract(course)
    if not shared.is_file():
        return []
    copy = course / CONTRACT
    if not copy.is_file():
        return [Problem(CONTRACT, f"is missing; it is a copy of {shared}")]
    if copy.read_bytes() != shared.read_bytes():
        return [Problem(CONTRACT, f"differs from {shared}; copy it over: cp {shared} {CONTRACT}")]
    return []
