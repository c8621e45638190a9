"""Capture and users as an agency's administrator manages them through the web: each
account's capture health, runs, gaps, credentials' expiry (never the token) and settings,
a pass run now; the agency's staff users, their roles and their API tokens.

Scoped like app/access.py: an account or user of another agency is the same NotFound as
a missing id. The services underneath (capturing, credentials, users) keep the log.
"""

from __future__ import annotations

from datetime import datetime

from civicarchive.app.access import Access
from civicarchive.app.capture_status import AccountStatus, account_statuses
from civicarchive.app.capturing import Capturing, RunReport
from civicarchive.app.credentials import CredentialInfo, Credentials
from civicarchive.app.registry import Registry
from civicarchive.app.users import Users
from civicarchive.capture import CAPTURERS, CaptureSettings
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.account import Account
from civicarchive.model.staff import ApiToken, Permission, Principal, StaffRole, StaffUser

SETTINGS = ("url", "interval", "jitter", "full_every", "media_max_bytes", "enabled")


class Administration:
    """Capture health and settings, and staff users, scoped to a principal's agency."""

    def __init__(self, access: Access, registry: Registry, capturing: Capturing,
                 credentials: Credentials, users: Users) -> None:
        self.access = access
        self.registry = registry
        self.capturing = capturing
        self.credentials = credentials
        self.users_ = users

    @classmethod
    def of(cls, archive) -> Administration:  # noqa: ANN001 - an Archive
        """Over an archive's services."""
        return cls(archive.access, archive.registry, archive.capturing, archive.credentials,
                   archive.users)

    # -- capture -------------------------------------------------------------------------

    def accounts(self, principal: Principal) -> list[Account]:
        """The agency's accounts, for capture."""
        self.access.require(principal, Permission.MANAGE_CAPTURE, "capture")
        return self.access.accounts(principal)

    def account(self, principal: Principal, account_id: int) -> Account:
        """One of the agency's accounts, for capture; NotFound as for a missing id."""
        self.access.require(principal, Permission.MANAGE_CAPTURE, "capture")
        return self.access.account(principal, account_id)

    def status(self, principal: Principal) -> list[AccountStatus]:
        """Capture health of each of the agency's accounts on a platform with live
        capture, configured or not (not yet: no runs, the default settings)."""
        accounts = [a for a in self.accounts(principal) if a.platform in CAPTURERS]
        return account_statuses(self.capturing.context, accounts,
                                self.capturing.all_settings(), self.credentials.all(),
                                self.capturing.context.clock.now())

    def settings(self, principal: Principal, account_id: int) -> CaptureSettings:
        """The account's capture settings (the defaults until configured)."""
        return self.capturing.settings(self.account(principal, account_id).id)

    def configure(self, principal: Principal, account_id: int, **changes: object
                  ) -> CaptureSettings:
        """Change some of the account's capture settings (those of SETTINGS)."""
        unknown = set(changes) - set(SETTINGS)
        if unknown:
            raise InvalidInput(f"unknown capture setting(s) {', '.join(sorted(unknown))}: "
                               f"use {', '.join(SETTINGS)}", parameter=sorted(unknown)[0])
        account = self.account(principal, account_id)
        return self.capturing.configure(account.id, principal.name, **changes)

    def runs(self, principal: Principal, account_id: int | None = None,
             limit: int = 1000) -> list[dict]:
        """Runs of the account (or of every account of the agency), newest first."""
        ids = [self.account(principal, account_id).id] if account_id is not None else \
            [a.id for a in self.accounts(principal)]
        found = [run for i in ids for run in self.capturing.runs(i, limit)]
        return sorted(found, key=lambda r: r["id"], reverse=True)

    def gaps(self, principal: Principal, account_id: int | None = None,
             open_only: bool = False) -> list[dict]:
        """Gaps (open and closed, with their causes), newest first."""
        ids = {self.account(principal, account_id).id} if account_id is not None else \
            {a.id for a in self.accounts(principal)}
        return [g for g in reversed(self.capturing.gaps()) if g["account_id"] in ids
                and (not open_only or g["gap_to"] is None)]

    def credential(self, principal: Principal, account_id: int) -> CredentialInfo | None:
        """When the account's credentials were set and expire: never the token."""
        return self.credentials.info(self.account(principal, account_id).id)

    def store_credentials(self, principal: Principal, account_id: int, token: str,
                          expires: datetime | None) -> CredentialInfo:
        """Keep the account's platform token, encrypted; it is never shown again."""
        account = self.account(principal, account_id)
        return self.credentials.store_token(account.id, token, expires, principal.name)

    def run(self, principal: Principal, account_id: int) -> RunReport:
        """One capture pass for the account, now (slow: the web runs it in the background)."""
        account = self.account(principal, account_id)
        return self.capturing.run(account.id, principal.name)[0]

    # -- users ---------------------------------------------------------------------------

    def users(self, principal: Principal) -> list[StaffUser]:
        """The users of the principal's agency."""
        self.access.require(principal, Permission.MANAGE_USERS, "users")
        return self.users_.users(self.access.agency_id(principal))

    def user(self, principal: Principal, user_id: int) -> StaffUser:
        """A user of the principal's agency; NotFound otherwise, as for a missing id."""
        self.access.require(principal, Permission.MANAGE_USERS, "users")
        found = self.users_.user(user_id)
        if found.agency_id != self.access.agency_id(principal):
            raise NotFound("user", user_id)
        return found

    def add_user(self, principal: Principal, username: str, roles: list[str],
                 display_name: str | None, password: str | None,
                 person: int | None = None) -> StaffUser:
        """A new local user of the principal's agency."""
        self.access.require(principal, Permission.MANAGE_USERS, "users")
        agency_id = self.access.agency_id(principal)
        slug = next(a.slug for a in self.registry.agencies() if a.id == agency_id)
        return self.users_.add(username, slug, roles, principal.name,
                               display_name=display_name or None, password=password or None,
                               person=person)

    def change_user(self, principal: Principal, user_id: int, *, roles: list[str] | None = None,
                    display_name: str | None = None, disabled: bool | None = None,
                    password: str | None = None) -> StaffUser:
        """Change a user of the agency; an administrator cannot lock themselves out."""
        user = self.user(principal, user_id)
        if principal.user is not None and user.id == principal.user.id:
            if disabled:
                raise InvalidInput("you cannot disable yourself: another administrator can",
                                   parameter="disabled")
            if roles is not None and StaffRole.ADMIN.value not in roles:
                raise InvalidInput("you cannot take the admin role from yourself: another "
                                   "administrator can", parameter="roles")
        return self.users_.change(user.id, principal.name, roles=roles,
                                  display_name=display_name, disabled=disabled,
                                  password=password or None)

    def tokens(self, principal: Principal, user_id: int) -> list[ApiToken]:
        """A user's API tokens, revoked ones too; never their secrets."""
        return self.users_.tokens(self.user(principal, user_id).id)

    def make_token(self, principal: Principal, user_id: int, name: str,
                   expires: datetime | None = None) -> tuple[str, ApiToken]:
        """A new API token for a user of the agency: its secret is shown once."""
        user = self.user(principal, user_id)
        return self.users_.create_token(user.id, name, principal.name, expires)

    def revoke_token(self, principal: Principal, user_id: int, token_id: int) -> ApiToken:
        """Revoke one of a user's tokens; the token as it now stands."""
        user = self.user(principal, user_id)
        self.users_.revoke_token(user.id, token_id, principal.name)
        return next(t for t in self.users_.tokens(user.id) if t.id == token_id)
