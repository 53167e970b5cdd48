"""A check that also hands the report the numbers behind a picture (`CheckReport.data`).

It judges as an `OutputCheck` does, and its function (a driver, as a rule: the learner's own
functions run together on a case) returns named lists of per-layer values,
`{"grad_norm": [...], "saturation": [...]}`. What the learner's code returned on each first
draw becomes the report's `PlotData.layers`, one entry per quantity and case
("grad_norm, sigmoid, small": {"1": ..., "2": ...}), right or wrong: it is their picture.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from grader.checks.base import Evidence, OutputCheck, Verdict
from grader.report import PlotData


@dataclass(frozen=True)
class PictureCheck(OutputCheck):
    """`note` is added to a failing verdict: what the picture is made of, and where to look."""

    note: str = ""

    def judge(self, reference: ModuleType, evidence: Evidence) -> Verdict:
        verdict = super().judge(reference, evidence)
        if not verdict.passed and not verdict.not_started and self.note:
            verdict = dataclasses.replace(verdict, message=f"{verdict.message}\n  {self.note}")
        layers: dict[str, dict[str, float]] = {}
        for case, results in zip(evidence.cases, evidence.results, strict=True):
            if not case.numeric:  # a second draw: the picture shows each case once
                continue
            layers.update(_layers(case.label, results[-1].value))
        return dataclasses.replace(verdict, data=PlotData(layers=layers)) if layers else verdict


def _layers(label: str, value: Any) -> dict[str, dict[str, float]]:
    """{quantity: [per layer]} as PlotData's layers; anything else shows nothing."""
    if not isinstance(value, dict):
        return {}
    found = {}
    for quantity, values in value.items():
        try:
            numbers = [float(v) for v in values]
        except (TypeError, ValueError):
            continue
        found[f"{quantity}, {label}"] = {str(i): v for i, v in enumerate(numbers, start=1)}
    return found
