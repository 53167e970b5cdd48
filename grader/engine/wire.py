"""The frames between the front and the engine: standard library only, for the front.

A frame is a kind (one byte), a length (four bytes, big-endian) and that many bytes. The
front sends REQUEST (JSON, `grader.engine.request.Request`) once HELLO has come, and STOP
(b"INT" or b"TERM") when it is stopped; the engine sends HELLO once it has taken the
connection, then OUT and ERR as the command writes, and EXIT (the status in ASCII) at the
end; or DECLINE (why, in words) for a request it will not run, after which the front grades
in-process (a stale engine declines, and goes).
"""

from __future__ import annotations

import _socket  # not socket: see grader.engine.front

HELLO = b"h"
REQUEST = b"q"
STOP = b"s"
OUT = b"o"
ERR = b"e"
EXIT = b"x"
DECLINE = b"d"

MOST = 64 << 20  # a frame longer than this is no frame of ours


def send(connection: _socket.socket, kind: bytes, payload: bytes = b"") -> None:
    connection.sendall(kind + len(payload).to_bytes(4, "big") + payload)


def _exactly(connection: _socket.socket, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = connection.recv(min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def receive(connection: _socket.socket) -> tuple[bytes, bytes] | None:
    """The next frame, or None where the other side has gone (or sent no frame of ours)."""
    head = _exactly(connection, 5)
    if head is None:
        return None
    size = int.from_bytes(head[1:], "big")
    if size > MOST:
        return None
    payload = _exactly(connection, size) if size else b""
    return None if payload is None else (head[:1], payload)
