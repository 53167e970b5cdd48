"""docs/contract.md is the repository's copy of the course's exercise contract, which lives in
the shared folder beside the checkout; course material outside this repository relies on it."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "curriculum.md"


def test_the_contract_copy_is_in_step_with_the_shared_contract() -> None:
    if not SHARED.is_file():
        pytest.skip("no shared folder beside this checkout")
    assert (ROOT / "docs" / "contract.md").read_text(encoding="utf-8") == SHARED.read_text(
        encoding="utf-8"
    )
