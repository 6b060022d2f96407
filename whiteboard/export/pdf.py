"""A board as a vector PDF (ReportLab): handouts of a lesson, one page per ``frame``.

With frames (PROTOCOL.md 1.1), each frame is a page, in stacking order, labelled and
bookmarked with the frame's name, showing what lies inside it; without, one page shows every
element. Shapes are paths and text is text (searchable, selectable), never a picture of it.
Images are drawn from their bytes when the caller has them (``images``: blob hash -> bytes);
an image whose bytes are not given is drawn as a grey box of its size.

It reads element dicts as the server holds them and knows nothing of stores or requests.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
from collections.abc import Iterable, Mapping
from typing import Any

from reportlab.lib.colors import Color
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from whiteboard.export.svg import bounds, drawn, pen_points

MARGIN = 20.0  # board units around the content of a page without frames
PT_PER_UNIT = 0.75  # one board unit is one CSS pixel: 0.75 pt, so 100 % prints at screen size
MAX_PAGE_PT = 14_400.0  # the largest page PDF readers accept (200 inches)
LINE = 1.25  # line height of text, in font sizes (as the app and export.svg draw it)

# A Unicode font when the system has one (Debian's fonts-dejavu-core); else Helvetica, which
# holds Latin-1 only: other characters then show as boxes but the text is still text.
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)


def _font() -> str:
    if "BoardSans" in pdfmetrics.getRegisteredFontNames():
        return "BoardSans"
    for path in _FONT_FILES:
        if os.path.exists(path):
            pdfmetrics.registerFont(TTFont("BoardSans", path))
            return "BoardSans"
    return "Helvetica"


def _color(value: str) -> Color:
    """``#rrggbb`` or ``#rrggbbaa`` (the protocol's colour pattern)."""
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (1, 3, 5))
    a = int(value[7:9], 16) / 255 if len(value) == 9 else 1.0
    return Color(r, g, b, alpha=a)


Box = tuple[float, float, float, float]


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _frame_box(e: dict[str, Any]) -> Box:
    x0, y0 = float(e["x"]), float(e["y"])
    return x0, y0, x0 + float(e["w"]), y0 + float(e["h"])


def _safe_bounds(e: dict[str, Any]) -> Box | None:
    """The element's extent, or None for a type this exporter cannot measure."""
    try:
        return bounds(e)
    except (KeyError, TypeError, ValueError):
        return None


