"""The typed vocabulary an exercise's spec is written in (specs/<exercise>.py).

A spec declares each function of the contract once, as a `Function` (its name, its arguments,
what it returns, the cases that meet its mistakes), and asks it for its checks:
`LINEAR_BACKWARD.output("dW", gradient=gradient_of(LINEAR_FORWARD, wrt="W", upstream="dZ"))`.
From the declaration the engine derives what an author used to write by hand, and could get
out of step: the check's name (`linear_backward.dW`), the part of the returned tuple it
judges, the sentence that says what the function returns, the numeric oracle, and the
"arguments unchanged" advice over every function.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, cast

import numpy as np

from grader.calls import Part, pick
from grader.checks.backward import CacheFedCheck
from grader.checks.base import STABILITY_ADVICE, Case, Mistake, OutputCheck, Plot
from grader.checks.unchanged import ArgumentsUnchanged
from grader.judge.compare import ATOL, Magnitude
from grader.numeric import numeric_derivative, smooth_numeric_gradient, upstream_loss

CaseMaker = Callable[[np.random.Generator], list[Case]]
# what the reference computes for one case: an expected value, a mistake, a numeric gradient
Model = Callable[[ModuleType, Case], Any]


@dataclass(frozen=True)
class Function:
    """One function of the exercise's contract.

    `returns` names what it returns: one name for a single value ("Z"), a tuple of names for
    a returned tuple (("dX", "dW", "db")), whose items are then judged one check each.
    `keys` are those of a returned dict ("grads" with the keys W1, b1...), judged one check
    each the same way. `cache_from` is the forward pass whose returned `cache` this function
    takes as its argument of that name: its checks then call that forward first, in the
    learner's code, and pass its cache along untouched (`CacheFedCheck`).
    `return_shape` says it in words where the names cannot."""

    name: str
    arguments: tuple[str, ...]
    cases: CaseMaker | None = None
    returns: str | tuple[str, ...] = ""
    keys: tuple[str, ...] = ()
    keys_like: str = ""  # the argument whose keys a returned dict must have, if any
    cache_from: Function | None = None
    return_shape: str = ""
    # where `name` is a class, or takes callbacks: the driver (of exercise's drivers module)
    # that builds and drives it from the arguments, on the learner's side and the reference's
    driver: str | None = None
    exercise: str = ""
    # the functions of the exercise it calls, in the contract or the stub: where one of them
    # fails too, its failure is named as the likely cause (grader.checks.consequences)
    uses: tuple[str, ...] = ()
    # what to do when a `stable` output of it fails, where its formula has its own way to
    # overflow (an output may say otherwise)
    advice: str = STABILITY_ADVICE

    @property
    def items(self) -> tuple[str, ...]:
        return self.returns if isinstance(self.returns, tuple) else ()

    @property
    def returns_in_words(self) -> str:
        """The sentence that ends "it should return ...", for messages about the structure."""
        if self.return_shape:
            return self.return_shape
        if self.keys:
            return f"a dict with the keys {', '.join(self.keys)}"
        return f"a tuple ({', '.join(self.items)})" if self.items else ""

    def _part(self, item: str) -> Part:
        if item in self.keys:
            return item
        if item in self.items:
            return self.items.index(item)
        raise ValueError(f"{self.name} returns {self.returns!r}, which has no {item!r}")

    def _shown(self, item: str | None) -> str:
        single = self.returns if isinstance(self.returns, str) else ""
        if item is not None and item in self.keys:
            return f"{single}[{item!r}]"
        return item or single

    def output(
        self,
        item: str | None = None,
        *,
        suffix: str | None = None,
        shown: str | None = None,
        cases: CaseMaker | None = None,
        mistakes: tuple[Mistake, ...] = (),
        gradient: Model | None = None,
        expected: Model | None = None,
        stable: bool = False,
        elementwise: tuple[str, ...] = (),
        baseline: Callable[[Case], Any] | None = None,
        keep: Part = None,
        advice: str | None = None,
        magnitude: Magnitude | None = None,
        atol: float = ATOL,
        errors: tuple[tuple[str, str], ...] = (),
        plot: Plot | None = None,
        why: str = "",
        unnamed: str = "",
        repeat_seeded: bool = True,
        keeps_arguments: bool = False,
    ) -> OutputCheck:
        """The check of one returned item (or of the whole return value when `item` is None).

        Its name is `function.item`, or `function.suffix` where the suffix says more (a
        `stable` variant on large inputs, the item of a tuple under a shorter name); `shown`
        is what the learner reads the value as, where that differs from the item's name;
        `errors` pairs an error's type with a sentence on what to do when a call raises it;
        `plot` puts the answers into the report as a picture's numbers (OutputCheck.plot); `why`
        is a sentence added to each failing verdict, on why what the check holds to is true;
        `unnamed` one added where no known mistake is named, on where else to look;
        `repeat_seeded` False spares a costly seeded call its repeat (OutputCheck);
        `keeps_arguments` says in a pass where a call changed its arguments (OutputCheck)."""
        part = None if item is None else self._part(item)
        tail = suffix if suffix is not None else item
        make_cases = cases if cases is not None else self.cases
        if make_cases is None:
            raise ValueError(f"{self.name} has no cases: give the Function or the output some")
        whole = item is None and keep is None and len(self.items) > 1
        # a driven class or callback is checked by what its driver does with it
        base = self.driver or self.name
        check = OutputCheck(
            name=f"{base}.{tail}" if tail else base,
            function=self.name,
            arguments=self.arguments,
            make_cases=make_cases,
            part=part,
            returns_in_words=self.returns_in_words,
            output_name=shown or self._shown(item),
            expected=expected,
            numeric=gradient,
            mistakes=mistakes,
            stable=stable,
            baseline=baseline,
            item_names=self.items if whole else (),
            keep=keep,
            advice=advice if advice is not None else self.advice,
            elementwise=elementwise,
            driver=self.driver,
            exercise=self.exercise,
            magnitude=magnitude,
            atol=atol,
            errors=errors,
            plot=plot,
            why=why,
            unnamed=unnamed,
            repeat_seeded=repeat_seeded,
            uses=self.uses,
            keeps_arguments=keeps_arguments,
        )
        return check if self.cache_from is None else self._fed_its_cache(check)

    def _fed_its_cache(self, check: OutputCheck) -> CacheFedCheck:
        forward = self.cache_from
        assert forward is not None
        cache = next(name for name in self.arguments if name in forward.items)
        output = next(i for i, name in enumerate(forward.items) if name != cache)
        fields = {f.name: getattr(check, f.name) for f in dataclasses.fields(OutputCheck)}
        return CacheFedCheck(
            **fields,
            forward=forward.name,
            forward_arguments=forward.arguments,
            forward_output=output,
            forward_output_name=forward.items[output],
            cache_item=forward.items.index(cache),
            cache_argument=cache,
            keys=self.keys,
            keys_like=self.keys_like,
        )


@dataclass(frozen=True)
class GradientOf:
    """The numeric oracle of a backward output: central differences of the reference forward.

    The gradient of sum(forward(...) * upstream) with respect to the argument `wrt` (or, for
    a loss that is already a scalar, of the forward's output itself). `wrt` may name an entry
    of a dict argument as "params.W1"; `output` picks an item of a forward that returns a
    tuple. Kinks (ReLU at 0) come back as NaN: no numeric answer there."""

    forward: Function
    wrt: str
    upstream: str | None = None
    output: int | None = None

    def __call__(self, reference: ModuleType, case: Case) -> Any:
        inputs = case.inputs
        argument, _, key = self.wrt.partition(".")
        function = getattr(reference, self.forward.name)

        def forward(value: Any) -> Any:
            moved = {**inputs, argument: {**inputs[argument], key: value} if key else value}
            return pick(function(*(moved[name] for name in self.forward.arguments)), self.output)

        at = inputs[argument][key] if key else inputs[argument]
        loss = forward if self.upstream is None else upstream_loss(forward, inputs[self.upstream])
        if isinstance(at, float):
            return numeric_derivative(cast(Callable[[float], float], loss), at)
        return smooth_numeric_gradient(loss, at)


def gradient_of(
    forward: Function, wrt: str, upstream: str | None = None, output: int | None = None
) -> GradientOf:
    return GradientOf(forward, wrt, upstream, output)


def arguments_unchanged(*functions: Function) -> ArgumentsUnchanged:
    """The contract's "no function modifies its arguments", over these functions' calls."""
    return ArgumentsUnchanged(arguments={f.name: f.arguments for f in functions})
