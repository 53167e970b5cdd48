"""Notebooks: a handed-in notebook's graded cells graded as the exercise's module, its errors
told by cell and line; the notebooks `bpgrade release --notebooks` hands out; and, in a real
Jupyter kernel (nbclient), `%%bpgrade` and `bpgrade.check` showing the report under the cell.

The kernel starts once (seconds): one notebook runs every kernel cell."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import nbformat
import pytest
from nbformat import v4

from grader import api
from grader.catalog import ExerciseEntry, load_catalog
from grader.notebooks import (
    TAG,
    NotebookError,
    cell_module,
    graded_module,
    plain_python,
    relabel_text,
)
from grader.release.notebooks import check_cell_source, code_pieces, write_notebooks

from .conftest import EXERCISES, ROOT, SOLUTIONS

SOLUTION = (SOLUTIONS / "exercise03_linear.py").read_text(encoding="utf-8")
TRANSPOSED = SOLUTION.replace("dW = dZ.T @ X", "dW = X.T @ dZ")
# line 3 of the code: the cell's line 4 below its `%%bpgrade` line
SOLUTIONS_AT = repr(str(SOLUTIONS))
NO_COLON = "import numpy as np\n\ndef linear_forward(X, W, b)\n    return X @ W.T + b\n"


@pytest.fixture(scope="module")
def exercise03() -> ExerciseEntry:
    entry = load_catalog(EXERCISES / "catalog.toml").find("exercise03")
    assert entry is not None
    return entry


def _graded(source: str) -> Any:
    return v4.new_code_cell(source, metadata={"bpgrade": {"exercise": "exercise03"}})


def _notebook(*cells: Any) -> str:
    notebook = v4.new_notebook(cells=list(cells))
    nbformat.validate(notebook)
    return str(nbformat.writes(notebook))


def _solution_notebook(code: str = SOLUTION) -> str:
    """The reference solution as a learner hands it in: notes, its pieces in graded cells,
    a cell of experiments that is not graded (it would stop the import), the check cell."""
    docstring, pieces = code_pieces(code)
    return _notebook(
        v4.new_markdown_cell(docstring),
        *(_graded(piece) for piece in pieces),
        v4.new_code_cell("raise SystemExit('not graded')"),
        v4.new_code_cell("import bpgrade\nbpgrade.check('exercise03')"),
    )


# --- the module a notebook makes --------------------------------------------------------------


def test_graded_cells_make_the_module_and_its_lines_are_told_by_cell() -> None:
    text = _notebook(
        v4.new_markdown_cell("# notes"),
        _graded("import numpy as np"),
        v4.new_code_cell("x = 1  # an experiment"),
        v4.new_code_cell("tagged = True", metadata={"tags": [TAG]}),
        _graded("%timeit f()\ndef f():\n    !ls\n    return 1\n"),
        v4.new_code_cell("other = 2", metadata={"bpgrade": {"exercise": "exercise04"}}),
    )
    module = graded_module(text, "exercise03", "exercise03_linear.ipynb")
    assert module.source == (
        "import numpy as np\ntagged = True\npass  # %timeit f()\ndef f():\n"
        "    pass  # !ls\n    return 1\n"
    )
    compile(module.source, "exercise03_linear.py", "exec")
    assert module.spot(1) == "exercise03_linear.ipynb, cell 2, line 1"
    assert module.spot(2) == "exercise03_linear.ipynb, cell 4, line 1"
    assert module.spot(6) == "exercise03_linear.ipynb, cell 5, line 4"


def test_a_notebook_without_graded_cells_or_json_says_so() -> None:
    with pytest.raises(NotebookError, match=f"no cell of it is marked.*`{TAG}`"):
        graded_module(_notebook(v4.new_code_cell("x = 1")), "exercise03", "n.ipynb")
    with pytest.raises(NotebookError, match="not a notebook"):
        graded_module("{not json", "exercise03", "n.ipynb")


def test_spots_in_messages_are_told_as_the_cells_lines() -> None:
    module = cell_module("import numpy as np\n\nx = = 1\n")
    said = "exercise03_linear.py has a syntax error: invalid syntax (exercise03_linear.py, line 3)"
    assert relabel_text(said, "exercise03_linear.py", module) == (
        "your cell has a syntax error: invalid syntax (your cell, line 4)"
    )
    untouched = "see my_exercise03_linear.py, line 3"
    assert relabel_text(untouched, "exercise03_linear.py", module) == untouched
    assert plain_python("a = 1\n  %%time\n") == "a = 1\n  pass  # %%time\n"
    text = 'x = """\n%d apples\n"""\n'  # Python as it is: nothing changes
    assert plain_python(text) == text


# --- `bpgrade check` of a folder that holds a notebook ----------------------------------------


def test_a_folder_holding_a_notebook_grades_its_graded_cells(tmp_path: Path) -> None:
    (tmp_path / "exercise03_linear.ipynb").write_text(_solution_notebook(), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "grader", "check", "exercise03", "--dir", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(run.stdout)
    assert run.returncode == 0, run.stderr
    assert report["exercises"][0]["status"] == "passed"
    assert report["score"] == report["max_score"] == 10
    assert report["files"] == {"exercise03": "exercise03_linear.ipynb"}


def test_a_notebooks_errors_name_its_cell_and_line(tmp_path: Path) -> None:
    raising = SOLUTION.replace("    db = dZ.sum(axis=0)", "    db = dZ.sum(axis=0)[5, 5]")
    assert raising != SOLUTION
    (tmp_path / "exercise03_linear.ipynb").write_text(_solution_notebook(raising), "utf-8")
    report = api.check("exercise03", folder=tmp_path)
    failing = [c for c in report.exercises[0].checks if not c.passed]
    assert failing
    # the markdown cell is cell 1, the imports cell 2, linear_forward 3, linear_backward 4
    backward = code_pieces(raising)[1][2].split("\n")
    line = next(n for n, text in enumerate(backward, start=1) if "[5, 5]" in text)
    assert f"exercise03_linear.ipynb, cell 4, line {line}, in linear_backward" in failing[0].message
    assert "exercise03_linear.py" not in failing[0].message


def test_a_syntax_error_in_a_notebook_names_its_cell(tmp_path: Path) -> None:
    notebook = _notebook(_graded("import numpy as np"), _graded("x = 1\ny = = 2"))
    (tmp_path / "exercise03_linear.ipynb").write_text(notebook, encoding="utf-8")
    exercise = api.check("exercise03", folder=tmp_path).exercises[0]
    assert exercise.status == "error" and exercise.error is not None
    assert "(exercise03_linear.ipynb, cell 2, line 2)" in exercise.error


def test_the_py_file_wins_over_a_notebook_beside_it(tmp_path: Path) -> None:
    (tmp_path / "exercise03_linear.ipynb").write_text(_solution_notebook(), encoding="utf-8")
    (tmp_path / "exercise03_linear.py").write_text(TRANSPOSED, encoding="utf-8")
    report = api.check("exercise03", folder=tmp_path)
    assert report.files == {"exercise03": "exercise03_linear.py"}
    assert report.exercises[0].status == "failed"


def test_a_notebook_beside_the_untouched_stub_is_graded(
    tmp_path: Path, exercise03: ExerciseEntry
) -> None:
    """A release with notebooks hands out both: the one worked in is graded."""
    (tmp_path / "exercise03_linear.ipynb").write_text(_solution_notebook(), encoding="utf-8")
    (tmp_path / exercise03.file).write_bytes((EXERCISES / exercise03.file).read_bytes())
    report = api.check("exercise03", folder=tmp_path)
    assert report.files == {"exercise03": "exercise03_linear.ipynb"}
    assert report.exercises[0].status == "passed"
    assert report.layout == [
        "`exercise03_linear.ipynb` was graded: `exercise03_linear.py` beside it is still the stub."
    ]


def test_a_notebook_under_a_near_miss_name_is_graded_with_a_note(
    tmp_path: Path, exercise03: ExerciseEntry
) -> None:
    from grader.layout import locate

    one = tmp_path / "one"
    one.mkdir()
    (one / "exercise03_linear (1).ipynb").write_text("{}", encoding="utf-8")
    found = locate(one, [exercise03])
    assert found.files == {"exercise03": PurePosixPath("exercise03_linear (1).ipynb")}
    assert found.notes == [
        "Graded as exercise03_linear.ipynb: rename `exercise03_linear (1).ipynb` to "
        "`exercise03_linear.ipynb`."
    ]
    (one / "Exercise03_Linear.ipynb").write_text("{}", encoding="utf-8")
    found = locate(one, [exercise03])
    assert found.files == {}
    assert "Several notebooks could be it" in found.missing["exercise03"]


def test_batch_grading_grades_a_notebook(tmp_path: Path) -> None:
    submissions = tmp_path / "submissions"
    (submissions / "alice").mkdir(parents=True)
    (submissions / "alice" / "exercise03_linear.ipynb").write_text(_solution_notebook(), "utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(submissions), "-o", str(tmp_path / "g.csv")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "g-reports" / "alice.json").read_text(encoding="utf-8"))
    exercise03 = next(e for e in report["exercises"] if e["name"] == "exercise03")
    assert exercise03["status"] == "passed"


# --- the notebooks a release hands out --------------------------------------------------------


def test_every_exercise_is_handed_out_as_a_valid_notebook(tmp_path: Path) -> None:
    catalog = load_catalog(EXERCISES / "catalog.toml")
    written = write_notebooks(catalog.exercises, EXERCISES, tmp_path)
    assert len(written) == len(catalog.exercises)
    for entry, path in zip(catalog.exercises, written, strict=True):
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        assert notebook.cells[0].cell_type == "markdown"
        assert notebook.cells[-1].source == check_cell_source(entry)
        # the graded cells make the stub's code again, but for its docstring and blank lines
        module = graded_module(path.read_text(encoding="utf-8"), entry.name, path.name)
        stub = (EXERCISES / entry.file).read_text(encoding="utf-8")
        assert _lines("\n".join(code_pieces(stub)[1])) == _lines(module.source)
        graded = [c for c in notebook.cells if TAG in c.metadata.get("tags", [])]
        assert all(c.metadata["bpgrade"] == {"exercise": entry.name} for c in graded)


def _lines(code: str) -> list[str]:
    return [line for line in code.split("\n") if line.strip()]


# --- in a real kernel -------------------------------------------------------------------------


def _kernel(tmp_path: Path) -> str:
    """A kernel spec for this Python, its environment reading this checkout's grader and
    course (as the test run's own PYTHONPATH and BPGRADE_COURSE say, else the checkout)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "bpgrade test",
        "language": "python",
        "env": {"PYTHONPATH": path, "BPGRADE_COURSE": os.environ.get("BPGRADE_COURSE", str(ROOT))},
    }
    folder = tmp_path / "jupyter" / "kernels" / "bpgrade-test"
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return str(tmp_path / "jupyter")


