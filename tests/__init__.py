"""bpgrade's tests."""

import os

# One BLAS thread in the tests' own process, as the CLI has (grader/cli/__init__.py): set here,
# before any test module or conftest imports NumPy.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
