"""`bpgrade autograder`: build what Gradescope and PrairieLearn need to grade with bpgrade.

    bpgrade autograder gradescope -o autograder.zip
    bpgrade autograder prairielearn -o COURSE_DIR

and two commands the bundles' own scripts run on the grading machine:

    bpgrade autograder student-id SUBMISSION    who submitted, from the platform's metadata
    bpgrade autograder lock                     the reference solutions, root-readable only

A thin layer: it parses and prints; the work is in `grader.bundles` and `grader.platforms`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

if TYPE_CHECKING:
    from grader.bundles.source import Limits
    from grader.bundles.wheels import Target

Built = TypeVar("Built")

TIMEOUT = click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds each exercise may run, passed to `bpgrade check`.",
)
MEMORY = click.option(
    "--memory",
    default="1GiB",
    show_default=True,
    help="Memory each exercise may use, passed to `bpgrade check`.",
)


WHEELHOUSE = click.option(
    "--wheelhouse",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Take every wheel from this folder instead of the package index (works offline).",
)
ARCH = click.option(
    "--arch",
    type=click.Choice(["x86_64", "aarch64"]),
    default="x86_64",
    show_default=True,
    help="The grading machine's architecture.",
)


def python_option(default: str, image: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--python",
        "pythons",
        multiple=True,
        default=[default],
        show_default=True,
        metavar="X.Y",
        help=f"The grading machine's Python ({default}: {image}); repeat for several.",
    )


@click.group()
def autograder() -> None:
    """Build autograder bundles for Gradescope and PrairieLearn (see docs/platforms.md)."""


@autograder.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("autograder.zip"),
    show_default=True,
    help="Where to write the zip.",
)
@TIMEOUT
@MEMORY
@python_option("3.11", "Ubuntu 22.04 with python3.11 from its archive")
@ARCH
@WHEELHOUSE
def gradescope(
    output: Path,
    timeout: float,
    memory: str,
    pythons: tuple[str, ...],
    arch: str,
    wheelhouse: Path | None,
) -> None:
    """Write autograder.zip for Gradescope's "zip file upload" autograder."""
    from grader.bundles import gradescope as bundle

    limits, target = _limits(timeout, memory), _target(pythons, arch)
    click.echo("Collecting bpgrade's wheels...", err=True)
    built = _build(lambda: bundle.build(output, limits, target=target, wheelhouse=wheelhouse))
    torch = "with" if built.installs_torch else "without"
    versions = ", ".join(built.target.pythons)
    click.echo(
        f"Wrote {built.path}: {len(built.entries)} files, bpgrade and its wheels "
        f"{torch} torch, for Python {versions} ({built.target.arch})."
    )
    click.echo("Upload it under Configure Autograder > Zip file upload; see docs/platforms.md.")


@autograder.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The PrairieLearn course folder (or a folder to merge into one).",
)
@click.option(
    "--image",
    default="prairielearn/grader-python",
    show_default=True,
    help="The grading image; grade.sh uses its own bpgrade where it has one.",
)
@click.option(
    "--job-timeout",
    type=click.IntRange(1, 600),
    default=60,
    show_default=True,
    help="Seconds PrairieLearn gives a whole grading job, installing bpgrade included.",
)
@TIMEOUT
@MEMORY
@python_option("3.13", "the stock prairielearn/grader-python image")
@ARCH
@WHEELHOUSE
def prairielearn(
    output: Path,
    image: str,
    job_timeout: int,
    timeout: float,
    memory: str,
    pythons: tuple[str, ...],
    arch: str,
    wheelhouse: Path | None,
) -> None:
    """Write serverFilesCourse/bpgrade and one externally graded question per exercise."""
    from grader.bundles import prairielearn as bundle

    limits, target = _limits(timeout, memory), _target(pythons, arch)
    options = _build(lambda: bundle.Options(image, job_timeout, limits, target))
    click.echo("Collecting bpgrade's wheels...", err=True)
    built = _build(lambda: bundle.build(output, options, wheelhouse=wheelhouse))
    click.echo(f"Wrote {built.server_files}")
    for question in built.questions:
        click.echo(f"Wrote {question}")
    click.echo("Commit them to the course repository and sync; see docs/platforms.md.")


@autograder.command(name="student-id")
@click.argument("submission", type=click.Path(file_okay=False, path_type=Path))
def student_id(submission: Path) -> None:
    """Print the student's id from the platform metadata beside SUBMISSION (exit 1: none)."""
    from grader.platforms import student_id as find

    found = find(submission)
    if found is None:
        raise SystemExit(1)
    click.echo(found)


@autograder.command()
def lock() -> None:
    """Make the installed course's solutions and quiz keys readable by their owner only.

    Meant for the grading machine, where the grader runs as root and learner code as an
    unprivileged user; the bundles' scripts run it after installing bpgrade.
    """
    from grader.course import course_root
    from grader.platforms import lock_course

    for folder in lock_course(course_root()):
        click.echo(f"Locked {folder}")


def _limits(timeout: float, memory: str) -> Limits:
    from grader.bundles.source import BundleError, Limits

    try:
        return Limits(timeout, memory)
    except BundleError as error:
        raise click.BadParameter(str(error)) from None


def _target(pythons: tuple[str, ...], arch: str) -> Target:
    from grader.bundles.source import BundleError
    from grader.bundles.wheels import Target

    try:
        return Target(tuple(dict.fromkeys(pythons)), arch)
    except BundleError as error:
        raise click.BadParameter(str(error), param_hint="--python") from None


def _build(make: Callable[[], Built]) -> Built:
    """Run a bundle build, turning what the instructor must fix into a usage error."""
    from grader.bundles.source import BundleError

    try:
        return make()
    except BundleError as error:
        raise click.UsageError(str(error)) from None
