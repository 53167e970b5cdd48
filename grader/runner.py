"""Runs the learner's code: imports an exercise file and makes the planned calls.

This module never judges. It hands back plain data only (see `calls.py`), so whatever a
learner's function returns (an ndarray subclass, an object with a clever __eq__) is
reduced to numbers before the judge sees it.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import os
import sys
import traceback
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import numpy as np

from grader.calls import (
    PRINTED_CAP,
    Call,
    CallResult,
    Frame,
    LearnerError,
    NoResults,
    Opaque,
    Ref,
    capped,
    pick,
)
from grader.drivers import load_driver_file
from grader.sandbox.wire import DTYPE as PLAIN_DTYPE
from grader.sandbox.wire import oversized


class NotPlain(TypeError):
    """A learner returned something that is not plain numeric data."""


def to_plain(value: Any, depth: int = 0) -> Any:
    """A copy of `value` made only of numeric ndarrays, numbers, tuples, lists and dicts."""
    if depth > 8:
        raise NotPlain("nested too deeply")
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):  # subclasses lose whatever they overrode
        return int(value) if isinstance(value, int) else float(value)
    if isinstance(value, np.generic):
        if value.dtype.kind not in "biuf":
            raise NotPlain(f"a NumPy scalar of dtype {value.dtype}")
        if value.dtype.kind == "f":  # a float32 scalar must reach the judge as float32
            return _plain_array(np.asarray(value))
        return value.item()
    if isinstance(value, np.ndarray):
        return _plain_array(value)
    tensor = _tensor_type()
    if tensor is not None and isinstance(value, tensor):
        return _plain_array(_tensor_array(tensor, value))
    if isinstance(value, tuple | list):
        items = [to_plain(item, depth + 1) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise NotPlain("a dict whose keys are not all strings")
        plain = {}
        for key, item in value.items():
            try:
                plain[str(key)] = to_plain(item, depth + 1)
            except NotPlain as exc:  # say where, so that the learner finds it
                raise NotPlain(f"{exc} under the key {str(key)[:40]!r}") from None
        return plain
    raise NotPlain(f"a {type(value).__module__}.{type(value).__qualname__}")


def _tensor_type() -> type | None:
    """torch.Tensor where torch is already imported (a torch exercise, or a learner who imported
    it); never imports torch itself: a NumPy exercise's child must not pay for it."""
    torch = sys.modules.get("torch")
    tensor = getattr(torch, "Tensor", None) if torch is not None else None
    return tensor if isinstance(tensor, type) else None


def _tensor_array(tensor: type, value: Any) -> np.ndarray:
    """A tensor as a NumPy array: detached from its graph, on the CPU. Its shape is capped
    before anything is copied, as an array's is."""
    try:
        too_large = oversized(tuple(int(n) for n in value.shape))
    except Exception:
        raise NotPlain("a tensor without a shape") from None
    if too_large is not None:
        raise NotPlain(too_large.replace("an array", "a tensor", 1))
    try:
        array = tensor.detach(value).cpu().numpy()  # type: ignore[attr-defined]
    except Exception:
        raise NotPlain(f"a tensor of dtype {getattr(value, 'dtype', '?')}") from None
    if not isinstance(array, np.ndarray):
        raise NotPlain("a tensor that is not numbers")
    return array


def _plain_array(value: np.ndarray) -> np.ndarray:
    # a subclass may lie about its shape and dtype; a plain view of it cannot, and costs
    # nothing, so the caps are met before anything is copied (np.zeros((10**12, 0)) is empty)
    view = np.ndarray.view(value, np.ndarray)
    too_large = oversized(view.shape)
    if too_large is not None:
        raise NotPlain(too_large)
    if not PLAIN_DTYPE.fullmatch(view.dtype.str):
        raise NotPlain(f"an array of dtype {view.dtype}")
    return np.array(view, copy=True)


def learner_frames(tb: TracebackType | None, folder: Path) -> tuple[Frame, ...]:
    """The frames of a traceback that run code of a real file in the learner's folder: not the
    grader's, NumPy's or Python's, nor importlib's frozen ones ("<frozen ...>" names no file)."""
    frames = []
    for summary in traceback.extract_tb(tb):
        if not os.path.isabs(summary.filename):
            continue
        path = Path(summary.filename)
        if path.parent.resolve() == folder and path.is_file():
            frames.append(
                Frame(path.name, summary.lineno or 0, summary.name, (summary.line or "").strip())
            )
    return tuple(frames)


