"""Arrays on the wire as raw bytes after the message's text: what `dumps` writes comes back
whole, and what a hostile child could write instead is refused (grader.sandbox.wire)."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest

from grader.calls import Call, CallResult
from grader.sandbox import wire


def _message(text: Any, blob: bytes) -> bytes:
    """A message as a child could write it by hand: its JSON, a newline, raw bytes."""
    return json.dumps(text, separators=(",", ":")).encode() + wire.ARRAYS + blob


def test_arrays_travel_as_raw_bytes_not_base64() -> None:
    answer = np.random.default_rng(0).normal(size=(64, 64))
    data = wire.dumps(("result", CallResult(value=answer)))
    assert answer.tobytes() in data
    assert base64.b64encode(answer.tobytes()[:48]).decode() not in data.decode("latin-1")
    text, _, _ = data.partition(wire.ARRAYS)
    assert text.startswith(b'{"$tuple":["result",')  # what the zygote counts results by
    assert len(data) < answer.nbytes + 200


def test_what_dumps_writes_comes_back_whole() -> None:
    message = (
        "result",
        CallResult(
            value={"dW": np.arange(6.0).reshape(2, 3).T, "n": np.int64(3), "s": "a\nb"},
            args_after=(np.ones(3, ">i4"), np.zeros((3, 0)), np.array(1.5, np.float32)),
        ),
    )
    back = wire.loads(wire.dumps(message))
    assert back[1].value["s"] == "a\nb"  # a newline in text never splits the message
    np.testing.assert_array_equal(back[1].value["dW"], np.arange(6.0).reshape(2, 3).T)
    for sent, got in zip(message[1].args_after, back[1].args_after, strict=True):
        assert got.dtype == sent.dtype and got.shape == sent.shape
        assert got.flags.writeable and np.array_equal(got, sent)
    call = Call("f#0", "f", (np.eye(2),), {"b": np.zeros(2)})
    assert wire.loads(wire.dumps(call)).args[0].tolist() == [[1.0, 0.0], [0.0, 1.0]]


@pytest.mark.parametrize(
    "spec",
    [
        ["<f8", [2], 8],  # past the end of the bytes
        ["<f8", [2], -8],
        ["<f8", [1], True],
        ["<f8", [1], "0"],
        ["<f8", [1], 10**4000],
        ["O", [1], 0],
        ["V8", [1], 0],
        ["<f8", [1.5], 0],
        ["<f8", [1]],
    ],
)
def test_a_raw_array_that_does_not_fit_its_bytes_is_refused(spec: list[Any]) -> None:
    with pytest.raises(wire.WireError):
        wire.loads(_message({"$raw": spec}, bytes(16)))


def test_a_raw_array_of_no_answers_size_is_too_large() -> None:
    with pytest.raises(wire.TooLarge):
        wire.loads(_message({"$raw": ["<f8", [10**12, 0], 0]}, b""))
    fields = [{"$raw": ["<f8", [1] * 40, 0]}, None, [], {"$tuple": []}, {"$dict": {}}, [], ""]
    result = wire.loads(_message({"$result": fields}, b""))
    assert result.value is None and result.error is not None
    assert result.error.kind == "bad_return"


def test_raw_arrays_need_the_bytes_of_a_message() -> None:
    """A recorded file's values keep arrays in their text: a `$raw` there has no bytes."""
    with pytest.raises(wire.WireError):
        wire.decode_value({"$raw": ["<f8", [0], 0]})
    with pytest.raises(wire.WireError):  # nor a message without its newline
        wire.loads(json.dumps({"$raw": ["<f8", [0], 0]}).encode())
    encoded = wire.encode_value(np.ones(2))
    assert "$array" in encoded  # base64 in the text, as before
    np.testing.assert_array_equal(wire.decode_value(encoded), np.ones(2))


def test_a_message_broken_at_its_newline_is_refused() -> None:
    with pytest.raises(wire.WireError):
        wire.loads(b'{"$tuple":\n["result", 1]}')


def test_a_refused_dtype_is_refused_every_time_it_comes() -> None:
    """The dtypes already looked up are remembered; a refusal is not, nor a dtype let in."""
    for _ in range(2):
        for dtype in ("<f8", ">i4", "|b1"):
            blob = np.zeros(2, np.dtype(dtype)).tobytes()
            decoded = wire.loads(_message({"$raw": [dtype, [2], 0]}, blob))
            assert decoded.dtype == np.dtype(dtype)
        for dtype in ("|O", "<c16", "<M8[s]", "|V8"):
            with pytest.raises(wire.WireError):
                wire.loads(_message({"$raw": [dtype, [1], 0]}, b"\0" * 16))


class _Number(int):
    pass


def test_subclasses_of_plain_types_travel_as_the_plain_types() -> None:
    """Exact types take a short way; their subclasses the long one, to the same plain data."""
    message = (_Number(3), np.float64(1.5), np.int64(2), True, None, "x", [1.0, (2, {"a": 3})])
    back = wire.loads(wire.dumps(message))
    assert back == (3, 1.5, 2, True, None, "x", [1.0, (2, {"a": 3})])
    assert [type(v) for v in back[:5]] == [int, float, int, bool, type(None)]
    assert wire.decode_value([_Number(4), 2.5]) == [4, 2.5]
