"""Quiz text wrapped to the terminal: lines break between words, never inside a word or a
formula.

textwrap alone breaks at any space and after hyphens, so at 80 columns `y_hat - y` could end a
line at `y_hat -` and `credit-assignment` at `credit-`. Here a formula is kept whole: words
joined by an operator (`w*x + b`, `L = (a - y)^2 / 2`, `dL/da * da/dz`) and whatever stands
inside brackets (`max(0, z)`) or backticks (a command to type) are glued into one unit
before wrapping. A unit wider than the
line is the one thing allowed to break, at its own spaces, since overflowing the terminal
would break it anyway, and at an arbitrary column.
"""

from __future__ import annotations

import re
import textwrap

# Words that join their neighbours into one formula: arithmetic, comparison and arrows.
_OPERATOR = re.compile(r"^(?:[=+\-*/^<>≈→←×·÷−@%]|\*\*|//|[<>=!+\-*/]=|->|<-|=>|\|)$")
_RELATION = re.compile(r"^(?:[=<>≈→←]|[<>=!]=|->|<-|=>)$")
_OPENING, _CLOSING = "([{", ")]}"
# Stands for a space inside a unit while textwrap runs: textwrap splits at ASCII whitespace
# only, and this private-use character never appears in course text.
_GLUE = "\ue000"
_SHORT_BRACKET = 4  # words a bare bracket may span and still be kept whole


def _depth_change(word: str) -> int:
    return sum(char in _OPENING for char in word) - sum(char in _CLOSING for char in word)


def _bracket_ends(words: list[str]) -> dict[int, int]:
    """For each word that opens a bracket to keep whole, the index of the word that closes
    it. A call or an index (`max(0, z)`, `W[:, j]`) is kept whole however long; a bare
    bracket only when short, as `(N, D)` is a shape while `(see the note above ...)` is prose."""
    ends: dict[int, int] = {}
    index = 0
    while index < len(words):
        word = words[index]
        depth = _depth_change(word)
        if depth <= 0:
            index += 1
            continue
        close = index
        while depth > 0 and close + 1 < len(words):
            close += 1
            depth = max(0, depth + _depth_change(words[close]))
        call = word[0] not in _OPENING
        if depth == 0 and (call or close - index < _SHORT_BRACKET):
            ends[index] = close
        index = close + 1 if index in ends else index + 1
    return ends


def units(paragraph: str) -> list[list[str]]:
    """The paragraph's words grouped into the units a line may not break inside."""
    words = paragraph.split()
    ends = _bracket_ends(words)
    grouped: list[list[str]] = []
    joins_next = False
    glued_until = -1  # the last word of a bracket being kept whole
    in_code = False  # inside `...`: a command to type, kept on one line
    for index, word in enumerate(words):
        operator = bool(_OPERATOR.match(word))
        if grouped and (operator or joins_next or index <= glued_until or in_code):
            grouped[-1].append(word)
        else:
            grouped.append([word])
        joins_next = operator
        glued_until = max(glued_until, ends.get(index, -1))
        in_code ^= word.count("`") % 2 == 1
    return grouped


def _fitting(unit: list[str], room: int) -> list[list[str]]:
    """`unit` as it may be laid out in lines of `room` characters: whole where it fits, else
    cut before each relation (`=`, `->`), as a long equation is continued on the next line,
    and, where a side is still too wide, before its operators."""
    if len(" ".join(unit)) <= room:
        return [unit]
    sides: list[list[str]] = [[]]
    for word in unit:
        if _RELATION.match(word) and sides[-1]:
            sides.append([])
        sides[-1].append(word)
    laid_out: list[list[str]] = []
    for side in sides:
        if len(" ".join(side)) <= room:
            laid_out.append(side)
            continue
        # Cut before an operator, never after one: a line that ends on "+" reads as finished.
        for word in side:
            if laid_out and laid_out[-1] and _OPERATOR.match(laid_out[-1][-1]):
                laid_out[-1].append(word)
            else:
                laid_out.append([word])
    return laid_out


def wrap(text: str, width: int, indent: str = "", hanging: str | None = None) -> list[str]:
    """`text` as lines of at most `width` characters (where its words allow), keeping its own
    line breaks; the first line starts with `indent`, the others with `hanging` (by default
    spaces as wide as `indent`)."""
    rest = " " * len(indent) if hanging is None else hanging
    lines: list[str] = []
    for number, paragraph in enumerate(text.splitlines() or [""]):
        first = indent if number == 0 else rest
        room = width - max(len(first), len(rest))
        pieces: list[str] = []
        for unit in units(paragraph):
            for part in _fitting(unit, room):
                pieces.append(_GLUE.join(part))
        wrapped = textwrap.wrap(
            " ".join(pieces),
            width,
            initial_indent=first,
            subsequent_indent=rest,
            break_long_words=False,
            break_on_hyphens=False,
        )
        lines += [line.replace(_GLUE, " ") for line in wrapped] or [first.rstrip()]
    return lines
