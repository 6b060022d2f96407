"""Test images, made by Pillow (or by hand where Pillow would refuse to make them).

Shared by the unit tests of the blob check and the server tests of the blob routes, so both
send exactly the same files.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

RED = (220, 30, 30)
BLUE = (30, 30, 220)
GPS_LATITUDE = (48.0, 51.0, 24.123)
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>secret place</rdf:RDF></x:xmpmeta>'


def two_halves(w: int = 40, h: int = 20) -> Image.Image:
    """Red on the left half, blue on the right: turning it shows where its left went."""
    im = Image.new("RGB", (w, h), BLUE)
    im.paste(RED, (0, 0, w // 2, h))
    return im


def png(w: int = 64, h: int = 48, text: str | None = "made by a test") -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text)
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    two_halves(w, h).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def gps_exif(orientation: int | None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Test Camera Maker"  # Make
    if orientation is not None:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    gps[3] = "E"
    gps[4] = (2.0, 17.0, 40.5)
    return exif


def jpeg(w: int = 40, h: int = 20, orientation: int | None = 6, gps: bool = True) -> bytes:
    """A JPEG with EXIF (camera, GPS position, orientation), XMP and a comment."""
    out = io.BytesIO()
    kwargs: dict[str, object] = {"quality": 95, "comment": b"a comment", "xmp": XMP}
    if gps:
        kwargs["exif"] = gps_exif(orientation).tobytes()
    two_halves(w, h).save(out, "JPEG", **kwargs)
    return out.getvalue()


def gif(frames: int = 3, size: tuple[int, int] = (30, 20)) -> bytes:
    """An animated GIF (looping) with a comment."""
    colours = [RED, BLUE, (30, 200, 30), (200, 200, 30)]
    ims = [Image.new("RGB", size, colours[i % len(colours)]) for i in range(frames)]
    out = io.BytesIO()
    ims[0].save(
        out,
        "GIF",
        save_all=True,
        append_images=ims[1:],
        duration=100,
        loop=0,
        comment=b"a gif comment",
    )
    return out.getvalue()


def webp(lossless: bool = True) -> bytes:
    """A WebP with EXIF (GPS) and XMP."""
    out = io.BytesIO()
    two_halves(32, 16).save(out, "WEBP", lossless=lossless, exif=gps_exif(None).tobytes(), xmp=XMP)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(w: int = 20_000, h: int = 20_000) -> bytes:
    """A valid 1-bit PNG of w x h black pixels: tens of KB that decode to w * h pixels.

    Written by hand, row by row, because Pillow (rightly) would hold the whole picture first.
    """
    row = b"\x00" * (1 + (w + 7) // 8)
    z = zlib.compressobj(9)
    parts = [z.compress(row) for _ in range(h)]
    idat = b"".join(parts) + z.flush()
    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script><rect width='10' height='10'/></svg>"
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
