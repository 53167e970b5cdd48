"""bpgrade in a notebook (Jupyter, Colab): check an exercise and see the report under the cell.

    import bpgrade
    bpgrade.check("exercise03")                  # the file (or notebook) in exercises/
    bpgrade.check("exercise03", notebook="exercise03_linear.ipynb")   # this notebook, as saved

    bpgrade.plot("exercise07")                   # a picture of what your code does

    %load_ext bpgrade
    %%bpgrade exercise03                         # grades the cell's text, never runs it here

The learner's code runs in bpgrade's sandbox, as `bpgrade check` runs it, never in the
kernel's process. The engine is `grader` (`grader.api`); this package only holds what a
notebook needs on top of it.
"""

from __future__ import annotations

from bpgrade.kernel import (
    Graded,
    check,
    load_ipython_extension,
    plot,
    unload_ipython_extension,
)

__all__ = ["Graded", "check", "load_ipython_extension", "plot", "unload_ipython_extension"]
