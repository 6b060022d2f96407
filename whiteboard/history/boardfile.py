"""The board file (``.wbd``): one board's state at a moment plus its whole log, to download and
to import into a new board.

A msgpack map, keys in this order so that a writer can stream it (``names`` comes after the
ops, when every author is known, and ``blobs`` last, when every image the ops show is known)::

    {format: "whiteboard-board", version: 1, board: str, seq: int,
     elements: [element, ...], ops: [sop with ts, ...], names: {"<client id>": str},
     blobs?: {"<blob>": bytes}}

``blobs`` (PROTOCOL.md 1.1) is there when the board holds images: the bytes of every image its
ops name. On import each one is checked exactly as an upload is, and must be what its name says.

An imported file is hostile input, exactly like a WebSocket frame: every op goes through
``protocol.validate_op`` and ``Document.apply`` with the server's limits, and the whole file is
checked before anything is written, so a bad file creates nothing. The log that gets stored is
the one this server's ``Document`` produced, never bytes copied from the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import msgpack

from whiteboard.blobs.check import ImageRefused, check_image, not_an_image, sniff_type
from whiteboard.codec import pack as _pack
from whiteboard.codec import packer as new_packer
from whiteboard.document import Document
from whiteboard.history import checkpoint
from whiteboard.protocol import BOARD_ID_PATTERN, Limits, ProtocolError, server_op, validate_op
from whiteboard.store.base import Blob, Checkpoint, Client, LogRow

FORMAT: Final = "whiteboard-board"
VERSION: Final = 1
KEYS: Final = ("format", "version", "board", "seq", "elements", "ops", "names")
NAME_CHARS: Final = 200
"""Longest author name accepted: hello names are at most 40 characters, but server authors
("Copied from {board} at {seq}") are longer."""
ROW_OPS: Final = 256
"""Most ops per stored log row of an imported or forked board, like one full tick."""
MAX_INT: Final = 2**53 - 1
IMPORTED_ID_MAX: Final = 2**47
"""Largest client id an import keeps as is. Live boards number new connections from the
largest stored id, and a browser holds ids as doubles: ids past 2^53 would round onto each
other and two people would share one. Larger ids in a file are renumbered just above this (in
the order they appear), leaving nearly all of the ids below 2^53 to the connections to come."""

_BOARD_ID: Final = re.compile(BOARD_ID_PATTERN)
_CLIENT_ID: Final = re.compile(r"[1-9][0-9]{0,15}")
_SOP_KEYS: Final = frozenset({"s", "by", "ts"})


@dataclass(frozen=True)
class BlobRules:
    """The upload limits a file's images are held to (PROTOCOL.md's defaults unless given)."""

    blob_bytes: int = 10 << 20
    image_pixels: int = 40_000_000
    board_blob_bytes: int = 1 << 30


def blob_named(op: dict[str, Any]) -> str | None:
    """The blob a (valid) op names: an image's add, or an update that sets ``blob``."""
    if op["k"] == "add":
        e = op["e"]
        return e["blob"] if e["type"] == "image" else None
    if op["k"] == "update":
        name: str | None = op["set"].get("blob")
        return name
    return None


