"""Metadata out of image files without touching their pixels.

An uploaded photo carries where it was taken (EXIF GPS), the camera, the software, comments,
XMP; any of it can reveal more than the picture. Every reader of a board gets the stored bytes,
so they must hold the picture and nothing else. Re-encoding would also drop metadata, but it
loses quality (JPEG, lossy WebP), often grows the file, and costs CPU; these functions instead
copy the file's structure and leave out what is not needed to draw it. Each keeps an allow-list
(unknown and private chunks go too, since they can hold anything) and drops whatever follows
the end of the image.

Each function expects a file Pillow has already decoded whole, so a malformed structure here is
unexpected; it raises ``ValueError`` all the same rather than guess.
"""

from __future__ import annotations

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Everything that changes how the picture (or animation) looks; not text, EXIF, time, private.
_PNG_KEEP = frozenset(
    {
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP",
        b"sBIT", b"bKGD", b"pHYs", b"cICP", b"mDCV", b"cLLI", b"acTL", b"fcTL", b"fdAT",
    }
)  # fmt: skip

# WebP: the image data, its alpha, animation, and the colour profile; not EXIF or XMP.
_WEBP_KEEP = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"})
_VP8X_EXIF = 0x08
_VP8X_XMP = 0x04

# GIF application extensions that drive the animation (loop count); others (XMP) go.
_GIF_APPS = frozenset({b"NETSCAPE2.0", b"ANIMEXTS1.0"})


