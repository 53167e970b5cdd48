"""The wire between the sandboxed learner process and the grader: plain data as JSON.

Reading a message can never run code: it is JSON, and the decoder builds only numbers,
strings, lists, tuples, string-keyed dicts, numeric ndarrays (from raw bytes of an allowed
dtype) and the few plain records of `grader.calls`. Anything else is refused. Never pickle.

Messages are framed by an 8-byte big-endian length, so a stream can carry many of them. A
message is its JSON text and, where it holds arrays, a newline (never in the JSON text: the
encoder escapes it in strings and writes no whitespace) and their raw bytes, one after the
other: each array in the text says its dtype, its shape and where its bytes begin
(`{"$raw": ["<f8", [2, 3], 0]}`), so that an answer of a few MiB costs a copy of its bytes,
not base64 and a JSON string of a third more. `encode_value` and `decode_value` alone (the
recorded files of a release) keep arrays in the text, as base64 (`$array`).
"""

from __future__ import annotations

import base64
import functools
import json
import math
import re
import struct
from typing import Any

import numpy as np

from grader.calls import (
    ERROR_KINDS,
    Call,
    CallResult,
    Frame,
    LearnerError,
    NoResults,
    Opaque,
    Ref,
)

HEADER = struct.Struct(">Q")
ARRAYS = b"\n"  # between a message's JSON text and its arrays' bytes
MAX_DEPTH = 32
MAX_TEXT = 4000  # longer text from a child (a message, a line of code) is clipped
MAX_ALIASES = 16  # arguments a result may be said to share memory with
# plain numbers only, spelled the way numpy does; long doubles (f12, f16) too, so that the
# judge can say what is wrong with them instead of refusing the whole exercise
DTYPE = re.compile(r"[<>|=]?(?:[biuf][1248]|f12|f16)")
# No answer of the course comes near these: a matrix of the largest batch is a few hundred
# rows, and every answer fits in a few MiB. An array past them is no answer at all; capping
# every dimension, not only the element count, keeps a zero-size array such as
# np.zeros((10**12, 0)) from making anything downstream loop once per row.
MAX_RANK = 8
MAX_DIM = 1 << 20
MAX_ELEMENTS = 1 << 20  # 8 MiB of float64: more than one message may carry anyway


class WireError(ValueError):
    """A message that is not plain data as this module writes it."""


class TooLarge(WireError):
    """An array of a shape no answer has: its message is a learner-facing phrase."""


def oversized(shape: tuple[int, ...] | list[int]) -> str | None:
    """Why an array of this shape is no answer ("an array of shape (...): larger than any
    answer"), or None when it is within the caps. Cheap whatever the shape: the rank is
    looked at before any dimension, and no product is taken of more than MAX_RANK numbers."""
    if len(shape) > MAX_RANK:
        return f"an array with {len(shape)} dimensions: more than any answer has"
    if any(n > MAX_DIM for n in shape) or math.prod(shape) > MAX_ELEMENTS:
        text = str(tuple(shape))
        if len(text) > 120:  # a hand-written message may hold numbers of any length
            text = text[:100] + " ...)"
        return f"an array of shape {text}: larger than any answer"
    return None


def _float(value: float) -> Any:
    # JSON has no NaN or infinity; these tags keep the message strict JSON
    if math.isfinite(value):
        return value
    return {"$float": repr(value)}


_AS_IS = frozenset({type(None), bool, int, str})  # exact types, encoded as they are


class Blob:
    """The raw bytes of a message's arrays, in the order the encoder met them."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, data: bytes) -> int:
        """Append an array's bytes; where they begin."""
        offset = self.size
        self.parts.append(data)
        self.size += len(data)
        return offset


