"""A client as its board sees it (``Session``), and the three things a board needs from the
connection under it (``Transport``).

The board owns the session: it gives the client its id, colour and reconnect token when it
joins, and holds the ops the client sent before its ``welcome``. The socket layer only implements
``Transport``; the board never reads or writes anything else of it, so a board can be driven
without sockets (the unit tests use a transport that records what it was sent).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from whiteboard import metrics, protocol
from whiteboard.live.wsframe import ws_frame

CLOSE_REPLACED = (protocol.CLOSE_NORMAL, "replaced by a newer connection of this client")


class Transport(Protocol):
    """One connection, as a board writes to it. None of these may block or raise."""

    def send(self, message: bytes) -> None:
        """Queue one encoded msgpack message for this client alone."""

    def send_frame(self, frame: bytes) -> None:
        """Queue a complete WebSocket frame (``wsframe.ws_frame``), shared by many clients."""

    def send_parts(self, parts: list[bytes]) -> None:
        """Queue one message given as pieces (their concatenation), keeping the large ones
        by reference: twenty joiners of a 50 MB board that never read hold one copy of it."""

    def close(self, code: int, reason: str) -> None:
        """End the connection now (its board has already let go of it, or does on its own)."""

    def unsent(self) -> int:
        """Bytes queued for this client and not yet taken by the kernel: memory the budget
        counts (``live/budget.py``), up to ``backlog_bytes`` per client."""


class Session:
    """One client on one board: who it is, and how to reach it.

    ``send``/``send_frame``/``close`` are the transport's bound methods, taken once here: the
    broadcast calls them for every client on every tick, and this saves a lookup each time.
    """

    __slots__ = (
        "_held",
        "_transport",
        "admitted",
        "client_id",
        "close",
        "color",
        "compact",
        "early",
        "name",
        "readonly",
        "send",
        "send_frame",
        "send_parts",
        "stored",
        "token",
        "vp",
        "welcomed_at",
        "who",
    )

    def __init__(
        self,
        transport: Transport,
        client_id: int,
        name: str,
        color: str,
        *,
        readonly: bool = False,
        token: str = "",
        compact: bool = False,
        who: object = None,
    ) -> None:
        self._transport = transport
        self._held: list[bytes] | None = None  # frames kept to be written as one (``hold``)
        self.send: Callable[[bytes], None] = transport.send
        self.send_frame: Callable[[bytes], None] = transport.send_frame
        self.send_parts: Callable[[list[bytes]], None] = transport.send_parts
        self.close: Callable[[int, str], None] = transport.close
        self.client_id = client_id
        self.name = name
        self.color = color
        self.readonly = readonly  # a protected board joined without its key: edits are refused
        self.token = token  # proves, in a later hello's ``prev``, that a reconnect was this one
        self.compact = compact  # said hello with ``compact: 1``: gets compact ops frames
        # Who joined, as the web layer judged it (signed-in user, edit key): opaque here, handed
        # back to that layer when the board's access changes (``Board.regrant``).
        self.who = who
        self.admitted = False  # its welcome is out: it is one of the board's peers
        self.stored = False  # its client row is in the store (written with its first op)
        self.vp: list[float] | None = None  # the last ``view`` it sent: for peers and summons
        # Ops sent between hello and the welcome: PROTOCOL.md handles them after the welcome.
        self.early: list[list[dict[str, Any]]] = []
        # Welcomed from the stored bytes while its board was opening (``live/opening.py``):
        # the seq its welcome and the rows after it brought it to. Admitted without a welcome.
        self.welcomed_at: int | None = None

    def hold(self) -> None:
        """Keep what is sent from now on (``send_frame`` and ``send``, in order) and write it
        as one at ``release``: a tick that has both ops and presence for this client then
        costs it one write, not two (a write is 10-20 us here, most of it the kernel's)."""
        self._held = []
        self.send_frame = self._held.append
        self.send = self._send_held

    def _send_held(self, message: bytes) -> None:
        frame = ws_frame(message)
        metrics.sent(len(frame))  # as the transport's own ``send`` counts it
        self.send_frame(frame)

    def release(self) -> None:
        held = self._held
        if held is None:
            return
        self._held = None
        self.send_frame = self._transport.send_frame
        self.send = self._transport.send
        if held:
            self.send_frame(held[0] if len(held) == 1 else b"".join(held))

    def unsent(self) -> int:
        return self._transport.unsent()

    def info(self) -> dict[str, Any]:
        """The client as ``welcome.peers`` and ``presence.join`` describe it (``vp`` once it
        has sent a ``view``)."""
        if self.vp is None:
            return {"id": self.client_id, "name": self.name, "color": self.color}
        return {"id": self.client_id, "name": self.name, "color": self.color, "vp": self.vp}

    def __repr__(self) -> str:
        return f"Session({self.client_id}, {self.name!r})"
