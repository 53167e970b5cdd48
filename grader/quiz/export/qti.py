"""A QTI 1.2 package as Canvas imports it ("QTI .zip file" in Import Course Content).

The zip holds `imsmanifest.xml` and one assessment, `<quiz id>/<quiz id>.xml`, a
`questestinterop` with one `<item>` per question. Canvas reads each item's kind from the
`question_type` metadata: single_choice is multiple_choice_question, multiple_choice is
multiple_answers_question, true_false is true_false_question, numeric is numerical_question
and ordering is matching_question (each item matched with its place). The XML is built with
ElementTree, so every text is escaped and the document is well-formed by construction.
"""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ET
import zipfile

from grader.quiz.models import (
    MultipleChoice,
    Numeric,
    Ordering,
    Question,
    Quiz,
    SingleChoice,
    TrueFalse,
)
from grader.quiz.variants import QuizVariant, expected_value, render_prompt

QTI_NAMESPACE = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NAMESPACE = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"

CANVAS_TYPES = {
    "single_choice": "multiple_choice_question",
    "multiple_choice": "multiple_answers_question",
    "true_false": "true_false_question",
    "numeric": "numerical_question",
    "ordering": "matching_question",
}
RESPONSE = "response1"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold


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


def _choice_labels(response: ET.Element, labels: list[tuple[str, str]]) -> None:
    render = _sub(response, "render_choice")
    for ident, text in labels:
        _material(_sub(render, "response_label", ident=ident), text)


def _set_score(condition: ET.Element, value: str, action: str = "Set") -> None:
    _sub(condition, "setvar", value, action=action, varname="SCORE")


def _feedback(
    item: ET.Element, resprocessing: ET.Element, ident: str, text: str, when: ET.Element | None
) -> None:
    """Show `text` when the condition holds (or always, for the general feedback)."""
    condition = _sub(resprocessing, "respcondition", **{"continue": "Yes"})
    conditionvar = _sub(condition, "conditionvar")
    if when is None:
        _sub(conditionvar, "other")
    else:
        conditionvar.append(when)
    _sub(condition, "displayfeedback", feedbacktype="Response", linkrefid=ident)
    flow = _sub(_sub(item, "itemfeedback", ident=ident), "flow_mat")
    _material(flow, text, rich=True)


def _equal(value: str, respident: str = RESPONSE) -> ET.Element:
    element = ET.Element("varequal", respident=respident)
    element.text = value
    return element


