"""The Bluesky repository (CAR) importer, over repositories built here: a real Merkle
Search Tree, a commit signed with a key generated in the test, CIDv1 sha2-256 blocks."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import datetime, timezone

import libipld
import pytest
from atproto_crypto.consts import P256_CURVE_ORDER, SECP256K1_CURVE_ORDER
from atproto_crypto.did import format_did_key
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from civicarchive.connectors.base import ImportContext
from civicarchive.connectors.bluesky import BlueskyCarImporter
from civicarchive.connectors.files import ExportFiles
from civicarchive.connectors.registry import importer
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Kind

DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
OTHER = "did:plc:z72i7hdynmk6r22z27h6tvur"
NOW = datetime(2026, 2, 1, tzinfo=timezone.utc)
COMMITTED = datetime(2025, 3, 6, 8, 30, 15, 123456, tzinfo=timezone.utc)
IMAGE = b"\x89PNG\r\n\x1a\n pretend image bytes"


# -- building repositories ---------------------------------------------------------------


def cid_of(block: bytes, codec: int = 0x71) -> bytes:
    return bytes([1, codec, 0x12, 0x20]) + hashlib.sha256(block).digest()


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def write_car(root: bytes, blocks: list[tuple[bytes, bytes]]) -> bytes:
    header = libipld.encode_dag_cbor({"version": 1, "roots": [root]})
    out = varint(len(header)) + header
    for cid, block in blocks:
        out += varint(len(cid) + len(block)) + cid + block
    return out


class Signer:
    """A repository signing key, as the PDS holds it: ECDSA over SHA-256, low-S, r||s."""

    CURVES = {"ES256K": (ec.SECP256K1(), SECP256K1_CURVE_ORDER),
              "ES256": (ec.SECP256R1(), P256_CURVE_ORDER)}

    def __init__(self, alg: str = "ES256K") -> None:
        curve, self.order = self.CURVES[alg]
        self.key = ec.generate_private_key(curve)
        point = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        self.did_key = format_did_key(alg, point)

    def sign(self, data: bytes) -> bytes:
        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(ec.hashes.SHA256())))
        s = min(s, self.order - s)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def tid(moment: datetime, clock_id: int = 5) -> str:
    """A TID: microseconds since 1970 and a 10-bit clock id, in base32-sortable."""
    micros = int(moment.timestamp()) * 1_000_000 + moment.microsecond
    value, chars = (micros << 10) | clock_id, ""
    for _ in range(13):
        chars = "234567abcdefghijklmnopqrstuvwxyz"[value & 31] + chars
        value >>= 5
    return chars


def layer(key: bytes) -> int:
    """MST layer: leading zero bits of sha256(key), counted two at a time."""
    bits = "".join(f"{b:08b}" for b in hashlib.sha256(key).digest())
    return (len(bits) - len(bits.lstrip("0"))) // 2


def build_mst(items: list[tuple[bytes, bytes]], level: int, blocks: list) -> bytes | None:
    """The node for sorted (key, value CID) items at `level`, as the atproto spec lays it out."""
    if not items:
        return None
    left, entries, pending = None, [], []
    for key, value in items:
        if layer(key) < level:
            pending.append((key, value))
            continue
        subtree = build_mst(pending, level - 1, blocks)
        if entries:
            entries[-1]["t"] = subtree
        else:
            left = subtree
        entries.append({"key": key, "v": value, "t": None})
        pending = []
    subtree = build_mst(pending, level - 1, blocks)
    if entries:
        entries[-1]["t"] = subtree
    else:
        left = subtree
    previous, encoded = b"", []
    for entry in entries:
        shared = next((i for i, (a, b) in enumerate(zip(previous, entry["key"])) if a != b),
                      min(len(previous), len(entry["key"])))
        encoded.append({"p": shared, "k": entry["key"][shared:], "v": entry["v"],
                        "t": entry["t"]})
        previous = entry["key"]
    node = libipld.encode_dag_cbor({"l": left, "e": encoded})
    blocks.append((cid_of(node), node))
    return cid_of(node)


def blob(data: bytes, mime: str = "image/png") -> dict:
    return {"$type": "blob", "ref": cid_of(data, 0x55), "mimeType": mime, "size": len(data)}


def records() -> dict[str, dict]:
    post = "app.bsky.feed.post"
    text = "Road works on Hauptstraße 🚧 see https://city.example/works @alice.example #roads"
    start = len(text[:text.index("https")].encode())
    mention = len(text[:text.index("@alice")].encode())
    found = {
        "app.bsky.actor.profile/self": {
            "$type": "app.bsky.actor.profile", "displayName": "City of Example",
            "description": "Official account of the City of Example.",
            "avatar": blob(IMAGE), "createdAt": "2024-01-02T09:00:00.000Z"},
        f"{post}/3kabc2aaaaa22": {
            "$type": post, "text": text, "langs": ["en", "de"],
            "createdAt": "2025-03-01T10:00:00.000Z",
            "facets": [
                {"index": {"byteStart": start, "byteEnd": start + 24},
                 "features": [{"$type": "app.bsky.richtext.facet#link",
                               "uri": "https://city.example/works"}]},
                {"index": {"byteStart": mention, "byteEnd": mention + 14},
                 "features": [{"$type": "app.bsky.richtext.facet#mention", "did": OTHER}]},
                {"index": {"byteStart": len(text.encode()) - 6, "byteEnd": len(text.encode())},
                 "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "roads"}]}],
            "embed": {"$type": "app.bsky.embed.images", "images": [
                {"image": blob(IMAGE), "alt": "Map of the closed street"}]}},
        f"{post}/3kabc3bbbbb22": {
            "$type": post, "text": "Thanks, fixed now.", "createdAt": "2025-03-02T08:30:00Z",
            "reply": {"root": {"uri": f"at://{OTHER}/{post}/3kroot", "cid": "bafyroot"},
                      "parent": {"uri": f"at://{OTHER}/{post}/3kparent", "cid": "bafyparent"}},
            "embed": {"$type": "app.bsky.embed.external", "external": {
                "uri": "https://city.example/fixed", "title": "Fixed", "description": "Done"}}},
        f"{post}/3kabc4ccccc22": {
            "$type": post, "text": "Worth reading", "createdAt": "2025-03-03T12:00:00+01:00",
            "embed": {"$type": "app.bsky.embed.record", "record": {
                "uri": f"at://{OTHER}/{post}/3kquoted", "cid": "bafyquoted"}}},
        "app.bsky.feed.repost/3kabc5ddddd22": {
            "$type": "app.bsky.feed.repost", "createdAt": "2025-03-04T00:00:00Z",
            "subject": {"uri": f"at://{OTHER}/{post}/3kreposted", "cid": "bafyreposted"}},
        "app.bsky.feed.like/3kabc6eeeee22": {
            "$type": "app.bsky.feed.like", "createdAt": "2025-03-05T00:00:00Z",
            "subject": {"uri": f"at://{OTHER}/{post}/3kliked", "cid": "bafyliked"}},
    }
    for n in range(12):
        found[f"app.bsky.graph.follow/3kfol{n:02d}aaaa22"] = {
            "$type": "app.bsky.graph.follow", "subject": f"did:plc:friend{n:02d}",
            "createdAt": "2025-01-01T00:00:00Z"}
    return found


def build_repo(recs: dict[str, dict] | None = None, signer: Signer | None = None,
               sig: bytes | None = None, commit_extra: dict | None = None):
    """A CAR (bytes) and its blocks: records, tree nodes, then the signed commit."""
    recs = records() if recs is None else recs
    blocks: list[tuple[bytes, bytes]] = []
    items = []
    for key in sorted(recs):
        block = libipld.encode_dag_cbor(recs[key])
        blocks.append((cid_of(block), block))
        items.append((key.encode(), cid_of(block)))
    top = max(layer(key) for key, _ in items)
    data = build_mst(items, top, blocks)
    commit = {"did": DID, "version": 3, "data": data, "rev": tid(COMMITTED), "prev": None,
              **(commit_extra or {})}
    signer = signer or Signer()
    commit["sig"] = sig if sig is not None else signer.sign(libipld.encode_dag_cbor(commit))
    block = libipld.encode_dag_cbor(commit)
    root = cid_of(block)
    blocks.append((root, block))
    return write_car(root, blocks), blocks, commit


# -- reading ------------------------------------------------------------------------------


def read(path, key: str | None = None):
    context = ImportContext(account_id=7, observed_at=NOW,
                            evidence={"public_key": key} if key else {})
    with ExportFiles.open(path) as files:
        observations = list(BlueskyCarImporter().read(files, context))
    return observations, context


def by_id(observations):
    return {o.native_id: o for o in observations}


@pytest.fixture
def repo(tmp_path):
    car, blocks, commit = build_repo()
    path = tmp_path / "repo.car"
    path.write_bytes(car)
    return path, blocks


def test_bluesky_detects_a_repository_car(tmp_path, repo):
    path, _ = repo
    assert importer("bluesky").detect(ExportFiles.open(path))
    zipped = tmp_path / "export.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("backup/did-plc-ewvi.car", path.read_bytes())
    assert BlueskyCarImporter().detect(ExportFiles.open(zipped))
    other = tmp_path / "other"
    other.mkdir()
    (other / "outbox.json").write_text('{"orderedItems": []}')
    (other / "fake.car").write_bytes(b"\x05hello not a car")
    assert not BlueskyCarImporter().detect(ExportFiles.open(other))


def test_bluesky_reads_posts_replies_reposts_likes_and_profile(repo):
    observations, context = read(repo[0])
    items = by_id(observations)
    post = items[f"at://{DID}/app.bsky.feed.post/3kabc2aaaaa22"]
    assert post.kind is Kind.POST and post.author == DID and post.account_id == 7
    assert post.content["text"].startswith("Road works on Hauptstraße 🚧")
    assert post.content["urls"] == ["https://city.example/works"]
    assert post.content["mentions"] == [OTHER]
    assert post.content["hashtags"] == ["roads"]
    assert post.content["languages"] == ["en", "de"]
    assert post.content["attachments"] == [{
        "type": "image", "alt": "Map of the closed street",
        "blob": libipld.encode_cid(cid_of(IMAGE, 0x55)), "media_type": "image/png",
        "size": len(IMAGE)}]
    assert post.created_at == datetime(2025, 3, 1, 10, tzinfo=timezone.utc)
    assert post.observed_at == COMMITTED  # the state the signed commit shows, and when
    assert context.evidence["export_generated_at"] == "2025-03-06T08:30:15.123456Z"
    assert post.url == f"https://bsky.app/profile/{DID}/post/3kabc2aaaaa22"

    reply = items[f"at://{DID}/app.bsky.feed.post/3kabc3bbbbb22"]
    assert reply.kind is Kind.REPLY
    assert reply.parent_native_id == f"at://{OTHER}/app.bsky.feed.post/3kparent"
    assert reply.content["thread_root"] == f"at://{OTHER}/app.bsky.feed.post/3kroot"
    assert reply.content["link_card"]["title"] == "Fixed"
    assert reply.content["urls"] == ["https://city.example/fixed"]

    quote = items[f"at://{DID}/app.bsky.feed.post/3kabc4ccccc22"]
    assert quote.content["quotes"] == f"at://{OTHER}/app.bsky.feed.post/3kquoted"
    assert quote.created_at == datetime(2025, 3, 3, 11, tzinfo=timezone.utc)

    repost = items[f"at://{DID}/app.bsky.feed.repost/3kabc5ddddd22"]
    like = items[f"at://{DID}/app.bsky.feed.like/3kabc6eeeee22"]
    assert (repost.kind, repost.content["type"], repost.content["subject"]) == \
        (Kind.POST, "repost", f"at://{OTHER}/app.bsky.feed.post/3kreposted")
    assert (like.kind, like.content["type"], like.content["subject"]) == \
        (Kind.POST, "like", f"at://{OTHER}/app.bsky.feed.post/3kliked")
    assert like.parent_native_id is None and like.content["text"] == ""

    profile = items[f"at://{DID}/app.bsky.actor.profile/self"]
    assert profile.kind is Kind.PROFILE
    assert profile.content["display_name"] == "City of Example"
    assert profile.content["text"] == "Official account of the City of Example."
    assert profile.content["attachments"][0]["type"] == "avatar"

    assert len(observations) == 6  # follows are not imported, but counted
    assert context.evidence["records_not_imported"] == {"app.bsky.graph.follow": 12}
    assert context.complete_kinds == {Kind.POST, Kind.REPLY}
    [problem] = context.problems
    assert problem.what.startswith("12 record(s) of app.bsky.graph.follow are not imported")


def test_bluesky_walks_a_tree_of_several_nodes_in_key_order(repo):
    path, blocks = repo
    nodes = [b for _, b in blocks if set(libipld.decode_dag_cbor(b)) == {"l", "e"}]
    assert len(nodes) > 1  # the test tree really has depth
    assert any(e["p"] > 0 for n in nodes for e in libipld.decode_dag_cbor(n)["e"])
    observations, _ = read(path)
    keys = [o.native_id for o in observations]
    assert keys == sorted(keys)


def test_bluesky_raw_is_the_record_block(repo):
    path, blocks = repo
    cids = {cid for cid, _ in blocks}
    for observation in read(path)[0]:
        assert observation.raw_media_type == "application/vnd.ipld.dag-cbor"
        assert cid_of(observation.raw) in cids
        record = libipld.decode_dag_cbor(observation.raw)
        assert record["$type"] == observation.native_id.split("/")[3]


def test_bluesky_refuses_a_tampered_block(tmp_path, repo):
    path, blocks = repo
    car = path.read_bytes()
    changed = car.replace("Thanks, fixed now.".encode(), "Thanks, fixed NOW.".encode())
    assert changed != car
    path.write_bytes(changed)
    bad = next(cid for cid, b in blocks if b"Thanks, fixed now." in b)
    with pytest.raises(InvalidInput) as error:
        read(path)
    assert str(path) in str(error.value)
    assert libipld.encode_cid(bad) in str(error.value)


@pytest.mark.parametrize("alg", ["ES256K", "ES256"])
def test_bluesky_checks_a_valid_signature(tmp_path, alg):
    signer = Signer(alg)
    car, _, commit = build_repo(signer=signer)
    path = tmp_path / "repo.car"
    path.write_bytes(car)
    observations, context = read(path, key=signer.did_key)
    assert context.evidence["signature"] == "valid"
    assert context.evidence["did"] == DID
    assert context.evidence["rev"] == tid(COMMITTED)
    assert len(observations) == 6


def test_bluesky_refuses_a_commit_the_key_did_not_sign(tmp_path):
    """Someone edits a post and rebuilds every hash: the blocks check out, the
    signature cannot."""
    signer = Signer()
    _, _, original = build_repo(signer=signer)
    edited = records()
    edited["app.bsky.feed.post/3kabc3bbbbb22"]["text"] = "We never said that."
    car, _, _ = build_repo(edited, sig=original["sig"])
    path = tmp_path / "repo.car"
    path.write_bytes(car)
    context = ImportContext(account_id=7, observed_at=NOW,
                            evidence={"public_key": signer.did_key})
    with pytest.raises(InvalidInput) as error:
        list(BlueskyCarImporter().read(ExportFiles.open(path), context))
    assert str(path) in str(error.value) and "signature" in str(error.value)
    assert context.evidence["signature"] == "invalid"
    with pytest.raises(InvalidInput):  # a key that is not the account's
        read(path, key=Signer("ES256").did_key)


def test_bluesky_without_a_key_records_not_checked(repo):
    observations, context = read(repo[0])
    assert context.evidence["signature"] == "not checked (no key)"
    assert context.evidence["did"] == DID
    assert observations


def test_bluesky_rejects_a_key_that_is_not_a_did_key(repo):
    with pytest.raises(InvalidInput, match="did:key"):
        read(repo[0], key="did:web:city.example")


def test_bluesky_missing_tree_node_is_a_problem_and_claims_nothing_complete(tmp_path):
    car, blocks, commit = build_repo()
    nodes = [(c, b) for c, b in blocks if set(libipld.decode_dag_cbor(b)) == {"l", "e"}
             and c != commit["data"]]
    kept = [(c, b) for c, b in blocks if (c, b) != nodes[0]]
    path = tmp_path / "partial.car"
    path.write_bytes(write_car(blocks[-1][0], kept))
    observations, context = read(path)
    assert any("tree node" in p.what and libipld.encode_cid(nodes[0][0]) in p.what
               for p in context.problems)
    seen = len(observations) + sum(context.evidence["records_not_imported"].values())
    assert 0 < seen < len(records())  # the rest of the tree still imports
    assert context.complete_kinds == set()


def test_bluesky_malformed_record_is_a_problem_and_others_import(tmp_path):
    recs = records()
    recs["app.bsky.feed.post/3kabc4ccccc22"]["createdAt"] = "yesterday"
    car, _, _ = build_repo(recs)
    path = tmp_path / "repo.car"
    path.write_bytes(car)
    observations, context = read(path)
    assert len(observations) == 5
    assert [p.what for p in context.problems if "3kabc4ccccc22" in p.what]
    assert all(p.where == str(path) for p in context.problems)
    assert context.complete_kinds == set()  # the unreadable post must not look deleted


def test_bluesky_truncated_or_foreign_car_raises_naming_the_file(tmp_path, repo):
    path, _ = repo
    cut = tmp_path / "cut.car"
    cut.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(InvalidInput, match="cut.car.*cut short"):
        read(cut)
    foreign = tmp_path / "foreign.car"
    block = b"\x00\x01"
    foreign.write_bytes(write_car(cid_of(block), [(bytes([1, 0x70, 0x12, 0x20])
                                                   + hashlib.sha256(block).digest(), block)]))
    with pytest.raises(InvalidInput, match="foreign.car.*codec 0x70"):
        read(foreign)


def test_bluesky_blob_files_in_the_export_become_media(tmp_path, repo):
    path, _ = repo
    folder = tmp_path / "export"
    (folder / "blobs").mkdir(parents=True)
    (folder / "repo.car").write_bytes(path.read_bytes())
    image_cid = libipld.encode_cid(cid_of(IMAGE, 0x55))
    (folder / "blobs" / image_cid).write_bytes(IMAGE)
    observations, context = read(folder)
    ids = [o.native_id for o in observations]
    post_id = f"at://{DID}/app.bsky.feed.post/3kabc2aaaaa22"
    media = observations[ids.index(post_id) + 1]
    assert media.kind is Kind.MEDIA and media.parent_native_id == post_id
    assert media.native_id == f"{post_id}/{image_cid}"
    assert media.raw == IMAGE and media.raw_media_type == "image/png"
    assert media.content == {"file": f"blobs/{image_cid}", "media_type": "image/png",
                             "alt": "Map of the closed street", "size": len(IMAGE),
                             "blob": image_cid}
    assert [p.what for p in context.problems if "graph.follow" not in p.what] == []

    (folder / "blobs" / image_cid).write_bytes(b"something else")
    observations, context = read(folder)
    assert not [o for o in observations if o.kind is Kind.MEDIA]
    assert any(image_cid in p.what for p in context.problems)


def test_bluesky_refuses_an_export_with_two_repositories(tmp_path, repo):
    folder = tmp_path / "two"
    folder.mkdir()
    (folder / "a.car").write_bytes(repo[0].read_bytes())
    (folder / "b.car").write_bytes(repo[0].read_bytes())
    with pytest.raises(InvalidInput, match="one Bluesky repository"):
        read(folder)


def test_bluesky_import_through_the_archive_records_edits_and_deletions(archive, tmp_path):
    account = archive.registry.add_account("bluesky", "cityofexample.bsky.social", "agency",
                                           actor="clerk")
    signer = Signer()
    first = tmp_path / "first.car"
    first.write_bytes(build_repo(signer=signer)[0])
    report = archive.ingesting.import_export(first, account.id, public_key=signer.did_key).as_dict()
    assert report["format"] == "bluesky"
    assert {kind: counts["created"] for kind, counts in report["by_kind"].items()} == \
        {"post": 4, "reply": 1, "profile": 1}
    assert report["evidence"]["signature"] == "valid"
    assert "public_key" not in report["evidence"]
    assert report["complete_kinds"] == ["post", "reply"]

    later = records()
    later["app.bsky.actor.profile/self"]["description"] = "The City of Example, official."
    del later["app.bsky.feed.post/3kabc3bbbbb22"]  # the reply, deleted since
    del later["app.bsky.feed.like/3kabc6eeeee22"]  # an unlike
    second = tmp_path / "second.car"
    second.write_bytes(build_repo(later, signer=signer)[0])
    report = archive.ingesting.import_export(second, account.id, format="bluesky").as_dict()
    assert report["evidence"]["signature"] == "not checked (no key)"
    assert (report["edited"], report["deleted"], report["absent_marked_deleted"]) == (1, 2, 2)
    assert report["by_kind"]["reply"]["deleted"] == 1
    assert report["unchanged"] == 3

    tampered = tmp_path / "tampered.car"
    tampered.write_bytes(second.read_bytes().replace(b"Worth reading", b"Worth ignoring"))
    with pytest.raises(InvalidInput, match="tampered.car"):
        archive.ingesting.import_export(tampered, account.id)


def test_bluesky_accepts_the_key_as_the_did_document_writes_it(tmp_path):
    signer = Signer("ES256")
    car, _, _ = build_repo(signer=signer)
    path = tmp_path / "repo.car"
    path.write_bytes(car)
    multibase = signer.did_key.removeprefix("did:key:")   # publicKeyMultibase: z...
    assert multibase.startswith("z")
    _, context = read(path, key=multibase)
    assert context.evidence["signature"] == "valid"


@pytest.mark.parametrize("alg", ["ES256K", "ES256"])
def test_bluesky_high_s_signature_is_refused_as_high_s(tmp_path, alg):
    signer = Signer(alg)
    _, _, commit = build_repo(signer=signer)
    r, s = commit["sig"][:32], int.from_bytes(commit["sig"][32:], "big")
    high = r + (signer.order - s).to_bytes(32, "big")   # the same signature, high-S
    car, _, _ = build_repo(sig=high)
    path = tmp_path / "repo.car"
    path.write_bytes(car)
    context = ImportContext(account_id=7, observed_at=NOW,
                            evidence={"public_key": signer.did_key})
    with pytest.raises(InvalidInput, match=r"high-S \(non-canonical\).*atproto rejects"):
        list(BlueskyCarImporter().read(ExportFiles.open(path), context))
    assert context.evidence["signature"] == "invalid (high-S)"


def test_bluesky_rev_after_the_import_is_a_problem_and_the_import_dates_it(tmp_path):
    car, _, _ = build_repo(commit_extra={"rev": tid(datetime(2030, 1, 1, tzinfo=timezone.utc))})
    path = tmp_path / "repo.car"
    path.write_bytes(car)
    observations, context = read(path)
    assert {o.observed_at for o in observations} == {NOW}
    assert "export_generated_at" not in context.evidence
    assert any("after this import" in p.what for p in context.problems)


def test_bluesky_unknown_entry_shape_is_reported(tmp_path):
    recs = records()
    post = recs["app.bsky.feed.post/3kabc4ccccc22"]
    post["embed"] = {"$type": "app.bsky.embed.poll", "options": ["yes", "no"]}
    post["via"] = "a client"
    car, _, _ = build_repo(recs)
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "repo.car").write_bytes(car)
    (folder / "notes.txt").write_text("kept by the clerk")
    observations, context = read(folder)
    uri = f"at://{DID}/app.bsky.feed.post/3kabc4ccccc22"
    assert uri in by_id(observations)
    found = {p.what.split(" is not read")[0]: p for p in context.problems}
    assert "embed 'app.bsky.embed.poll'" in found and "app.bsky.feed.post key 'via'" in found
    assert uri in found["embed 'app.bsky.embed.poll'"].what
    assert found["embed 'app.bsky.embed.poll'"].where.endswith("repo.car")
    assert any(p.what == "1 file(s) not imported: notes.txt" for p in context.problems)


def test_a_damaged_car_named_as_bluesky_says_it_is_damaged(tmp_path):
    damaged = tmp_path / "repo.car"
    damaged.write_bytes(b"\x00\xff not a CAR header at all" * 20)
    with pytest.raises(InvalidInput, match=r"repo\.car: does not begin with a CAR header, "
                                           r"so it is damaged or not a repository"):
        read(damaged)


def test_bluesky_fields_of_the_wrong_shape_are_reported_not_crashes(tmp_path):
    post = "app.bsky.feed.post"
    recs = {
        f"{post}/3kabc2aaaaa22": {"$type": post, "text": "Road works", "tags": 5,
                                  "langs": "en", "createdAt": "2025-03-01T10:00:00Z"},
        f"{post}/3kabc3bbbbb22": {"$type": post, "text": b"not text", "tags": "roads",
                                  "createdAt": "2025-03-02T10:00:00Z"},
    }
    car, _, _ = build_repo(recs)
    path = tmp_path / "repo.car"
    path.write_bytes(car)
    observations, context = read(path)
    found = by_id(observations)
    first, second = (found[f"at://{DID}/{post}/{rkey}"] for rkey in ("3kabc2aaaaa22",
                                                                     "3kabc3bbbbb22"))
    assert first.content["text"] == "Road works" and first.content["languages"] == []
    assert second.content["hashtags"] == []   # not one tag per letter of "roads"
    unread = " | ".join(p.what for p in context.problems)
    for what in (f"{post} key 'tags' that is not a list",
                 f"{post} key 'langs' that is not a list",
                 f"{post} key 'text' that is not text"):
        assert what in unread
    assert context.complete_kinds == {Kind.POST, Kind.REPLY}


def test_bluesky_video_captions_are_reported_not_dropped(tmp_path):
    post = "app.bsky.feed.post"
    video = {"$type": "app.bsky.embed.video", "video": blob(IMAGE, "video/mp4"),
             "alt": "Council meeting", "aspectRatio": {"width": 16, "height": 9},
             "captions": [{"lang": "en", "file": blob(b"WEBVTT\n\n00:00 Welcome", "text/vtt")}]}
    recs = {f"{post}/3kabc2aaaaa22": {"$type": post, "text": "Watch", "embed": video,
                                      "createdAt": "2025-03-01T10:00:00Z"}}
    car, _, _ = build_repo(recs)
    path = tmp_path / "repo.car"
    path.write_bytes(car)
    observations, context = read(path)
    assert observations[0].content["attachments"][0]["alt"] == "Council meeting"
    [problem] = [p for p in context.problems if "captions" in p.what]
    assert "embed key 'captions' (app.bsky.embed.video)" in problem.what
    assert "aspectRatio" not in " ".join(p.what for p in context.problems)
