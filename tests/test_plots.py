"""`bpgrade plot`: each picture's numbers come from the learner's own code run in the sandbox,
are drawn as text that fits 80 columns and as PNG files, and say in a sentence what could not
be drawn."""

from __future__ import annotations

import importlib.util
import io
import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import pictures
from grader.api import CheckError, Session
from grader.catalog import Catalog
from grader.cli import main
from grader.pictures import Curves, Graph, Heatmap, LayerRows, Network, Picture
from grader.pictures.dot import dot_text

from .conftest import EXERCISES, ROOT, SOLUTIONS

CORPUS = ROOT / "tests" / "corpus"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BLOCKS = set("▁▂▃▄▅▆▇█░▒▓")


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    with Session(course=ROOT) as warm:
        yield warm


@pytest.fixture(scope="module")
def deep(session: Session) -> Picture:
    return pictures.make("exercise07", folder=SOLUTIONS, session=session)


def _rows(picture: Picture, title_start: str) -> dict[str, list[float]]:
    panel = next(p for p in picture.panels if p.title.startswith(title_start))
    assert isinstance(panel, LayerRows)
    return panel.rows


def _fits(text: str, width: int = 80) -> None:
    too_wide = [line for line in text.split("\n") if len(line) > width]
    assert not too_wide, too_wide


def _learner_folder(catalog: Catalog, exercise: str, corpus_file: str, folder: Path) -> Path:
    """A folder holding one corpus file under the name the course gives the exercise."""
    entry = catalog.find(exercise)
    assert entry is not None
    shutil.copy(CORPUS / exercise / corpus_file, folder / entry.file)
    return folder


def _valid_png(path: Path) -> None:
    image = pytest.importorskip("matplotlib.image")
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 1000
    pixels = image.imread(path)
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100


# --- exercise07, the picture of the Done-when -------------------------------------------


def test_sigmoid_gradients_vanish_layer_by_layer_and_he_relu_stays_flat(deep: Picture) -> None:
    norms = _rows(deep, "gradient norm")
    sigmoid = norms["sigmoid, small init"]  # layer 1 (next to the input) first
    assert len(sigmoid) == 10
    # from the output back to the input, each layer's gradient is smaller than the one after
    assert all(earlier < later for earlier, later in itertools.pairwise(sigmoid))
    assert sigmoid[0] < 1e-9 * sigmoid[-1]
    relu = norms["relu, he init"]
    assert all(relu[0] / 10 < norm < relu[0] * 10 for norm in relu)
    assert len(_rows(deep, "saturation")["tanh, unit init"]) == 9
    assert not deep.notes  # the reference passes: nothing to warn about


def test_the_terminal_picture_fits_80_columns_in_blocks(deep: Picture) -> None:
    drawn = pictures.text(deep)
    _fits(drawn)
    assert BLOCKS & set(drawn)
    sigmoid_line = next(line for line in drawn.split("\n") if "sigmoid, small" in line)
    heights = [c for c in sigmoid_line if c in "▁▂▃▄▅▆▇█"]
    assert heights[0] < heights[-1]  # the rows are drawn as their numbers go


def test_without_utf8_the_picture_is_ascii(deep: Picture) -> None:
    drawn = pictures.text(deep, pictures.Style(unicode=False))
    assert drawn.isascii()
    _fits(drawn)


def test_colour_only_when_asked(deep: Picture) -> None:
    assert "\x1b[" not in pictures.text(deep)
    assert "\x1b[1m" in pictures.text(deep, pictures.Style(colour=True))


def test_a_narrow_terminal_gets_narrow_lines(deep: Picture) -> None:
    _fits(pictures.text(deep, pictures.Style(width=60)), 60)


