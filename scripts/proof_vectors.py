"""Write docs/proof-vectors/: inclusion proofs every verifier must accept or reject.

    python scripts/proof_vectors.py [OUT]        # default: docs/proof-vectors

Deterministic: a fixed Ed25519 seed, a fixed clock and fixed archive ids, so a second run
writes the same bytes (tests/test_proof_vectors.py compares the committed files with a
fresh run). Entries, checkpoint bodies, audit paths and signatures come from the archive's
own code (store.entries, store.checkpoint, store.merkle). index.json labels each invalid
proof with the rule of docs/proof-format.md it breaks. Wherever a lenient verifier could
read past that rule, the proof is otherwise sound (its signature verifies and its audit
path leads to the signed root), so a verifier that skips the rule accepts it.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import sys
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicarchive.clock import FixedClock, format_time
from civicarchive.store.canonical import canonical_json
from civicarchive.store.checkpoint import CheckpointBody, public_pem, public_raw
from civicarchive.store.entries import audit_entry, tombstone_entry, version_entry_of
from civicarchive.store.merkle import inclusion_path, leaf_hash, root_from_inclusion, root_of
from civicarchive.store.proof import FORMAT

OUT = Path(__file__).resolve().parents[1] / "docs" / "proof-vectors"
# Test keys: their seeds are published right here, so nothing they sign deserves trust.
KEY = Ed25519PrivateKey.from_private_bytes(
    hashlib.sha256(b"civicarchive proof vectors: the archive key").digest())
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(
    hashlib.sha256(b"civicarchive proof vectors: another key").digest())
ORIGIN = str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:civicarchive:proof-vectors"))
SINGLE_ORIGIN = str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:civicarchive:proof-vectors:single"))
START = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
ED25519_L = 2**252 + 27742317777372353535851937790883648493  # the group order (RFC 8032)
_DROP = object()  # an entry member to leave out


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Ledger:
    """A made-up archive's ledger, written as the archive writes it, with a checkpoint
    (by time) after every entry, as the archive seals every write."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.clock = FixedClock(START, timedelta(seconds=7))
        self.entries: list[bytes] = []
        self.sealed_at: list[str] = []  # the checkpoint time of each tree size - 1
        self.contents: dict[int, str] = {}  # version id -> its canonical content text
        self.purged: dict[int, str] = {}  # what a purge removed, for forgeries to reuse
        self.index_of: dict[int, int] = {}  # version id -> its leaf index

    def _append(self, entry: bytes) -> int:
        self.entries.append(entry)
        self.sealed_at.append(format_time(self.clock.now()))
        return len(self.entries) - 1

    def audit(self, action: str, subject: str, **details: object) -> None:
        self._append(audit_entry(audit_id=len(self.entries) + 1, at=self.now(), actor="clerk",
                                 action=action, subject=subject,
                                 details=canonical_json(details).decode()))

    def now(self) -> str:
        return format_time(self.clock.now())

    def version(self, version_id: int, item: int, native_id: str, kind: str, event: str,
                content: dict, *, parent: str | None = None, author: str = "city",
                bare: bool = False) -> None:
        """Append a version entry; a `bare` one has no author, url or creation time."""
        text = canonical_json(content).decode()
        self.contents[version_id] = text
        now = self.now()
        row = (None, version_id, item, event, now, now, hashlib.sha256(text.encode()).digest(),
               hashlib.sha256(f"raw {native_id} {event}".encode()).digest(),
               "jsonl:capture-2024-03.jsonl", 1, native_id, kind, parent,
               None if bare else author,
               None if bare else f"https://social.example/@city/{native_id}",
               None if bare else format_time(START), "mastodon")
        self.index_of[version_id] = self._append(version_entry_of(row))

    def tombstone(self, version_id: int) -> None:
        entry = json.loads(self.entries[self.index_of[version_id]])
        self._append(tombstone_entry(version_id=version_id,
                                     content_sha256=entry["content_sha256"],
                                     raw_sha256=entry["raw_sha256"],
                                     reason="schedule GS-50 item 3, approved",
                                     purged_at=self.now()))
        self.purged[version_id] = self.contents.pop(version_id)

    def checkpoint(self, size: int, entries: list[bytes] | None = None,
                   v1: bool = False) -> CheckpointBody:
        """The checkpoint of `size` (number `size`: one is sealed after every entry),
        chained to the honest one before it; a `v1` body carries no chain."""
        root = root_of([leaf_hash(entry) for entry in (entries or self.entries)[:size]])
        if v1:
            return CheckpointBody(self.origin, size, root, self.sealed_at[size - 1])
        previous = self.checkpoint(size - 1).digest() if size > 1 else None
        return CheckpointBody(self.origin, size, root, self.sealed_at[size - 1], number=size,
                              previous=previous)

    def prove(self, version_id: int, size: int, *, entries: list[bytes] | None = None,
              body: Callable[[str], str] = str, key: Ed25519PrivateKey = KEY,
              index: int | None = None, v1: bool = False) -> dict:
        """The proof of a version against the checkpoint of `size`, as the archive writes
        it; `entries` replaces the ledger's and `body` rewrites the text before signing."""
        entries = (entries or self.entries)[:size]
        index = self.index_of[version_id] if index is None else index
        leaves = [leaf_hash(entry) for entry in entries]
        text = body(self.checkpoint(size, entries, v1).text())
        return {
            "format": FORMAT,
            "version_id": version_id,
            "leaf_index": index,
            "entry": entries[index].decode(),
            "content": self.contents.get(version_id),
            "tree_size": size,
            "audit_path": [h.hex() for h in inclusion_path(index, leaves)],
            "checkpoint": {"body": text, "signature": b64(key.sign(text.encode()))},
            "public_key": b64(public_raw(key.public_key())),
        }

    def with_entry(self, version_id: int, entry: str | bytes) -> list[bytes]:
        """The ledger with one version's entry replaced, as a dishonest signer would sign it."""
        entries = list(self.entries)
        entries[self.index_of[version_id]] = entry.encode() if isinstance(entry, str) else entry
        return entries

    def entry(self, version_id: int) -> dict:
        return json.loads(self.entries[self.index_of[version_id]])


