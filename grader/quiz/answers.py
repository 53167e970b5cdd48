"""The answers file of `bpgrade quiz NAME --answers FILE`: one model, like every file we read.

A JSON object mapping question id to answer: an option id (single_choice), a list of option
ids (multiple_choice), true or false (true_false), a number (numeric) or a list of item ids
in order (ordering). Questions left out score 0. An id the quiz does not have is an error,
said in a sentence, whether it names a question, an option or an ordering step (a step the
question leaves out, say): it most likely means the file belongs to another quiz, has a typo
or names options by their letters, and a silent 0 would not say which.

An answers file is the learner's, and the grader may read it as root (a course platform, an
instructor's batch), so it is read with care:

- only a regular file is read: a symbolic link (the file itself, or any folder between the
  submission and it), a FIFO, a device or a folder is refused without being opened for
  reading, so it can neither point the grader at a file the learner may not read nor hang it;
- at most `MAX_BYTES`; a larger file is refused unread;
- what a message repeats of the file (question ids, the file's own name) is clipped: a few
  ids at most, each at most `SHOWN_CHARS` characters, so a message stays a sentence whatever
  the upload. A refused file's content is never read, so never shown.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pydantic import RootModel, ValidationError

from grader.quiz.models import MultipleChoice, Ordering, Question, Quiz, SingleChoice

AnswerValue = bool | float | str | list[str]

MAX_BYTES = 1 << 20  # 1 MiB: a quiz's answers are a few hundred bytes
MAX_SIZE_WORDS = "1 MiB"
SHOWN_IDS = 3  # unknown question ids named in a message; the rest are counted
SHOWN_CHARS = 40  # of any learner-supplied text a message repeats
REGULAR_ONLY = "answers are read from regular files only, never through a link"

_FOLLOW_NOTHING = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | _FOLLOW_NOTHING
_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | _FOLLOW_NOTHING


class AnswerSheet(RootModel[dict[str, AnswerValue]]):
    """Question id -> answer."""


class AnswersError(Exception):
    """An answers file that cannot be graded against the quiz."""


def clip(text: str, limit: int = SHOWN_CHARS) -> str:
    """Learner-supplied text as a message may repeat it: at most `limit` characters, with an
    ellipsis when cut, and control characters or undecodable bytes escaped."""
    cut = text[:limit] + ("…" if len(text) > limit else "")
    return cut if cut.isprintable() else repr(cut)[1:-1]


def shown(text: str) -> str:
    """`clip`ped and quoted, as an id is named in a message."""
    return f"'{clip(text)}'"


def listed(names: list[str], shown_at_most: int = SHOWN_IDS) -> str:
    """'a', 'b', 'c' and 9,997 more: a few names, and a count of the rest."""
    words = ", ".join(shown(name) for name in names[:shown_at_most])
    rest = len(names) - shown_at_most
    return f"{words} and {rest:,} more" if rest > 0 else words


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _below(path: Path, root: Path | None) -> tuple[Path, tuple[str, ...]]:
    """The folder to start from and the names to walk down from it to `path`: from `root`
    when `path` lies below it (each name then checked), else from `path`'s own folder."""
    if root is not None:
        try:
            relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
        except ValueError:
            pass
        else:
            if relative.parts and ".." not in relative.parts:
                return root, relative.parts
    return path.parent, (path.name,)


