"""Frames for many clients: each built once, whatever the number of receivers, and written
with one ``send_frame`` per client per tick.

A board sends the same bytes to all of its connections, so the frame (``wsframe.ws_frame``) is
built once and the same object handed to every session.
"""

from __future__ import annotations

from typing import Any

from whiteboard import metrics, protocol
from whiteboard.live.session import Session
from whiteboard.live.wsframe import ws_frame

Outbox = list[tuple[int, bytes, list[dict[str, Any]]]]  # per committed row: ts, ops array, sops


def send_all(peers: dict[int, Session], frame: bytes) -> None:
    """One shared frame to every client (a write can drop a slow one: iterate a copy)."""
    for session in list(peers.values()):
        session.send_frame(frame)
    metrics.broadcast(len(frame), len(peers))


def send_rows(peers: dict[int, Session], outbox: Outbox) -> None:
    """Write a tick's committed rows to every client: one ``send_frame`` each, however many rows.

    With several processes a tick often carries another process's row as well as its own; the
    write per client is the cost that matters, so the rows go out together. PROTOCOL.md clients
    get one ``ops`` message per row (each has its own ``ts``), compact clients one message for
    all (their seqs follow each other). Each kind is built once, and only if someone reads it
    (the app asks for compact frames, so ``ops`` frames are often unused).
    """
    frames: bytes | None = None
    compact: bytes | None = None
    compact_peers = 0
    for session in list(peers.values()):
        if session.compact:
            if compact is None:
                sops = [sop for _, _, row in outbox for sop in row]
                compact = ws_frame(protocol.encode_compact_ops(sops))
            session.send_frame(compact)
            compact_peers += 1
        else:
            if frames is None:
                frames = b"".join(
                    ws_frame(protocol.encode_ops_frame(ts, ops)) for ts, ops, _ in outbox
                )
            session.send_frame(frames)
    if frames is not None:
        metrics.broadcast(len(frames), len(peers) - compact_peers)
    if compact is not None:
        metrics.broadcast(len(compact), compact_peers)
