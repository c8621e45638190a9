"""Paged lists: every list the API answers is one page of `limit` items from `offset`,
with the total and a link to the next page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Path, Query, Request
from pydantic import BaseModel

from civicarchive.model.record import LARGEST_ID

T = TypeVar("T")
MAX_LIMIT = 100
# An id in a path: what the store's integer columns hold (larger ones are a 422, not a
# database error).
MAX_ID = LARGEST_ID
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class Paging:
    """The `limit` and `offset` query parameters, as a dependency."""

    def __init__(self, limit: int = Query(20, ge=1, le=MAX_LIMIT,
                                          description="Items per page."),
                 offset: int = Query(0, ge=0, le=10_000_000,
                                     description="Items to skip.")) -> None:
        self.limit = limit
        self.offset = offset


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int
    next: str | None = None


def next_link(request: Request, paging: Paging, total: int) -> str | None:
    following = paging.offset + paging.limit
    if following >= total:
        return None
    return str(request.url.include_query_params(offset=following, limit=paging.limit))


def page(request: Request, paging: Paging, everything: Sequence) -> dict:
    """One page of a list held whole (registries: small), as `Page` fields."""
    items = list(everything[paging.offset:paging.offset + paging.limit])
    return {"items": items, "total": len(everything), "offset": paging.offset,
            "limit": paging.limit, "next": next_link(request, paging, len(everything))}
