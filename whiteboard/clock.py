"""The time stamps stored with rows (``LogRow.ts``) and shown in history: ms since the epoch."""

from __future__ import annotations

import time


def now_ms() -> int:
    return int(time.time() * 1000)
