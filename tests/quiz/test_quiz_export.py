"""Exports: GIFT that Moodle's importer reads as written, a QTI 1.2 package that keeps to the
DTD and to Canvas's layout, a Markdown handout whose key says what grading accepts.

Every export of every quiz is checked over many variants (SEEDS): GIFT through a port of
Moodle's GIFT rules (moodle_gift.py), QTI through the QTI 1.2 DTD's declarations
(qti_dtd.py), and both against bpgrade's own grading, answer by answer."""

from __future__ import annotations

import io
import itertools
import re
import xml.etree.ElementTree as ET
import zipfile
from decimal import ROUND_UP
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from grader.cli.quiz import quiz as quiz_command
from grader.quiz.export import export
from grader.quiz.export.common import fixed_point, option_weights
from grader.quiz.export.gift import moodle_fraction
from grader.quiz.export.qti import CANVAS_MIN_MARGIN, README
from grader.quiz.grading import allowed_error, fraction_right, within_tolerance
from grader.quiz.loader import load_quiz
from grader.quiz.models import (
    MultipleChoice,
    Numeric,
    Ordering,
    Question,
    Quiz,
    SingleChoice,
    TrueFalse,
)
from grader.quiz.variants import (
    QuestionVariant,
    QuizVariant,
    draw,
    expected_value,
    render_prompt,
)
from tests.quiz.helpers import EXAMPLE, QUIZZES, REPO
from tests.quiz.moodle_gift import (
    GiftCategory,
    GiftError,
    GiftQuestion,
    moodle_multi_fraction,
    moodle_numeric_accepts,
    read_gift,
)
from tests.quiz.qti_dtd import validate

ALL_QUIZZES = [EXAMPLE, *sorted(QUIZZES.glob("*.toml"))]
SEEDS = range(40)
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
CANVAS = "{http://canvas.instructure.com/xsd/cccv1p0}"
CANVAS_TYPES = {
    "single_choice": "multiple_choice_question",
    "multiple_choice": "multiple_answers_question",
    "true_false": "true_false_question",
    "numeric": "numerical_question",
    "ordering": "matching_question",
}
FIXED_POINT = re.compile(r"-?\d+(\.\d+)?")
MOODLE_TYPES = {
    "single_choice": "multichoice",
    "multiple_choice": "multichoice",
    "true_false": "truefalse",
    "numeric": "numerical",
    "ordering": "match",
}

# Texts that GIFT, Markdown filters, TeX filters and weights would each change if not handled.
HOSTILE = {
    "id": "hostile",
    "title": "Hostile: {braces} and 50% = half",
    "questions": [
        {
            "id": "products",
            "type": "single_choice",
            "prompt": "z = w1*x1 + w2*x2 + b, with $$\\frac{a}{b}$$ and \\(x^2\\): which? \\n~#",
            "explanation": "[html]<b>not bold</b> // not a comment\nsecond line: a=b {c}",
            "options": [
                {"id": "a", "text": "%10% of w1*x1", "correct": True},
                {"id": "b", "text": "[markdown]*w* -> x", "feedback": "~ = # { } : \\ all kept"},
                {"id": "c", "text": "=x", "feedback": "%50% is text"},
            ],
        },
        {
            "id": "several",
            "type": "multiple_choice",
            "prompt": "Tick: a*b*c",
            "explanation": "####not general feedback",
            "options": [
                {"id": "a", "text": "%100%right", "correct": True},
                {"id": "b", "text": "also #right", "correct": True},
                {"id": "c", "text": "wrong {1}"},
            ],
        },
        {
            "id": "truth",
            "type": "true_false",
            "prompt": "TRUE#FALSE",
            "answer": False,
            "explanation": "F",
            "wrong_feedback": "#it was false",
        },
        {
            "id": "tiny",
            "type": "numeric",
            "prompt": "0.25 to the power {n}?",
            "params": {"n": {"choices": [10, 12]}},
            "answer": "0.25**n",
            "rtol": 0.01,
            "explanation": "0.25^n",
            "mistakes": [{"expression": "0.5**n", "feedback": "That is 0.5^n: a=b#c"}],
        },
        {
            "id": "steps",
            "type": "ordering",
            "prompt": "Order",
            "explanation": "a -> b -> c",
            "items": [
                {"id": "one", "text": "x -> y"},
                {"id": "two", "text": "pred = model(X)"},
                {"id": "three", "text": "0"},
            ],
        },
    ],
}