def city_ledger() -> Ledger:
    """23 entries: audits, versions of every kind and event, and a purge."""
    ledger = Ledger(ORIGIN)
    ledger.audit("archive.init", f"archive {ORIGIN}", agency="City of Example")
    ledger.audit("account.register", "account 1", platform="mastodon", handle="city")
    ledger.version(1, 1, "p-1", "post", "created",
                   {"author": "city", "text": "Elm Street is closed from Monday for repairs."})
    ledger.version(2, 2, "p-2", "post", "created", {"author": "city", "text": "Council at 7."})
    ledger.version(3, 3, "c-3", "comment", "created",
                   {"author": "Zoë Ñúñez", "text": "Merci ! 🚧\nQuand rouvre-t-elle ?"},
                   parent="p-1", author="Zoë Ñúñez")
    ledger.version(4, 4, "p-3", "post", "created", {"author": "city", "text": "Pool hours"})
    ledger.audit("import.run", "import 1", versions=4)
    ledger.version(5, 1, "p-1", "post", "edited",
                   {"author": "city", "text": "Elm Street is closed from Tuesday for repairs."})
    ledger.version(6, 5, "r-6", "reply", "created", {"text": "Thanks"}, parent="c-3",
                   bare=True)
    ledger.version(7, 2, "p-2", "post", "deleted", {"author": "city", "text": "Council at 7."})
    ledger.version(8, 6, "c-8", "comment", "hidden", {"author": "spam", "text": "Buy now"},
                   parent="p-3", author="spam")
    ledger.version(9, 7, "m-9", "media", "created", {"media_type": "image/jpeg"})
    ledger.version(10, 8, "p-4", "post", "created", {"author": "city", "text": "Snow plan"})
    ledger.audit("import.run", "import 2", versions=6)
    ledger.version(11, 9, "dm-11", "message", "created", {"text": "Where do I pay?"},
                   author="resident")
    ledger.version(12, 10, "profile", "profile", "created", {"display_name": "City"})
    ledger.version(13, 6, "c-8", "comment", "unhidden", {"author": "spam", "text": "Buy now"},
                   parent="p-3", author="spam")
    ledger.version(14, 4, "p-3", "post", "restored", {"author": "city", "text": "Pool hours"})
    ledger.audit("retention.approve", "disposition 1", versions=[2])
    ledger.tombstone(2)
    ledger.audit("retention.purge", "disposition 1", versions=[2])
    ledger.version(15, 11, "p-5", "post", "created", {"author": "city", "text": "Fireworks"})
    ledger.audit("import.run", "import 3", versions=1)
    assert len(ledger.entries) == 23 and ledger.index_of[8] == 10
    return ledger


