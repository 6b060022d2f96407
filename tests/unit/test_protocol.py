"""Every rule of PROTOCOL.md that ``whiteboard.protocol`` enforces, accepted and refused.

The cases are tables on purpose: a reader checks a row against the protocol text, and a new
rule is one more row. Range edges are tested on both sides because every range is inclusive.
"""

from __future__ import annotations

import json
import math
import re
import struct
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from whiteboard import protocol
from whiteboard.protocol import (
    BOARD_ID_PATTERN,
    CLOSE_GOING_AWAY,
    CLOSE_INVALID,
    CLOSE_POLICY,
    CLOSE_TOO_BIG,
    CLOSE_TRY_AGAIN,
    CLOSE_UNSUPPORTED,
    CloseError,
    CursorMessage,
    Hello,
    Limits,
    OpsMessage,
    ProtocolError,
    decode_frame,
    encode_err,
    encode_ops_array,
    encode_ops_frame,
    encode_presence,
    encode_welcome,
    frames,
    parse_hello,
    parse_message,
    validate_field,
    validate_op,
)

ROOT = Path(__file__).parents[2]
LIMITS = Limits()
DROP = object()
"""Marks a field to remove from a base element in a table row."""

BASE: dict[str, dict[str, Any]] = {
    "pen": {
        "id": "p1",
        "type": "pen",
        "x": 10,
        "y": 20,
        "stroke": "#112233",
        "width": 2,
        "pts": [0, 0, 3, -4],
    },
    "line": {
        "id": "l1",
        "type": "line",
        "x": 0,
        "y": 0,
        "stroke": "#112233",
        "width": 1,
        "w": 5,
        "h": 6,
    },
    "arrow": {
        "id": "a1",
        "type": "arrow",
        "x": 0,
        "y": 0,
        "stroke": "#112233",
        "width": 1,
        "w": -5,
        "h": 6,
    },
    "rect": {
        "id": "r1",
        "type": "rect",
        "x": 0.5,
        "y": -0.5,
        "stroke": "#112233",
        "width": 1,
        "w": 5,
        "h": -6,
    },
    "ellipse": {
        "id": "e1",
        "type": "ellipse",
        "x": 0,
        "y": 0,
        "stroke": "#112233",
        "width": 1,
        "w": 5,
        "h": 6,
    },
    "text": {
        "id": "t1",
        "type": "text",
        "x": 0,
        "y": 0,
        "stroke": "#112233",
        "text": "hello",
        "size": 16,
    },
}
SHAPES = ("line", "arrow", "rect", "ellipse")
ALL_TYPES = tuple(BASE)


def changed(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with ``changes`` set, and the keys whose value is DROP removed."""
    out = dict(base)
    for key, value in changes.items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def element(etype: str, **changes: Any) -> dict[str, Any]:
    return changed(BASE[etype], changes)


def add(e: Any, c: int = 1) -> dict[str, Any]:
    return {"k": "add", "c": c, "e": e}


def outcome(op: Any, limits: Limits = LIMITS) -> str:
    """``"ok"`` or the refusal code, checking the refusal's invariants on the way."""
    try:
        result = validate_op(op, limits)
    except ProtocolError as exc:
        assert_sentence(exc.msg)
        c = op.get("c") if isinstance(op, dict) else None
        if type(c) is int and 0 <= c <= 2**53 - 1:
            assert exc.c == c
        return exc.code
    assert result is op, "validation must hand back the very same map"
    return "ok"


def assert_sentence(msg: str) -> None:
    """Every refusal message is a sentence a person can read."""
    assert isinstance(msg, str) and len(msg) > 10
    assert msg[0].isupper() or msg[0] == "'", msg
    assert msg.endswith("."), msg


def pack(obj: Any) -> bytes:
    data: bytes = msgpack.packb(obj, use_bin_type=True)
    return data


# -- frames --------------------------------------------------------------------------------------


def test_close_codes_match_the_protocol_table() -> None:
    assert (
        CLOSE_GOING_AWAY,
        CLOSE_UNSUPPORTED,
        CLOSE_INVALID,
        CLOSE_POLICY,
        CLOSE_TOO_BIG,
        CLOSE_TRY_AGAIN,
    ) == (1001, 1003, 1007, 1008, 1009, 1013)


def named(prefix: str) -> dict[str, int]:
    """The codes ``whiteboard.protocol`` names ``<prefix><NAME>``, by NAME."""
    return {
        name.removeprefix(prefix): value
        for name, value in vars(protocol).items()
        if name.startswith(prefix)
    }


def test_close_codes_are_the_shared_vector() -> None:
    """static/src/net/messages.test.ts holds the app's names to the same file."""
    vector = json.loads((ROOT / "tests/vectors/close_codes.json").read_text())
    assert named("CLOSE_") == vector["CLOSE"]
    assert named("APP_CLOSE_") == vector["APP_CLOSE"]


def test_app_close_codes_are_private_and_never_the_servers() -> None:
    server, app = named("CLOSE_").values(), named("APP_CLOSE_").values()
    assert all(1000 <= code <= 2999 for code in server)  # RFC 6455's protocol range
    assert all(4000 <= code <= 4999 for code in app)  # its private range
    assert len(set(server)) == len(server) and len(set(app)) == len(app)


def test_every_close_code_the_docs_promise_is_named_and_no_other() -> None:
    text = (ROOT / "docs/protocol.md").read_text()
    table = text.split("Close codes the server uses:")[1].split("\n\n")[1]
    documented = {int(code) for code in re.findall(r"^\| (\d{4}) \|", table, flags=re.M)}
    documented |= {
        int(code)
        for code in re.findall(r"[Cc]lose(?:s the connection with|d with)?\** (\d{4})", text)
    }
    assert documented == set(named("CLOSE_").values())


@pytest.mark.parametrize(
    ("board", "ok"),
    [
        ("a", True),
        ("Z9", True),
        ("my-board_2", True),
        ("x" * 64, True),
        ("", False),
        ("x" * 65, False),
        ("-a", False),
        ("_a", False),
        ("a.b", False),
        ("a b", False),
        ("a\n", False),
        ("café", False),
    ],
)
def test_board_id_pattern(board: str, ok: bool) -> None:
    assert (re.fullmatch(BOARD_ID_PATTERN, board) is not None) is ok


def test_decode_frame_returns_the_map() -> None:
    assert decode_frame(pack({"t": "cursor", "x": 1, "y": 2.5})) == {
        "t": "cursor",
        "x": 1,
        "y": 2.5,
    }


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(pack([1, 2]), id="array"),
        pytest.param(pack(1), id="int"),
        pytest.param(pack("t"), id="str"),
        pytest.param(pack(None), id="nil"),
        pytest.param(pack(b"\x80"), id="bin"),
        pytest.param(pack(1.5), id="float"),
        pytest.param(pack(True), id="bool"),
    ],
)
def test_decode_frame_refuses_non_maps(data: bytes) -> None:
    with pytest.raises(CloseError) as info:
        decode_frame(data)
    assert info.value.code == CLOSE_INVALID


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\xc1", id="never-used-byte"),
        pytest.param(pack({"t": "cursor"})[:-1], id="truncated"),
        pytest.param(pack({"t": "x"}) + b"\x00", id="trailing-byte"),
        pytest.param(pack({"t": "x"}) + pack({"t": "y"}), id="two-maps"),
        pytest.param(b"\x81\xa1t\xa2\xff\xfe", id="invalid-utf8-value"),
        pytest.param(b"\x81\xa2\xc3\x28\x01", id="invalid-utf8-key"),
        pytest.param(b"\x81\xa3\xed\xa0\x80\x01", id="utf8-encoded-surrogate"),
        pytest.param(b"\xdd\xff\xff\xff\xff", id="array32-huge-length"),
        pytest.param(b"\xdf\xff\xff\xff\xff", id="map32-huge-length"),
        pytest.param(b"\x81\xa1t\xdb\xff\xff\xff\xff", id="str32-huge-length"),
        pytest.param(b"\x81\xa1t\xc6\xff\xff\xff\xff", id="bin32-huge-length"),
        pytest.param(b"\x81\xa1t\xc9\xff\xff\xff\xff\x05", id="ext32-huge-length"),
        pytest.param(b"\x81\xa1t" + b"\x91" * 100_000 + b"\xc0", id="deep-nesting"),
        pytest.param(b"\x81\x81\x01\x02\x03", id="map-as-key"),
        pytest.param(b"\x81\x92\x01\x02\x03", id="array-as-key"),
        pytest.param(b"\x81\xa1t\xc7\x03\xff\x00\x00\x00", id="bad-timestamp-ext"),
        pytest.param("{}", id="text-not-bytes"),
    ],
)
def test_decode_frame_closes_1007_on_anything_unusable(data: Any) -> None:
    with pytest.raises(CloseError) as info:
        decode_frame(data)
    assert info.value.code == CLOSE_INVALID
    assert len(info.value.reason.encode()) <= 123  # fits a WebSocket close frame


