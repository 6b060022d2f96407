"""A board as SVG: every element type, user text escaped, nothing executable.

Pictures are embedded as ``data:`` URIs, so the file stands alone (PROTOCOL.md 1.1); their
bytes passed the upload check, so they are PNG, JPEG, GIF or WebP and nothing else.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from whiteboard.export.bindings import resolve_line
from whiteboard.export.structure_svg import (
    frame_svg,
    label_svg,
    note_svg,
    structure_bounds,
)

MARGIN = 20.0
# The app's font (static/src/render/geometry.ts), so text takes the same room in both.
FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'

FIRST_BASELINE = 0.78
"""Where the app's canvas puts the first line's baseline, in font sizes below the text's ``y``
(it draws from the top of the em box, which common sans fonts have 0.76 to 0.81 above the
baseline): so text sits where it does in the app, turned or not, give or take a pixel."""

Blobs = Mapping[str, tuple[str, bytes]]
"""Blob name -> (type, bytes) of the pictures the elements name."""


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def pen_points(e: dict[str, Any]) -> list[tuple[float, float]]:
    """Absolute board coordinates of a pen element's delta-encoded points."""
    scale = 1.0 / e.get("ps", 1)
    x, y = float(e["x"]), float(e["y"])
    pts = e["pts"]
    out = []
    for i in range(0, len(pts) - 1, 2):
        x += pts[i] * scale
        y += pts[i + 1] * scale
        out.append((x, y))
    return out


def bounds(e: dict[str, Any]) -> tuple[float, float, float, float]:
    t = e["type"]
    box = structure_bounds(e)
    if box is not None:
        return _turned(box, e.get("angle", 0))
    pad = float(e.get("width", 0)) / 2
    if t == "pen":
        pts = pen_points(e)
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad
    if t == "text":
        lines = str(e["text"]).split("\n")
        size = float(e["size"])
        width = max(len(line) for line in lines) * size * 0.6
        box = e["x"], e["y"], e["x"] + width, e["y"] + len(lines) * size * 1.25
        return _turned(box, e.get("angle", 0))
    x0, y0 = float(e["x"]), float(e["y"])
    x1, y1 = x0 + float(e["w"]), y0 + float(e["h"])
    if t == "arrow":
        pad += 12 + float(e["width"]) * 2
    box = min(x0, x1) - pad, min(y0, y1) - pad, max(x0, x1) + pad, max(y0, y1) + pad
    return _turned(box, e.get("angle", 0))


def _turned(
    box: tuple[float, float, float, float], angle: float
) -> tuple[float, float, float, float]:
    """The box around ``box`` turned by ``angle`` about its centre."""
    if not angle:
        return box
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hw = (abs(math.cos(angle)) * (x1 - x0) + abs(math.sin(angle)) * (y1 - y0)) / 2
    hh = (abs(math.sin(angle)) * (x1 - x0) + abs(math.cos(angle)) * (y1 - y0)) / 2
    return cx - hw, cy - hh, cx + hw, cy + hh


def _rotation(e: dict[str, Any]) -> str:
    """The transform attribute turning a shape or picture about its centre (or nothing)."""
    angle = e.get("angle", 0)
    if not angle:
        return ""
    cx, cy = e["x"] + e["w"] / 2, e["y"] + e["h"] / 2
    return f' transform="rotate({_num(math.degrees(angle))} {_num(cx)} {_num(cy)})"'


def _stroke_attrs(e: dict[str, Any]) -> str:
    return (
        f' stroke={quoteattr(e["stroke"])} stroke-width="{_num(float(e["width"]))}"'
        ' stroke-linecap="round" stroke-linejoin="round"'
    )


