"""Pictures of the course's lessons, drawn from the learner's own code: `bpgrade plot`.

    from grader import pictures

    picture = pictures.make("exercise07", folder="exercises")  # the numbers, run in the sandbox
    print(pictures.text(picture))                              # Unicode blocks, 80 columns
    pictures.save_png(picture, "exercise07.png")               # needs bpgrade[plots]
    pictures.figure(picture)                                   # a matplotlib Figure

A module a job: `figures` (what a picture is made of), `making` (the numbers, from the
learner's code in the sandbox), `terminal` (drawn as text), `png` (drawn with matplotlib,
imported only there) and `dot` (a graph as Graphviz text, and SVG where Graphviz is installed).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from grader.pictures.figures import Curves, Graph, Heatmap, LayerRows, Network, Node, Picture
from grader.pictures.png import PlotsMissing, figure, save_png
from grader.pictures.terminal import Style, text

if TYPE_CHECKING:
    from grader.api import Session
    from grader.catalog import ExerciseEntry

__all__ = [
    "PICTURED",
    "Curves",
    "Graph",
    "Heatmap",
    "LayerRows",
    "Network",
    "Node",
    "Picture",
    "PlotsMissing",
    "Style",
    "figure",
    "make",
    "save_png",
    "text",
]

# the exercises that have a picture, in the course's order
PICTURED = ("exercise01", "exercise05", "exercise07", "exercise08", "exercise11", "exercise12")


def make(
    exercise: str | ExerciseEntry,
    *,
    folder: Path | str = "exercises",
    session: Session | None = None,
    course: Path | str | None = None,
) -> Picture:
    """The picture of `exercise` (a name as `bpgrade check` takes it) from the learner's files
    in `folder`, computed in the sandbox of `session` (or of a session of its own).

    Raises `grader.api.CheckError` (its message a sentence) for an exercise that is not in
    the course or has no picture, or a folder that is not there; a learner's function that
    fails is a note in the picture."""
    from grader.api import CheckError, NoSubmission, Session
    from grader.pictures.making import MAKERS

    if not Path(folder).is_dir():
        raise NoSubmission(Path(folder))
    own = session is None
    session = Session(course=course) if session is None else session
    try:
        entry = session.exercises(exercise)[0]
        maker = MAKERS.get(entry.name)
        if maker is None:
            raise CheckError(
                f"{entry.name} has no picture; these do: {', '.join(PICTURED)}."
            )
        return maker(session, entry, Path(folder))
    finally:
        if own:
            session.close()
