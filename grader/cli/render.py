"""How reports look in a terminal. Plain text with optional colour; no grading happens here."""

from __future__ import annotations

import os
import re
import shutil
import sys
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from grader.api import feedback, printed_text
from grader.catalog import Catalog, ExerciseEntry
from grader.progress import ExerciseProgress
from grader.report import LAYOUT_HEADING, CheckReport, ExerciseReport, Report

if TYPE_CHECKING:
    from grader.quiz.listing import QuizStanding

STATUS_COLOURS = {"passed": "green", "failed": "red", "not_started": "yellow", "error": "red"}


def colour_enabled() -> bool | None:
    """None lets click decide (colour on a terminal only); NO_COLOR turns it off everywhere."""
    return False if os.environ.get("NO_COLOR") else None


def echo(text: str = "", err: bool = False) -> None:
    click.echo(text, err=err, color=colour_enabled())


def unicode_output() -> bool:
    """Whether stdout takes Unicode (blocks, marks); else ASCII stands in."""
    return (sys.stdout.encoding or "").lower().replace("-", "").startswith("utf")


def _mark(passed: bool) -> str:
    if unicode_output():
        return click.style("✓", fg="green") if passed else click.style("✗", fg="red")
    return click.style("ok ", fg="green") if passed else click.style("XX ", fg="red")


def _points(score: float, max_score: float) -> str:
    return f"{score:g}/{max_score:g}"


def _status(status: str) -> str:
    return click.style(status.replace("_", " "), fg=STATUS_COLOURS.get(status), bold=True)


WIDEST = 120  # columns: longer lines are hard to read, whatever the terminal
NARROWEST = 40
# The lines a failing exercise may take, so that it, a blank line, the "Next:" line and the
# prompt fit a terminal of 24 lines; a table gives up lines for it (to the first of these
# heights that fits, or the last), and with -v is shown whole.
SCREEN_LINES = 20
TABLE_LINES = (None, 12, 9, 6, 4, 3)
PRINTED_LINES = 10  # of what a check's code printed, shown under it with -v
PRINTED_FIRST = 5  # the same on the first screen
PRINTED_FIRST_FEWER = (PRINTED_FIRST, 2, 0)  # where the first screen has no room for them
FAILING = ("failed", "error")


def terminal_width() -> int:
    """The terminal's columns (COLUMNS first; 80 when output is not a terminal)."""
    columns = shutil.get_terminal_size((80, 24)).columns
    return min(max(columns, NARROWEST), WIDEST)


def _wrapped(text: str, first: str, rest: str, width: int) -> list[str]:
    """`text` wrapped to `width` under its indents; a number or a name is never split,
    except one longer than a whole line. Each of its lines keeps its own leading spaces."""
    lines: list[str] = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        lead = " " * (len(line) - len(body))
        lines += textwrap.wrap(
            _CODE.sub(_held, _BETWEEN_DIGITS.sub(_KEPT, body)),
            width,
            initial_indent=first + lead,
            subsequent_indent=rest + lead,
            break_on_hyphens=False,
        ) or [first.rstrip()]
    return [line.replace(_KEPT, ", ").replace(_SPACE, " ") for line in lines]


# a shape (6, 5) or an index [0, 1] stays on one line: its ", " is held together while wrapping
_BETWEEN_DIGITS = re.compile(r"(?<=\d), (?=\d)")
_KEPT = ",\x00"
# so does a short `command` or `code` in backquotes, to be read or copied whole
_CODE = re.compile(r"`[^`\n]{1,40}`")
_SPACE = "\x01"


def _held(code: re.Match[str]) -> str:
    return code.group(0).replace(" ", _SPACE)


def _cut(text: str, room: int) -> str:
    if len(text) <= room:
        return text
    return text[: max(room - 3, 0)].rstrip() + "..."


def _heading(exercise: ExerciseReport) -> str:
    return (
        click.style(f"{exercise.name}  {exercise.title}", bold=True)
        + f"  {_points(exercise.score, exercise.max_score)}  {_status(exercise.status)}"
    )


def _check_line(check: CheckReport, name_width: int, said: str, width: int) -> str:
    """`  ✗ name  0/2  said`, `said` cut to the width (the mark is one column, or three)."""
    points = _points(check.score, check.max_score)
    start = f"{check.name:<{name_width}}  {points:>5}  "
    room = width - 4 - (1 if unicode_output() else 3) - len(start)
    return f"  {_mark(check.passed)} {start}{_cut(said, room)}".rstrip()


