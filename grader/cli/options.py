"""Options shared by the commands that run learner code: `check` and `grade`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from grader.sandbox import Limits

F = TypeVar("F", bound=Callable[..., Any])

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


class Size(click.ParamType):
    """A size in bytes: 1GiB, 512MiB, 2G, 1048576."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgKMG]?)(?:i?[bB])?\s*", str(value))
        if match is None:
            self.fail(f"{value!r} is not a size such as 1GiB, 512MiB or 2000000", param, ctx)
        size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
        if size < 64 << 20:
            self.fail(f"{value} is too little memory for Python and NumPy (64 MiB at least)")
        return size


def limits_options(function: F) -> F:
    """--timeout, --memory and --user, as `limits` of `grader.sandbox.Limits`."""
    options = [
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1),
            default=10.0,
            show_default=True,
            help="Seconds each exercise may run (wall clock); its CPU time is capped alike.",
        ),
        click.option(
            "--memory",
            type=Size(),
            default="1GiB",
            show_default=True,
            help="Memory each exercise may use.",
        ),
        click.option(
            "--user",
            default="auto",
            show_default=True,
            help=(
                "When run as root: the unprivileged user that learner code runs as; 'auto' "
                "gives each sandbox a uid of its own that no other software uses."
            ),
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def make_limits(timeout: float, memory: int, user: str) -> Limits:
    from grader.sandbox import Limits

    return Limits(timeout=timeout, memory=memory, user=user)
