"""Bluesky repository exports: the CAR file `com.atproto.sync.getRepo` returns (and the
app's "Export my data" button saves).

A repository is a signed commit over a Merkle Search Tree whose leaves are records keyed
`collection/rkey`. Because it is content-addressed, it can be proved: every block is
re-hashed against its CID and a CAR that fails is refused, and the commit signature is
checked when the account's signing key is given as `context.evidence["public_key"]`
(a `did:key:...`, or the `publicKeyMultibase` `z...` exactly as the account's DID document
writes it; nothing is resolved over the network). atproto accepts only low-S ECDSA
signatures, so a high-S one is refused, and the refusal says so. The outcome goes to
`context.evidence` (`signature`, `did`, `rev`, `commit`).

The commit's `rev` is a TID, the time the repository reached this state: observations
are dated by it (and `export_generated_at` says so), since every record in the export
was so at that moment.

What becomes an observation, with `at://<did>/<collection>/<rkey>` as its native id and
the record's DAG-CBOR block as its raw bytes:
- `app.bsky.feed.post`: POST, or REPLY when it replies (parent = the parent post's uri);
- `app.bsky.feed.repost` and `app.bsky.feed.like`: POST with content `type` "repost" or
  "like" and `subject`, the uri acted on. They are the account's own public acts, so
  they are kept as its items; a separate kind would need the model to change, and a
  parent would claim they belong to someone else's post;
- `app.bsky.actor.profile`: PROFILE.
Other collections (follows, blocks, lists...) are counted in
`context.evidence["records_not_imported"]` and reported as problems, as are record
fields, embeds and facets not read, and files of the export that are neither the CAR nor
a blob a post lists.

Blobs (images, video) are not in a repository CAR; posts list them as attachments by
CID. When the export also holds blob files named by CID (as `goat blob export` writes
them), each one whose bytes match its CID becomes a MEDIA observation after its post.

A repository is the complete current state: a record deleted since the last export is
simply absent, so posts and replies are complete: unless a tree node or an imported
record is missing (a partial `since` export) or unreadable, which is reported and then
claims nothing complete, so nothing is wrongly marked deleted. The whole CAR is held in
memory while it is read (the tree needs random access to its blocks; a repository holds
no media, so it stays small).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import PurePosixPath

import libipld
from atproto_core.exceptions import AtProtocolError
from atproto_crypto.consts import (DID_KEY_PREFIX, P256_CURVE_ORDER, P256_JWT_ALG,
                                   SECP256K1_CURVE_ORDER, SECP256K1_JWT_ALG)
from atproto_crypto.did import parse_did_key
from atproto_crypto.verify import verify_signature

from civicarchive.clock import parse_time
from civicarchive.connectors.base import ImportContext
from civicarchive.connectors.car import Repository, cid_text, header
from civicarchive.connectors.files import ExportFiles
from civicarchive.connectors.reading import Unread, date_by_export, report_unread_files
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Kind, Observation

RAW_MEDIA_TYPE = "application/vnd.ipld.dag-cbor"
POST, REPOST, LIKE, PROFILE = ("app.bsky.feed.post", "app.bsky.feed.repost",
                               "app.bsky.feed.like", "app.bsky.actor.profile")
# facet feature -> (its field, the content list it goes to)
FACETS = {"link": ("uri", "urls"), "mention": ("did", "mentions"), "tag": ("tag", "hashtags")}
# The fields read, by collection; any other field of a record is reported as not read.
FIELDS = {POST: frozenset({"$type", "text", "createdAt", "langs", "facets", "reply", "embed",
                           "labels", "tags"}),
          PROFILE: frozenset({"$type", "displayName", "description", "avatar", "banner",
                              "pinnedPost", "labels", "createdAt"}),
          REPOST: frozenset({"$type", "subject", "createdAt"}),
          LIKE: frozenset({"$type", "subject", "createdAt"})}
# The keys of each embed read (or, like aspectRatio, holding no words or media).
EMBEDS = {"app.bsky.embed.images": frozenset({"$type", "images"}),
          "app.bsky.embed.video": frozenset({"$type", "video", "alt", "aspectRatio"}),
          "app.bsky.embed.external": frozenset({"$type", "external"}),
          "app.bsky.embed.record": frozenset({"$type", "record"}),
          "app.bsky.embed.recordWithMedia": frozenset({"$type", "record", "media"})}
CURVE_ORDERS = {SECP256K1_JWT_ALG: SECP256K1_CURVE_ORDER, P256_JWT_ALG: P256_CURVE_ORDER}
TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"   # base32-sortable


class BlueskyCarImporter:
    format = "bluesky"
    platform = "bluesky"

    def detect(self, files: ExportFiles) -> bool:
        return bool(_repository_names(files))

    def read(self, files: ExportFiles, context: ImportContext) -> Iterator[Observation]:
        names = _repository_names(files)
        if not names and (unreadable := _car_names(files)):
            raise InvalidInput(f"{files.where(unreadable[0])}: does not begin with a CAR "
                               "header, so it is damaged or not a repository: download it "
                               "again (com.atproto.sync.getRepo)")
        if len(names) != 1:
            found = ", ".join(names) if names else "none"
            raise InvalidInput(f"{files.path}: expected one Bluesky repository CAR file, "
                               f"found {found}; import each repository on its own")
        where = files.where(names[0])
        repo = Repository(files.read(names[0]), where)
        did = verify_commit(repo, context.evidence.get("public_key"), context.evidence)["did"]
        _date_by_rev(context, where)
        blob_files = {PurePosixPath(n).name.split(".")[0]: n for n in files.names()
                      if n != names[0]}
        skipped: Counter[str] = Counter()
        unread = Unread(context)
        taken = {names[0]}
        for key, cid in repo.records(context):
            collection, _, rkey = key.partition("/")
            if collection not in FIELDS:
                skipped[collection] += 1
                continue
            block = repo.block(cid)
            observation = _observation(collection, rkey, block, did, context, where, repo,
                                       unread)
            if observation is None:
                continue
            yield observation
            yield from _media(observation, blob_files, files, context, taken)
        context.evidence["records_not_imported"] = dict(sorted(skipped.items()))
        for collection, count in sorted(skipped.items()):
            context.problem(where, f"{count} record(s) of {collection} are not imported "
                            "(only posts, reposts, likes and the profile are)")
        unread.report()
        report_unread_files(files, taken, context)
        if not repo.gaps:
            context.complete_kinds = {Kind.POST, Kind.REPLY}


def verify_commit(repo: Repository, given_key: str | None, evidence: dict) -> dict:
    """Check the root commit and, when a key is given, its signature; the commit (did,
    rev, data, sig...). `evidence` gets did, rev, commit (its CID) and signature. Raises
    InvalidInput, saying why, for a root that is no commit and for a signature that
    does not verify (a high-S one included: atproto forbids them)."""
    block = repo.block(repo.root)
    try:
        commit = libipld.decode_dag_cbor(block) if block is not None else None
    except (ValueError, RecursionError):
        commit = None
    if not (isinstance(commit, dict) and isinstance(commit.get("did"), str)
            and isinstance(commit.get("data"), bytes) and isinstance(commit.get("sig"), bytes)):
        raise InvalidInput(f"{repo.where}: the root {cid_text(repo.root)} is not a repository "
                           "commit (did, data, sig); is this a getRepo export?")
    evidence.update(did=commit["did"], rev=commit.get("rev"), commit=cid_text(repo.root))
    if not given_key:
        evidence["signature"] = "not checked (no key)"
        return commit
    key = _did_key(given_key)
    unsigned = libipld.encode_dag_cbor({k: v for k, v in commit.items() if k != "sig"})
    try:
        valid = verify_signature(key, unsigned, commit["sig"])
        high_s = not valid and _verifies_once_low_s(key, unsigned, commit["sig"])
    except (AtProtocolError, ValueError) as error:
        raise InvalidInput(f"{repo.where}: the public key {given_key!r} is not a secp256k1 or "
                           f"P-256 key ({error}); give the key of the #atproto verification "
                           "method in the account's DID document: its publicKeyMultibase "
                           "(z...) or the same as a did:key:z...") from None
    evidence["signature"] = "valid" if valid else "invalid (high-S)" if high_s else "invalid"
    if high_s:
        raise InvalidInput(f"{repo.where}: the commit {cid_text(repo.root)} signature is a "
                           "high-S (non-canonical) ECDSA signature, which atproto rejects: "
                           f"it matches {key} only once normalised to low-S, so the "
                           f"repository is not validly signed by {commit['did']}: refusing it")
    if not valid:
        raise InvalidInput(f"{repo.where}: the commit {cid_text(repo.root)} signature does not "
                           f"verify with {key}; the repository is not what {commit['did']} "
                           "signed, or the key is not the account's: refusing it")
    return commit


def _did_key(key: str) -> str:
    """A did:key from a key as given: a did:key, or a DID document's publicKeyMultibase
    (the same multikey without the `did:key:` prefix)."""
    key = key.strip()
    return DID_KEY_PREFIX + key if key.startswith("z") else key


def _verifies_once_low_s(key: str, unsigned: bytes, sig: bytes) -> bool:
    """Whether a signature that failed is high-S and its low-S twin (r, n - s) verifies:
    a valid ECDSA signature in the form atproto forbids, to tell it from a wrong one."""
    order = CURVE_ORDERS.get(parse_did_key(key).jwt_alg)
    if order is None or len(sig) != 64:
        return False
    s = int.from_bytes(sig[32:], "big")
    if not order // 2 < s < order:
        return False
    return verify_signature(key, unsigned, sig[:32] + (order - s).to_bytes(32, "big"))


def _date_by_rev(context: ImportContext, where: str) -> None:
    """Date the observations by the commit's rev, a TID: 13 base32-sortable characters
    holding microseconds since 1970 above a 10-bit clock id."""
    rev = context.evidence.get("rev")
    if rev is None:  # commits before version 3 have none
        return
    if not (isinstance(rev, str) and len(rev) == 13 and rev[0] in TID_CHARS[:16]
            and all(c in TID_CHARS for c in rev)):
        context.problem(where, f"the commit's rev {rev!r} is not a TID; the observations "
                        "are dated by the import")
        return
    value = 0
    for char in rev:
        value = value * 32 + TID_CHARS.index(char)
    moment = datetime.fromtimestamp((value >> 10) / 1e6, timezone.utc)
    date_by_export(context, moment, f"the commit's rev {rev}", where)


def _observation(collection: str, rkey: str, block: bytes | None, did: str,
                 context: ImportContext, where: str, repo: Repository,
                 unread: Unread) -> Observation | None:
    uri = f"at://{did}/{collection}/{rkey}"
    try:
        if block is None:
            raise ValueError("its block is not in the file")
        return record_observation(collection, rkey, decode_record(block), block, did,
                                  context.account_id, context.observed_at,
                                  lambda what: unread.note(where, what, uri))
    except (ValueError, RecursionError, OverflowError) as error:
        repo.gaps += 1
        context.problem(where, f"record {uri} cannot be read ({error}); skipped")
        return None


def decode_record(block: bytes) -> dict:
    """A record's DAG-CBOR block as a map; ValueError when it is not one."""
    record = libipld.decode_dag_cbor(block)
    if not isinstance(record, dict):
        raise ValueError("it is not a map")
    return record


