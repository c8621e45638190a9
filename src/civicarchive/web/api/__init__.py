"""The REST API under /api/v1: thin routes over the archive's services, each scoped to
who is asking (app/access.py). One module per area; `router` gathers them."""

from __future__ import annotations

from fastapi import APIRouter

from civicarchive.web.api import evidence, ingest, records, session
from civicarchive.web.api import moderation, compliance, capture, users  # webmod
from civicarchive.web.api import casework, holds, redactions  # webcasework
from civicarchive.web.api import audit, registry  # webrecords

router = APIRouter()
for module in (session, records, evidence, ingest, moderation, compliance, capture, users,
               casework, redactions, holds, registry, audit):
    router.include_router(module.router)

# Every operation declares the problems it may answer (problem+json, not FastAPI's own
# 422). Set apart from the list above, which each area's module joins.
from civicarchive.web.problems import RESPONSES  # noqa: E402

documented = APIRouter(responses=RESPONSES)
documented.include_router(router)
router = documented