def _shown(cell: Any) -> tuple[str, str]:
    """What a cell shows: its HTML, and its text (stream outputs, the plain result)."""
    html, text = "", ""
    for output in cell.outputs:
        data = output.get("data", {})
        html += data.get("text/html", "")
        text += data.get("text/plain", "") + output.get("text", "")
    return html, text


def test_a_kernel_grades_cells_through_the_magic_and_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PATH", _kernel(tmp_path))
    notebook = v4.new_notebook(
        cells=[
            v4.new_code_cell("%load_ext bpgrade"),
            v4.new_code_cell("%%bpgrade exercise03\n" + SOLUTION),
            v4.new_code_cell("%%bpgrade exercise03\n" + TRANSPOSED),
            v4.new_code_cell("%%bpgrade exercise03\n" + NO_COLON),
            v4.new_code_cell("print('linear_backward' in globals())"),
            v4.new_code_cell(f"import bpgrade\nbpgrade.check('exercise03', folder={SOLUTIONS_AT})"),
            v4.new_code_cell("bpgrade.check('exercise03', notebook='handed_in.ipynb')"),
        ]
    )
    (tmp_path / "handed_in.ipynb").write_text(_solution_notebook(TRANSPOSED), encoding="utf-8")
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="bpgrade-test",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    cells = notebook.cells

    passed, passed_text = _shown(cells[1])
    assert "passed" in passed and "10/10" in passed
    assert "exercise03" in passed_text and "10/10 passed" in passed_text

    failed, _ = _shown(cells[2])
    assert "failed" in failed and "8/10" in failed
    assert "linear_backward.dW" in failed
    assert "transposed" in failed  # the diagnosis, in words

    broken, _ = _shown(cells[3])
    assert "syntax error" in broken and "your cell, line 4" in broken

    # the magic graded the cells' text: nothing of it ran in the kernel
    assert _shown(cells[4])[1].strip() == "False"

    checked, _ = _shown(cells[5])
    assert '<div class="bpgrade-report">' in checked and "10/10" in checked

    # a saved notebook's graded cells, the other cells not graded (one would stop the import)
    notebook_checked, _ = _shown(cells[6])
    assert "8/10" in notebook_checked and "transposed" in notebook_checked


