"""Productions on both stores: what they contain, their numbers, that outside checks pass,
and leak tests: canary strings planted in redacted words, withheld records, a withheld
media file and direct messages appear in no produced file (the PDF's text and metadata
included), no public search result or count, and no error."""

from __future__ import annotations

import csv
import gzip
import io
import subprocess
import sys
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

import bagit
import orjson
import pypdf
import pytest
import sqlalchemy as sa

from civicarchive import Kind, Observation
from civicarchive.app.offline import verify_package
from civicarchive.errors import ArchiveError, InvalidInput
from civicarchive.store import schema as t
from tests.conftest import T0, observe

WASHINGTON = "src/civicarchive/policy/examples/washington-local.yaml"
RECEIVED = datetime(2026, 11, 4, 10, 30, tzinfo=timezone(timedelta(hours=-8)))
REDACTED = "QXCANARYREDACTEDWORD"
WITHHELD = "QXCANARYWITHHELDWORD"
MESSAGE = "QXCANARYDIRECTMESSAGE"
MEDIA = b"QXCANARYMEDIABYTES"
CANARIES = (REDACTED, WITHHELD, MESSAGE, MEDIA.decode())
REASON = "personal information, RCW 42.56.230"


def _by(obs: Observation, author: str, parent: str | None = None, **content) -> Observation:
    fields = {f: getattr(obs, f) for f in obs.__slots__}
    return Observation(**{**fields, "author": author, "parent_native_id": parent,
                          "content": None if obs.content is None else
                          {**obs.content, "author": author, **content}})


@pytest.fixture
def case(archive, account):
    """A post with a comment thread (one comment redacted, one withheld), an edit, a photo
    to withhold, and direct messages; a request covering them, fully reviewed."""
    archive.custody.adopt_policy(WASHINGTON, "clerk")
    a = account.id
    archive.ingesting.ingest([
        observe(a, "p1", "Zoning hearing tonight at city hall"),
        _by(observe(a, "c1", f"Zoning: my neighbour {REDACTED} parks on the lawn", 1,
                    kind=Kind.COMMENT), "resident7", "p1"),
        _by(observe(a, "c1", f"Zoning: my neighbour {REDACTED} parks on the lawn daily", 2,
                    kind=Kind.COMMENT), "resident7", "p1"),
        _by(observe(a, "c2", f"Zoning rant with {WITHHELD}", 3, kind=Kind.COMMENT),
            "resident8", "p1"),
        _by(observe(a, "c3", "=HYPERLINK(\"http://evil\") zoning", 4, kind=Kind.COMMENT),
            "resident9", "p1"),
        observe(a, "p2", "Photo of the zoning map", 5, media=[{"file": "map.jpg"}]),
        _by(Observation(account_id=a, native_id="p2-media", kind=Kind.MEDIA,
                        observed_at=T0 + timedelta(minutes=6),
                        content={"file": "map.jpg", "media_type": "image/jpeg"},
                        raw=MEDIA, raw_media_type="image/jpeg", author="cityofexample"),
            "cityofexample", "p2", file="map.jpg", media_type="image/jpeg"),
        observe(a, "m1", f"Zoning DM {MESSAGE}", 7, kind=Kind.MESSAGE),
    ], source="test")
    request = archive.requests.new("A. Reporter", RECEIVED, "zoning posts", "clerk")
    ids = {native: item_id(archive, native) for native in
           ("p1", "c1", "c2", "c3", "p2", "m1")}
    archive.requests.collect(request, "clerk", items=list(ids.values()))
    archive.requests.mark(request, [ids[n] for n in ("p1", "c1", "c3", "p2")], "responsive",
                          "clerk")
    archive.requests.mark(request, [ids["c2"]], "withheld", "clerk", exemption="privacy",
                          citation="RCW 42.56.050")
    archive.requests.mark(request, [ids["m1"]], "non-responsive", "clerk")
    archive.requests.redact(request, ids["c1"], REASON, "clerk", phrase=REDACTED)
    archive.requests.redact(request, ids["p2"], "security, RCW 42.56.420", "clerk", media="map.jpg")
    return archive, request, ids


