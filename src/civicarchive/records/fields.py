"""Redacting a record's fields beyond its text: the author, the handle shown, URLs. Pure.

A reviewer redacts a field of one record (`Field`); the production turns that into
`FieldRules` for every record it shows (app/productions.py decides which records a rule
reaches: an author redaction reaches every record of that author in the production), and
`redact_fields` applies them, giving each field as `RedactedText` with the redacted
characters already gone.

An identity (the author's name, a display name, a handle) is hidden wherever it appears:
in its own field, as a whole word in the text of every version (with or without a
leading @, in any case), inside URLs (the permalink of most platforms holds the handle)
and inside the native id (Bluesky's holds the author's DID). A Mastodon-style handle
`user@host` is also hidden as a mention of its local part, `@user`. A bare first name
inside a longer name is not an identity: redact it as a phrase.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from civicarchive.model.production import RedactedText, Redaction
from civicarchive.records.redaction import apply, find, fold, phrase_regex, span_of

__all__ = ["Field", "FieldRules", "RecordFields", "RedactedFields", "Term", "identity_terms",
           "redact_fields", "term_spans", "url_spans"]

# A URL as people write them: a scheme or www., up to white space or a quote; trailing
# punctuation of the sentence is left out.
_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


class Field(enum.StrEnum):
    """What a field redaction hides in one record (and where it reaches, see the module)."""

    AUTHOR = "author"        # the author's name: the author field and any display name
    HANDLE = "handle"        # the handle of the account the record is shown under
    PERMALINK = "permalink"  # the record's own URL
    URL = "url"              # one URL, wherever it appears in the record
    URLS = "urls"            # every URL in the record's text, and its permalink


@dataclass(frozen=True, slots=True)
class Term:
    """An identity to hide wherever it appears, with the reason shown in its place."""

    text: str
    reason: str
    mention_only: bool = False  # only as "@text" (the local part of user@host)


@dataclass(frozen=True, slots=True)
class RecordFields:
    """What a record shows, as archived."""

    author: str | None
    handle: str
    url: str | None
    native_id: str
    texts: tuple[str, ...]   # each version's text, in order


@dataclass(frozen=True, slots=True)
class FieldRules:
    """What to hide in one record; each value is the reason shown in its place."""

    author: str | None = None      # the author field, whole
    handle: str | None = None      # the handle field, whole
    permalink: str | None = None   # the url field, whole
    urls: str | None = None        # every URL in the text (and the url field, whole)
    terms: tuple[Term, ...] = ()   # identities, wherever they appear
    phrases: tuple[tuple[str, str], ...] = ()  # (exact words, reason): text and URLs


@dataclass(frozen=True, slots=True)
class RedactedFields:
    author: RedactedText | None
    handle: RedactedText
    url: RedactedText | None
    native_id: RedactedText
    texts: tuple[RedactedText, ...]

    @property
    def fields_redacted(self) -> bool:
        """Whether a field other than the text lost anything."""
        return any(isinstance(s, Redaction) for f in (self.author, self.handle, self.url,
                                                      self.native_id) if f for s in f)


def identity_terms(names: Iterable[str | None], reason: str) -> tuple[Term, ...]:
    """The terms that hide an identity given by `names` (an author, a display name, a
    handle), each without its leading @, with the local part of a user@host handle."""
    found: dict[tuple[str, bool], Term] = {}
    for name in names:
        name = (name or "").strip().removeprefix("@")
        if not name:
            continue
        found.setdefault((name.lower(), False), Term(name, reason))
        local, at, host = name.partition("@")
        if at and local and host:
            found.setdefault((local.lower(), True), Term(local, reason, mention_only=True))
    return tuple(found.values())


def term_spans(text: str, term: Term) -> list[tuple[int, int]]:
    """Where `term` appears in `text` as a whole word, in any case, with its leading @
    (which is then hidden too) or, unless `mention_only`, without it."""
    if not term.text.strip():
        return []
    return find(_term_pattern(fold(term.text), term.mention_only), text)


@lru_cache(maxsize=256)
def _term_pattern(term: str, mention_only: bool) -> re.Pattern[str]:
    # As a phrase is found (any spacing, invisible characters, any Unicode spelling: a
    # display name broken over a line is still the name), but only as whole words.
    at = "@" if mention_only else "@?"
    return re.compile(rf"(?<![\w@]){at}{phrase_regex(term)}(?![\w@]|\.\w|-\w)",
                      re.IGNORECASE)


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every URL in `text`, without trailing sentence punctuation."""
    found = []
    for match in _URL.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _TRAILING:
            end -= 1
        if end > start:
            found.append((start, end))
    return found


def redact_fields(record: RecordFields, rules: FieldRules) -> RedactedFields:
    """Every field of `record` with `rules` applied: whole fields replaced by one
    redaction, identities and phrases cut out where they appear."""
    def cut(text: str, every_url: str | None = None) -> RedactedText:
        spans = [(s, e, term.reason) for term in rules.terms for s, e in term_spans(text, term)]
        spans += [(s, e, reason) for phrase, reason in rules.phrases
                  for s, e in span_of(text, phrase)]
        if every_url:
            spans += [(s, e, every_url) for s, e in url_spans(text)]
        return apply(text, spans)

    def whole(text: str | None, reason: str | None) -> RedactedText | None:
        if text is None:
            return None
        if reason and text:
            return (Redaction(reason),)
        return cut(text)

    return RedactedFields(
        author=whole(record.author, rules.author),
        handle=whole(record.handle, rules.handle) or (),
        url=whole(record.url, rules.permalink or rules.urls),
        native_id=cut(record.native_id),
        texts=tuple(cut(text, rules.urls) for text in record.texts))
