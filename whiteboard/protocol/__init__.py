"""Wire protocol version 1 (PROTOCOL.md and docs/protocol.md's additions), in one place.

Everything the server, the benchmarks and the history tools know about the wire is here, so
that the text and the code can be compared package to page:

- ``rules``: close codes, versions, the board id pattern, fixed bounds, field tables,
  ``Limits``, and the two kinds of failure (``CloseError``, ``ProtocolError``);
- ``messages``: client to server (``decode_frame``, ``parse_hello`` into ``Hello``,
  ``parse_message``);
- ``validate``: the rules of ops and elements that need no board state;
- ``frames``: server to client (``server_op`` and its key order, ``welcome``, ``err``,
  ``presence``, ``ops`` frames);
- ``compact``: the compact ops frame.

It is pure (no I/O, no Tornado) so that every rule can be unit tested byte for byte. Import
names from here (``from whiteboard.protocol import X``); the modules are how it is split, not
part of the interface.
"""

from whiteboard.protocol.compact import encode_compact_ops
from whiteboard.protocol.frames import (
    encode_err,
    encode_ops_array,
    encode_ops_frame,
    encode_presence,
    server_op,
)

# Kept until live/ adopts frames.encode_welcome's named parameters (hub.py passes ``extra``).
from whiteboard.protocol.frames import encode_welcome_compat as encode_welcome
from whiteboard.protocol.messages import (
    CursorMessage,
    Hello,
    OpsMessage,
    decode_frame,
    parse_hello,
    parse_message,
)
from whiteboard.protocol.rules import (
    APP_CLOSE_NO_ANSWER,
    APP_CLOSE_OFFLINE,
    APP_CLOSE_RECONNECT,
    APP_CLOSE_RESYNC,
    BOARD_ID_PATTERN,
    CLOSE_GOING_AWAY,
    CLOSE_INVALID,
    CLOSE_NORMAL,
    CLOSE_POLICY,
    CLOSE_SERVER_ERROR,
    CLOSE_TOO_BIG,
    CLOSE_TRY_AGAIN,
    CLOSE_UNSUPPORTED,
    COLOR_PATTERN,
    COMPACT_VERSION,
    COORD_MAX,
    ELEMENT_TYPES,
    ERROR_CODES,
    FIELDS,
    FRAME_NAME_MAX,
    ID_PATTERN,
    IDS_PER_DELETE,
    LABEL_SIZE,
    MAX_C,
    NAME_MAX,
    OP_KINDS,
    OPTIONAL_FIELDS,
    POSITIVE_SIZE_TYPES,
    PR_MAX,
    PROTOCOL_VERSION,
    PS_MAX,
    PS_MIN,
    PT_MAX,
    PT_MIN,
    REMOVABLE,
    REMOVABLE_FIELDS,
    REQUIRED_FIELDS,
    SIZE_MAX,
    SIZE_MIN,
    TOKEN_MAX,
    UNSETTABLE_FIELDS,
    WIDTH_MAX,
    WIDTH_MIN,
    CloseError,
    Limits,
    ProtocolError,
)
from whiteboard.protocol.validate import is_num, validate_element, validate_field, validate_op

__all__ = [
    "APP_CLOSE_NO_ANSWER",
    "APP_CLOSE_OFFLINE",
    "APP_CLOSE_RECONNECT",
    "APP_CLOSE_RESYNC",
    "BOARD_ID_PATTERN",
    "CLOSE_GOING_AWAY",
    "CLOSE_INVALID",
    "CLOSE_NORMAL",
    "CLOSE_POLICY",
    "CLOSE_SERVER_ERROR",
    "CLOSE_TOO_BIG",
    "CLOSE_TRY_AGAIN",
    "CLOSE_UNSUPPORTED",
    "COLOR_PATTERN",
    "COMPACT_VERSION",
    "COORD_MAX",
    "ELEMENT_TYPES",
    "ERROR_CODES",
    "FIELDS",
    "FRAME_NAME_MAX",
    "IDS_PER_DELETE",
    "ID_PATTERN",
    "LABEL_SIZE",
    "MAX_C",
    "NAME_MAX",
    "OPTIONAL_FIELDS",
    "OP_KINDS",
    "POSITIVE_SIZE_TYPES",
    "PROTOCOL_VERSION",
    "PR_MAX",
    "PS_MAX",
    "PS_MIN",
    "PT_MAX",
    "PT_MIN",
    "REMOVABLE",
    "REMOVABLE_FIELDS",
    "REQUIRED_FIELDS",
    "SIZE_MAX",
    "SIZE_MIN",
    "TOKEN_MAX",
    "UNSETTABLE_FIELDS",
    "WIDTH_MAX",
    "WIDTH_MIN",
    "CloseError",
    "CursorMessage",
    "Hello",
    "Limits",
    "OpsMessage",
    "ProtocolError",
    "decode_frame",
    "encode_compact_ops",
    "encode_err",
    "encode_ops_array",
    "encode_ops_frame",
    "encode_presence",
    "encode_welcome",
    "is_num",
    "parse_hello",
    "parse_message",
    "server_op",
    "validate_element",
    "validate_field",
    "validate_op",
]
