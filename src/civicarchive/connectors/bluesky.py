"""Bluesky repository exports: the CAR file `com.atproto.sync.getRepo` returns (and the
app's "Export my data" button saves).

A repository is a signed commit over a Merkle Search Tree whose leaves are records keyed
`collection/rkey`. Because it is content-addressed, it can be proved: every block is
re-hashed against its CID and a CAR that fails is refused, and the commit signature is
checked when the account's signing key is given as `context.evidence["public_key"]`
(a `did:key:...`, from the account's DID document; nothing is resolved over the network).
The outcome goes to `context.evidence` (`signature`, `did`, `rev`, `commit`).

What becomes an observation, with `at://<did>/<collection>/<rkey>` as its native id and
the record's DAG-CBOR block as its raw bytes:
- `app.bsky.feed.post`: POST, or REPLY when it replies (parent = the parent post's uri);
- `app.bsky.feed.repost` and `app.bsky.feed.like`: POST with content `type` "repost" or
  "like" and `subject`, the uri acted on. They are the account's own public acts, so
  they are kept as its items; a separate kind would need the model to change, and a
  parent would claim they belong to someone else's post;
- `app.bsky.actor.profile`: PROFILE.
Other collections (follows, blocks, lists...) are counted in
`context.evidence["records_not_imported"]`.

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
from collections.abc import Iterator
from datetime import datetime
from pathlib import PurePosixPath

import libipld
from atproto_core.exceptions import AtProtocolError
from atproto_crypto.verify import verify_signature

from civicarchive.clock import parse_time
from civicarchive.connectors.base import ImportContext
from civicarchive.connectors.files import ExportFiles
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Kind, Observation

DAG_CBOR, RAW, SHA2_256 = 0x71, 0x55, 0x12
RAW_MEDIA_TYPE = "application/vnd.ipld.dag-cbor"
POST, REPOST, LIKE, PROFILE = ("app.bsky.feed.post", "app.bsky.feed.repost",
                               "app.bsky.feed.like", "app.bsky.actor.profile")
# facet feature -> (its field, the content list it goes to)
FACETS = {"link": ("uri", "urls"), "mention": ("did", "mentions"), "tag": ("tag", "hashtags")}


class BlueskyCarImporter:
    format = "bluesky"
    platform = "bluesky"

    def detect(self, files: ExportFiles) -> bool:
        return bool(_repository_names(files))

    def read(self, files: ExportFiles, context: ImportContext) -> Iterator[Observation]:
        names = _repository_names(files)
        if len(names) != 1:
            found = ", ".join(names) if names else "none"
            raise InvalidInput(f"{files.path}: expected one Bluesky repository CAR file, "
                               f"found {found}; import each repository on its own")
        where = files.where(names[0])
        repo = Repository(files.read(names[0]), where)
        did = _verify_commit(repo, context)
        blob_files = {PurePosixPath(n).name.split(".")[0]: n for n in files.names()
                      if n != names[0]}
        skipped: Counter[str] = Counter()
        for key, cid in repo.records(context):
            collection, _, rkey = key.partition("/")
            if collection not in (POST, REPOST, LIKE, PROFILE):
                skipped[collection] += 1
                continue
            block = repo.block(cid)
            observation = _observation(collection, rkey, block, did, context, where, repo)
            if observation is None:
                continue
            yield observation
            yield from _media(observation, blob_files, files, context)
        context.evidence["records_not_imported"] = dict(sorted(skipped.items()))
        if not repo.gaps:
            context.complete_kinds = {Kind.POST, Kind.REPLY}


class Repository:
    """The blocks of a CARv1 file by CID, each checked against its hash on load."""

    def __init__(self, data: bytes, where: str) -> None:
        self.where = where
        self.data = data
        self.gaps = 0  # missing or unreadable tree nodes and records
        try:
            roots, pos = _header(data)
        except ValueError as error:
            raise InvalidInput(f"{where}: not a CAR file ({error})") from None
        self.root = roots[0]
        self.spans: dict[bytes, tuple[int, int]] = {}
        while pos < len(data):
            length, pos = _varint(data, pos, where)
            end = pos + length
            if end > len(data):
                raise InvalidInput(f"{where}: the last block is cut short; the download is "
                                   "incomplete, export the repository again")
            cid, codec, digest, start = _cid(data, pos, end, where)
            if codec not in (DAG_CBOR, RAW):
                raise InvalidInput(f"{where}: block {_text(cid)} has codec {codec:#x}, not "
                                   "dag-cbor or raw; not an atproto repository")
            if hashlib.sha256(data[start:end]).digest() != digest:
                raise InvalidInput(f"{where}: block {_text(cid)} does not match its hash: "
                                   "the repository was altered or damaged; refusing it")
            self.spans[cid] = (start, end)
            pos = end

    def block(self, cid: bytes) -> bytes | None:
        span = self.spans.get(cid)
        return None if span is None else self.data[span[0]:span[1]]

    def records(self, context: ImportContext) -> Iterator[tuple[str, bytes]]:
        """(key, record CID) for every leaf of the tree under the commit, in key order."""
        commit = libipld.decode_dag_cbor(self.block(self.root))
        stack: list[tuple[bytes, str | None]] = [(commit["data"], None)]
        seen: set[bytes] = set()
        last = ""
        while stack:
            cid, key = stack.pop()
            if key is not None:
                if key <= last:
                    context.problem(self.where, f"tree key {key!r} is out of order; kept")
                last = key
                yield key, cid
                continue
            if cid in seen:  # a DAG re-using a subtree would repeat records endlessly
                context.problem(self.where, f"tree node {_text(cid)} is reached twice; "
                                "skipped the second time")
                continue
            seen.add(cid)
            stack.extend(reversed(self._expand(cid, context)))

    def _expand(self, cid: bytes, context: ImportContext) -> list[tuple[bytes, str | None]]:
        """A node's children in key order: left subtree, then each entry and its subtree."""
        try:
            if not isinstance(cid, bytes) or self.block(cid) is None:
                raise ValueError("the block is not in the file (a partial export?)")
            node = libipld.decode_dag_cbor(self.block(cid))
            children = [(node["l"], None)] if node.get("l") else []
            key = b""
            for entry in node["e"]:
                key = key[:entry["p"]] + entry["k"]
                if not isinstance(entry["v"], bytes):
                    raise ValueError(f"the value of {key!r} is not a link")
                children.append((entry["v"], key.decode()))
                if entry.get("t"):
                    children.append((entry["t"], None))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            self.gaps += 1
            context.problem(self.where, f"tree node {_text(cid)} cannot be read ({error}); "
                            "its records were skipped and deletions are not inferred")
            return []
        return children


