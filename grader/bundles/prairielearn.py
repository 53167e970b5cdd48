"""What a PrairieLearn course needs to grade the exercises with its external grader.

Written into a course repository (or a folder to merge into one):

    serverFilesCourse/bpgrade/          grade.sh, and site/3.13/: bpgrade (the course
                                        folded in) and its dependencies, unpacked from
                                        their wheels for the image's Python
    questions/bpgrade/exercise03/       one question per exercise:
        info.json                       gradingMethod "External", externalGradingOptions
        question.html                   the stub to download and a pl-file-upload for it
        clientFilesQuestion/<stub>.py   the stub itself (never a solution)

One question per exercise, not one for the whole set: PrairieLearn scores a question
between 0 and 1 and an assessment weighs its questions, so each exercise gets its own
points, attempts and feedback, and a student uploads one file at a time.

For every submission PrairieLearn copies serverFilesCourse/bpgrade to
/grade/serverFilesCourse/bpgrade, the upload to /grade/student, and runs the entrypoint
`grade.sh EXERCISE`, which writes /grade/results/results.json.

A job installs nothing and downloads nothing (PrairieLearn's graders have no network
unless a question asks for one): grade.sh puts the unpacked site folder on the image's
Python path with a .pth file, which takes no time, where an install took seconds a job. Not
PYTHONPATH: the sandbox starts Python isolated (-I), which ignores it. NumPy is left out:
learner code imports it in its sandbox, which sees the image's own packages only, so the
image must have it (the stock one does), and torch too for a course that imports torch.
"""

from __future__ import annotations

import html
import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from grader.bundles import wheels as bundled
from grader.bundles.source import BundleError, Limits, needs_torch, source_files, template
from grader.catalog import ExerciseEntry, load_catalog
from grader.course import course_root

FOLDER = "bpgrade"  # under serverFilesCourse/ and under questions/
ENTRYPOINT = "grade.sh"
DEFAULT_IMAGE = "prairielearn/grader-python"
# The stock image's Python: a uv virtual environment in /venv, CPython 3.13
# (PrairieLearn's graders/python/Dockerfile).
DEFAULT_TARGET = bundled.Target(("3.13",))
SITE = "site"
# What learner code imports itself: it must come from the image (see above).
FROM_THE_IMAGE = frozenset({"numpy", "torch"})
DEFAULT_JOB_TIMEOUT = 60
MAX_JOB_TIMEOUT = 600  # PrairieLearn's ceiling for externalGradingOptions.timeout
TOPIC = "Backpropagation"


@dataclass(frozen=True)
class Options:
    image: str = DEFAULT_IMAGE
    # the whole grading job: installing bpgrade from the wheels (when the image lacks it), a
    # second or two, and grading, which an exercise's own timeout and the judge's bound
    job_timeout: int = DEFAULT_JOB_TIMEOUT
    limits: Limits = field(default_factory=Limits)
    target: bundled.Target = DEFAULT_TARGET

    def __post_init__(self) -> None:
        if not 0 < self.job_timeout <= MAX_JOB_TIMEOUT:
            raise BundleError(
                f"PrairieLearn allows a job timeout of 1 to {MAX_JOB_TIMEOUT} s, "
                f"not {self.job_timeout}"
            )
        if self.job_timeout <= self.limits.timeout:
            raise BundleError(
                f"the job timeout ({self.job_timeout} s) must leave room for an exercise's "
                f"own timeout ({self.limits.timeout_text} s) and for installing bpgrade"
            )


@dataclass(frozen=True)
class PrairieLearnCourse:
    root: Path
    server_files: Path
    questions: list[Path]


def build(
    output: Path,
    options: Options | None = None,
    *,
    project: Path | None = None,
    course: Path | None = None,
    wheelhouse: Path | None = None,
) -> PrairieLearnCourse:
    """Fetch the wheels, then write (or refresh) the grader and one question per exercise
    under `output`."""
    options = options or Options()
    course = course_root() if course is None else course
    with bundled.collect(
        source_files(project, course), options.target, torch=False, wheelhouse=wheelhouse
    ) as wheels:
        return write(output, wheels, options, course=course)


