"""What a batch writes as students finish: reports synced in groups, a digest only after its
report, and the rows it keeps of them (grader.batch.store, grader.batch.outcomes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import files
from grader.batch import store
from grader.batch.outcomes import score_row
from grader.report import CheckReport, ExerciseReport, summarize


def test_reports_written_within_a_moment_share_one_sync_and_digests_come_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = store.Output(tmp_path / "grades.csv")
    store.make_folders(output)
    synced: list[list[str]] = []  # the folder's files at each sync
    monkeypatch.setattr(
        store, "sync_folder", lambda folder: synced.append(sorted(p.name for p in folder.iterdir()))
    )
    monkeypatch.setattr(store, "GROUP_SECONDS", 3600.0)
    written = store.Reports(output)
    for student in ("ann", "ben", "cy"):
        written.add(student, f"key-{student}", "{}", "# report\n")
    assert synced == []  # no sync per report, and no digest yet
    assert not list(output.reports.glob("*.sha256"))
    assert output.report("cy").read_text() == "{}"
    written.flush()
    reports = sorted(f"{s}.{kind}" for s in ("ann", "ben", "cy") for kind in ("json", "md"))
    assert synced[0] == reports  # the reports are on disk before any digest is written
    assert len(synced) == 2 and len(synced[1]) == 9
    assert output.digest("ben").read_text() == "key-ben\n"
    written.flush()  # nothing waiting: no sync
    assert len(synced) == 2


def test_a_stop_while_digests_are_written_leaves_the_rest_to_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = store.Output(tmp_path / "grades.csv")
    store.make_folders(output)
    monkeypatch.setattr(store, "GROUP_SECONDS", 3600.0)
    written = store.Reports(output)
    written.add("ann", "a", "{}", "")
    written.add("ben", "b", "{}", "")
    write = store.write
    stops = [KeyboardInterrupt]

    def stop_once(path: Path, text: str, **options: bool) -> None:
        write(path, text, **options)
        if stops:
            raise stops.pop()

    monkeypatch.setattr(store, "write", stop_once)
    with pytest.raises(KeyboardInterrupt):
        written.flush()
    assert output.digest("ann").exists() and not output.digest("ben").exists()
    written.flush()
    assert output.digest("ben").read_text() == "b\n"


def test_files_written_without_a_sync_are_whole(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "report.json"
    files.write_atomically(path, "whole", 0o600, sync=False)
    assert path.read_text() == "whole" and [p.name for p in path.parent.iterdir()] == [path.name]


def test_the_row_kept_of_a_report_has_its_scores_not_its_checks() -> None:
    check = CheckReport(
        name="c", title="C", passed=True, score=2.0, max_score=2.0, message="x" * 10_000
    )
    exercise = ExerciseReport(
        name="exercise01",
        title="One",
        file="exercise01.py",
        status="passed",
        score=2.0,
        max_score=2.0,
        checks=[check],
        output="printed " * 1000,
    )
    report = summarize([exercise])
    report.files = {"exercise01": "exercise01.py"}
    row = score_row(report)
    assert row.score == report.score == 2.0 and row.files == report.files
    assert row.exercises[0].score == 2.0 and row.exercises[0].status == "passed"
    assert row.exercises[0].checks == [] and row.exercises[0].output == ""
    assert report.exercises[0].checks == [check]  # the report itself is untouched
    assert len(row.model_dump_json()) < 1000 < len(report.model_dump_json())