def all_quizzes() -> list[Quiz]:
    return [load_quiz(path) for path in ALL_QUIZZES]


# --- GIFT, read by a port of Moodle's importer ---------------------------------------------


def _gift(quiz: Quiz, variant: QuizVariant) -> tuple[list[GiftCategory], list[GiftQuestion]]:
    items = read_gift(str(export(quiz, "gift", variant)))
    return (
        [i for i in items if isinstance(i, GiftCategory)],
        [i for i in items if isinstance(i, GiftQuestion)],
    )


def _categories(quiz: Quiz, variant: QuizVariant) -> dict[str, str]:
    """The category each question lands in: the last $CATEGORY before it."""
    current, found = "", {}
    for item in read_gift(str(export(quiz, "gift", variant))):
        if isinstance(item, GiftCategory):
            current = item.path
        else:
            found[item.name] = current
    return found


def _option_texts(question: SingleChoice | MultipleChoice, variant: QuizVariant) -> list[str]:
    by_id = {option.id: option for option in question.options}
    return [by_id[i].text for i in variant.of(question).order]


def _check_numeric(question: Numeric, gift: GiftQuestion, variant: QuizVariant) -> None:
    right, *mistakes = gift.numeric
    assert right.fraction == 1.0
    assert FIXED_POINT.fullmatch(right.value) and FIXED_POINT.fullmatch(right.tolerance)
    params = variant.of(question).params
    expected = expected_value(question, params)
    allowed = allowed_error(expected, question.tolerance, question.rtol)
    inside = [expected, expected + 0.999 * allowed, expected - 0.999 * allowed]
    outside = [expected + 1.01 * allowed + 1e-9, expected - 1.01 * allowed - 1e-9]
    for given in inside:
        assert moodle_numeric_accepts(right, given), (question.id, given)
        assert within_tolerance(given, expected, question.tolerance, question.rtol)
    for given in outside:
        assert not moodle_numeric_accepts(right, given), (question.id, given)
        assert not within_tolerance(given, expected, question.tolerance, question.rtol)
    for mistake in mistakes:
        assert mistake.fraction == 0.0 and mistake.feedback.text


def _check_gift_question(question: Question, gift: GiftQuestion, variant: QuizVariant) -> None:
    assert gift.name == question.id
    assert gift.qtype == MOODLE_TYPES[question.type]
    assert gift.text.format == "plain"
    assert gift.text.text == render_prompt(question, variant.of(question)).strip()
    assert gift.general_feedback.text == question.explanation
    assert f"points-{question.points:g}" in gift.tags
    if isinstance(question, SingleChoice | MultipleChoice):
        assert [a.text.text for a in gift.answers] == _option_texts(question, variant)
        assert all(a.text.format == "plain" for a in gift.answers)
        by_text = {o.text: o for o in question.options}
        for answer in gift.answers:
            assert answer.feedback.text == (by_text[answer.text.text].feedback or "")
    if isinstance(question, SingleChoice):
        assert gift.single
        right = [a.text.text for a in gift.answers if a.fraction == 1.0]
        assert right == [o.text for o in question.options if o.correct]
    elif isinstance(question, MultipleChoice):
        assert not gift.single
        order = list(variant.of(question).order)
        for size in range(len(order) + 1):
            for picks in itertools.combinations(range(len(order)), size):
                ids = [order[i] for i in picks]
                bpgrade = fraction_right(question, ids, variant.of(question))
                assert moodle_multi_fraction(gift, set(picks)) == pytest.approx(bpgrade, abs=1e-6)
    elif isinstance(question, TrueFalse):
        assert gift.correct_answer is question.answer
        wrong = gift.feedback_false if question.answer else gift.feedback_true
        assert wrong is not None and wrong.text == (question.wrong_feedback or "")
    elif isinstance(question, Numeric):
        _check_numeric(question, gift, variant)
    else:
        assert isinstance(question, Ordering)
        by_id = {item.id: item for item in question.items}
        shown = list(variant.of(question).order)
        assert [stem.text for stem, _ in gift.pairs] == [
            by_id[i].text.replace("->", "→") for i in shown
        ]
        place = {item.id: str(n) for n, item in enumerate(question.items, start=1)}
        assert [answer for _, answer in gift.pairs] == [place[i] for i in shown]


