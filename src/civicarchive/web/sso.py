"""Single sign-on through OpenID Connect: the authorization code flow with PKCE, against
the one provider the settings name (docs/sso.md).

    client = OpenIdClient(settings.sso)
    start = client.begin(redirect_uri)          # send the browser to start.url and set
                                                # start.cookie as PENDING_COOKIE
    identity = client.finish(query, cookie)     # the callback: an ExternalIdentity
                                                # (model/staff.py), or
                                                # SingleSignOnFailed saying which step failed

What each step checks:
- discovery: the provider's metadata (`/.well-known/openid-configuration`) names exactly the
  configured issuer, and its endpoints are https (http only for a provider on loopback);
- the sign-in in progress (`state`, `nonce`, the PKCE verifier, the redirect URI) travels in
  a cookie signed with HMAC-SHA256 and valid for ten minutes, so that any worker can finish
  it; the callback's `state` must equal the cookie's, and its `iss` (RFC 9207) the issuer;
- the code is exchanged once, with the PKCE verifier (S256) and the client secret; the
  provider refuses a code used twice;
- the ID token's signature verifies against the provider's JWKS (fetched again once when
  a key id is new: keys rotate), with an asymmetric algorithm the provider advertises, and
  its `iss`, `aud` (this client), `exp`/`iat` (against the injected clock, a minute's
  leeway), `nonce`, `azp` and `at_hash` are checked (authlib's CodeIDToken);
- claims from the userinfo endpoint are added when the provider has one (its `sub` must be
  the token's), and the signed ID token's claims win over them; the role and agency claims
  are then mapped by the settings (`identity_from_claims`, pure).

Every request to the provider goes through one httpx client with the settings' timeout,
following no redirects and ignoring proxy variables. Not through the capture SSRF guard
(capture/guard.py): the issuer is set by the deployment's administrator, not by a user,
and an agency's provider may well be on its own network, which the guard would refuse.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlsplit

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (BadSignatureError, ExpiredTokenError, InvalidClaimError,
                            InvalidKeyIdError, JoseError, MissingClaimError)
from joserfc.jwk import KeySet

from civicarchive.clock import Clock, SystemClock
from civicarchive.errors import SingleSignOnFailed
from civicarchive.model.staff import ExternalIdentity, StaffRole
from civicarchive.settings import LOOPBACK_HOSTS, SLUG, SsoSettings

__all__ = ["PENDING_COOKIE", "PENDING_SECONDS", "OpenIdClient", "SignInStart",
           "identity_from_claims"]

PENDING_COOKIE = "civicarchive_sso"
PENDING_SECONDS = 600      # how long a sign-in may take at the provider
LEEWAY_SECONDS = 60        # clock skew allowed between the provider and this server
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
              "ES512", "EdDSA", "Ed25519")


@dataclass(frozen=True)
class SignInStart:
    url: str        # the provider's authorization URL, to redirect the browser to
    cookie: str     # the signed sign-in in progress, to set as PENDING_COOKIE (HttpOnly)


class OpenIdClient:
    """A relying party of one OpenID Connect provider. Thread-safe: the cached metadata
    and keys are replaced whole."""

    def __init__(self, settings: SsoSettings, clock: Clock | None = None,
                 transport: httpx.BaseTransport | None = None, key: bytes | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.http = httpx.Client(timeout=settings.timeout, follow_redirects=False,
                                 trust_env=False, transport=transport,
                                 headers={"Accept": "application/json"})
        # The pending-sign-in cookie's key: derived from the client secret unless given, so
        # every worker of a deployment agrees on it without one more secret to configure.
        self._key = key or hmac.new(settings.client_secret.encode(),
                                    b"civicarchive sso pending sign-in v1",
                                    hashlib.sha256).digest()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def close(self) -> None:
        self.http.close()

    # -- the provider ----------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, fetched once and checked."""
        if self._metadata is None:
            url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
            found = self._get_json(url, "discovery", "its discovery document")
            if found.get("issuer") != self.settings.issuer:
                raise self._failed("discovery", f"the discovery document at {url} names the "
                                   f"issuer {found.get('issuer')!r}, not "
                                   f"{self.settings.issuer!r}: set sso.issuer to exactly "
                                   "the provider's issuer")
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                self._check_endpoint(found, name, required=True)
            self._check_endpoint(found, "userinfo_endpoint", required=False)
            self._metadata = found
        return self._metadata

    def keys(self, refresh: bool = False) -> KeySet:
        """The provider's signing keys (JWKS), fetched again when `refresh`."""
        if self._keys is None or refresh:
            data = self._get_json(self.metadata()["jwks_uri"], "discovery", "its signing keys")
            try:
                self._keys = KeySet.import_key_set(data)
            except (JoseError, ValueError, TypeError, KeyError) as error:
                raise self._failed("discovery", f"the provider's signing keys (JWKS) could "
                                   f"not be read ({error}): check the provider") from None
        return self._keys

    # -- the flow ----------------------------------------------------------------------

    def begin(self, redirect_uri: str, return_to: str = "/") -> SignInStart:
        """Where to send the browser to sign in, and the cookie that remembers this
        sign-in (and the page to `return_to` after it) until the provider sends the
        browser back to `redirect_uri`."""
        meta = self.metadata()
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 asks 43 to 128
        url = prepare_grant_uri(meta["authorization_endpoint"], self.settings.client_id,
                                "code", redirect_uri=redirect_uri,
                                scope=" ".join(self.settings.scopes), state=state, nonce=nonce,
                                code_challenge=create_s256_code_challenge(verifier),
                                code_challenge_method="S256")
        pending = {"state": state, "nonce": nonce, "verifier": verifier,
                   "redirect_uri": redirect_uri, "return_to": return_to,
                   "expires": int(self.clock.now().timestamp()) + PENDING_SECONDS}
        return SignInStart(url, self._sign(pending))

    def finish(self, query: Mapping[str, str], cookie: str | None) -> ExternalIdentity:
        """The identity behind the provider's answer on the redirect URI (`query`), for
        the sign-in `cookie` remembers; SingleSignOnFailed when any check fails."""
        pending = self.pending(cookie)
        if not hmac.compare_digest(str(query.get("state", "")), pending["state"]):
            raise self._failed("state", "the answer from the identity provider does not "
                               "belong to the sign-in this browser started (state differs): "
                               "start again from the sign-in page")
        meta = self.metadata()
        if (("iss" in query and query["iss"] != self.settings.issuer) or
                ("iss" not in query and meta.get("authorization_response_iss_parameter_supported"))):
            raise self._failed("state", "the answer does not come from the configured "
                               "identity provider (its iss parameter differs): start again")
        if "error" in query:
            described = query.get("error_description") or "no description"
            raise self._failed("provider", f"the identity provider refused the sign-in "
                               f"({query['error']}: {described}): try again, or ask the "
                               "provider's administrator")
        if not query.get("code"):
            raise self._failed("provider", "the identity provider sent no code: start again")
        tokens = self.exchange(query["code"], pending)
        claims = self.validate_id_token(tokens["id_token"], pending["nonce"],
                                        tokens.get("access_token"))
        if meta.get("userinfo_endpoint") and tokens.get("access_token"):
            claims = {**self.userinfo(tokens["access_token"], claims["sub"]), **claims}
        return identity_from_claims(claims, self.settings)

    def exchange(self, code: str, pending: Mapping[str, str]) -> dict[str, Any]:
        """The tokens for an authorization code (RFC 6749 4.1.3, with the PKCE verifier)."""
        meta = self.metadata()
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": pending["redirect_uri"], "code_verifier": pending["verifier"]}
        methods = meta.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
        auth = None
        if "client_secret_basic" in methods:
            # RFC 6749 2.3.1: both parts form-encoded before Basic
            auth = (quote_plus(self.settings.client_id), quote_plus(self.settings.client_secret))
        else:
            form |= {"client_id": self.settings.client_id,
                     "client_secret": self.settings.client_secret}
        try:
            response = self.http.post(meta["token_endpoint"], data=form, auth=auth)
        except httpx.HTTPError as error:
            raise self._failed("token", f"the identity provider's token endpoint could not "
                               f"be reached ({type(error).__name__}): try again") from None
        body = _json(response)
        if response.status_code != 200 or not isinstance(body, dict) or "error" in body:
            error = body.get("error", response.status_code) if isinstance(body, dict) else \
                response.status_code
            described = body.get("error_description", "") if isinstance(body, dict) else ""
            raise self._failed("token", f"the identity provider refused the sign-in code "
                               f"({error}{': ' + described if described else ''}): a code "
                               "works once and for a minute or so; sign in again")
        if not isinstance(body.get("id_token"), str):
            raise self._failed("token", "the identity provider answered without an ID token: "
                               "check that sso.scopes includes openid")
        return body

    def validate_id_token(self, id_token: str, nonce: str,
                          access_token: str | None = None) -> dict[str, Any]:
        """The claims of an ID token once its signature, issuer, audience, times, nonce
        and access-token hash are checked."""
        algorithms = [a for a in self.metadata().get("id_token_signing_alg_values_supported",
                                                     ["RS256"]) if a in ASYMMETRIC]
        try:
            try:
                token = jwt.decode(id_token, self.keys(), algorithms=algorithms)
            except InvalidKeyIdError:  # a key the provider added since: fetch the set again
                token = jwt.decode(id_token, self.keys(refresh=True), algorithms=algorithms)
            claims = CodeIDToken(token.claims, token.header,
                                 {"iss": {"essential": True, "value": self.settings.issuer},
                                  "aud": {"essential": True, "value": self.settings.client_id},
                                  "sub": {"essential": True}},
                                 {"nonce": nonce, "client_id": self.settings.client_id,
                                  "access_token": access_token})
            claims.validate(now=int(self.clock.now().timestamp()), leeway=LEEWAY_SECONDS)
        except JoseError as error:
            raise self._failed("token", _token_problem(error)) from None
        except ValueError as error:  # not a JWT at all
            raise self._failed("token", f"the ID token could not be read ({error}): sign in "
                               "again") from None
        if not isinstance(claims.get("sub"), str):
            raise self._failed("token", "the ID token has no subject (sub): check the "
                               "provider")
        return dict(claims)

    def userinfo(self, access_token: str, subject: str) -> dict[str, Any]:
        """The userinfo endpoint's claims; its `sub` must be the ID token's."""
        url = self.metadata()["userinfo_endpoint"]
        found = self._get_json(url, "token", "the userinfo endpoint",
                               headers={"Authorization": f"Bearer {access_token}"})
        if found.get("sub") != subject:
            raise self._failed("token", "the userinfo endpoint answered for another subject "
                               "than the ID token: check the provider", subject)
        return found

    # -- the pending sign-in cookie ---------------------------------------------------------

    def _sign(self, pending: dict[str, Any]) -> str:
        body = _pad_less(json.dumps(pending, separators=(",", ":")).encode())
        mac = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return f"{body}.{_pad_less(mac)}"

    def pending(self, cookie: str | None) -> dict[str, Any]:
        """The sign-in `cookie` remembers (state, nonce, verifier, redirect URI, the page
        to return to), once its signature and age are checked."""
        if not cookie:
            raise self._failed("state", "no sign-in is in progress in this browser (its "
                               "sign-in cookie is missing): start again from the sign-in "
                               "page, with cookies allowed for this site")
        body, _, mac = cookie.partition(".")
        expected = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        try:
            valid = hmac.compare_digest(_unpad(mac), expected)
            pending = json.loads(_unpad(body)) if valid else None
        except ValueError:
            valid = False
        if not valid or not isinstance(pending, dict):
            raise self._failed("state", "this browser's sign-in cookie was altered or comes "
                               "from another server: start again from the sign-in page")
        if pending["expires"] <= int(self.clock.now().timestamp()):
            raise self._failed("state", f"the sign-in took longer than {PENDING_SECONDS // 60}"
                               " minutes: start again from the sign-in page")
        return pending

    # -- plumbing ----------------------------------------------------------------------

    def _get_json(self, url: str, reason: str, what: str,
                  headers: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            response = self.http.get(url, headers=headers)
        except httpx.HTTPError as error:
            raise self._failed(reason, f"the identity provider could not be reached for "
                               f"{what} at {url} ({type(error).__name__}): check sso.issuer "
                               "and that the provider is up") from None
        body = _json(response)
        if response.status_code != 200 or not isinstance(body, dict):
            raise self._failed(reason, f"the identity provider answered {response.status_code}"
                               f" for {what} at {url}, not a JSON object: check sso.issuer")
        return body

    def _check_endpoint(self, meta: dict[str, Any], name: str, required: bool) -> None:
        url = meta.get(name)
        if url is None and not required:
            return
        parts = urlsplit(url) if isinstance(url, str) else None
        secure = parts is not None and (parts.scheme == "https" or (
            parts.scheme == "http" and self.settings.loopback
            and parts.hostname in LOOPBACK_HOSTS))
        if not secure:
            raise self._failed("discovery", f"the provider's {name} {url!r} is not an https "
                               "URL: check the provider's configuration")

    def _failed(self, reason: str, message: str,
                subject: str | None = None) -> SingleSignOnFailed:
        return SingleSignOnFailed(reason, message, self.settings.issuer, subject)


def identity_from_claims(claims: Mapping[str, Any], settings: SsoSettings) -> ExternalIdentity:
    """The identity the settings map these (checked) claims to; SingleSignOnFailed when a
    needed claim is missing, or no role maps and the settings give no unmapped_role."""
    subject = claims["sub"]

    def failed(reason: str, message: str) -> SingleSignOnFailed:
        return SingleSignOnFailed(reason, message, settings.issuer, subject)

    def text(name: str) -> str | None:
        value = claims.get(name)
        return value if isinstance(value, str) and value else None

    username = text(settings.username_claim) or text("email") or subject
    values = _claim(claims, settings.role_claim)
    if isinstance(values, str):
        values = [values]
    if values is None:
        values = []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise failed("claims", f"the {settings.role_claim!r} claim is not a list of strings:"
                     " check the provider's claim configuration")
    roles = frozenset(StaffRole(settings.role_map[v]) for v in values if v in settings.role_map)
    if not roles and settings.unmapped_role is not None:
        roles = frozenset({StaffRole(settings.unmapped_role)})
    if not roles:
        shown = ", ".join(map(repr, values[:10])) or "no values"
        raise failed("unmapped", f"{username} signed in, but none of their "
                     f"{settings.role_claim!r} claim's values ({shown}) maps to a "
                     "civicarchive role: ask the archive's administrator to map one in "
                     "the sso role_map setting, or the provider's to assign you a role")
    agency = settings.agency
    if settings.agency_claim is not None:
        claimed = _claim(claims, settings.agency_claim)
        if claimed is not None:
            if not isinstance(claimed, str) or not SLUG.match(claimed):
                raise failed("claims", f"the {settings.agency_claim!r} claim ({claimed!r}) "
                             "is not an agency slug: check the provider's claim configuration")
            agency = claimed
        elif agency is None:
            raise failed("claims", f"{username} has no {settings.agency_claim!r} claim, so "
                         "their agency is unknown: ask the provider's administrator to "
                         "release it, or set sso.agency")
    return ExternalIdentity(settings.issuer, subject, username, text("name") or username,
                            agency, roles, text("email"))


def _claim(claims: Mapping[str, Any], name: str) -> Any:
    """A claim by name, or by a dotted path into nested claims (`realm_access.roles`)
    when no claim has that exact name (names may be URLs, dots and all)."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _token_problem(error: JoseError) -> str:
    if isinstance(error, ExpiredTokenError):
        return ("the ID token has expired: sign in again; if this keeps happening, check "
                "that this server's clock is right")
    if isinstance(error, BadSignatureError):
        return ("the ID token's signature does not verify against the provider's keys: "
                "sign in again; the token was altered or not issued by the provider")
    if isinstance(error, (InvalidClaimError, MissingClaimError)):
        claim = getattr(error, "claim", None) or str(error)
        why = {"aud": "it was issued to another application (aud)",
               "azp": "it was issued to another application (azp)",
               "iss": "it was issued by another provider (iss)",
               "nonce": "it does not belong to this sign-in (nonce)",
               "at_hash": "it does not match its access token (at_hash)",
               "iat": "it was issued in the future (iat): check this server's clock",
               "nbf": "it is not valid yet (nbf): check this server's clock"}.get(claim)
        return (f"the ID token was refused: {why or error}; sign in again")
    return f"the ID token was refused ({error}): sign in again"


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _pad_less(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unpad(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
