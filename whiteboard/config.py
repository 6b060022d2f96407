"""Settings: one dataclass, filled from command-line flags and ``WHITEBOARD_*`` variables.

Every knob of the server lives here so that ``--help``, the README and ``welcome.limits`` can
all be generated from one place. A flag wins over the environment, which wins over the default.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "WHITEBOARD_"


def _setting(default: Any, help: str, **extra: Any) -> Any:
    return field(default=default, metadata={"help": help, **extra})


@dataclass(frozen=True)
class Settings:
    """Everything an operator can set. Field metadata holds the ``--help`` text."""

    host: str = _setting("127.0.0.1", "interface to listen on")
    port: int = _setting(8888, "TCP port to listen on (0 picks a free port)")
    data: str = _setting("./data", "directory holding the SQLite database")
    allow_origin: tuple[str, ...] = _setting(
        (),
        "extra browser origins allowed to open WebSockets, comma separated "
        "(e.g. https://board.example.com); same-host origins are always allowed",
    )
    tick_ms: float = _setting(
        5.0, "batching interval of a board: ops are applied, stored and sent at most this often"
    )
    # 10,000 keeps ?at= fast while checkpoints (each the whole state) take a tenth of the disk
    # they take at 1,000: docs/scaling.md, "Figures behind the design".
    checkpoint_every: int = _setting(
        10_000, "write a checkpoint of a board every N ops (bounds the cost of loading and ?at=)"
    )
    import_bytes: int = _setting(
        64 << 20, "largest board file accepted by POST /api/boards/import (bytes); larger: 413"
    )
    blob_bytes: int = _setting(
        10 << 20, "largest image upload accepted (bytes); larger: 413 before the body is read"
    )
    image_pixels: int = _setting(
        40_000_000, "most pixels in one uploaded image (refuses decompression bombs)"
    )
    board_blob_bytes: int = _setting(
        1 << 30, "most bytes of images stored on one board in all; more: 413"
    )
    board_mb: int = _setting(
        1024,
        "most megabytes one board's log and pictures may take; past it, edits are refused "
        "(board_full) and uploads, forks and imports answer 507",
    )
    disk_mb: int = _setting(
        0,
        "most megabytes the whole store may take (the SQLite files, or Redis's memory); past "
        "it, edits are refused (board_full) and creations and uploads answer 507; 0: no cap",
    )
    idle_unload_s: float = _setting(
        60.0, "unload a board from memory this many seconds after its last client leaves"
    )
    resume_ops: int = _setting(
        20_000,
        "recent ops kept in memory per board so reconnecting clients get only what they missed",
    )
    resume_bytes: int = _setting(
        16 << 20, "most bytes of recent ops kept in memory per board for reconnecting clients"
    )
    frame_bytes: int = _setting(
        1 << 20, "largest WebSocket frame accepted (bytes); larger: close 1009"
    )
    ops_per_frame: int = _setting(256, "most ops in one 'ops' message")
    values_per_op: int = _setting(10_000, "most pen point values in one op")
    values_per_element: int = _setting(100_000, "most pen point values in one element")
    elements_per_board: int = _setting(100_000, "most live elements on one board")
    text_chars: int = _setting(10_000, "longest text element (characters)")
    ops_per_s: int = _setting(1000, "sustained ops per second allowed per connection")
    ops_burst: int = _setting(5000, "burst of ops allowed per connection above the sustained rate")
    backlog_bytes: int = _setting(
        8 << 20, "unsent bytes allowed per connection before it is closed with 1013"
    )
    bytes_per_s: int = _setting(
        2 << 20, "sustained bytes per second of frames allowed per connection"
    )
    bytes_burst: int = _setting(8 << 20, "burst of bytes allowed per connection above that rate")
    connections_per_ip: int = _setting(100, "most open WebSockets from one client address")
    http_connections_per_ip: int = _setting(
        64,
        "most open HTTP connections (requests, keep-alives) from one client address; "
        "upgraded WebSockets count against --connections-per-ip instead",
    )
    header_timeout_s: float = _setting(
        20.0, "seconds a connection may take to send a request's headers, or stay idle"
    )
    body_timeout_s: float = _setting(120.0, "seconds a client may take to send a request body")
    hello_timeout_s: float = _setting(
        10.0, "seconds a new WebSocket may take to send its hello before it is closed (1008)"
    )
    heavy_requests: int = _setting(
        2,
        "exports (svg, pdf, wbd), JSON ?at= snapshots, JSON ops pages and forks built at once, "
        "off the event loop (exports and snapshots in worker processes); more at the same "
        "time: 503 with Retry-After",
    )
    creations_per_min: int = _setting(
        60, "boards one client address may create (new, fork, import) per minute; more: 429"
    )
    trusted_proxies: tuple[str, ...] = _setting(
        (),
        "addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For is believed, "
        "comma separated",
    )
    readonly_retry_s: float = _setting(
        5.0, "after a failed write (disk full), how long a board stays read-only before retrying"
    )
    refusals_per_min: int = _setting(
        1000, "refused messages per minute before a connection is closed with 1008"
    )
    memory_mb: int = _setting(
        1024,
        "memory budget of the process (MB): boards, resume buffers, queued ops and imports are "
        "counted; one board may hold a quarter of it, one address add a quarter; past 70 % new "
        "work is refused, past 85 % the connections that added most are closed (1013)",
    )
    log_level: str = _setting("info", "logging level (debug, info, warning, error)")
    redis: str | None = _setting(
        None,
        "Redis URL (e.g. redis://localhost:6379/0): store boards in Redis so that several "
        "processes, on any machines, serve them together; without it, SQLite in --data",
    )
    redis_volatile: bool = _setting(
        False,
        "start even if Redis has no append-only file or may evict keys (acknowledged ops can "
        "then be lost)",
    )
    processes: int = _setting(
        1, "worker processes sharing the port (needs --redis; 0 means one per CPU core)"
    )
    admin_token: str | None = _setting(
        None,
        "secret that makes a request an admin's (Authorization: Bearer <token>): the admin "
        "page /admin and /api/admin/...; without it (and without sign-in) there is no admin",
    )
    api_token: str | None = _setting(
        None,
        "secret that lets another service create boards (POST /api/boards with "
        "Authorization: Bearer <token>) from anywhere and get their edit and view links",
    )
    trash_days: float = _setting(
        30.0, "days a soft-deleted board can be restored; after that it is purged"
    )
    delete_idle_days: float = _setting(
        0.0, "soft-delete boards nobody has changed for this many days (0: never)"
    )
    retention_every_s: float = _setting(
        3600.0, "how often the server applies --trash-days and --delete-idle-days (seconds)"
    )
    frame_ancestors: tuple[str, ...] = _setting(
        (),
        "sites allowed to embed the boards in a frame (CSP frame-ancestors), comma separated "
        "origins such as https://wiki.example.com; by default no site may",
    )
    oidc_issuer: str | None = _setting(
        None,
        "OpenID Connect issuer URL (e.g. https://id.example.com/realms/main): turns sign-in "
        "on; boards created by signed-in people get an owner who shares them",
    )
    oidc_client_id: str | None = _setting(None, "client id registered at the OpenID provider")
    oidc_client_secret: str | None = _setting(
        None, "client secret registered at the OpenID provider (none: a public client, PKCE only)"
    )
    public_url: str | None = _setting(
        None,
        "the address people open, e.g. https://board.example.com (sign-in sends the provider "
        "back to <public-url>/auth/callback)",
    )
    cookie_secret: str | None = _setting(
        None,
        "key that signs session cookies; without it one is generated once into --data "
        "(set it when several machines serve the same boards)",
    )
    create: str = _setting(
        "anyone", "who may create boards when sign-in is on: anyone, signed-in or admins"
    )
    admins: tuple[str, ...] = _setting(
        (), "e-mails of the administrators when sign-in is on, comma separated"
    )

    @property
    def sign_in(self) -> bool:
        """Sign-in, owners and sharing are on (``web/auth/``); off, every board is anonymous."""
        return self.oidc_issuer is not None

    def limits(self) -> dict[str, int]:
        """The limits announced in ``welcome.limits`` (PROTOCOL.md names the keys)."""
        return {
            "frame_bytes": self.frame_bytes,
            "ops_per_frame": self.ops_per_frame,
            "values_per_op": self.values_per_op,
            "values_per_element": self.values_per_element,
            "elements_per_board": self.elements_per_board,
            "text_chars": self.text_chars,
            "ops_per_s": self.ops_per_s,
            "ops_burst": self.ops_burst,
            "backlog_bytes": self.backlog_bytes,
            "bytes_per_s": self.bytes_per_s,
            "bytes_burst": self.bytes_burst,
            "connections_per_ip": self.connections_per_ip,
            "blob_bytes": self.blob_bytes,
            "image_pixels": self.image_pixels,
            "board_blob_bytes": self.board_blob_bytes,
        }


def redacted(url: str) -> str:
    """A URL without its password, which must not end up in logs or error messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"***@{netloc}"))


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _parse_value(f: dataclasses.Field[Any], raw: str) -> Any:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if kind.startswith("tuple"):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if kind == "bool":
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(raw)
    if kind.startswith("int"):
        return int(raw)
    if kind.startswith("float"):
        return float(raw)
    if kind.startswith("str | None"):
        return raw or None
    return raw


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="server.py",
        description="Self-hosted collaborative whiteboard. Every flag can also be set with "
        "the environment variable WHITEBOARD_<NAME> (e.g. WHITEBOARD_PORT=9000).",
    )
    for f in dataclasses.fields(Settings):
        default = f.default
        shown = ",".join(default) if isinstance(default, tuple) else default
        # argparse formats help texts with %: a setting's sentence may say "70 %".
        said = str(f.metadata["help"]).replace("%", "%%")
        if isinstance(default, bool):  # a switch: present means yes
            parser.add_argument(
                _flag(f.name),
                dest=f.name,
                action="store_const",
                const="1",
                default=None,
                help=f"{said} (env {ENV_PREFIX}{f.name.upper()}=1)",
            )
            continue
        parser.add_argument(
            _flag(f.name),
            dest=f.name,
            metavar=f.name.upper(),
            default=None,
            help=f"{said} (env {ENV_PREFIX}{f.name.upper()}; default: {shown})",
        )
    return parser


