"""Who may use the archive through the web, and what each role may do. No I/O here.

A staff user belongs to one agency and holds roles there; what a role may do is a set of
`Permission`s (`GRANTS`). The anonymous public holds no role and sees only the open
archive. An official sees only the accounts linked to them in the people registry.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class StaffRole(enum.StrEnum):
    ADMIN = "admin"                      # users, capture, settings; everything below
    RECORDS_OFFICER = "records_officer"  # records, requests, holds, retention
    MODERATOR = "moderator"              # the moderation queue and its actions
    ATTORNEY = "attorney"                # requests, redaction, holds; reads everything
    AUDITOR = "auditor"                  # reads records, the audit log and proofs; no writes
    OFFICIAL = "official"                # reads the records of their own accounts


class Permission(enum.StrEnum):
    READ_RECORDS = "read_records"        # public posts and comments
    READ_MESSAGES = "read_messages"      # direct messages: the most private records
    MANAGE_REGISTRY = "manage_registry"  # accounts, people, tags
    MODERATE = "moderate"
    MANAGE_REQUESTS = "manage_requests"  # requests, collections, redaction, productions
    MANAGE_HOLDS = "manage_holds"
    MANAGE_RETENTION = "manage_retention"  # disposition review, approval, execution
    READ_AUDIT = "read_audit"
    VERIFY = "verify"                    # verification, proofs, evidence exports
    MANAGE_CAPTURE = "manage_capture"    # capture settings and runs
    MANAGE_POLICY = "manage_policy"      # adopt a policy
    MANAGE_USERS = "manage_users"
    OPERATE = "operate"                  # the deployment: agencies, index, timestamps


_P = Permission
GRANTS: dict[StaffRole, frozenset[Permission]] = {
    StaffRole.ADMIN: frozenset(Permission),
    StaffRole.RECORDS_OFFICER: frozenset({
        _P.READ_RECORDS, _P.READ_MESSAGES, _P.MANAGE_REGISTRY, _P.MANAGE_REQUESTS,
        _P.MANAGE_HOLDS, _P.MANAGE_RETENTION, _P.READ_AUDIT, _P.VERIFY, _P.MANAGE_POLICY}),
    StaffRole.MODERATOR: frozenset({_P.READ_RECORDS, _P.MODERATE}),
    StaffRole.ATTORNEY: frozenset({
        _P.READ_RECORDS, _P.READ_MESSAGES, _P.MANAGE_REQUESTS, _P.MANAGE_HOLDS,
        _P.READ_AUDIT, _P.VERIFY}),
    StaffRole.AUDITOR: frozenset({_P.READ_RECORDS, _P.READ_AUDIT, _P.VERIFY}),
    StaffRole.OFFICIAL: frozenset({_P.READ_RECORDS, _P.READ_MESSAGES}),
}


class SignIn(enum.StrEnum):
    PASSWORD = "password"
    SSO = "sso"
    TOKEN = "token"


@dataclass(frozen=True)
class StaffUser:
    """A user as it stands now: the latest of its recorded versions."""

    id: int
    agency_id: int
    username: str
    display_name: str
    roles: frozenset[StaffRole]
    person_id: int | None      # an official's entry in the people registry
    disabled: bool
    has_password: bool
    sso_subject: str | None    # "issuer subject" when linked to an identity provider
    created_at: str

    def as_dict(self) -> dict:
        return {"id": self.id, "agency_id": self.agency_id, "username": self.username,
                "display_name": self.display_name, "roles": sorted(self.roles),
                "person_id": self.person_id, "disabled": self.disabled,
                "has_password": self.has_password, "sso": self.sso_subject is not None,
                "created_at": self.created_at}


@dataclass(frozen=True)
class Session:
    id: int
    user_id: int
    via: SignIn
    started_at: str
    expires_at: str            # the absolute timeout
    ended_at: str | None = None


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None = None

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "created_at": self.created_at,
                "expires_at": self.expires_at, "revoked_at": self.revoked_at}


@dataclass(frozen=True)
class ExternalIdentity:
    """Who an identity provider says signed in, with roles already mapped from claims."""

    issuer: str
    subject: str
    username: str
    display_name: str
    agency: str | None         # the agency's slug or name; None: the deployment's only one
    roles: frozenset[StaffRole]
    email: str | None = None


@dataclass(frozen=True)
class Principal:
    """Who is asking, as every access decision sees it.

    `accounts` limits what records they see: None is every account of their agency; an
    official's is the accounts linked to them. The anonymous public has no agency."""

    user: StaffUser | None
    agency_id: int | None
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    accounts: frozenset[int] | None = None
    session_id: int | None = None

    @classmethod
    def of(cls, user: StaffUser, accounts: frozenset[int] | None,
           session_id: int | None = None) -> Principal:
        granted = frozenset().union(*(GRANTS[r] for r in user.roles)) if user.roles else \
            frozenset()
        if StaffRole.OFFICIAL in user.roles and len(user.roles) == 1:
            accounts = accounts or frozenset()
        else:
            accounts = None
        return cls(user, user.agency_id, granted, accounts, session_id)

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(None, None)

    @property
    def name(self) -> str:
        """How the audit log names them."""
        return f"user:{self.user.username}" if self.user else "anonymous"

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions
