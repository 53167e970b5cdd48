"""`bpgrade quiz`: take, grade, list, validate and export quizzes.

A thin layer: it parses arguments and prints; the work is in `grader.quiz`, imported inside
each command so that `bpgrade --help` never pays for pydantic.

    bpgrade quiz NAME|PATH [--answers FILE] [--seed N | --new-variant] [--restart] [--json]
    bpgrade quiz list | validate [PATH...] | schema | export NAME --format F

Exit codes: 0 when the quiz ran or was graded (whatever the score); 1 when an interactive
attempt was stopped before the end (Ctrl-D or Ctrl-C; its answers are kept, to resume); 2 for
bad usage or an invalid quiz or answers file.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from grader.quiz.attempt import Attempt
    from grader.quiz.grading import QuizResult
    from grader.quiz.models import Quiz
    from grader.quiz.variants import QuizVariant

TAKE = "take"
LIST = "list"
EXIT_STOPPED = 1
EXIT_INVALID = 2


class QuizGroup(click.Group):
    """A group whose first argument may be a quiz instead of a command:
    `bpgrade quiz backprop` means `bpgrade quiz take backprop`, and `bpgrade quiz` alone
    lists the quizzes a learner can take (`--help` shows the commands)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args:
            args = [LIST]
        elif args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [TAKE, *args]
        return super().parse_args(ctx, args)


def _workspace() -> Path:
    """Where the learner's answers and attempts live (`grader.course.workspace_root`)."""
    from grader.course import workspace_root

    return workspace_root()


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    raise SystemExit(EXIT_INVALID)


def _refuse(message: str) -> NoReturn:
    """A refusal a learner reads: wrapped to the terminal, between words and commands."""
    from grader.quiz.session import echo_wrapped

    echo_wrapped(message, err=True)
    raise SystemExit(EXIT_INVALID)


def _load(reference: str, *, prove: bool = False) -> tuple[Quiz, Path]:
    """The quiz NAME or PATH, and its file; `prove` also proves it over every variant
    (validate, export)."""
    from grader.course import quizzes_dir
    from grader.quiz.loader import QuizError, load_quiz, resolve

    try:
        path = resolve(reference, quizzes_dir())
        return load_quiz(path, prove=prove), path
    except QuizError as error:
        _fail(str(error))


def _drawn(loaded: Quiz, path: Path, seed: int) -> QuizVariant:
    """The variant `seed` of the quiz, its answers computed before a question is shown: a
    variant the quiz file gives no answer is refused, blaming the file, not the learner."""
    from grader.quiz.grading import VariantError, drawn

    try:
        return drawn(loaded, seed)
    except VariantError as error:
        _refuse(
            f"{path}: {error}. This is a mistake in the quiz file, not yours: tell "
            f"its author (`bpgrade quiz validate {shlex.quote(str(path))}` finds every variant "
            "like this one)."
        )


def _variant_seed(quiz: Quiz, seed: int | None) -> int:
    from grader.quiz.variants import current_user, default_seed

    return seed if seed is not None else default_seed(current_user(), quiz.id)


@click.group(
    "quiz",
    cls=QuizGroup,
    invoke_without_command=False,
    subcommand_metavar="NAME|PATH [ARGS]... | COMMAND [ARGS]...",
)
def quiz() -> None:
    """Take a quiz in the terminal, or grade, check and export quizzes.

    `bpgrade quiz backprop` asks the questions of quizzes/backprop.toml one at a time;
    a path to a .toml file works too. Each learner gets their own variant (option order
    and numbers); --seed N picks one.
    """