def encode_value(value: Any, blob: Blob | None = None) -> Any:
    """A JSON-ready form of plain data and of the records in `grader.calls`; arrays' bytes go
    to `blob` where one is given (a message on the wire), else into the text as base64."""
    kind = type(value)
    # the exact types of nearly every value, first: what the checks below make of them
    if kind in _AS_IS:
        return value
    if kind is float:
        return _float(value)
    if kind is list:
        return [encode_value(item, blob) for item in value]
    if kind is tuple:
        return {"$tuple": [encode_value(item, blob) for item in value]}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _float(float(value))
    if isinstance(value, np.ndarray):
        raw = value.tobytes()  # C order, whatever the layout
        if blob is not None:
            return {"$raw": [value.dtype.str, list(value.shape), blob.add(raw)]}
        data = base64.b64encode(raw).decode()
        return {"$array": [value.dtype.str, list(value.shape), data]}  # 0-d stays 0-d
    if isinstance(value, np.generic):
        return encode_value(value.item(), blob)
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(item, blob) for item in value]}
    if isinstance(value, list):
        return [encode_value(item, blob) for item in value]
    if isinstance(value, dict):
        return {"$dict": {str(k): encode_value(v, blob) for k, v in value.items()}}
    if isinstance(value, Ref):
        return {"$ref": [value.call, encode_value(value.part, blob)]}
    if isinstance(value, Opaque):
        return {"$opaque": value.type}
    if isinstance(value, Call):
        return {
            "$call": [
                value.id,
                value.function,
                encode_value(value.args, blob),
                encode_value(value.kwargs, blob),
                encode_value(value.keep, blob),
                value.driver,
            ]
        }
    if isinstance(value, Frame):
        return {"$frame": [value.file, value.line, value.function, value.code]}
    if isinstance(value, LearnerError):
        frames = [encode_value(f, blob) for f in value.frames]
        return {"$error": [value.kind, value.type, value.message, frames]}
    if isinstance(value, CallResult):
        return {
            "$result": [
                encode_value(value.value, blob),
                encode_value(value.error, blob),
                list(value.warnings),
                encode_value(value.args_after, blob),
                encode_value(value.kwargs_after, blob),
                list(value.aliases),
                value.output,
            ]
        }
    if isinstance(value, NoResults):
        frames = [encode_value(f, blob) for f in value.frames]
        return {"$load_failure": [value.reason, frames, value.syntax_error]}
    raise WireError(f"cannot send a {type(value).__name__}")


def _array(spec: Any) -> np.ndarray:
    if not (isinstance(spec, list) and len(spec) == 3 and isinstance(spec[2], str)):
        raise WireError("malformed array")
    dtype, shape = _array_type(spec[0], spec[1])
    raw = base64.b64decode(spec[2], validate=True)
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise WireError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _raw_array(spec: Any, blob: memoryview) -> np.ndarray:
    """An array whose bytes follow the message's text, from where it says they begin."""
    if not (isinstance(spec, list) and len(spec) == 3):
        raise WireError("malformed array")
    dtype, shape = _array_type(spec[0], spec[1])
    offset = spec[2]
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise WireError("malformed array offset")
    count = math.prod(shape)
    if offset + count * dtype.itemsize > len(blob):
        raise WireError("array data does not match its shape")
    # a copy: the message's bytes go, and the array is the judge's to write into
    flat = np.frombuffer(blob, dtype=dtype, count=count, offset=offset) if count else None
    return np.zeros(shape, dtype) if flat is None else flat.reshape(shape).copy()


def _array_type(dtype_text: Any, shape: Any) -> tuple[np.dtype[Any], list[int]]:
    """The dtype and shape an array says it has, refused unless plain numbers of a size some
    answer could have."""
    if not (isinstance(dtype_text, str) and isinstance(shape, list)):
        raise WireError("malformed array")
    dtype = _plain_dtype(str(dtype_text))
    shape_ok = (isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
    if len(shape) <= MAX_RANK and not all(shape_ok):  # a longer shape is refused unread
        raise WireError("malformed array shape")
    too_large = oversized(shape)
    if too_large is not None:
        raise TooLarge(too_large)
    return dtype, shape


@functools.lru_cache(maxsize=64)
def _plain_dtype(text: str) -> np.dtype[Any]:
    """The dtype a text names, refused unless plain numbers. Looked up once per text: a
    message holds thousands of arrays of the same two or three dtypes, and only the texts
    DTYPE lets through (a few dozen) are kept, since a refusal raises and is not cached."""
    if not DTYPE.fullmatch(text):
        raise WireError(f"an array of dtype {text[:20]!r} is not plain numbers")
    dtype = np.dtype(text)
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"an array of dtype {dtype} is not plain numbers")
    return dtype


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise WireError("expected text")
    return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + " [...]"


MAX_FRAMES = 40  # of a traceback: the first and the last twenty tell the story


