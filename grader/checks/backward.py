"""A backward pass fed the cache of the learner's own forward pass.

`forward(...) -> (output, cache)` then `backward(..., cache, upstream)`: the cache is whatever
the learner chose to keep, so it never crosses the line. The backward call takes it by
reference (`Ref`) from the forward call made just before, in the same child. A twin draw's
forward runs in between, so a backward that reads a global left by the last forward, instead
of its cache, gets the other draw's numbers and is caught.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from grader.calls import Call, CallResult, LearnerError, Part, Ref, pick
from grader.checks.base import Case, OutputCheck, Verdict
from grader.judge.compare import close


@dataclass(frozen=True)
class CacheFedCheck(OutputCheck):
    """One output of a backward that takes the cache its forward returned.

    `forward` and `forward_arguments` name the forward call; its return value's item
    `forward_output` is the forward's output (judged only to say "fix the forward first"),
    item `cache_item` is the cache, passed as the backward's argument `cache_argument`.
    Where the backward returns a dict (`keys`), the check of the first key also judges the
    dict's keys; the others see their own key only. `keys_like` names what the keys must
    match, in the learner's words."""

    forward: str = ""
    forward_arguments: tuple[str, ...] = ()
    forward_output: int = 0
    forward_output_name: str = ""
    cache_item: int = 1
    cache_argument: str = "cache"
    keys: tuple[str, ...] = ()
    keys_like: str = ""

    @property
    def returned_part(self) -> Part:
        if self.keys and self.part == self.keys[0]:
            return None
        return super().returned_part

    def calls_for(self, case: Case, id: str) -> list[Call]:
        """forward(A), forward(B), backward(the cache of A)."""
        forward = self._forward_call(f"{id}:forward", case)
        calls = [forward]
        if case.twin is not None:
            calls.append(self._forward_call(f"{id}:other", case.twin))
        cache = Ref(forward.id, self.cache_item)
        args = tuple(
            cache if name == self.cache_argument else case.inputs[name] for name in self.arguments
        )
        return [*calls, Call(id, self.function, args, keep=self.returned_part)]

    def _forward_call(self, id: str, case: Case) -> Call:
        args = tuple(case.inputs[name] for name in self.forward_arguments)
        return Call(id, self.forward, args, keep=self.forward_output)

    def expected_value(self, reference: ModuleType, case: Case) -> Any:
        if self.expected is not None:
            return self.expected(reference, case)
        inputs = copy.deepcopy(case.inputs)
        cache = pick(self._reference_forward(reference, inputs), self.cache_item)
        args = (cache if name == self.cache_argument else inputs[name] for name in self.arguments)
        return pick(getattr(reference, self.function)(*args), self.part)

    def _reference_forward(self, reference: ModuleType, inputs: dict[str, Any]) -> Any:
        forward = getattr(reference, self.forward)
        return forward(*(inputs[name] for name in self.forward_arguments))

    def judge_case(
        self,
        reference: ModuleType,
        case: Case,
        calls: list[Call],
        results: list[CallResult],
        oracle: bool = True,
    ) -> Verdict | None:
        results = self._narrowed(results)
        verdict = super().judge_case(reference, case, calls, results, oracle)
        if verdict is None or verdict.not_started or results[0].error is not None:
            return verdict
        output = self._reference_forward(reference, copy.deepcopy(case.inputs))
        if close(results[0].value, pick(output, self.forward_output)):
            return verdict
        note = (
            f"\n  Note: your {self.forward}'s {self.forward_output_name} is wrong on these "
            f"inputs too, and backward works from its cache: fix the forward pass first."
        )
        return dataclasses.replace(verdict, message=verdict.message + note)

    def _narrowed(self, results: list[CallResult]) -> list[CallResult]:
        """The whole dict judged for its keys, then only this check's part of it."""
        last = results[-1]
        if self.returned_part == self.part or last.error is not None:
            return results
        returned = last.value
        if not isinstance(returned, dict):
            problem = f"returned a {type(returned).__name__}, not a dict"
        elif set(returned) != set(self.keys):
            keys = ", ".join(repr(k) for k in sorted(returned))
            problem = f"returned a dict with the keys {keys}, not exactly those of {self.keys_like}"
        else:
            return [*results[:-1], dataclasses.replace(last, value=returned[self.part])]
        error = LearnerError("bad_return", "", problem)
        return [*results[:-1], dataclasses.replace(last, value=None, error=error)]