class BoardFileError(Exception):
    """The file is refused; ``message`` is a sentence for the person who chose the file."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- writing -------------------------------------------------------------------------------------


def head(board: str, seq: int, elements: list[dict[str, Any]], blobs: bool = False) -> bytes:
    """Everything before the ops: the map header, the state, and the ops array's header.

    The ops array holds exactly ``seq`` ops (ops 1 to ``seq``), so its length is known before
    the first op is read from the store. ``blobs``: the file will end with ``blobs_tail``.
    """
    packer = new_packer()
    parts = [packer.pack_map_header(len(KEYS) + blobs)]
    for key, value in (
        ("format", FORMAT),
        ("version", VERSION),
        ("board", board),
        ("seq", seq),
        ("elements", elements),
    ):
        parts += [packer.pack(key), packer.pack(value)]
    parts += [packer.pack("ops"), packer.pack_array_header(seq)]
    return b"".join(parts)


def ops(sops: Iterable[dict[str, Any]]) -> bytes:
    """A run of the ops array: server ops, each with its ``ts``."""
    packer = new_packer()
    return b"".join(packer.pack(sop) for sop in sops)


def tail(names: dict[int, str]) -> bytes:
    """The ``names`` entry that ends the file (client ids as strings, as in the ops page)."""
    return _pack("names") + _pack({str(i): n for i, n in sorted(names.items())})


def blobs_tail(blobs: dict[str, bytes]) -> bytes:
    """The ``blobs`` entry, after ``names``: the bytes of the images the ops name."""
    return _pack("blobs") + _pack(dict(sorted(blobs.items())))


def encode(
    board: str, seq: int, elements: list[dict[str, Any]], sops: list[dict[str, Any]],
    names: dict[int, str], blobs: dict[str, bytes] | None = None,
) -> bytes:  # fmt: skip
    """A whole file in memory (tests; the server streams ``head``, ``ops`` and ``tail``)."""
    end = blobs_tail(blobs) if blobs is not None else b""
    return head(board, seq, elements, blobs is not None) + ops(sops) + tail(names) + end


# -- reading -------------------------------------------------------------------------------------


@dataclass
class ImportedBoard:
    """A validated file, ready to store: the log as this server would have written it."""

    source: str
    clients: list[Client] = field(default_factory=list)
    rows: list[LogRow] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    blobs: dict[str, Blob] = field(default_factory=dict)

    @property
    def blob_bytes(self) -> int:
        return sum(len(b.data) for b in self.blobs.values())


def read(
    data: bytes,
    limits: Limits,
    checkpoint_every: int,
    color: Callable[[int], str],
    rules: BlobRules | None = None,
) -> ImportedBoard:
    """Validate a board file op by op and turn it into rows, checkpoints and clients.

    Raises ``BoardFileError`` for anything wrong with the file; never anything else for any
    bytes (the caller answers 400 with the message and writes nothing).
    """
    # Read through a window (``_Reader``): the unpacker never holds a second copy of the file,
    # and 'elements' is skipped here and compared one element at a time at the end, so the
    # file's state is never decoded whole beside the document built from its ops.
    unpacker = _unpacker(data, 0, len(data))
    builder = LogBuilder(limits, checkpoint_every)
    fields = _call(unpacker.read_map_header, "The file is not a board file (not a msgpack map).")
    seen: dict[str, Any] = {}
    for _ in range(fields):
        key = _call(unpacker.unpack, _TRUNCATED)
        if type(key) is str and key in seen:
            raise BoardFileError(f"The file has the key {key!r} twice.")
        if key == "ops":
            seen[key] = _read_ops(unpacker, builder)
        elif key == "elements":
            start = unpacker.tell()
            count = _call(unpacker.read_array_header, "'elements' must be an array of elements.")
            for _ in range(count):
                _call(unpacker.skip, _TRUNCATED)
            seen[key] = (start, unpacker.tell())
        elif type(key) is str and (key in KEYS or key == "blobs"):
            seen[key] = _call(unpacker.unpack, _TRUNCATED)
            _check_header_field(key, seen[key])
        else:
            _call(unpacker.skip, _TRUNCATED)  # unknown keys are ignored, as in PROTOCOL.md
    if unpacker.tell() != len(data):
        raise BoardFileError("The file has extra bytes after the board: it is not a board file.")
    for key in KEYS:
        if key not in seen:
            raise BoardFileError(f"The file has no {key!r}: it is not a complete board file.")
    named = _names(seen["names"])
    names = {builder.client_id(i): n for i, n in named.items()}
    for author in sorted(builder.authors):
        if author not in names:
            raise BoardFileError(f"Client {author} wrote ops but has no entry in 'names'.")
    # A file may not name clients who wrote nothing: each would be a durable row (a million
    # of them fit in an import), and an export names its authors only.
    idle = sorted(i for i in named if builder.client_id(i) not in builder.authors)
    if idle:
        more = f" (and {len(idle) - 1} more)" if len(idle) > 1 else ""
        raise BoardFileError(
            f"'names' names client {idle[0]}{more}, who wrote no op: a board file names the "
            "authors of its ops only."
        )
    doc = builder.finish()
    if seen["seq"] != doc.seq:
        raise BoardFileError(f"'seq' is {seen['seq']} but the file holds {doc.seq} ops.")
    if not _same_elements(data, seen["elements"], doc.elements()):
        raise BoardFileError("'elements' is not the state that the file's ops produce.")
    return ImportedBoard(
        source=seen["board"],
        clients=[Client(i, n, color(i)) for i, n in sorted(names.items())],
        rows=builder.rows,
        checkpoints=builder.checkpoints,
        blobs=_blobs(builder.blobs, seen.get("blobs", {}), rules or BlobRules()),
    )


def _blobs(named: set[str], carried: dict[Any, Any], rules: BlobRules) -> dict[str, Blob]:
    """The images the ops name, each checked as an upload (the others are not kept)."""
    out: dict[str, Blob] = {}
    total = 0
    for name in sorted(named):
        data = carried.get(name)
        if type(data) is not bytes:
            raise BoardFileError(f"An image of the board ({name[:12]}...) is not in the file.")
        if len(data) > rules.blob_bytes:
            raise BoardFileError(
                f"An image in the file has {len(data)} bytes; at most {rules.blob_bytes} are "
                "accepted."
            )
        try:
            kind = sniff_type(data)
            if not kind:
                raise not_an_image(data)
            image = check_image(data, kind, rules.image_pixels)
        except ImageRefused as exc:
            raise BoardFileError(f"An image in the file is refused: {exc}") from None
        if image.blob != name:
            raise BoardFileError(
                f"An image in the file ({name[:12]}...) is not what its name says."
            )
        total += image.bytes
        if total > rules.board_blob_bytes:
            raise BoardFileError(
                f"The file's images take more than {rules.board_blob_bytes} bytes, the most "
                "one board may hold."
            )
        out[name] = Blob(image.type, image.data)
    return out


_WINDOW = 1 << 20


class _Reader:
    """A file-like view of bytes for ``msgpack.Unpacker``: it copies one window at a time,
    where ``feed(data)`` would copy the whole file into the unpacker's buffer."""

    def __init__(self, data: bytes, start: int, end: int) -> None:
        self.view = memoryview(data)[start:end]
        self.pos = 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.view) if n < 0 else self.pos + n
        chunk = bytes(self.view[self.pos : end])
        self.pos += len(chunk)
        return chunk


