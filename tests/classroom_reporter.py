"""What GitHub Classroom's autograding reporter shows of a runner's result.

`classroom-resources/autograding-grading-reporter` (v1) prints, for each runner, "Total points
for <runner>: X/max" and a summary table whose Test Score is passed tests over all tests
times the result's max_score (every test weighs the same), then "Grand total tests passed:
passed/all". The grade it hands to Classroom (its "Points t/r" notice) is the sum of the
tests' `score` over max_score. Written here from that documented behaviour, not copied, so
that tests can hold bpgrade's results to it without a network or Node.
"""

from __future__ import annotations

from typing import Any


def js_number(value: float) -> str:
    """A number as JavaScript prints it (`${x}`): whole numbers without a decimal point."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def reporter_view(result: dict[str, Any]) -> dict[str, str]:
    """Every total the reporter shows of one runner's result, and the one Classroom records."""
    tests, max_score = result["tests"], result["max_score"]
    passed = sum(test["status"] == "pass" for test in tests)
    weighed = passed / len(tests) * (max_score or 0)
    recorded = sum(test["score"] for test in tests)
    return {
        "log": f"{weighed:.2f}/{js_number(max_score)}",  # toFixed(2)
        "table": f"{js_number(weighed)}/{js_number(max_score)}",
        "tests passed": f"{passed}/{len(tests)}",
        "recorded": f"{js_number(recorded)}/{js_number(max_score)}",
    }