def _short(check: CheckReport) -> str:
    """A failing check in a few words: its likely mistake, or what is wrong without the call."""
    said = feedback(check)
    if said.cause:  # what to fix first says more than this check's own numbers
        cause = said.cause.removeprefix("Probably a consequence of ").split(" failing")[0]
        return f"caused by {cause}, fix it first"
    if said.diagnosis:
        return said.diagnosis
    headline = said.headline.split("\n")[0]
    if said.call and headline.startswith(said.call):
        headline = headline[len(said.call) :].lstrip(": ")
        return headline[:1].upper() + headline[1:]
    return headline  # it opens with a name of the learner's code, which keeps its case


def _passed_line(passed: list[CheckReport], width: int) -> str:
    """`  ✓ 4 passed: a, b, c, and 1 more`, as many names as fit."""
    start = f"{len(passed)} passed"
    room = width - 4 - (1 if unicode_output() else 3) - len(start) - 2
    names = [c.name for c in passed]
    for shown in range(len(names), 0, -1):
        listed = ", ".join(names[:shown]) + _and_more(len(names) - shown)
        if len(listed) <= room:
            return f"  {_mark(True)} {start}: {listed}"
    return f"  {_mark(True)} {start}"


def _and_more(count: int) -> str:
    return f", and {count} more" if count else ""


def check_body(
    check: CheckReport,
    width: int,
    table_lines: int | None,
    printed: int = PRINTED_LINES,
    inputs: bool = True,
) -> list[str]:
    """A check's whole message under its line, wrapped to `width`, tables laid out to fit,
    then what its code printed. `table_lines`: the most lines a table may take (None: all);
    `printed`: the most lines of its prints; `inputs`: whether to show the failing case's
    inputs (the command that reproduces it shows them too)."""
    if check.passed:
        said = _wrapped(check.message, "    ", "      ", width) if check.message else []
        lines = [click.style(line, dim=True) for line in said]
        return lines + printed_lines(check.output, width, printed)
    from grader.judge.tables import fit

    part = feedback(check)
    lines = _wrapped(part.headline, "    ", "      ", width)
    if part.cause:  # what to fix first comes before what went wrong here
        cause = _wrapped(part.cause, "      ", "        ", width)
        lines += [click.style(line, bold=True) for line in cause]
    if part.traceback:
        traceback = _frames_kept(part.traceback, table_lines)
        lines += _wrapped(traceback, "      ", "          ", width)
    if part.mismatch:
        summary, *table = part.mismatch.split("\n")
        lines += _wrapped(summary, "      ", "        ", width)
        arrow = "→" if unicode_output() else "->"
        rows = fit([row.removeprefix("  ") for row in table], width - 8, table_lines, arrow)
        lines += _wrapped("\n".join(rows), "        ", "          ", width) if rows else []
    if part.diagnosis:
        heading = part.diagnosis_heading
        said = _wrapped(f"{heading}: {part.diagnosis}", "      ", "        ", width)
        coloured = click.style(heading, fg="yellow", bold=True)
        lines += [said[0].replace(heading, coloured, 1), *said[1:]]
    if part.advice:
        lines += _wrapped(part.advice, "      ", "        ", width)
    if part.inputs and inputs:
        lines += _wrapped(part.inputs, "      ", "        ", width)
    if part.reproduce:
        command_line = f"      {part.reproduce}"
        if len(command_line) <= width:
            lines.append(command_line)
        else:  # the command stays whole, to be copied: on a line of its own
            label, _, command = part.reproduce.partition(": ")
            lines += [f"      {label}:", f"        {command}"]
    return lines + printed_lines(check.output, width, printed)


def _frames_kept(traceback: str, most: int | None) -> str:
    """A traceback in at most about `most` lines: its first frame (where the call entered
    the learner's code) and its last ones (where it raised), the frames between counted."""
    frames: list[list[str]] = []
    for line in traceback.split("\n"):
        if line.startswith(" ") and frames:
            frames[-1].append(line)  # the frame's line of code
        else:
            frames.append([line])
    if most is None or sum(map(len, frames)) <= most:
        return traceback
    last: list[list[str]] = []
    room = most - len(frames[0]) - 1
    for frame in reversed(frames[1:]):
        if sum(map(len, last)) + len(frame) > room and last:
            break
        last.insert(0, frame)
    left_out = len(frames) - 1 - len(last)
    marker = [f"... {left_out} more {'frame' if left_out == 1 else 'frames'} ..."]
    kept = [frames[0], *([marker] if left_out else []), *last]
    return "\n".join(line for frame in kept for line in frame)