def test_decode_frame_keeps_odd_but_valid_content_for_validation_to_refuse() -> None:
    # Moderate nesting, ext types, bin values and non-str keys are valid msgpack maps: they
    # decode, and the rules below refuse them where a str or a number is expected.
    nested = b"\x82\xa1t\xa3ops\xa3ops" + b"\x91" * 200 + b"\xc0"
    assert decode_frame(nested)["t"] == "ops"
    data = pack({"t": "ops", 1: 2, b"k": b"v", "e": msgpack.ExtType(5, b"x")})
    msg = decode_frame(data)
    assert msg[1] == 2 and msg[b"k"] == b"v"
    assert msg["e"] == msgpack.ExtType(5, b"x")


# -- hello ---------------------------------------------------------------------------------------


def hello(**changes: Any) -> dict[str, Any]:
    return changed({"t": "hello", "v": 1, "name": "Ada"}, changes)


@pytest.mark.parametrize(
    ("msg", "expected"),
    [
        (hello(), Hello("Ada", None)),
        (hello(name="  Ada Lovelace \t\n"), Hello("Ada Lovelace", None)),
        (hello(name="x"), Hello("x", None)),
        (hello(name="n" * 40), Hello("n" * 40, None)),
        (hello(name=" " + "n" * 40 + " "), Hello("n" * 40, None)),
        (hello(name="😀" * 40), Hello("😀" * 40, None)),
        (hello(since=None), Hello("Ada", None)),
        (hello(since=0), Hello("Ada", 0)),
        (hello(since=12345), Hello("Ada", 12345)),
        (hello(since=2**64 - 1), Hello("Ada", 2**64 - 1)),
        (hello(extra="ignored", **{"t2": 1}), Hello("Ada", None)),
        (hello(compact=1), Hello("Ada", None, compact=True)),
        (hello(compact=0), Hello("Ada", None, compact=False)),
        (hello(compact=None), Hello("Ada", None, compact=False)),
    ],
)
def test_hello_accepted(msg: dict[str, Any], expected: Hello) -> None:
    assert parse_hello(msg) == expected


def test_hello_ignores_non_string_keys() -> None:
    msg = decode_frame(pack({"t": "hello", "v": 1, "name": "Ada", 7: "x", b"b": 1}))
    assert parse_hello(msg) == Hello("Ada", None)


