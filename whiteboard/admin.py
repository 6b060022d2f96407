"""Boards for operators without a browser: ``python -m whiteboard.admin list|delete|restore|purge``.

Safe while the server runs. With SQLite the running server holds the database exclusively
(``store/control.py``), so the command asks it, over the same local socket the backup tool uses,
and the server closes the connections of a board it deletes; with no server running, the command
takes the data directory's lock (``store/datalock.py``) and opens the database itself. With
``--redis`` it works on Redis directly, as one more process would, and tells the servers to
close a deleted board's connections on the board's presence channel.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import sys
from typing import Any

from whiteboard.live.lifecycle import Lifecycle, command
from whiteboard.store import control
from whiteboard.store.base import StoreError
from whiteboard.store.datalock import DataLock


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%Y-%m-%d %H:%M")


def print_list(boards: list[dict[str, Any]]) -> None:
    print(f"{'board':<24} {'seq':>8} {'active (UTC)':<16} {'deleted (UTC)':<16} title")
    for b in boards:
        print(
            f"{b['board']:<24} {b['seq']:>8} {_when(b['active']):<16} "
            f"{_when(b['deleted']):<16} {b['title'] or ''}"
        )


async def _direct(args: argparse.Namespace, request: dict[str, Any]) -> dict[str, Any]:
    """The command run here, on the store itself (no server of this --data, or Redis)."""
    if args.redis:
        from whiteboard.cluster.redis import RedisCluster
        from whiteboard.store.redis import RedisStore

        redis_store = RedisStore(args.redis)
        await redis_store.start()
        try:
            # Not started: no heartbeat, no locks; only its publish, to reach the servers.
            return await command(Lifecycle(redis_store, None, RedisCluster(redis_store)), request)
        finally:
            await redis_store.close()
    from whiteboard.store.sqlite import SQLiteStore

    store = SQLiteStore(args.data)
    await store.start()
    try:
        return await command(Lifecycle(store, None, None), request)
    finally:
        await store.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    request: dict[str, Any] = {"admin": args.command}
    if args.command == "list":
        request["q"] = args.q
    else:
        request["board"] = args.board
    if args.redis:
        return asyncio.run(_direct(args, request))
    if not os.path.isdir(args.data):
        return {"error": f"no data directory {args.data} (is --data the server's?)"}
    answer = control.ask(args.data, request, timeout=120)
    if answer is not None:
        return answer
    lock = DataLock(args.data)
    lock.acquire()  # a server starting meanwhile: said in one line, nothing done
    try:
        return asyncio.run(_direct(args, request))
    finally:
        lock.release()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m whiteboard.admin",
        description="List, delete (restorably), restore and purge boards, while the server "
        "runs or not.",
    )
    parser.add_argument("--data", default=os.environ.get("WHITEBOARD_DATA", "./data"))
    parser.add_argument("--redis", default=os.environ.get("WHITEBOARD_REDIS") or None)
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="boards, newest activity first")
    listing.add_argument("q", nargs="?", default="", help="only boards whose id or title has it")
    for name, text in (
        ("delete", "soft-delete: refused everywhere, restorable for --trash-days"),
        ("restore", "undo a soft delete"),
        ("purge", "remove the board and its history for good"),
    ):
        sub.add_parser(name, help=text).add_argument("board")
    args = parser.parse_args(argv)
    try:
        answer = run(args)
    except (StoreError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if "error" in answer:
        print(f"error: {answer['error']}", file=sys.stderr)
        return 1
    if args.command == "list":
        print_list(answer["ok"])
    else:
        print(f"{args.command}: {answer['ok']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
