"""The benchmarks' own machinery: a benchmark that measures the wrong course or class would
print figures that look right and mean nothing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from grader.catalog import load_catalog

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _benchmark(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_a_trimmed_course_holds_the_first_exercises_only(tmp_path: Path) -> None:
    scale = _benchmark("speed_and_scale")
    course = scale.trimmed_course(tmp_path, 5)
    names = [entry.name for entry in load_catalog(course / "exercises" / "catalog.toml").exercises]
    assert names == [f"exercise{number:02d}" for number in range(1, 6)]
    assert (course / "solutions" / "exercise05_two_layer.py").is_file()


def test_a_generated_class_mixes_correct_buggy_and_untouched_submissions(tmp_path: Path) -> None:
    scale = _benchmark("speed_and_scale")
    files = scale.exercise_files(5)
    assert [name[:10] for name in files] == [f"exercise{n:02d}" for n in range(1, 6)]
    scale.build_class(tmp_path, 6, files)
    students = sorted(tmp_path.iterdir())
    assert len(students) == 6 and all(len(list(s.iterdir())) == 5 for s in students)
    root = BENCHMARKS.parent

    def same(student: Path, kind: str) -> int:
        return sum((student / n).read_bytes() == (root / kind / n).read_bytes() for n in files)

    assert same(students[0], "solutions") == 5  # correct
    assert same(students[1], "solutions") == 4  # one file from the corpus of mistakes
    assert same(students[2], "exercises") == 5  # the stubs


def test_a_release_midway_holds_solutions_first_and_untouched_stubs_after(tmp_path: Path) -> None:
    scale = _benchmark("speed_and_scale")
    root = BENCHMARKS.parent
    release = tmp_path / "release"
    (release / "expected" / "stubs").mkdir(parents=True)
    (release / "expected" / "stubs" / "kept.py").write_text("# kept\n", encoding="utf-8")
    scale.shutil.copytree(root / "exercises", release / "exercises")
    checkout = scale.release_midway(release, tmp_path, 5)
    assert checkout != release and (checkout / "expected" / "stubs" / "kept.py").is_file()

    def same(folder: Path, kind: str) -> list[str]:
        files = scale.exercise_files(12)
        mine = {name: (folder / "exercises" / name).read_bytes() for name in files}
        return [name[:10] for name in files if mine[name] == (root / kind / name).read_bytes()]

    assert same(checkout, "solutions") == [f"exercise{n:02d}" for n in range(1, 6)]
    assert same(checkout, "exercises") == [f"exercise{n:02d}" for n in range(6, 13)]
    assert len(same(release, "exercises")) == 12  # the release itself left as it was
