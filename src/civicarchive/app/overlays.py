"""What staff decided in records requests, as the open archive applies it on read: the
records withheld in any request, the redactions in force in any request, and the
identities (authors, handles) they hide everywhere; and the search condition that leaves
out of public search and listings every record the rules or that overlay do not show in
full (app/publishing.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson

from civicarchive.app.reading import Reading
from civicarchive.app.redacting import names_of
from civicarchive.app.registry import Registry
from civicarchive.policy.model import DeletedShown, HiddenShown, PublicArchive
from civicarchive.records import publication
from civicarchive.records.fields import Field, identity_terms
from civicarchive.records.requests import FieldRedaction, Mark, RequestState, ReviewMark
from civicarchive.search.plan import Flag, Match, Nothing, Range
from civicarchive.search.query import AllOf, AnyOf, Not, Phrase, Word


@dataclass
class Overlay:
    """What staff decided across every request, as the open archive applies it."""

    withheld: dict[int, ReviewMark] = field(default_factory=dict)  # item -> its mark
    redacted: set[int] = field(default_factory=set)      # items with their own redactions
    authors: set[str] = field(default_factory=set)       # redacted authors, lowercased
    accounts: set[int] = field(default_factory=set)      # accounts whose handle is redacted
    names: set[str] = field(default_factory=set)         # identities hidden everywhere
    state: RequestState = field(default_factory=RequestState)  # every redaction in force


def fold(states: list[RequestState], reading: Reading, registry: Registry) -> Overlay:
    """The overlay of every request's state."""
    overlay = Overlay()
    for state in states:
        for item_id in state.with_mark(Mark.WITHHELD):
            overlay.withheld.setdefault(item_id, state.marks[item_id])
        for key, redaction in state.redactions.items():
            overlay.state.redactions[f"{len(overlay.state.redactions)}:{key}"] = redaction
            overlay.redacted.add(redaction.item)
            if isinstance(redaction, FieldRedaction) and redaction.field in (
                    Field.AUTHOR, Field.HANDLE):
                _identity(overlay, redaction, reading, registry)
    return overlay


def _identity(overlay: Overlay, redaction: FieldRedaction, reading: Reading,
              registry: Registry) -> None:
    item = reading.item(redaction.item)
    if redaction.field == Field.AUTHOR:
        contents = [c for v in reading.history(item.id)
                    if isinstance(c := reading.content(v), dict)]
        names = names_of(item.author, contents)
        if item.author:
            overlay.authors.add(item.author.lower().removeprefix("@"))
    else:
        names = [registry.account(item.account_id).handle]
        overlay.accounts.add(item.account_id)
    overlay.names |= {t.text for t in identity_terms(names, redaction.reason)}


def names_in(content: object, overlay: Overlay) -> bool:
    """Whether the content, anywhere in it (alt text, a mention's fields...), names an
    identity a request redacts: a page redacts it in the text it shows, but a proof's
    content is the whole record as archived."""
    if content is None or not overlay.names:
        return False
    text = (content if isinstance(content, str) else orjson.dumps(content).decode()).lower()
    return any(name.lower() in text for name in overlay.names)


def condition(rules: PublicArchive, overlay: Overlay, now: datetime,
              buried: frozenset[int] = frozenset()) -> object:
    """What public search and listings are limited to: what the rules show in full, less
    every record withheld or touched by a redaction (a word search would otherwise reveal
    the redacted words by what it finds) and the `buried` ones (under a marker)."""
    if not rules.published:
        return Nothing()
    cutoff = publication.embargo_cutoff(rules, now)
    clauses: list[object] = [Range("created", None, int(cutoff.timestamp()) + 1),
                             Not(Match("kind", frozenset(k.value for k in
                                                         publication.NEVER_PUBLIC))),
                             Not(Flag("restricted"))]
    if not rules.comments:
        clauses.append(Not(Match("kind", frozenset(k.value for k in publication.COMMENTS))))
    if rules.deleted is DeletedShown.HIDE:
        clauses.append(Not(Flag("deleted")))
    if rules.hidden in (HiddenShown.HIDE, HiddenShown.NOTICE):  # no text either way
        clauses.append(Not(Flag("hidden")))
    hidden_items = set(overlay.withheld) | overlay.redacted | buried
    if hidden_items:
        clauses.append(Not(Match("item", frozenset(hidden_items))))
    if overlay.authors:
        clauses.append(Not(Match("author", frozenset(overlay.authors))))
    if overlay.accounts:
        clauses.append(Not(Match("account", frozenset(overlay.accounts))))
    if overlay.names:
        clauses.append(Not(AnyOf(tuple(Phrase(n) if " " in n else Word(n)
                                       for n in sorted(overlay.names)))))
    return AllOf(tuple(clauses))
