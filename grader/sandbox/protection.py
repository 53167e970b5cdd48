"""As root, before any learner code runs: what of the course (and, in a batch, of the other
students' files) could learner code reach here? `protect` proves it with a probe, a child
locked down like learner code, and refuses to grade (`Exposed`) where it could read what it
must never see.

Nothing here runs learner code: the probe is the grader's own, and this module judges what
it found.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.sandbox.client import Sandbox

# what of a checkout of the course learner code must not read, beside the answers
COURSE_PRIVATE = (".git", "tests", "grader", "hatch_build.py")


class Exposed(RuntimeError):
    """As root, learner code could read what it must never see (a checkout of the course, the
    files of a batch), and no private filesystem hides it: grading is refused."""


def _within(path: str, folder: Path) -> bool:
    return path == str(folder) or path.startswith(f"{folder}/")


def protect(
    sandbox: Sandbox, course: Path, keep_out: list[Path], private: list[Path] | None = None
) -> None:
    """As root: prove with a probe what of the course learner code can reach, and refuse to
    grade where it could read the answers. Only bpgrade's own installed copy of the course
    is locked (chmod) first: an instructor's checkout is never changed.

    `keep_out`: folders it must not write into. `private`: more that it must not read (in a
    batch, the submissions, the gradebook and the reports)."""
    if not sandbox.unprivileged:
        return
    from grader.course import is_installed_copy
    from grader.platforms import SECRET_FOLDERS, lock_course

    if is_installed_copy(course):
        lock_course(course)
    secrets = [course / name for name in SECRET_FOLDERS if (course / name).is_dir()]
    secret_files = [path for folder in secrets for path in sorted(folder.glob("*"))[:50]]
    checkout = [course / name for name in COURSE_PRIVATE if (course / name).exists()]
    solutions = [p for p in secret_files if p.suffix == ".py" and p.parent.name == "solutions"]
    reached = sandbox.probe(
        [*secrets, *secret_files, *checkout, *(private or [])], keep_out, copies_of=solutions
    )
    seen = [p for p in reached["read"] if any(_within(p, f) for f in private or [])]
    if seen:
        raise Exposed(
            f"bpgrade will not grade this batch as root: learner code could read "
            f"{', '.join(seen[:2])} (other students' files or grades), and this machine gives "
            "it no private filesystem. Make the submissions folder and the gradebook's folder "
            "readable by root only (chmod 700), then run again."
        )
    exposed = [p for p in reached["read"] if any(_within(p, c) for c in [*checkout, *secrets])]
    if exposed:
        raise Exposed(
            f"bpgrade will not run learner code as root where it could read the course "
            f"({', '.join(exposed[:2])}): this machine gives it no private filesystem. "
            f"Install the course as a package (pip install {course}, without -e), whose copy "
            f"bpgrade locks itself, or make the course readable by its owner only "
            f"(chmod -R go-rwx {course})."
        )
    if reached.get("copies"):
        sandbox.notes.append(
            "Learner code could read copies of the reference solutions elsewhere on this "
            f"machine: {', '.join(reached['copies'][:5])}. Remove them, or make them "
            "readable by their owner only."
        )
    if reached["write"]:
        sandbox.notes.append(f"Learner code could write into {', '.join(reached['write'])}.")
    if reached.get("unimportable"):
        sandbox.notes.append(
            f"Learner code could not import {', '.join(reached['unimportable'])} from Python's "
            "standard library: the interpreter's folders are out of its user's reach and could "
            "not be opened for it (no /proc?), so only modules loaded in advance import."
        )
