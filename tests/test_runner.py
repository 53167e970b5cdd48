"""grader.runner on its own: what crosses back to the judge, and how learner code is run."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from grader.calls import Call, CallResult, NoResults, Ref
from grader.runner import NotPlain, run_exercise, to_plain

# --- to_plain ----------------------------------------------------------------------------------


class AlwaysEqual(np.ndarray):
    """An array that claims to equal anything."""

    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        return True

    __hash__ = None  # type: ignore[assignment]


class CleverFloat(float):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = float.__hash__


def test_to_plain_keeps_numeric_arrays_as_copies() -> None:
    for array in (
        np.arange(6.0).reshape(2, 3),
        np.arange(4, dtype=np.int32),
        np.array([True, False]),
        np.arange(3, dtype=np.uint8),
        np.array(2.5),
    ):
        plain = to_plain(array)
        assert type(plain) is np.ndarray
        assert plain.dtype == array.dtype
        np.testing.assert_array_equal(plain, array)
        assert not np.shares_memory(plain, array)


def test_to_plain_numbers() -> None:
    assert to_plain(3) == 3
    assert type(to_plain(3)) is int
    assert to_plain(2.5) == 2.5
    assert type(to_plain(2.5)) is float
    assert to_plain(True) is True
    assert type(to_plain(np.float64(1.5))) is float
    assert type(to_plain(np.int64(7))) is int
    assert to_plain(np.int64(7)) == 7
    assert to_plain(np.bool_(True)) is True


def test_to_plain_strips_a_number_subclass() -> None:
    plain = to_plain(CleverFloat(1.25))
    assert type(plain) is float
    assert plain == 1.25
    assert plain != 7.0


def test_to_plain_containers() -> None:
    value = {"Z": np.ones((2, 2)), "cache": (np.zeros(3), [1, 2.0]), "n": 4}
    plain = to_plain(value)
    assert set(plain) == {"Z", "cache", "n"}
    assert isinstance(plain["cache"], tuple)
    assert isinstance(plain["cache"][1], list)
    assert plain["cache"][1] == [1, 2.0]
    np.testing.assert_array_equal(plain["Z"], np.ones((2, 2)))
    assert plain["Z"] is not value["Z"]


@pytest.mark.parametrize(
    "value",
    [
        np.array([object(), object()], dtype=object),
        np.array([1 + 2j]),
        np.array(["a", "b"]),
        {1: np.ones(2)},
        {("W", 1): 2.0},
        object(),
        "a string",
        None,
        [np.ones(2), object()],
        (1.0, {"ok": 1, "bad": object()}),
        np.complex128(1j),
        lambda: 1,
    ],
    ids=[
        "object-array",
        "complex-array",
        "string-array",
        "int-key",
        "tuple-key",
        "object",
        "str",
        "None",
        "object-in-list",
        "object-nested",
        "complex-scalar",
        "function",
    ],
)
def test_to_plain_rejects(value: object) -> None:
    with pytest.raises(NotPlain):
        to_plain(value)


def test_to_plain_rejects_deep_nesting() -> None:
    value: list = [1.0]
    for _ in range(20):
        value = [value]
    with pytest.raises(NotPlain):
        to_plain(value)


def test_to_plain_turns_an_ndarray_subclass_into_a_plain_array() -> None:
    clever = np.arange(6.0).reshape(2, 3).view(AlwaysEqual)
    assert (clever == np.zeros(1)) is True  # the subclass lies
    plain = to_plain(clever)
    assert type(plain) is np.ndarray
    np.testing.assert_array_equal(plain, np.arange(6.0).reshape(2, 3))
    assert not (plain == np.zeros((2, 3))).all()


def test_to_plain_is_not_fooled_by_a_subclass_that_lies_about_its_dtype() -> None:
    class LyingDtype(np.ndarray):
        @property
        def dtype(self) -> np.dtype:  # type: ignore[override]
            return np.dtype(np.float64)

    sneaky = np.array([object(), object()], dtype=object).view(LyingDtype)
    try:
        plain = to_plain(sneaky)
    except NotPlain:
        return
    assert type(plain) is np.ndarray
    assert plain.dtype.kind in "biuf"


# --- run_exercise ------------------------------------------------------------------------------


def write(folder: Path, name: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def run(path: Path, *calls: Call) -> list[CallResult]:
    results = run_exercise(path, list(calls))
    assert not isinstance(results, NoResults), results
    assert len(results) == len(calls)
    return results


def test_a_plain_call_returns_plain_data(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rt_plain.py",
        """
        import numpy as np

        def double(x):
            return 2 * x
        """,
    )
    x = np.arange(3.0)
    [result] = run(path, Call("c", "double", (x,)))
    assert result.error is None
    assert type(result.value) is np.ndarray
    np.testing.assert_array_equal(result.value, 2 * x)
    assert result.warnings == []


def test_not_implemented_is_its_own_kind(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rt_stub.py",
        """
        def f(x):
            raise NotImplementedError("f: write me")
        """,
    )
    [result] = run(path, Call("c", "f", (1.0,)))
    assert result.error is not None
    assert result.error.kind == "not_implemented"
    assert result.error.type == "NotImplementedError"
    assert result.value is None


def test_an_exception_names_only_the_learners_frames(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rt_boom.py",
        """
        import numpy as np

        def helper(a):
            return np.linalg.inv(a)

        def invert(a):
            return helper(a) + 1
        """,
    )
    [result] = run(path, Call("c", "invert", (np.zeros((2, 2)),)))
    error = result.error
    assert error is not None
    assert error.kind == "exception"
    assert error.type == "LinAlgError"
    assert [f.file for f in error.frames] == ["rt_boom.py", "rt_boom.py"]
    assert [f.function for f in error.frames] == ["invert", "helper"]
    assert [f.line for f in error.frames] == [8, 5]
    assert error.frames[-1].code == "return np.linalg.inv(a)"


def test_sys_exit_inside_a_function_is_an_exception(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rt_exit.py",
        """
        import sys

        def f(x):
            sys.exit(3)
        """,
    )
    [result] = run(path, Call("c", "f", (1.0,)))
    assert result.error is not None
    assert result.error.kind == "exception"
    assert result.error.type == "SystemExit"


def test_a_missing_function_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "rt_missing.py", "def other(x):\n    return x\n")
    [result] = run(path, Call("c", "linear_forward", (1.0,)))
    assert result.error is not None
    assert result.error.kind == "exception"
    assert "linear_forward" in result.error.message
    assert "rt_missing.py" in result.error.message


def test_a_non_plain_return_is_a_bad_return(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rt_bad.py",
        """
        def f(x):
            return object()

        def g(x):
            return x
        """,
    )
    bad, good = run(path, Call("a", "f", (1.0,)), Call("b", "g", (1.0,)))
    assert bad.error is not None
    assert bad.error.kind == "bad_return"
    assert bad.value is None
    assert good.error is None
    assert good.value == 1.0


CHAIN = """
import numpy as np