def _unpacker(data: bytes, start: int, end: int) -> msgpack.Unpacker:
    return msgpack.Unpacker(
        _Reader(data, start, end),
        raw=False,
        strict_map_key=False,
        read_size=_WINDOW,
        max_buffer_size=max(_WINDOW, min(end - start, 1 << 31)),
    )


def _same_elements(data: bytes, span: tuple[int, int], elements: list[dict[str, Any]]) -> bool:
    """Whether the file's 'elements' (at ``span``) are ``elements``, decoded one at a time."""
    unpacker = _unpacker(data, *span)
    if _call(unpacker.read_array_header, _TRUNCATED) != len(elements):
        return False
    return all(_call(unpacker.unpack, _TRUNCATED) == e for e in elements)


_TRUNCATED: Final = "The file ends too early or is damaged: it is not a whole board file."


def _call(fn: Callable[[], Any], message: str) -> Any:
    """Run one msgpack read; whatever msgpack raises (it has many types) becomes the message."""
    try:
        return fn()
    except MemoryError:
        raise  # the server's fault, not the file's: the caller says so (503)
    except Exception:
        raise BoardFileError(message) from None


def _check_header_field(key: str, value: Any) -> None:
    if key == "format" and value != FORMAT:
        raise BoardFileError(f"This is not a board file: 'format' must be {FORMAT!r}.")
    if key == "version" and (type(value) is not int or value != VERSION):
        raise BoardFileError(f"Unsupported board file version; this server reads {VERSION}.")
    if key == "board" and (type(value) is not str or not _BOARD_ID.fullmatch(value)):
        raise BoardFileError("'board' must be a board id.")
    if key == "seq" and (type(value) is not int or not 0 <= value <= MAX_INT):
        raise BoardFileError("'seq' must be an int >= 0.")
    if key == "names" and type(value) is not dict:
        raise BoardFileError("'names' must be a map of client ids to names.")
    if key == "blobs" and type(value) is not dict:
        raise BoardFileError("'blobs' must be a map of blob names to bytes.")


def _names(raw: dict[Any, Any]) -> dict[int, str]:
    names: dict[int, str] = {}
    for key, name in raw.items():
        if type(key) is not str or not _CLIENT_ID.fullmatch(key) or int(key) > MAX_INT:
            raise BoardFileError("Every key of 'names' must be a client id (an int as a string).")
        if type(name) is not str or not 1 <= len(name) <= NAME_CHARS:
            raise BoardFileError(
                f"The name of client {key} must be a string of 1 to {NAME_CHARS} characters."
            )
        names[int(key)] = name
    return names


