"""The `bpgrade` command. It parses arguments and prints; the work happens in the library.

Exit status: 0 when everything checked passed, 1 when anything failed, 2 for bad usage.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import ClassVar

import click

from grader import __version__

EXERCISES_DIR = click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("exercises"),
    show_default=True,
    help="The folder that holds the exercise files.",
)


class LazyGroup(click.Group):
    """Imports a subcommand group only when it is used, so `bpgrade check` stays quick."""

    lazy: ClassVar[dict[str, str]] = {
        "quiz": "grader.cli.quiz:quiz",
        "autograder": "grader.cli.autograder:autograder",
        "release": "grader.cli.release:release",
        "grade": "grader.cli.batch:grade",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, attribute = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bpgrade")
def main() -> None:
    """Learn backpropagation by doing it: exercises checked as you go, and quizzes.

    \b
    The loop: edit exercises/exercise01_chain_rule.py, then
      bpgrade check exercise01     grade it, with feedback on what is wrong
      bpgrade hint exercise01      one more hint each time
      bpgrade list                 your progress
    """


def _catalog():
    from grader.catalog import load_catalog
    from grader.course import catalog_path

    return load_catalog(catalog_path())


def _resolve(catalog, names: tuple[str, ...]):
    entries = []
    for name in names:
        entry = catalog.find(name)
        if entry is None:
            valid = ", ".join(e.name for e in catalog.exercises)
            closest = catalog.closest(name)
            suggestion = f" Did you mean {closest}?" if closest else ""
            raise click.UsageError(
                f"no exercise named {name!r}.{suggestion} The exercises: {valid}."
            )
        if entry not in entries:
            entries.append(entry)
    return entries


@main.command()
@click.argument("names", nargs=-1, metavar="NAME...")
@click.option("--all", "all_", is_flag=True, help="Check every exercise.")
@EXERCISES_DIR
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Draw the checks' inputs from another seed.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show the messages of passed checks too.")
def check(
    names: tuple[str, ...], all_: bool, folder: Path, as_json: bool, seed: int | None, verbose: bool
) -> None:
    """Grade exercises: NAME is exercise03, 3 or exercise03_linear."""
    from grader import progress
    from grader.cli.render import echo, report_text
    from grader.course import solutions_dir
    from grader.grading import DEFAULT_SEED, grade

    catalog = _catalog()
    if not names and not all_:
        valid = ", ".join(e.name for e in catalog.exercises)
        raise click.UsageError(f"name an exercise to check, or use --all. The exercises: {valid}.")
    entries = list(catalog.exercises) if all_ else _resolve(catalog, names)
    if not folder.is_dir():
        raise click.UsageError(f"there is no folder {folder}; point --dir at your exercise files.")
    report = grade(entries, folder, solutions_dir(), DEFAULT_SEED if seed is None else seed)
    progress.record_report(Path.cwd(), folder, report)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        echo(report_text(report, catalog, verbose))
    raise SystemExit(0 if report.all_passed else 1)


@main.command(name="list")
@EXERCISES_DIR
def list_(folder: Path) -> None:
    """Every exercise with its status and score, and quiz results."""
    from grader import progress
    from grader.cli.render import echo, progress_text

    state = progress.load(Path.cwd())
    saved = state.exercises.get(progress.folder_key(Path.cwd(), folder), {})
    echo(progress_text(_catalog(), saved, state))


@main.command()
@click.argument("name")
@click.option("--reset", is_flag=True, help="Hide the hints again.")
def hint(name: str, reset: bool) -> None:
    """Reveal one more hint for an exercise each time you ask."""
    from grader import progress
    from grader.cli.render import echo

    entry = _resolve(_catalog(), (name,))[0]
    if reset:
        progress.reset_hints(Path.cwd(), entry.name)
        echo(f"Hints for {entry.name} hidden again.")
        return
    shown = progress.reveal_hint(Path.cwd(), entry.name, len(entry.hints))
    if not entry.hints:
        echo(f"{entry.name} has no hints.")
        return
    for number, text in enumerate(entry.hints[:shown], start=1):
        prefix = click.style(f"Hint {number}/{len(entry.hints)}:", bold=number == shown)
        echo(f"{prefix} {text}")
    if shown == len(entry.hints):
        echo(click.style("That was the last hint.", dim=True))
    else:
        echo(click.style(f"Run `bpgrade hint {entry.name}` again for the next one.", dim=True))
