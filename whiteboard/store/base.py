"""The storage interface the Hub and the HTTP API rely on.

The embedded default is ``SQLiteStore``; a Redis store implements the same methods for
scale-out. Everything is async so that no implementation ever blocks the IOLoop on a disk or a
network round trip.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from whiteboard.history import layout

log = logging.getLogger(__name__)


class LogRow(NamedTuple):
    """One tick of one board: its ops as one msgpack array (the broadcast frame's body).

    Storing a row per tick rather than per op keeps the writer thread's work per commit small
    (see DESIGN.md, "How an edit flows"). A named tuple rather than a frozen dataclass because
    history pages read thousands per request, and a tuple is built several times faster.
    """

    first_seq: int
    last_seq: int
    ts: int
    ops: bytes


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    state: bytes  # msgpack of Document.to_state()
    layout: bytes | None = field(default=None, compare=False)
    """Its ``layout`` index when the writer already knows it (``layout.from_parts``), so the
    store need not parse megabytes in a thread that holds the GIL; else the store computes it."""


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    color: str


@dataclass
class LoadedBoard:
    """What a board needs to come back into memory: its latest checkpoint and the log after it."""

    checkpoint: Checkpoint | None
    rows: list[LogRow] = field(default_factory=list)
    next_client_id: int = 1
    key_hash: str | None = None  # set for protected boards: only holders of the key may edit


async def layout_of(checkpoint: Checkpoint) -> bytes | None:
    """The checkpoint's layout index (``layout.py``), computed off the IOLoop (and off a
    store's writer, which must stay free for every board's commits) unless the writer of the
    checkpoint already knows it. None for a state this version cannot index: ``?at=`` then
    decodes the checkpoint, which is slower but equal."""
    if checkpoint.layout is not None:
        return checkpoint.layout
    try:
        return await asyncio.get_running_loop().run_in_executor(
            None, layout.compute, checkpoint.state
        )
    except Exception as exc:
        log.warning("checkpoint %d has no layout (%s); ?at= will decode it", checkpoint.seq, exc)
        return None


class StoreError(Exception):
    """The store could not do what was asked (disk full, I/O error, closed)."""


class StoreConflict(StoreError):
    """Another process appended to the board first: the tick was judged on an old state."""


class Store(ABC):
    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def close(self) -> None:
        """Finish every queued write, then release resources."""

    @abstractmethod
    async def append(self, board: str, row: LogRow, checkpoint: Checkpoint | None = None) -> None:
        """Durably append one tick's ops (and optionally a checkpoint). Resolves once committed."""

    @abstractmethod
    async def add_client(self, board: str, client: Client) -> None:
        """Durably record a client id and its name; ids are never reused on a board."""

    @abstractmethod
    async def create_board(self, board: str, key_hash: str | None) -> bool:
        """Register a new, empty board (protected when key_hash is set).

        False when the id already exists or already has ops: a key can never be put on a board
        that others have drawn on.
        """

    @abstractmethod
    async def save_checkpoint(self, board: str, checkpoint: Checkpoint) -> None: ...

    @abstractmethod
    async def load(self, board: str) -> LoadedBoard: ...

    @abstractmethod
    async def head(self, board: str) -> int:
        """The last committed sequence number (0 for an unknown board)."""

    @abstractmethod
    async def checkpoint_at_or_before(self, board: str, seq: int) -> Checkpoint | None: ...

    async def checkpoint_layout(self, board: str, seq: int) -> bytes | None:
        """The layout index of the checkpoint at ``seq`` (``layout.py``), if the store keeps
        one. Optional: without it ``?at=`` decodes the checkpoint, which is slower but equal."""
        return None

    @abstractmethod
    async def read_log(self, board: str, after: int, upto: int | None = None) -> list[LogRow]:
        """Rows holding ops with ``after < s <= upto`` (all after ``after`` when upto is None).

        Rows are whole ticks, so the first may start before ``after + 1``: callers slice.
        """

    @abstractmethod
    async def read_log_page(self, board: str, after: int, max_ops: int) -> list[LogRow]:
        """Rows after ``after``, oldest first, stopping once they cover ``max_ops`` ops."""

    @abstractmethod
    async def client_names(self, board: str, ids: list[int] | None = None) -> dict[int, str]: ...

    @abstractmethod
    async def create_board_with_history(
        self,
        board: str,
        clients: list[Client],
        rows: list[LogRow],
        checkpoints: list[Checkpoint],
    ) -> bool:
        """Create a board with its whole log at once (a fork or an import), in one transaction.

        All or nothing, so that a refused or interrupted copy never leaves half a board behind.
        False, with nothing written, when the id already has a log or clients: the caller picks
        another random id.
        """


class SharedStore(Store):
    """A store that several processes serve boards from at once (``--redis``).

    A process then no longer owns its boards: it must take a board's lock before judging ops,
    get client ids from the store, and hear of rows and presence from the other processes.
    """

    process: str  # this process's name in locks and presence

    @abstractmethod
    async def lock(
        self, board: str, after: int, authors: list[int]
    ) -> tuple[list[LogRow], set[int]]:
        """Take the board's short lock; the rows after ``after`` that this process lacks, and
        which of ``authors`` a reconnect on another process has retired (``retire``)."""

    @abstractmethod
    async def retire(self, board: str, client_id: int, token: str) -> bool:
        """A client reconnected elsewhere and proved (``token``) it held ``client_id``: that
        connection's process must drop its queued ops. False when the proof fails."""

    @abstractmethod
    async def heads(self, boards: list[str]) -> list[int]:
        """The committed head of each board, in one round trip."""

    @abstractmethod
    async def unlock(self, board: str) -> None:
        """Give the lock back when a tick ends without an append (append releases it)."""

    @abstractmethod
    async def next_client_id(self, board: str) -> int: ...

    @abstractmethod
    def listen(
        self,
        on_row: Callable[[str, LogRow], None],
        on_presence: Callable[[str, dict[str, Any]], None],
        on_revive: Callable[[], None] | None = None,
    ) -> None: ...

    @abstractmethod
    async def subscribe(self, board: str) -> None: ...

    @abstractmethod
    async def unsubscribe(self, board: str) -> None: ...

    @abstractmethod
    async def peer_joined(self, board: str, info: dict[str, Any], token: str) -> None: ...

    @abstractmethod
    async def peers_left(self, board: str, ids: list[int]) -> None: ...

    @abstractmethod
    async def publish_presence(self, board: str, event: dict[str, Any]) -> None: ...

    @abstractmethod
    async def remote_peers(self, board: str) -> dict[int, tuple[dict[str, Any], str]]: ...

    @abstractmethod
    async def live_processes(self) -> set[str]: ...

    @abstractmethod
    async def forget_peers(self, board: str, ids: list[int]) -> None: ...
