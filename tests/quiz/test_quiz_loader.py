"""Loading quiz files: the example of issue 3 loads, and every invalid file is refused with
an error naming the file, the question id, the field and the line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.quiz.loader import Problem, QuizError, load_quiz, parse_quiz, quiz_files, resolve
from grader.quiz.models import MultipleChoice, Numeric, Ordering, SingleChoice, TrueFalse
from tests.quiz.helpers import EXAMPLE, QUIZZES


def test_the_example_loads_as_written(example_text: str) -> None:
    quiz = load_quiz(EXAMPLE)
    assert quiz.id == "example"
    assert quiz.title == "Example quiz"
    kinds = [type(q) for q in quiz.questions]
    assert kinds == [SingleChoice, MultipleChoice, TrueFalse, Numeric, Numeric, Ordering]
    points = {q.id: q.points for q in quiz.questions}
    assert points == {
        "loss-input": 1,
        "backward-computes": 2,
        "grads-accumulate": 1,
        "sigmoid-slope-max": 1,
        "neuron-dw": 1,
        "loop-order": 1,
    }
    assert quiz.max_score == 7
    multiple = quiz.questions[1]
    assert isinstance(multiple, MultipleChoice)
    assert multiple.scoring == "right_minus_wrong"
    assert multiple.correct_ids == {"a", "b"}
    dw = quiz.questions[4]
    assert isinstance(dw, Numeric)
    assert set(dw.params) == {"w", "b", "x"}
    assert dw.rtol == 0.01 and dw.tolerance is None
    assert quiz.shuffle is True


def _line_of(text: str, marker: str, occurrence: int = 1) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if marker in line]
    return lines[occurrence - 1]


# (case, old text, new text, question id, field, message pattern, marker of the line, occurrence)
INVALID = [
    (
        "duplicate question ids",
        'id = "grads-accumulate"',
        'id = "loss-input"',
        "loss-input",
        "id",
        "two questions have the id 'loss-input'",
        'id = "loss-input"',
        2,
    ),
    (
        "single_choice with two correct options",
        '{ id = "b", text = "The gradients of the weights" }',
        '{ id = "b", text = "The gradients of the weights", correct = true }',
        "loss-input",
        "options",
        "exactly one correct option, found 2",
        "options = [",
        1,
    ),
    (
        "single_choice with no correct option",
        '{ id = "a", text = "The prediction and the target", correct = true }',
        '{ id = "a", text = "The prediction and the target" }',
        "loss-input",
        "options",
        "exactly one correct option, found 0",
        "options = [",
        1,
    ),
    (
        "unknown type",
        'type = "ordering"',
        'type = "sorting"',
        "loop-order",
        "type",
        "unknown question type 'sorting'",
        'type = "sorting"',
        1,
    ),
    (
        "missing explanation",
        'explanation = "a(1 - a) peaks at a = 0.5."\n',
        "",
        "sigmoid-slope-max",
        "explanation",
        "is required",
        'id = "sigmoid-slope-max"',
        1,
    ),
    (
        "negative points",
        "points = 2",
        "points = -2",
        "backward-computes",
        "points",
        "greater than or equal to 0",
        "points = -2",
        1,
    ),
    (
        "negative tolerance",
        "tolerance = 0.001",
        "tolerance = -0.001",
        "sigmoid-slope-max",
        "tolerance",
        "greater than or equal to 0",
        "tolerance = -0.001",
        1,
    ),
    (
        "negative rtol",
        "rtol = 0.01",
        "rtol = -0.01",
        "neuron-dw",
        "rtol",
        "greater than or equal to 0",
        "rtol = -0.01",
        1,
    ),
    (
        "empty range",
        "w = { low = -1.0, high = 1.0 }",
        "w = { low = 1.0, high = 1.0 }",
        "neuron-dw",
        "params.w.high",
        "empty range",
        "params = {",
        1,
    ),
    (
        "reversed range",
        "b = { low = -0.5, high = 0.5 }",
        "b = { low = 0.5, high = -0.5 }",
        "neuron-dw",
        "params.b.high",
        "empty range",
        "params = {",
        1,
    ),
    (
        "answer with an unknown name",
        '* x"',
        '* z"',
        "neuron-dw",
        "answer",
        r"unknown name 'z' \(known: b, w, x\)",
        'answer = "2',
        1,
    ),
    (
        "answer calling __import__",
        'answer = "2 * (sigmoid',
        "answer = \"__import__('os') * (sigmoid",
        "neuron-dw",
        "answer",
        "unexpected character",
        'answer = "',
        1,
    ),
    (
        "answer with attribute access",
        '* x"',
        '* x.real"',
        "neuron-dw",
        "answer",
        "unexpected character '.'",
        'answer = "',
        1,
    ),
    (
        "answer with a subscript",
        '* x"',
        '* x[0]"',
        "neuron-dw",
        "answer",
        "unexpected character '\\['",
        'answer = "',
        1,
    ),
    (
        "answer with a lambda",
        'answer = "2 * (sigmoid',
        'answer = "(lambda: 2)() * (sigmoid',
        "neuron-dw",
        "answer",
        "unexpected character ':'",
        'answer = "',
        1,
    ),
    (
        "answer with an unknown function",
        'answer = "2 * (sigmoid',
        'answer = "2 * (open',
        "neuron-dw",
        "answer",
        "unknown function 'open'",
        'answer = "',
        1,
    ),
    (
        "misspelt field",
        "rtol = 0.01",
        "rtoll = 0.01",
        "neuron-dw",
        "rtoll",
        "did you mean 'rtol'",
        "rtoll = 0.01",
        1,
    ),
    (
        "duplicate option ids",
        '{ id = "d", text = "The learning rate" }',
        '{ id = "c", text = "The learning rate" }',
        "backward-computes",
        "options",
        "two options have the id 'c'",
        "options = [",
        2,
    ),
    (
        "a param the prompt never shows",
        "x = {x}, y = 1",
        "x = 2, y = 1",
        "neuron-dw",
        "params",
        "param 'x' is never shown",
        "params = {",
        1,
    ),
    (
        "an answer never computable",
        '* x"',
        '* log(x - 5)"',
        "neuron-dw",
        "answer",
        "cannot be computed",
        'answer = "',
        1,
    ),
    (
        "a true_false answer that is not a boolean",
        "answer = true",
        'answer = "yes"',
        "grads-accumulate",
        "answer",
        "valid boolean",
        'answer = "yes"',
        1,
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "question", "field", "pattern", "marker", "occurrence"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_invalid_files_are_refused_with_file_question_field_and_line(
    tmp_path: Path,
    example_text: str,
    old: str,
    new: str,
    question: str,
    field: str,
    pattern: str,
    marker: str,
    occurrence: int,
) -> None:
    assert old in example_text
    text = example_text.replace(old, new, 1)
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuizError) as raised:
        load_quiz(path, prove=True)  # as `quiz validate` loads
    problems = raised.value.problems
    matching = [p for p in problems if p.question == question and p.field == field]
    assert matching, f"no problem for {question}/{field} in {problems}"
    problem = matching[0]
    assert problem.path == str(path)
    assert problem.line == _line_of(text, marker, occurrence)
    message = str(raised.value)
    assert str(path) in message
    assert f'question "{question}"' in message
    assert f'field "{field}"' in message
    assert re.search(pattern, problem.message), problem.message


def test_the_error_reads_as_file_line_question_field_message() -> None:
    problem = Problem("quizzes/x.toml", "is required", "q1", "explanation", 12)
    assert str(problem) == 'quizzes/x.toml:12: question "q1", field "explanation": is required'


def test_an_unknown_type_keeps_the_other_questions_checked(example_text: str) -> None:
    text = example_text.replace('type = "ordering"', 'type = "sorting"').replace(
        "points = 2", "points = -1"
    )
    with pytest.raises(QuizError) as raised:
        parse_quiz(text, "two.toml")
    fields = {(p.question, p.field) for p in raised.value.problems}
    assert fields == {("loop-order", "type"), ("backward-computes", "points")}


def test_a_toml_syntax_error_names_the_line(example_text: str) -> None:
    text = example_text.replace("points = 2", "points = ")
    with pytest.raises(QuizError) as raised:
        parse_quiz(text, "syntax.toml")
    (problem,) = raised.value.problems
    assert problem.line == _line_of(text, "points = ")
    assert "not valid TOML" in problem.message


def test_a_question_without_an_id_is_named_by_its_place(example_text: str) -> None:
    text = example_text.replace('id = "grads-accumulate"\n', "", 1)
    with pytest.raises(QuizError) as raised:
        parse_quiz(text, "noid.toml")
    (problem,) = raised.value.problems
    assert (problem.question, problem.field) == ("#3", "id")
    assert problem.line == _line_of(text, "[[questions]]", 3)


def test_quiz_level_fields_are_checked(example_text: str) -> None:
    text = example_text.replace('title = "Example quiz"', 'titel = "Example quiz"')
    with pytest.raises(QuizError) as raised:
        parse_quiz(text, "top.toml")
    found = {(p.question, p.field, p.line) for p in raised.value.problems}
    assert (None, "title", None) in found  # missing: no line to point at
    assert (None, "titel", 2) in found


def test_loading_never_runs_code(tmp_path: Path, example_text: str) -> None:
    marker = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {marker}')"
    text = example_text.replace(
        'answer = "2 * (sigmoid(w*x + b) - 1) * sigmoid(w*x + b) * (1 - sigmoid(w*x + b)) * x"',
        f'answer = "{payload}"',
    )
    with pytest.raises(QuizError):
        parse_quiz(text)
    assert not marker.exists()


def test_resolve_by_name_or_path(tmp_path: Path) -> None:
    assert resolve("backprop", QUIZZES) == QUIZZES / "backprop.toml"
    assert resolve(str(EXAMPLE), QUIZZES) == EXAMPLE
    with pytest.raises(QuizError, match=r"no quiz of that name.*backprop"):
        resolve("nonesuch", QUIZZES)
    with pytest.raises(QuizError, match="no such quiz file"):
        resolve(str(tmp_path / "missing.toml"), QUIZZES)


def test_quiz_files_lists_toml_files_in_order() -> None:
    names = [p.stem for p in quiz_files(QUIZZES)]
    assert names == sorted(names)
    assert {"backprop", "chain-rule", "pytorch-loop"} <= set(names)


HEADER = 'id = "x"\ntitle = "t"\n\n[[questions]]\nid = "q"\nexplanation = "e"\n'

# (case, the rest of question "q", field, message fragment)
MORE_INVALID = [
    (
        "a param named like a function",
        'type = "numeric"\nprompt = "{exp}"\nanswer = "exp"\ntolerance = 0.1\n'
        "[questions.params]\nexp = { choices = [1] }\n",
        "params.exp",
        "is a function of the answer language",
    ),
    (
        "a param that is neither a range nor choices",
        'type = "numeric"\nprompt = "{w}"\nanswer = "w"\ntolerance = 0.1\n'
        "params = { w = { lo = 1 } }\n",
        "params.w",
        "{ low = ..., high = ... } or { choices = [...] }",
    ),
    (
        "a computed answer without a tolerance",
        'type = "numeric"\nprompt = "{w}"\nanswer = "2*w"\nparams = { w = { choices = [1, 2] } }\n',
        "tolerance",
        "needs a tolerance or an rtol",
    ),
    (
        "an answer that divides by zero for some learner",
        'type = "numeric"\nprompt = "{w}"\nanswer = "1/w"\ntolerance = 0.1\n'
        "params = { w = { choices = [1, 0] } }\n",
        "answer",
        "cannot be computed for w = 0",
    ),
    (
        "an infinite answer",
        'type = "numeric"\nprompt = "p"\nanswer = inf\n',
        "answer",
        "finite number",
    ),
    (
        "a prompt placeholder without a param",
        'type = "numeric"\nprompt = "{w} and {v}"\nanswer = "w"\ntolerance = 0.1\n'
        "params = { w = { choices = [1] } }\n",
        "prompt",
        "shows {v} but no such param exists",
    ),
    (
        "a multiple_choice without a correct option",
        'type = "multiple_choice"\nprompt = "p"\n'
        'options = [{ id = "a", text = "A" }, { id = "b", text = "B" }]\n',
        "options",
        "at least one correct option",
    ),
    (
        "an unknown scoring rule",
        'type = "multiple_choice"\nprompt = "p"\nscoring = "net"\n'
        'options = [{ id = "a", text = "A", correct = true }, { id = "b", text = "B" }]\n',
        "scoring",
        "'right_minus_wrong'",
    ),
    (
        "a retired scoring rule",
        'type = "multiple_choice"\nprompt = "p"\nscoring = "each_answer"\n'
        'options = [{ id = "a", text = "A", correct = true }, { id = "b", text = "B" }]\n',
        "scoring",
        "'right_minus_wrong'",
    ),
    (
        "a multiple_choice whose every option is correct",
        'type = "multiple_choice"\nprompt = "p"\n'
        'options = [{ id = "a", text = "A", correct = true },\n'
        '  { id = "b", text = "B", correct = true }]\n',
        "options",
        "at least one wrong option",
    ),
    (
        "a blank explanation",
        'type = "true_false"\nprompt = "p"\nanswer = true\nexplanation = "  "\n',
        "explanation",
        "at least 1 character",
    ),
    (
        "an option with an extra field",
        'type = "single_choice"\nprompt = "p"\n'
        'options = [{ id = "a", text = "A", correct = true, feedbak = "f" },\n'
        '  { id = "b", text = "B" }]\n',
        "options[0].feedbak",
        "did you mean 'feedback'",
    ),
]


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [case[1:] for case in MORE_INVALID],
    ids=[case[0] for case in MORE_INVALID],
)
def test_more_invalid_questions(body: str, field: str, fragment: str) -> None:
    text = HEADER + body
    if "explanation =" in body:
        text = text.replace('explanation = "e"\n', "", 1)
    with pytest.raises(QuizError) as raised:
        parse_quiz(text, "small.toml", prove=True)  # as `quiz validate` loads
    problems = [(p.question, p.field) for p in raised.value.problems]
    assert ("q", field) in problems, raised.value
    assert fragment in str(raised.value)
    assert all(p.line is not None for p in raised.value.problems)
