"""The exceptions civicarchive raises.

Every error carries data, not an HTTP code or an exit status; each edge (CLI, API)
maps them in one place. Every message says what is wrong and where to look next, in
words that suit every interface: a message never names a command-line flag. Where one
input is at fault, `parameter` names it (`agency`, `version`...), and the CLI adds the
flag that sets it.

    ArchiveError
    ├── NotInitialised        no archive at the given home / database
    ├── AlreadyInitialised    `init` on an archive that exists
    ├── NotFound              an account, item or version id that does not exist
    ├── InvalidInput          bad user input: a malformed file line, an unknown enum value
    │   └── MalformedLine     one line of a JSONL file (carries path and line number)
    ├── AppendOnlyViolation   the store refused to rewrite archived data
    ├── StoreUnavailable      the database could not be reached or opened
    ├── ProofError            a proof file is malformed or does not verify
    ├── FetchRefused          the capture guard refused a URL (scheme, address, redirect)
    ├── BrowserUnavailable    browser capture cannot run: no Chromium, or no Playwright
    ├── ContinuityBroken      the ledger does not extend the checkpoint signed last
    │   ├── LedgerRolledBack  the database is older than that checkpoint
    │   └── LedgerForked      the database holds another history than that checkpoint
    ├── TimestampMissed       the time-stamping authority did not give a valid timestamp
    ├── SignInRefused         a wrong username or password, a disabled user, an expired
    │   │                     session or token, an identity the agency does not admit
    │   └── SingleSignOnFailed  an OpenID Connect sign-in was refused or could not complete
    └── AccessDenied          a signed-in user's roles do not allow what they asked
"""

from __future__ import annotations


class ArchiveError(Exception):
    """Base of every civicarchive error."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter  # the input at fault, when one is


class NotInitialised(ArchiveError):
    def __init__(self, where: str) -> None:
        super().__init__(f"no archive at {where}: create one (init), or name the folder of "
                         "an existing archive", parameter="home")
        self.where = where


class AlreadyInitialised(ArchiveError):
    def __init__(self, where: str) -> None:
        super().__init__(f"an archive already exists at {where}: choose another folder, or "
                         "use the existing archive", parameter="home")
        self.where = where


# Where a person finds the ids of each kind of thing.
LISTINGS = {"account": "accounts list", "agency": "accounts list", "hold": "holds list",
            "request": "requests list", "redaction": "requests show",
            "disposition batch": "retention status", "record series": "the adopted policy",
            "item": "search", "version": "history of the item", "person": "people list",
            "term": "people show", "alert": "alerts list", "moderation action": "moderation log",
            "user": "users list", "API token": "users tokens",
            "record": "the open archive's search", "production": "requests show",
            "media file": "the record's media list", "policy": "policy adopt",
            "account owner": "accounts list"}


class NotFound(ArchiveError):
    def __init__(self, what: str, ident: object) -> None:
        named = f"with id {ident}" if isinstance(ident, int) else f"named {ident!r}"
        super().__init__(f"no {what} {named}: see {LISTINGS.get(what, 'stats')}")
        self.what = what
        self.ident = ident


class InvalidInput(ArchiveError):
    """Input the user can fix: the message names what and where."""


class MalformedLine(InvalidInput):
    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}", parameter="file")
        self.path = path
        self.line = line
        self.reason = reason


class AppendOnlyViolation(ArchiveError):
    def __init__(self, detail: str) -> None:
        super().__init__(f"archived data is append-only and cannot be rewritten ({detail}); "
                         f"record a new version or use an approved disposition instead")


class StoreUnavailable(ArchiveError):
    """The database could not be opened or reached."""


class ProofError(ArchiveError):
    """A proof file is malformed or does not verify."""


class FetchRefused(ArchiveError):
    """The capture guard refused to fetch a URL: it is not http(s), or its host is, or
    resolves to, an address that is not public (private, loopback, link-local, cloud
    metadata...). `url` is shown without credentials or query values."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"refused to fetch {url}: {reason}; capture fetches only public "
                         f"http(s) addresses (see docs/capture.md)", parameter="url")
        self.url = url
        self.reason = reason


class BrowserUnavailable(ArchiveError):
    """Browser capture cannot run here: Chromium or the Playwright package is missing."""

    def __init__(self, what: str) -> None:
        super().__init__(f"browser capture is unavailable: {what}; install Debian's chromium "
                         f"package (apt-get install chromium) and the browser extra "
                         f"(pip install 'civicarchive[browser]')")
        self.what = what


class ContinuityBroken(ArchiveError):
    """The ledger in the database does not extend the checkpoint this archive signed last
    (kept outside the database, beside the key): nothing more is signed until an operator
    resolves it (docs/continuity.md). `entry` is the first ledger entry known to differ,
    or the first of the range `entries` it lies in."""

    def __init__(self, message: str, entries: tuple[int, int] | None = None) -> None:
        super().__init__(message + "; writing is refused until this is resolved: see "
                         "docs/continuity.md")
        self.entries = entries
        self.entry = entries[0] if entries else None


class LedgerRolledBack(ContinuityBroken):
    """The database holds fewer checkpoints or entries than were signed: an older copy was
    restored, or checkpoints were deleted."""


class LedgerForked(ContinuityBroken):
    """The database holds a ledger or checkpoint that differs from what was signed."""


class CheckpointNoteDamaged(ContinuityBroken):
    """The note of the last checkpoint signed (keys/last-checkpoint) cannot be read, so
    nothing can be checked against it. `fault` says what is wrong with it."""

    def __init__(self, where: str, fault: str) -> None:
        super().__init__(f"{where}, the note of the last checkpoint this archive signed, "
                         f"is damaged ({fault}): restore the keys folder that belongs with "
                         "this database from a backup, or, once you trust the database, "
                         "set the note aside with `civicarchive checkpoint reset --reason "
                         "...`")
        self.where, self.fault = where, fault


class TimestampMissed(ArchiveError):
    """The time-stamping authority could not be reached, or its answer is not a valid
    timestamp of the checkpoint (recorded as a miss; writes never fail for it)."""


class SignInRefused(ArchiveError):
    """Signing in failed. The message never says whether the username exists."""

    def __init__(self, message: str = "wrong username or password, or the user is "
                 "disabled: try again, or ask an administrator to reset the password") -> None:
        super().__init__(message)


class AccessDenied(ArchiveError):
    """The user is signed in, but no role of theirs grants `permission`."""

    def __init__(self, permission: str, what: str) -> None:
        super().__init__(f"your roles do not allow {what} (it needs the {permission} "
                         f"permission): ask an administrator for a role that grants it")
        self.permission = permission
        self.what = what


class SingleSignOnFailed(SignInRefused):
    """An OpenID Connect sign-in was refused or could not complete. `reason` says at which
    step, one of: `discovery` (the provider's metadata or keys), `state` (the browser's
    sign-in state is missing, expired or does not match), `provider` (the provider answered
    with an error), `token` (the code exchange or the ID token's checks failed), `claims`
    (a claim the settings need is missing or malformed), `unmapped` (no claim value maps to a
    civicarchive role). `issuer` is the provider's; `subject` the user's, once known."""

    def __init__(self, reason: str, message: str, issuer: str,
                 subject: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.issuer = issuer
        self.subject = subject