def printed_lines(output: str, width: int, most: int = PRINTED_LINES) -> list[str]:
    """What learner code printed, under a label, each line behind a bar so that nothing it
    prints passes for the grader's words; escapes stripped, at most `most` lines."""
    text = printed_text(output)
    if not text.strip():
        return []
    bar = "│ " if unicode_output() else "| "
    said = _wrapped(text, "      " + bar, "      " + bar, width)
    if most == 0:  # no room: one line that says they are there
        count = f"{len(said)} {'line' if len(said) == 1 else 'lines'}"
        line = f"Your prints: {count}; -v shows the first {PRINTED_LINES}."
        return ["    " + click.style(line, dim=True)]
    shown = said[:most]
    if len(said) > most:
        more = len(said) - most
        shown.append(f"      ... {more} more {'line' if more == 1 else 'lines'}")
    return ["    " + click.style("Your prints:", dim=True), *shown]


def exercise_lines(
    exercise: ExerciseReport,
    verbose: bool = False,
    width: int | None = None,
    most: int = SCREEN_LINES,
    folder: Path | None = None,
) -> Iterable[str]:
    """An exercise for the terminal. A failing one shows its first failing check in full and
    the others in a line each, in `most` lines where its tables can shrink to that, so that
    what to fix first fits the first screen; `verbose` shows every check in full."""
    width = terminal_width() if width is None else width
    if exercise.status not in ("passed", "not_started", "error") and not verbose:
        yield from _fitted(exercise, width, most)
        return
    yield _heading(exercise)
    if exercise.status == "not_started":
        yield from _wrapped(
            f"Not started: open {_path_of(exercise.file, folder)} and replace each "
            "`raise NotImplementedError`.",
            "  ",
            "    ",
            width,
        )
        return
    if exercise.status == "error":
        yield from _wrapped(exercise.error or "", "  ", "    ", width)
        return
    name_width = max(len(c.name) for c in exercise.checks)
    for check in exercise.checks:
        yield _check_line(check, name_width, check.title, width)
        if not check.passed or verbose:
            yield from check_body(check, width, None)


def _fitted(exercise: ExerciseReport, width: int, most: int) -> list[str]:
    # the largest table that leaves it on one screen, with the failing inputs if they fit too,
    # and the learner's prints, fewer of them where nothing else makes room
    for printed in PRINTED_FIRST_FEWER:
        for inputs in (True, False):
            for table_lines in TABLE_LINES:
                lines = _first_failure(exercise, width, table_lines, inputs, most, printed)
                if len(lines) <= most:
                    return lines
    return lines


def _first_failure(
    exercise: ExerciseReport,
    width: int,
    table_lines: int | None,
    inputs: bool = True,
    most: int | None = None,
    printed: int = PRINTED_FIRST,
) -> list[str]:
    """The checks that passed in a line, the first failing check in full, the others in a
    line each (those that fail alike in one), as many as `most` lines leave room for."""
    passed = [c for c in exercise.checks if c.passed]
    failed = [c for c in exercise.checks if not c.passed]
    lines = [_heading(exercise), *([_passed_line(passed, width)] if passed else [])]
    if not failed:
        return lines
    name_width = max(len(c.name) for c in failed)
    first, *others = failed
    lines.append(_check_line(first, name_width, first.title, width))
    lines += check_body(first, width, table_lines, printed, inputs)
    rest = _others(others, name_width, width)
    pointer = _wrapped(
        f"`bpgrade check {exercise.name} -v` shows every failing check in full.",
        "  ",
        "    ",
        width,
    )
    room = None if most is None else most - len(lines) - len(pointer)
    if room is not None and rest and len(rest) > room:  # the rest, counted in one line
        shown = rest[: max(room - 1, 0)]
        hidden = sum(count for _, count in rest[len(shown) :])
        more = f"  {_mark(False)} {hidden} more failing {'check' if hidden == 1 else 'checks'}"
        rest = [*shown, (more, hidden)]
    lines += [line for line, _ in rest]
    return lines + (pointer if others else [])


def _others(failed: list[CheckReport], name_width: int, width: int) -> list[tuple[str, int]]:
    """A line for each failing check after the first, with how many checks it stands for:
    checks in a row that fail alike (one mistake, one cause) share a line."""
    groups: list[tuple[str, list[CheckReport]]] = []
    for check in failed:
        said = _short(check)
        if groups and groups[-1][0] == said:
            groups[-1][1].append(check)
        else:
            groups.append((said, [check]))
    rows = []
    for said, checks in groups:
        if len(checks) == 1:
            rows.append((_check_line(checks[0], name_width, said, width), 1))
            continue
        start = f"{checks[0].name} and {len(checks) - 1} more: "
        room = width - 4 - (1 if unicode_output() else 3) - len(start)
        rows.append((f"  {_mark(False)} {start}{_cut(said, room)}", len(checks)))
    return rows