def _start_processing(item: ET.Element) -> ET.Element:
    resprocessing = _sub(item, "resprocessing")
    outcomes = _sub(resprocessing, "outcomes")
    _sub(outcomes, "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    return resprocessing


def _choice_item(
    item: ET.Element, presentation: ET.Element, question: SingleChoice | MultipleChoice
) -> None:
    cardinality = "Single" if isinstance(question, SingleChoice) else "Multiple"
    response = _sub(presentation, "response_lid", ident=RESPONSE, rcardinality=cardinality)
    _choice_labels(response, [(o.id, o.text) for o in question.options])
    resprocessing = _start_processing(item)
    _feedback(item, resprocessing, "general_fb", question.explanation, None)
    for option in question.options:
        if option.feedback:
            _feedback(item, resprocessing, f"{option.id}_fb", option.feedback, _equal(option.id))
    condition = _sub(resprocessing, "respcondition", **{"continue": "No"})
    conditionvar = _sub(condition, "conditionvar")
    if isinstance(question, SingleChoice):
        conditionvar.append(_equal(next(iter(question.correct_ids))))
    else:
        every = _sub(conditionvar, "and")
        for option in question.options:
            if option.correct:
                every.append(_equal(option.id))
            else:
                _sub(every, "not").append(_equal(option.id))
    _set_score(condition, "100")


def _true_false_item(item: ET.Element, presentation: ET.Element, question: TrueFalse) -> None:
    response = _sub(presentation, "response_lid", ident=RESPONSE, rcardinality="Single")
    _choice_labels(response, [("true", "True"), ("false", "False")])
    resprocessing = _start_processing(item)
    _feedback(item, resprocessing, "general_fb", question.explanation, None)
    wrong = "false" if question.answer else "true"
    if question.wrong_feedback:
        _feedback(item, resprocessing, f"{wrong}_fb", question.wrong_feedback, _equal(wrong))
    condition = _sub(resprocessing, "respcondition", **{"continue": "No"})
    _sub(condition, "conditionvar").append(_equal("true" if question.answer else "false"))
    _set_score(condition, "100")


def _numeric_item(
    item: ET.Element, presentation: ET.Element, question: Numeric, variant: QuizVariant
) -> None:
    response = _sub(presentation, "response_str", ident=RESPONSE, rcardinality="Single")
    _sub(_sub(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
    expected = expected_value(question, variant.of(question).params)
    allowed = max(question.tolerance or 0.0, (question.rtol or 0.0) * abs(expected))
    resprocessing = _start_processing(item)
    _feedback(item, resprocessing, "general_fb", question.explanation, None)
    condition = _sub(resprocessing, "respcondition", **{"continue": "No"})
    either = _sub(_sub(condition, "conditionvar"), "or")
    either.append(_equal(f"{expected:.10g}"))
    between = _sub(either, "and")
    _sub(between, "vargte", f"{expected - allowed:.10g}", respident=RESPONSE)
    _sub(between, "varlte", f"{expected + allowed:.10g}", respident=RESPONSE)
    _set_score(condition, "100")


def _ordering_item(
    item: ET.Element, presentation: ET.Element, question: Ordering, variant: QuizVariant
) -> None:
    places = [(f"place{n}", str(n)) for n in range(1, len(question.items) + 1)]
    by_id = {entry.id: entry for entry in question.items}
    for item_id in variant.of(question).order:
        response = _sub(presentation, "response_lid", ident=f"response_{item_id}")
        _material(response, by_id[item_id].text)
        _choice_labels(response, places)
    resprocessing = _start_processing(item)
    _feedback(item, resprocessing, "general_fb", question.explanation, None)
    share = f"{100 / len(question.items):.4f}"
    for n, entry in enumerate(question.items, start=1):
        condition = _sub(resprocessing, "respcondition")
        _sub(condition, "conditionvar").append(_equal(f"place{n}", f"response_{entry.id}"))
        _set_score(condition, share, action="Add")


def _item(section: ET.Element, question: Question, variant: QuizVariant) -> None:
    item = _sub(section, "item", ident=question.id, title=question.id)
    _metadata(
        item,
        {
            "question_type": CANVAS_TYPES[question.type],
            "points_possible": f"{question.points:g}",
        },
    )
    presentation = _sub(item, "presentation")
    _material(presentation, render_prompt(question, variant.of(question)), rich=True)
    if isinstance(question, SingleChoice | MultipleChoice):
        _choice_item(item, presentation, question)
    elif isinstance(question, TrueFalse):
        _true_false_item(item, presentation, question)
    elif isinstance(question, Numeric):
        _numeric_item(item, presentation, question, variant)
    else:
        _ordering_item(item, presentation, question, variant)


def assessment_xml(quiz: Quiz, variant: QuizVariant) -> bytes:
    root = ET.Element("questestinterop", xmlns=QTI_NAMESPACE)
    assessment = _sub(root, "assessment", ident=quiz.id, title=quiz.title)
    attempts = _sub(_sub(assessment, "qtimetadata"), "qtimetadatafield")
    _sub(attempts, "fieldlabel", "cc_maxattempts")
    _sub(attempts, "fieldentry", "1")
    section = _sub(assessment, "section", ident="root_section")
    for question in quiz.questions:
        _item(section, question, variant)
    return _serialize(root)


def manifest_xml(quiz: Quiz, href: str) -> bytes:
    root = ET.Element("manifest", identifier=f"{quiz.id}-manifest", xmlns=CP_NAMESPACE)
    metadata = _sub(root, "metadata")
    _sub(metadata, "schema", "IMS Content")
    _sub(metadata, "schemaversion", "1.1.3")
    _sub(root, "organizations")
    resources = _sub(root, "resources")
    resource = _sub(resources, "resource", identifier=quiz.id, type="imsqti_xmlv1p2", href=href)
    _sub(resource, "file", href=href)
    return _serialize(root)


def _serialize(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def export(quiz: Quiz, variant: QuizVariant) -> bytes:
    """The bytes of the zip."""
    href = f"{quiz.id}/{quiz.id}.xml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (
            ("imsmanifest.xml", manifest_xml(quiz, href)),
            (href, assessment_xml(quiz, variant)),
        ):
            # A fixed timestamp makes the same quiz and seed give the same bytes.
            archive.writestr(zipfile.ZipInfo(name, date_time=_EPOCH), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
