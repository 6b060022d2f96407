"""Where the text of notes and shape labels breaks into lines, and a fitted note's font size.

The same rules as the app's ``static/src/render/layout.ts``, so that ``export.svg`` breaks a
note's text where the app does: line breaks come from a fixed table of character widths rather
than from a font (the server has none to measure), and each line is then drawn centred with the
real font. ``tests/vectors/layout.json`` holds both implementations to the same lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

from whiteboard.protocol import LABEL_SIZE

LINE_HEIGHT: Final = 1.25
BASELINE_SHIFT: Final = 0.35
"""Where a line's alphabetic baseline sits below its middle, in ems (capitals centred)."""
NOTE_PAD: Final = 12.0
"""Board units between a note's edge and its text."""
LABEL_PAD: Final = 8.0
"""Board units between a shape's edge and its label."""
FIT_SIZES: Final = (72, 60, 48, 40, 32, 28, 24, 20, 18, 16, 14, 12, 10, 8, 6)
"""Font sizes tried, largest first, when a note's text is fitted to it."""
_INSCRIBED: Final = 0.7071067811865476
"""The width of the box inscribed in an ellipse, as a share of the ellipse's width (√½)."""

_NARROW: Final = frozenset("ijl|!.,:;'`I")
_SLIM: Final = frozenset('frt()[]{}-"/\\')
_WIDE: Final = frozenset("mwMW@%")


def char_width(ch: str) -> float:
    """Estimated advance of one code point, in ems."""
    if ch == " " or ch in _NARROW:
        return 0.3
    if ch in _SLIM:
        return 0.4
    if ch in _WIDE:
        return 0.9
    if ord(ch) >= 0x2E80:
        return 1.0
    if "A" <= ch <= "Z":
        return 0.7
    return 0.6


def text_width(s: str, size: float) -> float:
    """The sum of the characters' ems, in order (as the app adds them), times ``size``."""
    em = 0.0
    for ch in s:
        em += char_width(ch)
    return em * size


def wrap(text: str, size: float, max_width: float) -> list[str]:
    """Greedy word wrap: paragraphs at newlines, words at spaces, over-long words between
    characters; an empty paragraph is an empty line."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        started = False
        for word in paragraph.split(" "):
            candidate = line + " " + word if started else word
            if text_width(candidate, size) <= max_width:
                line = candidate
                started = True
                continue
            if started:
                out.append(line)
            if text_width(word, size) <= max_width:
                line = word
            else:
                chunk = ""
                for ch in word:
                    if chunk and text_width(chunk + ch, size) > max_width:
                        out.append(chunk)
                        chunk = ch
                    else:
                        chunk += ch
                line = chunk
            started = True
        out.append(line)
    return out


def fit_size(text: str, w: float, h: float) -> float:
    """The largest of ``FIT_SIZES`` at which ``text`` fits a ``w`` by ``h`` box."""
    for size in FIT_SIZES:
        lines = wrap(text, size, w)
        if len(lines) * size * LINE_HEIGHT <= h and all(text_width(x, size) <= w for x in lines):
            return size
    return FIT_SIZES[-1]


@dataclass(frozen=True)
class TextBlock:
    lines: list[str]
    size: float
    cx: float
    cy: float

    def line_y(self, i: int) -> float:
        """The y of the alphabetic baseline of line ``i`` (``BASELINE_SHIFT`` below its middle,
        as the app draws it), on a whole board unit as the app rounds it."""
        middle = self.cy + (i - (len(self.lines) - 1) / 2) * self.size * LINE_HEIGHT
        return math.floor(middle + BASELINE_SHIFT * self.size + 0.5)


def text_block(e: dict[str, Any]) -> TextBlock | None:
    """The text a note or a labelled rect or ellipse shows in its middle, laid out."""
    t = e["type"]
    text = e.get("text")
    if t not in ("note", "rect", "ellipse") or not text:
        return None
    cx, cy = e["x"] + e["w"] / 2, e["y"] + e["h"] / 2
    if t == "note":
        w = max(0.0, e["w"] - 2 * NOTE_PAD)
        h = max(0.0, e["h"] - 2 * NOTE_PAD)
        size = e["size"] if "size" in e else fit_size(text, w, h)
    else:
        size = e.get("size", LABEL_SIZE)
        inner = abs(e["w"]) * _INSCRIBED if t == "ellipse" else abs(e["w"])
        w = max(0.0, inner - 2 * LABEL_PAD)
    return TextBlock(wrap(text, size, w), size, cx, cy)
