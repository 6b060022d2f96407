"""The upload check (whiteboard/blobs/check.py): which files a board takes, and what it keeps.

Every file is made here by Pillow (tests/images.py); the stored bytes are opened again with
Pillow to see what a reader of the board would get.
"""

from __future__ import annotations

import asyncio
import hashlib
import io

import pytest
from PIL import Image

from tests import images
from whiteboard.blobs import containers
from whiteboard.blobs.check import (
    ANIMATION_FACTOR,
    CheckedImage,
    ImageChecker,
    ImageRefused,
    check_image,
)

PIXELS = 40_000_000


def reopen(checked: CheckedImage) -> Image.Image:
    im = Image.open(io.BytesIO(checked.data))
    im.load()
    return im


def refused(data: bytes, declared: str, pixels: int = PIXELS) -> str:
    with pytest.raises(ImageRefused) as e:
        check_image(data, declared, pixels)
    return str(e.value)


def near(a: tuple[int, ...], b: tuple[int, ...], tol: int = 40) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=False))


def test_png_accepted_with_its_text_chunks_gone_and_its_pixels_untouched() -> None:
    data = images.png()
    assert b"made by a test" in data and b"secret place" in data
    c = check_image(data, "image/png", PIXELS)
    assert (c.type, c.w, c.h, c.bytes) == ("image/png", 64, 48, len(c.data))
    assert c.blob == hashlib.sha256(c.data).hexdigest()
    assert b"made by a test" not in c.data and b"secret place" not in c.data
    out = reopen(c)
    assert out.tobytes() == Image.open(io.BytesIO(data)).convert("RGB").tobytes()
    assert "Comment" not in out.info and "XML:com.adobe.xmp" not in out.info


def test_jpeg_gps_is_gone_and_the_orientation_applied() -> None:
    data = images.jpeg(40, 20, orientation=6)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    c = check_image(data, "image/jpeg", PIXELS)
    # Orientation 6: the camera was turned a quarter clockwise; upright, the left is on top.
    assert (c.type, c.w, c.h) == ("image/jpeg", 20, 40)
    out = reopen(c)
    assert out.size == (20, 40)
    assert near(out.getpixel((10, 5)), images.RED)  # type: ignore[arg-type]
    assert near(out.getpixel((10, 35)), images.BLUE)  # type: ignore[arg-type]
    assert not out.getexif(), "no EXIF at all: no GPS, no camera, no orientation to apply twice"
    assert "exif" not in out.info and "xmp" not in out.info and "comment" not in out.info
    for secret in (b"Test Camera Maker", b"secret place", b"a comment", b"Exif\0\0"):
        assert secret not in c.data


def test_jpeg_without_orientation_loses_its_metadata_but_not_a_pixel() -> None:
    data = images.jpeg(40, 20, orientation=None)
    c = check_image(data, "image/jpeg", PIXELS)
    assert (c.w, c.h) == (40, 20)
    assert b"Test Camera Maker" not in c.data and b"secret place" not in c.data
    out = reopen(c)
    assert not out.getexif()
    # The compressed data was copied, not decoded and encoded again.
    assert out.tobytes() == Image.open(io.BytesIO(data)).tobytes()
    assert len(c.data) < len(data)


def test_clean_files_are_stored_as_sent() -> None:
    data = images.png(text=None)
    assert check_image(data, "image/png", PIXELS).data == data


def test_animated_gif_keeps_its_frames_and_loop_and_loses_its_comment() -> None:
    data = images.gif(frames=3)
    c = check_image(data, "image/gif", PIXELS)
    assert (c.type, c.w, c.h) == ("image/gif", 30, 20)
    assert b"a gif comment" not in c.data
    out = Image.open(io.BytesIO(c.data))
    assert getattr(out, "n_frames", 1) == 3
    assert out.info.get("loop") == 0 and "comment" not in out.info


@pytest.mark.parametrize("lossless", [True, False])
def test_webp_loses_exif_and_xmp(lossless: bool) -> None:
    data = images.webp(lossless)
    c = check_image(data, "image/webp", PIXELS)
    assert (c.type, c.w, c.h) == ("image/webp", 32, 16)
    kinds = [k for k, _, _ in containers.webp_chunks(c.data)]
    assert b"EXIF" not in kinds and b"XMP " not in kinds
    out = reopen(c)
    assert "exif" not in out.info and "xmp" not in out.info
    assert out.tobytes() == Image.open(io.BytesIO(data)).convert(out.mode).tobytes()


def test_webp_with_orientation_is_turned() -> None:
    out = io.BytesIO()
    images.two_halves(40, 20).save(out, "WEBP", lossless=True, exif=images.gps_exif(8).tobytes())
    c = check_image(out.getvalue(), "image/webp", PIXELS)
    assert (c.w, c.h) == (20, 40)
    up = reopen(c)
    # Orientation 8: turned a quarter anticlockwise; upright, the left is at the bottom.
    assert near(up.getpixel((10, 35)), images.RED)  # type: ignore[arg-type]
    assert "exif" not in up.info