def render(
    elements: Iterable[dict[str, Any]],
    *,
    title: str = "Whiteboard",
    images: Mapping[str, bytes] | None = None,
) -> bytes:
    """The PDF of a state's elements (given in stacking order); attached line ends are drawn
    on their elements' outlines, as in the app and export.svg."""
    els = drawn(elements)
    frames = [e for e in els if e.get("type") == "frame"]
    content = [e for e in els if e.get("type") != "frame"]
    out = io.BytesIO()
    canvas = Canvas(out, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("Whiteboard")
    painter = _Painter(canvas, images or {})
    if frames:
        for n, frame in enumerate(frames):
            box = _frame_box(frame)
            inside = [e for e in content if (b := _safe_bounds(e)) and _overlaps(b, box)]
            painter.page(box, inside, clip=True)
            name = str(frame.get("name", "")) or f"Frame {n + 1}"
            key = f"frame{n}"
            canvas.bookmarkPage(key)
            canvas.addOutlineEntry(name, key, level=0)
            canvas.addPageLabel(n, prefix=name)
            canvas.showPage()
        canvas.showOutline()
    else:
        boxes = [b for e in content if (b := _safe_bounds(e)) is not None]
        if boxes:
            box = (
                min(b[0] for b in boxes) - MARGIN,
                min(b[1] for b in boxes) - MARGIN,
                max(b[2] for b in boxes) + MARGIN,
                max(b[3] for b in boxes) + MARGIN,
            )
        else:
            box = (0.0, 0.0, 100.0, 100.0)
        painter.page(box, content, clip=False)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


class _Painter:
    """Draws elements on pages whose coordinates are board units (the page's transform maps
    them: y down, as on the board)."""

    def __init__(self, canvas: Canvas, images: Mapping[str, bytes]) -> None:
        self.c = canvas
        self.images = images
        self.font = _font()

    def page(self, box: Box, elements: list[dict[str, Any]], *, clip: bool) -> None:
        x0, y0, x1, y1 = box
        w, h = max(1.0, x1 - x0), max(1.0, y1 - y0)
        scale = min(PT_PER_UNIT, MAX_PAGE_PT / w, MAX_PAGE_PT / h)
        c = self.c
        c.setPageSize((w * scale, h * scale))
        c.saveState()
        # Board units to points, y flipped: (x0, y0) is the page's top-left corner.
        c.transform(scale, 0, 0, -scale, -x0 * scale, (y0 + h) * scale)
        c.setFillColor(Color(1, 1, 1))
        c.rect(x0, y0, w, h, stroke=0, fill=1)
        if clip:
            path = c.beginPath()
            path.rect(x0, y0, w, h)
            c.clipPath(path, stroke=0, fill=0)
        for e in elements:
            c.saveState()
            # A type or field this exporter does not know is drawn as nothing.
            with contextlib.suppress(KeyError, TypeError, ValueError):
                self.element(e)
            c.restoreState()
        c.restoreState()

    def _stroke(self, e: dict[str, Any]) -> None:
        c = self.c
        color = _color(e["stroke"])
        c.setStrokeColor(color)
        c.setStrokeAlpha(color.alpha)
        c.setLineWidth(float(e.get("width", 1)))
        c.setLineCap(1)
        c.setLineJoin(1)

    def _fill(self, value: str) -> None:
        color = _color(value)
        self.c.setFillColor(color)
        self.c.setFillAlpha(color.alpha)

    def _rotate(self, e: dict[str, Any], box: Box) -> None:
        """Rotation (``angle``, radians) about the element's centre."""
        angle = e.get("angle")
        if not angle:
            return
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        self.c.translate(cx, cy)
        self.c.rotate(math.degrees(float(angle)))
        self.c.translate(-cx, -cy)

    def element(self, e: dict[str, Any]) -> None:
        t = e["type"]
        c = self.c
        if t == "pen":
            self._stroke(e)
            pts = pen_points(e)
            if len(pts) == 1:
                self._fill(e["stroke"])
                c.circle(pts[0][0], pts[0][1], float(e["width"]) / 2, stroke=0, fill=1)
                return
            path = c.beginPath()
            path.moveTo(*pts[0])
            for x, y in pts[1:]:
                path.lineTo(x, y)
            c.drawPath(path, stroke=1, fill=0)
        elif t in ("line", "arrow"):
            self._line(e)
        elif t in ("rect", "ellipse", "note", "image"):
            self._box(e)
        elif t == "text":
            x, y = float(e["x"]), float(e["y"])
            self._rotate(e, bounds(e))
            self._text(str(e["text"]), x, y, float(e["size"]), e["stroke"], centred=None)

    def _line(self, e: dict[str, Any]) -> None:
        c = self.c
        self._stroke(e)
        x0, y0 = float(e["x"]), float(e["y"])
        x1, y1 = x0 + float(e["w"]), y0 + float(e["h"])
        c.line(x0, y0, x1, y1)
        if e["type"] == "arrow" and (x1 != x0 or y1 != y0):
            angle = math.atan2(y1 - y0, x1 - x0)
            size = 10 + float(e["width"]) * 2
            path = c.beginPath()
            for i, side in enumerate((-1, 1)):
                a = angle + math.pi - side * math.pi / 7
                wing = (x1 + size * math.cos(a), y1 + size * math.sin(a))
                if i == 0:
                    path.moveTo(*wing)
                    path.lineTo(x1, y1)
                else:
                    path.lineTo(*wing)
            c.drawPath(path, stroke=1, fill=0)

    def _box(self, e: dict[str, Any]) -> None:
        c = self.c
        t = e["type"]
        x, y, w, h = float(e["x"]), float(e["y"]), float(e["w"]), float(e["h"])
        if w < 0:
            x, w = x + w, -w
        if h < 0:
            y, h = y + h, -h
        self._rotate(e, (x, y, x + w, y + h))
        if t == "image":
            self._image(e, x, y, w, h)
            return
        fill = "fill" in e
        if fill:
            self._fill(e["fill"])
        stroke = t != "note"
        if stroke:
            self._stroke(e)
        if t == "ellipse":
            c.ellipse(x, y, x + w, y + h, stroke=1, fill=int(fill))
        else:
            c.rect(x, y, w, h, stroke=int(stroke), fill=int(fill))
        text = e.get("text")
        if text:
            size = float(e.get("size", 20))
            self._text(str(text), x, y, size, e["stroke"], centred=(x, y, w, h))

    def _image(self, e: dict[str, Any], x: float, y: float, w: float, h: float) -> None:
        c = self.c
        data = self.images.get(str(e.get("blob", "")))
        if data is None:
            c.setFillColor(Color(0.85, 0.85, 0.85))
            c.rect(x, y, w, h, stroke=0, fill=1)
            return
        # The page is flipped (y down): flip back around the image so it is upright.
        c.translate(x, y + h)
        c.scale(1, -1)
        c.drawImage(ImageReader(io.BytesIO(data)), 0, 0, w, h, mask="auto")

    def _text(
        self, text: str, x: float, y: float, size: float, color: str, centred: Box | None
    ) -> None:
        """Lines of text from the top-left (x, y), or centred in the box ``(x, y, w, h)``."""
        c = self.c
        lines = text.split("\n")
        self._fill(color)
        if centred is not None:
            by, bh = centred[1], centred[3]
            y = by + bh / 2 - len(lines) * size * LINE / 2 + (LINE - 1) * size / 2
        for i, line in enumerate(lines):
            base = y + size + i * size * LINE
            # Glyphs are drawn in a local y-up system so they are not mirrored.
            c.saveState()
            c.translate(x, base)
            c.scale(1, -1)
            c.setFont(self.font, size)
            if centred is not None:
                c.drawCentredString(centred[0] + centred[2] / 2 - x, 0, line)
            else:
                c.drawString(0, 0, line)
            c.restoreState()
