"""JUnit XML, as CI servers read test results (Jenkins' junit plugin, GitLab's unit test
reports, the GitHub test-reporter actions).

JUnit XML has no single standard; what those readers share is the shape Ant's JUnit task
wrote and Jenkins' schema describes: `<testsuites>` holding `<testsuite name tests failures
errors skipped time>`, which holds `<properties>`, `<testcase classname name time>` and
`<system-out>`; a test case holds at most one `<skipped message>` or any `<failure message
type>` and `<error message type>`, whose text is the detail.

What we put where:

- One `<testsuite>` per exercise, with the exercise's score, maximum and status as
  properties (CI servers have no notion of points); one `<testcase>` per check, its
  classname `bpgrade.exercise03` (readers split package and class at the last dot), its
  name the check's name and title, its `file` the exercise's file.
- The student, when known (`--student-id`), is in every name a reader shows: GitLab shows
  a case's classname as its suite and keeps only the first of two cases with the same
  name, so one job that grades every student would otherwise show one student's results.
  Their classnames are `bpgrade.<student>.exercise03` (Jenkins: package `bpgrade.<student>`,
  class `exercise03`), their suites `<student>/exercise03`, and each suite has a `student`
  property.
- A failed check is a `<failure>`: the first line of the feedback as `message`, the likely
  mistake (or `wrong`) as `type`, the whole feedback as text.
- An exercise whose file could not be loaded is an `<error>` on each of its checks, the
  reason as message and text; a broken grader is a `grading` suite with one errored case.
- A check of an exercise not started yet (its functions still raise NotImplementedError)
  is a `<failure>` of type `not_started`: it scores nothing, and a reader that counted it as
  skipped would show a stub submission as 0 failures, a clean run.
- Quizzes are a `quizzes` suite, one case per quiz, failed unless every answer is right.
- What an exercise's code printed is its suite's `<system-out>`.
- Where the files were found, when not where the course puts them (a folder deeper, a file
  graded under another name), is a `files` suite, first: one passing case (a note, not a
  mistake) whose `<system-out>` says it.
- CI logs are read by the student, so hidden-case checks and those to be shown later keep
  their feedback back (`WITHHELD`), as does what their exercise printed. Sandbox notes are
  left out: no part of a CI report is for instructors only.
- XML 1.0 cannot hold most control characters (a learner's coloured output has ESC), so
  those are written as visible escapes such as `\\x1b`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from grader.formats._common import (
    GRADING_BROKE,
    STATUS_WORDS,
    feedback,
    first_line,
    layout,
    points,
    printed,
    quiz_feedback,
    quiz_name,
    quiz_passed,
    withheld,
)
from grader.report import CheckReport, ExerciseReport, QuizReport, Report

# Characters XML 1.0 allows: tab, newline, carriage return and the rest of Unicode
# less the surrogates and U+FFFE, U+FFFF.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Checks are not timed, but some CI readers insist on a number.
NO_TIME = "0"


def render(report: Report) -> str:
    root = build(report)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def build(report: Report) -> ET.Element:
    root = ET.Element("testsuites", name=xml_text(_suites_name(report.student)))
    if report.error:
        root.append(_grading_suite(report.error))
    if report.layout:
        root.append(_layout_suite(report))
    root.extend(_exercise_suite(exercise) for exercise in report.exercises)
    if report.quizzes:
        root.append(_quiz_suite(report.quizzes))
    if report.student is not None:
        _identify(root.findall("testsuite"), report.student)
    _count(root, root.findall("testsuite"))
    root.set("time", NO_TIME)
    return root


def _suites_name(student: str | None) -> str:
    return "bpgrade" if student is None else f"bpgrade {student}"


def _identify(suites: list[ET.Element], student: str) -> None:
    """Put the student in every suite's name and property and every case's classname, so
    that reports of several students read together stay apart."""
    for suite in suites:
        suite.set("name", xml_text(f"{student}/{suite.get('name')}"))
        properties = suite.find("properties")
        if properties is None:
            properties = ET.Element("properties")
            suite.insert(0, properties)  # the schema wants properties first
        ET.SubElement(properties, "property", name="student", value=xml_text(student))
        for case in suite.iter("testcase"):
            package, _, name = (case.get("classname") or "").rpartition(".")
            classname = f"{package or 'bpgrade'}.{student}.{name}"
            case.set("classname", xml_text(classname))


def xml_text(text: str) -> str:
    """`text` with every character XML cannot hold written as a visible escape."""
    return NOT_XML.sub(lambda match: match.group().encode("unicode_escape").decode(), text)


def _suite(name: str) -> ET.Element:
    return ET.Element("testsuite", name=xml_text(name))


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(
        suite, "testcase", classname=xml_text(classname), name=xml_text(name), time=NO_TIME
    )


def _detail(case: ET.Element, tag: str, message: str, text: str, kind: str | None) -> None:
    element = ET.SubElement(case, tag, message=xml_text(message))
    if kind:
        element.set("type", kind)
    element.text = xml_text(text)


def _properties(suite: ET.Element, values: dict[str, str]) -> None:
    properties = ET.SubElement(suite, "properties")
    for name, value in values.items():
        ET.SubElement(properties, "property", name=name, value=xml_text(value))


def _system_out(element: ET.Element, text: str) -> None:
    if text:
        ET.SubElement(element, "system-out").text = xml_text(text)


def _exercise_suite(exercise: ExerciseReport) -> ET.Element:
    suite = _suite(exercise.name)
    _properties(
        suite,
        {
            "title": exercise.title,
            "file": exercise.file,
            "status": STATUS_WORDS[exercise.status],
            "score": points(exercise.score),
            "max_score": points(exercise.max_score),
        },
    )
    for check in exercise.checks:
        _check_case(suite, exercise, check)
    shown = not any(withheld(check) for check in exercise.checks)
    _system_out(suite, printed(exercise, shown))
    return suite


def _check_case(suite: ET.Element, exercise: ExerciseReport, check: CheckReport) -> None:
    case = _case(suite, f"bpgrade.{exercise.name}", f"{check.name}: {check.title}")
    case.set("file", xml_text(exercise.file))
    text = feedback(check)
    if exercise.status == "error":
        reason = exercise.error or check.message
        _detail(case, "error", first_line(reason), reason, "LoadError")
    elif exercise.status == "not_started":
        _detail(case, "failure", first_line(text) or "not started", text, "not_started")
    elif not check.passed:
        kind = None if withheld(check) else check.diagnosis
        _detail(case, "failure", first_line(text), text, kind or "wrong")


def _quiz_suite(quizzes: list[QuizReport]) -> ET.Element:
    suite = _suite("quizzes")
    for quiz in quizzes:
        case = _case(suite, "bpgrade.quizzes", quiz_name(quiz))
        text = quiz_feedback(quiz)
        if not quiz_passed(quiz):
            _detail(case, "failure", first_line(text), text, "wrong")
        _system_out(case, text)
    return suite


def _layout_suite(report: Report) -> ET.Element:
    """Where the files were found: a case that passes (a note, not a mistake; an exercise not
    found fails on its own checks) and says it in its output, first among the suites."""
    suite = _suite("files")
    case = _case(suite, "bpgrade.files", "where your files were found")
    _system_out(case, layout(report))
    return suite


def _grading_suite(error: str) -> ET.Element:
    suite = _suite("grading")
    case = _case(suite, "bpgrade.grading", "grading completed")
    _detail(case, "error", GRADING_BROKE, f"{GRADING_BROKE}\n\n{error}", "GradingError")
    return suite


def _count(root: ET.Element, suites: list[ET.Element]) -> None:
    """Set each suite's counts from its cases, and the totals on the root."""
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in suites:
        cases = suite.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(case.find("failure") is not None for case in cases),
            "errors": sum(case.find("error") is not None for case in cases),
            "skipped": sum(case.find("skipped") is not None for case in cases),
        }
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", NO_TIME)
    # Jenkins' schema has no `skipped` on <testsuites>; the suites carry it.
    for key in ("tests", "failures", "errors"):
        root.set(key, str(totals[key]))