@quiz.command(TAKE)
@click.argument("reference", metavar="NAME|PATH")
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Grade a JSON object of question id -> answer instead of asking (a regular file, "
    "not a link, of at most 1 MiB); your progress is left as it is.",
)
@click.option("--seed", type=int, help="Fix the variant (option order and numbers).")
@click.option(
    "--new-variant",
    is_flag=True,
    help="Practice with new numbers and option order (not for a graded quiz, whose variant "
    "comes from your user name).",
)
@click.option("--restart", is_flag=True, help="Start over, dropping a stopped attempt.")
@click.option("--json", "as_json", is_flag=True, help="With --answers: print the result as JSON.")
def take(
    reference: str,
    answers_file: Path | None,
    seed: int | None,
    new_variant: bool,
    restart: bool,
    as_json: bool,
) -> None:
    """Take the quiz NAME (in the course's quizzes folder) or PATH (a .toml file).

    Your answers are saved as you give them: after Ctrl-C or Ctrl-D, the same command
    offers to resume where you stopped. With --answers the file is graded and nothing of
    yours is changed: neither your progress nor a stopped attempt."""
    if as_json and answers_file is None:
        raise click.UsageError("--json prints the grade of an answers file: add --answers FILE")
    if new_variant and (seed is not None or answers_file is not None):
        raise click.UsageError(
            "--new-variant draws its own numbers: leave out --seed and --answers"
        )
    from grader.course import quizzes_dir
    from grader.quiz.handout import find_handout

    handout = find_handout(reference, quizzes_dir())
    if handout is not None:
        if new_variant:
            _graded_variant(reference)
        _hand_in(handout, answers_file, seed)
        return
    loaded, path = _load(reference)
    if new_variant and loaded.graded:
        _graded_variant(reference)
    if answers_file is not None:
        from grader.quiz.answers import AnswersError, load_answers
        from grader.quiz.grading import grade_quiz

        variant = _drawn(loaded, path, _variant_seed(loaded, seed))
        try:
            answers = load_answers(answers_file, loaded)
        except AnswersError as error:
            _fail(str(error))
        # Grading a file is a check, not an attempt: the progress and any stopped attempt
        # stay as they are.
        result = grade_quiz(loaded, answers, variant)
        if as_json:
            click.echo(result.model_dump_json(indent=2))
        else:
            _print_result(result)
        return
    _take_interactively(loaded, path, reference, seed, new_variant, restart)


def _graded_variant(reference: str) -> NoReturn:
    _refuse(
        f"{reference} is graded: its numbers come from your user name, so that your course "
        "grades the variant you were shown. --new-variant is for practice quizzes."
    )


def _take_interactively(
    loaded: Quiz, path: Path, reference: str, seed: int | None, new_variant: bool, restart: bool
) -> None:
    from grader.progress import record_quiz
    from grader.quiz.attempt import discard_attempt, new_variant_seed, save_attempt, start_attempt
    from grader.quiz.session import run_session

    workspace = _workspace()
    again = f"bpgrade quiz {shlex.quote(reference)}"
    stopped = _Stopped(loaded, again, seed, new_variant, restart)
    attempt = stopped.resumed()
    if attempt is None:
        chosen = new_variant_seed() if new_variant else _variant_seed(loaded, seed)
        attempt = start_attempt(loaded, chosen, new_variant=new_variant)
    variant = _drawn(loaded, path, attempt.seed)
    if new_variant:
        _say(
            f"New numbers: variant {attempt.seed} (`{again} --seed {attempt.seed}` asks it again)."
        )
    outcome = run_session(loaded, variant, attempt, lambda a: save_attempt(workspace, a))
    if not outcome.finished:
        if outcome.saved and attempt.answers:
            _say(f"Your answers are saved: `{again}` resumes.")
        elif attempt.answers:
            _say("Your answers could not be saved here: this attempt is not kept.")
        elif stopped.kept:
            _say(f"Your stopped attempt ({stopped.answered}) is still kept: `{again}` offers it.")
        raise SystemExit(EXIT_STOPPED)
    record_quiz(workspace, loaded.id, outcome.result.score, outcome.result.max_score)
    discard_attempt(workspace, loaded.id)
    if outcome.result.score < outcome.result.max_score and not loaded.graded:
        click.echo()
        _say(f"Again with new numbers: `{again} --new-variant`.")


