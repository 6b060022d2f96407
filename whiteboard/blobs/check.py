"""Is this upload a picture the board may hold? Pillow decodes it whole to find out.

What a board stores, every visitor's browser draws: the bytes must be one of the four types
browsers draw safely from an ``<img>``-like source (never SVG or HTML, which can carry script),
must be what the sender says they are, must decode completely, and must not be a decompression
bomb (a few kilobytes that expand to gigabytes of pixels). The pixel count is checked from the
header, before any pixel is decoded. What is stored is the picture without its metadata
(containers.py), turned upright first when EXIF says the camera was held sideways, since the
orientation tag goes with the rest of EXIF.

This is CPU work of up to a second for a large photo: ``ImageChecker`` runs it on a small pool
of threads (Pillow's decoders release the GIL), never on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageSequence, JpegImagePlugin, UnidentifiedImageError

from whiteboard.blobs import containers

# The wire types (PROTOCOL.md, Blobs) and the Pillow format each must decode as.
TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}
_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG", "GIF": "GIF", "WEBP": "WebP"}
# The frames of an animation together may decode to this many times `image_pixels`: without
# it a 10 MiB GIF of thousands of large, well-compressed frames would be a CPU bomb.
ANIMATION_FACTOR = 5

_ORIENTATION = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ONLY = "only PNG, JPEG, GIF and WebP images can be added to a board"

# Pillow warns (rather than refuses) between its own limit and twice that; as an exception
# the warning is caught below and answered like every other bomb.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


class ImageRefused(ValueError):
    """The upload is not a picture the board takes; ``str()`` is the sentence that says why."""


@dataclass(frozen=True, slots=True)
class CheckedImage:
    """What is stored: the bytes, their SHA-256 (the blob's name), type and size in pixels."""

    data: bytes
    blob: str
    type: str
    w: int
    h: int

    @property
    def bytes(self) -> int:
        return len(self.data)


def _too_many_pixels(limit: int) -> ImageRefused:
    return ImageRefused(f"The image is too large: at most {limit:,} pixels are allowed.")


def not_an_image(data: bytes) -> ImageRefused:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        what = "SVG" if b"<svg" in data[:4096].lower() else "HTML or XML"
        return ImageRefused(f"The file is {what} text, not a picture: {_ONLY}.")
    return ImageRefused(f"The file is not an image the board can show: {_ONLY}.")


def sniff_type(data: bytes) -> str:
    """The type the first bytes claim ("" for none of the four): for bytes that come without
    one (a board file's images), which ``check_image`` then holds to it like any upload."""
    if data.startswith(containers.PNG_SIGNATURE):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return ""


def check_image(data: bytes, declared: str, image_pixels: int) -> CheckedImage:
    """The upload as it is to be stored, or ``ImageRefused`` with the reason in a sentence."""
    declared = declared.split(";", 1)[0].strip().lower()
    expected = TYPES.get(declared)
    if expected is None:
        if declared == "image/svg+xml":
            raise ImageRefused(f"SVG images are not accepted: {_ONLY}.")
        raise ImageRefused(f"The type {declared or '(none)'!r} is not accepted: {_ONLY}.")
    if not data:
        raise ImageRefused("The upload is empty.")
    # Pillow's own bomb limit must not refuse what ours allows.
    if Image.MAX_IMAGE_PIXELS is not None and image_pixels > Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = image_pixels
    try:
        with Image.open(io.BytesIO(data), formats=list(TYPES.values())) as im:
            found = "JPEG" if im.format == "MPO" else im.format
            if found != expected:
                name = _NAMES.get(im.format or "", im.format)
                raise ImageRefused(f"The file is a {name} image but was sent as {declared}.")
            w, h = im.size
            if w * h > image_pixels:
                raise _too_many_pixels(image_pixels)
            _decode(im, image_pixels)
            orientation = im.getexif().get(_ORIENTATION, 1)
            method = _TRANSPOSE.get(orientation) if isinstance(orientation, int) else None
            if method is not None:
                stored, (w, h) = _reencode(im, expected, method, data)
            else:
                stored = containers.STRIP[expected](data)
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(image_pixels) from None
    except UnidentifiedImageError:
        raise not_an_image(data) from None
    except Exception as e:
        # A file that Pillow's parsers choke on raises whatever the parser hit (OSError,
        # SyntaxError, struct.error, IndexError...): any of them means it cannot be read.
        if "truncated" in str(e) or isinstance(e, EOFError):
            raise ImageRefused("The image is incomplete: the file ends too early.") from None
        raise ImageRefused("The image is damaged and cannot be read.") from None
    return CheckedImage(stored, hashlib.sha256(stored).hexdigest(), declared, w, h)


def _decode(im: Image.Image, image_pixels: int) -> None:
    """Decodes every frame (a truncated or corrupt one raises), within the animation budget."""
    budget = ANIMATION_FACTOR * image_pixels
    decoded = 0
    frames = ImageSequence.Iterator(im) if im.format != "MPO" else iter([im])
    for frame in frames:
        fw, fh = frame.size
        decoded += fw * fh
        if fw * fh > image_pixels or decoded > budget:
            raise ImageRefused(
                f"The animation is too large: at most {budget:,} pixels in all its frames."
            )
        frame.load()
    im.seek(0)


def _reencode(
    im: Image.Image, fmt: str, method: Image.Transpose, original: bytes
) -> tuple[bytes, tuple[int, int]]:
    """The picture turned upright, encoded afresh with its colour profile and nothing else;
    and its size, upright."""
    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(im) if im.format != "MPO" else iter([im]):
        frames.append(frame.copy().transpose(method))
        durations.append(int(frame.info.get("duration", 0) or 0))
    im.seek(0)
    params: dict[str, Any] = {}
    icc = im.info.get("icc_profile")
    if icc:
        params["icc_profile"] = icc
    if fmt == "JPEG":
        sampling = JpegImagePlugin.get_sampling(im)
        params.update(quality=92, subsampling=sampling if sampling >= 0 else 0)
    elif fmt == "WEBP":
        lossless = any(kind == b"VP8L" for kind, _, _ in containers.webp_chunks(original))
        params.update(lossless=lossless, quality=100 if lossless else 90)
    if len(frames) > 1:
        params.update(
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            loop=im.info.get("loop", 0),
        )
    first = frames[0]
    # Nothing from the source's info may ride along into the new file.
    first.info = {}
    out = io.BytesIO()
    first.save(out, fmt, **params)
    return containers.STRIP[fmt](out.getvalue()), first.size


class ImageChecker:
    """Runs ``check_image`` on a few threads: uploads are checked in parallel with the loop,
    and at most ``workers`` at a time, so a burst of uploads cannot take every core."""

    def __init__(self, image_pixels: int, workers: int = 2) -> None:
        self.image_pixels = image_pixels
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="blob-check")

    async def check(self, data: bytes, declared: str) -> CheckedImage:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, check_image, data, declared, self.image_pixels
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
