"""The CPU half of the heavy requests, as plain functions of bytes: they run in worker
processes (``web/heavy.py``), so every argument and result crosses a pipe.

Why processes and not threads: rebuilding a 10M-value state decodes its checkpoint in one call
to msgpack's C decoder, which never lets go of the GIL, and rendering it is pure Python. In a
thread, four exports at once still took the loop for 0.3-0.6 s at a time (CI measured an op on
another board waiting 0.65 s behind them). A worker process takes none of the loop's GIL.

What crosses: the checkpoint's bytes and the stored rows in (the I/O half stays on the loop,
``state.state_inputs``), the encoded answer out. Never a decoded state: pickling one would hold
the loop's GIL as long as building it did.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from typing import NamedTuple

from whiteboard.codec import pack
from whiteboard.export import pdf, svg
from whiteboard.history import boardfile
from whiteboard.history.state import replay_rows
from whiteboard.points import plain
from whiteboard.protocol import Limits
from whiteboard.store.base import Checkpoint, LogRow

Pictures = Mapping[str, tuple[str, bytes]]
"""Blob name -> (media type, bytes): the pictures an export may embed."""

SPOOL_FROM = 1 << 20
"""Answers from this size are handed back in a temporary file rather than through the pipe."""


class Answer(NamedTuple):
    """A job's encoded answer: its bytes, or for a large one (``SPOOL_FROM``) the path of a
    temporary file holding them, which whoever sends it deletes. Why a file: bytes coming back
    through the pipe are copied and unpickled in the server process, holding its GIL (an 80 MB
    export.svg: tens of milliseconds), and held in its memory while they are sent; a file is
    sent in slices straight from the page cache."""

    data: bytes
    path: str | None


def _answer(data: bytes) -> Answer:
    if len(data) < SPOOL_FROM:
        return Answer(data, None)
    fd, path = tempfile.mkstemp(prefix="whiteboard-answer-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return Answer(b"", path)


def snapshot(
    board: str, cp: Checkpoint | None, rows: list[LogRow], at: int, limits: Limits, as_msgpack: bool
) -> Answer:
    """The ``GET /api/boards/{board}?at=`` answer, encoded."""
    body = {"board": board, "seq": at, "elements": replay_rows(cp, rows, at, limits).elements()}
    if as_msgpack:
        return _answer(pack(body))
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=plain)
    return _answer(text.encode())


def export(
    kind: str,
    cp: Checkpoint | None,
    rows: list[LogRow],
    at: int,
    limits: Limits,
    held: frozenset[str],
    pictures: Pictures,
    title: str,
) -> tuple[frozenset[str], Answer | None]:
    """``export.svg`` (``kind`` "svg") or ``export.pdf`` of the state at ``at``.

    The pictures the state shows are known only once it is built here, so the caller first
    passes none: when the state shows some of those the board ``held``, the answer is their
    names and no document, and the caller asks again with their bytes. Boards without pictures
    (most) cost one rebuild.
    """
    elements = replay_rows(cp, rows, at, limits).elements()
    missing = frozenset(svg.image_blobs(elements) & held) - pictures.keys()
    if missing:
        return missing, None
    if kind == "svg":
        return frozenset(), _answer(svg.render(elements, pictures).encode())
    images = {name: data for name, (_, data) in pictures.items()}
    return frozenset(), _answer(pdf.render(elements, title=title, images=images))


def count(cp: Checkpoint | None, rows: list[LogRow], at: int, limits: Limits) -> int:
    """How many elements the state at ``at`` holds (the admin listing)."""
    return len(replay_rows(cp, rows, at, limits).elements())


def board_file_head(
    board: str, cp: Checkpoint | None, rows: list[LogRow], at: int, limits: Limits, blobs: bool
) -> bytes:
    """``export.wbd``'s first part: everything before its ops (``boardfile.head``)."""
    return boardfile.head(board, at, replay_rows(cp, rows, at, limits).elements(), blobs)