class _Stopped:
    """The stopped attempt saved for this quiz, if any, and what becomes of it.

    Nothing is lost without being asked for by name. Declining to resume starts over but
    keeps the stopped attempt on disk until the new one saves its first answer (over it):
    stopping before that leaves it to be offered again. Asking for another variant than the
    stopped attempt's (--seed N, --new-variant) is refused, saying how to resume it or how to
    drop it (--restart), the one option that drops it at once."""

    def __init__(
        self, loaded: Quiz, again: str, seed: int | None, new_variant: bool, restart: bool
    ) -> None:
        self.loaded, self.again = loaded, again
        self.seed, self.new_variant, self.restart = seed, new_variant, restart
        self.kept = False  # a stopped attempt left on disk while a new one starts
        self.answered = ""

    def resumed(self) -> Attempt | None:
        """The stopped attempt to go on with, if there is one and the learner wants it."""
        from grader.quiz.attempt import discard_attempt, load_attempt, resumable

        workspace = _workspace()
        loaded, again = self.loaded, self.again
        saved = load_attempt(workspace, loaded.id)
        if saved is None:
            return None
        count = len(loaded.questions)
        self.answered = f"{saved.answered(loaded)} of {_questions(count)} answered"
        if self.restart:
            discard_attempt(workspace, loaded.id)
            _say(f"Your stopped attempt ({self.answered}) is dropped; starting over.")
            return None
        if not resumable(saved, loaded):
            discard_attempt(workspace, loaded.id)
            _say(f"{loaded.title} changed since your stopped attempt; starting over.")
            return None
        if self.new_variant:
            self._refuse(saved, "new numbers", f"{again} --new-variant --restart")
        if self.seed is not None and self.seed != saved.seed:
            self._refuse(saved, f"variant {self.seed}", f"{again} --seed {self.seed} --restart")
        _say(f"You stopped {loaded.title} with {self.answered}.")
        from grader.quiz.session import confirm

        try:
            resume = confirm("Resume where you stopped?")
        except (click.Abort, KeyboardInterrupt, EOFError):
            click.echo()
            _say("Your stopped attempt is kept.")
            raise SystemExit(EXIT_STOPPED) from None
        if resume:
            return saved
        self.kept = True
        _say(
            "Starting over. Your stopped attempt is kept until you answer the first question "
            "(stop before that, and it is offered again)."
        )
        return None

    def _refuse(self, saved: Attempt, wanted: str, drop: str) -> NoReturn:
        _refuse(
            f"You stopped {self.loaded.title} in variant {saved.seed} with {self.answered}. "
            f"`{self.again}` resumes it; to drop it and start over with {wanted}, run "
            f"`{drop}`."
        )


def _questions(count: int) -> str:
    return f"{count} question{'' if count == 1 else 's'}"


def _say(text: str) -> None:
    from grader.quiz.session import echo_wrapped

    echo_wrapped(text)


def _hand_in(path: Path, answers_file: Path | None, seed: int | None) -> None:
    """A graded quiz of a release: asked as usual, its replies saved to hand in, not scored."""
    from grader.quiz.handout import HandoutError, answers_path, load_handout, run_handout
    from grader.quiz.variants import current_user, default_seed

    try:
        handout = load_handout(path)
    except HandoutError as error:
        _fail(str(error))
    if answers_file is not None:
        _fail(f"{handout.id} is handed in and graded by your course: it cannot be scored here.")
    chosen = seed if seed is not None else default_seed(current_user(), handout.id)
    if not run_handout(handout, chosen, answers_path(_workspace(), handout)):
        raise SystemExit(EXIT_STOPPED)


def _print_result(result: QuizResult) -> None:
    from grader.quiz.variants import format_number

    for question in result.questions:
        mark = "✓" if question.correct else ("◑" if question.score > 0 else "✗")
        got = f"{format_number(question.score)}/{format_number(question.max_score)}"
        click.echo(f"{mark} {question.id}: {got}")
    click.echo(f"Score: {format_number(result.score)} / {format_number(result.max_score)}")