def strip_png(data: bytes) -> bytes:
    """The PNG (or APNG) without text, EXIF, time and unknown chunks."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    out = [PNG_SIGNATURE]
    pos = len(PNG_SIGNATURE)
    dropped = False
    while True:
        if pos + 12 > len(data):
            raise ValueError("PNG ends before IEND")
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise ValueError("PNG chunk runs past the end")
        if kind in _PNG_KEEP:
            out.append(data[pos:end])
        else:
            dropped = True
        pos = end
        if kind == b"IEND":
            break
    if not dropped and pos == len(data):
        return data
    return b"".join(out)


def _jpeg_keeps(marker: int, payload: bytes) -> bool:
    """Whether a JPEG segment is needed to draw the picture as intended."""
    if marker == 0xFE:  # COM
        return False
    if 0xE0 <= marker <= 0xEF:  # APPn: only JFIF, the colour profile and Adobe's colour flag
        return (
            (marker == 0xE0 and payload[:5] in (b"JFIF\0", b"JFXX\0"))
            or (marker == 0xE2 and payload.startswith(b"ICC_PROFILE\0"))
            or (marker == 0xEE and payload.startswith(b"Adobe"))
        )
    return True


def _jpeg_scan_end(data: bytes, pos: int) -> int:
    """Where the entropy-coded data starting at ``pos`` ends: the next real marker."""
    n = len(data)
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= n:
            raise ValueError("JPEG ends inside a scan")
        nxt = data[pos + 1]
        # 0xFF00 is an escaped byte, 0xFFD0-D7 restart markers: both belong to the scan.
        if nxt == 0x00 or 0xD0 <= nxt <= 0xD7:
            pos += 2
        elif nxt == 0xFF:  # fill byte before a marker
            pos += 1
        else:
            return pos


def strip_jpeg(data: bytes) -> bytes:
    """The JPEG without EXIF, XMP, comments and other application segments.

    Stops at the first end-of-image: a multi-picture file (MPO, phones' depth maps and
    previews) keeps its first picture, the one every viewer shows.
    """
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG")
    out = [b"\xff\xd8"]
    pos = 2
    n = len(data)
    dropped = False
    while True:
        if pos + 2 > n or data[pos] != 0xFF:
            raise ValueError("JPEG segment expected")
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xD9:  # EOI
            out.append(b"\xff\xd9")
            pos += 2
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
            out.append(data[pos : pos + 2])
            pos += 2
            continue
        if pos + 4 > n:
            raise ValueError("JPEG ends inside a segment header")
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        end = pos + 2 + length
        if length < 2 or end > n:
            raise ValueError("JPEG segment runs past the end")
        if _jpeg_keeps(marker, data[pos + 4 : end]):
            out.append(data[pos:end])
        else:
            dropped = True
        pos = end
        if marker == 0xDA:  # SOS: the compressed data follows, up to the next marker
            scan_end = _jpeg_scan_end(data, pos)
            out.append(data[pos:scan_end])
            pos = scan_end
    if not dropped and pos == n:
        return data
    return b"".join(out)


def _gif_sub_blocks(data: bytes, pos: int) -> int:
    """The position after a sequence of GIF data sub-blocks starting at ``pos``."""
    while True:
        if pos >= len(data):
            raise ValueError("GIF ends inside a block")
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos


def _gif_table_size(packed: int) -> int:
    return 3 * (1 << ((packed & 0x07) + 1)) if packed & 0x80 else 0


def strip_gif(data: bytes) -> bytes:
    """The GIF without comments and application extensions other than the loop count."""
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        raise ValueError("not a GIF")
    pos = 13 + _gif_table_size(data[10])
    out = [data[:pos]]
    dropped = False
    while True:
        if pos >= len(data):
            raise ValueError("GIF ends before its trailer")
        kind = data[pos]
        if kind == 0x3B:  # trailer
            out.append(b"\x3b")
            pos += 1
            break
        if kind == 0x2C:  # image: descriptor, local colour table, LZW code size, data
            if pos + 10 > len(data):
                raise ValueError("GIF ends inside an image descriptor")
            start = pos
            pos = _gif_sub_blocks(data, pos + 10 + _gif_table_size(data[pos + 9]) + 1)
            out.append(data[start:pos])
            continue
        if kind != 0x21 or pos + 2 > len(data):
            raise ValueError("GIF block expected")
        label = data[pos + 1]
        start = pos
        pos = _gif_sub_blocks(data, pos + 2)
        if label == 0xFE:
            keep = False
        elif label == 0xFF:
            keep = data[start + 2] == 11 and data[start + 3 : start + 14] in _GIF_APPS
        else:  # graphic control (delays, transparency), plain text
            keep = True
        if keep:
            out.append(data[start:pos])
        else:
            dropped = True
    if not dropped and pos == len(data):
        return data
    return b"".join(out)


def webp_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """The top-level chunks of a WebP file: (fourcc, start, end) with end after any padding."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP")
    riff_end = 8 + int.from_bytes(data[4:8], "little")
    if riff_end > len(data):
        raise ValueError("WebP ends before its RIFF size")
    chunks = []
    pos = 12
    while pos + 8 <= riff_end:
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = pos + 8 + size + (size & 1)
        if end > riff_end:
            raise ValueError("WebP chunk runs past the end")
        chunks.append((data[pos : pos + 4], pos, end))
        pos = end
    return chunks


def strip_webp(data: bytes) -> bytes:
    """The WebP without EXIF, XMP and unknown chunks (its header's flags say so too)."""
    chunks = webp_chunks(data)
    riff_end = 8 + int.from_bytes(data[4:8], "little")
    if all(kind in _WEBP_KEEP for kind, _, _ in chunks) and riff_end == len(data):
        return data
    body = bytearray()
    for kind, start, end in chunks:
        if kind not in _WEBP_KEEP:
            continue
        chunk = bytearray(data[start:end])
        if kind == b"VP8X" and len(chunk) > 8:
            chunk[8] &= ~(_VP8X_EXIF | _VP8X_XMP) & 0xFF
        body += chunk
    return b"RIFF" + (4 + len(body)).to_bytes(4, "little") + b"WEBP" + bytes(body)


STRIP = {"PNG": strip_png, "JPEG": strip_jpeg, "GIF": strip_gif, "WEBP": strip_webp}