def record_observation(collection: str, rkey: str, record: dict, raw: bytes, did: str,
                       account_id: int, observed_at: datetime,
                       unknown: Callable[[str], None],
                       raw_media_type: str = RAW_MEDIA_TYPE) -> Observation:
    """One record of `did`'s repository (a collection of FIELDS) as an observation, the
    way an export and live capture both see it; `unknown` hears of each field, embed or
    facet not read. ValueError when a field cannot be read."""
    uri = f"at://{did}/{collection}/{rkey}"
    created_at = _time(record.get("createdAt"))
    for key in sorted(k for k in record if k not in FIELDS[collection]):
        unknown(f"{collection} key {key!r}")
    if collection == POST:
        content = _post(record, did, unknown)
        return Observation(
            account_id=account_id, native_id=uri,
            kind=Kind.REPLY if content.get("reply_to") else Kind.POST,
            observed_at=observed_at, created_at=created_at, content=content,
            raw=raw, raw_media_type=raw_media_type, author=did,
            parent_native_id=content.get("reply_to"),
            url=f"https://bsky.app/profile/{did}/post/{rkey}")
    if collection == PROFILE:
        return Observation(
            account_id=account_id, native_id=uri, kind=Kind.PROFILE,
            observed_at=observed_at, created_at=created_at, content=profile_content(record, did),
            raw=raw, raw_media_type=raw_media_type, author=did,
            url=f"https://bsky.app/profile/{did}")
    subject = _dict(record.get("subject"))
    content = {"type": "repost" if collection == REPOST else "like", "text": "",
               "author": did, "subject": _uri(subject), "subject_cid": _str(subject.get("cid"))}
    return Observation(
        account_id=account_id, native_id=uri, kind=Kind.POST,
        observed_at=observed_at, created_at=created_at, content=content,
        raw=raw, raw_media_type=raw_media_type, author=did)


