"""The SQL of staff users, their sessions and API tokens.

Every table here is append-only. A user's changes are new versions (the latest is in
force); a session's or a token's end is a row of its own. Each row is written with an
audit event that carries its fields (a secret only ever as its sha256), except the
password hash: the audit log is shown to auditors, and a hash of a password is not theirs
to see, so the event carries the hash's own sha256 (verification re-derives the row).
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicarchive.model.staff import ApiToken, Session, SignIn, StaffRole, StaffUser
from civicarchive.store import schema as t



def _insert(tx, table: sa.Table, row: dict, actor: str, action: str,  # noqa: ANN001
            subject: str, with_id: bool = True) -> int:
    if with_id:
        row = {"id": tx.next_id(table.name), **row}
    tx.conn.execute(table.insert(), [row])
    shown = dict(row)
    if row.get("password_hash") is not None:
        del shown["password_hash"]
        shown["password_hash_sha256"] = hashlib.sha256(row["password_hash"].encode()
                                                       ).hexdigest()
    tx.audit(actor, action, subject, {"table": table.name, **shown})
    return row.get("id") or row.get("session_id") or row.get("token_id")


def add_user(tx, agency_id: int, username: str, actor: str) -> int:  # noqa: ANN001
    row = {"id": tx.next_id("staff_users"), "agency_id": agency_id, "username": username,
           "created_at": tx.now, "created_by": actor}
    return _insert(tx, t.staff_users, row, actor, "user.add", f"user {row['id']}",
                   with_id=False)


def add_user_version(tx, user_id: int, fields: dict, actor: str,  # noqa: ANN001
                     action: str = "user.change") -> int:
    row = {"user_id": user_id, "display_name": fields["display_name"],
           "roles": ",".join(sorted(fields["roles"])),
           "password_hash": fields.get("password_hash"), "person_id": fields.get("person_id"),
           "disabled": bool(fields.get("disabled")), "sso_issuer": fields.get("sso_issuer"),
           "sso_subject": fields.get("sso_subject"), "recorded_at": tx.now,
           "recorded_by": actor}
    return _insert(tx, t.staff_user_versions, row, actor, action, f"user {user_id}")


def _latest_versions(where: sa.ColumnElement | None = None) -> sa.Select:
    v = t.staff_user_versions.c
    latest = sa.select(sa.func.max(v.id)).group_by(v.user_id).scalar_subquery()
    u = t.staff_users.c
    query = (sa.select(u.id, u.agency_id, u.username, u.created_at, v.display_name, v.roles,
                       v.password_hash, v.person_id, v.disabled, v.sso_issuer, v.sso_subject)
             .join(t.staff_user_versions, v.user_id == u.id).where(v.id.in_(latest)))
    return query if where is None else query.where(where)


def _user(row) -> tuple[StaffUser, str | None]:  # noqa: ANN001
    subject = f"{row.sso_issuer} {row.sso_subject}" if row.sso_subject else None
    user = StaffUser(id=row.id, agency_id=row.agency_id, username=row.username,
                     display_name=row.display_name,
                     roles=frozenset(StaffRole(r) for r in row.roles.split(",") if r),
                     person_id=row.person_id, disabled=bool(row.disabled),
                     has_password=row.password_hash is not None, sso_subject=subject,
                     created_at=row.created_at)
    return user, row.password_hash


def users(conn: Connection) -> list[StaffUser]:
    return [_user(r)[0] for r in conn.execute(_latest_versions().order_by(t.staff_users.c.id))]


def user_by(conn: Connection, *, user_id: int | None = None, username: str | None = None,
            sso: tuple[str, str] | None = None) -> tuple[StaffUser, str | None] | None:
    """A user and its password hash, by id, username (case-insensitive) or SSO subject."""
    u, v = t.staff_users.c, t.staff_user_versions.c
    if user_id is not None:
        where = u.id == user_id
    elif username is not None:
        where = sa.func.lower(u.username) == username.lower()
    else:
        where = sa.and_(v.sso_issuer == sso[0], v.sso_subject == sso[1])
    row = conn.execute(_latest_versions(where)).first()
    return _user(row) if row else None


def version_fields(conn: Connection, user_id: int) -> dict:
    """The latest version's fields, as `add_user_version` takes them."""
    v = t.staff_user_versions.c
    row = conn.execute(sa.select(t.staff_user_versions).where(v.user_id == user_id)
                       .order_by(v.id.desc()).limit(1)).mappings().one()
    fields = dict(row)
    fields["roles"] = frozenset(r for r in fields["roles"].split(",") if r)
    return fields


def add_session(tx, user_id: int, token_sha256: str, via: SignIn,  # noqa: ANN001
                expires_at: str, actor: str) -> int:
    return _insert(tx, t.staff_sessions, {
        "user_id": user_id, "token_sha256": token_sha256, "via": via.value,
        "started_at": tx.now, "expires_at": expires_at}, actor, "auth.login",
        f"user {user_id}")


def end_session(tx, session_id: int, user_id: int, reason: str, actor: str) -> None:  # noqa: ANN001
    _insert(tx, t.staff_session_ends, {"session_id": session_id, "ended_at": tx.now,
                                       "reason": reason}, actor, "auth.logout",
            f"user {user_id}", with_id=False)


def session_by_token(conn: Connection, token_sha256: str) -> Session | None:
    s, e = t.staff_sessions.c, t.staff_session_ends.c
    row = conn.execute(sa.select(s.id, s.user_id, s.via, s.started_at, s.expires_at,
                                 e.ended_at)
                       .outerjoin(t.staff_session_ends, e.session_id == s.id)
                       .where(s.token_sha256 == token_sha256)).first()
    return Session(row.id, row.user_id, SignIn(row.via), row.started_at, row.expires_at,
                   row.ended_at) if row else None


def add_token(tx, user_id: int, token_sha256: str, name: str,  # noqa: ANN001
              expires_at: str | None, actor: str) -> int:
    return _insert(tx, t.api_tokens, {
        "user_id": user_id, "token_sha256": token_sha256, "name": name,
        "created_at": tx.now, "expires_at": expires_at, "created_by": actor}, actor,
        "token.create", f"user {user_id}")


def revoke_token(tx, token_id: int, user_id: int, actor: str) -> None:  # noqa: ANN001
    _insert(tx, t.api_token_revocations, {"token_id": token_id, "revoked_at": tx.now,
                                          "revoked_by": actor}, actor, "token.revoke",
            f"user {user_id}", with_id=False)


def _tokens() -> sa.Select:
    k, r = t.api_tokens.c, t.api_token_revocations.c
    return (sa.select(k.id, k.user_id, k.name, k.created_at, k.expires_at, r.revoked_at)
            .outerjoin(t.api_token_revocations, r.token_id == k.id))


def _token(row) -> ApiToken:  # noqa: ANN001
    return ApiToken(row.id, row.user_id, row.name, row.created_at, row.expires_at,
                    row.revoked_at)


def token_by_hash(conn: Connection, token_sha256: str) -> ApiToken | None:
    row = conn.execute(_tokens().where(t.api_tokens.c.token_sha256 == token_sha256)).first()
    return _token(row) if row else None


def tokens_of(conn: Connection, user_id: int) -> list[ApiToken]:
    return [_token(r) for r in conn.execute(
        _tokens().where(t.api_tokens.c.user_id == user_id).order_by(t.api_tokens.c.id))]
