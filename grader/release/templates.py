"""The release's own files: its pyproject.toml, .gitignore and README.md."""

from __future__ import annotations

import importlib.metadata

import grader
from grader import progress
from grader.catalog import Catalog
from grader.reference import EXPECTED

FALLBACK_DEPENDENCIES = ("numpy>=1.24", "click>=8.1", "pydantic>=2.5")


def _dependencies() -> list[str]:
    try:
        requirements = importlib.metadata.requires("bpgrade") or []
    except importlib.metadata.PackageNotFoundError:
        requirements = []
    plain = [r for r in requirements if "extra ==" not in r]
    return plain or list(FALLBACK_DEPENDENCIES)


def pyproject_text(
    course_folders: tuple[str, ...] = ("exercises", EXPECTED, "quizzes"),
    packages: tuple[str, ...] = ("grader",),
) -> str:
    """`course_folders` are the release's folders a regular install carries in grader/_course
    (drivers/ too where the course has it: grader.drivers finds them there); `packages` the
    release's packages (bpgrade/ too, for notebooks)."""
    listed = ", ".join(f'"{name}"' for name in packages)
    dependencies = "".join(f'    "{d}",\n' for d in _dependencies())
    included = "".join(f'"{name}" = "grader/_course/{name}"\n' for name in course_folders)
    return f"""[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "bpgrade"
version = "{grader.__version__}"
description = "Backpropagation exercises, checked as you go"
readme = "README.md"
requires-python = ">=3.11"
dependencies = [
{dependencies}]

[project.scripts]
bpgrade = "grader.cli:main"

[tool.hatch.build.targets.wheel]
packages = [{listed}]

# A regular install carries this course with it; an editable one reads it from this folder.
[tool.hatch.build.targets.wheel.force-include]
{included}"""


def gitignore_text() -> str:
    """A release is the template of each learner's repository (GitHub Classroom): what the
    learner writes (exercises/, answers/) is committed; what a machine makes is not."""
    return f"""# Commit your exercise files (exercises/) and your quiz answers (answers/).
# Everything below is made on your machine and stays there.

# bpgrade's own state: your progress and the hints you have revealed
{progress.STATE_FILE.parent.as_posix()}/

# results files written by `bpgrade check --output` (CI writes its own on every push)
bpgrade-result*.json
/results.json
/results.xml

# virtual environments
.venv/
/venv/
/env/

# Python's and the tools' caches, build output
__pycache__/
*.py[cod]
*.egg-info/
/build/
/dist/
.pytest_cache/
.mypy_cache/
.ruff_cache/
.ipynb_checkpoints/

# editors and operating systems
.idea/
.vscode/
*.swp
*~
.DS_Store
Thumbs.db
"""


def _notebooks_text(catalog: Catalog) -> str:
    first = catalog.exercises[0]
    notebook = first.stem + ".ipynb"
    return f"""
## In a notebook

Each exercise is also a notebook, `exercises/{notebook}` and so on: the same text, and
the code to fill in, in the cells tagged `bpgrade-graded`. Add cells of your own to try
things; only the tagged cells are graded. Install the notebook's tools with
`pip install -e . jupyterlab`, open the notebook from `exercises/`, save it, and run its last
cell: the report shows under it. Hand in the notebook or the `.py` file of each exercise:
the notebook is graded while the `.py` beside it is still the stub as handed out.

`%load_ext bpgrade` and a cell that starts with `%%bpgrade {first.name}` grade that cell's
code on its own, without running it in the notebook.
"""


def readme_text(
    catalog: Catalog, practice: list[str], graded: list[str], notebooks: bool = False
) -> str:
    first = catalog.exercises[0]
    rows = "".join(f"| {e.name} | `{e.file}` | {e.title} |\n" for e in catalog.exercises)
    quizzes = ""
    if practice or graded:
        lines = [f"bpgrade quiz {name:<16} # practice: graded as you answer" for name in practice]
        lines += [
            f"bpgrade quiz {name:<16} # to hand in: saves answers/<quiz>.json" for name in graded
        ]
        quizzes = "\n## Quizzes\n\n```bash\nbpgrade quiz list\n" + "\n".join(lines) + "\n```\n"
        if graded:
            quizzes += (
                "\nA quiz to hand in is not scored here: each answer is saved to\n"
                "`answers/<quiz>.json` as you go, and that file is what you hand in, with the\n"
                "variant number printed at the end.\n"
            )
    return f"""# Backpropagation exercises

Learn backpropagation by doing it: fill in the functions in `exercises/`, and `bpgrade` checks
them the moment you ask, and tells you what is wrong.

## Install

Python 3.11 or newer. In this folder:

```bash
python3 -m venv .venv && . .venv/bin/activate && pip install -e .
bpgrade check {first.name}
```

## The loop

Each file in `exercises/` opens with the math, the shapes and a small worked example; each
function you write says what it takes and returns. Edit one, then:

```bash
bpgrade                      # where you are and what to do next
bpgrade check {first.name}     # grade one exercise (also: {first.name[-2:]}, {first.stem})
bpgrade watch                # grade the one you are on again at each save
bpgrade hint {first.name}      # one more hint each time you ask (--reset hides them again)
bpgrade list                 # every exercise, its status and score
bpgrade reset {first.name}     # its stub back, your file kept in .bpgrade/backups/
bpgrade check --all          # grade everything
bpgrade plot exercise07      # a picture of what your code does (`--png` for a file)
```

A failing check says which function was called with which shapes, which output is wrong and
by how much, and, when the mistake is a known one, what it is. A function you have not started
is reported as *not started*. Progress and hints are kept in `.bpgrade/` of this folder,
wherever inside it you run `bpgrade` from.

| exercise | file | topic |
|---|---|---|
{rows}
## Handing in

What you hand in, or commit, is your exercise files in `exercises/` and, for a quiz to hand
in, `answers/`. The `.gitignore` keeps what your machine makes (`.venv/`, caches, bpgrade's
progress) out of your repository.

The checks here use the course's public cases; the answers they compare with are recorded in
`expected/`. Your course may grade your hand-in on further cases of its own.
{_notebooks_text(catalog) if notebooks else ""}{quizzes}"""
