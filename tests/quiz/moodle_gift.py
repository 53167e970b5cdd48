"""GIFT read the way Moodle reads it: a port of the rules of Moodle's importer.

Moodle's `qformat_gift::readquestion` (question/format/gift/format.php), with the block
splitting of `qformat_default::readquestions` and the checks its import applies afterwards
(`qformat_default::importprocess`: every grade must be one of
`question_bank::fraction_options_full()` within 1e-5; `qtype_multichoice`: a single-answer
question needs a 100 % answer, a multiple-answer one positive grades adding up to 100 %; at
least 2 answers or pairs). Written from those rules in this repository's own code; it keeps
Moodle's quirks where they decide what an import yields (the first `{` and the first `}` of a
block delimit its answers, `#` splits an answer from its feedback, a leading `%n%` is a
weight, a leading `[plain]` a format) and raises `GiftError` where Moodle refuses a question,
and also, stricter than Moodle, where the import would not be the question bpgrade meant (a
description, an essay, a short answer, a missing-word question).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FORMATS = {"moodle": "moodle", "html": "html", "plain": "plain", "markdown": "markdown"}
_WEIGHT = re.compile(r"^%-*([0-9]{1,2})\.?([0-9]*)%")
# PHP's is_numeric: optional leading whitespace and sign, digits with an optional point (or a
# point and digits), an optional exponent, optional trailing whitespace (PHP 8).
_PHP_NUMERIC = re.compile(r"^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*$")
_ESCAPES = {":": "&&058;", "#": "&&035;", "=": "&&061;", "{": "&&123;", "}": "&&125;"}
_ESCAPES |= {"~": "&&126;", "n": "&&010"}
_RESTORE = {":": ":", "#": "#", "=": "=", "{": "{", "}": "}", "~": "~", "n": "\n"}
_FRACTIONS = (
    0.9,
    0.8333333,
    0.8,
    0.75,
    0.7,
    0.6666667,
    0.6,
    0.5,
    0.4,
    0.3333333,
    0.3,
    0.25,
    0.2,
    0.1666667,
    0.1428571,
    0.125,
    0.1111111,
    0.1,
    0.05,
)
GRADES = (0.0, 1.0, -1.0, *_FRACTIONS, *(-f for f in _FRACTIONS))


class GiftError(ValueError):
    """A block Moodle's import would refuse, with the reason it gives."""


@dataclass
class Text:
    text: str
    format: str


@dataclass
class Answer:
    text: Text
    fraction: float
    feedback: Text


@dataclass
class NumericAnswer:
    value: str
    tolerance: str
    fraction: float
    feedback: Text


@dataclass
class GiftQuestion:
    name: str
    qtype: str
    text: Text
    general_feedback: Text
    comments: str = ""
    tags: list[str] = field(default_factory=list)
    idnumber: str = ""
    single: bool = True
    answers: list[Answer] = field(default_factory=list)
    numeric: list[NumericAnswer] = field(default_factory=list)
    pairs: list[tuple[Text, str]] = field(default_factory=list)
    correct_answer: bool | None = None
    feedback_true: Text | None = None
    feedback_false: Text | None = None


@dataclass
class GiftCategory:
    path: str