class Secret:
    pass

def forward(X, W):
    Z = X @ W.T
    return Z, {"X": X, "W": W, "secret": Secret()}

def backward(dZ, cache):
    assert isinstance(cache["secret"], Secret)
    return dZ.T @ cache["X"]

def named(x):
    return {"out": 2 * x, "secret": Secret()}
"""


def test_a_ref_feeds_an_earlier_output_to_a_later_call(tmp_path: Path) -> None:
    path = write(tmp_path, "rt_chain.py", CHAIN)
    rng = np.random.default_rng(0)
    X, W, dZ = rng.normal(size=(3, 4)), rng.normal(size=(2, 4)), rng.normal(size=(3, 2))
    fwd, bwd = run(
        path,
        Call("fwd", "forward", (X, W), keep=0),
        Call("bwd", "backward", (dZ, Ref("fwd", 1))),
    )
    assert fwd.error is None, fwd.error
    np.testing.assert_allclose(fwd.value, X @ W.T)  # only Z comes back: keep=0
    assert bwd.error is None, bwd.error
    np.testing.assert_allclose(bwd.value, dZ.T @ X)
    assert bwd.args_after[1] is None  # the judge never saw the cache


def test_keep_selects_what_comes_back(tmp_path: Path) -> None:
    path = write(tmp_path, "rt_keep.py", CHAIN)
    X, W = np.ones((2, 3)), np.ones((4, 3))
    whole, by_key = run(
        path,
        Call("whole", "forward", (X, W)),  # the whole (Z, cache) holds an object
        Call("key", "named", (np.ones(2),), keep="out"),
    )
    assert whole.error is not None
    assert whole.error.kind == "bad_return"
    assert by_key.error is None
    np.testing.assert_array_equal(by_key.value, 2 * np.ones(2))


def test_a_ref_to_a_dict_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rt_dictref.py",
        """
        def make(x):
            return {"a": x + 1, "b": x + 2}

        def use(v):
            return v * 10
        """,
    )
    _, used = run(
        path,
        Call("make", "make", (1.0,), keep="a"),
        Call("use", "use", (Ref("make", "b"),)),
    )
    assert used.error is None
    assert used.value == 30.0


def test_a_call_after_a_failed_one_is_skipped(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rt_skip.py",
        """
        def forward(x):
            raise NotImplementedError

        def backward(cache):
            return 1.0
        """,
    )
    fwd, bwd = run(
        path,
        Call("fwd", "forward", (1.0,)),
        Call("bwd", "backward", (Ref("fwd"),)),
    )
    assert fwd.error is not None
    assert fwd.error.kind == "not_implemented"
    assert bwd.error is not None
    assert bwd.error.kind == "skipped"


def test_warnings_are_recorded(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rt_warn.py",
        """
        import warnings
        import numpy as np

        def overflow(z):
            return np.exp(z)

        def quiet(z):
            return np.exp(-np.abs(z))

        def loud(z):
            warnings.warn("careful", UserWarning)
            return z
        """,
    )
    big = np.array([1000.0, -1000.0])
    overflow, quiet, loud = run(
        path,
        Call("a", "overflow", (big,)),
        Call("b", "quiet", (big,)),
        Call("c", "loud", (1.0,)),
    )
    assert overflow.error is None
    assert any(w.startswith("RuntimeWarning") and "overflow" in w for w in overflow.warnings)
    assert quiet.warnings == []
    assert loud.warnings == ["UserWarning: careful"]


def test_args_after_reveal_an_argument_modified_in_place(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rt_inplace.py",
        """
        def relu(Z):
            Z[Z < 0] = 0
            return Z

        def clean_relu(Z):
            return Z * (Z > 0)
        """,
    )
    z = np.array([-1.0, 2.0, -3.0])
    dirty, clean = run(path, Call("a", "relu", (z,)), Call("b", "clean_relu", (z,)))
    np.testing.assert_array_equal(dirty.args_after[0], [0.0, 2.0, 0.0])
    assert clean.args_after == (None,)  # unchanged arguments are not sent back
    np.testing.assert_array_equal(z, [-1.0, 2.0, -3.0])  # the planned argument is untouched


def test_a_result_that_shares_memory_with_an_argument_is_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rt_views.py",
        """
        def first_row(dZ, X):
            return dZ[0], X.sum(axis=0)

        def itself(dZ, X):
            return X

        def fresh(dZ, X):
            return dZ[0].copy()

        def keyed(dZ, scale=None):
            return {"a": scale}
        """,
    )
    dZ, X = np.ones((1, 3)), np.ones((2, 3))
    view, same, new, by_name = run(
        path,
        Call("a", "first_row", (dZ, X)),
        Call("b", "itself", (dZ, X)),
        Call("c", "fresh", (dZ, X)),
        Call("d", "keyed", (dZ,), {"scale": X}),
    )
    assert view.aliases == (0,)
    assert same.aliases == (1,)
    assert new.aliases == ()
    assert by_name.aliases == ("scale",)


def test_a_learners_own_cache_may_be_handed_back(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rt_cache.py",
        """
        import numpy as np

        def forward(X):
            return X * 2, X * 3

        def backward(cache):
            return cache
        """,
    )
    _, back = run(path, Call("f", "forward", (np.ones(2),)), Call("b", "backward", (Ref("f", 1),)))
    assert back.error is None and back.aliases == ()


def test_each_call_gets_its_own_copy_of_the_arguments(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rt_copy.py",
        """
        def bump(a, params):
            before = (a.copy(), params["w"].copy())
            a += 1
            params["w"] *= 10
            return before
        """,
    )
    a = np.zeros(3)
    params = {"w": np.ones(2)}
    first, second = run(path, Call("1", "bump", (a, params)), Call("2", "bump", (a, params)))
    for result in (first, second):
        assert result.error is None
        np.testing.assert_array_equal(result.value[0], np.zeros(3))
        np.testing.assert_array_equal(result.value[1], np.ones(2))
    np.testing.assert_array_equal(second.args_after[0], np.ones(3))
    np.testing.assert_array_equal(second.args_after[1]["w"], 10 * np.ones(2))
    np.testing.assert_array_equal(a, np.zeros(3))
    np.testing.assert_array_equal(params["w"], np.ones(2))


def test_keyword_arguments_are_copied_and_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rt_kwargs.py",
        """
        def scale(x, factor=1.0):
            x *= factor
            return x.sum()
        """,
    )
    x = np.ones(2)
    [result] = run(path, Call("c", "scale", (x,), kwargs={"factor": 3.0}))
    assert result.value == 6.0
    np.testing.assert_array_equal(result.args_after[0], [3.0, 3.0])
    assert result.kwargs_after == {"factor": None}  # unchanged, so not sent back
    np.testing.assert_array_equal(x, np.ones(2))


def test_learner_modules_are_forgotten_and_sys_path_restored(tmp_path: Path) -> None:
    folder = tmp_path / "submission"
    write(folder, "rt_sibling_helpers.py", "def double(x):\n    return 2 * x\n")
    path = write(
        folder,
        "rt_uses_sibling.py",
        """
        from rt_sibling_helpers import double

        def f(x):
            return double(x) + 1
        """,
    )
    path_before = list(sys.path)
    [result] = run(path, Call("c", "f", (2.0,)))
    assert result.error is None, result.error
    assert result.value == 5.0
    assert "rt_uses_sibling" not in sys.modules
    assert "rt_sibling_helpers" not in sys.modules
    assert sys.path == path_before
    assert not (folder / "__pycache__").exists()


def test_modules_are_forgotten_when_reached_by_a_relative_or_linked_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "real"
    write(real, "rt_linked_helper.py", "def one():\n    return 1.0\n")
    write(
        real,
        "rt_linked.py",
        """
        from rt_linked_helper import one

        def f(x):
            return x + one()
        """,
    )
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    for path in (Path("real/rt_linked.py"), Path("link/rt_linked.py")):
        [result] = run(path, Call("c", "f", (1.0,)))
        assert result.value == 2.0
        assert "rt_linked" not in sys.modules
        assert "rt_linked_helper" not in sys.modules


def test_an_edited_file_is_read_afresh(tmp_path: Path) -> None:
    path = write(tmp_path, "rt_edited.py", "def f(x):\n    return x + 1\n")
    [first] = run(path, Call("c", "f", (1.0,)))
    write(tmp_path, "rt_edited.py", "def f(x):\n    return x + 100\n")
    [second] = run(path, Call("c", "f", (1.0,)))
    assert (first.value, second.value) == (2.0, 101.0)


def test_a_syntax_error_is_a_load_failure_with_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "rt_syntax.py", "import numpy as np\n\ndef f(x)\n    return x\n")
    outcome = run_exercise(path, [Call("c", "f", (1.0,))])
    assert isinstance(outcome, NoResults)
    assert "syntax error" in outcome.reason
    assert "line 3" in outcome.reason
    assert outcome.syntax_error
    assert "rt_syntax" not in sys.modules


def test_a_syntax_error_of_code_compiled_at_import_is_not_the_files(tmp_path: Path) -> None:
    """exec or ast.parse failing while the module runs: the file itself compiled."""
    path = write(tmp_path, "rt_exec.py", "exec('def f(:')\n")
    outcome = run_exercise(path, [Call("c", "f", (1.0,))])
    assert isinstance(outcome, NoResults)
    assert not outcome.syntax_error


def test_sys_exit_at_import_is_a_load_failure(tmp_path: Path) -> None:
    path = write(tmp_path, "rt_exit_import.py", "import sys\nsys.exit(0)\n")
    outcome = run_exercise(path, [Call("c", "f", (1.0,))])
    assert isinstance(outcome, NoResults)
    assert "sys.exit" in outcome.reason


def test_an_exception_at_import_is_a_load_failure_with_the_learners_frame(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "rt_import_error.py", "x = 1\ny = 1 / 0\n")
    outcome = run_exercise(path, [])
    assert isinstance(outcome, NoResults)
    assert "ZeroDivisionError" in outcome.reason
    assert [(f.file, f.line) for f in outcome.frames] == [("rt_import_error.py", 2)]


def test_a_missing_file_is_a_load_failure(tmp_path: Path) -> None:
    outcome = run_exercise(tmp_path / "nowhere.py", [])
    assert isinstance(outcome, NoResults)
    assert "nowhere.py" in outcome.reason


# --- modules that are not there ----------------------------------------------------------------

ELSEWHERE = (
    "bpgrade_not_a_module is not part of this course's environment: "
    "use NumPy and the Python standard library"
)


def test_an_import_of_a_module_outside_the_course_is_one_sentence_without_frozen_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """importlib's frames ("<frozen importlib._bootstrap>") name no file; in the sandbox the
    working directory is the learner's folder, where they used to pass for the learner's."""
    path = write(tmp_path, "rt_elsewhere.py", "import numpy as np\nimport bpgrade_not_a_module\n")
    monkeypatch.chdir(tmp_path)
    outcome = run_exercise(path, [Call("c", "f", (1.0,))])
    assert isinstance(outcome, NoResults)
    assert outcome.reason == f"importing rt_elsewhere.py failed: {ELSEWHERE}"
    assert [(f.file, f.line) for f in outcome.frames] == [("rt_elsewhere.py", 2)]


def test_a_module_missing_inside_a_function_is_the_same_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "def f(x):\n    from bpgrade_not_a_module.sub import g\n    return g(x)\n"
    path = write(tmp_path, "rt_elsewhere_later.py", source)
    monkeypatch.chdir(tmp_path)
    [result] = run(path, Call("c", "f", (1.0,)))
    error = result.error
    assert error is not None and error.kind == "exception"
    assert (error.type, error.message) == ("ModuleNotFoundError", ELSEWHERE)
    assert [(f.file, f.line) for f in error.frames] == [("rt_elsewhere_later.py", 2)]


def test_a_missing_numpy_submodule_and_the_learners_own_modules_keep_their_words(
    tmp_path: Path,
) -> None:
    write(tmp_path / "rt_ownpkg", "__init__.py", "")
    path = write(
        tmp_path,
        "rt_own.py",
        """
        def numpy_part(x):
            import numpy.bpgrade_nothing

        def own_part(x):
            import rt_ownpkg.missing
        """,
    )
    numpy_part, own_part = run(path, Call("a", "numpy_part", (1.0,)), Call("b", "own_part", (1.0,)))
    assert numpy_part.error is not None
    assert numpy_part.error.message == "NumPy has no module numpy.bpgrade_nothing"
    assert own_part.error is not None
    assert own_part.error.message == "No module named 'rt_ownpkg.missing'"
