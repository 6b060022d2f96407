"""The browser's copies of the protocol's constants equal the server's.

The app checks every op before it shows it (static/src/model/validate.ts) and falls back on
default limits until the welcome names the real ones (static/src/model/types.ts). If one of its
constants drifted from the server's, it would show changes the server then refuses, or chunk a
big delete into ops the server rejects. tests/unit/ts_constants.mjs runs the app's own modules
and prints the values; this test compares them with the Python ones.
"""

from __future__ import annotations

import dataclasses
import json
import re
import string
import subprocess
from pathlib import Path
from typing import Any

import pytest

from whiteboard.config import Settings
from whiteboard.protocol import (
    BOARD_ID_PATTERN,
    COORD_MAX,
    FIELDS,
    IDS_PER_DELETE,
    Limits,
    ProtocolError,
    validate_op,
)

ROOT = Path(__file__).resolve().parents[2]

# Every printable ASCII character alone, first and after a valid one, a non-ASCII letter, and
# lengths around both patterns' maximum: where two spellings of a pattern could differ.
PROBES = sorted(
    {""}
    | {c for c in string.printable}
    | {c + "a" for c in string.printable}
    | {"a" + c for c in string.printable}
    | {"é", "aé", "a\n", "a b"}
    | {"a" * n for n in (31, 32, 33, 63, 64, 65)}
    | {"-" + "a" * 10, "_" + "a" * 10, "0" * 64}
)


@pytest.fixture(scope="module")
def ts() -> dict[str, Any]:
    out = subprocess.run(
        ["node", "tests/unit/ts_constants.mjs"],
        cwd=ROOT,
        input=json.dumps({"probes": PROBES}),
        capture_output=True,
        text=True,
        check=True,
    )
    values: dict[str, Any] = json.loads(out.stdout)
    return values


def accepted(pattern: re.Pattern[str]) -> list[bool]:
    return [pattern.fullmatch(p) is not None for p in PROBES]


def test_board_id_pattern(ts: dict[str, Any]) -> None:
    python = accepted(re.compile(BOARD_ID_PATTERN))
    assert any(python) and not all(python), "the probes tell accepted from refused"
    assert ts["board_pattern"] == python


def valid_element_id(id: str) -> bool:
    """Whether the server accepts `id` as an element id (in a delete, the simplest op)."""
    try:
        validate_op({"k": "delete", "c": 1, "ids": [id]}, Limits())
    except ProtocolError:
        return False
    return True


def test_element_id_pattern(ts: dict[str, Any]) -> None:
    python = [valid_element_id(p) for p in PROBES]
    assert any(python) and not all(python), "the probes tell accepted from refused"
    assert ts["id_pattern"] == python


def test_ids_per_delete(ts: dict[str, Any]) -> None:
    assert ts["ids_per_delete"] == IDS_PER_DELETE


def test_coordinate_bound(ts: dict[str, Any]) -> None:
    assert ts["coord_max"] == COORD_MAX


def test_fields_of_each_element_type(ts: dict[str, Any]) -> None:
    assert {t: set(f) for t, f in ts["fields"].items()} == {t: set(f) for t, f in FIELDS.items()}


def test_default_limits(ts: dict[str, Any]) -> None:
    """The app's limits before a welcome are the server's defaults, key for key."""
    app: dict[str, int] = ts["default_limits"]
    server = Settings().limits()
    assert app == {key: server[key] for key in app}
    # Every limit validation reads (protocol.Limits) is among them, with the same default.
    defaults = dataclasses.asdict(Limits())
    assert {key: app.get(key) for key in defaults} == defaults
