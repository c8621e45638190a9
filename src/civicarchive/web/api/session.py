"""Who am I, and signing in and out for scripts that prefer a session to a token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from civicarchive.web.deps import archive_of, signed_in

router = APIRouter(tags=["session"])


class Me(BaseModel):
    id: int
    username: str
    display_name: str
    agency_id: int
    agency: str
    roles: list[str]
    permissions: list[str]


@router.get("/me", response_model=Me, summary="The signed-in user, their roles and "
            "permissions")
def me(request: Request) -> Me:
    principal = signed_in(request)
    user = principal.user
    agency = next(a for a in archive_of(request).registry.agencies()
                  if a.id == user.agency_id)
    return Me(id=user.id, username=user.username, display_name=user.display_name,
              agency_id=user.agency_id, agency=agency.slug, roles=sorted(user.roles),
              permissions=sorted(principal.permissions))
