"""A QTI 1.2 package as Canvas imports it ("QTI .zip file" in Import Course Content).

The layout is the one Canvas itself exports a classic quiz in (lib/cc/qti/qti_generator.rb):

    imsmanifest.xml                 two resources: the assessment, and its Canvas metadata
    <quiz id>/<quiz id>.xml         a `questestinterop` with one `<item>` per question
    <quiz id>/assessment_meta.xml   the quiz's settings: points, shuffle, attempts, type
    non_cc_assessments/             empty here (Canvas puts its copy for cartridges there)
    README.txt                      for the instructor: how Canvas and Moodle score it

With a seed asked for, `<quiz id>` is `<quiz id>-seed-<seed>` throughout (the assessment's
ident too) and the title ends in `(seed N)`: Canvas keeps quizzes apart by those idents, so
that packages of several seeds import as several quizzes (`common.Names`).

Canvas reads each item's kind from its `question_type` metadata: single_choice is
multiple_choice_question, multiple_choice is multiple_answers_question, true_false is
true_false_question, numeric is numerical_question and ordering is matching_question (each
item matched with its place). Options and ordering items go out in the variant's order, and
`render_choice shuffle` says whether to shuffle them further; Canvas shuffles per quiz
(`shuffle_answers` in assessment_meta.xml), which is on when every choice question shuffles.

Canvas classic quizzes keep 4 decimals of a typed number (and of the key). A numeric question
whose accepted margin is under CANVAS_MIN_MARGIN would be unanswerable or far too lenient
there, so it asks for the answer times 10**k (k a multiple of 3) instead: the smallest scale
at which the margin is at least CANVAS_MIN_MARGIN.

The XML is built with ElementTree, so every text is escaped and well-formed by construction.
"""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_UP

from grader.quiz.export.common import (
    MARGIN_DIGITS,
    Names,
    NumericKey,
    counted,
    fixed_point,
    numeric_key,
)
from grader.quiz.models import (
    MultipleChoice,
    Numeric,
    Option,
    Ordering,
    Question,
    Quiz,
    SingleChoice,
    TrueFalse,
)
from grader.quiz.variants import QuizVariant, render_prompt

QTI_NAMESPACE = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NAMESPACE = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CANVAS_NAMESPACE = "http://canvas.instructure.com/xsd/cccv1p0"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
QTI_SCHEMA = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"
CANVAS_SCHEMA = "https://canvas.instructure.com/xsd/cccv1p0.xsd"
QTI_RESOURCE = "imsqti_xmlv1p2"
META_RESOURCE = "associatedcontent/imscc_xmlv1p1/learning-application-resource"
NON_CC_FOLDER = "non_cc_assessments/"
README = "README.txt"

CANVAS_TYPES = {
    "single_choice": "multiple_choice_question",
    "multiple_choice": "multiple_answers_question",
    "true_false": "true_false_question",
    "numeric": "numerical_question",
    "ordering": "matching_question",
}
RESPONSE = "response1"
CANVAS_DECIMALS = 4
# Canvas rounds the typed answer and the key to 4 decimals, each off by up to 0.00005: with a
# margin of at least 0.0005 the window Canvas applies is within 20 % of the one bpgrade does.
CANVAS_MIN_MARGIN = 0.0005
_MAX_SCALE = 30
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold

