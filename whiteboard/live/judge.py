"""Judging a tick: the queued ops applied to the board's document in arrival order, the accepted
ones stamped as server ops in one log row, the refused ones answered to their authors alone.

Pure of I/O (no store, no clock but the row's timestamp): the board (``board.py``) decides when
a tick runs and where its row goes; this decides what the row holds.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from whiteboard import metrics, protocol
from whiteboard.clock import now_ms
from whiteboard.codec import row_ops
from whiteboard.document import Document
from whiteboard.history import state as history
from whiteboard.live.session import Session
from whiteboard.protocol import Limits, ProtocolError
from whiteboard.store.base import LoadedBoard, LogRow

DISK_FULL = "The server cannot save changes right now, so this board is read-only for a moment."

Queue = list[tuple[Session, list[dict[str, Any]]]]


class Judged(NamedTuple):
    """A tick's accepted ops, their authors and the row that stores them."""

    accepted: list[dict[str, Any]]
    authors: dict[int, Session]
    row: LogRow


def build_document(loaded: LoadedBoard, limits: Limits) -> Document:
    """The latest checkpoint plus the log after it."""
    after = loaded.checkpoint.seq if loaded.checkpoint else 0
    sops = [sop for row in loaded.rows for sop in row_ops(row, after)]
    return history.replay(loaded.checkpoint, sops, limits)


def refuse(session: Session, code: str, msg: str, c: int | None) -> None:
    metrics.refused(code)
    session.send(protocol.encode_err(code, msg, c))


def judge(
    doc: Document,
    peers: dict[int, Session],
    queued: Queue,
    refusal: tuple[str, str] | None,
) -> Judged | None:
    """Apply the queued ops of the clients still in ``peers``; the accepted ones as one row
    (None when there are none). With ``refusal`` (code, sentence), every op is refused."""
    accepted: list[dict[str, Any]] = []
    authors: dict[int, Session] = {}
    first = doc.seq + 1
    server_op = protocol.server_op  # a local: called for every accepted op
    for session, ops in queued:
        if peers.get(session.client_id) is not session:
            continue  # left before its ops were applied
        if refusal is not None:
            for op in ops:
                refuse(session, *refusal, op["c"])
            continue
        for op in ops:
            result = doc.apply(op, doc.seq + 1)
            if isinstance(result, ProtocolError):
                refuse(session, result.code, result.msg, result.c)
                continue
            # The op map is ours (decoded from this frame) and the Document keeps copies of
            # what it needs, so the server op is the same map with s and by added.
            accepted.append(server_op(result, doc.seq, session.client_id))
            authors[session.client_id] = session
    if not accepted:
        return None
    row = LogRow(first, doc.seq, now_ms(), protocol.encode_ops_array(accepted))
    return Judged(accepted, authors, row)