def _verify_commit(repo: Repository, context: ImportContext) -> str:
    """Check the root commit and its signature; the account's DID."""
    block = repo.block(repo.root)
    try:
        commit = libipld.decode_dag_cbor(block) if block is not None else None
    except (ValueError, RecursionError):
        commit = None
    if not (isinstance(commit, dict) and isinstance(commit.get("did"), str)
            and isinstance(commit.get("data"), bytes) and isinstance(commit.get("sig"), bytes)):
        raise InvalidInput(f"{repo.where}: the root {_text(repo.root)} is not a repository "
                           "commit (did, data, sig); is this a getRepo export?")
    evidence = context.evidence
    evidence.update(did=commit["did"], rev=commit.get("rev"), commit=_text(repo.root))
    key = evidence.get("public_key")
    if not key:
        evidence["signature"] = "not checked (no key)"
        return commit["did"]
    unsigned = libipld.encode_dag_cbor({k: v for k, v in commit.items() if k != "sig"})
    try:
        valid = verify_signature(key, unsigned, commit["sig"])
    except (AtProtocolError, ValueError) as error:
        raise InvalidInput(f"{repo.where}: the public key {key!r} is not a secp256k1 or "
                           f"P-256 did:key ({error}); give the signing key from the account's "
                           "DID document") from None
    evidence["signature"] = "valid" if valid else "invalid"
    if not valid:
        raise InvalidInput(f"{repo.where}: the commit {_text(repo.root)} signature does not "
                           f"verify with {key}; the repository is not what {commit['did']} "
                           "signed, or the key is not the account's: refusing it")
    return commit["did"]