def profile_content(record: dict, did: str) -> dict:
    """An app.bsky.actor.profile record's content fields ({} gives an empty profile)."""
    return {"text": _str(record.get("description")), "author": did,
            "display_name": _str(record.get("displayName")),
            "pinned_post": _uri(record.get("pinnedPost")),
            "labels": _labels(record), "attachments": [
                _attachment(role, record.get(role), "")
                for role in ("avatar", "banner") if record.get(role)]}


def _post(record: dict, did: str, unknown: Callable[[str], None]) -> dict:
    if not isinstance(record.get("text", ""), str):
        unknown(f"{POST} key 'text' that is not text")
    content: dict = {"type": "post", "text": _str(record.get("text")), "author": did,
                     "visibility": "public", "urls": [], "mentions": [],
                     "hashtags": _strings(record, "tags", unknown),
                     "languages": _strings(record, "langs", unknown),
                     "labels": _labels(record), "attachments": []}
    for facet in _dicts(record.get("facets")):
        for feature in _dicts(facet.get("features")):
            kind = _str(feature.get("$type"))
            field, target = FACETS.get(kind.rpartition("#")[2], ("", ""))
            if isinstance(feature.get(field), str):
                content[target].append(feature[field])
            else:
                unknown(f"facet feature {kind!r}")
    reply = _dict(record.get("reply"))
    if reply:
        content["reply_to"] = _uri(reply.get("parent"))
        content["thread_root"] = _uri(reply.get("root"))
    _embed(_dict(record.get("embed")), content, unknown)
    return content