def item_id(archive, native: str) -> int:
    with archive.context.store.read() as conn:
        return conn.execute(sa.select(t.items.c.id).where(t.items.c.native_id == native)
                            ).scalar_one()


def texts_of(folder) -> dict[str, str]:
    """Every file of the package as text a person or a tool could read: gzip members
    decompressed, PDFs as extracted text plus metadata, everything else as bytes."""
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        text = data.decode("latin-1")
        if path.suffix == ".pdf":
            reader = pypdf.PdfReader(io.BytesIO(data))
            text += "\n".join(page.extract_text() for page in reader.pages)
            text += repr(reader.metadata)
        found[str(path.relative_to(folder))] = text
    return found


def test_production_leaks_no_canary_anywhere(case, tmp_path):
    archive, request, ids = case
    result = archive.productions.produce(request, "clerk", folder=tmp_path / "out", prefix="CITY-")
    files = texts_of(tmp_path / "out")
    assert "data/production.pdf" in files and "data/records.warc.gz" in files
    for name, text in files.items():
        for canary in CANARIES:
            assert canary not in text, f"{canary} leaked into {name}"
    pdf = files["data/production.pdf"]
    assert "REDACTED" in pdf and "personal information" in pdf  # the reason is shown
    assert "parks on the lawn" in pdf and "Zoning hearing tonight" in pdf
    assert result["withheld"] == 1 and result["redacted_versions"] >= 3
    assert verify_package(tmp_path / "out") == []
    warc = tmp_path / "out" / "data" / "records.warc.gz"
    warcio = Path(sys.executable).parent / "warcio"
    for command in ("check", "index"):
        done = subprocess.run([str(warcio), command, str(warc)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_public_search_and_errors_do_not_reveal_canaries(case):
    archive, request, ids = case
    public = archive.finding.search(MESSAGE, public=True, facets=True)
    assert public.total == 0 and public.hits == []
    assert not any(public.facets.values())
    broad = archive.finding.search("zoning", public=True, facets=True)
    assert "message" not in broad.facets["kind"]
    assert all(MESSAGE not in hit.snippet for hit in broad.hits)
    withheld_version = archive.reading.history(ids["c2"])[0].id
    attempts = [  # mistakes about the records that hold the canaries
        lambda: archive.requests.redact(request, ids["c2"], REASON, "clerk",
                                        version=withheld_version,
                                        span=(0, 9999)),
        lambda: archive.requests.redact(request, ids["c1"], REASON, "clerk", phrase="not in it"),
        lambda: archive.requests.redact(request, ids["m1"], REASON, "clerk", media="x.jpg"),
        lambda: archive.requests.decide(request, [f"{ids['c1']}:00000000"], True, "clerk",
                                        reason=REASON),
        lambda: archive.requests.mark(request, [ids["m1"], 9999], "responsive", "clerk"),
        lambda: archive.finding.search("kind:dm"),
    ]
    for attempt in attempts:
        with pytest.raises(ArchiveError) as error:
            attempt()
        assert not any(c in str(error.value) for c in CANARIES), str(error.value)


def test_production_numbers_manifest_and_thread(case, tmp_path):
    archive, request, ids = case
    first = archive.productions.produce(request, "clerk", folder=tmp_path / "one", prefix="CITY-")
    second = archive.productions.produce(request, "clerk", folder=tmp_path / "two", prefix="CITY-")
    assert first["numbers"][0] == "CITY-000001"
    last = int(first["numbers"][1].removeprefix("CITY-"))
    assert second["numbers"][0] == f"CITY-{last + 1:06d}"  # numbers are never reused
    manifest = orjson.loads((tmp_path / "one" / "data" / "manifest.json").read_bytes())
    top = {entry["item"]: entry for entry in manifest["items"]}
    assert set(top) == {ids["p1"], ids["p2"]}  # comments sit in their post's thread
    thread = top[ids["p1"]]["thread"]
    assert {"withheld": ids["c2"]} in thread
    c1 = next(e for e in thread if e.get("item") == ids["c1"])
    assert c1["redacted"] and len(c1["versions"]) == 2
    assert {v["payload"] for v in c1["versions"]} == {"redacted rendering"}
    assert manifest["withheld"] == [{"item": ids["c2"], "kind": "comment",
                                     "created_at": archive.reading.item(ids["c2"]).created_at,
                                     "exemption": "privacy", "citation": "RCW 42.56.050"}]
    reader = pypdf.PdfReader(tmp_path / "one" / "data" / "production.pdf")
    for n, page in enumerate(reader.pages):
        assert f"CITY-{n + 1:06d}" in page.extract_text()
    log = archive.requests.log(request)
    assert [e["action"] for e in log][-2:] == ["produced", "produced"]
    assert archive.requests.show(request)["productions"][0]["items"] == first["items"] == 4


def test_production_csv_neutralises_formulas(case, tmp_path):
    archive, request, _ = case
    archive.productions.produce(request, "clerk", folder=tmp_path / "out")
    text = (tmp_path / "out" / "data" / "production.csv").read_text()
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)


def test_production_refuses_until_reviewed_and_needs_a_sane_prefix(archive, account,
                                                                   tmp_path):
    archive.custody.adopt_policy(WASHINGTON, "clerk")
    archive.ingesting.ingest([observe(account.id, "p1", "budget")], source="test")
    request = archive.requests.new("A. Reporter", RECEIVED, "budget", "clerk")
    archive.requests.collect(request, "clerk", query="budget")
    with pytest.raises(InvalidInput, match="not reviewed yet"):
        archive.productions.produce(request, "clerk", folder=tmp_path / "out")
    archive.requests.mark(request, [item_id(archive, "p1")], "responsive", "clerk")
    with pytest.raises(InvalidInput, match="prefix"):
        archive.productions.produce(request, "clerk", folder=tmp_path / "out", prefix="bad prefix!")
    assert not (tmp_path / "out").exists()


def test_production_package_tampering_is_caught(case, tmp_path):
    archive, request, _ = case
    archive.productions.produce(request, "clerk", folder=tmp_path / "out")
    pdf = tmp_path / "out" / "data" / "production.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01
    pdf.write_bytes(bytes(data))
    assert any("production.pdf" in problem for problem in verify_package(tmp_path / "out"))


def _flip_pdf(folder: Path) -> None:
    pdf = folder / "data" / "production.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01
    pdf.write_bytes(bytes(data))


def _amend_certificate(folder: Path) -> None:
    path = folder / "data" / "CERTIFICATE.md"
    text = path.read_text()
    assert "withheld (see the withholding log" in text
    path.write_text(text.replace("withheld (see the withholding log", "withheld (see nothing"))


def _amend_bag_info(folder: Path) -> None:
    bag = bagit.Bag(str(folder))
    bag.info["External-Description"] = "A production of some other request"
    bag.save()


@pytest.mark.parametrize("edit", [_flip_pdf, _amend_certificate, _amend_bag_info],
                         ids=["production.pdf", "CERTIFICATE.md", "bag-info.txt"])
def test_production_package_is_signed_and_edits_fail_its_signature(case, tmp_path, edit):
    archive, request, _ = case
    folder = tmp_path / "out"
    archive.productions.produce(request, "clerk", folder=folder)
    key = archive.evidence.public_key_pem()
    assert verify_package(folder, key) == []
    assert (folder / "tagmanifest-sha256.txt.sig").exists()
    edit(folder)
    bagit.Bag(str(folder)).save(manifests=True)  # as a forger would: the bag is valid again
    assert bagit.Bag(str(folder)).is_valid()
    problems = verify_package(folder, key)
    assert any("tagmanifest-sha256.txt.sig does not verify" in p for p in problems), problems


# -- redacting the author, the handle and URLs ------------------------------------------

AUTHOR = "qxcanaryauthor"
NAME = "Qxcanary Person"
HANDLE = "qxcanaryhandle"
LINK = "https://qxcanarylink.example/report"
IDENTITY_CANARIES = (AUTHOR, "qxcanary person", HANDLE, "qxcanarylink")


def _said(account_id: int, native: str, text: str, minutes: int, author: str,
          parent: str | None = None, url: str | None = None, **content) -> Observation:
    return Observation(account_id=account_id, native_id=native,
                       kind=Kind.COMMENT if parent else Kind.POST,
                       observed_at=T0 + timedelta(minutes=minutes),
                       content={"text": text, "author": author, **content},
                       raw=orjson.dumps({"id": native, "text": text, "user": author,
                                         "url": url, **content}),
                       created_at=T0 - timedelta(days=1), author=author,
                       parent_native_id=parent, url=url)


@pytest.fixture
def people(archive, account):
    """Comments by a member of the public (named, with a permalink holding the handle, a
    link, a second comment, and a mention by someone else), and a post on an employee's
    personal account; every record responsive."""
    archive.custody.adopt_policy(WASHINGTON, "clerk")
    a = account.id
    personal = archive.registry.add_account("x", HANDLE, "employee", owner="Parks",
                                            actor="clerk")
    archive.ingesting.ingest([
        _said(a, "p1", "Budget hearing tonight", 0, "cityofexample",
              url="https://x.com/cityofexample/status/p1"),
        _said(a, "c1", f"I am {NAME}, see {LINK}", 1, AUTHOR, "p1",
              url=f"https://x.com/{AUTHOR}/status/c1", display_name=NAME),
        _said(a, "c1", f"I am {NAME}, see {LINK} (edited)", 2, AUTHOR, "p1",
              url=f"https://x.com/{AUTHOR}/status/c1", display_name=NAME),
        _said(a, "c2", "Second thought on the budget", 3, AUTHOR, "p1",
              url=f"https://x.com/{AUTHOR}/status/c2"),
        _said(a, "c3", f"@{AUTHOR} is right about the budget", 4, "resident9", "p1",
              url="https://x.com/resident9/status/c3"),
        _said(personal.id, "e1", f"Budget notes from @{HANDLE}", 5, HANDLE,
              url=f"https://x.com/{HANDLE}/status/e1"),
    ], source="test")
    request = archive.requests.new("A. Reporter", RECEIVED, "budget", "clerk")
    ids = {n: item_id(archive, n) for n in ("p1", "c1", "c2", "c3", "e1")}
    archive.requests.collect(request, "clerk", items=list(ids.values()))
    archive.requests.mark(request, list(ids.values()), "responsive", "clerk")
    return archive, request, ids


def _assert_no_identity(folder: Path, canaries=IDENTITY_CANARIES) -> dict[str, str]:
    files = texts_of(folder)
    assert len(files) > 10 and "data/records.warc.gz" in files
    for name, text in files.items():
        for canary in canaries:
            assert canary not in text.lower(), f"{canary} leaked into {name}"
    return files


def test_production_redacting_author_handle_and_urls_leaks_them_nowhere(people, tmp_path):
    archive, request, ids = people
    requests = archive.requests
    requests.redact_author(request, ids["c1"], REASON, "clerk")
    requests.redact_handle(request, ids["e1"], "privacy, RCW 42.56.050", "clerk")
    requests.redact_url(request, ids["c1"], REASON, "clerk", url=LINK)
    result = archive.productions.produce(request, "clerk", folder=tmp_path / "out")
    files = _assert_no_identity(tmp_path / "out")
    assert verify_package(tmp_path / "out") == []
    pdf = files["data/production.pdf"]
    assert "Budget hearing tonight" in pdf and "is right about the budget" in pdf
    assert "REDACTED: personal information" in pdf and "REDACTED: privacy" in pdf
    assert "cityofexample" in pdf and "resident9" in pdf  # others keep their names
    # c1 and c2 (same author) and e1 (redacted handle) name the redaction in their ledger
    # entries: listed with their hashes, not proven in the package. c3 only mentions the
    # author in its text: its entry is proven, with a redacted rendering.
    manifest = orjson.loads((tmp_path / "out" / "data" / "manifest.json").read_bytes())
    entries = {e["item"]: e for top in manifest["items"]
               for e in [top, *top["thread"]] if "item" in e}
    withheld = {i for i, e in entries.items()
                if all(v["payload"].startswith("withheld: its ledger entry") for v in
                       e["versions"])}
    assert withheld == {ids["c1"], ids["c2"], ids["e1"]}
    assert {v["payload"] for v in entries[ids["c3"]]["versions"]} == {"redacted rendering"}
    assert {v["payload"] for v in entries[ids["p1"]]["versions"]} == {"captured bytes"}
    assert all(len(v["raw_sha256"]) == 64 for v in entries[ids["c1"]]["versions"])
    assert result["unproven_versions"] == 4
    proven = {int(p.stem.removeprefix("version-"))
              for p in (tmp_path / "out" / "data" / "proofs").iterdir()}
    assert proven == {v["version"] for i in (ids["p1"], ids["c3"])
                      for v in entries[i]["versions"]}
    lines = [orjson.loads(line) for line in files["data/production.jsonl"].splitlines()]
    thread = {e["item_id"]: e for e in lines[0]["thread"]}
    assert thread[ids["c1"]]["redacted_fields"] == ["author", "url"]
    assert thread[ids["c1"]]["author"] == f"[REDACTED: {REASON}]"
    assert thread[ids["c2"]]["url"] == f"https://x.com/[REDACTED: {REASON}]/status/c2"
    assert thread[ids["c3"]]["redacted_fields"] == []


def test_production_where_nothing_can_be_proven_still_verifies(people, tmp_path):
    archive, request, ids = people
    archive.requests.mark(request, [ids["p1"], ids["c2"], ids["c3"], ids["e1"]],
                          "non-responsive", "clerk")
    archive.requests.redact_author(request, ids["c1"], REASON, "clerk")
    result = archive.productions.produce(request, "clerk", folder=tmp_path / "out")
    _assert_no_identity(tmp_path / "out", (AUTHOR, "qxcanary person"))
    assert result["items"] == 1 and result["unproven_versions"] == 2
    assert not any((tmp_path / "out" / "data" / "proofs").iterdir())
    assert verify_package(tmp_path / "out") == []
    certificate = (tmp_path / "out" / "data" / "CERTIFICATE.md").read_text()
    assert "No archived version is proven in this package" in certificate


def test_field_redactions_are_listed_undone_and_kept_out_of_the_log(people, tmp_path):
    archive, request, ids = people
    requests = archive.requests
    author = requests.redact_author(request, ids["c1"], REASON, "clerk")
    link = requests.redact_url(request, ids["c1"], REASON, "clerk", url=LINK)
    permalink = requests.redact_url(request, ids["c2"], REASON, "clerk")
    every = requests.redact_url(request, ids["c3"], REASON, "clerk", every=True)
    phrase = requests.redact(request, ids["c3"], REASON, "clerk", phrase="budget")
    assert [(r["id"], r.get("field")) for r in requests.redactions(request)] == [
        (author, "author"), (link, "url"), (permalink, "permalink"), (every, "urls"),
        (phrase, None)]
    assert requests.redactions(request, ids["c1"])[1] == {
        "id": link, "item": ids["c1"], "reason": REASON, "kind": "field", "field": "url",
        "url": LINK}
    with pytest.raises(InvalidInput, match="redacted already"):
        requests.redact_author(request, ids["c1"], REASON, "clerk")
    assert LINK not in repr(requests.log(request))
    with archive.context.store.read() as conn:
        audit = conn.execute(sa.select(t.audit_events.c.details).where(
            t.audit_events.c.action == "request.redact")).scalars().all()
    assert len(audit) == 5 and not any(LINK in details for details in audit)
    assert sum("url_sha256" in details for details in audit) == 1
    requests.unredact(request, author, "the commenter is a public official", "clerk")
    assert author not in {r["id"] for r in requests.redactions(request)}
    archive.productions.produce(request, "clerk", folder=tmp_path / "out")
    text = (tmp_path / "out" / "data" / "production.csv").read_text()
    assert AUTHOR in text and LINK not in text and "https://x.com/resident9" not in text


def test_field_redactions_refuse_what_the_record_lacks(people):
    archive, request, ids = people
    requests = archive.requests
    with pytest.raises(InvalidInput, match="does not contain that URL"):
        requests.redact_url(request, ids["c2"], REASON, "clerk", url="https://nowhere.example")
    with pytest.raises(InvalidInput, match="reason"):
        requests.redact_author(request, ids["c1"], " ", "clerk")
    with pytest.raises(InvalidInput, match="not both"):
        requests.redact_url(request, ids["c1"], REASON, "clerk", url=LINK, every=True)
    with pytest.raises(InvalidInput, match="collection"):
        requests.redact_handle(request, 9999, REASON, "clerk")
    assert requests.redactions(request) == []


FILENAME = "QXCANARYFILENAMEJANE"
ALT = "QXCANARYALTTEXT"
PLACE = "QXCANARYLOCATION"
SPELLED = "Qxcanary\u00adHidden\u200bName"   # shown as QxcanaryHiddenName, in another case


def test_production_withholds_a_photo_everywhere_and_finds_a_phrase_however_written(
        archive, account, tmp_path):
    """A withheld photo's own media record collected beside its post, the file's name and
    alt text, a phrase written in another case with invisible characters inside, and a
    phrase found only in the record's location: none reaches any produced file."""
    archive.custody.adopt_policy(WASHINGTON, "clerk")
    a, file = account.id, f"media/kid-{FILENAME}.jpg"
    archive.ingesting.ingest([
        observe(a, "p5", f"Zoning walk with {SPELLED} today", 1, media=[{"file": file}],
                location=f"{PLACE} Park"),
        _by(Observation(account_id=a, native_id=file, kind=Kind.MEDIA,
                        observed_at=T0 + timedelta(minutes=2),
                        content={"file": file, "media_type": "image/jpeg", "alt": ALT},
                        raw=MEDIA, raw_media_type="image/jpeg", author="cityofexample"),
            "cityofexample", "p5", file=file, media_type="image/jpeg", alt=ALT),
    ], source="test")
    request = archive.requests.new("A. Reporter", RECEIVED, "zoning walk", "clerk")
    post, photo = item_id(archive, "p5"), item_id(archive, file)
    archive.requests.collect(request, "clerk", items=[post, photo])
    archive.requests.mark(request, [post, photo], "responsive", "clerk")
    with pytest.raises(InvalidInput, match="its media files: media/kid-"):
        archive.requests.redact(request, post, REASON, "clerk", media="nothing.jpg")
    archive.requests.redact(request, post, REASON, "clerk", media=f"kid-{FILENAME}.jpg")
    archive.requests.redact(request, post, REASON, "clerk", phrase="qxcanaryhiddenname")
    archive.requests.redact(request, post, REASON, "clerk", phrase=PLACE)
    archive.productions.produce(request, "clerk", folder=tmp_path / "out", prefix="CITY-")
    files = texts_of(tmp_path / "out")
    for name, text in files.items():
        for canary in (FILENAME, ALT, PLACE, "QxcanaryHiddenName", "Qxcanary\u00ad",
                       MEDIA.decode()):
            assert canary.lower() not in text.lower(), f"{canary} leaked into {name}"
    pdf = files["data/production.pdf"]
    assert "Zoning walk with" in pdf and "no. 1 (name withheld)" in pdf
    assert verify_package(tmp_path / "out") == []


def test_a_withheld_media_record_produced_alone_ships_neither_bytes_nor_name(
        archive, account, tmp_path):
    archive.custody.adopt_policy(WASHINGTON, "clerk")
    file = f"{FILENAME}.png"
    archive.ingesting.ingest([_by(Observation(
        account_id=account.id, native_id=file, kind=Kind.MEDIA, observed_at=T0,
        content={"file": file, "media_type": "image/png", "alt": ALT}, raw=MEDIA,
        raw_media_type="image/png", author="cityofexample"), "cityofexample", None,
        file=file, media_type="image/png", alt=ALT)], source="test")
    request = archive.requests.new("A. Reporter", RECEIVED, "photos", "clerk")
    photo = item_id(archive, file)
    archive.requests.collect(request, "clerk", items=[photo])
    archive.requests.mark(request, [photo], "responsive", "clerk")
    archive.requests.redact(request, photo, REASON, "clerk", media=file)
    result = archive.productions.produce(request, "clerk", folder=tmp_path / "out",
                                         prefix="CITY-")
    assert result["unproven_versions"] == 1
    for name, text in texts_of(tmp_path / "out").items():
        for canary in (FILENAME, ALT, MEDIA.decode()):
            assert canary not in text, f"{canary} leaked into {name}"
    assert verify_package(tmp_path / "out") == []


def test_a_content_warning_and_poll_options_are_produced_and_redacted_as_text(
        archive, account, tmp_path):
    # A reader sees a Mastodon status's content warning above its text and a poll's options
    # below it: a request for their words collects the record, and its production shows
    # them, with the redaction applied there too.
    archive.custody.adopt_policy(WASHINGTON, "clerk")
    archive.ingesting.ingest([
        observe(account.id, "cw", "Details inside.",
                content_warning="Detour map for Elm Street"),
        observe(account.id, "poll", "Which day suits the town hall?",
                poll={"multiple": False, "options": [{"title": "Tuesday", "votes": 5},
                                                     {"title": "Thursday", "votes": 7}]})],
        source="test")
    request = archive.requests.new("A. Reporter", RECEIVED, "detours", "clerk")
    archive.requests.collect(request, "clerk", query="detour OR thursday")
    ids = [item_id(archive, "cw"), item_id(archive, "poll")]
    archive.requests.mark(request, ids, "responsive", "clerk")
    archive.requests.redact(request, ids[0], "personal information", "clerk",
                            phrase="Elm Street")
    archive.productions.produce(request, "clerk", folder=tmp_path / "out")
    text = (tmp_path / "out" / "data" / "production.csv").read_text()
    assert "Detour map for" in text and "Details inside." in text
    assert "Tuesday" in text and "Thursday" in text
    assert "Elm Street" not in "".join(texts_of(tmp_path / "out").values())


def test_a_phrase_written_in_other_unicode_forms_is_redacted_in_every_file(
        archive, account, tmp_path):
    """The redacted name typed with é composed, written by a commenter with a combining
    accent, in full-width letters, and by the author's display name: one name to a reader,
    so no file of the production may show any of them."""
    archive.custody.adopt_policy(WASHINGTON, "clerk")
    a = account.id
    archive.ingesting.ingest([
        observe(a, "p7", "Zoning notice"),
        _by(observe(a, "c7", "Zoning: ask Qxcanary José", 1, kind=Kind.COMMENT),
            "resident7", "p7"),
        _by(observe(a, "c7", "Zoning: ask Qxcanary Jose\u0301 next door", 2, kind=Kind.COMMENT),
            "resident7", "p7"),
        _by(observe(a, "c7", "Zoning: ask ＱＸＣＡＮＡＲＹ ＪＯＳÉ next door", 3,
                    kind=Kind.COMMENT), "resident7", "p7"),
    ], source="test")
    request = archive.requests.new("A. Reporter", RECEIVED, "zoning", "clerk")
    ids = [item_id(archive, native) for native in ("p7", "c7")]
    archive.requests.collect(request, "clerk", items=ids)
    archive.requests.mark(request, ids, "responsive", "clerk")
    archive.requests.redact(request, ids[1], REASON, "clerk", phrase="qxcanary josé")
    archive.productions.produce(request, "clerk", folder=tmp_path / "out", prefix="CITY-")
    for name, text in texts_of(tmp_path / "out").items():
        readable = unicodedata.normalize("NFKC", text.encode("latin-1", "ignore").decode(
            "utf-8", "ignore") + text).casefold()
        assert "qxcanary" not in readable, f"the name leaked into {name}"
    assert verify_package(tmp_path / "out") == []


def test_two_productions_made_at_once_never_share_a_production_number(
        case, tmp_path, monkeypatch):
    """Another production with the same prefix commits while this one is being written
    (the PDF takes a while): this one must not take the numbers the other took."""
    from civicarchive import exports
    archive, request, _ = case
    write, other = exports.write_evidence_package, []

    def meanwhile(*args, **kwargs):
        folder = write(*args, **kwargs)
        monkeypatch.setattr(exports, "write_evidence_package", write)
        other.append(archive.productions.produce(request, "clerk", folder=tmp_path / "other",
                                                 prefix="CITY-"))
        return folder
    monkeypatch.setattr(exports, "write_evidence_package", meanwhile)
    with pytest.raises(InvalidInput, match="produce again"):
        archive.productions.produce(request, "clerk", folder=tmp_path / "out", prefix="CITY-")
    assert not (tmp_path / "out").exists()
    again = archive.productions.produce(request, "clerk", folder=tmp_path / "out",
                                        prefix="CITY-")
    assert other[0]["numbers"][0] == "CITY-000001"
    assert int(again["numbers"][0][5:]) == int(other[0]["numbers"][1][5:]) + 1
