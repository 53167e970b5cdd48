"""Record today's grade reports as the golden record, or check today's against it.

    python -m tests.golden.record            # regrade everything, rewrite tests/golden/reports.txt
    python -m tests.golden.record --check    # regrade, compare with it, write nothing but the cache
    python -m tests.golden.record --only hostile/   # just the files whose name contains this

What is graded: every learner file of tests/corpus/<exercise>/, every attack of tests/hostile/
(its folder's file, as the learner hands it in), and each reference solution of solutions/;
each on the runs of RUNS: three seeds, each without a student id and with one (a student id
adds that student's hidden cases, a second round of every check). Each (file, run) gives one
exercise report; its canonical form (`canonical`) keeps what the check engine decides and
says (the status, the score, every check's name, title, points, verdict, diagnosis and
message, the exercise's error) and leaves out what depends on the machine or the moment:
the learner's printed output, the sandbox's notes, and the line a time limit happened to catch
(`normalize`). The attacks run in sandboxes of their own (HANGS with a 2 s wall clock, the
others with one they never reach), only as root (`skipped_here`); EXCLUDED names the one whose
report depends on timing all the same. The runs are serial, in the tests' shared sandbox.

The committed record (`reports.txt`) holds one line per report: the file, the run, the status,
a sha256 of the canonical JSON (its first 16 hex digits) and the checks that failed with their
diagnosis, so that a difference names the file and the check. The full canonical JSON of each
report is kept only in a local cache (tests/golden/.cache/, git-ignored), named by that hash:
a report's JSON is found there whenever it was recorded or checked on this machine, so a
changed message is shown before -> after. To fill the cache with the versions of an earlier
commit, run `python -m tests.golden.record --check` on it in this checkout (after `git stash`
or `git checkout` of that commit): the cache is shared by every commit checked out here.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import re
import shutil
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.catalog import ExerciseEntry, load_catalog
from grader.grading import DEFAULT_SEED, grade
from grader.report import ExerciseReport
from grader.sandbox import Limits, Sandbox, is_root
from tests.conftest import EXERCISES, ROOT, SOLUTIONS, graded_key, remember, shared_sandbox

GOLDEN = Path(__file__).resolve().parent
RECORD = GOLDEN / "reports.txt"
CACHE = GOLDEN / ".cache"
TESTS = ROOT / "tests"
CORPUS = TESTS / "corpus"
HOSTILE = TESTS / "hostile"

# (seed, student): the default seed and two others, each alone and with a student's hidden
# cases; three students, so that three draws of hidden cases are recorded too
RUNS: list[tuple[int, str | None]] = [
    (DEFAULT_SEED, None),
    (DEFAULT_SEED, "alice"),
    (7, None),
    (7, "bob"),
    (123456789, None),
    (123456789, "carol"),
]
# The attacks are graded in sandboxes of their own, so that none can disturb the zygote that
# grades the rest. Those that hang on purpose get tests/test_hostile.py's 2 s wall clock (the
# CPU limit a second behind): what their reports say does not depend on it. The others get a
# wall clock that none of them comes near (the slowest, infinite_recursion, takes about 9 s
# with hidden cases on a busy machine), so that no time limit decides what they score.
HANGS = {"infinite_loop", "ignores_sigterm", "slow_import"}
HANG_LIMITS = Limits(timeout=2.0)
HOSTILE_LIMITS = Limits(timeout=30.0)
# Attacks left out of the record, and why: what their reports say depends on timing.
EXCLUDED: dict[str, str] = {
    "huge_list": (
        "its lists of millions of floats take about as long to build and send as any wall "
        "clock allows: whether a call times out or is refused as not plain data, and which, "
        "changes from run to run (with 2 s and with 30 s)"
    ),
}
DIGEST = 16  # hex digits of the sha256 kept in the record
HEADER = """\
# Golden grade reports (tests/golden/record.py; re-record: python -m tests.golden.record).
# One line per report: file, seed, student ('-': none), status, sha256 of the canonical
# report JSON (first 16 hex digits), then each check that failed as name=diagnosis ('-': no
# diagnosis); a check that passed with a diagnosis would be +name=diagnosis.
"""
VERSIONS = "# versions: "


def versions() -> str:
    """What a learner's exception says (a NumPy broadcast error, a RecursionError) is worded
    by Python and NumPy: the record names the versions it was made with."""
    import platform

    import numpy

    return f"python {platform.python_version()} numpy {numpy.__version__}"


def version_note(path: Path | None = None) -> str | None:
    """A sentence when the record was made with other versions of Python or NumPy."""
    path = path or RECORD
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    recorded = next(
        (line.removeprefix(VERSIONS) for line in lines if line.startswith(VERSIONS)), ""
    )
    if recorded == versions():
        return None
    return (
        f"The record was made with {recorded or 'unknown versions'}, this run has "
        f"{versions()}: the text of an exception a learner's code raised may differ for "
        "that reason alone."
    )


@dataclass(frozen=True)
class Subject:
    """One learner file (or attack folder) and the exercise it is graded as."""

    key: str  # how the record names it: corpus/exercise01/bug_x.py, hostile/infinite_loop, ...
    exercise: str
    sources: tuple[Path, ...]  # copied into the submission folder, as the exercise's file
    hostile: bool = False


def subjects() -> list[Subject]:
    catalog = load_catalog(EXERCISES / "catalog.toml")
    found: list[Subject] = []
    for entry in catalog.exercises:
        for path in sorted((CORPUS / entry.name).glob("*.py")):
            key = path.relative_to(TESTS).as_posix()
            found.append(Subject(key, entry.name, (path,)))
    attacks = tomllib.loads((HOSTILE / "expectations.toml").read_text())
    for attack, expected in sorted(attacks.items()):
        if attack in EXCLUDED:
            continue
        sources = tuple(sorted((HOSTILE / attack).glob("*.py")))
        found.append(Subject(f"hostile/{attack}", expected["exercise"], sources, True))
    for entry in catalog.exercises:
        path = SOLUTIONS / entry.file
        found.append(Subject(f"solutions/{entry.file}", entry.name, (path,)))
    return found


# ------------------------------------------------------------------ the canonical report


# Where the code was when a time limit stopped it: "(exercise02_activations.py, line 36:
# `pass`)" after "timed out after 2 s in tanh_backward" or "used more than 3 s of CPU time in
# ...". It is a sample of a stack taken as the clock runs out (a loop is caught on either of
# its lines, or not at all when the stack came too late), so it is left out of the record.
# The place of a memory error comes from the learner's own traceback and is kept.
SAMPLED_SPOT = re.compile(
    r"(?P<limit>(?:timed out after|used more than) [^()`]*?) \([^(),`]+, line \d+(?:: `[^`]*`)?\)"
)


def normalize(text: str | None) -> str | None:
    """Sentences made the same on every machine and run: no path of this checkout, and no
    place sampled when a time limit struck."""
    if text is None:
        return None
    return SAMPLED_SPOT.sub(r"\g<limit>", text.replace(str(ROOT), "<root>"))


def canonical(report: ExerciseReport) -> dict[str, Any]:
    """What the record holds of an exercise report.

    Left out: `output` (what the learner's code printed: the sandbox's, not the judge's, and
    the order of its stdout and stderr depends on timing); the Report's notes (which
    protections this machine applied), student (the run names it), layout and files (empty
    when a folder is graded as here). No report field holds a duration."""
    return {
        "name": report.name,
        "title": report.title,
        "file": report.file,
        "status": report.status,
        "score": report.score,
        "max_score": report.max_score,
        "error": normalize(report.error),
        "syntax_error": report.syntax_error,
        "checks": [
            {
                "name": c.name,
                "title": c.title,
                "passed": c.passed,
                "score": c.score,
                "max_score": c.max_score,
                "diagnosis": c.diagnosis,
                "hidden": c.hidden,
                "visibility": c.visibility,
                "message": normalize(c.message),
            }
            for c in report.checks
        ],
    }


def digest(document: dict[str, Any]) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST]


@dataclass(frozen=True)
class Entry:
    """One line of the record."""

    file: str
    seed: int
    student: str | None
    status: str
    sha: str
    checks: tuple[str, ...]  # name=diagnosis of the failed ones, +name=diagnosis of others

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.file, self.seed, self.student or "-")

    def line(self) -> str:
        return " ".join(
            [self.file, str(self.seed), self.student or "-", self.status, self.sha, *self.checks]
        )

    @classmethod
    def parse(cls, line: str) -> Entry:
        file, seed, student, status, sha, *checks = line.split()
        return cls(file, int(seed), None if student == "-" else student, status, sha, tuple(checks))

    def check_states(self) -> dict[str, str]:
        """name -> 'failed (diagnosis)' for the checks the line names."""
        states = {}
        for token in self.checks:
            name, _, tag = token.partition("=")
            passed = name.startswith("+")
            verdict = "passed" if passed else "failed"
            states[name.removeprefix("+")] = verdict if tag == "-" else f"{verdict} ({tag})"
        return states


def entry_of(subject: Subject, seed: int, student: str | None, document: dict[str, Any]) -> Entry:
    checks = tuple(
        ("+" if c["passed"] else "") + f"{c['name']}={c['diagnosis'] or '-'}"
        for c in document["checks"]
        if not c["passed"] or c["diagnosis"] is not None
    )
    return Entry(subject.key, seed, student, document["status"], digest(document), checks)


def cache_path(sha: str) -> Path:
    return CACHE / f"{sha}.json"


def cache(sha: str, document: dict[str, Any]) -> None:
    """Keep the report's JSON for later diffs (best effort: a read-only checkout has none)."""
    path = cache_path(sha)
    if path.exists():
        return
    text = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError:
        pass


