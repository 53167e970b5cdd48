"""Batch grading: a folder with one sub-folder per student, into one CSV and one report each.

    plan = prepare(Path("submissions"), Path("grades.csv"), BatchOptions(jobs=4))
    result = run(plan)

The folder name is the student's id. By default it also seeds that student's own hidden cases
(`BatchOptions.hidden`), so each student is graded on the public cases and on cases nobody
else gets. The exercise files are found as `grader.layout` says (the top of a student's folder,
`exercises/`, a folder deeper, a near-miss name), and the report says where.

What is written, beside the CSV:

    grades.csv                   the gradebook (`grader.gradebook`): by default student, one
                                 column per exercise, total, status, note; or the CSV that
                                 Canvas or Moodle imports. A row for every folder, the
                                 rejected ones included, sorted by folder; a graded one's
                                 note says in a few words where its files were found when
                                 not where the course puts them (`files_note`)
    grades-notes.csv             with a Canvas or Moodle gradebook: each folder's status and
                                 why (an import has no column for it)
    grades-reports/ID.json       the student's full report (`grader.report.Report`)
    grades-reports/ID.md         the same report as Markdown, for a person
    grades-reports/ID.sha256     what that report was graded from: the submission's files and
                                 the grading settings, hashed; an unchanged one is skipped.
                                 Removed as a run starts to grade the student again, until
                                 the new report is written: a stopped run (--force or not)
                                 leaves them to grade, and the gradebook says not graded yet

Every file is written whole or not at all (a temporary file, then a rename), the CSV after
each finished student (at most once a second) and at the end, so an interrupted run leaves a
valid CSV and picks up where it stopped. A stop (Ctrl-C) comes out of `run` as `Interrupted`,
which says what was graded.

As root (a shared grading machine, where learner code runs as other users), all of it is
root's alone: the reports folder, and any folder made for the CSV, 0o700 from the moment it is
made; the CSV, the notes, each report and digest 0o600, from their temporary file on. A
reports folder left readable by an earlier run is closed too. Not as root, the files are the
instructor's own, with the modes of any results file (0o644, folders as the umask says).

Trusted worker processes grade in parallel, each keeping one sandbox (one zygote) for its
life, so a submission costs a few forks, not an interpreter and a NumPy import. Learner code
runs only in the sandboxes' children. One submission never changes another's grade:

- a worker that dies is replaced and the submission it held graded again; a submission that
  takes its worker down twice gets an error report (score 0), and the batch goes on;
- a submission graded with an error (a crash, a timeout, an exhausted limit) while others were
  being graded beside it is graded once more on its own, and that grade is kept: learner code
  that disturbed the processes around it (signalling them, hogging the machine) cannot have
  cost another student points. An exercise whose file the submission lacks is no such error:
  no code of the student's ran for it, so nothing beside it could have changed its grade.

Where each part is:

    discovery.py        the class's folders: which are students, which are rejected and why
    plan.py             what a run will do: options, each submission's key, who is skipped
    pool.py             a generic pool of worker processes (groups, deaths, Ctrl-C)
    grading_worker.py   what a worker of the pool does: its sandbox, one submission's report
    orchestration.py    the run: the pool over the plan, confirmations, results, Ctrl-C
    store.py            what is written and read back: reports, digests, the gradebook
    outcomes.py         each folder as the gradebook lists it, with its note
    progress.py         how far a batch has come, and the time left
    errors.py           what stops a batch before it grades
"""

from grader.batch.discovery import Rejected, discover
from grader.batch.errors import BatchError, NoSubmissions
from grader.batch.orchestration import BatchResult, Interrupted, grade_batch, run
from grader.batch.outcomes import ALONE, files_note, outcomes
from grader.batch.plan import BatchOptions, Plan, Submission, prepare
from grader.batch.pool import Broken, Failed, WorkerPool
from grader.batch.store import Output
from grader.grading import DEFAULT_SEED  # BatchOptions' default seed

__all__ = [
    "ALONE",
    "DEFAULT_SEED",
    "BatchError",
    "BatchOptions",
    "BatchResult",
    "Broken",
    "Failed",
    "Interrupted",
    "NoSubmissions",
    "Output",
    "Plan",
    "Rejected",
    "Submission",
    "WorkerPool",
    "discover",
    "files_note",
    "grade_batch",
    "outcomes",
    "prepare",
    "run",
]