@pytest.mark.parametrize("path", ALL_QUIZZES, ids=lambda p: p.stem)
def test_gift_imports_as_written_in_every_variant(path: Path) -> None:
    quiz = load_quiz(path)
    for seed in SEEDS:
        variant = draw(quiz, seed)
        categories, questions = _gift(quiz, variant)
        assert categories, "a $CATEGORY line"
        assert [q.name for q in questions] == [q.id for q in quiz.questions]
        for question, gift in zip(quiz.questions, questions, strict=True):
            _check_gift_question(question, gift, variant)


def test_gift_shows_hostile_text_as_written() -> None:
    quiz = Quiz.model_validate(HOSTILE)
    for seed in SEEDS:
        variant = draw(quiz, seed)
        _, questions = _gift(quiz, variant)
        for question, gift in zip(quiz.questions, questions, strict=True):
            _check_gift_question(question, gift, variant)


def test_gift_keeps_stars_math_and_percent_signs() -> None:
    quiz = Quiz.model_validate(HOSTILE)
    _, questions = _gift(quiz, draw(quiz, 0))
    products = questions[0]
    assert products.text.text.startswith("z = w1*x1 + w2*x2 + b, with $$\\frac{a}{b}$$ and \\(x")
    assert products.text.format == "plain"  # Moodle applies neither Markdown nor TeX filters
    weighted = {a.text.text: a.fraction for a in products.answers}
    assert weighted["%10% of w1*x1"] == 1.0  # text, not a 10 % weight
    assert weighted["[markdown]*w* -> x"] == 0.0  # text, not a format tag
    several = {a.text.text: a.fraction for a in questions[1].answers}
    assert several == {"%100%right": 0.5, "also #right": 0.5, "wrong {1}": -1.0}


def test_gift_writes_tiny_answers_in_fixed_point() -> None:
    quiz = Quiz.model_validate(HOSTILE)
    tiny = quiz.questions[3]
    assert isinstance(tiny, Numeric)
    for seed in SEEDS:
        variant = draw(quiz, seed)
        gift = _gift(quiz, variant)[1][3]
        right, mistake = gift.numeric
        assert FIXED_POINT.fullmatch(right.value) and "e" not in right.tolerance
        assert float(right.value) == pytest.approx(0.25 ** variant.of(tiny).params["n"])
        assert float(mistake.value) == pytest.approx(0.5 ** variant.of(tiny).params["n"])
        assert mistake.feedback.text == "That is 0.5^n: a=b#c"


def test_gift_options_go_out_in_the_variant_order() -> None:
    """Not the file order, where the right option comes first in every bank question."""
    for quiz in all_quizzes():
        firsts = set()
        for seed in SEEDS:
            variant = draw(quiz, seed)
            for question, gift in zip(quiz.questions, _gift(quiz, variant)[1], strict=True):
                if isinstance(question, SingleChoice) and quiz.shuffles(question):
                    right = next(o.text for o in question.options if o.correct)
                    firsts.add(gift.answers[0].text.text == right)
        assert firsts == {True, False} or not firsts


def test_gift_points_reach_moodle_by_category_tag_and_header() -> None:
    for quiz in all_quizzes():
        variant = draw(quiz, 0)
        text = str(export(quiz, "gift", variant))
        categories = _categories(quiz, variant)
        mixed = len({q.points for q in quiz.questions}) > 1
        for question in quiz.questions:
            where = categories[question.id]
            assert where.startswith(f"bpgrade/{quiz.id}")
            if mixed:
                points = f"{question.points:g} point{'' if question.points == 1 else 's'}"
                assert where == f"bpgrade/{quiz.id}/{points}"
            if question.points != 1:
                assert f"{question.id} to {question.points:g}" in text.split("\n\n", 1)[0]
        assert f"{quiz.max_score:g} points" in text.splitlines()[0]


def test_gift_says_where_moodle_cannot_weigh_the_options() -> None:
    """Eleven correct options: 1/11 is no Moodle grade, and the block says so."""
    options = [{"id": f"r{i}", "text": f"right {i}", "correct": True} for i in range(11)]
    quiz = Quiz.model_validate(
        {
            "id": "wide",
            "title": "Wide",
            "questions": [
                {
                    "id": "many",
                    "type": "multiple_choice",
                    "prompt": "Tick",
                    "explanation": "x",
                    "options": [*options, {"id": "w", "text": "wrong"}],
                }
            ],
        }
    )
    text = str(export(quiz, "gift", draw(quiz, 0)))
    assert "Moodle cannot weigh options" in text
    with pytest.raises(GiftError):
        read_gift(text)  # which is what Moodle's import does with it


def test_option_weights_follow_grading() -> None:
    quiz = load_quiz(EXAMPLE)
    question = quiz.question("backward-computes")
    assert isinstance(question, MultipleChoice)
    assert option_weights(question) == pytest.approx({"a": 0.5, "b": 0.5, "c": -0.5, "d": -0.5})
    assert moodle_fraction(1 / 3) == pytest.approx(0.3333333)


@pytest.mark.parametrize(("right", "wrong"), [(1, 1), (1, 3), (2, 1), (3, 2), (2, 5), (4, 4)])
def test_clamped_option_weights_score_every_answer_as_grading_does(right: int, wrong: int) -> None:
    options = [{"id": f"r{i}", "text": f"right {i}", "correct": True} for i in range(right)]
    options += [{"id": f"w{i}", "text": f"wrong {i}"} for i in range(wrong)]
    question = MultipleChoice.model_validate(
        {
            "id": "q",
            "type": "multiple_choice",
            "prompt": "p",
            "explanation": "e",
            "options": options,
        }
    )
    weights = option_weights(question)
    ids = list(weights)
    blank = QuestionVariant(order=tuple(ids))
    for size in range(len(ids) + 1):
        for picks in itertools.combinations(ids, size):
            moodle = min(1.0, max(0.0, sum(weights[i] for i in picks)))
            assert moodle == pytest.approx(fraction_right(question, list(picks), blank), abs=1e-9)
    assert moodle_fraction(1 / 11) is None


def test_moodle_port_refuses_what_moodle_refuses() -> None:
    """The port can fail: a weight off Moodle's grades, a stray brace, positives short of 100 %,
    a numeric answer that is not a number."""
    bad = [
        "::q::[plain]x{\n\t~%33%a\n\t~%33%b\n\t~%34%c\n}",  # 33 % is not a Moodle grade
        "::q::[plain]x{ =a ~b } and {",
        "::q::[plain]x{\n\t~%50%a\n\t~%-50%b\n\t~c\n}",
        "::q::[plain]x{#\n\t=1e:0.1\n}",
    ]
    for text in bad:
        with pytest.raises(GiftError):
            read_gift(text)
    fine = read_gift("::q::[plain]a\\: b\\{c\\}{\n\t=\\=right#\\#\n\t~wrong\n}")
    assert isinstance(fine[0], GiftQuestion)
    assert fine[0].text.text == "a: b{c}"
    assert fine[0].answers[0].text.text == "=right" and fine[0].answers[0].feedback.text == "#"


# --- QTI 1.2 for Canvas --------------------------------------------------------------------


def qti_files(quiz: Quiz, seed: int = 0) -> dict[str, bytes]:
    data = export(quiz, "qti", draw(quiz, seed))
    assert isinstance(data, bytes)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def qti_package(quiz: Quiz, seed: int = 0) -> tuple[ET.Element, ET.Element, list[str]]:
    files = qti_files(quiz, seed)
    manifest = ET.fromstring(files["imsmanifest.xml"])
    assessment = ET.fromstring(files[f"{quiz.id}/{quiz.id}.xml"])
    return manifest, assessment, list(files)


