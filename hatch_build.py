"""Build hook: a regular wheel carries the course in grader/_course; an editable one does not.

hatchling's static force-include also applies to editable wheels, which would leave a copy of
the reference solutions in site-packages, readable by any user; learner code runs as one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

COURSE = ("exercises", "solutions", "specs", "quizzes", "drivers")
OPTIONAL = ("drivers",)  # a course whose exercises are all plain functions has no drivers


class CourseHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        for folder in COURSE:
            if folder in OPTIONAL and not (Path(self.root) / folder).is_dir():
                continue
            build_data["force_include"][folder] = f"grader/_course/{folder}"
