"""What stops a batch before it grades: no student folders, workers that cannot start."""

from __future__ import annotations


class BatchError(Exception):
    """The batch could not run (its workers could not start, say)."""


class NoSubmissions(BatchError):
    """The folder given holds no student folders."""
