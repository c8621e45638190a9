"""Live capture of the agency's accounts: each account's health, its runs, open and closed
gaps with their causes, credentials' expiry (never the token), capture settings, and a
pass run now in the background. Everything here needs Permission.MANAGE_CAPTURE."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, Field

from civicarchive.app.administration import Administration
from civicarchive.capture import capturer_for
from civicarchive.capture.credentials import MAX_TOKEN_BYTES
from civicarchive.errors import ArchiveError
from civicarchive.model.staff import Permission, Principal
from civicarchive.web.deps import archive_of, permit
from civicarchive.web.api.moderation import PROBLEMS, PathId, QueryId
from civicarchive.web.paging import Page, Paging, page

router = APIRouter(tags=["capture"], responses=PROBLEMS)
log = logging.getLogger("civicarchive.web")
_MAKING = threading.Lock()


class Background:
    """Capture passes started from the web, one at a time per account, each in its own
    thread so that the request answers at once; what a pass that failed to run said."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: dict[int, threading.Thread] = {}
        self.errors: dict[int, str] = {}   # account id -> why its last pass did not run

    def start(self, admin: Administration, principal: Principal, account_id: int) -> bool:
        """Start a pass; False when one is running for the account already."""
        with self.lock:
            if account_id in self.running:
                return False
            self.errors.pop(account_id, None)
            thread = threading.Thread(target=self._pass, name=f"capture-{account_id}",
                                      args=(admin, principal, account_id), daemon=True)
            self.running[account_id] = thread
        thread.start()
        return True

    def _pass(self, admin: Administration, principal: Principal, account_id: int) -> None:
        try:
            admin.run(principal, account_id)
        except ArchiveError as error:
            self.errors[account_id] = str(error)
        except Exception:  # noqa: BLE001 - a background pass must not die unseen
            log.exception("capture pass for account %s failed", account_id)
            self.errors[account_id] = "the pass failed unexpectedly: the error is in the " \
                                      "server's log"
        finally:
            with self.lock:
                self.running.pop(account_id, None)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the passes running now (tests and shutdown)."""
        for thread in list(self.running.values()):
            thread.join(timeout)


def background_of(request: Request) -> Background:
    state = request.app.state
    with _MAKING:
        if not hasattr(state, "capture_passes"):
            state.capture_passes = Background()
    return state.capture_passes


def admin_of(request: Request) -> Administration:
    return Administration.of(archive_of(request))


class CredentialOut(BaseModel):
    account_id: int
    set_at: str
    set_by: str
    expires_at: str | None
    key_fingerprint: str


class GapBrief(BaseModel):
    id: int
    gap_from: str
    cause: str


class StatusOut(BaseModel):
    account_id: int
    platform: str
    handle: str
    enabled: bool
    interval: int
    last_success: str | None
    last_run: str | None
    last_outcome: str | None
    lag_seconds: float | None
    consecutive_failures: int
    open_gap: GapBrief | None
    credentials_expire: str | None
    credentials_warning: bool
    completeness: float | None
    expected_replies: int
    captured_replies: int
    credentials: CredentialOut | None
    running: bool = Field(description="A pass started from the web is running")
    last_error: str | None = Field(description="Why the last pass started from the web "
                                   "did not run")


class RunOut(BaseModel):
    id: int
    account_id: int
    source: str
    started_at: str
    ended_at: str
    outcome: str
    full: bool
    created: int
    edited: int
    deleted: int
    hidden: int
    unchanged: int
    requests: int
    expected_replies: int
    captured_replies: int
    problems: list[Any]
    cursor: Any = None
    failure: dict[str, Any] | None
    recorded_by: str


class GapOut(BaseModel):
    id: int
    account_id: int
    gap_from: str
    gap_to: str | None = Field(description="null while the gap is open")
    cause: str
    evidence: dict[str, Any]
    opened_at: str
    opened_by: str
    closed_at: str | None


class SettingsOut(BaseModel):
    account_id: int
    url: str | None
    interval: int
    jitter: float
    full_every: int
    media_max_bytes: int
    enabled: bool


class SettingsIn(BaseModel):
    url: str | None = Field(None, max_length=2000)
    interval: int | None = Field(None, ge=1, le=31_536_000)
    jitter: float | None = Field(None, ge=0, lt=1)
    full_every: int | None = Field(None, ge=1, le=100_000)
    media_max_bytes: int | None = Field(None, ge=0, le=2**40)
    enabled: bool | None = None


class RunIn(BaseModel):
    account_id: int = Field(ge=0, le=2**62)


class RunStarted(BaseModel):
    account_id: int
    started: bool = Field(description="false: a pass for the account is running already")


def statuses(request: Request, principal: Principal) -> list[dict]:
    admin, background = admin_of(request), background_of(request)
    credentials = {a.id: admin.credential(principal, a.id)
                   for a in admin.accounts(principal)}
    return [{**s.as_dict(), "credentials": credentials[s.account_id].as_dict()
             if credentials.get(s.account_id) else None,
             "running": s.account_id in background.running,
             "last_error": background.errors.get(s.account_id)}
            for s in admin.status(principal)]


def settings_out(account_id: int, settings) -> dict:  # noqa: ANN001 - CaptureSettings
    return {"account_id": account_id, **{k: v for k, v in settings.as_dict().items()
                                         if k in SettingsOut.model_fields}}


@router.get("/capture/status", response_model=Page[StatusOut],
            summary="Capture health of each account with live capture")
def status(request: Request, paging: Annotated[Paging, Depends()]) -> dict:
    principal = permit(request, Permission.MANAGE_CAPTURE, "capture")
    return page(request, paging, statuses(request, principal))


@router.get("/capture/runs", response_model=Page[RunOut], summary="Capture runs, newest first")
def runs(request: Request, paging: Annotated[Paging, Depends()],
         account_id: QueryId = None) -> dict:
    principal = permit(request, Permission.MANAGE_CAPTURE, "capture")
    return page(request, paging, admin_of(request).runs(principal, account_id))


@router.post("/capture/runs", response_model=RunStarted, status_code=202,
             summary="Run a capture pass for one account now, in the background")
def run(request: Request, body: RunIn) -> RunStarted:
    principal = permit(request, Permission.MANAGE_CAPTURE, "capture")
    admin = admin_of(request)
    account = admin.account(principal, body.account_id)
    capturer_for(account.platform)  # no live capture for it: say so now, not in a thread
    return RunStarted(account_id=account.id,
                      started=background_of(request).start(admin, principal, account.id))


@router.get("/capture/gaps", response_model=Page[GapOut],
            summary="Capture gaps, open and closed, with their causes, newest first")
def gaps(request: Request, paging: Annotated[Paging, Depends()],
         account_id: QueryId = None, open_only: bool = False) -> dict:
    principal = permit(request, Permission.MANAGE_CAPTURE, "capture")
    return page(request, paging, admin_of(request).gaps(principal, account_id, open_only))


@router.get("/capture/settings", response_model=Page[SettingsOut],
            summary="Capture settings of each account")
def all_settings(request: Request, paging: Annotated[Paging, Depends()]) -> dict:
    principal = permit(request, Permission.MANAGE_CAPTURE, "capture settings")
    admin = admin_of(request)
    return page(request, paging, [settings_out(a.id, admin.settings(principal, a.id))
                                  for a in admin.accounts(principal)])


@router.get("/capture/settings/{account_id}", response_model=SettingsOut,
            summary="One account's capture settings")
def settings(request: Request, account_id: PathId) -> dict:
    principal = permit(request, Permission.MANAGE_CAPTURE, "capture settings")
    return settings_out(account_id, admin_of(request).settings(principal, account_id))


@router.patch("/capture/settings/{account_id}", response_model=SettingsOut,
              summary="Change some of an account's capture settings")
def configure(request: Request, account_id: PathId, body: SettingsIn) -> dict:
    principal = permit(request, Permission.MANAGE_CAPTURE, "capture settings")
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return settings_out(account_id, admin_of(request).configure(principal, account_id,
                                                                **changes))


class CredentialsIn(BaseModel):
    token: str = Field(min_length=1, max_length=MAX_TOKEN_BYTES,
                       description="The platform token, on one line: kept encrypted and never "
                                   "shown again")
    expires_at: AwareDatetime | None = Field(None, description="When it expires (Meta "
                                             "tokens: 60 days from now when not given)")


@router.put("/accounts/{account_id}/credentials", response_model=CredentialOut,
            summary="Store an account's platform token for live capture, encrypted (the "
                    "answer never holds it)")
def store_credentials(request: Request, account_id: PathId, body: CredentialsIn) -> dict:
    principal = permit(request, Permission.MANAGE_CAPTURE, "capture credentials")
    return admin_of(request).store_credentials(principal, account_id, body.token,
                                               body.expires_at).as_dict()