def _metadata(item: ET.Element) -> dict[str, str]:
    fields = item.iter(f"{QTI}qtimetadatafield")
    return {f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry") for f in fields}  # type: ignore[misc]


def _items(assessment: ET.Element) -> dict[str, ET.Element]:
    return {item.get("ident", ""): item for item in assessment.iter(f"{QTI}item")}


@pytest.mark.parametrize("path", ALL_QUIZZES, ids=lambda p: p.stem)
def test_qti_keeps_to_the_dtd_in_every_variant(path: Path) -> None:
    quiz = load_quiz(path)
    for seed in SEEDS:
        document = qti_files(quiz, seed)[f"{quiz.id}/{quiz.id}.xml"]
        assert validate(document) == [], seed


def test_qti_dtd_check_can_fail(example: Quiz) -> None:
    document = qti_files(example)[f"{example.id}/{example.id}.xml"].decode()
    # resprocessing before presentation: every element declared, in an order the DTD refuses
    moved = re.sub(
        r"(<presentation>.*?</presentation>\s*)(<resprocessing>.*?</resprocessing>)",
        r"\2\1",
        document,
        count=1,
        flags=re.S,
    )
    assert moved != document
    broken = [
        document.replace('rcardinality="Single"', 'rcardinality="One"', 1),
        document.replace('linkrefid="general_fb"', 'linkrefid="missing_fb"', 1),
        document.replace("<presentation>", "<presentation><bogus/>", 1),
        re.sub(r'<item ident="[^"]*"', "<item", document, count=1),
        document.replace("<outcomes>", "<outcomes>stray text", 1),
        document.replace("<decvar ", '<decvar colour="red" ', 1),
        moved,
    ]
    for text in broken:
        assert text != document
        assert validate(text.encode()) != []


@pytest.mark.parametrize("path", ALL_QUIZZES, ids=lambda p: p.stem)
def test_qti_package_has_canvas_layout_points_and_shuffle(path: Path) -> None:
    quiz = load_quiz(path)
    files = qti_files(quiz)
    href, meta_href = f"{quiz.id}/{quiz.id}.xml", f"{quiz.id}/assessment_meta.xml"
    assert sorted(files) == sorted(
        ["imsmanifest.xml", href, meta_href, "non_cc_assessments/", README]
    )
    manifest = ET.fromstring(files["imsmanifest.xml"])
    resources = {r.get("identifier"): r for r in manifest.iter(f"{CP}resource")}
    qti = resources[quiz.id]
    assert qti.get("type") == "imsqti_xmlv1p2"
    assert [f.get("href") for f in qti.iter(f"{CP}file")] == [href]
    (dependency,) = qti.iter(f"{CP}dependency")
    meta = resources[dependency.get("identifierref")]
    assert meta.get("href") == meta_href
    assert meta.get("type") == "associatedcontent/imscc_xmlv1p1/learning-application-resource"

    settings = ET.fromstring(files[meta_href])
    assert settings.tag == f"{CANVAS}quiz"
    assert settings.get("identifier") == dependency.get("identifierref")
    assert float(settings.findtext(f"{CANVAS}points_possible", "")) == quiz.max_score
    assert settings.findtext(f"{CANVAS}shuffle_answers") in ("true", "false")
    quiz_type = "assignment" if quiz.graded else "practice_quiz"
    assert settings.findtext(f"{CANVAS}quiz_type") == quiz_type

    assessment = ET.fromstring(files[href])
    items = _items(assessment)
    assert list(items) == [q.id for q in quiz.questions]
    for question in quiz.questions:
        metadata = _metadata(items[question.id])
        assert metadata["question_type"] == CANVAS_TYPES[question.type]
        assert float(metadata["points_possible"]) == question.points
    assert sum(float(_metadata(i)["points_possible"]) for i in items.values()) == pytest.approx(
        quiz.max_score
    )


def test_qti_options_in_variant_order_with_shuffle_said() -> None:
    for quiz in all_quizzes():
        for seed in range(5):
            variant = draw(quiz, seed)
            items = _items(qti_package(quiz, seed)[1])
            for question in quiz.questions:
                if not isinstance(question, SingleChoice | MultipleChoice):
                    continue
                render = next(items[question.id].iter(f"{QTI}render_choice"))
                labels = [label.get("ident") for label in render.iter(f"{QTI}response_label")]
                assert labels == list(variant.of(question).order)
                assert render.get("shuffle") == ("Yes" if quiz.shuffles(question) else "No")


def _numeric_bounds(item: ET.Element) -> tuple[float, float, float]:
    exact = float(next(item.iter(f"{QTI}varequal")).text or "")
    low = float(next(item.iter(f"{QTI}vargte")).text or "")
    high = float(next(item.iter(f"{QTI}varlte")).text or "")
    return exact, low, high


def _scale(item: ET.Element) -> int:
    prompt = item.findtext(f"{QTI}presentation/{QTI}material/{QTI}mattext", "")
    found = re.search(r"multiplied by ([\d,]+)", prompt)
    return len(found.group(1).replace(",", "")) - 1 if found else 0


def test_qti_numeric_bounds_are_what_grading_accepts_and_canvas_can_take() -> None:
    quiz = Quiz.model_validate(HOSTILE)
    for candidate in [*all_quizzes(), quiz]:
        for seed in range(10):
            variant = draw(candidate, seed)
            items = _items(qti_package(candidate, seed)[1])
            for question in candidate.questions:
                if not isinstance(question, Numeric):
                    continue
                item = items[question.id]
                exact, low, high = _numeric_bounds(item)
                for text in (t for t in (e.text for e in item.iter()) if t):
                    assert "e-" not in text.lower() or "<" in text  # numbers in fixed point
                factor = 10.0 ** _scale(item)
                expected = expected_value(question, variant.of(question).params)
                allowed = allowed_error(expected, question.tolerance, question.rtol)
                assert exact == pytest.approx(expected * factor, rel=1e-9)
                assert low <= (expected - allowed) * factor + 1e-12
                assert high >= (expected + allowed) * factor - 1e-12
                assert high - low <= 2 * allowed * factor * (1 + 1e-4) + 1e-12
                if allowed:
                    assert (high - low) / 2 >= CANVAS_MIN_MARGIN


def test_qti_asks_canvas_learners_for_tiny_answers_scaled() -> None:
    quiz = Quiz.model_validate(HOSTILE)
    item = _items(qti_package(quiz)[1])["tiny"]
    prompt = item.findtext(f"{QTI}presentation/{QTI}material/{QTI}mattext", "")
    assert "type your answer multiplied by 1,000,000" in prompt
    exact, _, _ = _numeric_bounds(item)
    n = draw(quiz, 0).of(quiz.questions[3]).params["n"]
    assert exact == pytest.approx(0.25**n * 1e6)


def test_qti_says_how_canvas_and_moodle_score(example: Quiz) -> None:
    files = qti_files(example)
    note = files[README].decode()
    assert "net-correct" in note and "Moodle" in note and "matching" in note
    comment = ET.fromstring(files["example/example.xml"]).findtext(f"{QTI}qticomment", "")
    assert README in comment


def test_qti_scores_the_right_answers(example: Quiz) -> None:
    variant = draw(example, 0)
    items = _items(qti_package(example)[1])
    single = items["loss-input"]
    labels = [label.get("ident") for label in single.iter(f"{QTI}response_label")]
    assert labels == list(variant.of(example.questions[0]).order)
    final = single.findall(f".//{QTI}respcondition[@continue='No']")
    assert [v.text for v in final[0].iter(f"{QTI}varequal")] == ["a"]
    exact, low, high = _numeric_bounds(items["sigmoid-slope-max"])
    assert (exact, low, high) == (0.25, 0.249, 0.251)
    multiple = items["backward-computes"]
    assert next(multiple.iter(f"{QTI}response_lid")).get("rcardinality") == "Multiple"
    negated = {v.text for v in multiple.findall(f".//{QTI}not/{QTI}varequal")}
    assert negated == {"c", "d"}


def test_qti_is_reproducible(example: Quiz) -> None:
    assert export(example, "qti", draw(example, 3)) == export(example, "qti", draw(example, 3))


def test_fixed_point_numbers() -> None:
    assert fixed_point(0.25**10) == "0.0000009536743164"
    assert fixed_point(0.1, 6, rounding=ROUND_UP) == "0.1"
    assert fixed_point(0.00324027816, 6, rounding=ROUND_UP) == "0.00324028"
    assert fixed_point(-0.0) == "0"
    assert fixed_point(2.0) == "2"
    assert fixed_point(1e-300) == "1e-300"  # no fixed-point form a person could read


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
    assert "**-0.25** (± 0.0025, 1% of the answer: accepted from -0.2525 to -0.2475)" in key
    assert "**0.25** (± 0.001: accepted from 0.249 to 0.251)" in key
    assert "**True**. That is why" in key
    assert len(re.findall(r"^\d+\. \*\*", key, re.M)) == len(example.questions)


def test_markdown_key_prints_the_larger_tolerance_and_every_feedback() -> None:
    data: dict[str, Any] = {
        "id": "bands",
        "title": "Bands",
        "questions": [
            {
                "id": "both",
                "type": "numeric",
                "prompt": "x?",
                "answer": 2.0,
                "tolerance": 0.001,
                "rtol": 0.01,
                "explanation": "e",
                "mistakes": [{"expression": -2.0, "feedback": "The sign is flipped."}],
            },
            HOSTILE["questions"][0],
            HOSTILE["questions"][2],
        ],
    }
    quiz = Quiz.model_validate(data)
    key = str(export(quiz, "markdown", draw(quiz, 0), answer_key=True)).split("## Answer key")[1]
    # 1% of 2 is 0.02, larger than 0.001: grading accepts 1.98 to 2.02, and the key says so.
    assert "**2** (± 0.02, the larger of ± 0.001 and 1% of the answer: accepted from 1.98" in key
    assert "   - -2: The sign is flipped." in key
    assert r"   - True: #it was false" in key
    question = quiz.questions[1]
    assert isinstance(question, SingleChoice)
    for option in question.options:
        if option.feedback:
            assert option.feedback.replace("\\", "\\\\") in key


def test_the_readme_says_the_scale_canvas_asks_for_as_the_docs_do(example: Quiz) -> None:
    # The scale is a power of 1000 (10**k, k a multiple of 3), as the tiny answer above shows.
    note = qti_files(example)[README].decode()
    assert "multiplied by\n  a power of 1000, said in its text" in note
    assert "power of 10," not in note
    docs = " ".join((REPO / "docs" / "quizzes.md").read_text().split())
    assert "multiplied by a power of 1000" in docs


# --- several seeds, side by side -----------------------------------------------------------


def _unzipped(data: str | bytes) -> dict[str, bytes]:
    assert isinstance(data, bytes)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_each_seed_asked_for_imports_as_a_quiz_of_its_own(example: Quiz) -> None:
    """Canvas tells quizzes apart by the assessment's ident and shows its title; Moodle files
    questions by category. Exports of seeds 7 and 42 differ in all three, and the default
    export keeps the quiz's own names."""
    seen: dict[str, tuple[str, ...]] = {}
    for seed in (7, 42):
        files = _unzipped(export(example, "qti", draw(example, seed), seeded=True))
        name = f"example-seed-{seed}"
        href, meta_href = f"{name}/{name}.xml", f"{name}/assessment_meta.xml"
        assert sorted(files) == sorted(
            ["imsmanifest.xml", href, meta_href, "non_cc_assessments/", README]
        )
        assert validate(files[href]) == []
        assessment = ET.fromstring(files[href]).find(f"{QTI}assessment")
        assert assessment is not None
        title = f"{example.title} (seed {seed})"
        assert (assessment.get("ident"), assessment.get("title")) == (name, title)
        assert ET.fromstring(files[meta_href]).findtext(f"{CANVAS}title") == title
        manifest = ET.fromstring(files["imsmanifest.xml"])
        identifiers = tuple(r.get("identifier", "") for r in manifest.iter(f"{CP}resource"))
        assert identifiers == (name, f"{name}-meta")

        gift = read_gift(str(export(example, "gift", draw(example, seed), seeded=True)))
        categories = {i.path for i in gift if isinstance(i, GiftCategory)}
        assert {c.split("/")[1] for c in categories} == {f"example (seed {seed})"}
        seen[str(seed)] = (name, title, *identifiers, *sorted(categories))
    assert not set(seen["7"]) & set(seen["42"])

    plain = _unzipped(export(example, "qti", draw(example, 0)))
    assessment = ET.fromstring(plain["example/example.xml"]).find(f"{QTI}assessment")
    assert assessment is not None
    assert (assessment.get("ident"), assessment.get("title")) == ("example", example.title)
    gift = read_gift(str(export(example, "gift", draw(example, 0))))
    assert {i.path.split("/")[1] for i in gift if isinstance(i, GiftCategory)} == {"example"}


def test_export_names_the_seed_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for args in ([], ["--seed", "0"], ["--seed", "7"]):
        result = runner.invoke(quiz_command, ["export", str(EXAMPLE), "--format", "qti", *args])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "example-qti.zip",
        "example-seed-0-qti.zip",
        "example-seed-7-qti.zip",
    ]
    gift = runner.invoke(quiz_command, ["export", str(EXAMPLE), "--format", "gift", "--seed", "7"])
    assert "$CATEGORY: bpgrade/example (seed 7)" in gift.output
    plain = runner.invoke(quiz_command, ["export", str(EXAMPLE), "--format", "gift"])
    assert "$CATEGORY: bpgrade/example/" in plain.output and "(seed" not in plain.output


# --- the command ---------------------------------------------------------------------------


def test_export_command(tmp_path: Path) -> None:
    runner = CliRunner()
    gift = runner.invoke(quiz_command, ["export", str(EXAMPLE), "--format", "gift"])
    assert gift.exit_code == 0
    assert len([i for i in read_gift(gift.output) if isinstance(i, GiftQuestion)]) == 6
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