@pytest.mark.parametrize(
    "msg",
    [
        pytest.param(hello(t=DROP), id="no-t"),
        pytest.param(hello(t="ops"), id="t-ops"),
        pytest.param(hello(t=b"hello"), id="t-bin"),
        pytest.param(hello(v=DROP), id="no-v"),
        pytest.param(hello(v=2), id="v2"),
        pytest.param(hello(v=0), id="v0"),
        pytest.param(hello(v=True), id="v-true"),
        pytest.param(hello(v=1.0), id="v-float"),
        pytest.param(hello(v="1"), id="v-str"),
        pytest.param(hello(name=DROP), id="no-name"),
        pytest.param(hello(name=""), id="name-empty"),
        pytest.param(hello(name="   \t "), id="name-blank"),
        pytest.param(hello(name="n" * 41), id="name-41"),
        pytest.param(hello(name="😀" * 41), id="name-41-emoji"),
        pytest.param(hello(name=b"Ada"), id="name-bin"),
        pytest.param(hello(name=None), id="name-null"),
        pytest.param(hello(name=5), id="name-int"),
        pytest.param(hello(since=-1), id="since-negative"),
        pytest.param(hello(since=1.0), id="since-float"),
        pytest.param(hello(since=True), id="since-bool"),
        pytest.param(hello(since="3"), id="since-str"),
        pytest.param(hello(since=[1]), id="since-array"),
        pytest.param(hello(compact=2), id="compact-2"),
        pytest.param(hello(compact=-1), id="compact-negative"),
        pytest.param(hello(compact=True), id="compact-true"),
        pytest.param(hello(compact=1.0), id="compact-float"),
        pytest.param(hello(compact="1"), id="compact-str"),
        pytest.param(hello(compact=[1]), id="compact-array"),
    ],
)
def test_hello_refused(msg: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_hello(msg)
    assert info.value.code == "bad_message"
    assert info.value.c is None
    assert_sentence(info.value.msg)


@pytest.mark.parametrize(
    ("changes", "key", "prev"),
    [
        ({}, None, None),
        ({"key": "k" * 43}, "k" * 43, None),
        ({"key": ""}, "", None),
        ({"key": "k" * 5000}, "k" * 5000, None),
        ({"key": None}, None, None),
        ({"key": 5}, None, None),
        ({"key": b"k"}, None, None),
        ({"key": ["k"]}, None, None),
        ({"prev": {"id": 3, "token": "abc"}}, None, (3, "abc")),
        ({"prev": {"id": 3, "token": "t" * 64}}, None, (3, "t" * 64)),
        ({"prev": {"id": 0, "token": ""}}, None, (0, "")),
        ({"prev": {"id": -1, "token": "abc"}}, None, (-1, "abc")),
        ({"prev": {"id": 3, "token": "abc", "more": 1}}, None, (3, "abc")),
        ({"prev": {"id": 3, "token": "t" * 65}}, None, None),
        ({"prev": {"id": 3.0, "token": "abc"}}, None, None),
        ({"prev": {"id": True, "token": "abc"}}, None, None),
        ({"prev": {"id": "3", "token": "abc"}}, None, None),
        ({"prev": {"id": 3, "token": b"abc"}}, None, None),
        ({"prev": {"id": 3, "token": None}}, None, None),
        ({"prev": {"id": 3}}, None, None),
        ({"prev": {"token": "abc"}}, None, None),
        ({"prev": {}}, None, None),
        ({"prev": [3, "abc"]}, None, None),
        ({"prev": "3:abc"}, None, None),
        ({"prev": None}, None, None),
        ({"key": "k", "prev": {"id": 9, "token": "z"}, "since": 4, "compact": 1}, "k", (9, "z")),
    ],
)
def test_hello_key_and_prev_are_read_but_never_refused(
    changes: dict[str, Any], key: str | None, prev: tuple[int, str] | None
) -> None:
    """docs/protocol.md additions: a malformed one is absent, not a reason to lock a client out."""
    parsed = parse_hello(decode_frame(pack(hello(**changes))))
    assert (parsed.key, parsed.prev) == (key, prev)
    assert parsed.name == "Ada"


def test_hello_prev_keys_that_are_not_strings_are_not_id_or_token() -> None:
    msg = decode_frame(pack(hello(prev={1: 3, b"token": "abc"})))
    assert parse_hello(msg).prev is None


# -- messages after hello ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "msg",
    [
        pytest.param({}, id="no-t"),
        pytest.param({"t": "draw"}, id="unknown-t"),
        pytest.param({"t": b"ops", "ops": [add(element("rect"))]}, id="bin-t"),
        pytest.param({"t": 1}, id="int-t"),
        pytest.param(hello(), id="second-hello"),
        pytest.param({"t": "ops"}, id="ops-missing"),
        pytest.param({"t": "ops", "ops": None}, id="ops-null"),
        pytest.param({"t": "ops", "ops": []}, id="ops-empty"),
        pytest.param({"t": "ops", "ops": add(element("rect"))}, id="ops-map"),
        pytest.param({"t": "ops", "ops": [add(element("rect"))] * 257}, id="ops-257"),
        pytest.param({"t": "cursor"}, id="cursor-empty"),
        pytest.param({"t": "cursor", "x": 1}, id="cursor-no-y"),
        pytest.param({"t": "cursor", "y": None}, id="cursor-no-x"),
        pytest.param({"t": "cursor", "x": 1, "y": None}, id="cursor-half-null"),
        pytest.param({"t": "cursor", "x": None, "y": 2}, id="cursor-other-half-null"),
        pytest.param({"t": "cursor", "x": math.nan, "y": 0}, id="cursor-nan"),
        pytest.param({"t": "cursor", "x": 0, "y": math.inf}, id="cursor-inf"),
        pytest.param({"t": "cursor", "x": -math.inf, "y": 0}, id="cursor-minus-inf"),
        pytest.param({"t": "cursor", "x": True, "y": 0}, id="cursor-bool"),
        pytest.param({"t": "cursor", "x": "1", "y": 0}, id="cursor-str"),
        pytest.param({"t": "cursor", "x": [1], "y": 0}, id="cursor-array"),
    ],
)
def test_bad_message(msg: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_message(msg, LIMITS)
    assert info.value.code == "bad_message"
    assert info.value.c is None
    assert_sentence(info.value.msg)


@pytest.mark.parametrize(
    ("x", "y"),
    [(0, 0), (1.5, -2.25), (-(10**9), 10**9), (1e300, -1e300), (None, None), (2**64 - 1, 0)],
)
def test_cursor_accepted(x: Any, y: Any) -> None:
    msg = {"t": "cursor", "x": x, "y": y, "unknown": "ignored"}
    assert parse_message(msg, LIMITS) == CursorMessage(x, y)


def test_ops_frame_of_exactly_the_limit_is_accepted() -> None:
    ops = [add(element("rect", id=f"r{i}"), c=i) for i in range(256)]
    result = parse_message({"t": "ops", "ops": ops, "future": 1}, LIMITS)
    assert isinstance(result, OpsMessage)
    assert result.items == ops
    assert all(a is b for a, b in zip(result.items, ops, strict=True))


def test_ops_per_frame_limit_is_configurable() -> None:
    small = Limits(ops_per_frame=2)
    ops = [add(element("rect"), c=i) for i in range(3)]
    assert isinstance(parse_message({"t": "ops", "ops": ops[:2]}, small), OpsMessage)
    with pytest.raises(ProtocolError):
        parse_message({"t": "ops", "ops": ops}, small)


def test_each_op_is_judged_alone_and_in_order() -> None:
    good = add(element("rect"), c=1)
    bad = {"k": "add", "c": 2, "e": element("rect", width=0)}
    no_c = {"k": "delete", "ids": ["a"]}
    other = {"k": "delete", "c": 4, "ids": ["a"]}
    result = parse_message({"t": "ops", "ops": [good, bad, no_c, 7, other]}, LIMITS)
    assert isinstance(result, OpsMessage)
    first, second, third, fourth, fifth = result.items
    assert first is good and fifth is other
    assert isinstance(second, ProtocolError) and (second.code, second.c) == ("bad_op", 2)
    assert isinstance(third, ProtocolError) and (third.code, third.c) == ("bad_op", None)
    assert isinstance(fourth, ProtocolError) and (fourth.code, fourth.c) == ("bad_op", None)


# -- ops: the common part ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "op", [None, 1, "add", [1], b"op", True], ids=["null", "int", "str", "array", "bin", "bool"]
)
def test_op_that_is_not_a_map_is_bad_op_without_c(op: Any) -> None:
    with pytest.raises(ProtocolError) as info:
        validate_op(op, LIMITS)
    assert (info.value.code, info.value.c) == ("bad_op", None)


