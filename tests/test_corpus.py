"""Realistic learner files, written apart from the grader: wrong ones fail with the right
diagnosis, right ones in other styles pass. The verdicts are in tests/corpus/expectations.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from grader.catalog import Catalog

from .conftest import failing, grade_file

CORPUS = Path(__file__).parent / "corpus"
EXPECTATIONS = tomllib.loads((CORPUS / "expectations.toml").read_text())


def test_every_corpus_file_has_an_expectation() -> None:
    files = {p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("exercise*/*.py")}
    assert files == set(EXPECTATIONS)


@pytest.mark.parametrize(
    "exercise", ["exercise01", "exercise02", "exercise03", "exercise04", "exercise05"]
)
def test_corpus_is_big_enough(exercise: str) -> None:
    names = [Path(k).name for k in EXPECTATIONS if k.startswith(exercise + "/")]
    assert sum(n.startswith("bug_") for n in names) >= 6
    assert sum(n.startswith("alt_") for n in names) >= 2


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("relative", sorted(EXPECTATIONS))
def test_corpus_verdict(relative: str, seed: int, catalog: Catalog, tmp_path: Path) -> None:
    expected = EXPECTATIONS[relative]
    entry = catalog.find(relative.split("/")[0])
    assert entry is not None
    report = grade_file(entry, CORPUS / relative, tmp_path / "submission", seed)
    got = failing(report)
    assert set(got) == set(expected["fails"]), {name: got[name] for name in got}
    for name in expected["fails"]:
        assert got[name] == expected.get("diagnosis", {}).get(name), (
            name,
            next(c.message for c in report.checks if c.name == name),
        )
    assert report.status == ("failed" if expected["fails"] else "passed")
