"""Staff users of the caller's agency and their API tokens: for administrators
(Permission.MANAGE_USERS). Another agency's user is the same 404 as a missing id."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from civicarchive.app.administration import Administration
from civicarchive.app.users import MIN_PASSWORD, USERNAME
from civicarchive.model.staff import Permission, StaffRole
from civicarchive.web.deps import archive_of, permit
from civicarchive.web.api.moderation import PROBLEMS, PathId
from civicarchive.web.paging import Page, Paging, page

router = APIRouter(tags=["users"], responses=PROBLEMS)


class UserOut(BaseModel):
    id: int
    agency_id: int
    username: str
    display_name: str
    roles: list[str]
    person_id: int | None
    disabled: bool
    has_password: bool
    sso: bool
    created_at: str


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=100, pattern=USERNAME.pattern)
    display_name: str | None = Field(None, max_length=200)
    roles: list[StaffRole] = Field(min_length=1, max_length=len(StaffRole))
    password: str | None = Field(None, min_length=MIN_PASSWORD, max_length=1000,
                                 description="At least 12 "
                                 "characters; none: the user signs in through single sign-on")
    person_id: int | None = Field(None, ge=0, le=2**62, description="An official's entry in the people "
                                  "registry")


class UserChange(BaseModel):
    display_name: str | None = Field(None, max_length=200)
    roles: list[StaffRole] | None = Field(None, min_length=1, max_length=len(StaffRole))
    disabled: bool | None = None
    password: str | None = Field(None, min_length=MIN_PASSWORD, max_length=1000)


class TokenOut(BaseModel):
    id: int
    name: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    expires_at: datetime | None = None


class TokenMade(TokenOut):
    token: str = Field(description="The secret, shown this once: it is never stored")


def admin_of(request: Request) -> Administration:
    return Administration.of(archive_of(request))


def _roles(roles: list[StaffRole] | None) -> list[str] | None:
    return None if roles is None else [r.value for r in roles]


@router.get("/users", response_model=Page[UserOut], summary="Your agency's users")
def users(request: Request, paging: Annotated[Paging, Depends()]) -> dict:
    principal = permit(request, Permission.MANAGE_USERS, "users")
    return page(request, paging, [u.as_dict() for u in admin_of(request).users(principal)])


@router.post("/users", response_model=UserOut, status_code=201,
             summary="Add a local user to your agency")
def add(request: Request, body: UserIn) -> dict:
    principal = permit(request, Permission.MANAGE_USERS, "users")
    return admin_of(request).add_user(principal, body.username, _roles(body.roles),
                                      body.display_name, body.password,
                                      body.person_id).as_dict()


@router.get("/users/{user_id}", response_model=UserOut, summary="One user")
def user(request: Request, user_id: PathId) -> dict:
    principal = permit(request, Permission.MANAGE_USERS, "users")
    return admin_of(request).user(principal, user_id).as_dict()


@router.patch("/users/{user_id}", response_model=UserOut,
              summary="Change a user's roles, name or password; disable or enable them")
def change(request: Request, user_id: PathId, body: UserChange) -> dict:
    principal = permit(request, Permission.MANAGE_USERS, "users")
    changed = admin_of(request).change_user(principal, user_id, roles=_roles(body.roles),
                                            display_name=body.display_name,
                                            disabled=body.disabled, password=body.password)
    request.app.state.sessions.forget_user(changed.id)
    return changed.as_dict()


@router.get("/users/{user_id}/tokens", response_model=Page[TokenOut],
            summary="A user's API tokens, revoked ones too (never their secrets)")
def tokens(request: Request, user_id: PathId, paging: Annotated[Paging, Depends()]) -> dict:
    principal = permit(request, Permission.MANAGE_USERS, "users")
    return page(request, paging, [t.as_dict() for t in
                                  admin_of(request).tokens(principal, user_id)])


@router.post("/users/{user_id}/tokens", response_model=TokenMade, status_code=201,
             summary="Make an API token for a user: its secret is in this answer only")
def make_token(request: Request, user_id: PathId, body: TokenIn) -> dict:
    principal = permit(request, Permission.MANAGE_USERS, "users")
    expires = body.expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=timezone.utc)
    secret, token = admin_of(request).make_token(principal, user_id, body.name, expires)
    return {**token.as_dict(), "token": secret}


@router.delete("/users/{user_id}/tokens/{token_id}", response_model=TokenOut,
               summary="Revoke one of a user's API tokens")
def revoke_token(request: Request, user_id: PathId, token_id: PathId) -> dict:
    principal = permit(request, Permission.MANAGE_USERS, "users")
    return admin_of(request).revoke_token(principal, user_id, token_id).as_dict()
