"""Images over real HTTP (PROTOCOL.md 1.1, "Blobs"): every refusal with its status and its
sentence and nothing stored, one copy of each image, no metadata served, the served headers,
and the `add` of an image whose blob the board does not hold."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from typing import Any

import pytest
from PIL import Image

from tests import images
from tests.server.conftest import connect, fetch
from whiteboard.config import Settings
from whiteboard.store.base import Store

pytestmark = pytest.mark.gen_test(timeout=30)

BLOB_BYTES = 64 << 10
BOARD_BLOB_BYTES = 160 << 10


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    # Small enough to reach with test images; the bomb (about 48 KB) is under blob_bytes.
    return Settings(
        data=str(tmp_path / "data"),
        idle_unload_s=0.2,
        tick_ms=2,
        blob_bytes=BLOB_BYTES,
        board_blob_bytes=BOARD_BLOB_BYTES,
    )


async def upload(
    url: str, board: str, data: bytes, kind: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    resp = await fetch(
        url,
        f"/api/boards/{board}/blobs",
        method="POST",
        body=data,
        headers={"Content-Type": kind, **(headers or {})},
    )
    return resp.code, json.loads(resp.body)


async def stored(store: Store, board: str) -> tuple[set[str], int]:
    """What the store holds for the board: its blob names and their total size."""
    return await store.blob_names(board), await store.blob_total(board)


def noise_png(w: int, h: int) -> bytes:
    """A PNG that does not compress: its size is about 3 * w * h bytes."""
    import random

    rnd = random.Random(w * 1000 + h)
    im = Image.frombytes("RGB", (w, h), bytes(rnd.getrandbits(8) for _ in range(3 * w * h)))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


async def test_upload_answers_and_serves_the_stored_picture(url: str, board: str) -> None:
    code, body = await upload(url, board, images.png(64, 48), "image/png")
    assert code == 201, body
    assert set(body) == {"blob", "type", "w", "h", "bytes"}
    assert (body["type"], body["w"], body["h"]) == ("image/png", 64, 48)
    resp = await fetch(url, f"/api/boards/{board}/blobs/{body['blob']}")
    assert resp.code == 200
    assert hashlib.sha256(resp.body).hexdigest() == body["blob"]
    assert len(resp.body) == body["bytes"]
    assert resp.headers["Content-Type"] == "image/png"
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(resp.body)).size == (64, 48)


async def test_the_same_image_twice_is_stored_once(url: str, board: str, store: Store) -> None:
    data = images.jpeg()
    first = await upload(url, board, data, "image/jpeg")
    second = await upload(url, board, data, "image/jpeg")
    assert first[0] == second[0] == 201
    assert first[1] == second[1]
    assert await stored(store, board) == ({first[1]["blob"]}, first[1]["bytes"])


async def test_gps_is_gone_from_the_served_bytes(url: str, board: str) -> None:
    data = images.jpeg(40, 20, orientation=6)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    code, body = await upload(url, board, data, "image/jpeg")
    assert code == 201 and (body["w"], body["h"]) == (20, 40)
    served = (await fetch(url, f"/api/boards/{board}/blobs/{body['blob']}")).body
    im = Image.open(io.BytesIO(served))
    assert not im.getexif() and "exif" not in im.info
    assert im.size == (20, 40), "turned upright, as the camera meant"
    for secret in (b"Test Camera Maker", b"secret place", b"a comment"):
        assert secret not in served


async def test_every_type_is_taken(url: str, board: str) -> None:
    for data, kind in (
        (images.png(), "image/png"),
        (images.jpeg(), "image/jpeg"),
        (images.gif(), "image/gif"),
        (images.webp(), "image/webp"),
    ):
        code, body = await upload(url, board, data, kind)
        assert code == 201 and body["type"] == kind, body


REFUSALS = [
    pytest.param(images.SVG, "image/svg+xml", {}, 400, "SVG images are not accepted", id="svg"),
    pytest.param(images.SVG, "image/png", {}, 400, "The file is SVG text", id="svg-as-png"),
    pytest.param(images.HTML, "image/png", {}, 400, "HTML or XML text", id="html-renamed-png"),
    pytest.param(
        images.png(300, 200)[:400], "image/png", {}, 400, "ends too early", id="truncated-png"
    ),
    pytest.param(images.png_bomb(), "image/png", {}, 400, "at most 40,000,000 pixels", id="bomb"),
    pytest.param(images.jpeg(), "image/png", {}, 400, "sent as image/png", id="wrong-type"),
    pytest.param(noise_png(160, 160), "image/png", {}, 413, "at most 64 KB", id="blob-bytes"),
    pytest.param(
        images.png(),
        "image/png",
        {"Origin": "https://evil.example"},
        403,
        "this site's pages",
        id="other-site",
    ),
]


@pytest.mark.parametrize(("data", "kind", "headers", "status", "sentence"), REFUSALS)
async def test_refusals(
    url: str,
    board: str,
    store: Store,
    data: bytes,
    kind: str,
    headers: dict[str, str],
    status: int,
    sentence: str,
) -> None:
    code, body = await upload(url, board, data, kind, headers)
    assert code == status, body
    assert sentence in body["error"]
    assert body["error"].endswith("."), "a sentence"
    assert await stored(store, board) == (set(), 0)


async def test_same_site_uploads_are_allowed(url: str, board: str) -> None:
    code, _ = await upload(url, board, images.png(), "image/png", {"Origin": url})
    assert code == 201


async def test_over_blob_bytes_is_refused_from_content_length_before_the_body(
    url: str, board: str, store: Store
) -> None:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"POST /api/boards/{board}/blobs HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: image/png\r\nContent-Length: {10 << 30}\r\n\r\n".encode()
    )
    await writer.drain()
    # Not a byte of the 10 GiB body is sent: the answer comes from the header alone.
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 413 ")
    writer.close()
    assert await stored(store, board) == (set(), 0)


async def test_the_boards_total_is_kept(url: str, board: str, store: Store) -> None:
    names = set()
    total = 0
    size = 100
    while True:
        data = noise_png(size, size)  # about 30 KB each, different each time
        size += 1
        code, body = await upload(url, board, data, "image/png")
        if code != 201:
            break
        names.add(body["blob"])
        total += body["bytes"]
        assert total <= BOARD_BLOB_BYTES
    assert code == 413
    assert "at most 160 KB of images in all" in body["error"]
    assert total + len(data) > BOARD_BLOB_BYTES
    assert await stored(store, board) == (names, total)
    # Another board has its own total.
    code, _ = await upload(url, board + "-other", data, "image/png")
    assert code == 201


async def _protected(url: str) -> tuple[str, str]:
    resp = await fetch(url, "/api/boards", method="POST", body=json.dumps({"protected": True}))
    created = json.loads(resp.body)
    return created["board"], created["key"]


async def test_protected_boards_need_their_key(url: str, store: Store) -> None:
    board, key = await _protected(url)
    for headers in ({}, {"X-Edit-Key": "not-the-key"}):
        code, body = await upload(url, board, images.png(), "image/png", headers)
        assert code == 403 and "edit link" in body["error"], body
        assert await stored(store, board) == (set(), 0)
    code, body = await upload(url, board, images.png(), "image/png", {"X-Edit-Key": key})
    assert code == 201
    # Reading needs no key: anyone who may view the board sees its pictures.
    assert (await fetch(url, f"/api/boards/{board}/blobs/{body['blob']}")).code == 200


async def test_blobs_belong_to_their_board(url: str, board: str) -> None:
    _, body = await upload(url, board, images.png(), "image/png")
    assert (await fetch(url, f"/api/boards/{board}-other/blobs/{body['blob']}")).code == 404
    missing = await fetch(url, f"/api/boards/{board}/blobs/{'0' * 64}")
    assert missing.code == 404 and json.loads(missing.body)["error"]
    assert (await fetch(url, f"/api/boards/{board}/blobs/not-a-hash")).code == 404
    bad = await fetch(url, "/api/boards/-bad/blobs", method="POST", body=images.png())
    assert bad.code == 400


def image(eid: str, blob: str, **extra: Any) -> dict[str, Any]:
    return {"id": eid, "type": "image", "x": 10, "y": 20, "w": 64, "h": 48, "blob": blob, **extra}


async def test_an_image_needs_its_blob_on_the_board(url: str, board: str) -> None:
    a = await connect(url, board)
    limits = a.welcome["limits"]
    assert (limits["blob_bytes"], limits["board_blob_bytes"]) == (BLOB_BYTES, BOARD_BLOB_BYTES)
    assert limits["image_pixels"] == 40_000_000
    _, body = await upload(url, board, images.png(), "image/png")
    (c,) = await a.ops({"k": "add", "e": image("i0", hashlib.sha256(b"x").hexdigest())})
    err = await a.expect_type("err")
    assert (err["code"], err["c"]) == ("not_found", c)
    # Uploaded to another board: not this one's.
    _, elsewhere = await upload(url, board + "-x", images.gif(), "image/gif")
    (c,) = await a.ops({"k": "add", "e": image("i1", elsewhere["blob"])})
    assert (await a.expect_type("err"))["code"] == "not_found"
    (c,) = await a.ops({"k": "add", "e": image("i2", body["blob"], angle=0.5)})
    sop = await a.acked(c)
    assert sop["e"] == image("i2", body["blob"], angle=0.5)


async def test_a_board_loaded_before_the_upload_knows_the_blob(url: str, board: str) -> None:
    a = await connect(url, board)
    b = await connect(url, board)
    _, body = await upload(url, board, images.webp(), "image/webp")
    (c,) = await b.ops({"k": "add", "e": image("w", body["blob"])})
    await b.acked(c)
    await a.expect(lambda m: m.get("t") == "ops")