@pytest.mark.parametrize("c", [0, 1, 2**53 - 1])
def test_c_accepted(c: int) -> None:
    assert outcome({"k": "delete", "c": c, "ids": ["a"]}) == "ok"


@pytest.mark.parametrize(
    "c",
    [DROP, None, -1, 2**53, 2**64 - 1, True, False, 3.0, 0.0, "3", [3], b"3"],
    ids=[
        "missing",
        "null",
        "-1",
        "2^53",
        "2^64-1",
        "true",
        "false",
        "3.0",
        "0.0",
        "str",
        "arr",
        "bin",
    ],
)
def test_bad_c_is_bad_op_without_c(c: Any) -> None:
    op: dict[str, Any] = {"k": "delete", "ids": ["a"]}
    if c is not DROP:
        op["c"] = c
    with pytest.raises(ProtocolError) as info:
        validate_op(op, LIMITS)
    assert (info.value.code, info.value.c) == ("bad_op", None)


def test_bad_c_wins_over_other_faults() -> None:
    with pytest.raises(ProtocolError) as info:
        validate_op({"k": "nope", "c": -5, "junk": 1}, LIMITS)
    assert (info.value.code, info.value.c) == ("bad_op", None)


@pytest.mark.parametrize("k", [DROP, None, "ADD", "add ", "move", b"add", 1, ["add"]])
def test_bad_kind_is_bad_op_with_c(k: Any) -> None:
    op: dict[str, Any] = {"c": 9, "e": element("rect")}
    if k is not DROP:
        op["k"] = k
    with pytest.raises(ProtocolError) as info:
        validate_op(op, LIMITS)
    assert (info.value.code, info.value.c) == ("bad_op", 9)


VALID_OPS: dict[str, dict[str, Any]] = {
    "add": {"k": "add", "c": 1, "e": element("rect")},
    "append": {"k": "append", "c": 1, "id": "p1", "pts": [1, 2]},
    "update": {"k": "update", "c": 1, "id": "r1", "set": {"x": 3}},
    "delete": {"k": "delete", "c": 1, "ids": ["r1"]},
}


@pytest.mark.parametrize("kind", list(VALID_OPS))
def test_valid_op_of_each_kind(kind: str) -> None:
    assert outcome(VALID_OPS[kind]) == "ok"


@pytest.mark.parametrize("kind", list(VALID_OPS))
@pytest.mark.parametrize("key", ["foo", "s", "by", "C", 1, b"c", 1.5, None])
def test_unknown_key_in_op_is_bad_op(kind: str, key: Any) -> None:
    op = {**VALID_OPS[kind], key: 1}
    assert outcome(op) == "bad_op"


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("add", "e"),
        ("append", "id"),
        ("append", "pts"),
        ("update", "id"),
        ("update", "set"),
        ("delete", "ids"),
    ],
)
def test_missing_key_in_op_is_bad_op(kind: str, key: str) -> None:
    op = dict(VALID_OPS[kind])
    del op[key]
    assert outcome(op) == "bad_op"


# -- elements ------------------------------------------------------------------------------------


@pytest.mark.parametrize("etype", ALL_TYPES)
def test_each_base_element_is_valid(etype: str) -> None:
    assert outcome(add(element(etype))) == "ok"


def test_element_with_every_optional_field() -> None:
    assert outcome(add(element("pen", ps=3, pr=[0, 255], z=-2.5))) == "ok"
    assert outcome(add(element("rect", fill="#ffffff80", z=7))) == "ok"
    assert outcome(add(element("ellipse", fill="#ABCDEF"))) == "ok"
    assert outcome(add(element("text", z=0))) == "ok"


def bad(etype: str, **changes: Any) -> Any:
    return pytest.param(etype, changes, id=f"{etype}-{changes_id(changes)}")


def changes_id(changes: dict[str, Any]) -> str:
    return ",".join(f"{k}={'DROP' if v is DROP else repr(v)[:20]}" for k, v in changes.items())


def each(types: tuple[str, ...], **changes: Any) -> list[Any]:
    return [bad(t, **changes) for t in types]