SCORING_NOTE = """\
How Canvas and Moodle score these questions
===========================================

bpgrade scores every question one way, in every variant; an LMS scores with its own rules,
whatever a package says, so an imported quiz can score some answers differently:

Multiple answers (bpgrade's multiple_choice)
  bpgrade: each correct option ticked earns 1/C of the points and each wrong option ticked
  costs 1/W (C and W count the correct and the wrong options), never below 0: an empty
  answer and an answer ticking every option both score 0.
  Canvas (classic quizzes): net-correct partial credit, whatever the package says: each
  correct option ticked earns 1/C and each wrong option ticked costs 1/C, never below 0. So
  ticking every option scores (C - W)/C, above 0 where the wrong options are fewer than the
  correct ones. New Quizzes offers "partial credit with penalty" (the same rule) or "exact
  match", chosen per question after import.
  Moodle (GIFT export): the weights bpgrade writes, +100/C % and -100/W %, added and clamped
  to [0, 100 %]: exactly bpgrade's rule.

Ordering (exported as matching: each step to its place)
  bpgrade: all or nothing.
  Canvas and Moodle: partial credit, a share of the points for each step in its place.

Numeric
  bpgrade, Canvas and Moodle accept an answer within the exported margin (the larger of the
  question's tolerance and rtol times the answer). Canvas keeps 4 decimals of a typed number:
  a question whose margin is under 0.0005 asks Canvas learners for the answer multiplied by
  a power of 1000, said in its text. Known mistakes carry feedback in bpgrade and Moodle; Canvas
  numerical questions have no wrong answers to attach it to.

Points
  Every item carries its points (points_possible) and assessment_meta.xml the quiz's total;
  Canvas keeps them. Moodle's GIFT import cannot: see the GIFT file's header.

Shuffle
  Options are written in this variant's order, already shuffled unless the quiz says not;
  render_choice says whether to shuffle them further, and assessment_meta.xml turns on
  Canvas's quiz-wide shuffle_answers when every choice question shuffles.
"""


@dataclass(frozen=True)
class CanvasNumeric:
    """A numeric question as Canvas can take it: the key, scaled by 10**scale."""

    expected: float
    margin: float
    scale: int


def canvas_numeric(key: NumericKey) -> CanvasNumeric:
    """The key as Canvas can grade it: scaled by the smallest 10**k (k a multiple of 3) at
    which 4 decimals still tell right from wrong."""
    for scale in range(0, _MAX_SCALE + 1, 3):
        factor = 10.0**scale
        margin = key.margin * factor
        if margin >= CANVAS_MIN_MARGIN or (
            margin == 0 and round(key.expected * factor, CANVAS_DECIMALS) == key.expected * factor
        ):
            return CanvasNumeric(key.expected * factor, margin, scale)
    raise ValueError(f"no scale up to 10**{_MAX_SCALE} makes {key} answerable in Canvas")


def _scaled_prompt(prompt: str, scale: int) -> str:
    if scale == 0:
        return prompt
    factor = f"{10**scale:,}"
    example = fixed_point(1.2 * 10.0**-scale)
    return (
        f"{prompt}\n\nCanvas keeps only {CANVAS_DECIMALS} decimals of a number: type your answer"
        f" multiplied by {factor} (an answer of {example} is typed 1.2)."
    )


