"""Back up the SQLite database while the server runs: ``python -m whiteboard.backup``.

Why not ``cp``: the database is in WAL mode, so the newest commits live in
``whiteboard.sqlite3-wal`` until SQLite checkpoints them into the main file, which it does at
moments of its own choosing. Copying the main file alone loses those commits; copying both
files one after the other can catch the pair at two different moments (a checkpoint between
the two reads), and then the copy is corrupt or silently older than what clients were shown.

SQLite's online backup API reads every page inside one read transaction, so the copy is one
consistent snapshot: every tick committed before it began, none half-written. In WAL mode a
reader blocks no writer, so boards keep ticking during the copy. It is done in one step on
purpose: a step-by-step backup restarts whenever another connection writes between steps, and
a board that ticks every 5 ms would keep it restarting for ever.

The copy is written to a temporary file beside ``--out``, checked, synced, and renamed into
place, so ``--out`` is always either the previous backup or a complete new one.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from whiteboard.store import control
from whiteboard.store.sqlite import DB_NAME


class BackupError(Exception):
    """The backup could not be made; the message says why, for a person at a terminal."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    boards: int
    ops: int
    seconds: float


def backup(
    data_dir: str | os.PathLike[str], out: str | os.PathLike[str], check: bool = True
) -> BackupResult:
    """Copy ``data_dir``'s database to ``out`` as one consistent snapshot."""
    source_path = Path(data_dir) / DB_NAME
    target = Path(out)
    if not source_path.is_file():
        raise BackupError(f"no database at {source_path} (is --data the server's data directory?)")
    if target.resolve() == source_path.resolve():
        raise BackupError("--out must not be the live database itself")
    if not target.parent.is_dir():
        raise BackupError(f"no directory {target.parent} for --out")
    started = time.monotonic()
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        _copy(source_path, tmp)
        boards, ops = _summary(tmp, check)
        _sync(tmp)
        os.replace(tmp, target)
        _sync(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return BackupResult(target, target.stat().st_size, boards, ops, time.monotonic() - started)


def _copy(source_path: Path, tmp: Path) -> None:
    # A running server holds the database exclusively (whiteboard/store/control.py): it copies.
    answer = control.request_copy(str(source_path.parent), str(tmp.resolve()))
    if answer is not None:
        if "error" in answer:
            raise BackupError(f"the running server could not copy: {answer['error']}")
        return
    # mode=rw: never create an empty database where the operator mistyped a path.
    uri = f"file:{quote(str(source_path.resolve()))}?mode=rw"
    try:
        source = sqlite3.connect(uri, uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {source_path}: {exc}") from exc
    try:
        with contextlib.closing(sqlite3.connect(tmp)) as target:
            source.backup(target)  # pages=-1: one step, one snapshot (see the module docstring)
            # The copy is a single self-contained file: no -wal or -shm to carry along with it.
            target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"backup failed: {exc}") from exc
    finally:
        source.close()


def _summary(path: Path, check: bool) -> tuple[int, int]:
    """Boards and ops in the copy; with ``check``, refuse a copy that is not sound."""
    try:
        return _count(path, check)
    except sqlite3.Error as exc:
        raise BackupError(f"the copy cannot be read back: {exc}") from exc


def _count(path: Path, check: bool) -> tuple[int, int]:
    with contextlib.closing(
        sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    ) as db:
        if check:
            problems = [row[0] for row in db.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError("the copy failed its integrity check: " + "; ".join(problems[:5]))
        boards, ops = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(head), 0) FROM"
            " (SELECT MAX(last_seq) AS head FROM log GROUP BY board)"
        ).fetchone()
    return int(boards), int(ops)


def _sync(path: Path) -> None:
    """fsync a file or a directory, so the rename survives a power cut along with the data."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m whiteboard.backup",
        description="Copy the whiteboard's SQLite database while the server runs "
        "(one consistent snapshot, via SQLite's online backup API).",
    )
    parser.add_argument(
        "--data",
        default=os.environ.get("WHITEBOARD_DATA", "./data"),
        help="the server's data directory (env WHITEBOARD_DATA; default: ./data)",
    )
    parser.add_argument("--out", required=True, help="file to write; replaced atomically")
    parser.add_argument(
        "--no-check",
        dest="check",
        action="store_false",
        help="skip PRAGMA integrity_check on the copy (faster on very large databases)",
    )
    args = parser.parse_args(argv)
    try:
        result = backup(args.data, args.out, check=args.check)
    except BackupError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    print(
        f"backed up {result.boards} boards ({result.ops} ops, {result.bytes} bytes) "
        f"to {result.path} in {result.seconds:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