ACCEPTED_ELEMENTS = [
    *each(ALL_TYPES, id="a" * 32),
    *each(ALL_TYPES, id="A-_z09"),
    *each(ALL_TYPES, id="-"),
    *each(ALL_TYPES, x=10_000_000, y=-10_000_000),
    *each(ALL_TYPES, x=1e7, y=-1e7),
    *each(ALL_TYPES, x=0.0, y=-0.0),
    *each(ALL_TYPES, stroke="#00000000"),
    *each(ALL_TYPES, stroke="#aBcDeF"),
    *each(ALL_TYPES, z=-1e300),
    *each(ALL_TYPES, z=2**64 - 1),
    *each(ALL_TYPES, z=0.5),
    *each(("pen", *SHAPES), width=0.1),
    *each(("pen", *SHAPES), width=200),
    *each(("pen", *SHAPES), width=200.0),
    *each(("pen", *SHAPES), width=1.5),
    *each(SHAPES, w=1e7, h=-1e7),
    *each(SHAPES, w=0, h=0),
    *each(SHAPES, w=-0.25, h=10_000_000),
    bad("rect", fill="#000000"),
    bad("ellipse", fill="#00000000"),
    bad("pen", pts=[0, 0]),
    bad("pen", pts=[2**31 - 1, -(2**31)]),
    bad("pen", pts=[1, 2] * 5000),
    bad("pen", ps=1),
    bad("pen", ps=64),
    bad("pen", pr=[0, 255]),
    bad("pen", pts=[1, 1], pr=[128]),
    bad("text", text="x"),
    bad("text", text="x" * 10_000),
    bad("text", text="😀" * 10_000),
    bad("text", text="line\nbreak\n"),
    bad("text", size=4),
    bad("text", size=400),
    bad("text", size=12.5),
]


@pytest.mark.parametrize(("etype", "changes"), ACCEPTED_ELEMENTS)
def test_element_accepted(etype: str, changes: dict[str, Any]) -> None:
    assert outcome(add(element(etype, **changes))) == "ok"


NOT_NUMBERS = [math.nan, math.inf, -math.inf, True, False, None, "1", b"1", [1], {"v": 1}]

REFUSED_ELEMENTS = [
    # id
    *each(ALL_TYPES, id=DROP),
    *each(("rect",), id=""),
    *each(("rect",), id="a" * 33),
    *each(("rect",), id="😀" * 2),
    *each(("rect",), id="abc\n"),
    *each(("rect",), id="\nabc"),
    *each(("rect",), id="a b"),
    *each(("rect",), id="a.b"),
    *each(("rect",), id="é"),
    *each(("rect",), id=5),
    *each(("rect",), id=None),
    *each(("rect",), id=b"r1"),
    # type
    bad("rect", type=DROP),
    bad("rect", type="circle"),
    bad("rect", type="Rect"),
    bad("rect", type="rect\n"),
    bad("rect", type=b"rect"),
    bad("rect", type=None),
    bad("rect", type=3),
    # coordinates
    *each(ALL_TYPES, x=DROP),
    *each(ALL_TYPES, y=DROP),
    *each(ALL_TYPES, x=10_000_001),
    *each(ALL_TYPES, y=-10_000_001),
    *each(ALL_TYPES, x=10_000_000.000001),
    *each(ALL_TYPES, y=-1e8),
    *[bad("rect", x=v) for v in NOT_NUMBERS],
    *[bad("pen", y=v) for v in NOT_NUMBERS],
    # stroke
    *each(ALL_TYPES, stroke=DROP),
    *[
        bad("line", stroke=v)
        for v in [
            "#00000",
            "#0000000",
            "#000000000",
            "000000",
            "#GGGGGG",
            "#000",
            "#000000\n",
            "#00000000\n",
            " #000000",
            "#ff00ffé",
            "red",
            b"#000000",
            None,
            0x000000,
        ]
    ],
    # width
    *each(("pen", *SHAPES), width=DROP),
    *each(("pen", *SHAPES), width=0.09999),
    *each(("pen", *SHAPES), width=0),
    *each(("pen", *SHAPES), width=200.00001),
    *each(("pen", *SHAPES), width=201),
    *each(("pen", *SHAPES), width=-1),
    *[bad("rect", width=v) for v in NOT_NUMBERS],
    bad("text", width=1),
    # fill: rect and ellipse only
    bad("pen", fill="#000000"),
    bad("line", fill="#000000"),
    bad("arrow", fill="#000000"),
    bad("text", fill="#000000"),
    bad("rect", fill="#00000"),
    bad("rect", fill="#000000\n"),
    bad("ellipse", fill=b"#000000"),
    bad("rect", fill=None),
    # z
    *[bad("text", z=v) for v in NOT_NUMBERS],
    # w, h
    *each(SHAPES, w=DROP),
    *each(SHAPES, h=DROP),
    *each(SHAPES, w=10_000_001),
    *each(SHAPES, h=-10_000_000.5),
    *[bad("arrow", w=v) for v in NOT_NUMBERS],
    bad("pen", w=1),
    bad("text", h=1),
    # pen points
    bad("pen", pts=DROP),
    bad("pen", pts=[]),
    bad("pen", pts=[1]),
    bad("pen", pts=[1, 2, 3]),
    bad("pen", pts=[1.0, 2]),
    bad("pen", pts=[1, 2.5]),
    bad("pen", pts=[True, 1]),
    bad("pen", pts=[None, 1]),
    bad("pen", pts=["1", 1]),
    bad("pen", pts=[2**31, 0]),
    bad("pen", pts=[0, -(2**31) - 1]),
    bad("pen", pts=[math.nan, 0]),
    bad("pen", pts=None),
    bad("pen", pts="1,2"),
    bad("pen", pts={"0": 1}),
    bad("line", pts=[0, 0]),
    # pen scale
    bad("pen", ps=0),
    bad("pen", ps=65),
    bad("pen", ps=-1),
    bad("pen", ps=2.0),
    bad("pen", ps=True),
    bad("pen", ps=None),
    bad("pen", ps="2"),
    bad("rect", ps=1),
    # pen pressures
    bad("pen", pr=[]),
    bad("pen", pr=[0]),
    bad("pen", pr=[0, 0, 0]),
    bad("pen", pr=[0, 256]),
    bad("pen", pr=[-1, 0]),
    bad("pen", pr=[0, 1.0]),
    bad("pen", pr=[True, 0]),
    bad("pen", pr=[None, 0]),
    bad("pen", pr=None),
    bad("pen", pr=128),
    bad("rect", pr=[0]),
    # text
    bad("text", text=DROP),
    bad("text", text=""),
    bad("text", text=None),
    bad("text", text=5),
    bad("text", text=b"hello"),
    bad("text", text=["hello"]),
    bad("text", size=DROP),
    bad("text", size=3.99),
    bad("text", size=400.01),
    bad("text", size=0),
    *[bad("text", size=v) for v in NOT_NUMBERS],
    bad("line", text="hello"),
    bad("line", size=12),
    # unknown fields
    *each(ALL_TYPES, foo=1),
    *each(ALL_TYPES, s=1),
    *each(ALL_TYPES, color="#000000"),
    *each(ALL_TYPES, Width=1),
]