COURSE_ENVIRONMENT = "use NumPy and the Python standard library"


def missing_module(exc: ModuleNotFoundError, folder: Path) -> str | None:
    """A sentence for an import of a module that is not there, or None when the learner's own
    files should have held it (then Python's own message says it best)."""
    name = exc.name
    if not isinstance(name, str) or not name:
        return None
    top = name.partition(".")[0]
    if (folder / f"{top}.py").exists() or (folder / top).is_dir():
        return None  # a module of the learner's own, which is there: something inside is missing
    if top == "numpy":
        return f"NumPy has no module {name}"
    if top in sys.stdlib_module_names:
        return f"{name}, of Python's standard library, cannot be used where your code is graded"
    return f"{top} is not part of this course's environment: {COURSE_ENVIRONMENT}"


def _error_from(exc: BaseException, folder: Path, graded: str) -> LearnerError:
    frames = learner_frames(exc.__traceback__, folder)
    if isinstance(exc, ModuleNotFoundError):
        sentence = missing_module(exc, folder)
        if sentence is not None:
            return LearnerError("exception", "ModuleNotFoundError", sentence, frames)
    if not isinstance(exc, NotImplementedError):
        return LearnerError("exception", type(exc).__name__, str(exc), frames)
    if frames and frames[-1].file != graded:
        # a stub in another exercise this one imports: that is where the work is missing
        stub = frames[-1]
        message = f"it calls {stub.function} in {stub.file}, which is not implemented yet"
        return LearnerError("exception", "NotImplementedError", message, frames)
    return LearnerError("not_implemented", "NotImplementedError", str(exc), frames)


@contextmanager
def learner_imports(folder: Path) -> Iterator[None]:
    """Let the learner's files import each other, and forget them all afterwards."""
    saved_path = list(sys.path)
    saved_bytecode = sys.dont_write_bytecode
    # an exercise module of the same name from another folder must not stand in for this one's
    for path in folder.glob("exercise[0-9][0-9]_*.py"):
        sys.modules.pop(path.stem, None)
    before = set(sys.modules)
    sys.path.insert(0, str(folder))
    sys.dont_write_bytecode = True  # keep submission folders clean and never run stale bytecode
    try:
        yield
    finally:
        where = str(folder)
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None)
            if isinstance(file, str) and os.path.dirname(file) == where:
                del sys.modules[name]
        sys.path[:] = saved_path
        sys.dont_write_bytecode = saved_bytecode