def _walk(start: Path, names: tuple[str, ...]) -> int:
    """A descriptor of the folder `start`/`names`: `start` as given, each of `names` opened
    without following a symbolic link; AnswersError saying which name is not a folder."""
    fd = os.open(start, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        for name in names:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if not stat.S_ISDIR(info.st_mode):
                raise AnswersError(f"{shown(name)} is {_kind(info.st_mode)}, not a folder")
            below = os.open(name, _FOLDER_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = below
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_folder(path: Path, root: Path | None = None) -> int:
    """A descriptor of the folder `path`, opened without following a symbolic link at it or,
    when it lies below `root`, between `root` and it; AnswersError naming the link."""
    return _walk(*_below(path, root))


def linked_on_the_way(path: Path, root: Path | None) -> str | None:
    """Why the file `path` cannot be reached from `root` without following a link (which
    name is one), or None: a file named through a linked folder is reported by its folder,
    never by its own name, which would tell what lies where the link points."""
    start, names = _below(path, root)
    try:
        os.close(_walk(start, names[:-1]))
    except AnswersError as error:
        return str(error)
    except OSError:
        return None  # a folder that cannot be opened: said when the file is read
    return None


def read_answers_file(path: Path, root: Path | None = None, name: str | None = None) -> bytes:
    """The bytes of the answers file `path`, if it is a regular file of at most MAX_BYTES.

    When `path` lies below `root` (the submission), no folder between them may be a symbolic
    link either. `name` is how messages call the file (default: `path`)."""
    called = str(path) if name is None else name
    start, names = _below(path, root)
    try:
        folder = _walk(start, names[:-1])
    except AnswersError as error:
        raise AnswersError(f"{called}: not read, {error}: {REGULAR_ONLY}") from None
    except OSError as error:
        raise AnswersError(_unreadable(called, error)) from None
    try:
        return _read_regular(folder, names[-1], called)
    finally:
        os.close(folder)


def _unreadable(called: str, error: OSError) -> str:
    return f"{called}: cannot read the answers: {error.strerror or type(error).__name__}"


def _read_regular(folder: int, name: str, called: str) -> bytes:
    try:
        info = os.stat(name, dir_fd=folder, follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode):
            raise AnswersError(f"{called}: not read, it is {_kind(info.st_mode)}: {REGULAR_ONLY}")
        if info.st_size > MAX_BYTES:
            raise AnswersError(_too_large(called, f" ({info.st_size:,} bytes)"))
        fd = os.open(name, _READ_FLAGS, dir_fd=folder)
    except OSError as error:
        raise AnswersError(_unreadable(called, error)) from None
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino) or not stat.S_ISREG(
            opened.st_mode
        ):
            raise AnswersError(f"{called}: not read, it changed while it was being opened")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, MAX_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise AnswersError(_unreadable(called, error)) from None
    finally:
        os.close(fd)
    if size > MAX_BYTES:
        raise AnswersError(_too_large(called, ""))
    return b"".join(chunks)


def _too_large(called: str, size: str) -> str:
    return (
        f"{called}: not read, it is larger than {MAX_SIZE_WORDS}{size}, the most an answers "
        "file may hold"
    )


def parse_answers(data: bytes, quiz: Quiz, called: str) -> dict[str, AnswerValue]:
    """The answers in `data`; AnswersError naming a few unknown question ids at most."""
    try:
        sheet = AnswerSheet.model_validate_json(data)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = clip(str(first["loc"][0])) if first["loc"] else ""
        message = clip(first["msg"], 200)
        detail = f"{where}: {message}" if where else message
        raise AnswersError(
            f"{called}: not a JSON object of question id -> answer ({detail})"
        ) from None
    known = {q.id for q in quiz.questions}
    unknown = sorted(key for key in sheet.root if key not in known)
    if unknown:
        raise AnswersError(f"{called}: quiz {quiz.id!r} has no question {listed(unknown)}")
    for question in quiz.questions:
        if question.id in sheet.root:
            wrong = unknown_entries(question, sheet.root[question.id])
            if wrong is not None:
                raise AnswersError(f"{called}: question {shown(question.id)} {wrong}")
    return sheet.root


def unknown_entries(question: Question, answer: AnswerValue) -> str | None:
    """What an answer names that the question does not have (an option, an ordering step),
    said as the end of a sentence about the question; None where it names none. An answer of
    the wrong shape (a number for an option) is left to grading, which scores it 0."""
    if isinstance(question, SingleChoice | MultipleChoice):
        ids, what = [option.id for option in question.options], "option"
    elif isinstance(question, Ordering):
        ids, what = [item.id for item in question.items], "step"
    else:
        return None
    named = [answer] if isinstance(answer, str) else answer if isinstance(answer, list) else []
    strangers = list(dict.fromkeys(entry for entry in named if entry not in ids))
    if not strangers:
        return None
    words = f"no {what}{'' if len(strangers) == 1 else 's'} {listed(strangers)}"
    if isinstance(question, Ordering):
        return f"has {words}: list its {len(ids)} steps only, each once, in order"
    lettered = all(len(entry) == 1 and entry.isalpha() for entry in strangers)
    if lettered and not all(len(option) == 1 for option in ids):
        return f"has {words}: name its options by their ids in the quiz, not by letters"
    return f"has {words}"


def load_answers(
    path: Path, quiz: Quiz, *, root: Path | None = None, name: str | None = None
) -> dict[str, AnswerValue]:
    """The answers in the file `path` (see the module's doc for what is refused). `root` is the
    submission it was handed in with, if any; `name` how messages call the file."""
    called = str(path) if name is None else name
    return parse_answers(read_answers_file(path, root, called), quiz, called)