def cached(sha: str) -> dict[str, Any] | None:
    path = cache_path(sha)
    if not path.exists():
        return None
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


# ------------------------------------------------------------------ grading


def skipped_here(subject: Subject) -> bool:
    """The attacks are recorded as a root grader grades them, learner code as a uid of its
    own: as the grader's own user, `kill_parent` would kill this very process, the attacks
    marked needs_root read or leave what they must not (tests/hostile/README.md), and what
    stops the others may be another protection (per-process limits where a root grader has
    a control group), so that their reports may read otherwise. Without root they are
    neither regraded nor re-recorded: the record keeps them as they were."""
    return subject.hostile and not is_root()


# What a report says when the sandbox's copy of the submission vanished while it was graded:
# tests/test_sandbox.py removes every /tmp/bpgrade-* folder that appeared during one of its
# tests, the copies of another test run grading on the machine at the same time included.
VANISHED = "{file} was not found in "  # /submission, or the copy's path where no namespace
GRADINGS = 3  # tries of a grading whose copy vanished


def _grade(
    entry: ExerciseEntry,
    folder: Path,
    seed: int,
    box: Sandbox,
    student: str | None,
    progress: Callable[[str], None] | None,
) -> ExerciseReport:
    """One report; graded again when the submission's copy vanished (the file is in `folder`,
    so that is never what the grader made of it)."""
    for _ in range(GRADINGS):
        report = grade([entry], folder, SOLUTIONS, seed, sandbox=box, student=student)
        exercise = report.exercises[0]
        if not (exercise.error or "").startswith(VANISHED.format(file=entry.file)):
            break
        if progress is not None:
            progress(f"{entry.file} vanished from the sandbox's copy (seed {seed}): again")
    return exercise


