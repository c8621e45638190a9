"""The compliance monitors that read the archive's records: a record deleted by its account
before its retention ended, officials seen on agency accounts under an account nobody
registered, personal information in staff's and officials' posts, and the policy's
keywords. Pure: each is handed plain rows and returns Signals, each with a kind, a
severity, the evidence, the clause it rests on and a key that says when two are the same.

A Signal never quotes the record it is about, only where to look (item id, offsets,
category): alerts are audit events, which outlive any disposition of the record.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from civicarchive.model.custody import RecordFacts
from civicarchive.policy.model import RecordSeries
from civicarchive.records import pii
from civicarchive.records.retention import TAKEN_DOWN, add_period, trigger_time

DELETED_EARLY = "compliance.deleted_early"
UNREGISTERED = "compliance.unregistered_account"
STAFF_PII = "compliance.staff_personal_information"
KEYWORD = "compliance.keyword"
KINDS = (DELETED_EARLY, UNREGISTERED, STAFF_PII, KEYWORD)


@dataclass(frozen=True)
class Signal:
    kind: str
    severity: str  # high | medium | low
    account_id: int | None
    message: str
    clause: str
    key: tuple
    evidence: dict = field(default_factory=dict)

    def details(self) -> dict:
        return {"severity": self.severity, "clause": self.clause, "key": list(self.key),
                "evidence": self.evidence}


def deleted_early(records: Iterable[tuple[RecordFacts, RecordSeries, str]]) -> list[Signal]:
    """Records (with their series and account handle) observed deleted on the platform
    before their retention ended: a possible unlawful destruction by the account, even
    though the archive kept them. A series whose retention starts when the record is taken
    down expects deletion: not flagged."""
    found = []
    for facts, series, handle in records:
        if facts.deleted_at is None or series.event == TAKEN_DOWN:
            continue
        started = trigger_time(facts, series)
        ends = add_period(started, series.retention) if started is not None else None
        if ends is not None and facts.deleted_at >= ends:
            continue
        until = f"until {_day(ends)}" if ends else "and its retention had not even started"
        found.append(Signal(
            DELETED_EARLY, "high", facts.account_id,
            f"{facts.kind.value} {facts.item_id} on {handle} was deleted on the platform on "
            f"{_day(facts.deleted_at)}, but {series.code} keeps it {until}: a possible "
            f"unlawful destruction of a public record (the archive still holds it); ask the "
            f"account's owner why, and keep the archive's copy",
            f"{series.code}: {series.title}, retained {series.retention} ({series.citation})",
            (facts.item_id,),
            {"item_id": facts.item_id, "series": series.code,
             "deleted_at": _iso(facts.deleted_at), "retention_ends": _iso(ends) if ends
             else None}))
    return found


def unregistered(comments: Iterable[dict], officials: Sequence[tuple[int, str, list[str]]],
                 registered: Iterable[tuple[str, str]], clause: str) -> list[Signal]:
    """Authors of comments on agency accounts who look like a registered official (their
    name, or the handle of one of their accounts) under an account the registry does not
    hold. `comments`: item_id, account_id, platform, handle, author; `officials`: (person
    id, name, handles); `registered`: (platform, handle) of every registered account."""
    known = {(platform, _squash(handle)) for platform, handle in registered}
    marks = [(person_id, name, {_squash(name), *(_squash(h) for h in handles)} - {""})
             for person_id, name, handles in officials]
    found: dict[tuple, Signal] = {}
    for c in comments:
        author = _squash(c["author"] or "")
        if not author or (c["platform"], author) in known:
            continue
        for person_id, name, squashed in marks:
            if author in squashed:
                key = (c["platform"], author, person_id)
                if key not in found:
                    found[key] = Signal(
                        UNREGISTERED, "medium", c["account_id"],
                        f"{c['author']!r} commented on {c['handle']} (item {c['item_id']}) and "
                        f"looks like {name} (person {person_id}), but no {c['platform']} "
                        f"account of theirs is registered: register it if it is theirs, so "
                        f"its public business is kept",
                        clause, key, {"item_id": c["item_id"], "author": c["author"],
                                      "platform": c["platform"], "person_id": person_id})
    return list(found.values())


def personal_information(posts: Iterable[dict], clause: str, region: str = "US"
                         ) -> list[Signal]:
    """Posts of employees' and officials' accounts that look like they publish someone's
    personal information (records/pii.py). `posts`: item_id, account_id, handle,
    classification, text."""
    found = []
    for post in posts:
        hits = pii.suggest(post["text"] or "", region)
        if not hits:
            continue
        categories = sorted({h.category.value for h in hits})
        found.append(Signal(
            STAFF_PII, "high", post["account_id"],
            f"post {post['item_id']} on {post['handle']} ({post['classification']}) looks like "
            f"it publishes personal information ({', '.join(categories)}): check it, and "
            f"redact it in any production",
            clause, (post["item_id"],),
            {"item_id": post["item_id"], "categories": categories,
             "spans": [[h.start, h.end, h.category.value] for h in hits]}))
    return found


def keywords(records: Iterable[dict], words: Sequence[str]) -> list[Signal]:
    """Posts and comments that use one of the policy's keywords (whole words, any case).
    `records`: item_id, account_id, handle, kind, text."""
    if not words:
        return []
    patterns = [(word, re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, word.split()))
                                  + r"(?!\w)", re.IGNORECASE)) for word in words]
    found = []
    for record in records:
        text = record["text"] or ""
        for word, pattern in patterns:
            match = pattern.search(text)
            if match:
                found.append(Signal(
                    KEYWORD, "low", record["account_id"],
                    f"{record['kind']} {record['item_id']} on {record['handle']} uses the "
                    f"keyword {word!r} (characters {match.start()}-{match.end()}): read it "
                    f"with `show {record['item_id']}`",
                    "policy keywords", (record["item_id"], word),
                    {"item_id": record["item_id"], "keyword": word,
                     "span": [match.start(), match.end()]}))
    return found


def _squash(text: str) -> str:
    """Letters and digits only, casefolded and without accents, a fediverse handle's
    server dropped: 'Dana.Whitfield', 'dana whitfield' and '@danawhitfield@town.social'
    are one."""
    plain = unicodedata.normalize("NFKD", text.lstrip("@").split("@")[0])
    return "".join(ch for ch in plain.casefold() if ch.isalnum())


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _iso(moment: datetime) -> str:
    return moment.isoformat()
