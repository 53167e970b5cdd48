"""Exports: GIFT that parses, a QTI 1.2 zip Canvas can read, a Markdown handout."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli.quiz import quiz as quiz_command
from grader.quiz.export import export
from grader.quiz.loader import load_quiz
from grader.quiz.models import MultipleChoice, Numeric, Quiz
from grader.quiz.variants import draw, expected_value
from tests.quiz.helpers import EXAMPLE, QUIZZES

ALL_QUIZZES = [EXAMPLE, *sorted(QUIZZES.glob("*.toml"))]
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CANVAS_TYPES = {
    "single_choice": "multiple_choice_question",
    "multiple_choice": "multiple_answers_question",
    "true_false": "true_false_question",
    "numeric": "numerical_question",
    "ordering": "matching_question",
}


# --- a small GIFT parser -------------------------------------------------------------------


@dataclass
class GiftQuestion:
    title: str
    text: str
    answers: list[str] = field(default_factory=list)  # raw answer lines, unescaped marks kept
    general_feedback: str = ""


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def _split_unescaped(text: str, separator: str) -> list[str]:
    """Split on `separator` where it is not backslash-escaped."""
    parts, current, i = [], "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current += text[i : i + 2]
            i += 2
        elif text.startswith(separator, i):
            parts.append(current)
            current, i = "", i + len(separator)
        else:
            current += text[i]
            i += 1
    return [*parts, current]


def parse_gift(source: str) -> list[GiftQuestion]:
    """GIFT as Moodle reads it: comments dropped, blocks split at blank lines, each block
    `::title::text{answers}` with exactly one unescaped pair of braces."""
    questions = []
    for block in re.split(r"\n\s*\n", source):
        lines = [line for line in block.splitlines() if not line.lstrip().startswith("//")]
        body = "\n".join(lines).strip()
        if not body or body.startswith("$CATEGORY:"):
            continue
        match = re.fullmatch(r"::((?:\\.|[^:\\])+)::(.*?)(?<!\\)\{(.*)(?<!\\)\}", body, re.S)
        assert match, f"not a GIFT question: {body!r}"
        title, text, inside = match.groups()
        assert not re.search(r"(?<!\\)[{}]", text + inside), f"unescaped brace in {body!r}"
        parts = _split_unescaped(inside, "####")
        assert len(parts) <= 2
        answers = [line.strip() for line in parts[0].splitlines() if line.strip()]
        questions.append(
            GiftQuestion(
                _unescape(title),
                _unescape(text.removeprefix("[markdown]")),
                answers,
                _unescape(parts[1].strip()) if len(parts) == 2 else "",
            )
        )
    return questions


def _weights(answers: list[str]) -> list[float]:
    return [float(re.match(r"~%(-?[\d.]+)%", a).group(1)) for a in answers]  # type: ignore[union-attr]


@pytest.mark.parametrize("path", ALL_QUIZZES, ids=lambda p: p.stem)
def test_gift_parses_with_one_block_per_question(path: Path) -> None:
    quiz = load_quiz(path)
    variant = draw(quiz, 0)
    parsed = parse_gift(str(export(quiz, "gift", variant)))
    assert [q.title for q in parsed] == [q.id for q in quiz.questions]
    for question, gift in zip(quiz.questions, parsed, strict=True):
        assert gift.general_feedback == question.explanation
        answers = gift.answers
        if question.type == "single_choice":
            assert len(answers) == len(question.options)  # type: ignore[union-attr]
            assert sum(a.startswith("=") for a in answers) == 1
            assert all(a[0] in "=~" for a in answers)
        elif question.type == "multiple_choice":
            assert isinstance(question, MultipleChoice)
            weights = _weights(answers)
            assert sum(w for w in weights if w > 0) == pytest.approx(100, abs=0.01)
            assert sum(w > 0 for w in weights) == len(question.correct_ids)
        elif question.type == "true_false":
            assert re.fullmatch(r"(TRUE|FALSE)(#.*)?", answers[0])
            assert (answers[0].split("#")[0] == "TRUE") is question.answer  # type: ignore[union-attr]
        elif question.type == "numeric":
            assert isinstance(question, Numeric)
            match = re.fullmatch(r"#(-?[\d.e+-]+)(?::([\d.e+-]+))?", answers[0])
            assert match, answers[0]
            expected = expected_value(question, variant.of(question).params)
            assert float(match.group(1)) == pytest.approx(expected, rel=1e-9)
        else:
            assert question.type == "ordering"
            places = [re.fullmatch(r"=(.+) -> (\d+)", a) for a in answers]
            assert all(places)
            assert [int(m.group(2)) for m in places if m] == list(range(1, len(answers) + 1))


def test_gift_escapes_its_special_characters(example: Quiz) -> None:
    parsed = parse_gift(str(export(example, "gift", draw(example, 0))))
    neuron = parsed[4]
    assert neuron.text.startswith("One neuron: z = w*x + b")  # ':' and '=' survive escaping
    assert "w = 0.1, b = -0.1, x = 1" in neuron.text


# --- QTI 1.2 for Canvas --------------------------------------------------------------------


def qti_package(quiz: Quiz, seed: int = 0) -> tuple[ET.Element, ET.Element, list[str]]:
    data = export(quiz, "qti", draw(quiz, seed))
    assert isinstance(data, bytes)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))
        xml_names = [n for n in names if n.endswith(".xml") and n != "imsmanifest.xml"]
        assert len(xml_names) == 1
        assessment = ET.fromstring(archive.read(xml_names[0]))
    return manifest, assessment, names


def _metadata(item: ET.Element) -> dict[str, str]:
    fields = item.iter(f"{QTI}qtimetadatafield")
    return {f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry") for f in fields}  # type: ignore[misc]


@pytest.mark.parametrize("path", ALL_QUIZZES, ids=lambda p: p.stem)
def test_qti_is_a_zip_of_well_formed_xml_with_one_item_per_question(path: Path) -> None:
    quiz = load_quiz(path)
    manifest, assessment, names = qti_package(quiz)
    assert sorted(names) == sorted(["imsmanifest.xml", f"{quiz.id}/{quiz.id}.xml"])
    resource = next(manifest.iter("{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}resource"))
    assert resource.get("type") == "imsqti_xmlv1p2"
    assert resource.get("href") == f"{quiz.id}/{quiz.id}.xml"
    assert assessment.tag == f"{QTI}questestinterop"
    items = list(assessment.iter(f"{QTI}item"))
    assert [item.get("ident") for item in items] == [q.id for q in quiz.questions]
    for question, item in zip(quiz.questions, items, strict=True):
        metadata = _metadata(item)
        assert metadata["question_type"] == CANVAS_TYPES[question.type]
        assert float(metadata["points_possible"]) == question.points
        feedback = item.find(f"{QTI}itemfeedback[@ident='general_fb']")
        assert feedback is not None


def test_qti_scores_the_right_answers(example: Quiz) -> None:
    _, assessment, _ = qti_package(example)
    items = {item.get("ident"): item for item in assessment.iter(f"{QTI}item")}
    single = items["loss-input"]
    labels = [label.get("ident") for label in single.iter(f"{QTI}response_label")]
    assert labels == ["a", "b", "c"]
    final = single.findall(f".//{QTI}respcondition[@continue='No']")
    assert [v.text for v in final[0].iter(f"{QTI}varequal")] == ["a"]
    numeric = items["sigmoid-slope-max"]
    assert float(next(numeric.iter(f"{QTI}vargte")).text) == pytest.approx(0.249)  # type: ignore[arg-type]
    assert float(next(numeric.iter(f"{QTI}varlte")).text) == pytest.approx(0.251)  # type: ignore[arg-type]
    multiple = items["backward-computes"]
    assert next(multiple.iter(f"{QTI}response_lid")).get("rcardinality") == "Multiple"
    negated = [v.text for v in multiple.findall(f".//{QTI}not/{QTI}varequal")]
    assert negated == ["c", "d"]


def test_qti_is_reproducible(example: Quiz) -> None:
    assert export(example, "qti", draw(example, 3)) == export(example, "qti", draw(example, 3))


# --- Markdown ------------------------------------------------------------------------------


def test_markdown_handout_and_answer_key(example: Quiz) -> None:
    variant = draw(example, 0)
    handout = str(export(example, "markdown", variant))
    assert handout.startswith("# Example quiz")
    assert handout.count("\n## Question ") == len(example.questions)
    assert "Answer key" not in handout
    assert r"z = w\*x + b" in handout  # a product, not emphasis
    keyed = str(export(example, "markdown", variant, answer_key=True))
    key = keyed.split("## Answer key", 1)[1]
    assert "**-0.25 (within 1%)**" in key
    assert "**True**. That is why" in key
    assert len(re.findall(r"^\d+\. \*\*", key, re.M)) == len(example.questions)


# --- the command ---------------------------------------------------------------------------


def test_export_command(tmp_path: Path) -> None:
    runner = CliRunner()
    gift = runner.invoke(quiz_command, ["export", str(EXAMPLE), "--format", "gift"])
    assert gift.exit_code == 0 and len(parse_gift(gift.output)) == 6
    target = tmp_path / "example.zip"
    qti = runner.invoke(
        quiz_command, ["export", str(EXAMPLE), "--format", "qti", "-o", str(target)]
    )
    assert qti.exit_code == 0 and zipfile.is_zipfile(target)
    markdown = runner.invoke(
        quiz_command, ["export", str(EXAMPLE), "--format", "markdown", "--answer-key"]
    )
    assert "## Answer key" in markdown.output
    wrong = runner.invoke(
        quiz_command, ["export", str(EXAMPLE), "--format", "gift", "--answer-key"]
    )
    assert wrong.exit_code == 2
    unknown = runner.invoke(quiz_command, ["export", str(EXAMPLE), "--format", "pdf"])
    assert unknown.exit_code == 2


def test_qti_without_output_writes_a_named_zip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(quiz_command, ["export", str(EXAMPLE), "--format", "qti"])
    assert result.exit_code == 0
    assert zipfile.is_zipfile(tmp_path / "example-qti.zip")