def _html(text: str) -> str:
    """Plain text with `code` spans as the HTML Canvas shows: paragraphs, line breaks, code."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    out = []
    for paragraph in paragraphs:
        escaped = html.escape(paragraph)
        escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped).replace("\n", "<br/>")
        out.append(f"<p>{escaped}</p>")
    return "<div>" + "".join(out) + "</div>"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _material(parent: ET.Element, text: str, rich: bool = False) -> None:
    material = _sub(parent, "material")
    if rich:
        _sub(material, "mattext", _html(text), texttype="text/html")
    else:
        _sub(material, "mattext", text, texttype="text/plain")


def _metadata(item: ET.Element, fields: dict[str, str]) -> None:
    metadata = _sub(_sub(item, "itemmetadata"), "qtimetadata")
    for label, entry in fields.items():
        field = _sub(metadata, "qtimetadatafield")
        _sub(field, "fieldlabel", label)
        _sub(field, "fieldentry", entry)


def _choice_labels(
    response: ET.Element, labels: list[tuple[str, str]], shuffle: bool | None = None
) -> None:
    render = _sub(response, "render_choice")
    if shuffle is not None:
        render.set("shuffle", "Yes" if shuffle else "No")
    for ident, text in labels:
        _material(_sub(render, "response_label", ident=ident), text)


def _set_score(condition: ET.Element, value: str, action: str = "Set") -> None:
    _sub(condition, "setvar", value, action=action, varname="SCORE")


class _Processing:
    """An item's resprocessing and its itemfeedback, which the DTD wants in separate places:
    the conditions go in `resprocessing`, the feedback texts after it."""

    def __init__(self, item: ET.Element) -> None:
        self.item = item
        self.resprocessing = _sub(item, "resprocessing")
        outcomes = _sub(self.resprocessing, "outcomes")
        _sub(outcomes, "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
        self.feedback: list[tuple[str, str]] = []

    def feedback_when(self, ident: str, text: str, when: ET.Element | None) -> None:
        """Show `text` when the condition holds (or always, for the general feedback)."""
        condition = _sub(self.resprocessing, "respcondition", **{"continue": "Yes"})
        conditionvar = _sub(condition, "conditionvar")
        if when is None:
            _sub(conditionvar, "other")
        else:
            conditionvar.append(when)
        _sub(condition, "displayfeedback", feedbacktype="Response", linkrefid=ident)
        self.feedback.append((ident, text))

    def condition(self, **attributes: str) -> ET.Element:
        return _sub(self.resprocessing, "respcondition", **attributes)

    def close(self) -> None:
        for ident, text in self.feedback:
            flow = _sub(_sub(self.item, "itemfeedback", ident=ident), "flow_mat")
            _material(flow, text, rich=True)


def _equal(value: str, respident: str = RESPONSE) -> ET.Element:
    element = ET.Element("varequal", respident=respident)
    element.text = value
    return element


def _ordered_options(question: SingleChoice | MultipleChoice, variant: QuizVariant) -> list[Option]:
    by_id = {option.id: option for option in question.options}
    return [by_id[option_id] for option_id in variant.of(question).order]


def _choice_item(
    item: ET.Element,
    presentation: ET.Element,
    question: SingleChoice | MultipleChoice,
    quiz: Quiz,
    variant: QuizVariant,
) -> None:
    cardinality = "Single" if isinstance(question, SingleChoice) else "Multiple"
    response = _sub(presentation, "response_lid", ident=RESPONSE, rcardinality=cardinality)
    options = _ordered_options(question, variant)
    _choice_labels(response, [(o.id, o.text) for o in options], shuffle=quiz.shuffles(question))
    processing = _Processing(item)
    processing.feedback_when("general_fb", question.explanation, None)
    for option in options:
        if option.feedback:
            processing.feedback_when(f"{option.id}_fb", option.feedback, _equal(option.id))
    condition = processing.condition(**{"continue": "No"})
    conditionvar = _sub(condition, "conditionvar")
    if isinstance(question, SingleChoice):
        conditionvar.append(_equal(next(iter(question.correct_ids))))
    else:
        # Canvas's own form: the exact set earns 100; Canvas then scores partial answers by
        # its net-correct rule, whatever the package says (README.txt).
        every = _sub(conditionvar, "and")
        for option in options:
            if option.correct:
                every.append(_equal(option.id))
            else:
                _sub(every, "not").append(_equal(option.id))
    _set_score(condition, "100")
    processing.close()


def _true_false_item(item: ET.Element, presentation: ET.Element, question: TrueFalse) -> None:
    response = _sub(presentation, "response_lid", ident=RESPONSE, rcardinality="Single")
    _choice_labels(response, [("true", "True"), ("false", "False")])
    processing = _Processing(item)
    processing.feedback_when("general_fb", question.explanation, None)
    wrong = "false" if question.answer else "true"
    if question.wrong_feedback:
        processing.feedback_when(f"{wrong}_fb", question.wrong_feedback, _equal(wrong))
    condition = processing.condition(**{"continue": "No"})
    _sub(condition, "conditionvar").append(_equal("true" if question.answer else "false"))
    _set_score(condition, "100")
    processing.close()


def _numeric_item(
    item: ET.Element, presentation: ET.Element, question: Numeric, key: CanvasNumeric
) -> None:
    response = _sub(presentation, "response_str", ident=RESPONSE, rcardinality="Single")
    _sub(_sub(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
    processing = _Processing(item)
    processing.feedback_when("general_fb", question.explanation, None)
    # Canvas's own form: the exact answer, or the closed interval around it.
    condition = processing.condition(**{"continue": "No"})
    either = _sub(_sub(condition, "conditionvar"), "or")
    either.append(_equal(fixed_point(key.expected)))
    between = _sub(either, "and")
    allowed = float(fixed_point(key.margin, MARGIN_DIGITS, rounding=ROUND_UP))
    low = fixed_point(key.expected - allowed, rounding=ROUND_FLOOR)
    _sub(between, "vargte", low, respident=RESPONSE)
    high = fixed_point(key.expected + allowed, rounding=ROUND_CEILING)
    _sub(between, "varlte", high, respident=RESPONSE)
    _set_score(condition, "100")
    processing.close()


def _ordering_item(
    item: ET.Element, presentation: ET.Element, question: Ordering, variant: QuizVariant
) -> None:
    places = [(f"place{n}", str(n)) for n in range(1, len(question.items) + 1)]
    by_id = {entry.id: entry for entry in question.items}
    for item_id in variant.of(question).order:
        response = _sub(presentation, "response_lid", ident=f"response_{item_id}")
        _material(response, by_id[item_id].text)
        _choice_labels(response, places)
    processing = _Processing(item)
    processing.feedback_when("general_fb", question.explanation, None)
    share = f"{100 / len(question.items):.4f}"
    for n, entry in enumerate(question.items, start=1):
        condition = processing.condition()
        _sub(condition, "conditionvar").append(_equal(f"place{n}", f"response_{entry.id}"))
        _set_score(condition, share, action="Add")
    processing.close()


def _item(section: ET.Element, question: Question, quiz: Quiz, variant: QuizVariant) -> None:
    item = _sub(section, "item", ident=question.id, title=question.id)
    _metadata(
        item,
        {
            "question_type": CANVAS_TYPES[question.type],
            "points_possible": fixed_point(question.points),
        },
    )
    presentation = _sub(item, "presentation")
    prompt = render_prompt(question, variant.of(question))
    if isinstance(question, Numeric):
        key = canvas_numeric(numeric_key(question, variant))
        _material(presentation, _scaled_prompt(prompt, key.scale), rich=True)
        _numeric_item(item, presentation, question, key)
        return
    _material(presentation, prompt, rich=True)
    if isinstance(question, SingleChoice | MultipleChoice):
        _choice_item(item, presentation, question, quiz, variant)
    elif isinstance(question, TrueFalse):
        _true_false_item(item, presentation, question)
    else:
        _ordering_item(item, presentation, question, variant)


def assessment_xml(quiz: Quiz, variant: QuizVariant, names: Names) -> bytes:
    root = ET.Element(
        "questestinterop",
        {"xmlns": QTI_NAMESPACE, "xmlns:xsi": XSI_NAMESPACE},
    )
    root.set("xsi:schemaLocation", f"{QTI_NAMESPACE} {QTI_SCHEMA}")
    _sub(
        root,
        "qticomment",
        f"{quiz.title}, exported by bpgrade with seed {variant.seed}. How Canvas and Moodle"
        f" score multiple-answer and matching questions differently from bpgrade: {README}.",
    )
    assessment = _sub(root, "assessment", ident=names.id, title=names.title)
    attempts = _sub(_sub(assessment, "qtimetadata"), "qtimetadatafield")
    _sub(attempts, "fieldlabel", "cc_maxattempts")
    _sub(attempts, "fieldentry", "1" if quiz.graded else "unlimited")
    section = _sub(assessment, "section", ident="root_section")
    for question in quiz.questions:
        _item(section, question, quiz, variant)
    return _serialize(root)


def _shuffles_everywhere(quiz: Quiz) -> bool:
    choices = [q for q in quiz.questions if isinstance(q, SingleChoice | MultipleChoice)]
    return bool(choices) and all(quiz.shuffles(q) for q in choices)


def assessment_meta_xml(quiz: Quiz, meta_id: str, names: Names) -> bytes:
    """Canvas's quiz settings, as its exporter writes them (generate_assessment_meta)."""
    root = ET.Element("quiz", {"identifier": meta_id, "xmlns": CANVAS_NAMESPACE})
    root.set("xmlns:xsi", XSI_NAMESPACE)
    root.set("xsi:schemaLocation", f"{CANVAS_NAMESPACE} {CANVAS_SCHEMA}")
    fields = {
        "title": names.title,
        "description": _html(quiz.description) if quiz.description else "",
        "shuffle_answers": "true" if _shuffles_everywhere(quiz) else "false",
        "scoring_policy": "keep_highest",
        "hide_results": "",
        "quiz_type": "assignment" if quiz.graded else "practice_quiz",
        "points_possible": fixed_point(quiz.max_score),
        "show_correct_answers": "true",
        "anonymous_submissions": "false",
        "could_be_locked": "false",
        "allowed_attempts": "1" if quiz.graded else "-1",
        "one_question_at_a_time": "false",
        "cant_go_back": "false",
        "available": "false",  # unpublished: the instructor looks before learners do
        "one_time_results": "false",
        "show_correct_answers_last_attempt": "false",
        "only_visible_to_overrides": "false",
        "module_locked": "false",
    }
    for tag, text in fields.items():
        _sub(root, tag, text)
    return _serialize(root)