def _observation(collection: str, rkey: str, block: bytes | None, did: str,
                 context: ImportContext, where: str, repo: Repository) -> Observation | None:
    uri = f"at://{did}/{collection}/{rkey}"
    try:
        if block is None:
            raise ValueError("its block is not in the file")
        record = libipld.decode_dag_cbor(block)
        if not isinstance(record, dict):
            raise ValueError("it is not a map")
        created_at = _time(record.get("createdAt"))
    except (ValueError, RecursionError) as error:
        repo.gaps += 1
        context.problem(where, f"record {uri} cannot be read ({error}); skipped")
        return None
    if collection == POST:
        content = _post(record, did)
        return Observation(
            account_id=context.account_id, native_id=uri,
            kind=Kind.REPLY if content.get("reply_to") else Kind.POST,
            observed_at=context.observed_at, created_at=created_at, content=content,
            raw=block, raw_media_type=RAW_MEDIA_TYPE, author=did,
            parent_native_id=content.get("reply_to"),
            url=f"https://bsky.app/profile/{did}/post/{rkey}")
    if collection == PROFILE:
        content = {"text": _str(record.get("description")), "author": did,
                   "display_name": _str(record.get("displayName")),
                   "pinned_post": _uri(record.get("pinnedPost")),
                   "labels": _labels(record), "attachments": [
                       _attachment(role, record.get(role), "")
                       for role in ("avatar", "banner") if record.get(role)]}
        return Observation(
            account_id=context.account_id, native_id=uri, kind=Kind.PROFILE,
            observed_at=context.observed_at, created_at=created_at, content=content,
            raw=block, raw_media_type=RAW_MEDIA_TYPE, author=did,
            url=f"https://bsky.app/profile/{did}")
    subject = _dict(record.get("subject"))
    content = {"type": "repost" if collection == REPOST else "like", "text": "",
               "author": did, "subject": _uri(subject), "subject_cid": _str(subject.get("cid"))}
    return Observation(
        account_id=context.account_id, native_id=uri, kind=Kind.POST,
        observed_at=context.observed_at, created_at=created_at, content=content,
        raw=block, raw_media_type=RAW_MEDIA_TYPE, author=did)


def _post(record: dict, did: str) -> dict:
    content: dict = {"type": "post", "text": _str(record.get("text")), "author": did,
                     "visibility": "public", "urls": [], "mentions": [],
                     "hashtags": [t for t in record.get("tags") or [] if isinstance(t, str)],
                     "languages": [x for x in record.get("langs") or [] if isinstance(x, str)],
                     "labels": _labels(record), "attachments": []}
    for facet in _dicts(record.get("facets")):
        for feature in _dicts(facet.get("features")):
            kind = _str(feature.get("$type"))
            field, target = FACETS.get(kind.rpartition("#")[2], ("", ""))
            if isinstance(feature.get(field), str):
                content[target].append(feature[field])
    reply = _dict(record.get("reply"))
    if reply:
        content["reply_to"] = _uri(reply.get("parent"))
        content["thread_root"] = _uri(reply.get("root"))
    _embed(_dict(record.get("embed")), content)
    return content


def _embed(embed: dict, content: dict) -> None:
    kind = embed.get("$type")
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
        _embed(_dict(embed.get("media")), content)