def test_a_20000_square_png_bomb_is_refused_from_its_header() -> None:
    bomb = images.png_bomb()
    assert len(bomb) < 64 * 1024
    assert refused(bomb, "image/png") == (
        "The image is too large: at most 40,000,000 pixels are allowed."
    )


def test_the_pixel_count_is_checked_before_any_pixel_is_decoded() -> None:
    # The same header with its pixel data cut short: decoding it would say "incomplete".
    bomb = images.png_bomb()
    assert "too large" in refused(bomb[:200], "image/png")


def test_the_pixel_limit_is_a_setting() -> None:
    assert "at most 3,000 pixels" in refused(images.png(64, 48), "image/png", pixels=3000)
    assert check_image(images.png(64, 48), "image/png", 3072).w == 64


@pytest.mark.parametrize("pixels", [150, 300])
def test_pillows_own_bomb_limit_is_answered_like_ours(
    monkeypatch: pytest.MonkeyPatch, pixels: int
) -> None:
    # Pillow warns above its limit and refuses above twice that, before our check runs.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    data = images.png(pixels // 10, 10, text=None)
    assert refused(data, "image/png", pixels=50) == (
        "The image is too large: at most 50 pixels are allowed."
    )


def test_animations_have_a_budget_for_all_their_frames() -> None:
    frames = ANIMATION_FACTOR + 1
    assert "all its frames" in refused(images.gif(frames, (10, 10)), "image/gif", pixels=100)
    assert check_image(images.gif(ANIMATION_FACTOR, (10, 10)), "image/gif", 100).w == 10


def test_svg_is_refused_as_declared_and_as_bytes() -> None:
    only = "only PNG, JPEG, GIF and WebP images can be added to a board."
    assert refused(images.SVG, "image/svg+xml") == f"SVG images are not accepted: {only}"
    assert refused(images.SVG, "image/png") == f"The file is SVG text, not a picture: {only}"


def test_html_renamed_png_is_refused() -> None:
    assert refused(images.HTML, "image/png") == (
        "The file is HTML or XML text, not a picture: "
        "only PNG, JPEG, GIF and WebP images can be added to a board."
    )


def test_other_types_and_unknown_bytes_are_refused() -> None:
    assert "'text/html' is not accepted" in refused(images.png(), "text/html")
    assert "'(none)' is not accepted" in refused(images.png(), "")
    assert refused(b"\x00\x01garbage" * 10, "image/png").startswith(
        "The file is not an image the board can show"
    )
    assert refused(b"", "image/png") == "The upload is empty."


def test_the_declared_type_must_match_the_bytes() -> None:
    assert refused(images.jpeg(), "image/png") == (
        "The file is a JPEG image but was sent as image/png."
    )
    assert refused(images.png(), "image/webp") == (
        "The file is a PNG image but was sent as image/webp."
    )
    assert check_image(images.png(), "Image/PNG; charset=binary", PIXELS).type == "image/png"


def test_truncated_png_is_refused() -> None:
    data = images.png(300, 200)
    assert refused(data[: len(data) // 2], "image/png") == (
        "The image is incomplete: the file ends too early."
    )


def test_truncated_jpeg_and_gif_are_refused() -> None:
    for data, kind in ((images.jpeg(300, 200), "image/jpeg"), (images.gif(3), "image/gif")):
        assert refused(data[: len(data) // 2], kind) in (
            "The image is incomplete: the file ends too early.",
            "The image is damaged and cannot be read.",
        )


def test_corrupt_png_is_refused() -> None:
    data = bytearray(images.png(300, 200, text=None))
    idat = data.find(b"IDAT")
    data[idat + 20 : idat + 40] = b"\xff" * 20
    assert refused(bytes(data), "image/png") == "The image is damaged and cannot be read."


def test_the_same_image_gets_the_same_name() -> None:
    a = check_image(images.jpeg(), "image/jpeg", PIXELS)
    b = check_image(images.jpeg(), "image/jpeg", PIXELS)
    assert a.blob == b.blob and a.data == b.data


def test_the_checker_runs_off_the_loop_a_few_at_a_time() -> None:
    checker = ImageChecker(PIXELS, workers=2)

    async def main() -> list[CheckedImage | BaseException]:
        jobs = [checker.check(images.png(), "image/png") for _ in range(4)]
        jobs.append(checker.check(images.SVG, "image/png"))
        return await asyncio.gather(*jobs, return_exceptions=True)

    try:
        results = asyncio.run(main())
    finally:
        checker.close()
    assert all(isinstance(r, CheckedImage) and r.w == 64 for r in results[:4])
    assert isinstance(results[4], ImageRefused)