def _embed(embed: dict, content: dict, unknown: Callable[[str], None]) -> None:
    kind = embed.get("$type")
    known = EMBEDS.get(kind)
    if embed and known is None:
        unknown(f"embed {kind!r}")
    for key in sorted(k for k in embed if known is not None and k not in known):
        unknown(f"embed key {key!r} ({kind})")
    if kind == "app.bsky.embed.images":
        for image in _dicts(embed.get("images")):
            content["attachments"].append(_attachment("image", image.get("image"),
                                                      image.get("alt")))
    elif kind == "app.bsky.embed.video":
        content["attachments"].append(_attachment("video", embed.get("video"), embed.get("alt")))
    elif kind == "app.bsky.embed.external":
        card = _dict(embed.get("external"))
        uri = _str(card.get("uri"))
        content["link_card"] = {"uri": uri, "title": _str(card.get("title")),
                                "description": _str(card.get("description"))}
        if uri and uri not in content["urls"]:
            content["urls"].append(uri)
    elif kind == "app.bsky.embed.record":
        content["quotes"] = _uri(embed.get("record"))
    elif kind == "app.bsky.embed.recordWithMedia":
        content["quotes"] = _uri(_dict(embed.get("record")).get("record"))
        _embed(_dict(embed.get("media")), content, unknown)