def _escaped_pre(text: str) -> str:
    """escapedchar_pre: escaped controls become placeholders; `\\\\` a single backslash."""
    out, i = [], 0
    while i < len(text):
        # PHP replaces every `\\\\` first, then the escapes, left to right: the same as one
        # scan that takes a backslash pair before looking at what follows a backslash.
        if text.startswith("\\\\", i):
            out.append("&&092;")
            i += 2
        elif text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPES:
            out.append(_ESCAPES[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out).replace("&&092;", "\\")


def _escaped_post(text: str) -> str:
    for char, placeholder in _ESCAPES.items():
        text = text.replace(placeholder, _RESTORE[char])
    return text


def _with_format(text: str, default: str) -> Text:
    """parse_text_with_format: a leading [name] of a known format sets it, else the default."""
    result_format = default
    if text.startswith("["):
        end = text.find("]")
        name = text[1:end] if end >= 0 else text[1:]
        if name in FORMATS:
            result_format = FORMATS[name]
            text = text[end + 1 :]
    return Text(_escaped_post(text).strip(), result_format)


def _comment_split(answer: str, default: str) -> tuple[Text, Text]:
    bits = answer.split("#", 1)
    text = _with_format(bits[0].strip(), default)
    feedback = _with_format(bits[1].strip(), default) if len(bits) > 1 else Text("", default)
    return text, feedback


def _weight(answer: str) -> tuple[float, str]:
    """answerweightparser: '%50%rest' -> (0.5, 'rest')."""
    answer = answer[1:]
    end = answer.find("%")
    return float(answer[:end]) / 100, answer[end + 1 :]


def _explode(text: str, separator: str) -> list[str]:
    parts = text.split(separator)
    parts[0] = parts[0].strip()
    return parts[1:] if not parts[0] else parts


def _grade(fraction: float, where: str) -> float:
    for grade in GRADES:
        if abs(grade - fraction) < 1e-5:
            return grade
    raise GiftError(f"{where}: the grade {fraction} is not one of Moodle's grades")


def _tags(comments: str) -> tuple[str, list[str]]:
    idnumber = re.search(r"\[id:((?:\\]|[^]\x00-\x1f])+)]", comments)
    tags = re.findall(r"\[tag:((?:\\]|[^]<>`\x00-\x1f])+)]", comments)
    return (
        idnumber.group(1).replace("\\]", "]").strip() if idnumber else "",
        [tag.replace("\\]", "]").strip() for tag in tags],
    )


def read_question(lines: list[str]) -> GiftQuestion | GiftCategory | None:
    comments = "".join(line.strip() + "\n" for line in lines if line.strip().startswith("//"))
    kept = [" " if line.strip().startswith("//") else line for line in lines]
    text = "\n".join(kept).strip()
    if not text:
        return None
    text = _escaped_pre(text)
    if text.startswith("$CATEGORY:"):
        return GiftCategory(text[10:].strip())

    name: str | None = None
    if text.startswith("::"):
        text = text[2:]
        finish = text.find("::")
        if finish >= 0:
            name = _escaped_post(text[:finish]).strip()
            text = text[finish + 2 :].strip()

    start, finish = text.find("{"), text.find("}")
    if start < 0 and finish < 0:
        raise GiftError(f"{name}: a description, not a question (no answers)")
    if start < 0 or finish < 0 or finish < start:
        raise GiftError(f"{name}: braces do not match")
    answer_text = text[start + 1 : finish].strip()
    if text.endswith("}"):
        question_text = text[:start] + text[finish + 1 :]
    else:
        question_text = text[:start] + "_____" + text[finish + 1 :]
    if text[finish + 1 :].strip():
        raise GiftError(f"{name}: text after the answers makes a missing-word question")

    general = ""
    separator = answer_text.rfind("####")
    if separator >= 0:
        general = answer_text[separator + 4 :]
        answer_text = answer_text[:separator].strip()

    q_text = _with_format(question_text, "moodle")
    question = GiftQuestion(
        name=name if name is not None else q_text.text[:80],
        qtype="",
        text=q_text,
        general_feedback=_with_format(general, q_text.format),
        comments=comments,
    )
    question.idnumber, question.tags = _tags(comments)
    default = q_text.format

    if answer_text == "":
        raise GiftError(f"{name}: an essay, not a question bpgrade exports")
    if answer_text[0] == "#":
        question.qtype = "numerical"
        _read_numerical(question, answer_text[1:], default)
    elif "~" in answer_text:
        question.qtype = "multichoice"
        _read_multichoice(question, answer_text, default)
    elif "=" in answer_text and "->" in answer_text:
        question.qtype = "match"
        _read_match(question, answer_text, default)
    else:
        check = answer_text
        if answer_text.find("#") > 0:
            check = answer_text[: answer_text.find("#")].strip()
        if check not in ("T", "TRUE", "F", "FALSE"):
            raise GiftError(f"{name}: a short-answer question, not one bpgrade exports")
        question.qtype = "truefalse"
        bits = answer_text.split("#", 2)
        truth = _with_format(bits[0].strip(), default).text
        wrong = _with_format(bits[1].strip(), default) if len(bits) > 1 else Text("", default)
        right = _with_format(bits[2].strip(), default) if len(bits) > 2 else Text("", default)
        question.correct_answer = truth in ("T", "TRUE")
        question.feedback_true = right if question.correct_answer else wrong
        question.feedback_false = wrong if question.correct_answer else right
    return question


def _read_multichoice(question: GiftQuestion, answer_text: str, default: str) -> None:
    question.single = "=" in answer_text
    answers = _explode(answer_text.replace("=", "~="), "~")
    if len(answers) < 2:
        raise GiftError(f"{question.name}: a question needs at least 2 answers")
    for raw in answers:
        answer = raw.strip()
        if answer.startswith("="):
            fraction, answer = 1.0, answer[1:]
        elif _WEIGHT.match(answer):
            fraction, answer = _weight(answer)
        else:
            fraction = 0.0
        text, feedback = _comment_split(answer, default)
        question.answers.append(Answer(text, _grade(fraction, question.name), feedback))
    fractions = [answer.fraction for answer in question.answers]
    if question.single and max(fractions) != 1.0:
        raise GiftError(f"{question.name}: one of the answers should have a grade of 100 %")
    if not question.single and round(sum(f for f in fractions if f > 0), 2) != 1.0:
        raise GiftError(f"{question.name}: the positive grades do not add up to 100 %")


def _read_match(question: GiftQuestion, answer_text: str, default: str) -> None:
    answers = _explode(answer_text, "=")
    if len(answers) < 2:
        raise GiftError(f"{question.name}: a question needs at least 2 answers")
    for raw in answers:
        answer = raw.strip()
        marker = answer.find("->")
        if marker < 0:
            raise GiftError(f"{question.name}: a matching pair needs '->'")
        stem = _with_format(answer[:marker], default)
        question.pairs.append((stem, _escaped_post(answer[marker + 2 :]).strip()))


def _read_numerical(question: GiftQuestion, answer_text: str, default: str) -> None:
    wrong_feedback = ""
    if (tilde := answer_text.find("~")) >= 0:
        wrong_feedback, answer_text = answer_text[tilde:], answer_text[:tilde]
    answers = _explode(answer_text, "=")
    if not answers:
        raise GiftError(f"{question.name}: a numerical question needs an answer")
    for raw in answers:
        answer = raw.strip()
        fraction = 1.0
        if _WEIGHT.match(answer):
            fraction, answer = _weight(answer)
        text, feedback = _comment_split(answer, default)
        value = text.text
        if value.find("..") > 0:
            low, high = value.split("..", 1)
            answer_value = str((float(high) + float(low)) / 2)
            tolerance = str(float(high) - float(answer_value))
        elif value.find(":") > 0:
            answer_value, tolerance = value.split(":", 1)
        else:
            answer_value, tolerance = value, "0"
        answer_value, tolerance = answer_value.strip(), tolerance.strip()
        if not _PHP_NUMERIC.match(answer_value) or not _PHP_NUMERIC.match(tolerance):
            raise GiftError(f"{question.name}: {value!r} is not a number with a tolerance")
        question.numeric.append(
            NumericAnswer(answer_value, tolerance, _grade(fraction, question.name), feedback)
        )
    if wrong_feedback:
        _, feedback = _comment_split(wrong_feedback, default)
        question.numeric.append(NumericAnswer("*", "", 0.0, feedback))


def read_gift(source: str) -> list[GiftQuestion | GiftCategory]:
    """Every block of a GIFT file, as Moodle's import reads it; GiftError for one it refuses.

    readquestions: a block ends at a line that is empty once trimmed (PHP's empty(), which is
    also true of the line "0")."""
    source = source.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    items: list[GiftQuestion | GiftCategory] = []
    block: list[str] = []
    for line in [*source.split("\n"), ""]:
        stripped = line.strip()
        if stripped in ("", "0"):
            if block and (item := read_question(block)) is not None:
                items.append(item)
            block = []
        else:
            block.append(stripped)
    return items


def moodle_multi_fraction(question: GiftQuestion, picked: set[int]) -> float:
    """qtype_multichoice_multi: the grades of the picked answers added, clamped to [0, 1]."""
    total = sum(question.answers[i].fraction for i in picked)
    return min(1.0, max(0.0, total))


def moodle_numeric_accepts(answer: NumericAnswer, given: float) -> bool:
    """qtype_numerical with a nominal tolerance: |given - answer| <= tolerance."""
    return abs(given - float(answer.value)) <= abs(float(answer.tolerance)) + 1e-12
