"""What a PrairieLearn course needs to grade the exercises with its external grader.

Written into a course repository (or a folder to merge into one):

    serverFilesCourse/bpgrade/          the grader's source, the course, and grade.sh
    questions/bpgrade/exercise03/       one question per exercise:
        info.json                       gradingMethod "External", externalGradingOptions
        question.html                   the stub to download and a pl-file-upload for it
        clientFilesQuestion/<stub>.py   the stub itself (never a solution)

One question per exercise, not one for the whole set: PrairieLearn scores a question
between 0 and 1 and an assessment weighs its questions, so each exercise gets its own
points, attempts and feedback, and a student uploads one file at a time.

For every submission PrairieLearn copies serverFilesCourse/bpgrade to
/grade/serverFilesCourse/bpgrade, the upload to /grade/student, and runs the entrypoint
`grade.sh EXERCISE`, which installs bpgrade from that copy and writes
/grade/results/results.json.
"""

from __future__ import annotations

import html
import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from grader.bundles.source import BundleError, Limits, SourceFile, source_files, template
from grader.catalog import ExerciseEntry, load_catalog
from grader.course import course_root

FOLDER = "bpgrade"  # under serverFilesCourse/ and under questions/
ENTRYPOINT = "grade.sh"
DEFAULT_IMAGE = "prairielearn/grader-python"
DEFAULT_JOB_TIMEOUT = 60
MAX_JOB_TIMEOUT = 600  # PrairieLearn's ceiling for externalGradingOptions.timeout
TOPIC = "Backpropagation"


@dataclass(frozen=True)
class Options:
    image: str = DEFAULT_IMAGE
    # the whole grading job: installing bpgrade (when the image lacks it) and grading
    job_timeout: int = DEFAULT_JOB_TIMEOUT
    # The stock image has no pydantic, so grade.sh installs bpgrade from PyPI's packages at
    # every submission; an image with bpgrade baked in needs no network.
    networking: bool = True
    limits: Limits = field(default_factory=Limits)

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
) -> PrairieLearnCourse:
    """Write (or refresh) the grader and one question per exercise under `output`.

    Only serverFilesCourse/bpgrade is replaced wholesale; a question's existing uuid is
    kept, so that regenerating never turns a question into a new one for PrairieLearn
    (which would orphan the students' submissions).
    """
    options = options or Options()
    course = course_root() if course is None else course
    catalog = load_catalog(course / "exercises" / "catalog.toml")
    server_files = _write_server_files(
        output / "serverFilesCourse" / FOLDER, source_files(project, course), options
    )
    questions = [
        _write_question(output / "questions" / FOLDER / entry.name, entry, course, options)
        for entry in catalog.exercises
    ]
    return PrairieLearnCourse(root=output, server_files=server_files, questions=questions)


def _write_server_files(target: Path, files: list[SourceFile], options: Options) -> Path:
    staging = target.with_name(f".{target.name}.new")
    shutil.rmtree(staging, ignore_errors=True)
    for file in files:
        destination = staging / file.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file.path, destination)
    entrypoint = staging / ENTRYPOINT
    entrypoint.write_text(grade_script(options.limits), encoding="utf-8")
    entrypoint.chmod(0o755)
    # swapped in whole: a failed copy leaves the previous grader in place
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def grade_script(limits: Limits) -> str:
    return template("prairielearn_grade.sh", TIMEOUT=limits.timeout_text, MEMORY=limits.memory)


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
    external: dict[str, object] = {
        "enabled": True,
        "image": options.image,
        "serverFilesCourse": [f"{FOLDER}/"],
        "entrypoint": f"/grade/serverFilesCourse/{FOLDER}/{ENTRYPOINT} {entry.name}",
        "timeout": options.job_timeout,
    }
    if options.networking:
        external["enableNetworking"] = True
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