@pytest.mark.parametrize(("etype", "changes"), REFUSED_ELEMENTS)
def test_element_refused(etype: str, changes: dict[str, Any]) -> None:
    assert outcome(add(element(etype, **changes), c=77)) == "bad_op"


@pytest.mark.parametrize("key", [1, b"id", 2.5, None, (1, 2)])
def test_non_string_key_in_element_is_bad_op(key: Any) -> None:
    e: dict[Any, Any] = {**element("rect"), key: 1}
    assert outcome(add(e)) == "bad_op"


@pytest.mark.parametrize("e", [None, [], "rect", 1, b"e", msgpack.ExtType(1, b"")])
def test_element_that_is_not_a_map_is_bad_op(e: Any) -> None:
    assert outcome(add(e)) == "bad_op"


def test_error_message_names_the_unknown_field_and_type() -> None:
    with pytest.raises(ProtocolError) as info:
        validate_op(add(element("rect", foo=1)), LIMITS)
    assert info.value.msg == "Unknown field 'foo' in a rect element."


def test_binary_key_is_described_not_echoed() -> None:
    with pytest.raises(ProtocolError) as info:
        validate_op(add({**element("rect"), b"\x00\xff": 1}), LIMITS)
    assert info.value.msg == "Unknown field with a binary key in a rect element."


def test_long_string_is_not_echoed_in_full() -> None:
    with pytest.raises(ProtocolError) as info:
        validate_op(add(element("rect", stroke="x" * 5000)), LIMITS)
    assert len(info.value.msg) < 200


# -- size limits ---------------------------------------------------------------------------------


def pen_with(values: int, **changes: Any) -> dict[str, Any]:
    return element("pen", pts=[1] * values, **changes)


@pytest.mark.parametrize(
    ("values", "expected"), [(10_000, "ok"), (10_002, "too_large"), (200_000, "too_large")]
)
def test_add_pen_values_per_op(values: int, expected: str) -> None:
    assert outcome(add(pen_with(values))) == expected


def test_add_pen_values_per_element_when_lower_than_per_op() -> None:
    limits = Limits(values_per_op=100, values_per_element=10)
    assert outcome(add(pen_with(10)), limits) == "ok"
    assert outcome(add(pen_with(12)), limits) == "too_large"


def test_oversize_is_refused_before_the_values_are_looked_at() -> None:
    assert outcome(add(element("pen", pts=["x"] * 10_002))) == "too_large"


@pytest.mark.parametrize(
    ("values", "expected"), [(10_000, "ok"), (10_002, "too_large"), (10_001, "too_large")]
)
def test_append_values_per_op(values: int, expected: str) -> None:
    op = {"k": "append", "c": 3, "id": "p1", "pts": [0] * values}
    assert outcome(op) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("abcde", "ok"),
        ("abcdef", "too_large"),
        ("😀" * 5, "ok"),
        ("😀" * 6, "too_large"),
        ("", "bad_op"),
    ],
)
def test_text_chars_limit(text: str, expected: str) -> None:
    limits = Limits(text_chars=5)
    assert outcome(add(element("text", text=text)), limits) == expected
    if text:
        assert (
            outcome({"k": "update", "c": 1, "id": "t1", "set": {"text": text}}, limits) == expected
        )
    else:
        # A note's text may be empty (PROTOCOL.md 1.1): a text's is refused once its type is known.
        with pytest.raises(ProtocolError) as exc:
            validate_field("text", "text", text, limits)
        assert exc.value.code == expected


def test_default_text_limit_is_ten_thousand_code_points() -> None:
    assert outcome(add(element("text", text="x" * 10_001))) == "too_large"
    assert outcome(add(element("text", text="😀" * 10_001))) == "too_large"


# -- append --------------------------------------------------------------------------------------


def append(**changes: Any) -> dict[str, Any]:
    return changed({"k": "append", "c": 5, "id": "p1", "pts": [1, 2]}, changes)


@pytest.mark.parametrize(
    "op",
    [
        append(),
        append(pts=[0, 0, -(2**31), 2**31 - 1]),
        append(pts=[1, 2, 3, 4], pr=[0, 255]),
        append(pr=[7]),
        append(id="a" * 32),
    ],
)
def test_append_accepted(op: dict[str, Any]) -> None:
    assert outcome(op) == "ok"


@pytest.mark.parametrize(
    "op",
    [
        append(id="bad id"),
        append(id="p1\n"),
        append(id=""),
        append(id=1),
        append(id=None),
        append(pts=[]),
        append(pts=[1]),
        append(pts=[1, 2, 3]),
        append(pts=[1.0, 2]),
        append(pts=[False, 2]),
        append(pts=[2**31, 0]),
        append(pts=[-(2**31) - 1, 0]),
        append(pts=None),
        append(pts=b"\x01\x02"),
        append(pr=[]),
        append(pr=[1, 2]),
        append(pr=[256]),
        append(pr=[-1]),
        append(pr=[1.0]),
        append(pr=[True]),
        append(pr=None),
        append(pr=1),
        append(ps=2),
        append(e=element("pen")),
    ],
)
def test_append_refused(op: dict[str, Any]) -> None:
    assert outcome(op) == "bad_op"


