"""Where the archive lives and who witnesses it: resolved once from flags, then
environment, then defaults; and the settings file (`civicarchive.yaml`), read once and
validated, for what does not fit in a variable (single sign-on)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from civicarchive.errors import InvalidInput
from civicarchive.model.staff import StaffRole

DEFAULT_HOME = "civicarchive-data"
DEFAULT_TSA_TIMEOUT = 5.0


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str | None  # None: SQLite at home/archive.db
    # Capture may fetch from loopback (tests, a local development server); never private
    # or metadata addresses. Off unless CIVICARCHIVE_CAPTURE_ALLOW_LOOPBACK=1.
    capture_allow_loopback: bool = False
    # An RFC 3161 time-stamping authority that timestamps checkpoints (docs/continuity.md)
    tsa_url: str | None = None
    tsa_ca_file: Path | None = None  # its CA certificate (PEM), to check each token with
    tsa_timeout: float = DEFAULT_TSA_TIMEOUT  # seconds per request
    # Single sign-on through an OpenID Connect provider (docs/sso.md); None: local users only
    sso: SsoSettings | None = None
    # Sentence embeddings for moderation and compliance when the `embeddings` extra is
    # installed; CIVICARCHIVE_EMBEDDINGS=off runs the lexical fallback (read once, at open)
    embeddings: bool = True

    @classmethod
    def resolve(cls, home: str | os.PathLike | None = None,
                database_url: str | None = None,
                config: str | os.PathLike | None = None) -> Settings:
        """Flags, then environment, then defaults; and the settings file named by `config`,
        else CIVICARCHIVE_CONFIG, else `civicarchive.yaml` in the home folder if there."""
        home = home or os.environ.get("CIVICARCHIVE_HOME") or DEFAULT_HOME
        database_url = database_url or os.environ.get("CIVICARCHIVE_DATABASE_URL") or None
        ca_file = os.environ.get("CIVICARCHIVE_TSA_CA_FILE")
        timeout = os.environ.get("CIVICARCHIVE_TSA_TIMEOUT") or DEFAULT_TSA_TIMEOUT
        try:
            timeout = float(timeout)
        except ValueError:
            raise InvalidInput(f"CIVICARCHIVE_TSA_TIMEOUT must be a number of seconds, not "
                             f"{timeout!r}") from None
        loopback = os.environ.get("CIVICARCHIVE_CAPTURE_ALLOW_LOOPBACK", "") == "1"
        home = Path(home).expanduser().resolve()
        sections = read_settings_file(config or os.environ.get("CIVICARCHIVE_CONFIG")
                                      or home / SETTINGS_FILE, named=bool(
                                          config or os.environ.get("CIVICARCHIVE_CONFIG")))
        return cls(home, database_url, loopback,
                   os.environ.get("CIVICARCHIVE_TSA_URL") or None,
                   Path(ca_file).expanduser().resolve() if ca_file else None, timeout,
                   sso=sections.get("sso"), embeddings=embeddings_wanted())

    @property
    def sqlite_path(self) -> Path:
        return self.home / "archive.db"

    @property
    def blobs_dir(self) -> Path:
        return self.home / "blobs"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"


def embeddings_wanted() -> bool:
    """False when CIVICARCHIVE_EMBEDDINGS says off (0, false, no)."""
    return os.environ.get("CIVICARCHIVE_EMBEDDINGS", "").lower() not in ("off", "0", "false",
                                                                      "no")


# -- the settings file ------------------------------------------------------------------

SETTINGS_FILE = "civicarchive.yaml"
STAFF_ROLES = tuple(role.value for role in StaffRole)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def read_settings_file(path: str | os.PathLike, named: bool = True) -> dict[str, Any]:
    """The validated sections of a settings file, by name (`sso` -> SsoSettings). A file
    that was `named` must exist; the default one may be absent (no sections)."""
    path = Path(path).expanduser()
    if not path.is_file():
        if named:
            raise InvalidInput(f"no settings file at {path}: create it (docs/sso.md shows "
                               "one) or name another", parameter="config")
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise InvalidInput(f"{path} is not valid YAML ({error}); fix it and start again",
                           parameter="config") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} must be a mapping of sections (sso: ...)",
                           parameter="config")
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise InvalidInput(f"{path}: unknown section{'s' if len(unknown) > 1 else ''} "
                           f"{', '.join(map(repr, unknown))}; the known ones are "
                           f"{', '.join(SECTIONS)}", parameter="config")
    return {name: SECTIONS[name](value, f"{path}: {name}") for name, value in data.items()
            if value is not None}


Text = Annotated[str, Field(min_length=1)]


class _SsoIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: Text
    client_id: Text
    client_secret_env: Text | None = None
    client_secret_file: Text | None = None
    scopes: list[Text] = ["openid", "profile", "email"]
    redirect_uri: Text | None = None
    username_claim: Text = "preferred_username"
    role_claim: Text = "roles"
    role_map: dict[Text, str] = {}
    agency_claim: Text | None = None
    agency: Text | None = None
    unmapped_role: str | None = None
    timeout: float = Field(10.0, gt=0, le=120)

    @model_validator(mode="after")
    def _consistent(self) -> _SsoIn:
        issuer = urlsplit(self.issuer)
        loopback = issuer.hostname in LOOPBACK_HOSTS
        if issuer.scheme != "https" and not (issuer.scheme == "http" and loopback):
            raise ValueError(f"issuer {self.issuer!r} must be an https URL (plain http only "
                             "for a provider on 127.0.0.1 or localhost)")
        if issuer.query or issuer.fragment:
            raise ValueError("issuer must not have a query or fragment: give it exactly as "
                             "the provider's discovery document does")
        if (self.client_secret_env is None) == (self.client_secret_file is None):
            raise ValueError("give the client secret by exactly one of client_secret_env "
                             "(an environment variable's name) or client_secret_file (a "
                             "file's path); never the secret itself")
        if "openid" not in self.scopes:
            raise ValueError("scopes must include openid")
        for value, role in self.role_map.items():
            if role not in STAFF_ROLES:
                raise ValueError(f"role_map maps {value!r} to {role!r}, which is not a role: "
                                 f"use one of {', '.join(STAFF_ROLES)}")
        if self.unmapped_role is not None and self.unmapped_role not in STAFF_ROLES:
            raise ValueError(f"unmapped_role {self.unmapped_role!r} is not a role: use one "
                             f"of {', '.join(STAFF_ROLES)}, or leave it out to refuse users "
                             "whose claims map to no role")
        if self.agency is not None and not SLUG.match(self.agency):
            raise ValueError(f"agency {self.agency!r} must be an agency slug (lowercase "
                             "letters, digits, - and _)")
        if not self.role_map and self.unmapped_role is None:
            raise ValueError("role_map is empty, so every user would be refused: map the "
                             "provider's role values to civicarchive roles")
        return self


@dataclass(frozen=True)
class SsoSettings:
    """Single sign-on through one OpenID Connect provider (docs/sso.md)."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    redirect_uri: str | None = None  # None: the app's own /login/sso/callback
    username_claim: str = "preferred_username"
    role_claim: str = "roles"  # a claim name, or a dotted path into nested claims
    role_map: dict[str, str] = field(default_factory=dict)  # claim value -> role
    agency_claim: str | None = None
    agency: str | None = None  # fixed, or the fallback when agency_claim is absent
    # The role of a user whose claims map to none; None (the default): such users are refused
    unmapped_role: str | None = None
    timeout: float = 10.0  # seconds per request to the provider

    @classmethod
    def parse(cls, data: object, source: str = "sso") -> SsoSettings:
        """Validated settings from the file's `sso` mapping; the client secret is read
        from its environment variable or file now, so a missing one stops start-up."""
        try:
            given = _SsoIn.model_validate(data)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'sso'}: "
                                 f"{e['msg'].removeprefix('Value error, ')}"
                                 for e in error.errors())
            raise InvalidInput(f"{source}: {problems}", parameter="config") from None
        secret = _secret(given, source)
        return cls(given.issuer, given.client_id, secret,
                   tuple(given.scopes), given.redirect_uri, given.username_claim,
                   given.role_claim, dict(given.role_map), given.agency_claim, given.agency,
                   given.unmapped_role, given.timeout)

    @property
    def loopback(self) -> bool:
        """The provider runs on this machine: plain http is allowed for it."""
        return urlsplit(self.issuer).hostname in LOOPBACK_HOSTS


def _secret(given: _SsoIn, source: str) -> str:
    if given.client_secret_env is not None:
        secret = os.environ.get(given.client_secret_env, "")
        if not secret:
            raise InvalidInput(f"{source}: the environment variable "
                               f"{given.client_secret_env} (client_secret_env) is not set: "
                               "set it to the client secret the provider issued",
                               parameter="config")
        return secret
    path = Path(given.client_secret_file).expanduser()
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise InvalidInput(f"{source}: cannot read the client secret file {path} "
                           f"({error.strerror}): create it, readable by this user only",
                           parameter="config") from None
    if not secret:
        raise InvalidInput(f"{source}: the client secret file {path} is empty",
                           parameter="config")
    return secret


SECTIONS = {"sso": SsoSettings.parse}