def report_text(
    report: Report,
    catalog: Catalog,
    verbose: bool = False,
    width: int | None = None,
    folder: Path | None = None,
) -> str:
    """The report for a terminal `width` columns wide (None: this terminal's). Several
    exercises get a line each, the first failing one its first failure in full. `folder`:
    where the files graded are (None: the workspace's exercises/), for the paths it names."""
    if report.error is not None:
        return click.style("Not graded: ", fg="red", bold=True) + report.error
    width = terminal_width() if width is None else width
    lines: list[str] = []
    if report.layout:  # it explains the scores below, so it comes first
        lines += [click.style(LAYOUT_HEADING, fg="yellow", bold=True)]
        # unwrapped: a file name the student copies from here must not be split in two
        lines += [f"  - {note}" for note in report.layout]
        lines.append("")
    several = len(report.exercises) > 1 and not verbose
    first = next((e for e in report.exercises if e.status in FAILING), None)
    # the lines around the first failing exercise, which it leaves room for on the screen
    around = len(report.exercises) - 1 + len(report.quizzes) + 2 if several else 0
    for exercise in report.exercises:
        if several and exercise is not first:
            lines.append(_heading(exercise))
        else:
            lines += exercise_lines(exercise, verbose, width, SCREEN_LINES - around, folder)
            lines += [] if several else [""]
    if several:
        lines.append("")
    for quiz in report.quizzes:
        right = sum(q.correct for q in quiz.questions)
        said = (
            f"not graded: {quiz.error}" if quiz.error else f"{right} of {len(quiz.questions)} right"
        )
        lines.append(
            click.style(f"quiz {quiz.quiz}", bold=True)
            + f"  {_points(quiz.score, quiz.max_score)}  {said}"
        )
    if report.quizzes:
        lines.append("")
    if len(report.exercises) + len(report.quizzes) > 1:
        lines.append(f"Total: {_points(report.score, report.max_score)}")
    lines.append(next_step(report, catalog, folder=folder))
    return "\n".join(lines)


def _path_of(file: str, folder: Path | None) -> str:
    """An exercise's file as the learner finds it from here: exercises/exercise01_....py."""
    from grader.loop import exercises_folder, shown_path

    return shown_path(exercises_folder(folder) / file)


def next_step(
    report: Report,
    catalog: Catalog,
    saved: dict[str, ExerciseProgress] | None = None,
    folder: Path | None = None,
) -> str:
    """The one thing the learner should do now. `saved`: the results saved for the files
    checked (None: the workspace's exercises/), so that once this report's exercises pass,
    the next exercise named is the first one not passed yet, never one passed already."""
    for exercise in report.exercises:
        if exercise.status == "not_started":
            path = _path_of(exercise.file, folder)
            return f"Next: write {path}, then run `bpgrade check {exercise.name}`."
        if exercise.status != "passed":
            return (
                f"Next: fix {exercise.name} and check again; stuck? `bpgrade hint {exercise.name}`."
            )
    for quiz in report.quizzes:
        if quiz.error is not None:  # taking it again would not help: the line above says why
            return f"Next: see above why the answers to {quiz.quiz} were not graded."
        if quiz.score < quiz.max_score:
            return f"Next: take the quiz again, `bpgrade quiz {quiz.quiz}`."
    if not report.exercises:
        return ""
    following = _first_not_passed(report, catalog, saved)
    if following is None:
        return click.style("Everything passed.", fg="green", bold=True)
    done = "Passed!" if len(report.exercises) == 1 else "All of these passed."
    return click.style(done, fg="green", bold=True) + f" Next: `bpgrade check {following}`."


def _first_not_passed(
    report: Report, catalog: Catalog, saved: dict[str, ExerciseProgress] | None
) -> str | None:
    """The first exercise after the last one checked that neither this report nor the saved
    results pass (coming round to the course's start): never one passed already."""
    from grader.course import workspace_root
    from grader.loop import Standing, exercises_folder, saved_results

    if saved is None:
        saved = saved_results(workspace_root(), exercises_folder())
    merged = dict(saved)
    for exercise in report.exercises:
        merged[exercise.name] = ExerciseProgress(
            status=exercise.status, score=exercise.score, max_score=exercise.max_score
        )
    following = Standing(catalog, merged).following(report.exercises[-1].name)
    return following.name if following is not None else None


BAR_WIDTH = 24


def progress_bar(done: float, total: float, width: int = BAR_WIDTH) -> str:
    """`█████░░░░░` (or `[#####.....]` where standard output is not Unicode)."""
    filled = round(width * done / total) if total > 0 else 0
    if unicode_output():
        return click.style("█" * filled, fg="green") + click.style("░" * (width - filled), dim=True)
    return "[" + "#" * filled + "." * (width - filled) + "]"