# -- update --------------------------------------------------------------------------------------


def update(changes: Any) -> dict[str, Any]:
    return {"k": "update", "c": 6, "id": "x1", "set": changes}


@pytest.mark.parametrize(
    "changes",
    [
        {"x": 1, "y": -1e7},
        {"w": 1e7, "h": -3},
        {"stroke": "#abcdef12"},
        {"width": 0.1},
        {"width": 200},
        {"fill": "#000000"},
        {"fill": None},
        {"z": None},
        {"z": -7.5},
        {"text": "new text"},
        {"size": 4},
        {"size": 400},
        {"x": 1, "y": 2, "w": 3, "h": 4, "stroke": "#000000", "width": 1, "z": 1},
    ],
)
def test_update_accepted(changes: dict[str, Any]) -> None:
    assert outcome(update(changes)) == "ok"


@pytest.mark.parametrize(
    "changes",
    [
        {},
        None,
        [["x", 1]],
        "x",
        {"id": "other"},
        {"type": "rect"},
        {"pts": [1, 2]},
        {"pr": [1]},
        {"ps": 2},
        {"foo": 1},
        {"s": 1},
        {1: 2},
        {b"x": 2},
        {"x": None},
        {"stroke": None},
        {"width": None},
        {"w": None},
        {"x": math.nan},
        {"x": True},
        {"x": 10_000_001},
        {"width": 0},
        {"width": 201},
        {"fill": "#000"},
        {"fill": "#000000\n"},
        {"z": math.inf},
        {"z": False},
        {"text": 5},
        {"size": 3},
        {"x": 1, "foo": 2},
    ],
    ids=repr,
)
def test_update_refused(changes: Any) -> None:
    assert outcome(update(changes)) == "bad_op"


@pytest.mark.parametrize("changes", [{"text": None}, {"size": None}, {"text": ""}], ids=repr)
def test_update_of_a_text_refused_once_its_type_is_known(changes: dict[str, Any]) -> None:
    """PROTOCOL.md 1.1: a rect's label may be removed and a note's text emptied, so only the
    target's type (``validate_field``, called by the Document) refuses these for a text."""
    assert outcome(update(changes)) == "ok"
    [(key, value)] = changes.items()
    with pytest.raises(ProtocolError) as exc:
        validate_field("text", key, value, LIMITS)
    assert exc.value.code == "bad_op"


@pytest.mark.parametrize("id", ["", "a b", "x1\n", None, 3, b"x1"], ids=repr)
def test_update_bad_id(id: Any) -> None:
    assert outcome({**update({"x": 1}), "id": id}) == "bad_op"


@pytest.mark.parametrize(
    ("etype", "key", "value"),
    [
        ("rect", "x", 5),
        ("rect", "fill", "#123456"),
        ("rect", "fill", None),
        ("ellipse", "fill", None),
        ("pen", "z", None),
        ("pen", "z", 3),
        ("pen", "width", 3),
        ("line", "w", -4),
        ("arrow", "h", 4),
        ("text", "text", "hi"),
        ("text", "size", 40),
        ("text", "stroke", "#000000"),
    ],
)
def test_validate_field_accepts_fields_of_the_type(etype: str, key: str, value: Any) -> None:
    validate_field(etype, key, value, LIMITS)


@pytest.mark.parametrize(
    ("etype", "key", "value", "code"),
    [
        ("text", "width", 2, "bad_op"),
        ("pen", "fill", "#000000", "bad_op"),
        ("line", "fill", None, "bad_op"),
        ("pen", "w", 1, "bad_op"),
        ("line", "text", "hi", "bad_op"),
        ("line", "size", 10, "bad_op"),
        ("rect", "x", None, "bad_op"),
        ("text", "text", None, "bad_op"),
        ("pen", "pts", [1, 2], "bad_op"),
        ("pen", "ps", 2, "bad_op"),
        ("pen", "pr", [1], "bad_op"),
        ("rect", "id", "r2", "bad_op"),
        ("rect", "type", "ellipse", "bad_op"),
        ("rect", "foo", 1, "bad_op"),
        ("rect", "width", 0, "bad_op"),
        ("circle", "x", 1, "bad_op"),
        ("text", "text", "x" * 10_001, "too_large"),
    ],
)
def test_validate_field_refuses(etype: str, key: str, value: Any, code: str) -> None:
    with pytest.raises(ProtocolError) as info:
        validate_field(etype, key, value, LIMITS)
    assert info.value.code == code
    assert_sentence(info.value.msg)


# -- delete --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ids",
    [["a"], ["a", "a"], [f"id{i}" for i in range(1024)], ["A" * 32, "-", "_"]],
    ids=["one", "duplicate", "1024", "edges"],
)
def test_delete_accepted(ids: list[str]) -> None:
    assert outcome({"k": "delete", "c": 1, "ids": ids}) == "ok"


@pytest.mark.parametrize(
    "ids",
    [
        [],
        [f"id{i}" for i in range(1025)],
        ["a", ""],
        ["a\n"],
        ["a", None],
        [1],
        [b"a"],
        "a",
        None,
        {"a": 1},
    ],
    ids=["empty", "1025", "empty-id", "newline", "null", "int", "bin", "str", "null-ids", "map"],
)
def test_delete_refused(ids: Any) -> None:
    assert outcome({"k": "delete", "c": 1, "ids": ids}) == "bad_op"


# -- encoders ------------------------------------------------------------------------------------


def unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def test_encode_welcome_with_ops() -> None:
    kwargs: dict[str, Any] = {"board": "b", "me": 1, "color": "#000000", "seq": 0, "peers": []}
    msg = unpack(
        encode_welcome(**kwargs, elements=None, ops=[], limits={}, readonly=False, token="t")
    )
    assert msg["ops"] == [] and msg["elements"] is None


WELCOME: dict[str, Any] = {
    "board": "b1",
    "me": 3,
    "color": "#00ff00",
    "seq": 7,
    "peers": [{"id": 2, "name": "Bob", "color": "#ff0000"}],
    "limits": {"frame_bytes": 1 << 20},
}