def _frames(items: Any, depth: int, blob: memoryview | None) -> tuple[Frame, ...]:
    items = _list(items)
    if len(items) > MAX_FRAMES:
        items = items[: MAX_FRAMES // 2] + items[-MAX_FRAMES // 2 :]
    frames = tuple(decode_value(item, depth + 1, blob) for item in items)
    if not all(isinstance(f, Frame) for f in frames):
        raise WireError("malformed traceback")
    return frames


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise WireError("expected a list")
    return value


def _record(tag: str, body: Any, depth: int, blob: memoryview | None) -> Any:
    if tag == "$array":
        return _array(body)
    if tag == "$raw" and blob is not None:
        return _raw_array(body, blob)
    if tag == "$float":
        if body not in ("nan", "inf", "-inf"):
            raise WireError("malformed float")
        return float(body)
    if tag == "$tuple":
        return tuple(decode_value(item, depth + 1, blob) for item in _list(body))
    if tag == "$dict":
        if not isinstance(body, dict):
            raise WireError("malformed dict")
        return {key: decode_value(item, depth + 1, blob) for key, item in body.items()}
    if tag == "$opaque":
        return Opaque(_text(body))
    fields = _list(body)
    if tag == "$ref" and len(fields) == 2:
        return Ref(_text(fields[0]), decode_value(fields[1], depth + 1, blob))
    if tag == "$frame" and len(fields) == 4 and isinstance(fields[1], int):
        return Frame(_text(fields[0]), fields[1], _text(fields[2]), _text(fields[3]))
    if tag == "$error" and len(fields) == 4:
        kind = _text(fields[0])
        if kind not in ERROR_KINDS:
            raise WireError("malformed error")
        frames = _frames(fields[3], depth, blob)
        return LearnerError(kind, _text(fields[1]), _text(fields[2]), frames)  # type: ignore[arg-type]
    if tag == "$result" and len(fields) == 7:
        error = decode_value(fields[1], depth + 1, blob)
        try:
            value = decode_value(fields[0], depth + 1, blob)
        except TooLarge as too_large:  # what the runner's own to_plain would have said
            value, error = None, LearnerError("bad_return", "", f"returned {too_large}")
        args_after = decode_value(fields[3], depth + 1, blob)
        kwargs_after = decode_value(fields[4], depth + 1, blob)
        if not (error is None or isinstance(error, LearnerError)):
            raise WireError("malformed result")
        if not isinstance(args_after, tuple) or not isinstance(kwargs_after, dict):
            raise WireError("malformed result")
        aliases = _list(fields[5])
        if not all(isinstance(a, int | str) and not isinstance(a, bool) for a in aliases):
            raise WireError("malformed result")
        warnings = [_text(w) for w in _list(fields[2])]
        return CallResult(
            value,
            error,
            warnings,
            args_after,
            kwargs_after,
            tuple(_text(a) if isinstance(a, str) else a for a in aliases[:MAX_ALIASES]),
            _text(fields[6]),
        )
    if tag == "$load_failure" and len(fields) == 3 and isinstance(fields[2], bool):
        return NoResults(_text(fields[0]), _frames(fields[1], depth, blob), fields[2])
    if tag == "$call" and len(fields) == 6:
        args = decode_value(fields[2], depth + 1, blob)
        kwargs = decode_value(fields[3], depth + 1, blob)
        if not isinstance(args, tuple) or not isinstance(kwargs, dict):
            raise WireError("malformed call")
        driver = None if fields[5] is None else _text(fields[5])
        keep = decode_value(fields[4], depth + 1, blob)
        return Call(_text(fields[0]), _text(fields[1]), args, kwargs, keep, driver)
    raise WireError(f"unknown record {tag}")


_SCALARS = frozenset({type(None), bool, int, float, str})


def decode_value(value: Any, depth: int = 0, blob: memoryview | None = None) -> Any:
    """What `encode_value` encoded; `blob`, a wire message's arrays' bytes (`$raw` arrays
    are refused without it)."""
    if depth > MAX_DEPTH:
        raise WireError("nested too deeply")
    kind = type(value)
    if kind in _SCALARS:  # what JSON text decodes to: its exact types, looked up at once
        return value
    if kind is list:
        return [decode_value(item, depth + 1, blob) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [decode_value(item, depth + 1, blob) for item in value]
    if isinstance(value, dict) and len(value) == 1:
        ((tag, body),) = value.items()
        return _record(tag, body, depth, blob)
    raise WireError("malformed message")


def dumps(message: Any) -> bytes:
    blob = Blob()
    text = json.dumps(encode_value(message, blob), allow_nan=False, separators=(",", ":"))
    if not blob.parts:
        return text.encode()
    return b"".join([text.encode(), ARRAYS, *blob.parts])


def loads(data: bytes) -> Any:
    """Decode one message; WireError for anything that is not what `dumps` writes."""
    end = data.find(ARRAYS)
    text, blob = (data, None) if end < 0 else (data[:end], memoryview(data)[end + 1 :])
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as error:  # includes UnicodeDecodeError
        raise WireError(f"not a JSON message: {error}") from None
    try:
        return decode_value(raw, 0, blob)
    except (TypeError, ValueError, RecursionError) as error:
        if isinstance(error, WireError):
            raise
        raise WireError(str(error)) from None


def frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload)) + payload


def split_frames(data: bytes, limit: int | None = None) -> tuple[list[bytes], bytes]:
    """The complete frames at the start of `data` (at most `limit`), and what is left over.

    One pass with an offset: a stream of millions of tiny frames costs what its bytes cost."""
    frames: list[bytes] = []
    offset = 0
    view = memoryview(data)
    while len(data) - offset >= HEADER.size and (limit is None or len(frames) < limit):
        (size,) = HEADER.unpack_from(data, offset)
        if len(data) - offset - HEADER.size < size:
            break
        frames.append(bytes(view[offset + HEADER.size : offset + HEADER.size + size]))
        offset += HEADER.size + size
    return frames, bytes(view[offset:])
