"""Staff users of the web application: local users with argon2id passwords, users signed
in through the agency's identity provider, their sessions and their API tokens.

Secrets are never stored: a session's or a token's secret is kept as its sha256, a
password as its argon2id hash. Every change, sign-in, failed sign-in and denied access is
an audit event in the ledger.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from civicarchive.app.context import ArchiveContext
from civicarchive.app.registry import Registry
from civicarchive.clock import format_time, parse_time
from civicarchive.errors import InvalidInput, NotFound, SignInRefused
from civicarchive.model.staff import (ApiToken, ExternalIdentity, Principal, Session, SignIn,
                                      StaffRole, StaffUser)
from civicarchive.store import staff as sql

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
MIN_PASSWORD = 12
TOKEN_PREFIX = "ca_"
# A session ends after this long whatever is done (absolute timeout); the web ends it
# sooner when idle (web/sessions.py).
SESSION_LIFETIME = timedelta(hours=12)

_hasher = PasswordHasher()  # argon2id, the library's RFC 9106 low-memory profile
# Compared against when the username is unknown, so that a miss takes as long as a hit.
_DUMMY = _hasher.hash(secrets.token_hex(16))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _roles(values) -> frozenset[StaffRole]:  # noqa: ANN001
    try:
        roles = frozenset(StaffRole(str(v)) for v in values)
    except ValueError:
        raise InvalidInput(f"roles must be among {', '.join(r.value for r in StaffRole)}",
                           parameter="roles") from None
    return roles


def _password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters (a "
                           "passphrase of a few words is easiest)", parameter="password")
    return _hasher.hash(password)


class Users:
    """Add and change staff users; sign them in; keep their sessions and API tokens."""

    def __init__(self, context: ArchiveContext, registry: Registry, people) -> None:  # noqa: ANN001
        self.context = context
        self.registry = registry
        self.people = people  # the people registry: which accounts are an official's

    # Users ------------------------------------------------------------------------

    def add(self, username: str, agency: str | None, roles, actor: str,  # noqa: ANN001
            display_name: str | None = None, password: str | None = None,
            person: int | None = None) -> StaffUser:
        """A new user of `agency` (its slug or name; None: the deployment's only agency)."""
        if not USERNAME.match(username or ""):
            raise InvalidInput("a username is 1 to 100 letters, digits and . _ @ -, "
                               "starting with a letter or digit", parameter="username")
        agency_id = self.registry.agency(agency).id
        fields = {"display_name": (display_name or username).strip(),
                  "roles": _roles(roles),
                  "password_hash": _password(password) if password is not None else None,
                  "person_id": self._person(person, agency_id)}
        with self.context.read() as conn:
            if sql.user_by(conn, username=username):
                raise InvalidInput(f"a user named {username!r} exists: choose another name",
                                   parameter="username")
        with self.context.write() as tx:
            user_id = sql.add_user(tx, agency_id, username, actor)
            sql.add_user_version(tx, user_id, fields, actor, "user.version")
        return self.user(user_id)

    def change(self, user_id: int, actor: str, *, roles=None,  # noqa: ANN001
               display_name: str | None = None, password: str | None = None,
               disabled: bool | None = None, person: int | None = None) -> StaffUser:
        """A new version of the user with what is given changed. Disabling ends every
        session of theirs and refuses their tokens."""
        user = self.user(user_id)
        with self.context.read() as conn:
            fields = sql.version_fields(conn, user_id)
        if roles is not None:
            fields["roles"] = _roles(roles)
        if display_name is not None:
            fields["display_name"] = display_name.strip() or user.username
        if password is not None:
            fields["password_hash"] = _password(password)
        if disabled is not None:
            fields["disabled"] = disabled
        if person is not None:
            fields["person_id"] = self._person(person, user.agency_id)
        with self.context.write() as tx:
            sql.add_user_version(tx, user_id, fields, actor)
        return self.user(user_id)

    def users(self, agency_id: int | None = None) -> list[StaffUser]:
        """Every user, or those of one agency, in the order they were added."""
        with self.context.read() as conn:
            found = sql.users(conn)
        return [u for u in found if agency_id is None or u.agency_id == agency_id]

    def user(self, user_id: int) -> StaffUser:
        """A user by id; NotFound when there is none."""
        with self.context.read() as conn:
            found = sql.user_by(conn, user_id=user_id)
        if found is None:
            raise NotFound("user", user_id)
        return found[0]

    def by_name(self, username: str) -> StaffUser:
        """A user by username (any case); NotFound when there is none."""
        with self.context.read() as conn:
            found = sql.user_by(conn, username=username)
        if found is None:
            raise NotFound("user", username)
        return found[0]

    def _person(self, person: int | None, agency_id: int) -> int | None:
        if person is None:
            return None
        found = self.people.person(person)
        if found.agency_id != agency_id:
            raise NotFound("person", person)
        return found.id

    # Signing in ----------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> StaffUser:
        """The user whose password this is; SignInRefused otherwise, the same for an
        unknown user, a wrong password and a disabled user."""
        with self.context.read() as conn:
            found = sql.user_by(conn, username=username) if USERNAME.match(username or "") \
                else None
        user, stored = found if found else (None, None)
        try:
            _hasher.verify(stored or _DUMMY, password)
        except (VerificationError, InvalidHashError):
            raise SignInRefused() from None
        if user is None or stored is None or user.disabled:
            raise SignInRefused()
        if _hasher.check_needs_rehash(stored):
            self.change(user.id, "system", password=password)
        return user

    def sign_in_external(self, identity: ExternalIdentity) -> StaffUser:
        """The user the identity provider vouches for: found by issuer and subject, or
        added to the agency it names. Its roles follow the provider's claims at every
        sign-in; its agency does not: a sign-in naming another agency is refused."""
        if not identity.roles:
            raise SignInRefused("your identity provider gives you no civicarchive role: ask "
                                "your administrator to grant one")
        actor = f"sso:{identity.username}"
        with self.context.read() as conn:
            found = sql.user_by(conn, sso=(identity.issuer, identity.subject))
        agency_id = self._sso_agency(identity) if found is None or identity.agency else None
        if found is not None and agency_id is not None and found[0].agency_id != agency_id:
            raise SignInRefused("your identity provider now places you in another agency "
                                f"({identity.agency}) than your user's: an administrator "
                                "must move or replace the user")
        if found is None:
            with self.context.read() as conn:
                if sql.user_by(conn, username=identity.username):
                    raise SignInRefused(f"a local user named {identity.username!r} exists: "
                                        "an administrator must link or rename it")
            with self.context.write() as tx:
                user_id = sql.add_user(tx, agency_id, identity.username, actor)
                sql.add_user_version(tx, user_id, {
                    "display_name": identity.display_name or identity.username,
                    "roles": identity.roles, "sso_issuer": identity.issuer,
                    "sso_subject": identity.subject}, actor, "user.version")
            return self.user(user_id)
        user = found[0]
        if user.disabled:
            raise SignInRefused()
        if user.roles != identity.roles or user.display_name != identity.display_name:
            return self.change(user.id, actor, roles=identity.roles,
                               display_name=identity.display_name)
        return user

    def _sso_agency(self, identity: ExternalIdentity) -> int:
        try:
            return self.registry.agency(identity.agency).id
        except (NotFound, InvalidInput):
            raise SignInRefused(
                f"your identity provider places you in the agency {identity.agency!r}, "
                "which this archive does not hold: ask your administrator to check the "
                "agency claim or the sso agency setting" if identity.agency else
                "this archive holds several agencies and your identity provider names "
                "none: ask your administrator to set the sso agency or agency claim") \
                from None

    def record_refusal(self, username: str, address: str | None, reason: str) -> None:
        """A failed sign-in, in the audit log (never the password given)."""
        with self.context.write() as tx:
            tx.audit("anonymous", "auth.login_failed", f"username {username[:100]!r}",
                     {"address": address, "reason": reason})

    def record_denied(self, principal: Principal, what: str, address: str | None) -> None:
        """A signed-in user refused something their roles do not allow."""
        with self.context.write() as tx:
            tx.audit(principal.name, "auth.denied", what, {"address": address})

    # Sessions -------------------------------------------------------------------------

    def start_session(self, user: StaffUser, via: SignIn) -> tuple[str, Session]:
        """A new session (a new secret at every sign-in) and its secret for the cookie."""
        secret = secrets.token_urlsafe(32)
        expires = format_time(self.context.clock.now() + SESSION_LIFETIME)
        with self.context.write() as tx:
            sql.add_session(tx, user.id, digest(secret), via, expires,
                            f"user:{user.username}")
        return secret, self._session(secret)

    def _session(self, secret: str) -> Session | None:
        with self.context.read() as conn:
            return sql.session_by_token(conn, digest(secret))

    def session(self, secret: str) -> tuple[Session, StaffUser] | None:
        """The live session with this secret and its user; None when there is none, it
        ended, it passed its absolute timeout or its user is disabled."""
        found = self._session(secret)
        if found is None or found.ended_at is not None or \
                parse_time(found.expires_at) <= self.context.clock.now():
            return None
        user = self.user(found.user_id)
        return None if user.disabled else (found, user)

    def end_session(self, session: Session, reason: str, actor: str) -> None:
        """End a session (signing out, idle, signing in again)."""
        if session.ended_at is None:
            with self.context.write() as tx:
                sql.end_session(tx, session.id, session.user_id, reason, actor)

    # API tokens -----------------------------------------------------------------------

    def create_token(self, user_id: int, name: str, actor: str,
                     expires: datetime | None = None) -> tuple[str, ApiToken]:
        """A new API token: its secret is shown once, here, and never stored."""
        user = self.user(user_id)
        if not name.strip():
            raise InvalidInput("name the token after the script that uses it",
                               parameter="name")
        if expires is not None and expires <= self.context.clock.now():
            raise InvalidInput(f"the token would have expired already ({format_time(expires)}):"
                               " give a time in the future, or none", parameter="expires_at")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.context.write() as tx:
            token_id = sql.add_token(tx, user.id, digest(secret), name.strip(),
                                     format_time(expires) if expires else None, actor)
        return secret, next(t for t in self.tokens(user.id) if t.id == token_id)

    def tokens(self, user_id: int) -> list[ApiToken]:
        """A user's API tokens, revoked ones too; never their secrets."""
        with self.context.read() as conn:
            return sql.tokens_of(conn, user_id)

    def revoke_token(self, user_id: int, token_id: int, actor: str) -> None:
        """Revoke one of a user's API tokens."""
        token = next((t for t in self.tokens(user_id) if t.id == token_id), None)
        if token is None:
            raise NotFound("API token", token_id)
        if token.revoked_at is None:
            with self.context.write() as tx:
                sql.revoke_token(tx, token_id, user_id, actor)

    def token_user(self, secret: str) -> StaffUser | None:
        """The user of a live API token; None for an unknown, revoked or expired one."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        with self.context.read() as conn:
            token = sql.token_by_hash(conn, digest(secret))
        if token is None or token.revoked_at is not None or (
                token.expires_at and parse_time(token.expires_at) <= self.context.clock.now()):
            return None
        user = self.user(token.user_id)
        return None if user.disabled else user

    # Who is asking --------------------------------------------------------------------

    def principal(self, user: StaffUser, session_id: int | None = None) -> Principal:
        """What `user` may do and see: an official only the accounts linked to them."""
        accounts = None
        if user.roles == {StaffRole.OFFICIAL}:
            links = self.people.account_people() if user.person_id else {}
            accounts = frozenset(a for a, p in links.items() if p == user.person_id)
        return Principal.of(user, accounts, session_id)
