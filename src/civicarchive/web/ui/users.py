"""Users of the administrator's agency: add a local user, change roles, disable and
enable, and API tokens (a new token's secret is shown once, on the page that made it)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from civicarchive.errors import InvalidInput
from civicarchive.model.staff import Permission, StaffRole
from civicarchive.web.api.users import admin_of
from civicarchive.web.api.moderation import PathId
from civicarchive.web.deps import archive_of, permit
from civicarchive.model.record import id_of
from civicarchive.web.ui import render

router = APIRouter()


def _people(request: Request, agency_id: int) -> list:
    return [p for p in archive_of(request).people.people() if p.agency_id == agency_id]


def _list(request: Request, error: dict | None = None, form: dict | None = None,
          status_code: int = 200) -> Response:
    principal = permit(request, Permission.MANAGE_USERS, "users")
    return render(request, "users.html", {
        "title": "Users", "users": admin_of(request).users(principal),
        "roles": list(StaffRole), "people": _people(request, principal.agency_id),
        "error": error, "form": form or {}}, status_code=status_code)


def _user(request: Request, user_id: PathId, secret: str | None = None,
          error: dict | None = None, status_code: int = 200) -> Response:
    principal = permit(request, Permission.MANAGE_USERS, "users")
    admin = admin_of(request)
    user = admin.user(principal, user_id)
    return render(request, "users_user.html", {
        "title": f"User {user.username}", "shown": user, "roles": list(StaffRole),
        "tokens": admin.tokens(principal, user.id), "secret": secret, "error": error,
        "is_self": principal.user is not None and principal.user.id == user.id},
        status_code=status_code)


@router.get("/users")
def users(request: Request) -> Response:
    return _list(request)


@router.post("/users")
def add(request: Request, username: str = Form("", max_length=100),
        display_name: str = Form("", max_length=200), password: str = Form("", max_length=1000),
        person: str = Form("", max_length=20), roles: list[str] = Form([])) -> Response:
    principal = permit(request, Permission.MANAGE_USERS, "users")
    fields = {"username": username, "display_name": display_name, "password": password,
              "person": person}
    roles = roles[:len(StaffRole)]
    try:
        if not roles:
            raise InvalidInput("choose at least one role", parameter="roles")
        person = fields["person"]
        user = admin_of(request).add_user(
            principal, fields["username"].strip(), roles, fields["display_name"].strip(),
            fields["password"], id_of(person))
    except InvalidInput as refused:
        return _list(request, {"parameter": refused.parameter, "message": str(refused)},
                     {**fields, "password": "", "roles": roles}, status_code=400)
    return RedirectResponse(f"/users/{user.id}", status_code=303)


@router.get("/users/{user_id}")
def user(request: Request, user_id: PathId) -> Response:
    return _user(request, user_id)


@router.post("/users/{user_id}/roles")
def change_roles(request: Request, user_id: PathId, roles: list[str] = Form([])) -> Response:
    principal = permit(request, Permission.MANAGE_USERS, "users")
    chosen = roles[:len(StaffRole)]
    try:
        if not chosen:
            raise InvalidInput("choose at least one role", parameter="roles")
        admin_of(request).change_user(principal, user_id, roles=chosen)
        request.app.state.sessions.forget_user(user_id)
    except InvalidInput as refused:
        return _user(request, user_id, error={"parameter": refused.parameter,
                                              "message": str(refused)}, status_code=400)
    return RedirectResponse(f"/users/{user_id}", status_code=303)


@router.post("/users/{user_id}/disabled")
def disabled(request: Request, user_id: PathId, disabled: bool = Form(...)) -> Response:
    principal = permit(request, Permission.MANAGE_USERS, "users")
    try:
        admin_of(request).change_user(principal, user_id, disabled=disabled)
        request.app.state.sessions.forget_user(user_id)
    except InvalidInput as refused:
        return _user(request, user_id, error={"parameter": refused.parameter,
                                              "message": str(refused)}, status_code=400)
    return RedirectResponse(f"/users/{user_id}", status_code=303)


@router.post("/users/{user_id}/tokens")
def make_token(request: Request, user_id: PathId, name: str = Form("", max_length=200)
               ) -> Response:
    principal = permit(request, Permission.MANAGE_USERS, "users")
    try:
        secret, _ = admin_of(request).make_token(principal, user_id, name)
    except InvalidInput as refused:
        return _user(request, user_id, error={"parameter": refused.parameter,
                                              "message": str(refused)}, status_code=400)
    return _user(request, user_id, secret=secret)  # shown this once, never stored


@router.post("/users/{user_id}/tokens/{token_id}/revoke")
def revoke_token(request: Request, user_id: PathId, token_id: PathId) -> Response:
    principal = permit(request, Permission.MANAGE_USERS, "users")
    admin_of(request).revoke_token(principal, user_id, token_id)
    return RedirectResponse(f"/users/{user_id}", status_code=303)