def load_module(path: Path) -> ModuleType | NoResults:
    """Import one exercise file as a top-level module named after it."""
    folder = path.parent.resolve()
    if not path.is_file():
        return NoResults(f"{path.name} was not found in {path.parent}")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        return NoResults(f"{path.name} could not be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec.loader.exec_module(module)
    except SyntaxError as exc:
        if not _uncompiled(exc, folder):
            return _import_failure(exc, path, folder)
        where = f"{Path(exc.filename or path).name}, line {exc.lineno}"
        text = (exc.text or "").rstrip()
        reason = f"{path.name} has a syntax error: {exc.msg} ({where})\n    {text}"
        return NoResults(reason, syntax_error=True)
    except SystemExit:
        return NoResults(f"the submission called sys.exit while {path.name} was being imported")
    except MemoryError:
        raise  # the sandbox reports the memory limit, not the learner's import
    except Exception as exc:
        return _import_failure(exc, path, folder)
    return module


def _uncompiled(exc: SyntaxError, folder: Path) -> bool:
    """Whether Python could not compile a file of the learner's folder, rather than code
    compiled while the module ran (exec, ast.parse) or a SyntaxError raised by hand."""
    if not exc.filename or exc.lineno is None:
        return False
    return Path(exc.filename).parent.resolve() == folder


def _import_failure(exc: Exception, path: Path, folder: Path) -> NoResults:
    frames = learner_frames(exc.__traceback__, folder)
    if isinstance(exc, ModuleNotFoundError):
        sentence = missing_module(exc, folder)
        if sentence is not None:
            return NoResults(f"importing {path.name} failed: {sentence}", frames)
    return NoResults(f"importing {path.name} raised {type(exc).__name__}: {exc}", frames)


def _resolve(arg: Any, outputs: dict[str, Any]) -> Any:
    if isinstance(arg, Ref):
        return pick(outputs[arg.call], arg.part)
    return copy.deepcopy(arg)  # every call gets its own copy, so one bad call cannot spoil the next


def _plain_arguments(args: tuple[Any, ...], plan_args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The arguments after the call, as plain data, where they differ from what was planned;
    None where they do not (or where the judge never saw them): most calls change nothing,
    and sending every argument back doubled what crossed the wire."""
    return tuple(
        None if isinstance(planned, Ref) or _unchanged(arg, planned) else _plain_or_opaque(arg)
        for arg, planned in zip(args, plan_args, strict=True)
    )


def _unchanged(value: Any, planned: Any, depth: int = 0) -> bool:
    """Exactly the planned value still: the same plain types, shapes, dtypes and bits."""
    if depth > 8 or type(value) is not type(planned):
        return False
    if isinstance(planned, np.ndarray):
        return (
            value.shape == planned.shape
            and value.dtype == planned.dtype
            and value.tobytes() == planned.tobytes()  # bit for bit, NaNs and -0.0 too
        )
    if isinstance(planned, dict):
        return value.keys() == planned.keys() and all(
            _unchanged(value[k], planned[k], depth + 1) for k in planned
        )
    if isinstance(planned, tuple | list):
        return len(value) == len(planned) and all(
            _unchanged(v, p, depth + 1) for v, p in zip(value, planned, strict=True)
        )
    if isinstance(planned, float):
        return value == planned or (value != value and planned != planned)
    return isinstance(planned, int | str | bool) and value == planned


def _plain_or_opaque(value: Any) -> Any:
    try:
        return to_plain(value)
    except NotPlain:
        return Opaque(type(value).__name__)


def make_call(
    module: ModuleType,
    call: Call,
    outputs: dict[str, Any],
    folder: Path,
    drivers: dict[str, Any] | None = None,
) -> CallResult:
    """Make one planned call: the learner's function itself, or, for a call with a driver, the
    driver (from `drivers`, the drivers module's namespace) on the learner's module."""
    function = getattr(module, call.function, None)
    if not callable(function):
        message = f"{call.function} is not defined in {Path(module.__file__ or '').name}"
        return CallResult(error=LearnerError("exception", "NameError", message))
    if call.driver is not None:
        driver = (drivers or {}).get(call.driver)
        if call.driver.startswith("_") or not callable(driver):
            message = f"the grader has no driver {call.driver!r} for {call.function}"
            return CallResult(error=LearnerError("exception", "GraderError", message))
        function = functools.partial(driver, module)
    missing = [a.call for a in (*call.args, *call.kwargs.values()) if isinstance(a, Ref)]
    if any(ref not in outputs for ref in missing):
        return CallResult(error=LearnerError("skipped", "", "an earlier call it needs failed"))
    try:
        args = tuple(_resolve(arg, outputs) for arg in call.args)
        kwargs = {key: _resolve(arg, outputs) for key, arg in call.kwargs.items()}
    except LookupError as exc:  # an earlier call returned something without the part we need
        return CallResult(error=LearnerError("skipped", "", f"an earlier call {exc}"))
    result = CallResult()
    with (
        warnings.catch_warnings(record=True) as caught,
        np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"),
    ):
        warnings.simplefilter("always")
        try:
            with _printed() as printed:
                value = function(*args, **kwargs)
        except MemoryError:
            raise  # the sandbox reports the memory limit: for this call and those after it
        except (Exception, SystemExit) as exc:
            result.error = _error_from(exc, folder, Path(module.__file__ or "").name)
            value = None
    result.output = printed.text()
    result.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
    result.args_after = _plain_arguments(args, call.args)
    after = _plain_arguments(tuple(kwargs.values()), tuple(call.kwargs.values()))
    result.kwargs_after = dict(zip(kwargs, after, strict=True))
    if result.error is None:
        outputs[call.id] = value
        try:
            result.aliases = _aliases(pick(value, call.keep), call, args, kwargs)
            result.value = to_plain(pick(value, call.keep))
        except NotPlain as exc:
            where = "" if call.keep is None else f" as {call.keep!r}"
            result.error = LearnerError("bad_return", "", f"returned {exc}{where}")
        except LookupError as exc:
            result.error = LearnerError("bad_return", "", str(exc))
    return result


class _Printed:
    """The first PRINTED_CAP characters (and one more, so that a cut shows) a call printed."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.size = 0

    def keep(self, text: str) -> None:
        room = PRINTED_CAP + 1 - self.size
        if room > 0 and text:
            self.kept.append(text[:room])
            self.size += len(self.kept[-1])

    def text(self) -> str:
        return capped("".join(self.kept))


class _Tee:
    """A stream that passes everything on to `stream` (the exercise's whole output, as
    before) and keeps the start of it for the call being made."""

    def __init__(self, stream: Any, printed: _Printed) -> None:
        self._stream = stream
        self._printed = printed

    def write(self, text: str) -> int:
        written: int = self._stream.write(text)
        if isinstance(text, str):
            self._printed.keep(text)
        return written

    def __getattr__(self, name: str) -> Any:  # flush, buffer, isatty, encoding...
        return getattr(self._stream, name)


@contextmanager
def _printed() -> Iterator[_Printed]:
    """What learner code prints while in the block, on stdout or stderr, kept for its
    check; it still goes where it went (the exercise's output)."""
    printed = _Printed()
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = _Tee(stdout, printed)  # type: ignore[assignment]
    sys.stderr = _Tee(stderr, printed)  # type: ignore[assignment]
    try:
        yield printed
    finally:
        # the learner's code may have replaced them itself: what it set is not kept
        sys.stdout, sys.stderr = stdout, stderr


def _arrays(value: Any, depth: int = 0) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if depth > 8:
        return []
    if isinstance(value, tuple | list):
        return [a for item in value for a in _arrays(item, depth + 1)]
    if isinstance(value, dict):
        return [a for item in value.values() for a in _arrays(item, depth + 1)]
    return []


def _aliases(
    returned: Any, call: Call, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[int | str, ...]:
    """The arguments the judge passed in whose memory the returned value shares (a learner's
    own cache, passed back as a Ref, is theirs to hand back)."""
    out = _arrays(returned)
    if not out:
        return ()
    given: list[tuple[int | str, Any, Any]] = [
        *((i, a, p) for i, (a, p) in enumerate(zip(args, call.args, strict=True))),
        *((k, kwargs[k], call.kwargs[k]) for k in kwargs),
    ]
    return tuple(
        where
        for where, arg, planned in given
        if not isinstance(planned, Ref)
        and any(np.may_share_memory(a, b) for a in _arrays(arg) for b in out)
    )


Event = tuple[str, Any]


def exercise_events(
    path: Path, calls: Iterable[Call], drivers: Path | None = None
) -> Iterator[Event]:
    """Import the learner's file and make every call in order, telling each step as it happens:
    ("loading", None), then ("load_failure", NoResults) or, per call, ("calling", function)
    and ("result", CallResult); ("end", None) once every call has answered. `drivers`: the
    exercise's drivers module (`grader.drivers`), for calls that name a driver.

    The sandbox's child sends each event to the grader as it happens, so that a call that
    never returns is named."""
    path = path.resolve()
    folder = path.parent
    # The drivers are loaded before the learner's module, outside its imports (no file of the
    # submission can stand in for a module a driver imports), and each call takes its driver
    # from this snapshot of the drivers module's namespace, not from the module or sys.modules
    # at call time: a learner's module that rebinds a name there, or puts a module of its own
    # in sys.modules, does not replace the driver. Learner code shares this process, so it
    # could still patch the function objects themselves, as it could patch the runner; that
    # gains nothing: whatever this process answers is only plain data, judged against the
    # reference run through the driver in the grader (see grader.checks.base.Check).
    driven: dict[str, Any] = {}
    if drivers is not None:
        yield "loading", None
        try:
            driven = dict(vars(load_driver_file(drivers)))
        except MemoryError:
            raise
        except BaseException as exc:  # the course's code, not the learner's
            reason = (
                f"the grader's drivers for {path.name} failed to load ({type(exc).__name__}: {exc})"
            )
            yield "load_failure", NoResults(reason)
            return
    # np.errstate() restores whatever np.seterr the learner's code sets, so it cannot leak out
    with learner_imports(folder), np.errstate():
        if drivers is None:
            yield "loading", None
        module = load_module(path)
        if isinstance(module, NoResults):
            yield "load_failure", module
            return
        outputs: dict[str, Any] = {}
        for call in calls:
            yield "calling", call.function
            yield "result", make_call(module, call, outputs, folder, driven)
    yield "end", None


def run_exercise(
    path: Path, calls: list[Call], drivers: Path | None = None
) -> list[CallResult] | NoResults:
    """The same calls in this process, for the runner's own tests. Grading never calls this:
    learner code runs only in `grader.sandbox`'s children."""
    results: list[CallResult] = []
    with redirect_stdout(sys.stderr):
        for kind, body in exercise_events(path, calls, drivers):
            if kind == "load_failure":
                return body
            if kind == "result":
                results.append(body)
    return results
