"""The reference's answers on a case (its expected value, its numeric gradient), computed
once per process where the case recurs.

A batch judges every student on the same public cases: planning names each one by where it
was drawn (`Case.known_as`: exercise, seed, check and case number), so its answers are kept
under that name, the check's and the oracle's identity and the reference's, without reading
the case's arrays again. A student's hidden case (`Case.recurs` False) never comes back: its
answers are computed and let go, never digested. A case made any other way (a mistake's
model, a release's replay) is kept under a digest of its content, as `cached_numeric` does.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from grader.numeric import ORACLE_CACHE, OracleCache, Uncacheable, cached_numeric, content_key

if TYPE_CHECKING:
    from grader.checks.base import Case

EXPECTED = "$expected"  # the variable of a check's expected value (not a numeric gradient)

# id(object) -> (a weak reference to it, its digest): checks, oracles and reference modules
# live as long as the process, and digesting one costs more than the answer it names
_DIGESTS: dict[int, tuple[weakref.ref[Any], str]] = {}


def recalled(
    oracle: Callable[[Any, Case], Any],
    reference: Any,
    case: Case,
    variable: str,
    check: object,
    cache: OracleCache | None = None,
) -> Any:
    """oracle(reference, case), from `cache` (the process's ORACLE_CACHE) where the case
    recurs, as a copy the caller may write into."""
    if not case.recurs:
        return oracle(reference, case)
    if case.known_as is None:
        if variable == EXPECTED:  # no name to keep it under, and its content costs to digest
            return oracle(reference, case)
        return cached_numeric(oracle, reference, case, variable=variable, cache=cache)
    try:
        key = _key(oracle, reference, case.known_as, variable, check)
    except Uncacheable:  # a replayed release, a check holding what has no digest
        return oracle(reference, case)
    store = ORACLE_CACHE if cache is None else cache
    found, answer = store.get(key)
    if found:
        return answer
    answer = oracle(reference, case)
    with contextlib.suppress(Uncacheable, TypeError):  # not plain numbers: served, never kept
        store.put(key, answer)
    return answer


def _key(
    oracle: Callable[..., Any], reference: Any, known_as: str, variable: str, check: object
) -> str:
    # the expected value is a method of the check, named by the check itself
    bound = getattr(oracle, "__self__", None) is check
    parts = [
        "case",
        known_as,
        variable,
        identity(check),
        "" if bound else identity(oracle),
        identity(reference),
    ]
    return "|".join(parts)


def identity(value: object) -> str:
    """The digest of an object that lives for the process (a check, an oracle, a reference
    module), taken once while it lives. Uncacheable where it has no faithful digest."""
    held = _DIGESTS.get(id(value))
    if held is not None and held[0]() is value:
        return held[1]
    digest = content_key(value)
    key = id(value)

    def forget(reference: weakref.ref[Any]) -> None:
        if _DIGESTS.get(key, (None,))[0] is reference:
            del _DIGESTS[key]

    with contextlib.suppress(TypeError):  # not weakly referable: digested every time
        _DIGESTS[key] = (weakref.ref(value, forget), digest)
    return digest