def element_svg(e: dict[str, Any], blobs: Blobs | None = None) -> str:
    t = e["type"]
    if t == "image":
        return _image_svg(e, blobs or {})
    if t == "pen":
        pts = pen_points(e)
        if len(pts) == 1:
            x, y = pts[0]
            r = _num(float(e["width"]) / 2)
            return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{r}" fill={quoteattr(e["stroke"])}/>'
        d = " ".join(f"{_num(x)},{_num(y)}" for x, y in pts)
        return f'<polyline points="{d}" fill="none"{_stroke_attrs(e)}/>'
    if t in ("line", "arrow"):
        x0, y0 = float(e["x"]), float(e["y"])
        x1, y1 = x0 + float(e["w"]), y0 + float(e["h"])
        out = (
            f'<line x1="{_num(x0)}" y1="{_num(y0)}" x2="{_num(x1)}" y2="{_num(y1)}"'
            f"{_stroke_attrs(e)}/>"
        )
        if t == "arrow" and (x1 != x0 or y1 != y0):
            # The app's head (render/shapes.ts): max(10, 4 * width), at most half the shaft.
            angle = math.atan2(y1 - y0, x1 - x0)
            width = float(e["width"])
            size = min(max(10, width * 4), math.hypot(x1 - x0, y1 - y0) * 0.5 + width)
            wings = []
            for side in (-1, 1):
                a = angle + math.pi - side * math.pi / 7
                wings.append((x1 + size * math.cos(a), y1 + size * math.sin(a)))
            (ax, ay), (bx, by) = wings
            out += (
                f'<polyline points="{_num(ax)},{_num(ay)} {_num(x1)},{_num(y1)}'
                f' {_num(bx)},{_num(by)}" fill="none"{_stroke_attrs(e)}/>'
            )
        return out
    fill = quoteattr(e["fill"]) if "fill" in e else '"none"'
    if t == "rect":
        x, w = (e["x"], e["w"]) if e["w"] >= 0 else (e["x"] + e["w"], -e["w"])
        y, h = (e["y"], e["h"]) if e["h"] >= 0 else (e["y"] + e["h"], -e["h"])
        return (
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}"'
            f" fill={fill}{_stroke_attrs(e)}{_rotation(e)}/>" + _label(e)
        )
    if t == "ellipse":
        cx, cy = e["x"] + e["w"] / 2, e["y"] + e["h"] / 2
        return (
            f'<ellipse cx="{_num(cx)}" cy="{_num(cy)}" rx="{_num(abs(e["w"]) / 2)}"'
            f' ry="{_num(abs(e["h"]) / 2)}" fill={fill}{_stroke_attrs(e)}{_rotation(e)}/>'
            + _label(e)
        )
    if t == "text":
        size = float(e["size"])
        lines = str(e["text"]).split("\n")
        spans = "".join(
            f'<tspan x="{_num(e["x"])}" dy="{_num(size * (1.25 if i else FIRST_BASELINE))}">'
            f"{escape(line) or ' '}</tspan>"
            for i, line in enumerate(lines)
        )
        text = (
            f'<text x="{_num(e["x"])}" y="{_num(e["y"])}" font-size="{_num(size)}"'
            f" font-family={quoteattr(FONT_FAMILY)} fill={quoteattr(e['stroke'])}"
            f' xml:space="preserve">{spans}</text>'
        )
        angle = e.get("angle", 0)
        if not angle:
            return text
        # The text's width is the renderer's to measure: it turns the group about the middle
        # of the group's own box. An unpainted line, centred on the lines' box and taller than
        # any glyph reaches, makes that box's middle the lines' middle, as in the app.
        height = len(lines) * size * 1.25
        middle = e["y"] + height / 2
        return (
            '<g style="transform-box:fill-box;transform-origin:center;'
            f'transform:rotate({_num(math.degrees(angle))}deg)">'
            f'<line x1="{_num(e["x"])}" y1="{_num(middle - height)}" x2="{_num(e["x"])}"'
            f' y2="{_num(middle + height)}" stroke="none"/>{text}</g>'
        )
    if t == "note":
        body = note_svg(e, _num)
        return f"<g{_rotation(e)}>{body}</g>" if e.get("angle") else body
    if t == "frame":
        return frame_svg(e, _num)
    return ""


def _label(e: dict[str, Any]) -> str:
    """A rect's or ellipse's label, turned with its shape."""
    label = label_svg(e, _num)
    return f"<g{_rotation(e)}>{label}</g>" if label and e.get("angle") else label


def drawn(elements: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The elements in drawing order (frames first, a stable sort) with lines resolved."""
    live = list(elements)
    by_id = {e["id"]: e for e in live}
    out = [e for e in live if e["type"] == "frame"]
    for e in live:
        if e["type"] in ("line", "arrow"):
            out.append(resolve_line(e, by_id.get))
        elif e["type"] != "frame":
            out.append(e)
    return out


def _image_svg(e: dict[str, Any], blobs: Blobs) -> str:
    """The picture itself, or a grey box where its bytes are not at hand."""
    x, y, w, h = (_num(float(e[k])) for k in ("x", "y", "w", "h"))
    found = blobs.get(e["blob"])
    if found is None:
        return (
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="#f1f3f5"'
            f' stroke="#ced4da"{_rotation(e)}/>'
        )
    kind, data = found
    uri = f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
    return (
        f'<image x="{x}" y="{y}" width="{w}" height="{h}" preserveAspectRatio="none"'
        f' href="{uri}"{_rotation(e)}/>'
    )


def image_blobs(elements: Iterable[dict[str, Any]]) -> set[str]:
    """The blobs the pictures among ``elements`` name (what ``render`` needs the bytes of)."""
    return {e["blob"] for e in elements if e["type"] == "image"}


def render(elements: Iterable[dict[str, Any]], blobs: Blobs | None = None) -> str:
    """A standalone SVG document whose view box fits every element (or a small empty page).

    As in the app: frames first (below everything, whatever their z), attached line ends on
    their elements' outlines (PROTOCOL.md 1.1)."""
    els = drawn(elements)
    if els:
        boxes = [bounds(e) for e in els]
        x0 = min(b[0] for b in boxes) - MARGIN
        y0 = min(b[1] for b in boxes) - MARGIN
        x1 = max(b[2] for b in boxes) + MARGIN
        y1 = max(b[3] for b in boxes) + MARGIN
    else:
        x0, y0, x1, y1 = 0.0, 0.0, 100.0, 100.0
    w, h = x1 - x0, y1 - y0
    # Characters XML 1.0 forbids (controls, U+FFFE, U+FFFF, lone surrogates) are valid in a
    # text element but make the whole file unreadable to every SVG reader: dropped, once, over
    # the whole body, so that any element type's text is covered.
    body = _NOT_XML.sub("", "\n".join(element_svg(e, blobs) for e in els))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{_num(x0)} {_num(y0)} {_num(w)}'
        f' {_num(h)}" width="{_num(w)}" height="{_num(h)}">\n'
        f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(w)}" height="{_num(h)}"'
        ' fill="#ffffff"/>\n'
        f"{body}\n</svg>\n"
    )