def _graded(
    subject: Subject,
    entry: ExerciseEntry,
    folder: Path,
    seed: int,
    box: Sandbox,
    student: str | None,
    progress: Callable[[str], None] | None,
) -> ExerciseReport:
    """A corpus file's report as the corpus tests graded it this session, where they did (the
    same file, run and sandbox); otherwise graded here."""
    if subject.hostile or not subject.key.startswith("corpus/") or len(subject.sources) != 1:
        return _grade(entry, folder, seed, box, student, progress)
    key = graded_key(entry, subject.sources[0], seed, student)
    return remember(key, lambda: _grade(entry, folder, seed, box, student, progress))


def regrade(
    chosen: Iterable[Subject], progress: Callable[[str], None] | None = None
) -> list[Entry]:
    """Grade each subject on every run; the canonical reports go to the cache."""
    catalog = load_catalog(EXERCISES / "catalog.toml")
    entries: list[Entry] = []
    boxes: dict[Limits, Sandbox] = {}  # the attacks' own sandboxes
    hangs = {f"hostile/{attack}" for attack in HANGS}
    try:
        with tempfile.TemporaryDirectory(prefix="golden-reports-") as scratch:
            for number, subject in enumerate(chosen):
                entry: ExerciseEntry | None = catalog.find(subject.exercise)
                assert entry is not None, subject
                folder = Path(scratch) / str(number)
                folder.mkdir()
                for source in subject.sources:
                    name = entry.file if subject.key.startswith("corpus/") else source.name
                    shutil.copy(source, folder / name)
                if subject.hostile:
                    limits = HANG_LIMITS if subject.key in hangs else HOSTILE_LIMITS
                    if limits not in boxes:
                        boxes[limits] = Sandbox(limits)
                    box = boxes[limits]
                else:
                    box = shared_sandbox()
                started = time.monotonic()
                for seed, student in RUNS:
                    report = _graded(subject, entry, folder, seed, box, student, progress)
                    document = canonical(report)
                    line = entry_of(subject, seed, student, document)
                    cache(line.sha, document)
                    entries.append(line)
                if progress is not None:
                    progress(f"{subject.key} ({time.monotonic() - started:.1f} s)")
    finally:
        for box in boxes.values():
            box.close()
    return entries


# ------------------------------------------------------------------ the record


def read_record(path: Path = RECORD) -> list[Entry]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Entry.parse(line) for line in lines if line.strip() and not line.startswith("#")]


