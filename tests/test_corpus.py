"""Realistic learner files, written apart from the grader: wrong ones fail with the right
diagnosis, right ones in other styles pass. The verdicts are in tests/corpus/expectations.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from grader.authoring.consistency import MIN_ALTS, MIN_BUGS
from grader.catalog import Catalog, load_catalog
from grader.grading import HIDDEN

from .conftest import EXERCISES, failing, grade_file

CORPUS = Path(__file__).parent / "corpus"
EXPECTATIONS = tomllib.loads((CORPUS / "expectations.toml").read_text())


def test_every_corpus_file_has_an_expectation() -> None:
    files = {p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("exercise*/*.py")}
    assert files == set(EXPECTATIONS)


@pytest.mark.parametrize(
    "exercise", [e.name for e in load_catalog(EXERCISES / "catalog.toml").exercises]
)
def test_corpus_is_big_enough(exercise: str) -> None:
    names = [Path(k).name for k in EXPECTATIONS if k.startswith(exercise + "/")]
    # the sizes `bpgrade dev check` asks of an author's corpus
    assert sum(n.startswith("bug_") for n in names) >= MIN_BUGS
    assert sum(n.startswith("alt_") for n in names) >= MIN_ALTS


# Each file on several seeds, and with a student's hidden cases: a verdict never depends on
# the draw. The hidden round repeats every check on the student's own cases.
RUNS = [(0, None), (7, None), (123456789, None), (0, "alice")]


@pytest.mark.parametrize(("seed", "student"), RUNS)
@pytest.mark.parametrize("relative", sorted(EXPECTATIONS))
def test_corpus_verdict(
    relative: str, seed: int, student: str | None, catalog: Catalog, tmp_path: Path
) -> None:
    expected = EXPECTATIONS[relative]
    entry = catalog.find(relative.split("/")[0])
    assert entry is not None
    report = grade_file(entry, CORPUS / relative, tmp_path / "submission", seed, student)
    rounds = [""] if student is None else ["", HIDDEN]
    for suffix in rounds:
        got = {
            name.removesuffix(HIDDEN): tag
            for name, tag in failing(report).items()
            if name.endswith(HIDDEN) == bool(suffix)
        }
        assert set(got) == set(expected["fails"]), (suffix, got)
        for name in expected["fails"]:
            assert got[name] == expected.get("diagnosis", {}).get(name), (
                name + suffix,
                next(c.message for c in report.checks if c.name == name + suffix),
            )
        for name, words in expected.get("says", {}).items():  # a likely mistake without a tag
            message = next(c.message for c in report.checks if c.name == name + suffix)
            assert words in message, (name + suffix, message)
    assert report.status == ("failed" if expected["fails"] else "passed")
