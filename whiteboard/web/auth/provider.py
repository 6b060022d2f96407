"""The OpenID provider as this server sees it: discovery, its keys, and the code exchange.

Discovery and keys are fetched on first use and kept; the keys are fetched again when a token
names a key id we do not hold (the provider rotated its keys), at most once a minute so that
forged tokens with random key ids cannot make us hammer the provider.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
import urllib.parse
from typing import Any

from joserfc.jwk import KeySet
from joserfc.jws import extract_compact
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from whiteboard.web.auth.idtoken import Identity, IdTokenError, validate_id_token

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
KEYS_REFRESH_S = 60.0


class ProviderError(Exception):
    """The provider could not be reached or answered something unusable."""


def code_challenge(verifier: str) -> str:
    """PKCE S256 (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Provider:
    def __init__(self, issuer: str, client_id: str, client_secret: str | None) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self._meta: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    async def _get_json(self, url: str, request: HTTPRequest | None = None) -> dict[str, Any]:
        client = AsyncHTTPClient()
        try:
            response = await client.fetch(request or HTTPRequest(url, request_timeout=TIMEOUT_S))
            body = json.loads(response.body)
        except HTTPClientError as exc:
            detail = exc.response.body[:300].decode(errors="replace") if exc.response else ""
            raise ProviderError(f"{url}: {exc} {detail}") from None
        except (OSError, ValueError) as exc:
            raise ProviderError(f"{url}: {exc}") from None
        if not isinstance(body, dict):
            raise ProviderError(f"{url}: not a JSON object")
        return body

    async def metadata(self) -> dict[str, Any]:
        if self._meta is None:
            meta = await self._get_json(self.issuer + "/.well-known/openid-configuration")
            # Core Discovery 4.3: the document must name the issuer we were configured with.
            if str(meta.get("issuer", "")).rstrip("/") != self.issuer:
                raise ProviderError(f"discovery names issuer {meta.get('issuer')!r}")
            for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(meta.get(needed), str):
                    raise ProviderError(f"discovery has no {needed}")
            self._meta = meta
        return self._meta

    async def authorize_url(self, redirect_uri: str, state: str, nonce: str, verifier: str) -> str:
        meta = await self.metadata()
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": "openid email profile",
                "state": state,
                "nonce": nonce,
                "code_challenge": code_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        sep = "&" if "?" in meta["authorization_endpoint"] else "?"
        return f"{meta['authorization_endpoint']}{sep}{query}"

    async def _key_set(self, kid: str | None) -> KeySet:
        now = time.monotonic()
        known = self._keys is not None and (
            kid is None or any(k.kid == kid for k in self._keys.keys)
        )
        if self._keys is None or (not known and now - self._keys_at > KEYS_REFRESH_S):
            meta = await self.metadata()
            try:
                self._keys = KeySet.import_key_set(await self._get_json(meta["jwks_uri"]))  # type: ignore[arg-type]
            except (ValueError, KeyError, TypeError) as exc:
                raise ProviderError(f"the provider's keys are unusable: {exc}") from None
            self._keys_at = now
        return self._keys

    async def sign_in(self, code: str, redirect_uri: str, verifier: str, nonce: str) -> Identity:
        """Exchange the code for tokens and check the ID token (``idtoken.py``)."""
        meta = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": self.client_id,
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        if self.client_secret is not None:
            # client_secret_basic, the method every provider must support (Core 9).
            pair = f"{urllib.parse.quote(self.client_id, safe='')}:" + urllib.parse.quote(
                self.client_secret, safe=""
            )
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        request = HTTPRequest(
            meta["token_endpoint"],
            method="POST",
            headers=headers,
            body=urllib.parse.urlencode(form),
            request_timeout=TIMEOUT_S,
        )
        tokens = await self._get_json(meta["token_endpoint"], request)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise ProviderError("the token answer holds no id_token")
        try:
            kid = extract_compact(id_token.encode()).headers().get("kid")
        except Exception as exc:  # any malformed token: refused below with a reason
            raise IdTokenError(f"malformed ID token: {exc}") from None
        keys = await self._key_set(kid if isinstance(kid, str) else None)
        return validate_id_token(
            id_token, keys, issuer=meta["issuer"], client_id=self.client_id, nonce=nonce
        )
