"""Redactions of a request's records: words, media files, and the fields around the text
(the author, the handle shown, URLs). `Requests` (app/requests.py) carries these methods;
they live here to keep each file small.

Each redaction is a `redact` request event, named by the event's id, and `unredact`
withdraws one by a later event: nothing is overwritten. A field redaction stores which
field, never the name or handle itself: the production reads it from the archive. What
a field redaction reaches in a production (every record of the same author, mentions in
the text, the permalink) is decided in app/productions.py and described in
docs/requests.md.
"""

from __future__ import annotations

import hashlib

from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.record import text_of
from civicarchive.records.fields import Field, url_spans
from civicarchive.records.redaction import span_of
from civicarchive.records.requests import (Action, FieldRedaction, MediaRedaction,
                                           TextRedaction)

__all__ = ["NAME_KEYS", "Redacting", "names_of"]

# Content members that name a record's author, besides the item's own author.
NAME_KEYS = ("author", "display_name", "author_name")


def strings_of(value: object) -> list[str]:
    """Every string in a record's content, however deep (its text, a location, the
    addresses of links, attachment descriptions)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for member in value.values() for s in strings_of(member)]
    if isinstance(value, list):
        return [s for member in value for s in strings_of(member)]
    return []


def names_of(author: str | None, contents: list[dict]) -> list[str]:
    """Every name the record gives its author: the item's author, then what its
    versions' content says (display names included), each once, in order."""
    names = [author] if author else []
    for content in contents:
        for key in NAME_KEYS:
            value = content.get(key)
            if isinstance(value, str) and value.strip() and value not in names:
                names.append(value)
    return names


