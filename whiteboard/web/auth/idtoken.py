"""The ID token of an OpenID Connect sign-in, checked as OpenID Connect Core 3.1.3.7 asks.

joserfc does the cryptography (the signature against the provider's published keys) and the
registered claims; what is ours is which claims must be there and what they must equal: the
issuer we asked, our client id as the audience, an expiry in the future, and the nonce we put
in this browser's request, so that a token stolen from another sign-in cannot be replayed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

# Asymmetric only: with HS256 the client secret would sign, and anyone holding it (every
# replica, a leaked config) could mint tokens. The provider's JWKS decides among these.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
LEEWAY_S = 60  # clocks of the provider and this server may differ by this much


class IdTokenError(Exception):
    """The ID token is not one this server may accept; the message says why (for the log)."""


@dataclass(frozen=True)
class Identity:
    subject: str
    email: str  # lower case: shares and --admins compare e-mails
    name: str


def validate_id_token(
    token: str,
    keys: KeySet,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: int | None = None,
) -> Identity:
    try:
        decoded = jwt.decode(token, keys, algorithms=list(ALGORITHMS))
    except (JoseError, ValueError, TypeError) as exc:
        raise IdTokenError(f"bad signature or format: {exc}") from None
    claims: Mapping[str, Any] = decoded.claims
    registry = jwt.JWTClaimsRegistry(
        now=now,
        leeway=LEEWAY_S,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(dict(claims))
    except JoseError as exc:
        raise IdTokenError(f"claims refused: {exc}") from None
    aud = claims["aud"]
    # Core 3.1.3.7 (4, 5): with several audiences, we must be the party it was issued to.
    if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != client_id:
        raise IdTokenError("several audiences and azp is not this client")
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise IdTokenError("no e-mail in the token: ask for the 'email' scope")
    if claims.get("email_verified") is False:
        raise IdTokenError("the provider says this e-mail is not verified")
    name = claims.get("name") or claims.get("preferred_username") or email.split("@")[0]
    shown = str(name).strip()[:40] or email[:40]  # hello.name is 1 to 40 characters
    return Identity(str(claims["sub"]), email.strip().lower(), shown)
