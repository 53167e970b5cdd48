"""`bpgrade dev new`: the files of a new exercise, a small working example the author edits.

The example (square and its backward pass) is whole: its stub, solution, spec, corpus and
torch oracle agree, so `bpgrade dev check` finds only what is the author's to do (a corpus
of two files is thinner than the six mistakes and two alternatives a course needs). The
files come from the templates beside this module; the catalog entry is derived from the
spec the scaffold writes, as `bpgrade dev check --print-catalog` derives it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from string import Template

from pydantic import ValidationError

from grader.authoring.consistency import (
    CATALOG,
    CONTRACT,
    CORPUS,
    EXPECTATIONS,
    checks_toml,
    derived_entries,
    shared_contract,
    toml_string,
)
from grader.catalog import Catalog, ExerciseEntry
from grader.course import is_installed_copy, is_release

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_TOPIC = "topic"
DEFAULT_TITLE = "TODO: the exercise's title"
HINT = "TODO (author): a hint for a stuck learner; `bpgrade hint` reveals them one at a time."


class ScaffoldError(Exception):
    """The exercise cannot be scaffolded here; the message says why, in a sentence."""


@dataclass(frozen=True)
class NewExercise:
    """What `dev new` is asked for, checked: exerciseNN, its topic and its title."""

    name: str
    topic: str
    title: str

    @property
    def file(self) -> str:
        return f"{self.name}_{self.topic}.py"

    @property
    def stem(self) -> str:
        return self.file.removesuffix(".py")

    def fields(self) -> dict[str, str]:
        """What the templates' ${...} stand for."""
        return {"name": self.name, "file": self.file, "stem": self.stem, "title": self.title}

    def files(self) -> dict[Path, str]:
        """Each new file of the course (relative to it) and the template it is written from."""
        corpus = CORPUS / self.name
        return {
            Path("exercises") / self.file: "stub.py.tmpl",
            Path("solutions") / self.file: "solution.py.tmpl",
            Path("specs") / f"{self.name}.py": "spec.py.tmpl",
            corpus / "alt_multiply.py": "alt.py.tmpl",
            corpus / "bug_forgot_upstream.py": "bug.py.tmpl",
            Path("tests") / f"test_reference_torch_{self.name}.py": "oracle.py.tmpl",
        }


def contracted(contract: str, name: str) -> tuple[str, str] | None:
    """The topic and title the exercise contract gives exerciseNN, from its heading
    "## exerciseNN — title (`exercises/exerciseNN_topic.py`)"; None where it has none."""
    heading = re.search(
        rf"^## {name} — (?P<title>.+?) \(`exercises/{name}_(?P<topic>[a-z0-9_]+)\.py`\)",
        contract,
        re.MULTILINE,
    )
    if heading is None:
        return None
    title = heading["title"].strip()
    return heading["topic"], title[:1].upper() + title[1:]


def new_exercise(
    name: str, topic: str | None = None, title: str | None = None, contract: str = ""
) -> NewExercise:
    """The request checked: `name` is exerciseNN, a topic is lowercase words joined by _.
    Where the exercise contract (its text) names the exercise's file, that file it is, and
    the contract's title is the default; otherwise the topic comes from the title."""
    if not re.fullmatch(r"exercise\d{2}", name):
        raise ScaffoldError(f"{name!r} is not an exercise name like exercise06")
    fixed = contracted(contract, name)
    if fixed is not None:
        if topic is not None and topic != fixed[0]:
            raise ScaffoldError(
                f"the contract names {name}'s file exercises/{name}_{fixed[0]}.py; course "
                f"material relies on it, so the topic is {fixed[0]!r}, not {topic!r}"
            )
        topic, title = fixed[0], title or fixed[1]
    title = (title or DEFAULT_TITLE).strip().rstrip(".")
    if topic is None:
        words = re.findall(r"[a-z0-9]+", title.lower()) if title != DEFAULT_TITLE else []
        topic = "_".join(words[:4]) or DEFAULT_TOPIC
    if not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", topic):
        raise ScaffoldError(f"the topic {topic!r} should be lowercase words joined by _: linear")
    return NewExercise(name, topic, title)


def contract_text(course: Path) -> str:
    """The course's exercise contract: the shared curriculum beside the checkout, or its copy."""
    for path in (shared_contract(course), course / CONTRACT):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return ""


def render(template: str, exercise: NewExercise) -> str:
    return Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(
        exercise.fields()
    )