_NEVER = float("inf")
RANGES: dict[str, tuple[float, float]] = {
    "port": (0, 65535),
    "tick_ms": (0.1, 1000),
    "checkpoint_every": (1, 10_000_000),
    "import_bytes": (1, 1 << 40),
    "blob_bytes": (1, 1 << 40),
    "image_pixels": (1, 1 << 40),
    "board_blob_bytes": (1, 1 << 50),
    "board_mb": (1, 1 << 30),
    "disk_mb": (0, 1 << 30),
    "idle_unload_s": (0, 86_400),
    "resume_ops": (0, 10_000_000),
    "resume_bytes": (0, 1 << 40),
    "frame_bytes": (1024, 1 << 30),
    "ops_per_frame": (1, 1_000_000),
    "values_per_op": (2, 10_000_000),
    "values_per_element": (2, 100_000_000),
    "elements_per_board": (1, 100_000_000),
    "text_chars": (1, 10_000_000),
    "ops_per_s": (1, _NEVER),
    "ops_burst": (1, _NEVER),
    "backlog_bytes": (1024, 1 << 40),
    "bytes_per_s": (1, _NEVER),
    "bytes_burst": (1, _NEVER),
    "connections_per_ip": (1, 1_000_000),
    "readonly_retry_s": (0.01, 86_400),
    "http_connections_per_ip": (1, 1_000_000),
    "creations_per_min": (1, 1_000_000),
    "heavy_requests": (1, 64),
    "header_timeout_s": (0.1, 86_400),
    "body_timeout_s": (0.1, 86_400),
    "hello_timeout_s": (0.1, 86_400),
    "refusals_per_min": (1, _NEVER),
    "trash_days": (0, 36_500),
    "delete_idle_days": (0, 36_500),
    "retention_every_s": (0.05, 86_400),
    "memory_mb": (64, 1 << 20),
}
"""Each number's sensible bounds: a value outside is a mistake said in one line at start, not
a server that listens on a random port (``--port 99999``) or never checkpoints."""
_FRAME_SOURCE = re.compile(r"'self'|https?://[A-Za-z0-9.*-]+(:[0-9]{1,5})?")
"""An origin as CSP writes it: nothing that could end the header's directive (``;``, space)."""
CREATE = ("anyone", "signed-in", "admins")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _problem(name: str, value: Any) -> str | None:
    """What is wrong with one setting's value, or None."""
    if name in RANGES:
        low, high = RANGES[name]
        if not math.isfinite(value) or not low <= value <= high:
            top = "" if high == _NEVER else f" and {high:g}"
            return f"{value!r} is out of range (must be a number between {low:g}{top})"
    if name == "frame_ancestors":
        bad = [v for v in value if not _FRAME_SOURCE.fullmatch(v)]
        if bad:
            return f"{bad[0]!r} is not an origin like https://wiki.example.com (or 'self')"
    if name == "create" and value not in CREATE:
        return f"{value!r} is not one of {', '.join(CREATE)}"
    if name in ("oidc_issuer", "public_url") and value is not None:
        parts = urllib.parse.urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return f"{value!r} is not an http(s) URL"
    if name == "log_level" and str(value).lower() not in LOG_LEVELS:
        return f"{value!r} is not one of {', '.join(LOG_LEVELS)}"
    return None


