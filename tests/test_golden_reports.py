"""Every report is as recorded: the yardstick of the check engine's rewrite (issue 12).

The corpus (tests/corpus/), the hostile set (tests/hostile/) and the reference solutions are
regraded on three seeds, each without a student id and with one (hidden cases), and each
exercise report is compared with the golden record, tests/golden/reports.txt: the status, the
score, and every check's name, title, points, verdict, diagnosis and message, to the letter.
A difference is listed by file, seed, student and check, before -> after (the messages too,
where the recorded report's JSON is in the local cache, tests/golden/.cache/).

After an intended change of what a report says, re-record and commit the new record with it:

    .venv/bin/python -m tests.golden.record

(`--check` compares without writing; `--only corpus/exercise03` regrades some files only.)
What the record leaves out, and why (output, notes, the place a time limit struck, attacks
whose reports depend on timing), is said in tests/golden/record.py. The attacks are compared
only when the tests run as root, as they were recorded (`record.skipped_here`).
"""

from __future__ import annotations

import pytest

from .golden import record

SHOWN = 80  # lines of differences shown; the rest are counted


def _failure(said: list[str]) -> str:
    lines = said[:SHOWN]
    if len(said) > SHOWN:
        lines.append(f"... and {len(said) - SHOWN} lines more")
    note = record.version_note()
    if note:
        lines.append(note)
    lines.append(
        "If the change is intended, re-record: python -m tests.golden.record (and commit "
        "tests/golden/reports.txt with it)."
    )
    return "reports differ from the golden record:\n" + "\n".join(lines)


def test_the_record_covers_every_file_and_run() -> None:
    """Fast: a file added to the corpus, the hostile set or the solutions is recorded too."""
    expected = {
        (s.key, seed, student or "-") for s in record.subjects() for seed, student in record.RUNS
    }
    recorded = [e.key for e in record.read_record()]
    assert len(recorded) == len(set(recorded)), "a report is recorded twice"
    missing = sorted(expected - set(recorded))
    extra = sorted(set(recorded) - expected)
    assert not missing and not extra, (
        f"not recorded: {missing[:10]}; recorded but not graded any more: {extra[:10]}; "
        "re-record: python -m tests.golden.record"
    )


@pytest.mark.slow
def test_every_report_is_as_recorded() -> None:
    # Another Python or NumPy words learners' exceptions and rounds a last digit its own way:
    # the record is a yardstick on the versions it was made with, not a pin on the machine's.
    other_versions = record.version_note()
    if other_versions:
        pytest.skip(other_versions)
    chosen = [s for s in record.subjects() if not record.skipped_here(s)]
    keys = {s.key for s in chosen}
    recorded = [e for e in record.read_record() if e.file in keys]
    said = record.differences(recorded, record.regrade(chosen))
    assert not said, _failure(said)
