"""The embedded store: one SQLite database in WAL mode, written by one thread.

Why one writer thread with group commit: SQLite allows one writer at a time, and a commit costs
a disk sync. Queuing every board's writes to one thread and committing whatever has queued up in
one transaction keeps the IOLoop free of disk waits and makes the cost per op fall as load
rises. Reads run on a small thread pool with their own connections; WAL lets them proceed while
the writer commits, and they only ever see committed data.

Appends are conditional (``Store.append``) without a read per append: this store is the only
writer of its data directory, so the writer thread knows every board's head once it has read it
(``_heads``), and checks a row against it in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from whiteboard.store import access_sql, meta, meta_sql, sql
from whiteboard.store.access import BoardAccess, Login
from whiteboard.store.base import (
    Blob,
    BlobPut,
    Checkpoint,
    Client,
    LoadedBoard,
    LogRow,
    Store,
    StoreConflict,
    StoreError,
    layout_of,
)
from whiteboard.store.sqlite_writer import GroupCommit, Job

log = logging.getLogger(__name__)

T = TypeVar("T")

DB_NAME = "whiteboard.sqlite3"


def path_in(data_dir: str) -> str:
    return os.path.join(data_dir, DB_NAME)


class SQLiteStore(Store):
    def __init__(self, data_dir: str) -> None:
        self.path = path_in(data_dir)
        self._data_dir = data_dir
        self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sqlite-read")
        self._local = threading.local()
        self._closed = False
        # The writer thread's: the head of each board it has written, as its transaction
        # leaves it (forgotten if that transaction fails: read again from the database).
        self._heads: dict[str, int] = {}
        self._writes = GroupCommit(on_failure=self._heads.clear)
        # The IOLoop's: client ids handed out, past those stored (``next_client_id``).
        self._client_ids: dict[str, int] = {}

    async def start(self) -> None:
        os.makedirs(self._data_dir, exist_ok=True)
        try:
            conn = sql.connect(self.path)
            conn.executescript(sql.SCHEMA)
            conn.executescript(access_sql.SCHEMA)
            conn.executescript(meta_sql.SCHEMA)
            # Deleted rows are zeroed on disk: a purged board leaves no bytes in the file.
            conn.execute("PRAGMA secure_delete=ON")
            problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
        except sqlite3.OperationalError as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            problems = [str(exc)]
        if problems != ["ok"]:
            # Said at start, once, with the way out: a board on a damaged page would otherwise
            # answer "try again" (1013) for ever.
            raise StoreError(
                f"the database {self.path} is damaged ({'; '.join(problems)}): stop here and "
                f"restore the last copy made by python -m whiteboard.backup over it (removing "
                f"{DB_NAME}-wal beside it), or move it away to start with no boards"
            )
        self._writes.start(conn, asyncio.get_running_loop())

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._writes.stop()
        self._readers.shutdown(wait=True)

    # -- writes ------------------------------------------------------------------------------

    def _submit(self, job: Job) -> asyncio.Future[Any]:
        if self._closed:
            raise StoreError("the store is closed")
        return self._writes.submit(job)

    @property
    def commits(self) -> int:
        """Transactions committed (for tests and metrics)."""
        return self._writes.commits

    async def append(self, board: str, row: LogRow, checkpoint: Checkpoint | None = None) -> None:
        index = await layout_of(checkpoint) if checkpoint is not None else None

        heads = self._heads
        first, last = row.first_seq, row.last_seq
        values = (board, *row)  # the columns in LogRow's order

        def job(conn: sqlite3.Connection) -> None:
            head = heads.get(board)
            if head is None:
                head = heads[board] = sql.last_seq(conn, board)
            if first != head + 1:
                raise StoreConflict(f"board {board} is at {head}, not {first - 1}")
            conn.execute(
                "INSERT INTO log (board, first_seq, last_seq, ts, ops) VALUES (?, ?, ?, ?, ?)",
                values,
            )
            if checkpoint is not None:
                sql.insert_checkpoint(conn, board, checkpoint, index)
            heads[board] = last  # last: a job that failed changed no head

        await self._submit(job)

    async def append_many(self, rows: list[tuple[str, LogRow]]) -> list[StoreError | None]:
        """Every board's row in one ``INSERT`` of many ``VALUES``: the writer thread's work for
        a round is one statement stepped in C, whatever the number of boards.

        Why not ``executemany``: it steps once per row, and each step gives up the GIL and takes
        it back, which waits up to the switch interval (5 ms) whenever the loop is busy: a round
        of 250 rows took 70 ms on a loaded machine. One statement takes the GIL back once.
        """
        heads = self._heads

        def job(conn: sqlite3.Connection) -> list[StoreError | None]:
            out: list[StoreError | None] = []
            values: list[Any] = []  # the rows' columns, flat
            for board, row in rows:
                head = heads.get(board)
                if head is None:
                    head = heads[board] = sql.last_seq(conn, board)
                if row.first_seq != head + 1:
                    at = f"board {board} is at {head}, not {row.first_seq - 1}"
                    out.append(StoreConflict(at))
                else:
                    out.append(None)
                    values += (board, *row)
            sql.insert_rows(conn, values)
            for (board, row), error in zip(rows, out, strict=True):
                if error is None:
                    heads[board] = row.last_seq  # once inserted: a failure changed no head
            return out

        try:
            result: list[StoreError | None] = await self._submit(job)
        except StoreError as exc:
            return [exc] * len(rows)
        return result

    async def add_client(self, board: str, client: Client) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO clients (board, id, name, color) VALUES (?, ?, ?, ?)",
                (board, client.id, client.name, client.color),
            )

        await self._submit(job)

    async def create_board(self, board: str, key_hash: str | None) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            if conn.execute("SELECT 1 FROM log WHERE board = ? LIMIT 1", (board,)).fetchone():
                return False
            cur = conn.execute(
                "INSERT OR IGNORE INTO boards (board, key_hash, created)"
                " VALUES (?, ?, CAST(strftime('%s','now') AS INTEGER))",
                (board, key_hash),
            )
            return cur.rowcount == 1

        created: bool = await self._submit(job)
        return created

    async def next_client_id(self, board: str) -> int:
        """Counted in memory past the stored and reserved clients (no other process gives out
        ids here), and reserved before it is answered."""
        if board not in self._client_ids:
            stored = await self._read(lambda conn: sql.max_client_id(conn, board))
            self._client_ids[board] = max(self._client_ids.get(board, 0), stored)
        self._client_ids[board] += 1
        client_id = self._client_ids[board]
        await self.reserve_client_id(board, client_id)
        return client_id

    async def reserve_client_id(self, board: str, client_id: int) -> None:
        await self._submit(lambda conn: sql.reserve_client_id(conn, board, client_id))

    async def save_checkpoint(self, board: str, checkpoint: Checkpoint) -> None:
        index = await layout_of(checkpoint)
        await self._submit(lambda conn: sql.insert_checkpoint(conn, board, checkpoint, index))

    # -- reads -------------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sql.connect(self.path)
            self._local.conn = conn
        return conn

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise StoreError("the store is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._readers, lambda: fn(self._reader()))
        except sqlite3.DatabaseError as exc:
            if exc.sqlite_errorcode in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
                log.error(
                    "the database %s is damaged (%s): restore the last copy made by"
                    " python -m whiteboard.backup (the server refuses to start on it now)",
                    self.path,
                    exc,
                )
            raise StoreError(f"the database could not be read: {exc}") from exc

    async def load(self, board: str) -> LoadedBoard:
        def read(conn: sqlite3.Connection) -> LoadedBoard:
            cp = sql.checkpoint_before(conn, board, None)
            if cp is not None:
                firsts = sql.first_adds(conn, board, None, cp.seq)
                cp = dataclasses.replace(cp, firsts=tuple(firsts.items()))
            after = cp.seq if cp else 0
            rows = sql.rows(conn, board, after, None)
            key = conn.execute("SELECT key_hash FROM boards WHERE board = ?", (board,)).fetchone()
            return LoadedBoard(
                checkpoint=cp,
                rows=rows,
                next_client_id=sql.max_client_id(conn, board) + 1,
                key_hash=key[0] if key else None,
                blobs=sql.blob_names(conn, board),
                deleted=meta_sql.deleted_at(conn, board),
                stored_bytes=sql.log_bytes(conn, board) + sql.blob_total(conn, board),
            )

        return await self._read(read)

    async def total_bytes(self) -> int:
        """The database, its write-ahead log and anything else SQLite keeps beside it."""

        def measure() -> int:
            total = 0
            for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    total += os.stat(os.path.join(self._data_dir, name)).st_size
            return total

        try:
            return await asyncio.get_running_loop().run_in_executor(self._readers, measure)
        except OSError as exc:
            raise StoreError(f"the database could not be measured: {exc}") from exc

    async def head(self, board: str) -> int:
        return await self._read(lambda conn: sql.last_seq(conn, board))

    async def heads(self, boards: list[str]) -> list[int]:
        return await self._read(lambda conn: [sql.last_seq(conn, board) for board in boards])

    async def checkpoint_at_or_before(self, board: str, seq: int) -> Checkpoint | None:
        return await self._read(lambda conn: sql.checkpoint_before(conn, board, seq))

    async def first_adds(self, board: str, ids: list[str] | None, upto: int) -> dict[str, int]:
        return await self._read(lambda conn: sql.first_adds(conn, board, ids, upto))

    async def checkpoint_layout(self, board: str, seq: int) -> bytes | None:
        def read(conn: sqlite3.Connection) -> bytes | None:
            row = conn.execute(
                "SELECT layout FROM checkpoint_layouts WHERE board = ? AND seq = ?", (board, seq)
            ).fetchone()
            return bytes(row[0]) if row else None

        return await self._read(read)

    async def read_log(self, board: str, after: int, upto: int | None = None) -> list[LogRow]:
        return await self._read(lambda conn: sql.rows(conn, board, after, upto))

    async def read_log_page(self, board: str, after: int, max_ops: int) -> list[LogRow]:
        # Rows hold contiguous seqs, so the rows starting at or before after + max_ops are
        # exactly those covering the next max_ops ops: one range query, no counting in Python
        # (history pages read thousands of rows per request).
        return await self._read(lambda conn: sql.rows(conn, board, after, after + max_ops))

    async def client_names(self, board: str, ids: list[int] | None = None) -> dict[int, str]:
        return await self._read(lambda conn: sql.client_names(conn, board, ids))

    async def create_board_with_history(
        self,
        board: str,
        clients: list[Client],
        rows: list[LogRow],
        checkpoints: list[Checkpoint],
        blobs: Mapping[str, Blob] | None = None,
    ) -> bool:
        layouts = [await layout_of(cp) for cp in checkpoints]

        def job(conn: sqlite3.Connection) -> bool:
            for table in ("log", "clients"):
                taken = conn.execute(
                    f"SELECT 1 FROM {table} WHERE board = ? LIMIT 1", (board,)
                ).fetchone()
                if taken:
                    return False
            conn.executemany(
                "INSERT INTO clients (board, id, name, color) VALUES (?, ?, ?, ?)",
                [(board, c.id, c.name, c.color) for c in clients],
            )
            conn.executemany(
                "INSERT INTO log (board, first_seq, last_seq, ts, ops) VALUES (?, ?, ?, ?, ?)",
                [(board, r.first_seq, r.last_seq, r.ts, r.ops) for r in rows],
            )
            for cp, cp_layout in zip(checkpoints, layouts, strict=True):
                sql.insert_checkpoint(conn, board, cp, cp_layout)
            if blobs:
                sql.insert_blobs(conn, board, dict(blobs))
            self._heads[board] = rows[-1].last_seq if rows else 0
            return True

        created: bool = await self._submit(job)
        return created

    # -- blobs -------------------------------------------------------------------------------
    # Written by the one writer like everything else (an image's insert then waits its turn
    # with the ticks' appends, but is in the same database: backups, forks and imports see
    # blobs and logs at one moment).

    async def put_blob(
        self, board: str, name: str, blob: Blob, max_total: int
    ) -> tuple[BlobPut, int]:
        result: tuple[BlobPut, int] = await self._submit(
            lambda conn: sql.put_blob(conn, board, name, blob, max_total)
        )
        return result

    async def get_blob(self, board: str, name: str) -> Blob | None:
        return (await self.get_blobs(board, [name])).get(name)

    async def get_blobs(self, board: str, names: Iterable[str]) -> dict[str, Blob]:
        wanted = list(names)
        return await self._read(lambda conn: sql.get_blobs(conn, board, wanted))

    async def blob_names(self, board: str) -> set[str]:
        return await self._read(lambda conn: sql.blob_names(conn, board))

    async def blob_total(self, board: str) -> int:
        return await self._read(lambda conn: sql.blob_total(conn, board))

    # -- titles, deletion, purge, listing (meta_sql.py) ---------------------------------------

    async def board_title(self, board: str) -> str | None:
        return await self._read(lambda conn: meta_sql.title(conn, board))

    async def set_title(self, board: str, title: str | None) -> None:
        await self._submit(lambda conn: meta_sql.set_title(conn, board, title))

    async def deleted_at(self, board: str) -> int | None:
        return await self._read(lambda conn: meta_sql.deleted_at(conn, board))

    async def set_deleted(self, board: str, at: int | None) -> bool:
        done: bool = await self._submit(lambda conn: meta_sql.set_deleted(conn, board, at))
        return done

    async def purge_board(self, board: str) -> bool:
        heads = self._heads

        def job(conn: sqlite3.Connection) -> bool:
            heads.pop(board, None)
            return meta_sql.purge(conn, board)

        found: bool = await self._submit(job)
        self._client_ids.pop(board, None)
        # The zeroed pages are in the WAL for now, and older frames there still hold the board:
        # copy the WAL into the database and empty it.
        busy = await self._read(
            lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        )
        if busy:
            log.warning("purge of %s: the WAL could not be emptied yet (busy)", board)
        return found

    async def list_boards(
        self, q: str = "", after: str | None = None, limit: int | None = None
    ) -> tuple[list[meta.BoardSummary], str | None]:
        def read(conn: sqlite3.Connection) -> tuple[list[meta.BoardSummary], str | None]:
            page, following = meta.select(meta_sql.summaries(conn), q, after, limit)
            sizes = meta_sql.sizes(conn, [s.board for s in page])
            return meta.with_sizes(page, sizes), following

        return await self._read(read)

    # -- access and logins (access_sql.py) -----------------------------------------------------

    async def get_access(self, board: str) -> BoardAccess | None:
        return await self._read(lambda conn: access_sql.get_access(conn, board))

    async def put_access(self, board: str, access: BoardAccess) -> None:
        await self._submit(lambda conn: access_sql.put_access(conn, board, access))

    async def set_key_hash(self, board: str, key_hash: str | None) -> None:
        await self._submit(lambda conn: access_sql.set_key_hash(conn, board, key_hash))

    async def key_hash(self, board: str) -> str | None:
        return await self._read(lambda conn: access_sql.key_hash(conn, board))

    async def put_login(self, sid: str, login: Login) -> None:
        await self._submit(lambda conn: access_sql.put_login(conn, sid, login))

    async def get_login(self, sid: str, now: int) -> Login | None:
        return await self._read(lambda conn: access_sql.get_login(conn, sid, now))

    async def delete_login(self, sid: str) -> None:
        await self._submit(lambda conn: access_sql.delete_login(conn, sid))