def write_record(entries: list[Entry], path: Path = RECORD) -> None:
    ordered = sorted(entries, key=lambda e: (e.file, RUNS.index((e.seed, e.student))))
    text = HEADER + VERSIONS + versions() + "\n" + "".join(e.line() + "\n" for e in ordered)
    path.write_text(text, encoding="utf-8")


def _run_name(key: tuple[str, int, str]) -> str:
    file, seed, student = key
    return f"{file} (seed {seed}, " + ("no student)" if student == "-" else f"student {student})")


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _check_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Field by field, what changed between two canonical reports."""
    said = []
    for field in ("title", "file", "status", "score", "max_score", "error", "syntax_error"):
        if before.get(field) != after.get(field):
            said.append(f"  {field}: {_value(before.get(field))} -> {_value(after.get(field))}")
    old = {c["name"]: c for c in before["checks"]}
    new = {c["name"]: c for c in after["checks"]}
    if list(old) != list(new):
        said.append(f"  checks: {list(old)} -> {list(new)}")
    for name in [n for n in new if n in old]:
        for field, value in new[name].items():
            was = old[name].get(field)
            if was == value:
                continue
            if isinstance(was, str) and isinstance(value, str) and "\n" in was + value:
                said.append(f"  {name}: {field}:")
                lines = difflib.unified_diff(was.splitlines(), value.splitlines(), lineterm="", n=1)
                said.extend(f"    {line}" for line in list(lines)[2:])  # not the file names
            else:
                said.append(f"  {name}: {field}: {_value(was)} -> {_value(value)}")
    return said


def differences(recorded: list[Entry], graded: list[Entry]) -> list[str]:
    """Each report that differs, readably: file, seed, student, check, before -> after."""
    before = {e.key: e for e in recorded}
    after = {e.key: e for e in graded}
    said: list[str] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old is None:
            said.append(f"{_run_name(key)}: not in the record (new)")
            continue
        if new is None:
            said.append(f"{_run_name(key)}: in the record, not graded any more")
            continue
        if old.sha == new.sha:
            continue
        said.append(f"{_run_name(key)}: report {old.sha} -> {new.sha}")
        old_doc, new_doc = cached(old.sha), cached(new.sha)
        if old_doc is not None and new_doc is not None:
            said.extend(_check_changes(old_doc, new_doc))
            continue
        if old.status != new.status:
            said.append(f"  status: {old.status} -> {new.status}")
        old_states, new_states = old.check_states(), new.check_states()
        for name in sorted(set(old_states) | set(new_states)):
            was, now = old_states.get(name, "passed"), new_states.get(name, "passed")
            if was != now:
                said.append(f"  {name}: {was} -> {now}")
        said.append(
            f"  (the recorded report {old.sha} is not in {CACHE.relative_to(ROOT)}: run "
            "`python -m tests.golden.record --check` on the commit it was recorded at to see "
            "its messages beside today's)"
        )
    return said


def _keep(subject: Subject, only: str | None) -> bool:
    return (only is None or only in subject.key) and not skipped_here(subject)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.golden.record",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--check", action="store_true", help="compare; write no record")
    parser.add_argument("--only", help="only the files whose name contains this")
    args = parser.parse_args(argv)

    chosen = [s for s in subjects() if _keep(s, args.only)]
    skipped = [s.key for s in subjects() if skipped_here(s)]
    if skipped:
        print(
            f"not root: the {len(skipped)} attacks are not graded (kept as recorded)",
            file=sys.stderr,
        )
    started = time.monotonic()
    try:
        graded = regrade(chosen, lambda line: print(line, file=sys.stderr))
    finally:
        shared_sandbox().close()
    elapsed = time.monotonic() - started
    recorded = read_record() if RECORD.exists() else []
    # what this run did not regrade stays as recorded: the files --only leaves out, and the
    # attacks a grader that is not root cannot contain
    untouched = [
        e
        for e in recorded
        if e.file in skipped or (args.only is not None and args.only not in e.file)
    ]
    kept = {e.key for e in untouched}
    recorded_here = [e for e in recorded if e.key not in kept]
    said = differences(recorded_here, graded)
    note = version_note()
    if said and note:
        said.append(note)
    print(
        f"{len(chosen)} files x {len(RUNS)} runs = {len(graded)} reports in {elapsed:.0f} s",
        file=sys.stderr,
    )
    if args.check:
        print("\n".join(said) if said else "identical to the record")
        return 1 if said else 0
    write_record(untouched + graded)
    changed = sum(1 for line in said if not line.startswith(" "))
    print(f"{changed} reports differed from the record; recorded in {RECORD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