def write(
    output: Path, wheels: bundled.Wheels, options: Options | None = None, *, course: Path
) -> PrairieLearnCourse:
    """serverFilesCourse/bpgrade from `wheels`, and the questions of `course`.

    Only serverFilesCourse/bpgrade is replaced wholesale; a question's existing uuid is
    kept, so that regenerating never turns a question into a new one for PrairieLearn
    (which would orphan the students' submissions).
    """
    options = options or Options()
    catalog = load_catalog(course / "exercises" / "catalog.toml")
    server_files = _write_server_files(
        output / "serverFilesCourse" / FOLDER, wheels, options, torch=needs_torch(course)
    )
    questions = [
        _write_question(output / "questions" / FOLDER / entry.name, entry, course, options)
        for entry in catalog.exercises
    ]
    return PrairieLearnCourse(root=output, server_files=server_files, questions=questions)


def _write_server_files(
    target: Path, wheels: bundled.Wheels, options: Options, *, torch: bool
) -> Path:
    staging = target.with_name(f".{target.name}.new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for version in wheels.target.pythons:
        bundled.unpack(wheels, version, staging / SITE / version, leave_out=FROM_THE_IMAGE)
    entrypoint = staging / ENTRYPOINT
    script = grade_script(wheels.target, options.limits, torch=torch)
    entrypoint.write_text(script, encoding="utf-8")
    entrypoint.chmod(0o755)
    # swapped in whole: a failed copy leaves the previous grader in place
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def grade_script(target: bundled.Target, limits: Limits, *, torch: bool = False) -> str:
    return template(
        "prairielearn_grade.sh",
        PYTHONS=" ".join(target.pythons),
        ARCH=target.arch,
        IMPORTS="numpy, torch" if torch else "numpy",
        TIMEOUT=limits.timeout_text,
        MEMORY=limits.memory,
    )


def _write_question(folder: Path, entry: ExerciseEntry, course: Path, options: Options) -> Path:
    info = question_info(entry, options, _existing_uuid(folder / "info.json"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "info.json").write_text(json.dumps(info, indent=4) + "\n", encoding="utf-8")
    (folder / "question.html").write_text(question_html(entry), encoding="utf-8")
    stub = course / "exercises" / entry.file
    client_files = folder / "clientFilesQuestion"
    client_files.mkdir(exist_ok=True)
    shutil.copyfile(stub, client_files / entry.file)
    return folder


def question_info(
    entry: ExerciseEntry, options: Options, question_uuid: str | None = None
) -> dict[str, object]:
    """A question's info.json, as PrairieLearn's external-grading docs describe it."""
    # No enableNetworking: the job installs from the bundled wheels, and learner code gets
    # no network. PrairieLearn's default, kept.
    external: dict[str, object] = {
        "enabled": True,
        "image": options.image,
        "serverFilesCourse": [f"{FOLDER}/"],
        "entrypoint": f"/grade/serverFilesCourse/{FOLDER}/{ENTRYPOINT} {entry.name}",
        "timeout": options.job_timeout,
    }
    return {
        "uuid": question_uuid or str(uuid.uuid4()),
        "title": f"{entry.name}: {entry.title}",
        "topic": TOPIC,
        "type": "v3",
        # PrairieLearn does not randomise this question; a fresh variant after every
        # attempt would only change the student's hidden cases under their feet.
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": external,
    }


def question_html(entry: ExerciseEntry) -> str:
    title = html.escape(entry.title)
    file = html.escape(entry.file, quote=True)
    return f"""<pl-question-panel>
  <p><strong>{html.escape(entry.name)}: {title}</strong></p>
  <p>
    Download <code>{file}</code>, write the functions it asks for (the math, the shapes
    and a worked example are at the top of the file), and upload it here. Every function
    is checked, and the feedback says what is wrong, not only that something is.
  </p>
  <pl-file-download file-name="{file}"></pl-file-download>
  <pl-file-upload file-names="{file}"></pl-file-upload>
</pl-question-panel>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""


def _existing_uuid(info: Path) -> str | None:
    try:
        value = json.loads(info.read_text(encoding="utf-8")).get("uuid")
        return str(uuid.UUID(value))
    except (OSError, ValueError, TypeError, AttributeError):
        return None