@pytest.mark.slow
def test_a_release_with_notebooks_grades_a_handed_in_notebook(tmp_path: Path) -> None:
    """`bpgrade release --notebooks`, then the release's own check of a notebook filled in
    with the reference's code, against the answers the release recorded."""
    release = tmp_path / "release"
    env = {**os.environ, "BPGRADE_COURSE": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "grader", "release", "-o", str(release), "--notebooks"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert (release / "bpgrade" / "kernel.py").is_file()
    assert 'packages = ["grader", "bpgrade"]' in (release / "pyproject.toml").read_text("utf-8")
    handed = sorted((release / "exercises").glob("*.ipynb"))
    assert [p.stem for p in handed] == sorted(p.stem for p in EXERCISES.glob("exercise*.py"))
    for path in handed:
        nbformat.validate(nbformat.read(path, as_version=4))

    # the learner fills in the handed-out notebook's graded cells
    notebook = nbformat.read(release / "exercises" / "exercise03_linear.ipynb", as_version=4)
    graded = [c for c in notebook.cells if TAG in c.metadata.get("tags", [])]
    for cell, piece in zip(graded, code_pieces(SOLUTION)[1], strict=True):
        cell.source = piece
    work = tmp_path / "work"
    work.mkdir()
    nbformat.write(notebook, work / "exercise03_linear.ipynb")
    run = subprocess.run(
        [sys.executable, "-m", "grader", "check", "exercise03", "--dir", str(work), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=release,
        env={**os.environ, "BPGRADE_COURSE": str(release)},
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["score"] == 10
