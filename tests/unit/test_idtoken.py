"""ID tokens (``web/auth/idtoken.py``) with keys made here: a good one is read, and every way a
token can be wrong for this server (tampered, signed by another key, expired, for another
client, from another issuer, for another sign-in, unsigned) is refused."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

from whiteboard.web.auth.idtoken import IdTokenError, validate_id_token

ISSUER, CLIENT, NONCE = "https://id.example.com", "whiteboard", "n-0123456789"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
PUBLISHED = KeySet.import_key_set(KeySet([KEY]).as_dict(private=False))


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "user-1",
        "iat": now,
        "exp": now + 300,
        "nonce": NONCE,
        "email": "Ann@Example.com",
        "name": "Ann",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def token(key: Any = KEY, alg: str = "RS256", **changes: Any) -> str:
    return jwt.encode({"alg": alg, "kid": "k1"}, claims(**changes), key)


def check(tok: str) -> Any:
    return validate_id_token(tok, PUBLISHED, issuer=ISSUER, client_id=CLIENT, nonce=NONCE)


def test_a_good_token_gives_the_person() -> None:
    who = check(token())
    assert (who.email, who.name, who.subject) == ("ann@example.com", "Ann", "user-1")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_tampered_payload_is_refused() -> None:
    head, _, sig = token().split(".")
    forged = _b64(claims(email="admin@example.com"))
    with pytest.raises(IdTokenError, match="signature"):
        check(f"{head}.{forged}.{sig}")


def test_a_token_signed_by_another_key_is_refused() -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(IdTokenError, match="signature"):
        check(token(other))


def test_an_unsigned_or_symmetric_token_is_refused() -> None:
    secret = OctKey.generate_key(256, parameters={"kid": "k1"})
    with pytest.raises(IdTokenError):
        check(token(secret, "HS256"))
    head = _b64({"alg": "none", "kid": "k1"})
    with pytest.raises(IdTokenError):
        check(f"{head}.{_b64(claims())}.")


def test_an_expired_token_is_refused() -> None:
    with pytest.raises(IdTokenError, match="exp"):
        check(token(exp=int(time.time()) - 3600))


@pytest.mark.parametrize(
    ("claim", "value"),
    [("aud", "another-client"), ("aud", ["another-client"]), ("iss", "https://evil.example"),
     ("nonce", "another-sign-in"), ("nonce", None), ("sub", None), ("exp", None)],
)  # fmt: skip
def test_a_token_for_another_client_issuer_or_sign_in_is_refused(claim: str, value: Any) -> None:
    with pytest.raises(IdTokenError, match=claim):
        check(token(**{claim: value}))


def test_several_audiences_need_this_client_as_the_authorized_party() -> None:
    with pytest.raises(IdTokenError, match="azp"):
        check(token(aud=[CLIENT, "other"]))
    assert check(token(aud=[CLIENT, "other"], azp=CLIENT)).email == "ann@example.com"


def test_a_token_without_a_verified_email_is_refused() -> None:
    with pytest.raises(IdTokenError, match="e-mail"):
        check(token(email=None))
    with pytest.raises(IdTokenError, match="verified"):
        check(token(email_verified=False))


def test_ec_keys_work_too() -> None:
    ec = ECKey.generate_key("P-256", parameters={"kid": "e1"})
    keys = KeySet.import_key_set(KeySet([ec]).as_dict(private=False))
    tok = jwt.encode({"alg": "ES256", "kid": "e1"}, claims(), ec)
    assert validate_id_token(tok, keys, issuer=ISSUER, client_id=CLIENT, nonce=NONCE).name == "Ann"