def valid_vectors(city: Ledger, single: Ledger) -> dict[str, tuple[str, dict]]:
    size = len(city.entries)
    return {
        "post": ("a post, content included, in a tree of 23", city.prove(1, size)),
        "comment-non-ascii": ("a comment with non-ASCII text, an emoji and a line feed in "
                              "entry and content (hashed as UTF-8)", city.prove(3, size)),
        "nulls": ("a reply whose author, url and created_at are null", city.prove(6, size)),
        "purged-content-null": ("a purged version: content is null, the entry still proven",
                                city.prove(2, size)),
        "edited-older-checkpoint": ("an edited post against an older checkpoint (size 16)",
                                    city.prove(5, 16)),
        "power-of-two-tree": ("a hidden comment, leaf 10 of a tree of 16", city.prove(8, 16)),
        "last-leaf": ("the last leaf of a tree of 22: the path skips a level",
                      city.prove(15, 22)),
        "single-entry-tree": ("a tree of one entry: leaf 0, an empty audit path, "
                              "checkpoint 1 (previous is 64 zeros)", single.prove(1, 1)),
        "v1-body": ("a checkpoint body of version 1, as archives signed before checkpoints "
                    "were numbered and chained", city.prove(1, size, v1=True)),
    }


def invalid_vectors(city: Ledger, single: Ledger) -> list[tuple[str, str, str, dict | bytes]]:
    """(rule, case, description, proof or file bytes) for every rule the format has."""
    size = len(city.entries)
    base = city.prove(1, size)
    found: list[tuple[str, str, str, dict | bytes]] = []

    def add(rule: str, case: str, description: str, proof: dict | bytes) -> None:
        found.append((rule, case, description, proof))

    def changed(change: Callable[[dict], object], proof: dict | None = None) -> dict:
        doc = copy.deepcopy(base if proof is None else proof)
        change(doc)
        return doc

    def set_member(name: str, value: object) -> Callable[[dict], None]:
        return lambda doc: doc.__setitem__(name, value)

    def set_checkpoint(name: str, value: object) -> Callable[[dict], None]:
        return lambda doc: doc["checkpoint"].__setitem__(name, value)

    def signed_entry(version_id: int, entry: str, **extra: object) -> dict:
        return city.prove(version_id, size, entries=city.with_entry(version_id, entry), **extra)

    def entry_with(version_id: int, **members: object) -> str:
        entry = city.entry(version_id)
        entry.update(members)
        return canonical_json({k: v for k, v in entry.items() if v is not _DROP}).decode()

    def body_with(old: str, new: str, version_id: int = 1) -> dict:
        def rewrite(text: str) -> str:
            assert old in text
            return text.replace(old, new)
        return city.prove(version_id, size, body=rewrite)

    text = serialise(base)
    add("json", "byte-order-mark", "the file starts with a UTF-8 byte order mark",
        b"\xef\xbb\xbf" + text)
    add("json", "truncated", "the file ends in the middle of the text", text[:-40])
    add("duplicate-member", "version-id", 'version_id appears twice, a forged 2 first and the '
        'true 1 last: a parser that keeps the last sees a sound proof',
        b'{\n  "version_id": 2,' + text[1:])
    add("duplicate-member", "in-entry", 'the signed entry names "version" twice',
        signed_entry(1, '{"version":2,' + city.entries[2].decode()[1:]))
    add("unicode", "content-lone-surrogate", r"content is the unpaired surrogate \ud800",
        serialise(changed(set_member("content", "@"))).replace(b'"content": "@"',
                                                              b'"content": "\\ud800"'))
    add("unicode", "entry-lone-surrogate", r"the signed entry's source is \ud800",
        signed_entry(1, entry_with(1, source="@").replace('"@"', '"\\ud800"')))

    add("members", "content-missing", "content is absent (it must be present, possibly null)",
        changed(lambda doc: doc.pop("content")))
    add("members", "unknown-member", "an extra top-level member, note",
        changed(set_member("note", "checked by the clerk")))
    add("members", "checkpoint-unknown-member", "an extra checkpoint member, timestamp",
        changed(set_checkpoint("timestamp", "2024-03-01T12:00:00Z")))
    add("members", "not-an-object", "the file is an array holding the proof",
        b"[" + text.rstrip(b"\n") + b"]\n")

    add("types", "version-id-float", "version_id is 1.0, a number but not a JSON integer",
        changed(set_member("version_id", 1.0)))
    add("types", "leaf-index-exponent", "leaf_index is written 2e0",
        text.replace(b'"leaf_index": 2,', b'"leaf_index": 2e0,'))
    add("types", "leaf-index-false", "leaf_index is false where 0 is meant",
        changed(set_member("leaf_index", False), single.prove(1, 1)))
    negative_zero = serialise(single.prove(1, 1)).replace(b'"leaf_index": 0,',
                                                          b'"leaf_index": -0,')
    assert b"-0," in negative_zero
    add("types", "leaf-index-negative-zero", "leaf_index is written -0 where 0 is meant: a "
        "reader that takes it for the integer 0 accepts it", negative_zero)
    add("types", "tree-size-string", 'tree_size is the string "23"',
        changed(set_member("tree_size", str(size))))
    add("types", "content-object", "content is the parsed JSON object, not its text",
        changed(set_member("content", json.loads(base["content"]))))
    add("format", "version-2", "format names a version 2 this format does not describe",
        changed(set_member("format", "civicarchive-inclusion-proof/2")))

    add("version-id-range", "zero", "version_id 0, equal to the signed entry's version",
        signed_entry(1, entry_with(1, version=0)) | {"version_id": 0})
    add("version-id-range", "negative", "version_id -1, equal to the signed entry's version",
        signed_entry(1, entry_with(1, version=-1)) | {"version_id": -1})
    add("tree-size-range", "2-to-the-53", "tree_size 2^53, with a signed root and a path of "
        "53 hashes that fit it", huge_tree(city))
    negative = changed(set_member("leaf_index", 10 - 16), city.prove(8, 16))
    assert literal_root(negative) == bytes.fromhex(negative["checkpoint"]["body"].split(
        "\n")[3][5:]), "a negative index should fool a verifier without the range check"
    add("leaf-index-range", "negative", "leaf_index -6 for leaf 10 of 16: the RFC 9162 loop "
        "without the range check reaches the signed root", negative)
    add("leaf-index-range", "equals-tree-size", "leaf_index equal to tree_size",
        changed(set_member("leaf_index", size)))

    add("audit-path-hex", "upper-case", "an audit path element in upper-case hex",
        changed(lambda doc: doc["audit_path"].__setitem__(0, doc["audit_path"][0].upper())))
    add("audit-path-hex", "spaces", "an audit path element with spaces between bytes",
        changed(lambda doc: doc["audit_path"].__setitem__(0, " ".join(
            doc["audit_path"][0][i:i + 2] for i in range(0, 64, 2)))))
    key = base["public_key"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    loose = key[:42] + alphabet[alphabet.index(key[42]) | 1] + "="
    assert base64.b64decode(loose) == base64.b64decode(key) and loose != key
    add("base64", "public-key-non-canonical", "public_key with unused bits set in its last "
        "character: it decodes to the right key, but is not the one encoding",
        changed(set_member("public_key", loose)))
    add("base64", "public-key-line-break", "public_key broken over two lines",
        changed(set_member("public_key", key[:20] + "\n" + key[20:])))
    add("base64", "signature-unpadded", "checkpoint.signature without its == padding",
        changed(set_checkpoint("signature", base["checkpoint"]["signature"].rstrip("="))))
    add("base64", "signature-url-safe", "checkpoint.signature in the URL-safe alphabet",
        url_safe(city))
    add("key-length", "33-bytes", "public_key decodes to 33 bytes, the key and a zero",
        changed(set_member("public_key", b64(base64.b64decode(key) + b"\0"))))
    signature = base64.b64decode(base["checkpoint"]["signature"])
    add("signature-length", "65-bytes", "checkpoint.signature decodes to 65 bytes",
        changed(set_checkpoint("signature", b64(signature + b"\0"))))
    add("key-trusted", "another-key", "sound, but signed by another key than the published "
        "one (it verifies when no key is pinned)", city.prove(1, size, key=OTHER_KEY))
    add("signature", "bit-flip", "one bit of the signature flipped",
        changed(set_checkpoint("signature", b64(bytes([signature[0] ^ 1]) + signature[1:]))))
    s = int.from_bytes(signature[32:], "little") + ED25519_L
    add("signature", "s-plus-l", "the signature's S replaced by S + L: accepted by Ed25519 "
        "code that skips RFC 8032's check that S < L",
        changed(set_checkpoint("signature", b64(signature[:32] + s.to_bytes(32, "little")))))
    add("signature", "another-body", "the signature of the checkpoint of size 16",
        changed(set_checkpoint("signature", city.prove(1, 16)["checkpoint"]["signature"])))

    origin_line = f"origin {ORIGIN}\n"
    size_line = f"\nsize {size}\n"
    add("body-lines", "crlf", "body lines end in CR LF", body_with("\n", "\r\n"))
    add("body-lines", "no-final-line-feed", "the last line has no line feed",
        city.prove(1, size, body=lambda t: t[:-1]))
    add("body-lines", "blank-line-at-end", "a blank line after the last",
        city.prove(1, size, body=lambda t: t + "\n"))
    add("body-lines", "extra-line", "a line after previous, note",
        city.prove(1, size, body=lambda t: t + "note verified\n"))
    add("body-lines", "order", "the size line before the origin line",
        body_with(origin_line + f"size {size}\n", f"size {size}\n" + origin_line))
    add("body-lines", "header-v3", "the header says v3",
        body_with("checkpoint v2\n", "checkpoint v3\n"))
    add("body-lines", "v1-header-chained", "a v1 header over the seven lines of a v2 body",
        body_with("checkpoint v2\n", "checkpoint v1\n"))
    add("body-lines", "v2-header-unchained", "a v2 header over the five lines of a v1 body",
        city.prove(1, size, v1=True, body=lambda t: t.replace("checkpoint v1\n",
                                                             "checkpoint v2\n")))
    add("body-origin", "upper-case", "the origin UUID in upper case",
        body_with(origin_line, origin_line.upper().replace("ORIGIN", "origin")))
    add("body-origin", "not-a-uuid", "the origin is a name, not a UUID",
        body_with(origin_line, "origin city-of-example\n"))
    add("body-size", "leading-zero", "the size with a leading zero (023)",
        body_with(size_line, f"\nsize 0{size}\n"))
    add("body-size", "plus-sign", "the size with a plus sign",
        body_with(size_line, f"\nsize +{size}\n"))
    add("body-size", "two-spaces", "two spaces after size", body_with(size_line,
                                                                      f"\nsize  {size}\n"))
    root_line = base["checkpoint"]["body"].split("\n")[3]
    add("body-root", "upper-case", "the root in upper-case hex",
        body_with(root_line, "root " + root_line[5:].upper()))
    when = city.sealed_at[size - 1]
    add("body-time", "no-fraction", "the time without its six fractional digits",
        body_with(f"time {when}", f"time {when[:19]}Z"))
    add("body-time", "offset", "the time with +00:00 instead of Z",
        body_with(f"time {when}", f"time {when[:-1]}+00:00"))
    add("body-time", "impossible-date", "30 February",
        body_with(f"time {when}", f"time 2024-02-30{when[10:]}"))
    add("body-time", "second-60", "a leap second, 23:59:60",
        body_with(f"time {when}", f"time {when[:11]}23:59:60{when[19:]}"))
    number_line = f"\nnumber {size}\n"
    add("body-number", "leading-zero", "the number with a leading zero (023)",
        body_with(number_line, f"\nnumber 0{size}\n"))
    add("body-number", "zero", "checkpoint number 0", body_with(number_line, "\nnumber 0\n"))
    previous_line = base["checkpoint"]["body"].split("\n")[6]
    add("body-previous", "upper-case", "the previous hash in upper-case hex",
        body_with(previous_line, "previous " + previous_line[9:].upper()))
    add("body-previous", "first-not-genesis", "checkpoint 1 names a previous checkpoint",
        single.prove(1, 1, body=lambda t: t.replace("0" * 64, "ab" * 32)))
    add("body-previous", "genesis-not-first", "checkpoint 23 names no previous checkpoint",
        body_with(previous_line, "previous " + "0" * 64))
    add("tree-size-match", "body-larger", "the body signs size 24 over the root of 23",
        body_with(size_line, f"\nsize {size + 1}\n"))

    add("entry-json", "not-json", "the signed entry is plain text",
        signed_entry(1, "version 1 of item 1"))
    add("entry-json", "array", "the signed entry is a JSON array",
        signed_entry(1, f"[{city.entries[2].decode()}]"))
    add("entry-type", "audit-entry", "the leaf is an audit entry, not a version",
        city.prove(1, size, index=1) | {"content": None})
    add("entry-type", "tombstone", "the leaf is the tombstone of version 2, which has its "
        "version and content_sha256, shown with the purged content",
        city.prove(2, size, index=19) | {"content": city.purged[2]})
    add("entry-members", "missing-raw-sha256", "the signed entry lacks raw_sha256",
        signed_entry(1, entry_with(1, raw_sha256=_DROP)))
    add("entry-members", "unknown-member", "the signed entry has an extra member, note",
        signed_entry(1, entry_with(1, note="x")))
    add("entry-members", "version-string", 'the signed entry\'s version is the string "1"',
        signed_entry(1, entry_with(1, version="1")))
    add("entry-members", "version-float", "the signed entry's version is written 1.0",
        signed_entry(1, entry_with(1).replace('"version":1', '"version":1.0')))
    add("entry-members", "content-sha256-upper-case", "the signed content_sha256 in upper "
        "case", signed_entry(1, entry_with(1, content_sha256=city.entry(1)[
            "content_sha256"].upper())))
    add("entry-members", "time-without-fraction", "the signed observed_at without fraction",
        signed_entry(1, entry_with(1, observed_at=city.entry(1)["observed_at"][:19] + "Z")))
    add("entry-members", "unknown-kind", 'the signed kind is "story"',
        signed_entry(1, entry_with(1, kind="story")))
    add("entry-members", "kind-array", "the signed kind is an array, [\"post\"]",
        signed_entry(1, entry_with(1, kind=["post"])))
    add("entry-members", "event-object", "the signed event is an object",
        signed_entry(1, entry_with(1, event={"created": True})))
    add("entry-members", "item-zero", "the signed item id is 0",
        signed_entry(1, entry_with(1, item=0)))
    entry = city.entry(1)
    add("entry-canonical", "whitespace", "the signed entry has spaces after : and ,",
        signed_entry(1, json.dumps(entry, sort_keys=True, ensure_ascii=False)))
    add("entry-canonical", "unsorted", "the signed entry's members are not sorted",
        signed_entry(1, json.dumps(dict(reversed(entry.items())), ensure_ascii=False,
                                   separators=(",", ":"))))
    add("entry-canonical", "escaped-non-ascii", r"the signed entry writes é as \u00e9",
        signed_entry(3, json.dumps(city.entry(3), sort_keys=True, separators=(",", ":"))))
    add("entry-canonical", "escaped-slash", r"the signed entry writes / as \/ in url",
        signed_entry(1, entry_with(1).replace("https://", "https:\\/\\/")))
    add("entry-version", "mismatch", "version_id 2 for the entry of version 1",
        changed(set_member("version_id", 2)))
    add("content-hash", "altered", "one word of the content changed",
        changed(set_member("content", base["content"].replace("Elm", "Oak"))))
    add("content-hash", "trailing-newline", "the content with a line feed added",
        changed(set_member("content", base["content"] + "\n")))
    add("content-hash", "re-serialised", "the content re-serialised with spaces",
        changed(set_member("content", json.dumps(json.loads(base["content"])))))
    add("audit-path-length", "short", "the audit path without its last hash",
        changed(lambda doc: doc["audit_path"].pop()))
    add("audit-path-length", "long", "the audit path with a hash too many",
        changed(lambda doc: doc["audit_path"].append(doc["audit_path"][0])))
    add("root-match", "flipped-path-digit", "one hex digit of the audit path changed",
        changed(lambda doc: doc["audit_path"].__setitem__(1, flip(doc["audit_path"][1]))))
    add("root-match", "swapped-siblings", "two audit path hashes swapped",
        changed(lambda doc: doc["audit_path"].reverse()))
    add("root-match", "entry-altered", "the entry's native_id changed after signing",
        changed(set_member("entry", base["entry"].replace('"p-1"', '"p-7"'))))
    return found


def flip(hex_text: str) -> str:
    return ("1" if hex_text[0] == "0" else "0") + hex_text[1:]


def literal_root(doc: dict) -> bytes:
    """The root a verifier following RFC 9162 2.1.3.2 without its range check computes."""
    fn, sn = doc["leaf_index"], doc["tree_size"] - 1
    r = leaf_hash(doc["entry"].encode())
    for p in map(bytes.fromhex, doc["audit_path"]):
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    return r


def huge_tree(city: Ledger) -> dict:
    """A proof of version 1 in a tree of 2^53 leaves, sound but for tree_size's range."""
    size, index = 2**53, 2
    path = [hashlib.sha256(b"filler %d" % n).digest() for n in range(53)]
    root = root_from_inclusion(index, size, leaf_hash(city.entries[index]), path)
    text = CheckpointBody(ORIGIN, size, root, city.sealed_at[-1], number=len(city.entries) + 1,
                          previous=city.checkpoint(len(city.entries)).digest()).text()
    return city.prove(1, len(city.entries)) | {
        "tree_size": size, "audit_path": [h.hex() for h in path],
        "checkpoint": {"body": text, "signature": b64(KEY.sign(text.encode()))}}


def url_safe(city: Ledger) -> dict:
    """The first proof of version 1 whose signature has a + or /, in the URL-safe alphabet."""
    for size in range(len(city.entries), 2, -1):
        doc = city.prove(1, size)
        signature = doc["checkpoint"]["signature"]
        if "+" in signature or "/" in signature:
            doc["checkpoint"]["signature"] = signature.replace("+", "-").replace("/", "_")
            return doc
    raise AssertionError("no signature with + or /")


def serialise(doc: dict) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def build() -> dict[str, bytes]:
    """Every file of docs/proof-vectors/, by path relative to it."""
    city = city_ledger()
    single = Ledger(SINGLE_ORIGIN)
    single.version(1, 1, "p-1", "post", "created", {"author": "city", "text": "Hello"})
    files: dict[str, bytes] = {}
    index: dict = {
        "format": FORMAT,
        "about": "Inclusion proofs for testing a verifier of docs/proof-format.md; "
                 "regenerate with python scripts/proof_vectors.py",
        "public_key": b64(public_raw(KEY.public_key())),
        "public_key_pem": "public-key.pem",
        "public_key_sha256": hashlib.sha256(public_raw(KEY.public_key())).hexdigest(),
        "valid": [], "invalid": []}
    for name, (description, doc) in valid_vectors(city, single).items():
        files[f"valid/{name}.json"] = serialise(doc)
        index["valid"].append({"file": f"valid/{name}.json", "description": description})
    for rule, case, description, doc in invalid_vectors(city, single):
        path = f"invalid/{rule}--{case}.json"
        assert path not in files, path
        files[path] = doc if isinstance(doc, bytes) else serialise(doc)
        index["invalid"].append({"file": path, "rule": rule, "description": description})
    files["public-key.pem"] = public_pem(KEY.public_key())
    files["index.json"] = serialise(index)
    return files


def write(out: Path) -> int:
    """Write the vectors to `out`, dropping stale ones; the number of files written."""
    files = build()
    for old in [*out.glob("valid/*.json"), *out.glob("invalid/*.json")]:
        if old.relative_to(out).as_posix() not in files:
            old.unlink()
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    return len(files)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    print(f"wrote {write(target)} files to {target}")