def test_the_png_is_a_valid_png(deep: Picture, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    _valid_png(pictures.save_png(deep, tmp_path / "deep.png"))


def test_a_bug_gives_its_own_picture(
    session: Session, deep: Picture, catalog: Catalog, tmp_path: Path
) -> None:
    folder = _learner_folder(
        catalog, "exercise07", "bug_backward_slope_of_activation.py", tmp_path
    )
    theirs = pictures.make("exercise07", folder=folder, session=session)
    ours = _rows(theirs, "gradient norm")["tanh, unit init"]
    right = _rows(deep, "gradient norm")["tanh, unit init"]
    assert ours[0] > 10 * right[0]  # the slope of the wrong side: the gradient does not shrink
    assert any("deep_picture fails" in note for note in theirs.notes)


def test_a_not_started_exercise_is_a_sentence(session: Session) -> None:
    picture = pictures.make("exercise07", folder=EXERCISES, session=session)
    assert picture.panels == []
    assert "not started" in picture.notes[0]
    assert "not started" in pictures.text(picture)


# --- the other pictures -------------------------------------------------------------------------

KINDS = {
    "exercise01": Curves,
    "exercise05": Network,
    "exercise08": Graph,
    "exercise11": Heatmap,
    "exercise12": Curves,
}


@pytest.mark.parametrize("exercise", sorted(KINDS))
def test_each_picture_draws(session: Session, exercise: str, tmp_path: Path) -> None:
    picture = pictures.make(exercise, folder=SOLUTIONS, session=session)
    assert not picture.notes
    assert isinstance(picture.panels[0], KINDS[exercise])
    drawn = pictures.text(picture)
    _fits(drawn)
    assert BLOCKS & set(drawn)
    if importlib.util.find_spec("matplotlib") is not None:  # else the text alone
        _valid_png(pictures.save_png(picture, tmp_path / f"{exercise}.png"))


def test_the_neuron_factor_vanishes_for_large_z(session: Session) -> None:
    picture = pictures.make("exercise01", folder=SOLUTIONS, session=session)
    factor = next(p for p in picture.panels if isinstance(p, Curves) and "a(1-a)" in p.series)
    values = factor.series["a(1-a)"]
    assert all(v is not None for v in values)
    middle = max(v for v in values if v is not None)
    assert abs(middle - 0.25) < 0.01
    assert values[0] is not None and values[0] < 0.001 * middle  # w = -6: |z| = 9
    loss = picture.panels[0]
    assert isinstance(loss, Curves) and set(loss.series) == {"L", "dL/dw"}


def test_a_wrong_slope_draws_its_own_factor(
    session: Session, catalog: Catalog, tmp_path: Path
) -> None:
    folder = _learner_folder(catalog, "exercise01", "bug_da_dz_from_z.py", tmp_path)
    picture = pictures.make("exercise01", folder=folder, session=session)
    factor = next(p for p in picture.panels if isinstance(p, Curves) and "a(1-a)" in p.series)
    assert min(v for v in factor.series["a(1-a)"] if v is not None) < 0  # z(1 - z)


def test_the_network_draws_every_connection_and_a_falling_loss(session: Session) -> None:
    picture = pictures.make("exercise05", folder=SOLUTIONS, session=session)
    network, losses = picture.panels
    assert isinstance(network, Network) and isinstance(losses, Curves)
    D, H, C = network.sizes
    assert [len(network.gradients[0]), len(network.gradients[0][0])] == [H, D]
    assert [len(network.gradients[1]), len(network.gradients[1][0])] == [C, H]
    loss = [v for v in losses.series["loss"] if v is not None]
    assert len(loss) == 30 and loss[-1] < loss[0] / 2


def _unwritten(source: str, function: str) -> str:
    """`source` with `function`'s body cut short, after its docstring, by NotImplementedError."""
    start = source.index(f"def {function}(")
    body = source.index('"""', source.index('"""', start) + 3) + 3
    indent = " " * (len(source[: start].rsplit("\n", 1)[1]) + 4)
    return source[:body] + f"\n{indent}raise NotImplementedError\n" + source[body:]


def test_a_network_without_train_step_yet_still_shows_the_blame(
    session: Session, catalog: Catalog, tmp_path: Path
) -> None:
    entry = catalog.find("exercise05")
    assert entry is not None
    source = (SOLUTIONS / entry.file).read_text(encoding="utf-8")
    (tmp_path / entry.file).write_text(_unwritten(source, "train_step"), encoding="utf-8")
    picture = pictures.make(entry, folder=tmp_path, session=session)
    assert [type(panel) for panel in picture.panels] == [Network]
    assert picture.notes == ["your train_step is not started yet (it raises NotImplementedError)."]


def test_the_graph_has_every_nodes_numbers_and_dot_text(session: Session) -> None:
    picture = pictures.make("exercise08", folder=SOLUTIONS, session=session)
    graph = picture.panels[0]
    assert isinstance(graph, Graph)
    root = next(node for node in graph.nodes if node.name == graph.root)
    assert root.grad == 1.0
    assert all(node.data is not None and node.grad is not None for node in graph.nodes)
    dot = dot_text(graph)
    assert dot.startswith("digraph") and '"a" -> "c";' in dot and '"c" -> "e";' in dot


def test_the_graph_of_a_not_started_value_says_so(session: Session) -> None:
    picture = pictures.make("exercise08", folder=EXERCISES, session=session)
    # the stub's Value is made, then its first operator raises: the note names the operator
    assert "your __mul__ is not written yet" in picture.notes[0]
    assert "\n  c     a * b" in pictures.text(picture)  # the graph's shape, with no numbers


def test_a_graph_without_backward_yet_is_drawn_with_its_data(
    session: Session, catalog: Catalog, tmp_path: Path
) -> None:
    entry = catalog.find("exercise08")
    assert entry is not None
    source = (SOLUTIONS / entry.file).read_text(encoding="utf-8")
    (tmp_path / entry.file).write_text(_unwritten(source, "backward"), encoding="utf-8")
    picture = pictures.make(entry, folder=tmp_path, session=session)
    graph = picture.panels[0]
    assert isinstance(graph, Graph)
    assert all(node.data is not None and node.grad is None for node in graph.nodes)
    assert "your backward is not written yet" in picture.notes[0]


def test_not_started_calls_say_so_for_each_function(session: Session) -> None:
    picture = pictures.make("exercise01", folder=EXERCISES, session=session)
    assert picture.panels == []
    assert len(picture.notes) == 3 and all("not started" in n for n in picture.notes)


def test_an_exercise_without_a_picture_is_refused(session: Session) -> None:
    with pytest.raises(CheckError, match="has no picture"):
        pictures.make("exercise03", folder=SOLUTIONS, session=session)


# --- the command ---------------------------------------------------------------------------------


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["plot", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_the_command_draws_and_writes_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "deep.png"
    code, output = _invoke("exercise07", "--dir", str(SOLUTIONS), "--png", str(png))
    assert code == 0 and "sigmoid, small init" in output
    assert "\x1b[" not in output  # not a terminal: no colour
    _valid_png(png)


def test_the_command_writes_a_graph_as_dot_into_a_folder(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    code, output = _invoke("exercise08", "--dir", str(SOLUTIONS), "--out", str(tmp_path))
    assert code == 0 and "Wrote" in output
    assert (tmp_path / "exercise08.dot").read_text().startswith("digraph")
    _valid_png(tmp_path / "exercise08.png")
    assert (tmp_path / "exercise08.svg").is_file() == (shutil.which("dot") is not None)


def test_the_command_refuses_an_exercise_without_a_picture() -> None:
    code, output = _invoke("exercise03", "--dir", str(SOLUTIONS))
    assert code == 2 and "has no picture" in output


def test_the_command_refuses_a_folder_that_is_not_there(tmp_path: Path) -> None:
    code, output = _invoke("exercise01", "--dir", str(tmp_path / "nowhere"))
    assert code == 2 and "there is no folder" in output


def test_a_file_under_a_browsers_name_is_drawn(
    session: Session, catalog: Catalog, tmp_path: Path
) -> None:
    """The file `bpgrade check` would grade: in exercises/, named as a browser saved it."""
    entry = catalog.find("exercise05")
    assert entry is not None
    (tmp_path / "exercises").mkdir()
    renamed = entry.file.replace(".py", " (1).py")
    shutil.copy(SOLUTIONS / entry.file, tmp_path / "exercises" / renamed)
    picture = pictures.make(entry, folder=tmp_path, session=session)
    assert not picture.notes and isinstance(picture.panels[0], Network)


def test_a_missing_file_is_a_sentence(session: Session, tmp_path: Path) -> None:
    picture = pictures.make("exercise01", folder=tmp_path, session=session)
    assert picture.panels == [] and "was not found" in picture.notes[0]


def test_without_matplotlib_a_png_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] == "matplotlib"] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)  # import matplotlib fails
    code, output = _invoke(
        "exercise11", "--dir", str(SOLUTIONS), "--png", str(tmp_path / "a.png")
    )
    assert code == 1 and "bpgrade[plots]" in output
    assert not (tmp_path / "a.png").exists()


