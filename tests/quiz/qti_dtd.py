"""The IMS QTI 1.2 ASI DTD, for the elements a QTI export may hold, and a validator.

Tests never reach the network and the DTD file itself is not vendored here, so the element and
attribute declarations below are transcribed from the IMS Question & Test Interoperability
ASI XML Binding v1.2 (ims_qtiasiv1p2.dtd) for every element bpgrade writes and the ones their
content models name. `validate` checks a document against them as a validating parser would:
each element declared, its children matching its content model, no text in element content,
required attributes present, enumerated ones within their values, no undeclared attribute.
Then it checks what a DTD cannot: idents unique, every displayfeedback pointing at an
itemfeedback, every condition naming a response of its item and one of that response's labels.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

_VARS = (
    "not | and | or | unanswered | other | varequal | varlt | varlte | vargt | vargte |"
    " varsubset | varinside | varsubstring | durequal | durlt | durlte | durgt | durgte"
)
_RESPONSE_MODEL = (
    "((material | material_ref)? , (render_choice | render_hotspot | render_slider |"
    " render_fib | render_extension) , (material | material_ref)?)"
)
_RESPONSE_ATTRIBUTES = (
    "rcardinality (Single | Multiple | Ordered) 'Single' rtiming (Yes | No) 'No'"
    " ident CDATA #REQUIRED"
)
_RENDER_MODEL = "((material | material_ref | response_label | flow_label)* , response_na?)"

DTD = f"""
<!ELEMENT questestinterop (qticomment? , (objectbank | assessment | (section | item)+))>
<!ELEMENT qticomment (#PCDATA)>
<!ATTLIST qticomment xml:lang CDATA #IMPLIED>
<!ELEMENT assessment (qticomment? , duration? , qtimetadata* , objectives* ,
    assessmentcontrol* , rubric* , presentation_material? , outcomes_processing* ,
    assessproc_extension? , assessfeedback* , selection_ordering? , reference? ,
    (sectionref | section)+)>
<!ATTLIST assessment ident CDATA #REQUIRED title CDATA #IMPLIED xml:lang CDATA #IMPLIED>
<!ELEMENT qtimetadata (vocabulary? , qtimetadatafield+)>
<!ELEMENT qtimetadatafield (fieldlabel , fieldentry)>
<!ATTLIST qtimetadatafield xml:lang CDATA #IMPLIED>
<!ELEMENT fieldlabel (#PCDATA)>
<!ELEMENT fieldentry (#PCDATA)>
<!ELEMENT section (qticomment? , duration? , qtimetadata* , objectives* , sectioncontrol* ,
    sectionprecondition* , sectionpostcondition* , rubric* , presentation_material? ,
    outcomes_processing* , sectionproc_extension? , sectionfeedback* , selection_ordering? ,
    reference? , (itemref | item | sectionref | section)*)>
<!ATTLIST section ident CDATA #REQUIRED title CDATA #IMPLIED xml:lang CDATA #IMPLIED>
<!ELEMENT item (qticomment? , duration? , itemmetadata? , objectives* , itemcontrol* ,
    itemprecondition* , itempostcondition* , (itemrubric | rubric)* , presentation? ,
    resprocessing* , itemproc_extension? , itemfeedback* , reference?)>
<!ATTLIST item maxattempts CDATA #IMPLIED label CDATA #IMPLIED ident CDATA #REQUIRED
    title CDATA #IMPLIED xml:lang CDATA #IMPLIED>
<!ELEMENT itemmetadata (qtimetadata* , qmd_computerscored? , qmd_feedbackpermitted? ,
    qmd_hintspermitted? , qmd_itemtype? , qmd_levelofdifficulty? , qmd_maximumscore? ,
    qmd_renderingtype* , qmd_responsetype* , qmd_scoringpermitted? ,
    qmd_solutionspermitted? , qmd_status? , qmd_timedependence? , qmd_timelimit? ,
    qmd_toolvendor? , qmd_topic? , qmd_weighting? , qmd_material* , qmd_typeofsolution?)>
<!ELEMENT presentation (qticomment? , (flow | (material | response_lid | response_xy |
    response_str | response_num | response_grp | response_extension)+))>
<!ATTLIST presentation label CDATA #IMPLIED xml:lang CDATA #IMPLIED y0 CDATA #IMPLIED
    x0 CDATA #IMPLIED width CDATA #IMPLIED height CDATA #IMPLIED>
<!ELEMENT material (qticomment? , (mattext | matemtext | matimage | mataudio | matvideo |
    matapplet | matapplication | matref | matbreak | mat_extension)+ , altmaterial*)>
<!ATTLIST material label CDATA #IMPLIED xml:lang CDATA #IMPLIED>
<!ELEMENT mattext (#PCDATA)>
<!ATTLIST mattext texttype CDATA 'text/plain' label CDATA #IMPLIED
    charset CDATA 'ascii-us' uri CDATA #IMPLIED xml:space (preserve | default) 'default'
    xml:lang CDATA #IMPLIED entityref ENTITY #IMPLIED width CDATA #IMPLIED
    height CDATA #IMPLIED y0 CDATA #IMPLIED x0 CDATA #IMPLIED>
<!ELEMENT response_lid {_RESPONSE_MODEL}>
<!ATTLIST response_lid {_RESPONSE_ATTRIBUTES}>
<!ELEMENT response_str {_RESPONSE_MODEL}>
<!ATTLIST response_str {_RESPONSE_ATTRIBUTES}>
<!ELEMENT render_choice {_RENDER_MODEL}>
<!ATTLIST render_choice shuffle (Yes | No) 'No' minnumber CDATA #IMPLIED
    maxnumber CDATA #IMPLIED>
<!ELEMENT render_fib {_RENDER_MODEL}>
<!ATTLIST render_fib encoding CDATA 'UTF_8'
    fibtype (String | Integer | Decimal | Scientific) 'String' rows CDATA #IMPLIED
    maxchars CDATA #IMPLIED prompt (Box | Dashline | Asterisk | Underline) #IMPLIED
    columns CDATA #IMPLIED charset CDATA 'ascii-us' minnumber CDATA #IMPLIED
    maxnumber CDATA #IMPLIED>
<!ELEMENT response_label (#PCDATA | qticomment | material | material_ref | flow_mat)*>
<!ATTLIST response_label ident CDATA #REQUIRED rshuffle (Yes | No) 'Yes'
    rarea (Ellipse | Rectangle | Bounded) 'Ellipse' rrange (Exact | Range) 'Exact'
    labelrefid CDATA #IMPLIED match_group CDATA #IMPLIED match_max CDATA #IMPLIED>
<!ELEMENT resprocessing (qticomment? , outcomes , (respcondition | itemproc_extension)+)>
<!ATTLIST resprocessing scoremodel CDATA #IMPLIED>
<!ELEMENT outcomes (qticomment? , (decvar , interpretvar*)+)>
<!ELEMENT decvar (#PCDATA)>
<!ATTLIST decvar varname CDATA 'SCORE'
    vartype (Integer | String | Decimal | Scientific | Boolean | Enumerated | Set) 'Integer'
    defaultval CDATA #IMPLIED minvalue CDATA #IMPLIED maxvalue CDATA #IMPLIED
    members CDATA #IMPLIED cutvalue CDATA #IMPLIED>
<!ELEMENT respcondition (qticomment? , conditionvar , setvar* , displayfeedback* ,
    respcond_extension?)>
<!ATTLIST respcondition continue (Yes | No) 'No' title CDATA #IMPLIED>
<!ELEMENT conditionvar ({_VARS} | var_extension)+>
<!ELEMENT not ({_VARS})>
<!ELEMENT and ({_VARS})+>
<!ELEMENT or ({_VARS})+>
<!ELEMENT other (#PCDATA)>
<!ELEMENT varequal (#PCDATA)>
<!ATTLIST varequal case (Yes | No) 'No' respident CDATA #REQUIRED index CDATA #IMPLIED>
<!ELEMENT vargte (#PCDATA)>
<!ATTLIST vargte respident CDATA #REQUIRED index CDATA #IMPLIED>
<!ELEMENT varlte (#PCDATA)>
<!ATTLIST varlte respident CDATA #REQUIRED index CDATA #IMPLIED>
<!ELEMENT setvar (#PCDATA)>
<!ATTLIST setvar varname CDATA 'SCORE' action (Set | Add | Subtract | Multiply | Divide) 'Set'>
<!ELEMENT displayfeedback (#PCDATA)>
<!ATTLIST displayfeedback feedbacktype (Response | Solution | Hint) 'Response'
    linkrefid CDATA #REQUIRED>
<!ELEMENT itemfeedback ((flow_mat | material) | solution | hint)+>
<!ATTLIST itemfeedback view (All | Administrator | AdminAuthority | Assessor | Author |
    Candidate | InvigilatorProctor | Psychometrician | Scorer | Tutor) 'All'
    ident CDATA #REQUIRED title CDATA #IMPLIED>
<!ELEMENT flow_mat (qticomment? , (flow_mat | material | material_ref)+)>
<!ATTLIST flow_mat class CDATA 'Block'>
"""

XML_NAMESPACE = "{http://www.w3.org/XML/1998/namespace}"
XSI_NAMESPACE = "{http://www.w3.org/2001/XMLSchema-instance}"


@dataclass(frozen=True)
class Attribute:
    values: tuple[str, ...] | None  # an enumeration, or None for CDATA and the like
    required: bool


@dataclass(frozen=True)
class Element:
    model: re.Pattern[str] | None  # over "<child>" tokens; None: any children (mixed)
    children: frozenset[str] | None  # the children mixed content allows
    text: bool  # character data allowed
    attributes: dict[str, Attribute]


def _model_regex(model: str) -> str:
    tokens = re.findall(r"[A-Za-z_][\w.]*|[(),|?*+]", model)
    out = []
    for token in tokens:
        if token == "(":
            out.append("(?:")
        elif token == ",":
            continue
        elif token in ")|?*+":
            out.append(token)
        else:
            out.append(f"(?:<{token}>)")
    return "".join(out)


def _parse_attributes(body: str) -> dict[str, Attribute]:
    pattern = re.compile(
        r"([\w:]+)\s+(\([^)]*\)|CDATA|ENTITY|ID|IDREF|NMTOKEN)\s+(#REQUIRED|#IMPLIED|'[^']*')"
    )
    attributes = {}
    for name, kind, default in pattern.findall(body):
        values = tuple(v.strip() for v in kind[1:-1].split("|")) if kind.startswith("(") else None
        attributes[name] = Attribute(values, default == "#REQUIRED")
    return attributes


def parse_dtd(text: str) -> dict[str, Element]:
    text = re.sub(r"\s+", " ", text)
    elements: dict[str, Element] = {}
    attlists: dict[str, dict[str, Attribute]] = {}
    for name, model in re.findall(r"<!ELEMENT (\S+) (.*?)>", text):
        model = model.strip()
        if model == "(#PCDATA)":
            elements[name] = Element(re.compile(""), frozenset(), True, {})
        elif model.startswith("(#PCDATA"):
            names = frozenset(re.findall(r"[A-Za-z_]\w*", model.replace("#PCDATA", "")))
            elements[name] = Element(None, names, True, {})
        elif model == "EMPTY":
            elements[name] = Element(re.compile(""), frozenset(), False, {})
        else:
            elements[name] = Element(re.compile(_model_regex(model)), None, False, {})
    for name, body in re.findall(r"<!ATTLIST (\S+) (.*?)>", text):
        attlists.setdefault(name, {}).update(_parse_attributes(body))
    return {
        name: Element(e.model, e.children, e.text, attlists.get(name, {}))
        for name, e in elements.items()
    }


QTI = parse_dtd(DTD)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attribute_name(name: str) -> str:
    if name.startswith(XML_NAMESPACE):
        return "xml:" + name[len(XML_NAMESPACE) :]
    return name


def _check_element(element: ET.Element, path: str, errors: list[str]) -> None:
    name = _local(element.tag)
    where = f"{path}/{name}"
    declared = QTI.get(name)
    if declared is None:
        errors.append(f"{where}: <{name}> is not declared in the QTI 1.2 DTD subset")
        return
    for attribute, value in element.attrib.items():
        if attribute == f"{XSI_NAMESPACE}schemaLocation" and path == "":
            continue  # the root's schema hint, outside the DTD's concern
        rule = declared.attributes.get(_attribute_name(attribute))
        if rule is None:
            errors.append(f"{where}: undeclared attribute {attribute!r}")
        elif rule.values is not None and value not in rule.values:
            errors.append(f"{where}: {attribute}={value!r} is not one of {rule.values}")
    for attribute, rule in declared.attributes.items():
        if rule.required and attribute not in {_attribute_name(a) for a in element.attrib}:
            errors.append(f"{where}: required attribute {attribute!r} missing")
    children = [_local(child.tag) for child in element]
    if not declared.text:
        texts = [element.text, *(child.tail for child in element)]
        if any(text and text.strip() for text in texts):
            errors.append(f"{where}: text where only elements may be")
    if declared.model is not None:
        if not declared.model.fullmatch("".join(f"<{c}>" for c in children)):
            errors.append(f"{where}: children {children} do not match its content model")
    elif declared.children is not None and not set(children) <= declared.children:
        errors.append(f"{where}: children {sorted(set(children) - declared.children)} not allowed")
    for child in element:
        _check_element(child, where, errors)


def _check_references(root: ET.Element, errors: list[str]) -> None:
    idents: set[str] = set()
    for element in root.iter():
        if _local(element.tag) in ("assessment", "section", "item"):
            kept = element.get("ident", "")
            if kept in idents:
                errors.append(f"ident {kept!r} used twice")
            idents.add(kept)
    for item in (e for e in root.iter() if _local(e.tag) == "item"):
        ident = item.get("ident")
        feedback = {e.get("ident") for e in item if _local(e.tag) == "itemfeedback"}
        responses = {
            e.get("ident"): {
                label.get("ident") for label in e.iter() if _local(label.tag) == "response_label"
            }
            for e in item.iter()
            if _local(e.tag) in ("response_lid", "response_str")
        }
        lids = {e.get("ident") for e in item.iter() if _local(e.tag) == "response_lid"}
        for element in item.iter():
            tag = _local(element.tag)
            if tag == "displayfeedback" and element.get("linkrefid") not in feedback:
                errors.append(f"{ident}: feedback {element.get('linkrefid')!r} is not defined")
            if tag in ("varequal", "vargte", "varlte"):
                respident = element.get("respident")
                if respident not in responses:
                    errors.append(f"{ident}: condition on an unknown response {respident!r}")
                elif (
                    tag == "varequal"
                    and respident in lids
                    and element.text not in responses[respident]
                ):
                    errors.append(f"{ident}: {element.text!r} is no label of {respident!r}")


def validate(document: bytes) -> list[str]:
    """Every way `document` breaks the DTD subset or its references; [] when it is valid."""
    root = ET.fromstring(document)
    errors: list[str] = []
    if _local(root.tag) != "questestinterop":
        errors.append(f"the root is <{_local(root.tag)}>, not <questestinterop>")
    _check_element(root, "", errors)
    _check_references(root, errors)
    return errors