def refuse_other_courses(course: Path) -> None:
    """Author tools work on an instructor's checkout of a course, never on a student release
    or the copy a regular install carries."""
    if is_release(course):
        raise ScaffoldError(f"{course} is a student release; author in the course's checkout")
    if is_installed_copy(course):
        raise ScaffoldError(
            f"{course} is the copy an install carries; set BPGRADE_COURSE to the checkout"
        )


def catalog_entry(exercise: NewExercise, course: Path) -> str:
    """The exercise's [[exercises]] table with its checks, derived from its new spec."""
    from grader.checks import checks_for

    checks = derived_entries(None, checks_for(exercise.name, course))
    head = "\n".join(
        [
            "[[exercises]]",
            f"name = {toml_string(exercise.name)}",
            f"file = {toml_string(exercise.file)}",
            f"title = {toml_string(exercise.title)}",
            "hints = [",
            f"    {toml_string(HINT)},",
            "]",
        ]
    )
    return f"{head}\n\n{checks_toml(checks)}"


def _existing(course: Path, exercise: NewExercise, catalog_text: str) -> list[str]:
    """What the scaffold would overwrite: files, the catalog's entry, expected verdicts."""
    taken = [path.as_posix() for path in exercise.files() if (course / path).exists()]
    try:
        catalog = Catalog.model_validate(tomllib.loads(catalog_text))
    except (tomllib.TOMLDecodeError, ValidationError) as error:
        raise ScaffoldError(f"{CATALOG} does not load, fix it first: {error}") from None
    if catalog.find(exercise.name) is not None:
        taken.append(f"{CATALOG.as_posix()} (its entry {exercise.name})")
    expectations = course / EXPECTATIONS
    if expectations.is_file() and f'["{exercise.name}/' in expectations.read_text("utf-8"):
        taken.append(f"{EXPECTATIONS.as_posix()} (verdicts of {exercise.name}/ files)")
    return taken


def scaffold(course: Path, exercise: NewExercise) -> list[Path]:
    """Writes the new exercise into the course and returns the paths written or extended
    (relative to the course). Refuses, writing nothing, where any of it is there already."""
    refuse_other_courses(course)
    catalog_file = course / CATALOG
    if not catalog_file.is_file():
        raise ScaffoldError(f"{course} has no {CATALOG.as_posix()}: it is not a course folder")
    catalog_text = catalog_file.read_text(encoding="utf-8")
    taken = _existing(course, exercise, catalog_text)
    if taken:
        raise ScaffoldError(
            f"{exercise.name} is there already, not overwritten: {'; '.join(taken)}"
        )
    written = []
    for path, template in exercise.files().items():
        (course / path).parent.mkdir(parents=True, exist_ok=True)
        (course / path).write_text(render(template, exercise), encoding="utf-8")
        written.append(path)
    expectations = course / EXPECTATIONS
    before = expectations.read_text(encoding="utf-8") if expectations.is_file() else ""
    expectations.write_text(before + render("expectations.toml.tmpl", exercise), "utf-8")
    entry = catalog_entry(exercise, course)
    updated = catalog_text.rstrip("\n") + "\n\n" + entry
    ExerciseEntry.model_validate(tomllib.loads(entry)["exercises"][0])  # the derivation's own test
    catalog_file.write_text(updated, encoding="utf-8")
    return [*written, EXPECTATIONS, CATALOG]


def next_steps(exercise: NewExercise) -> list[str]:
    """What the author does next, in order, for the CLI to print."""
    name, file = exercise.name, exercise.file
    return [
        f"Write the exercise: exercises/{file} (the stub: every graded function raises "
        f"NotImplementedError) and solutions/{file}, with the same functions, arguments and "
        "docstrings.",
        f"Write its checks in specs/{name}.py; `bpgrade dev check --print-catalog {name}` "
        f"prints the catalog entries they need, to paste into {CATALOG.as_posix()} (then "
        "write the titles, points and hints).",
        f"Write the torch oracle: tests/test_reference_torch_{name}.py (tests named "
        f"test_{name}_...).",
        f"Grow the corpus to 6 bug_ and 2 alt_ files in {CORPUS.as_posix()}/{name}/, each "
        f"with its verdict in {EXPECTATIONS.as_posix()}.",
        "Add the exercise to the contract (../shared/curriculum.md) and copy it to "
        "docs/contract.md.",
        f"Record its golden reports: python -m tests.golden.record --only {name} "
        "(and commit tests/golden/reports.txt).",
        f'Then: bpgrade dev check, and pytest -m "not slow" -k {name}.',
    ]