def test_encode_welcome_with_elements_names_its_additions() -> None:
    data = frames.encode_welcome(
        **WELCOME, elements=[element("rect")], ops=None, readonly=True, token="tok", first=[4]
    )
    # PROTOCOL.md's keys in its order, then docs/protocol.md's additions.
    assert list(unpack(data).items()) == [
        ("t", "welcome"),
        ("v", 1),
        ("board", "b1"),
        ("me", 3),
        ("color", "#00ff00"),
        ("seq", 7),
        ("peers", WELCOME["peers"]),
        ("elements", [element("rect")]),
        ("ops", None),
        ("limits", WELCOME["limits"]),
        ("readonly", True),
        ("token", "tok"),
        ("first", [4]),
    ]


def test_encode_welcome_with_ops_has_no_first() -> None:
    sops = [{**add(element("rect")), "s": 7, "by": 2, "ts": 99}]
    msg = unpack(
        frames.encode_welcome(**WELCOME, elements=None, ops=sops, readonly=False, token="t")
    )
    assert msg["elements"] is None and msg["ops"] == sops
    assert msg["readonly"] is False and msg["token"] == "t" and "first" not in msg


@pytest.mark.parametrize(
    ("elements", "ops", "first"),
    [
        pytest.param(None, None, None, id="neither"),
        pytest.param([], [], [], id="both"),
        pytest.param([element("rect")], None, None, id="elements-without-first"),
        pytest.param(None, [], [], id="first-with-ops"),
        pytest.param([element("rect")], None, [1, 2], id="first-of-another-length"),
    ],
)
def test_encode_welcome_refuses_programming_errors_of_named_additions(
    elements: Any, ops: Any, first: Any
) -> None:
    with pytest.raises(ValueError):
        frames.encode_welcome(
            **WELCOME, elements=elements, ops=ops, readonly=False, token="t", first=first
        )


def test_encode_err() -> None:
    assert unpack(encode_err("bad_op", "No.", 5)) == {
        "t": "err",
        "code": "bad_op",
        "msg": "No.",
        "c": 5,
    }
    assert unpack(encode_err("bad_message", "No.")) == {
        "t": "err",
        "code": "bad_message",
        "msg": "No.",
    }
    assert unpack(encode_err("bad_op", "No.", 0))["c"] == 0


def test_encode_presence_omits_empty_parts() -> None:
    assert unpack(encode_presence()) == {"t": "presence"}
    assert unpack(encode_presence(join=[], leave=[], cur=[])) == {"t": "presence"}
    peer = {"id": 1, "name": "A", "color": "#000000"}
    assert unpack(encode_presence(join=[peer])) == {"t": "presence", "join": [peer]}
    assert unpack(encode_presence(leave=[4], cur=[[1, 2.5, None]])) == {
        "t": "presence",
        "leave": [4],
        "cur": [[1, 2.5, None]],
    }


@pytest.mark.parametrize("ts", [0, 1, 127, 128, 65_536, 1_764_000_000_000, 2**63 - 1])
def test_ops_frame_embeds_the_stored_array_verbatim(ts: int) -> None:
    sops = [
        {**add(element("rect")), "s": 1, "by": 2},
        {"k": "delete", "c": 2, "ids": ["r1"], "s": 2, "by": 2},
    ]
    array = encode_ops_array(sops)
    assert unpack(array) == sops
    frame = encode_ops_frame(ts, array)
    assert frame.endswith(array)
    assert unpack(frame) == {"t": "ops", "ts": ts, "ops": sops}


def test_strings_are_encoded_as_str_never_bin() -> None:
    frame = encode_err("bad_op", "é")
    # raw=True decodes str as bytes and would refuse nothing; bin types decode as bytes too,
    # so look at the type bytes: 0xa0-0xbf / 0xd9 are str, 0xc4-0xc6 are bin.
    assert not any(b in frame for b in (b"\xc4", b"\xc5", b"\xc6"))
    assert unpack(frame)["msg"] == "é"


def test_floats_survive_encoding_exactly() -> None:
    e = element("rect", x=0.1, z=1 / 3)
    assert unpack(encode_ops_array([e]))[0] == e
    assert struct.pack(">d", 0.1) in encode_ops_array([e])


# -- never anything but the two errors -----------------------------------------------------------

KEY_NAMES = [
    *("t", "v", "name", "since", "ops", "x", "y", "k", "c", "e", "id", "pts", "pr", "set"),
    *("ids", "type", "stroke", "width", "fill", "z", "w", "h", "text", "size", "ps", "foo"),
]
KEYS = st.sampled_from(KEY_NAMES)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.sampled_from(["ops", "cursor", "hello", "add", "append", "update", "delete", "pen"]),
    st.sampled_from(["rect", "text", "p1", "#000000"]),
    st.binary(max_size=3),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(KEYS, st.integers(-9, 9), st.binary(max_size=2)), inner, max_size=5
        ),
    ),
    max_leaves=20,
)


def parse_all(data: bytes) -> None:
    """What the socket does with a frame: decode, then hello or a later message."""
    try:
        msg = decode_frame(data)
    except CloseError as exc:
        assert exc.code == CLOSE_INVALID
        return
    for parse in (parse_hello, lambda m: parse_message(m, LIMITS)):
        try:
            parse(msg)
        except ProtocolError as exc:
            assert isinstance(exc.code, str) and isinstance(exc.msg, str)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_protocol_errors(data: bytes) -> None:
    parse_all(data)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["ops", "cursor", "hello", None]),
    st.dictionaries(KEYS, VALUES, max_size=6),
    st.lists(st.dictionaries(KEYS, VALUES, max_size=6), min_size=1, max_size=4),
)
def test_structured_garbage_raises_only_protocol_errors(
    t: str | None, msg: dict[str, Any], ops: list[dict[str, Any]]
) -> None:
    msg = {**msg, "t": t, "ops": ops} if t else msg
    data = pack(msg)
    parse_all(data)
    parse_all(data[:-1])
    parse_all(data + b"\x00")