@quiz.command(LIST)
def list_quizzes() -> None:
    """List the course's quizzes, with where you stand in each (`bpgrade quiz` alone)."""
    from grader.cli.render import echo, quiz_rows
    from grader.course import quizzes_dir
    from grader.quiz.listing import course_quizzes

    standings = course_quizzes(quizzes_dir(), _workspace())
    if not standings:
        click.echo(f"No quizzes in {quizzes_dir()}.")
        return
    echo("\n".join(quiz_rows(standings)))
    echo(f"`bpgrade quiz {standings[0].name}` takes one; `bpgrade quiz --help` shows the rest.")
    for quiz in standings:
        if quiz.standing == "stopped":
            echo(f"`bpgrade quiz {quiz.name}` resumes your stopped attempt of {quiz.name}.")
    if any(quiz.standing == "invalid" for quiz in standings):
        echo("`bpgrade quiz validate` says what is wrong with the invalid ones.")


@quiz.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check quiz files (a folder: every .toml in it; none: the course's quizzes)."""
    from grader.course import quizzes_dir
    from grader.quiz.loader import QuizError, load_quiz, quiz_files

    files: list[Path] = []
    for path in paths or (quizzes_dir(),):
        if path.is_dir():
            files += quiz_files(path)
        elif path.is_file():
            files.append(path)
        else:
            _fail(f"{path}: no such file or folder")
    if not files:
        _fail("no quiz files to validate")
    invalid = 0
    for path in files:
        try:
            loaded = load_quiz(path, prove=True)
        except QuizError as error:
            invalid += 1
            click.echo(str(error), err=True)
            continue
        click.echo(f"ok  {path} ({_questions(len(loaded.questions))})")
    if invalid:
        _fail(f"{invalid} of {len(files)} quiz files are invalid")


@quiz.command("schema")
@click.option(
    "--file",
    "kind",
    type=click.Choice(["quiz", "answers", "result", "attempt"]),
    default="quiz",
    show_default=True,
    help="Which file: a quiz, an answers file, the --json result, or a stopped attempt "
    "(.bpgrade/quiz-<id>.json).",
)
def schema(kind: str) -> None:
    """Print the JSON Schema of a file format, for editor completion and checks."""
    from pydantic import BaseModel

    from grader.quiz.answers import AnswerSheet
    from grader.quiz.attempt import Attempt
    from grader.quiz.grading import QuizResult
    from grader.quiz.models import Quiz

    models: dict[str, type[BaseModel]] = {
        "quiz": Quiz,
        "answers": AnswerSheet,
        "result": QuizResult,
        "attempt": Attempt,
    }
    model = models[kind]
    click.echo(json.dumps(model.model_json_schema(), indent=2))


@quiz.command("export")
@click.argument("reference", metavar="NAME|PATH")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["gift", "qti", "markdown"]),
    required=True,
    help="gift (Moodle), qti (a QTI 1.2 zip for Canvas) or markdown (a handout).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (default: standard output; for qti, NAME-qti.zip).",
)
@click.option("--answer-key", is_flag=True, help="markdown: add the answers at the end.")
@click.option(
    "--seed",
    type=int,
    help="The variant to export (default 0). A seed given is named in the export: in the QTI "
    "quiz's title and ids and the GIFT category, so that several seeds import side by side.",
)
def export(
    reference: str, fmt: str, output: Path | None, answer_key: bool, seed: int | None
) -> None:
    """Export a quiz for an LMS or for print."""
    from grader.quiz.export import export as render
    from grader.quiz.variants import draw

    if answer_key and fmt != "markdown":
        raise click.UsageError("--answer-key applies to --format markdown only")
    # An export goes out to an LMS: every variant it can draw must hold, as validate says.
    loaded, _ = _load(reference, prove=True)
    variant = draw(loaded, 0 if seed is None else seed)
    content = render(loaded, fmt, variant, answer_key=answer_key, seeded=seed is not None)
    if output is None and isinstance(content, bytes):
        named = loaded.id if seed is None else f"{loaded.id}-seed-{seed}"
        output = Path(f"{named}-qti.zip")
    if output is None:
        click.echo(content, nl=False)
        return
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    try:
        output.write_bytes(data)
    except OSError as error:
        _fail(f"{output}: cannot write: {error}")
    click.echo(f"Wrote {output}")
