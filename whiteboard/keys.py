"""Edit keys of protected boards: only their hash is stored, and it is checked at join."""

from __future__ import annotations

import hashlib
import hmac


def hash_key(key: str) -> str:
    """Edit keys are long random tokens, so one round of SHA-256 is enough to store them."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(key: str | None, key_hash: str) -> bool:
    return key is not None and hmac.compare_digest(hash_key(key), key_hash)