def load_settings(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Flags, then environment, then defaults. Bad values stop the program with a usage error."""
    parser = build_parser()
    args = parser.parse_args(argv)
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        raw = getattr(args, f.name)
        source = _flag(f.name)
        if raw is None:
            raw = env.get(ENV_PREFIX + f.name.upper())
            source = ENV_PREFIX + f.name.upper()
        if raw is None:
            continue
        try:
            values[f.name] = _parse_value(f, raw)
        except ValueError:
            parser.error(f"{source}: invalid value {raw!r}")
        problem = _problem(f.name, values[f.name])
        if problem is not None:
            parser.exit(2, f"server.py: error: {source}: {problem}\n")
    settings = Settings(**values)
    if not settings.redis and os.path.exists(settings.data) and not os.path.isdir(settings.data):
        parser.exit(2, f"server.py: error: --data: {settings.data} is a file, not a directory\n")
    if settings.processes < 0:
        parser.error("--processes: must be 0 (one per CPU core) or more")
    if settings.processes != 1 and not settings.redis:
        parser.error(
            "--processes needs --redis: SQLite serves one process "
            "(run with --redis URL, or leave --processes at 1)"
        )
    if (settings.oidc_issuer or settings.oidc_client_id) and not (
        settings.oidc_issuer and settings.oidc_client_id and settings.public_url
    ):
        parser.error(
            "sign-in needs --oidc-issuer, --oidc-client-id and --public-url together "
            "(and --oidc-client-secret for a confidential client)"
        )
    if not settings.oidc_issuer and (settings.create != "anyone" or settings.admins):
        parser.error("--create and --admins need sign-in (--oidc-issuer)")
    return settings