def test_a_terminal_without_utf8_gets_ascii() -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "grader", "plot", "exercise11", "--dir", str(SOLUTIONS)],
        capture_output=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.isascii() and b"#" in done.stdout


class _Terminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def test_colour_on_a_terminal_unless_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.cli.plot import _style

    monkeypatch.setattr(sys, "stdout", _Terminal())
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _style().colour and _style().unicode
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _style().colour


def test_the_training_loss_starts_near_a_uniform_guess(session: Session) -> None:
    picture = pictures.make("exercise12", folder=SOLUTIONS, session=session)
    curve = picture.panels[0]
    assert isinstance(curve, Curves)
    uniform = curve.marks["ln V, a uniform guess"]
    losses = [v for v in curve.series["loss"] if v is not None]
    assert abs(losses[0] - uniform) < 0.1 and losses[-1] < uniform - 1.0


def test_a_function_that_never_returns_is_one_sentence_with_its_line(
    catalog: Catalog, tmp_path: Path
) -> None:
    entry = catalog.find("exercise01")
    assert entry is not None
    source = (SOLUTIONS / entry.file).read_text(encoding="utf-8")
    endless = _unwritten(source, "neuron_gradients").replace(
        "raise NotImplementedError", "while True:\n        pass", 1
    )
    (tmp_path / entry.file).write_text(endless, encoding="utf-8")
    # a limit of seconds: generous enough that a busy machine still times out in the loop
    code, output = _invoke("exercise01", "--dir", str(tmp_path), "--timeout", "5")
    assert code == 0 and output.count("timed out") == 1
    assert "`while True:`" in output or "`pass`" in output  # the line it was on (the loop's two)


