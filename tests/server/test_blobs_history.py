"""Images in history (PROTOCOL.md 1.1): export.svg embeds them, the board file carries them and
import checks them as uploads, fork copies those its elements show, and a deleted image can
come back because its blob stays."""

from __future__ import annotations

import base64
import hashlib
import json
import xml.etree.ElementTree as ET
from typing import Any

import msgpack
import pytest

from tests import images
from tests.server.conftest import Client, connect, fetch, rect
from tests.server.test_blobs import image, upload
from tests.storeinspect import boards_in
from whiteboard.history import boardfile
from whiteboard.store.base import Store

pytestmark = pytest.mark.gen_test(timeout=30)
SVG = "{http://www.w3.org/2000/svg}"


async def _do(client: Client, *ops: dict[str, Any]) -> int:
    cs = await client.ops(*ops)
    return int((await client.acked(cs[-1]))["s"])


async def _board_with_two_images(url: str, board: str) -> tuple[Client, str, str, int]:
    """A PNG and a JPEG placed, then the JPEG deleted; returns the seq before the delete."""
    a = await connect(url, board)
    _, png = await upload(url, board, images.png(64, 48), "image/png")
    _, jpg = await upload(url, board, images.jpeg(), "image/jpeg")
    await _do(a, {"k": "add", "e": image("p", png["blob"], angle=0.5)})
    before = await _do(a, {"k": "add", "e": image("j", jpg["blob"], x=300)})
    await _do(a, {"k": "delete", "ids": ["j"]})
    return a, png["blob"], jpg["blob"], before


async def test_export_svg_embeds_the_pictures(url: str, board: str) -> None:
    a, png, jpg, before = await _board_with_two_images(url, board)
    await _do(a, {"k": "add", "e": {**rect("r"), "angle": -1.0}})
    resp = await fetch(url, f"/api/boards/{board}/export.svg?at={before}")
    assert "img-src data:" in resp.headers["Content-Security-Policy"]
    root = ET.fromstring(resp.body)
    found = {}
    for el in root.iter(SVG + "image"):
        kind, b64 = el.attrib["href"].removeprefix("data:").split(";base64,")
        found[hashlib.sha256(base64.b64decode(b64)).hexdigest()] = kind
    assert found == {png: "image/png", jpg: "image/jpeg"}
    now = ET.fromstring((await fetch(url, f"/api/boards/{board}/export.svg")).body)
    assert len(list(now.iter(SVG + "image"))) == 1
    turned = [r for r in now.iter(SVG + "rect") if "transform" in r.attrib]
    assert len(turned) == 1 and turned[0].attrib["transform"].startswith("rotate(-57.3")


async def test_the_board_file_carries_the_images_and_imports_with_them(
    url: str, board: str
) -> None:
    _, png, jpg, _ = await _board_with_two_images(url, board)
    exported = (await fetch(url, f"/api/boards/{board}/export.wbd")).body
    data = msgpack.unpackb(exported)
    assert list(data)[-1] == "blobs"
    # The deleted JPEG is in the log, so in the file: history replays it.
    assert set(data["blobs"]) == {png, jpg}
    assert hashlib.sha256(data["blobs"][jpg]).hexdigest() == jpg
    resp = await fetch(url, "/api/boards/import", method="POST", body=exported)
    assert resp.code == 201, resp.body
    copy = json.loads(resp.body)["board"]
    for blob in (png, jpg):
        served = await fetch(url, f"/api/boards/{copy}/blobs/{blob}")
        assert served.code == 200 and served.body == data["blobs"][blob]
    again = msgpack.unpackb((await fetch(url, f"/api/boards/{copy}/export.wbd")).body)
    assert again["blobs"] == data["blobs"]


@pytest.mark.parametrize(
    ("damage", "sentence"),
    [
        ("missing", "is not in the file"),
        ("html", "is refused: The file is HTML or XML text"),
        ("other-picture", "is not what its name says"),
        ("bomb", "is refused: The image is too large"),
    ],
)
async def test_import_checks_every_image_as_an_upload(
    url: str, board: str, store: Store, damage: str, sentence: str
) -> None:
    _, png, _, _ = await _board_with_two_images(url, board)
    data = msgpack.unpackb((await fetch(url, f"/api/boards/{board}/export.wbd")).body)
    if damage == "missing":
        del data["blobs"][png]
    else:
        data["blobs"][png] = {
            "html": images.HTML,
            "other-picture": images.png(10, 10),
            "bomb": images.png_bomb(),
        }[damage]
    before = boards_in(store)
    resp = await fetch(url, "/api/boards/import", method="POST", body=msgpack.packb(data))
    assert resp.code == 400
    assert sentence in json.loads(resp.body)["error"]
    assert boards_in(store) == before


async def test_a_file_built_by_hand_imports_with_its_images(url: str) -> None:
    """A third party writes the file: the bytes of its images, with their metadata, are
    checked and would be stripped, so they must already be stripped to keep their name."""
    from whiteboard.blobs.check import check_image

    stored = check_image(images.jpeg(), "image/jpeg", 40_000_000)
    el = image("i", stored.blob)
    sop = {"k": "add", "c": 1, "e": el, "s": 1, "by": 1, "ts": 1}
    data = boardfile.encode("x", 1, [el], [sop], {1: "Ann"}, {stored.blob: stored.data})
    resp = await fetch(url, "/api/boards/import", method="POST", body=data)
    assert resp.code == 201, resp.body
    copy = json.loads(resp.body)["board"]
    assert (await fetch(url, f"/api/boards/{copy}/blobs/{stored.blob}")).body == stored.data


async def test_fork_copies_the_images_its_elements_show(url: str, board: str) -> None:
    _, png, jpg, before = await _board_with_two_images(url, board)
    now = json.loads((await fetch(url, f"/api/boards/{board}/fork", method="POST", body=b"")).body)
    assert (await fetch(url, f"/api/boards/{now['board']}/blobs/{png}")).code == 200
    assert (await fetch(url, f"/api/boards/{now['board']}/blobs/{jpg}")).code == 404
    then = await fetch(url, f"/api/boards/{board}/fork?at={before}", method="POST", body=b"")
    copy = json.loads(then.body)["board"]
    for blob in (png, jpg):
        assert (await fetch(url, f"/api/boards/{copy}/blobs/{blob}")).code == 200
    # The copy is a live board whose images can be moved, and added again.
    b = await connect(url, copy)
    await _do(b, {"k": "update", "id": "j", "set": {"x": 5}})
    await _do(b, {"k": "add", "e": image("j2", jpg)})


async def test_a_deleted_image_comes_back(url: str, board: str) -> None:
    a, _, jpg, _ = await _board_with_two_images(url, board)
    # What restoring a past moment sends: the element as it was.
    await _do(a, {"k": "add", "e": image("j", jpg, x=300)})