def _int_field(sop: dict[Any, Any], key: str, low: int, high: int) -> int | None:
    value = sop.get(key)
    return value if type(value) is int and low <= value <= high else None


def _read_ops(unpacker: msgpack.Unpacker, builder: LogBuilder) -> int:
    """Replay the ops array as it is unpacked: the file's ops never all sit in memory at once."""
    count: int = _call(unpacker.read_array_header, "'ops' must be an array of ops.")
    for _ in range(count):
        builder.add(_call(unpacker.unpack, _TRUNCATED))
    return count


class LogBuilder:
    """Turns server ops (with ``by`` and ``ts``) into a new board's rows and checkpoints,
    validating each one exactly as if it had arrived from a socket.

    Used by imports and by forks alike, so a fork's log is held to the same rules as a file
    and its export always imports again.
    """

    def __init__(self, limits: Limits, checkpoint_every: int) -> None:
        self.doc = Document(limits)
        self.checkpoint_every = max(1, checkpoint_every)
        self.authors: set[int] = set()
        self.rows: list[LogRow] = []
        self.checkpoints: list[Checkpoint] = []
        self._row: list[dict[str, Any]] = []
        self._row_ts = 0
        self._checkpoint_seq = 0
        self.blobs: set[str] = set()
        """The blobs the ops name: the file must carry each of them."""
        self._renumbered: dict[int, int] = {}

    def client_id(self, by: int) -> int:
        """``by`` as stored: see ``IMPORTED_ID_MAX``."""
        if by <= IMPORTED_ID_MAX:
            return by
        new = self._renumbered.get(by)
        if new is None:
            new = self._renumbered[by] = IMPORTED_ID_MAX + 1 + len(self._renumbered)
        return new

    def add(self, sop: Any) -> None:
        """Validate and apply the next op; ``BoardFileError`` says why one is refused."""
        s = self.doc.seq + 1
        if type(sop) is not dict:
            raise BoardFileError(f"Op {s} is not a map.")
        if _int_field(sop, "s", 1, MAX_INT) != s:
            raise BoardFileError(f"Op {s} does not have 's' {s}: ops are numbered 1, 2, 3, ...")
        by = _int_field(sop, "by", 1, MAX_INT)
        if by is None:
            raise BoardFileError(f"Op {s} has no valid author 'by' (a client id).")
        by = self.client_id(by)
        ts = _int_field(sop, "ts", 0, MAX_INT)
        if ts is None:
            raise BoardFileError(f"Op {s} has no valid time 'ts' (ms since the epoch).")
        op = {k: v for k, v in sop.items() if k not in _SOP_KEYS}
        try:
            validate_op(op, self.doc.limits)
        except ProtocolError as exc:
            raise BoardFileError(f"Op {s} is invalid: {exc.msg}") from None
        if self._row and (ts != self._row_ts or len(self._row) >= ROW_OPS):
            self._close_row()  # before applying: a checkpoint must be the state at the row's end
        result = self.doc.apply(op, s)
        if isinstance(result, ProtocolError):
            raise BoardFileError(f"Op {s} cannot be applied ({result.code}): {result.msg}")
        self.authors.add(by)
        named = blob_named(result)
        if named is not None:
            self.blobs.add(named)
        self._row.append(server_op(result, s, by))
        self._row_ts = ts

    def _close_row(self) -> None:
        row = self._row
        self.rows.append(LogRow(row[0]["s"], row[-1]["s"], self._row_ts, _pack(row)))
        self._row = []
        if self.doc.seq - self._checkpoint_seq >= self.checkpoint_every:
            self._checkpoint()

    def _checkpoint(self) -> None:
        # As the live board writes them: with the first-add seqs of the ids deleted since the
        # previous one (``Checkpoint.firsts``), and the layout index.
        self.checkpoints.append(checkpoint.build(self.doc))
        self._checkpoint_seq = self.doc.seq

    def finish(self) -> Document:
        if self._row:
            self._close_row()
        if self.doc.seq > self._checkpoint_seq:
            self._checkpoint()
        return self.doc