def _attachment(role: str, blob: object, alt: object) -> dict:
    """A blob reference (current `{ref, mimeType, size}` or legacy `{cid, mimeType}`)."""
    blob = _dict(blob)
    ref = blob.get("ref")
    cid = _text(ref) if isinstance(ref, bytes) else _str(blob.get("cid"))
    size = blob.get("size")
    return {"type": role, "alt": _str(alt), "blob": cid or None,
            "media_type": _str(blob.get("mimeType")) or None,
            "size": size if isinstance(size, int) else None}


def _media(post: Observation, blob_files: dict[str, str], files: ExportFiles,
           context: ImportContext) -> Iterator[Observation]:
    """The post's blobs that the export holds as files, each read as it is yielded."""
    done = set()
    for attachment in post.content.get("attachments", []):
        name = blob_files.get(attachment["blob"] or "")
        if name is None or name in done:
            continue
        done.add(name)
        data = files.read(name)
        if hashlib.sha256(data).digest() != _digest(attachment["blob"]):
            context.problem(files.where(name), f"does not match blob {attachment['blob']} "
                            "it is named after; skipped")
            continue
        media_type = attachment["media_type"] or "application/octet-stream"
        yield Observation(
            account_id=context.account_id, native_id=f"{post.native_id}/{attachment['blob']}",
            kind=Kind.MEDIA, observed_at=context.observed_at, created_at=post.created_at,
            content={"file": name, "media_type": media_type, "alt": attachment["alt"],
                     "size": len(data), "blob": attachment["blob"]},
            raw=data, raw_media_type=media_type, author=post.author,
            parent_native_id=post.native_id)


# -- the CAR format ------------------------------------------------------------------------


def _repository_names(files: ExportFiles) -> list[str]:
    """Files that begin with a CARv1 header: `*.car`, or the export's only file."""
    names = [n for n in files.names() if n.lower().endswith(".car")]
    if not names and len(files.names()) == 1:
        names = files.names()
    found = []
    for name in names:
        try:
            with files.open_file(name) as stream:
                _header(stream.read(4096))
        except (ValueError, RecursionError, InvalidInput, OSError):
            continue
        found.append(name)
    return found


def _header(data: bytes) -> tuple[list[bytes], int]:
    """The roots of a CARv1 header and where the first block starts; ValueError if not."""
    length, pos = _varint(data, 0, "")
    if not 0 < length <= len(data) - pos:
        raise ValueError("no CAR header")
    header = libipld.decode_dag_cbor(data[pos:pos + length])
    if not isinstance(header, dict) or header.get("version") != 1:
        raise ValueError("the header is not a CARv1 header")
    roots = header.get("roots")
    if not isinstance(roots, list) or not roots or not isinstance(roots[0], bytes):
        raise ValueError("the header is not version 1 with a root")
    return roots, pos + length


def _varint(data: bytes, pos: int, where: str) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    raise (InvalidInput(f"{where}: a length is cut short or too long; the file is damaged")
           if where else ValueError("bad varint"))


def _cid(data: bytes, pos: int, end: int, where: str) -> tuple[bytes, int, bytes, int]:
    """A block's CIDv1: its bytes, codec and sha2-256 digest, and where the block starts."""
    version, at = _varint(data, pos, where)
    codec, at = _varint(data, at, where)
    hash_code, at = _varint(data, at, where)
    size, at = _varint(data, at, where)
    if version != 1 or hash_code != SHA2_256 or size != 32 or at + size > end:
        raise InvalidInput(f"{where}: a block at byte {pos} has a CID that is not CIDv1 with "
                           "sha2-256; atproto repositories use only those: refusing it")
    return data[pos:at + size], codec, data[at:at + size], at + size


def _text(cid: object) -> str:
    try:
        return libipld.encode_cid(cid)
    except (ValueError, TypeError):
        return cid.hex() if isinstance(cid, bytes) else repr(cid)


def _digest(cid: str) -> bytes | None:
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


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _dicts(value: object) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