def manifest_xml(names: Names, href: str, meta_href: str, meta_id: str) -> bytes:
    root = ET.Element("manifest", identifier=f"{names.id}-manifest", xmlns=CP_NAMESPACE)
    metadata = _sub(root, "metadata")
    _sub(metadata, "schema", "IMS Content")
    _sub(metadata, "schemaversion", "1.1.3")
    _sub(root, "organizations")
    resources = _sub(root, "resources")
    resource = _sub(resources, "resource", identifier=names.id, type=QTI_RESOURCE)
    _sub(resource, "file", href=href)
    _sub(resource, "dependency", identifierref=meta_id)
    meta = _sub(resources, "resource", identifier=meta_id, type=META_RESOURCE, href=meta_href)
    _sub(meta, "file", href=meta_href)
    return _serialize(root)


def _serialize(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _readme(quiz: Quiz, variant: QuizVariant) -> bytes:
    head = (
        f"{quiz.title} ({quiz.id}), variant {variant.seed}, exported by bpgrade:"
        f" {counted(len(quiz.questions), 'question')}, {counted(quiz.max_score, 'point')}.\n"
        "Import in Canvas: Settings > Import Course Content > QTI .zip file.\n\n"
    )
    return (head + SCORING_NOTE).encode("utf-8")


def export(quiz: Quiz, variant: QuizVariant, seeded: bool = False) -> bytes:
    """The bytes of the zip; `seeded` puts the seed in its idents and title (`Names`)."""
    names = Names.of(quiz, variant, seeded)
    href = f"{names.id}/{names.id}.xml"
    meta_href = f"{names.id}/assessment_meta.xml"
    meta_id = f"{names.id}-meta"
    buffer = io.BytesIO()
    entries = (
        ("imsmanifest.xml", manifest_xml(names, href, meta_href, meta_id)),
        (href, assessment_xml(quiz, variant, names)),
        (meta_href, assessment_meta_xml(quiz, meta_id, names)),
        (NON_CC_FOLDER, b""),
        (README, _readme(quiz, variant)),
    )
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            # A fixed timestamp makes the same quiz and seed give the same bytes.
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            if name.endswith("/"):
                info.external_attr = 0o40755 << 16 | 0x10  # a folder, as unzip expects
            archive.writestr(info, data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
