"""The image routes (PROTOCOL.md 1.1, "Blobs"): a board's pictures go up and come back here,
never through the WebSocket or the tick.

An upload is refused as early as it can be: over ``blob_bytes`` from its ``Content-Length``,
before a byte of the body is read (the body streams in, so a body without one is counted and
dropped, not kept); from another site's page or without the board's edit key before it is
decoded; then it is decoded in a thread (``blobs/check.py``) and stored once, by its hash,
within the board's total. The live board hears of the new name at once, so an ``add`` that
names it is checked in memory.
"""

from __future__ import annotations

import re
from typing import Any

import tornado.web

from whiteboard.blobs.check import ImageChecker, ImageRefused
from whiteboard.keys import key_matches
from whiteboard.live.registry import Hub
from whiteboard.protocol.rules import BLOB_PATTERN
from whiteboard.store.base import Blob, BlobPut, Store
from whiteboard.web.base import ApiError, ApiHandler

_BLOB = re.compile(BLOB_PATTERN)
IMMUTABLE = "public, max-age=31536000, immutable"


def fmt_bytes(n: int) -> str:
    """A size as a person says it: 64 KB, 10 MB, 1 GB."""
    for unit, shift in (("GB", 30), ("MB", 20), ("KB", 10)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            return (
                f"{value:.0f} {unit}"
                if value >= 10 or value.is_integer()
                else f"{value:.1f} {unit}"
            )
    return f"{n} bytes"


@tornado.web.stream_request_body
class BlobUploadHandler(ApiHandler):
    """``POST /api/boards/{board}/blobs``: ``201 {blob, type, w, h, bytes}`` or ``{error}``."""

    store_failure = "The image could not be stored; try again."

    def initialize(self, hub: Hub, store: Store, checker: ImageChecker) -> None:  # type: ignore[override]
        super().initialize(hub, store)
        self.checker = checker

    async def prepare(self) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        declared = self.request.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._cap:
            self._too_large()
            return
        await super().prepare()  # an owned board: who may add images (web/auth/)

    @property
    def _cap(self) -> int:
        return self.hub.settings.blob_bytes

    def data_received(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size <= self._cap:
            self._chunks.append(chunk)
        else:
            self._chunks = []  # keep reading (to answer cleanly) but keep nothing

    def _too_large(self) -> None:
        self.set_status(413)
        self.reply({"error": f"The image is too large: at most {fmt_bytes(self._cap)}."})
        self.finish()

    async def post(self, board: str) -> None:
        board = self.board_id(board)
        self.check_same_site("Images can only be added from this site's pages.")
        if self._size > self._cap:
            self._too_large()
            return
        live = await self.hub.get(board)
        if self.role is not None:  # an owned board: prepare() judged the visitor
            allowed = self.role in ("edit", "owner")
        else:
            allowed = live.key_hash is None or key_matches(
                self.request.headers.get("X-Edit-Key"), live.key_hash
            )
        if not allowed:
            raise ApiError(403, "Adding images to this board needs its edit link.")
        self.check_storage(live.stored_bytes, self._size)
        data = b"".join(self._chunks)
        self._chunks = []
        try:
            image = await self.checker.check(data, self.request.headers.get("Content-Type", ""))
        except ImageRefused as exc:
            raise ApiError(400, str(exc)) from None
        cap = self.hub.settings.board_blob_bytes
        outcome, total = await self.store.put_blob(
            board, image.blob, Blob(image.type, image.data), cap
        )
        if outcome is BlobPut.FULL:
            raise ApiError(
                413,
                f"This board holds {fmt_bytes(total)} of images already: "
                f"at most {fmt_bytes(cap)} of images in all.",
            )
        if outcome is BlobPut.STORED:
            live.stored_bytes += image.bytes
            self.hub.quota.wrote(image.bytes)
        if live.doc.blobs is not None:
            live.doc.blobs.add(image.blob)
        self.set_status(201)
        self.reply(
            {"blob": image.blob, "type": image.type, "w": image.w, "h": image.h,
             "bytes": image.bytes}
        )  # fmt: skip


class BlobHandler(ApiHandler):
    """``GET /api/boards/{board}/blobs/{blob}``: the bytes, cached for good (a blob's name is
    its hash, so its bytes never change), or 404."""

    def compute_etag(self) -> str | None:
        # The name is the hash already: no need to hash megabytes on the IOLoop again.
        return f'"{self.path_args[1]}"'

    async def get(self, board: str, name: str) -> None:  # type: ignore[override]
        board = self.board_id(board)
        blob = await self.store.get_blob(board, name) if _BLOB.fullmatch(name) else None
        if blob is None:
            raise ApiError(404, "This board holds no such image.")
        self.set_header("Content-Type", blob.type)
        self.set_header("Cache-Control", IMMUTABLE)
        self.write(blob.data)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # An error is JSON, not cacheable like the bytes.
        self.clear_header("Cache-Control")
        super().write_error(status_code, **kwargs)
