"""What stops `bpgrade release`."""

from __future__ import annotations


class ReleaseError(Exception):
    """The release cannot be written; the message says why, for the instructor."""


class NotEmpty(ReleaseError):
    """The target folder holds files already, and --force was not given."""