class Redacting:
    """The redaction methods of `Requests` (it provides state, reading, contents and
    record_event)."""

    def redact(self, request_id: int, item: int, reason: str, actor: str,
               phrase: str | None = None, version: int | None = None,
               span: tuple[int, int] | None = None, media: str | None = None) -> int:
        """Redact words (a phrase, or a span of one version's text: either way every
        occurrence in every version of the record) or a whole media file, with a reason.
        Returns the redaction's id (for `unredact`)."""
        self._redactable(request_id, item, reason)
        if span is not None:
            if version is None:
                raise InvalidInput("a span is counted in one version's text: name the version",
                                   parameter="version")
            text = self._version_text(item, version)
            start, end = span
            if not 0 <= start < end <= len(text):
                raise InvalidInput(f"span {start}:{end} is outside version {version}'s text "
                                   f"({len(text)} characters)", parameter="span")
            phrase = text[start:end]
        details: dict = {"item": item, "reason": reason.strip()}
        if media is not None:
            details["media"] = self._media_name(item, media)
        elif phrase:
            # Anywhere in the content, not only its text: a location or a link's address
            # can hold the words too, and a redacted record ships none of its captured
            # bytes, only its text with the phrase cut out.
            if not any(span_of(value, phrase) for c in self.contents(item)
                       for value in strings_of(c)):
                raise InvalidInput(f"item {item} does not contain that phrase, in any case, "
                                   "in its text or any other field", parameter="phrase")
            details["phrase"] = phrase
        else:
            raise InvalidInput("say what to redact: a phrase, a span of a version, a media "
                               "file, the author, the handle or a URL")
        return self._add(request_id, details, actor, secret="phrase" if phrase and
                         media is None else None)

    def redact_author(self, request_id: int, item: int, reason: str, actor: str) -> int:
        """Redact the record's author: the author field and every name its content gives
        them (a display name), wherever they appear in the production: the author field
        of every record of that author, mentions in the text of every record, URLs."""
        record = self._redactable(request_id, item, reason)
        if not names_of(record.author, self.contents(item)):
            raise InvalidInput(f"item {item} names no author: nothing to redact there",
                               parameter="item")
        return self._field(request_id, item, Field.AUTHOR, reason, actor)

    def redact_handle(self, request_id: int, item: int, reason: str, actor: str) -> int:
        """Redact the handle of the account the record is shown under (for a private
        person's account), wherever it appears in the production: every record of that
        account, mentions in the text of every record, URLs."""
        self._redactable(request_id, item, reason)
        return self._field(request_id, item, Field.HANDLE, reason, actor)

    def redact_url(self, request_id: int, item: int, reason: str, actor: str,
                   url: str | None = None, every: bool = False) -> int:
        """Redact URLs of one record: its permalink (the default), one `url` wherever it
        appears in the record (its text in every version, and the permalink if it holds
        it), or, with `every`, every URL in its text and its permalink."""
        record = self._redactable(request_id, item, reason)
        texts = [text_of(c) for c in self.contents(item)]
        if every:
            if url is not None:
                raise InvalidInput("give a URL or ask for every URL, not both",
                                   parameter="url")
            if not (record.url or any(url_spans(t) for t in texts)):
                raise InvalidInput(f"item {item} has no URL", parameter="item")
            return self._field(request_id, item, Field.URLS, reason, actor)
        if url is None:
            if not record.url:
                raise InvalidInput(f"item {item} has no permalink: give the URL to redact",
                                   parameter="url")
            return self._field(request_id, item, Field.PERMALINK, reason, actor)
        if not url.strip():
            raise InvalidInput("the URL to redact is empty", parameter="url")
        if not any(span_of(t, url) for t in [record.url or "", *(
                value for c in self.contents(item) for value in strings_of(c))]):
            raise InvalidInput(f"item {item} does not contain that URL", parameter="url")
        return self._field(request_id, item, Field.URL, reason, actor, url=url)

    def _media_name(self, item: int, media: str) -> str:
        """The name the record knows a media file by (as `show` lists it), given that name
        or only its last part ("map.jpg" for "media/map.jpg"), when no other file has it."""
        names = self.reading.media_of(item)
        if media in names:
            return media
        same = [name for name in names if name.rsplit("/", 1)[-1] == media]
        if len(same) == 1:
            return same[0]
        listed = ", ".join(sorted(names)) or "none"
        raise InvalidInput(f"item {item} has no media file {media!r}" + (
            " (several end so: give the whole name)" if same else "") +
            f"; its media files: {listed}", parameter="media")

    def urls_in(self, item: int) -> list[str]:
        """The URLs in a record's text (every version), each once, sorted: what one may
        redact one at a time."""
        return sorted({text[a:b] for c in self.contents(item)
                       for text in [text_of(c)] for a, b in url_spans(text)})

    def redactions(self, request_id: int, item: int | None = None) -> list[dict]:
        """The redactions in force on a request (or one of its records), in the order they
        were made, each with its id (to `unredact` it), item, reason and what it hides:
        `phrase`, `media`, or `field` (author, handle, permalink, url, urls) with `url`.
        They name redacted words: show them to staff only."""
        listed = []
        for redaction in self.state(request_id).redactions.values():
            if item is not None and redaction.item != item:
                continue
            entry = {"id": redaction.id, "item": redaction.item, "reason": redaction.reason}
            if isinstance(redaction, TextRedaction):
                entry |= {"kind": "text", "phrase": redaction.phrase}
            elif isinstance(redaction, MediaRedaction):
                entry |= {"kind": "media", "media": redaction.media}
            else:
                entry |= {"kind": "field", "field": redaction.field, "url": redaction.url}
            listed.append(entry)
        return sorted(listed, key=lambda e: e["id"])

    def unredact(self, request_id: int, redaction_id: int, why: str, actor: str) -> None:
        """Withdraw a redaction (of any kind), with the reason."""
        if not why.strip():
            raise InvalidInput("removing a redaction needs a reason", parameter="why")
        if redaction_id not in self.state(request_id).redactions:
            raise NotFound("redaction", redaction_id)
        self._event(request_id, Action.UNREDACT, {"id": redaction_id, "why": why}, actor)

    # -- the events ---------------------------------------------------------------------

    def _redactable(self, request_id: int, item: int, reason: str):  # noqa: ANN202
        if not reason.strip():
            raise InvalidInput("a redaction needs a reason: the exemption and its citation",
                               parameter="reason")
        if item not in self.state(request_id).items:
            raise InvalidInput(f"item {item} is not in request {request_id}'s collection")
        return self.reading.item(item)

    def _field(self, request_id: int, item: int, field: Field, reason: str, actor: str,
               url: str | None = None) -> int:
        for existing in self.state(request_id).redactions_of(item):
            if isinstance(existing, FieldRedaction) and (existing.field, existing.url) == (
                    field.value, url):
                raise InvalidInput(f"item {item}'s {field.value} is redacted already "
                                   f"(redaction {existing.id}): unredact it to change the "
                                   "reason")
        details = {"item": item, "field": field.value, "reason": reason.strip()}
        if url is not None:
            details["url"] = url
        return self._add(request_id, details, actor, secret="url" if url else None)

    def _add(self, request_id: int, details: dict, actor: str, secret: str | None) -> int:
        """The redaction event; `secret` names the member the audit log gets only the
        SHA-256 of (the words or URL redacted)."""
        with self.context.write() as tx:
            redaction_id = tx.next_id("request_events")  # the redaction is its event
            details["id"] = redaction_id
            audit = {k: v for k, v in details.items() if k != secret}
            if secret:
                audit[f"{secret}_sha256"] = hashlib.sha256(details[secret].encode()
                                                           ).hexdigest()
            self.record_event(tx, request_id, Action.REDACT, details, actor, audit,
                              event_id=redaction_id)
        return redaction_id