def test_a_diverging_loss_is_drawn_on_a_log_scale(tmp_path: Path) -> None:
    """A loss that blows up to 1e146 would be a flat line and a wall on a linear scale."""
    diverging = Curves("loss", [1.0, 2.0, 3.0], "step", {"loss": [4.1, 3e40, 6e146]})
    falling = Curves("loss", [1.0, 2.0, 3.0], "step", {"loss": [4.1, 3.0, 2.5]})
    assert diverging.on_log_scale and not falling.on_log_scale
    picture = Picture("exercise12", "loss", panels=[diverging])
    drawn = pictures.text(picture)
    _fits(drawn)
    assert "log scale" in drawn and "▁▃█" in drawn  # 1e40 is near a quarter of the way up
    if importlib.util.find_spec("matplotlib") is not None:
        _valid_png(pictures.save_png(picture, tmp_path / "loss.png"))


def test_a_notebook_shows_the_picture_itself(deep: Picture) -> None:
    """Jupyter's display protocol: the PNG under the cell, the text as its plain form."""
    pretty = pytest.importorskip("IPython.lib.pretty")
    assert "sigmoid, small init" in pretty.pretty(deep)
    png = deep._repr_png_()
    if importlib.util.find_spec("matplotlib") is not None:
        assert png is not None and png[:8] == PNG_MAGIC


def test_a_notebook_plots_through_the_kernel_package() -> None:
    """`bpgrade.plot` in a notebook: the same picture, from the kernel's warm session."""
    import bpgrade

    picture = bpgrade.plot("exercise07", folder=SOLUTIONS)
    rows = picture.panels[0]
    assert isinstance(rows, LayerRows)
    vanishing = rows.rows["sigmoid, small init"]
    assert vanishing[0] < 1e-9 * vanishing[-1]
