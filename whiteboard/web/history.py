"""HTTP routes of the history features: fork a board at a moment, export and import board files.

Kept apart from ``api.py`` (snapshot, log pages, SVG) because these routes create boards and
move whole logs, and share their own concerns: work too heavy for the IOLoop runs in a thread,
and POSTs from other sites' pages are refused.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import tornado.iostream
import tornado.web

from whiteboard.clock import now_ms
from whiteboard.document import Document
from whiteboard.export.svg import image_blobs
from whiteboard.history import boardfile, jobs, pages, rebuild, state
from whiteboard.live.budget import SHORT_OF_MEMORY
from whiteboard.live.presence import color_of
from whiteboard.protocol import server_op
from whiteboard.store.base import Blob, Client, StoreError
from whiteboard.web.api import SnapshotHandler
from whiteboard.web.auth.creating import give_owner
from whiteboard.web.auth.session import User
from whiteboard.web.base import MSGPACK, ApiError, ApiHandler, random_board_id
from whiteboard.web.heavy import RETRY_AFTER_S, Busy, HeavyWork

log = logging.getLogger(__name__)

T = TypeVar("T")

_ID_ATTEMPTS = 5
IMPORTS_AT_ONCE = 2
"""Imports read and checked at the same time; one more is answered 503 with Retry-After."""
IMPORT_MEMORY = 5
"""Memory an import holds, in times its file's size: the file, the document its ops build
(about the size of the points on the wire), its rows and its checkpoints (measured: a 40 MiB
file of pen points took the process 170 MB higher)."""
SERVER_AUTHOR = 1
"""The client id of the server author that writes a fork's ops (the fork's only client)."""


class _CreatingHandler(ApiHandler):
    """A POST that creates a board: same-site only, answers ``201 {board}`` or ``{error}``."""

    store_failure = "The board could not be created; try again."
    owner: User | None = None

    async def create(self, build: Callable[[], Awaitable[boardfile.ImportedBoard]]) -> None:
        """Build the new board's log (``build``: in a thread or a worker process), then store it
        under a fresh random id."""
        self.check_storage()
        try:
            built = await build()
        except boardfile.BoardFileError as exc:
            raise ApiError(400, exc.message) from None
        except MemoryError:
            raise ApiError(503, SHORT_OF_MEMORY, retry_after=RETRY_AFTER_S) from None
        self.check_storage(None, sum(len(r.ops) for r in built.rows) + built.blob_bytes)
        for _ in range(_ID_ATTEMPTS):
            board = random_board_id()
            if await self.store.create_board_with_history(
                board, built.clients, built.rows, built.checkpoints, built.blobs
            ):
                await give_owner(self.store, board, self.owner, "edit")
                self.set_status(201)
                self.reply({"board": board, "seq": built.rows[-1].last_seq if built.rows else 0})
                return
        raise StoreError("no free board id after several attempts")

    async def run(self, action: Callable[[], Any]) -> None:
        self.check_same_site()
        self.owner = await self.creator()
        self.check_creation_rate()
        await action()


class ForkHandler(_CreatingHandler):
    """``POST /api/boards/{board}/fork?at=S``: a new board whose first state is ``board`` at S.

    The new board's log is ordinary ``add`` ops (and ``append`` for long pens) by one server
    author named after the origin, so it replays, exports and imports like any board.
    """

    async def post(self, board: str) -> None:
        with self.heavy_slot():  # the source state is rebuilt and copied: as heavy as an export
            await self.run(lambda: self._fork(board))

    async def _fork(self, board: str) -> None:
        board = self.board_id(board)
        head = await self.store.head(board)
        at = self.int_arg("at", head, 0, 2**53 - 1)
        assert at is not None
        if at > head:
            raise ApiError(400, f"'at' must be between 0 and the head ({head}).")
        cp, rows = await state.state_inputs(self.store, board, at)
        limits = self.hub.limits
        source = await self.off_loop(lambda: state.replay_rows(cp, rows, at, limits))
        name = f"Copied from {board} at {at}"
        every = self.hub.settings.checkpoint_every
        # The copy gets the pictures its elements show (PROTOCOL.md 1.1), no others.
        named = image_blobs(source.elements())
        blobs = await self.store.get_blobs(board, named) if named else {}
        await self.create(
            lambda: self.off_loop(lambda: _fork_log(source, name, now_ms(), every, blobs))
        )


def _fork_log(
    source: Document, name: str, ts: int, checkpoint_every: int, blobs: dict[str, Blob]
) -> boardfile.ImportedBoard:
    builder = boardfile.LogBuilder(source.limits, checkpoint_every)
    for c, op in enumerate(rebuild.fork_ops(source), start=1):
        sop = server_op({**op, "c": c}, c, SERVER_AUTHOR)
        sop["ts"] = ts  # a board file's op: the server op with its time
        builder.add(sop)
    doc = builder.finish()
    if doc.elements() != source.elements():
        raise ValueError("the fork's ops do not rebuild the source state")  # a bug, not input
    return boardfile.ImportedBoard(
        source=name,
        clients=[Client(SERVER_AUTHOR, name, color_of(SERVER_AUTHOR))],
        rows=builder.rows,
        checkpoints=builder.checkpoints,
        blobs=blobs,
    )


@tornado.web.stream_request_body
class ImportHandler(_CreatingHandler, SnapshotHandler):
    """``POST /api/boards/import``: a new board from a board file (the body), or 400 and none.

    It is routed before ``/api/boards/{board}`` and also inherits its GET, so the board named
    "import" still has its snapshot. The body streams in so a file over ``import_bytes`` is
    refused without being kept in memory.
    """

    async def prepare(self) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self._held = contextlib.ExitStack()
        if self.request.method != "POST":
            await super().prepare()  # the snapshot of a board named "import"
            return
        cap = self.hub.settings.import_bytes
        declared = self.request.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            self._too_large(cap)
            return
        # Held from the first byte to the answer: the file, the document and log built from it
        # (IMPORT_MEMORY times the declared size), and one of IMPORTS_AT_ONCE places.
        imports: HeavyWork = self.application.settings["imports"]
        need = IMPORT_MEMORY * (int(declared) if declared.isdigit() else cap)
        try:
            if not self.hub.budget.fits(need):
                raise Busy
            self._held.enter_context(imports.slot())
        except Busy:
            self.set_status(503)
            self.set_header("Retry-After", str(RETRY_AFTER_S))
            self.reply({"error": "The server is busy with other imports: try again in a moment."})
            self.finish()
            return
        self._held.enter_context(self.hub.budget.reserve(need))

    def on_finish(self) -> None:
        self._held.close()

    def on_connection_close(self) -> None:
        self._held.close()
        super().on_connection_close()

    def data_received(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size <= self.hub.settings.import_bytes:
            self._chunks.append(chunk)
        else:
            self._chunks = []  # keep reading (to answer cleanly) but keep nothing

    def _too_large(self, cap: int) -> None:
        self.set_status(413)
        self.reply({"error": f"The file is larger than this server accepts ({cap} bytes)."})
        self.finish()

    async def post(self, _board: str) -> None:
        cap = self.hub.settings.import_bytes
        if self._size > cap:
            self._too_large(cap)
            return
        data = b"".join(self._chunks)
        self._chunks = []
        limits, settings = self.hub.limits, self.hub.settings
        every = settings.checkpoint_every
        rules = boardfile.BlobRules(
            settings.blob_bytes, settings.image_pixels, settings.board_blob_bytes
        )
        # In a worker process: validating and rebuilding a 60 MiB file is seconds of pure
        # Python, which in a thread kept the loop waiting for the GIL (lag up to 100 ms).
        await self.run(
            lambda: self.create(
                lambda: self.compute(boardfile.read, data, limits, every, color_of, rules)
            )
        )


class ExportHandler(ApiHandler):
    """``GET /api/boards/{board}/export.wbd?at=S``: the board file of ``board`` at S.

    Streamed batch by batch (state first, then the log, then the authors' names), so a board
    with a million ops is exported without holding its log in memory.
    """

    async def handle(self, board: str) -> None:
        at = self.int_arg("at", None, 0, 2**53 - 1)
        # A board that holds images ends its file with those its ops name.
        has_blobs = bool(await self.store.blob_names(board))
        with self.heavy_slot():  # its state is rebuilt, as for an export
            seq, cp, rows = await self.state_inputs_at(board, at)
            first = await self.compute(
                jobs.board_file_head, board, cp, rows, seq, self.hub.limits, has_blobs
            )
        self.set_header("Content-Type", MSGPACK)
        self.set_header("Content-Disposition", f'attachment; filename="{board}-{seq}.wbd"')
        self.write(first)
        authors: set[int] = set()
        named: set[str] = set()
        try:
            async for batch in pages.iter_ops(self.store, board, seq):
                authors.update(sop["by"] for sop in batch)
                if has_blobs:
                    named.update(n for n in map(boardfile.blob_named, batch) if n is not None)
                self.write(boardfile.ops(batch))
                await self.flush()
            names = await self.store.client_names(board, sorted(authors))
            blobs = await self.store.get_blobs(board, named) if named else {}
        except tornado.iostream.StreamClosedError:
            return  # the browser went away; nothing to finish
        except StoreError as exc:
            # Headers are gone: the only honest answer left is a cut connection, which every
            # client sees as a failed download (and which an import would refuse as truncated).
            log.error("export of %s failed midway: %s", board, exc)
            close = getattr(self.request.connection, "close", None)
            if close is not None:
                close()
            return
        self.write(boardfile.tail(names))
        if has_blobs:
            self.write(boardfile.blobs_tail({n: b.data for n, b in blobs.items()}))