TITLE_WIDTH = 45  # a row fits 80 columns: 14 + title + 2 + points 6 + 2 + status 11


def progress_text(
    catalog: Catalog,
    saved: dict[str, ExerciseProgress],
    quizzes: Sequence[QuizStanding] = (),
) -> str:
    rows = []
    done = 0
    score = 0.0
    width = min(max(len(e.title) for e in catalog.exercises), TITLE_WIDTH)
    for entry in catalog.exercises:
        record = saved.get(entry.name)
        if record is None:
            status, points = click.style("not checked", dim=True), f"-/{entry.max_score:g}"
        else:
            status, points = _status(record.status), _points(record.score, record.max_score)
            done += record.status == "passed"
            score += record.score
        title = entry.title if len(entry.title) <= width else entry.title[: width - 1] + "…"
        rows.append(f"  {entry.name}  {title:<{width}}  {points:>6}  {status}")
    total = len(catalog.exercises)
    max_score = sum(entry.max_score for entry in catalog.exercises)
    heading = click.style(f"Exercises: {done} of {total} passed", bold=True)
    bar = f"{progress_bar(score, max_score)}  {score:g}/{max_score:g} points"
    lines = [f"{heading}  {bar}", *rows]
    if quizzes:
        taken = sum(quiz.latest is not None for quiz in quizzes)
        heading = f"Quizzes: {taken} of {len(quizzes)} taken"
        lines += ["", click.style(heading, bold=True), *quiz_rows(quizzes, "  ")]
    return "\n".join(lines)


def wrapped(prefix: str, text: str, styled_prefix: str | None = None) -> str:
    """`prefix text` wrapped to the terminal, continued two spaces in; the prefix styled
    after wrapping, so that its escape codes count for nothing."""
    lines = textwrap.wrap(
        f"{prefix} {text}" if prefix else text,
        width=terminal_width(),
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,  # a file name or a command is not split at its hyphens
    )
    if styled_prefix is not None and lines:
        lines[0] = styled_prefix + lines[0][len(prefix) :]
    return "\n".join(lines)


def hint_lines(entry: ExerciseEntry, revealed: list[int], failing: list[str]) -> Iterable[str]:
    """The hints revealed for `entry`, in the order they were, the newest in bold; wrapped."""
    total = len(entry.hints)
    if failing:
        said = f"Your last check of {entry.name} failed {failing[0]} first: its hints come first."
        yield click.style(wrapped("", said), dim=True)
    for number, index in enumerate(revealed, start=1):
        prefix = f"Hint {number}/{total}:"
        styled = click.style(prefix, bold=number == len(revealed))
        yield wrapped(prefix, entry.hints[index].text, styled)
    if len(revealed) >= total:
        yield click.style("That was the last hint.", dim=True)
    else:
        yield click.style(f"Run `bpgrade hint {entry.name}` again for the next one.", dim=True)


QUIZ_TITLE_WIDTH = 30  # a row fits 80 columns with a 16-character name


def quiz_rows(quizzes: Sequence[QuizStanding], indent: str = "") -> list[str]:
    """One line per quiz: its name, title, size and where the learner stands."""
    names = max((len(quiz.name) for quiz in quizzes), default=0)
    rows = []
    for quiz in quizzes:
        title = quiz.title
        if len(title) > QUIZ_TITLE_WIDTH:
            title = title[: QUIZ_TITLE_WIDTH - 1] + "…"
        size = f"{quiz.questions} questions" if quiz.questions else ""
        rows.append(
            f"{indent}{quiz.name:<{names}}  {title:<{QUIZ_TITLE_WIDTH}}  {size:>12}  "
            + _standing(quiz)
        )
    return [row.rstrip() for row in rows]


def _standing(quiz: QuizStanding) -> str:
    latest = (
        f"{_points(quiz.latest.score, quiz.latest.max_score)} "
        f"({quiz.latest.finished_at.strftime('%Y-%m-%d')})"
        if quiz.latest is not None
        else ""
    )
    if quiz.standing == "stopped":
        stopped = click.style(f"stopped at {quiz.answered}/{quiz.questions}", fg="yellow")
        return stopped + (f", last {latest}" if latest else "")
    if quiz.standing == "not_taken":
        return click.style("not taken", dim=True)
    if quiz.standing == "to_hand_in":
        return "to hand in"
    if quiz.standing == "invalid":
        return click.style("invalid: run bpgrade quiz validate", fg="red")
    return latest
