"""The storage interface the live boards and the HTTP API rely on: data, and nothing else.

A store keeps boards' logs, checkpoints and clients. It knows no connections, sessions or
processes: how processes serving one board agree (locks, presence, liveness) is the cluster's
job (``whiteboard/cluster/``). The embedded default is ``SQLiteStore``; ``RedisStore`` implements
the same contract for scale-out, and ``tests/store/test_contract.py`` runs one suite against
both. Everything is async so that no implementation ever blocks the IOLoop on a disk or a
network round trip.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from whiteboard.history import layout
from whiteboard.store.access import AccessStore
from whiteboard.store.meta import BoardMeta

log = logging.getLogger(__name__)


class LogRow(NamedTuple):
    """One tick of one board: its ops as one msgpack array (the broadcast frame's body).

    Storing a row per tick rather than per op keeps the writer thread's work per commit small
    (docs/architecture.md, "How an edit flows"). A named tuple rather than a frozen dataclass
    because history pages read thousands per request, and a tuple is built several times faster.
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
    firsts: tuple[tuple[str, int], ...] = field(default=(), compare=False)
    """First-add seqs of ids deleted at or before ``seq``, which ``state`` does not list. On
    write: those deleted since the writer's previous checkpoint, which the store records once
    each (``first_adds``), in the same write as the state. On read: those of the ids the reader
    asked for (all of them for ``load``), for ``Document.know_firsts``."""


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    color: str


@dataclass(frozen=True)
class Blob:
    """An image stored on a board (PROTOCOL.md 1.1): its type and bytes, named by their hash."""

    type: str
    data: bytes


class BlobPut(enum.Enum):
    STORED = "stored"
    EXISTS = "exists"  # the board holds these bytes already: stored once
    FULL = "full"  # they would take the board past its total: nothing stored


@dataclass
class LoadedBoard:
    """What a board needs to come back into memory: its latest checkpoint and the log after it."""

    checkpoint: Checkpoint | None
    rows: list[LogRow] = field(default_factory=list)
    next_client_id: int = 1
    key_hash: str | None = None  # set for protected boards: only holders of the key may edit
    blobs: set[str] = field(default_factory=set)
    """The names of the blobs the board holds: the live board checks image adds against
    them in memory, with no store round trip per op."""
    deleted: int | None = None  # soft-deleted (ms): the board is not served (``meta.py``)
    stored_bytes: int = 0
    """Bytes of its log rows and blobs: what ``--board-mb`` caps (``live/quota.py``)."""


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
    """The row does not follow the stored head (another process appended first): the tick
    was judged on an old state and nothing of it was stored."""


class Store(BoardMeta, AccessStore, ABC):
    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def close(self) -> None:
        """Finish every queued write, then release resources."""

    @abstractmethod
    async def append(self, board: str, row: LogRow, checkpoint: Checkpoint | None = None) -> None:
        """Durably append one tick's ops (and optionally a checkpoint). Resolves once committed.

        Conditional: ``row.first_seq`` must be the stored head + 1, else ``StoreConflict`` and
        nothing is stored. The log then never forks or gets a hole, whoever appends (another
        process whose lock expired under it, a board judged on an old state).
        """

    async def append_many(self, rows: list[tuple[str, LogRow]]) -> list[StoreError | None]:
        """``append`` of several boards' rows at once (one per board), each conditional on its
        own board's head: one answer per row, ``None`` when stored, else the error ``append``
        would have raised (the others are stored all the same).

        The live boards' scheduler hands every round's rows in one call, so a store that can
        commit them together (SQLite: one statement, one transaction) pays its fixed cost once
        per round instead of once per board. This default appends them one by one.
        """
        results = await asyncio.gather(
            *(self.append(board, row) for board, row in rows), return_exceptions=True
        )
        out: list[StoreError | None] = []
        for result in results:
            if isinstance(result, StoreError) or result is None:
                out.append(result)
            else:
                raise result
        return out

    @abstractmethod
    async def add_client(self, board: str, client: Client) -> None:
        """Durably record a client id and its name; ids are never reused on a board. Written
        when the client's first op is committed, not when it connects: a board's readers would
        otherwise each leave a row for ever."""

    @abstractmethod
    async def next_client_id(self, board: str) -> int:
        """A client id that no earlier call, nor any stored or reserved client, has on this
        board; durably given out (it is never given again, even after a restart)."""

    @abstractmethod
    async def reserve_client_id(self, board: str, client_id: int) -> None:
        """Durably record that ids up to ``client_id`` are given out, without a row for them:
        ``load`` and ``next_client_id`` answer above it from then on."""

    @abstractmethod
    async def create_board(self, board: str, key_hash: str | None) -> bool:
        """Register a new, empty board (protected when key_hash is set).

        False when the id already exists or already has ops: a key can never be put on a board
        that others have drawn on.
        """

    @abstractmethod
    async def create_board_with_history(
        self,
        board: str,
        clients: list[Client],
        rows: list[LogRow],
        checkpoints: list[Checkpoint],
        blobs: Mapping[str, Blob] | None = None,
    ) -> bool:
        """Create a board with its whole log (and the images it names) at once (a fork or an
        import), in one transaction.

        All or nothing, so that a refused or interrupted copy never leaves half a board behind.
        False, with nothing written, when the id already has a log or clients: the caller picks
        another random id.
        """

    @abstractmethod
    async def save_checkpoint(self, board: str, checkpoint: Checkpoint) -> None: ...

    @abstractmethod
    async def load(self, board: str) -> LoadedBoard:
        """The latest checkpoint (with every recorded first-add seq up to it in ``firsts``),
        the rows after it, the next client id and the key hash."""

    @abstractmethod
    async def total_bytes(self) -> int:
        """What the whole store takes now (``--disk-mb``): its files on disk, or its memory."""

    @abstractmethod
    async def head(self, board: str) -> int:
        """The last committed sequence number (0 for an unknown board)."""

    @abstractmethod
    async def heads(self, boards: list[str]) -> list[int]:
        """The committed head of each board, in one round trip."""

    @abstractmethod
    async def checkpoint_at_or_before(self, board: str, seq: int) -> Checkpoint | None: ...

    @abstractmethod
    async def first_adds(self, board: str, ids: list[str] | None, upto: int) -> dict[str, int]:
        """The recorded first-add seqs (``Checkpoint.firsts``) at most ``upto``: of ``ids``, or
        of every id when None."""

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
    async def client_names(self, board: str, ids: list[int] | None = None) -> dict[int, str]:
        """Names of the board's clients: all of them, or those of ``ids`` that exist."""

    # -- blobs (images) ----------------------------------------------------------------------

    @abstractmethod
    async def put_blob(
        self, board: str, name: str, blob: Blob, max_total: int
    ) -> tuple[BlobPut, int]:
        """Store ``blob`` under ``name`` (the SHA-256 of its bytes) on the board, once, unless
        that would take the board's total past ``max_total``. Answers what happened and the
        board's total bytes of blobs after it, checked and written in one step."""

    @abstractmethod
    async def get_blob(self, board: str, name: str) -> Blob | None: ...

    @abstractmethod
    async def get_blobs(self, board: str, names: Iterable[str]) -> dict[str, Blob]:
        """Those of ``names`` the board holds (exports, forks)."""

    @abstractmethod
    async def blob_names(self, board: str) -> set[str]: ...

    @abstractmethod
    async def blob_total(self, board: str) -> int:
        """Bytes of blobs stored on the board in all."""