def _attachment(role: str, blob: object, alt: object) -> dict:
    """A blob reference (current `{ref, mimeType, size}` or legacy `{cid, mimeType}`)."""
    blob = _dict(blob)
    ref = blob.get("ref")
    cid = cid_text(ref) if isinstance(ref, bytes) else _str(blob.get("cid"))
    size = blob.get("size")
    return {"type": role, "alt": _str(alt), "blob": cid or None,
            "media_type": _str(blob.get("mimeType")) or None,
            "size": size if isinstance(size, int) else None}


def _media(post: Observation, blob_files: dict[str, str], files: ExportFiles,
           context: ImportContext, taken: set[str]) -> Iterator[Observation]:
    """The post's blobs that the export holds as files, each read as it is yielded."""
    done = set()
    for attachment in post.content.get("attachments", []):
        name = blob_files.get(attachment["blob"] or "")
        if name is None or name in done:
            continue
        done.add(name)
        taken.add(name)
        data = files.read(name)
        if hashlib.sha256(data).digest() != blob_digest(attachment["blob"]):
            context.problem(files.where(name), f"does not match blob {attachment['blob']} "
                            "it is named after; skipped")
            continue
        yield media_observation(post, attachment, data, name)


def media_observation(post: Observation, attachment: dict, data: bytes,
                      file_name: str) -> Observation:
    """A blob of a post (or profile), whose bytes match its CID, as a MEDIA observation;
    its native id is the post's URI and the blob's CID."""
    media_type = attachment["media_type"] or "application/octet-stream"
    return Observation(
        account_id=post.account_id, native_id=f"{post.native_id}/{attachment['blob']}",
        kind=Kind.MEDIA, observed_at=post.observed_at, created_at=post.created_at,
        content={"file": file_name, "media_type": media_type, "alt": attachment["alt"],
                 "size": len(data), "blob": attachment["blob"]},
        raw=data, raw_media_type=media_type, author=post.author,
        parent_native_id=post.native_id)


def _car_names(files: ExportFiles) -> list[str]:
    """The files that may be repositories: `*.car`, or the export's only file."""
    names = [n for n in files.names() if n.lower().endswith(".car")]
    return names or (files.names() if len(files.names()) == 1 else [])


def _repository_names(files: ExportFiles) -> list[str]:
    """Files that begin with a CARv1 header: `*.car`, or the export's only file."""
    found = []
    for name in _car_names(files):
        try:
            with files.open_file(name) as stream:
                header(stream.read(4096))
        except (ValueError, RecursionError, InvalidInput, OSError):
            continue
        found.append(name)
    return found


def blob_digest(cid: str) -> bytes | None:
    """The sha2-256 digest a blob's CID names (None when it is no CID)."""
    try:
        return libipld.decode_cid(cid)["hash"]["digest"]
    except ValueError:
        return None


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("createdAt is not a string")
    return parse_time(value)


def _labels(record: dict) -> list[str]:
    """Self-labels (e.g. content warnings the author set)."""
    return [_str(v.get("val")) for v in _dicts(_dict(record.get("labels")).get("values"))]


def _uri(ref: object) -> str | None:
    """The uri of a strong ref `{uri, cid}`."""
    return _str(_dict(ref).get("uri")) or None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _strings(record: dict, key: str, unknown: Callable[[str], None]) -> list[str]:
    """A post's list of texts (tags, languages); another shape is reported, not read."""
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        unknown(f"{POST} key {key!r} that is not a list")
        return []
    return [v for v in value if isinstance(v, str)]


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _dicts(value: object) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
