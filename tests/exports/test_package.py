"""Evidence packages: a clean package verifies; each kind of tampering is reported; redacted
versions leave no trace of their words and still verify; produced files are bagged and listed."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import bagit
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from warcio.archiveiterator import ArchiveIterator

from civicarchive import Archive
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.exports import verify_evidence_package, write_evidence_package
from civicarchive.exports.verification import check_evidence_package
from civicarchive.store.canonical import canonical_json
from tests.conftest import observe


@pytest.fixture
def package(archive, account, tmp_path):
    archive.ingesting.ingest([observe(account.id, "1", "hello", 0),
                              observe(account.id, "1", "hello, edited", 5),
                              observe(account.id, "2", "second post", 1)], source="t")
    ids = [v.id for item in (1, 2) for v in archive.reading.history(item)]
    return write_evidence_package(archive.evidence.source, ids, tmp_path / "package"), ids


def _rebag(folder) -> None:
    """Recompute the manifests, as a forger would, so only the deeper checks can catch it."""
    bagit.Bag(str(folder)).save(manifests=True)


def _has(problems: list[str], *words: str) -> bool:
    return any(all(w in p for w in words) for p in problems)


def test_package_clean_verifies(archive, package):
    folder, ids = package
    data = folder / "data"
    assert sorted(p.name for p in data.iterdir()) == [
        "CERTIFICATE.md", "capture-gaps.json", "checkpoint.json", "proofs", "public-key.pem",
        "records.jsonl", "records.warc.gz"]
    assert orjson.loads((data / "capture-gaps.json").read_bytes()) == {
        "format": "civicarchive-capture-gaps/1", "checkpoint": None, "gaps": []}
    assert "no gap in the live capture" in (data / "CERTIFICATE.md").read_text()
    assert sorted(p.name for p in folder.iterdir()) == [
        "bag-info.txt", "bagit.txt", "data", "manifest-sha256.txt", "tagmanifest-sha256.txt",
        "tagmanifest-sha256.txt.sig"]
    assert len((data / "records.jsonl").read_text().splitlines()) == len(ids)
    assert archive.context.public_key_fingerprint in (data / "CERTIFICATE.md").read_text()
    assert (folder / "manifest-sha256.txt").exists()
    assert verify_evidence_package(folder) == []
    assert verify_evidence_package(folder, archive.evidence.public_key_pem()) == []


def test_package_byte_flip_in_records_is_reported(package):
    folder, _ = package
    path = folder / "data" / "records.jsonl"
    path.write_bytes(path.read_bytes().replace(b"hello, edited", b"hello, edites"))
    assert _has(verify_evidence_package(folder), "bag:", "records.jsonl")
    _rebag(folder)
    assert _has(verify_evidence_package(folder), "content does not hash")


def test_package_swapped_proof_is_reported(package):
    folder, ids = package
    first, second = (folder / "data" / "proofs" / f"version-{v}.json" for v in ids[:2])
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b), second.write_bytes(a)
    assert _has(verify_evidence_package(folder), "bag:")
    _rebag(folder)
    problems = verify_evidence_package(folder)
    assert _has(problems, f"version-{ids[0]}.json", "not the version its name says")


def test_package_removed_proof_is_reported(package):
    folder, ids = package
    (folder / "data" / "proofs" / f"version-{ids[0]}.json").unlink()
    assert _has(verify_evidence_package(folder), "bag:")
    _rebag(folder)
    assert _has(verify_evidence_package(folder), f"version {ids[0]} has no proof")


def _resign(folder, forger: Ed25519PrivateKey) -> None:
    """What a forger holding a key of their own does once the files are as they want."""
    bag = bagit.Bag(str(folder))
    bag.info["Signing-Key-SHA256"] = hashlib.sha256(_raw(forger)).hexdigest()
    bag.save(manifests=True)
    (folder / "tagmanifest-sha256.txt.sig").write_bytes(
        forger.sign((folder / "tagmanifest-sha256.txt").read_bytes()))


def _raw(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.Raw,
                                             serialization.PublicFormat.Raw)


def test_package_forged_checkpoint_fails_against_the_trusted_key(archive, package):
    folder, _ = package
    forger = Ed25519PrivateKey.generate()
    raw = _raw(forger)
    signed = [*(folder / "data" / "proofs").glob("*.json"), folder / "data" / "checkpoint.json"]
    for path in signed:
        doc = json.loads(path.read_text())
        doc["checkpoint"]["signature"] = base64.b64encode(
            forger.sign(doc["checkpoint"]["body"].encode())).decode()
        if "public_key" in doc:
            doc["public_key"] = base64.b64encode(raw).decode()
        path.write_text(json.dumps(doc))
    (folder / "data" / "public-key.pem").write_bytes(forger.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    _resign(folder, forger)
    assert _has(verify_evidence_package(folder), "CERTIFICATE.md names key fingerprint")
    certificate = folder / "data" / "CERTIFICATE.md"
    certificate.write_text(certificate.read_text().replace(
        archive.context.public_key_fingerprint, hashlib.sha256(raw).hexdigest()))
    _resign(folder, forger)
    assert verify_evidence_package(folder) == []  # self-consistent, hence the trusted key
    problems = verify_evidence_package(folder, archive.evidence.public_key_pem())
    assert _has(problems, "public-key.pem is not the trusted key")
    assert _has(problems, "different key than the one you trust")
    assert _has(problems, "tagmanifest-sha256.txt.sig does not verify")
    assert _has(problems, "checkpoint.json: the checkpoint's signature does not verify")


def test_package_version_missing_from_records_is_reported(package):
    folder, ids = package
    path = folder / "data" / "records.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[1:]))
    _rebag(folder)
    assert _has(verify_evidence_package(folder), f"version {ids[0]} has a proof but no line")


def test_package_tampered_raw_capture_is_reported(archive, package, tmp_path):
    folder, ids = package
    path = folder / "data" / "records.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    lines[0]["raw_sha256"] = "0" * 64
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    _rebag(folder)
    problems = verify_evidence_package(folder)
    assert _has(problems, "raw_sha256 differs from the signed ledger entry")
    assert _has(problems, "records.warc.gz", f"version {ids[0]}")


def test_package_tampered_content_in_the_warc_metadata_is_reported(package):
    folder, ids = package
    path = folder / "data" / "records.warc.gz"
    warc = gzip.decompress(path.read_bytes())
    forged = warc.replace(b'"text": "hello, edited"', b'"text": "hello, edites"')
    assert forged != warc
    path.write_bytes(gzip.compress(forged))  # one gzip member: reported, not a crash
    _rebag(folder)
    assert _has(verify_evidence_package(folder), "records.warc.gz cannot be read")
    path.write_bytes(forged)  # uncompressed WARC records read as well
    _rebag(folder)
    assert _has(verify_evidence_package(folder), f"content in the metadata of version {ids[1]}",
                "does not hash")


def test_package_refuses_a_folder_that_is_not_empty(archive, package):
    folder, ids = package
    with pytest.raises(Exception, match="not empty"):
        write_evidence_package(archive.evidence.source, ids, folder)


def test_package_purged_version_still_verifies(archive, account, tmp_path):
    archive.ingesting.ingest([observe(account.id, "1", "hello", 0)], source="t")
    version = archive.reading.history(1)[0].id
    archive.disposition.purge([version], reason="schedule GS-1 approved", actor="clerk")
    folder = write_evidence_package(archive.evidence.source, [version], tmp_path / "purged")
    assert verify_evidence_package(folder, archive.evidence.public_key_pem()) == []
    shutil.rmtree(folder)


def test_cli_export_and_verify_package(tmp_path):
    from click.testing import CliRunner

    from civicarchive.cli import main
    home = ["--home", str(tmp_path / "home")]
    runner = CliRunner()
    runner.invoke(main, [*home, "init", "--agency", "Town"])
    runner.invoke(main, [*home, "accounts", "add", "--platform", "x", "--handle", "t",
                         "--classification", "agency"])
    feed = tmp_path / "posts.jsonl"
    feed.write_text('{"native_id": "1", "kind": "post", "created_at": "2025-01-01T00:00:00Z",'
                    ' "observed_at": "2025-01-02T00:00:00Z", "author": "t", "text": "hello"}\n')
    assert runner.invoke(main, [*home, "ingest-jsonl", str(feed), "--account", "1"]).exit_code == 0
    package = tmp_path / "package"
    result = runner.invoke(main, [*home, "export", "--item", "1", "--format", "bagit", "-o",
                                  str(package)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["verify-package", str(package)]).exit_code == 0
    (package / "data" / "public-key.pem").write_text("not a key")
    result = runner.invoke(main, ["verify-package", str(package)])
    assert result.exit_code == 1 and "FAILED" in result.output
    warc = tmp_path / "records.warc.gz"
    assert runner.invoke(main, [*home, "export", "--version", "1", "--format", "warc", "-o",
                                str(warc)]).exit_code == 0
    assert warc.read_bytes()[:2] == b"\x1f\x8b"
    assert runner.invoke(main, [*home, "export", "--format", "warc", "-o",
                                str(warc)]).exit_code == 1


@pytest.fixture
def exporting(cli, tmp_path):
    """`cli` on an archive of one version (id 1)."""
    cli("init", "--agency", "Town")
    cli("accounts", "add", "--platform", "x", "--handle", "t", "--classification", "agency")
    feed = tmp_path / "posts.jsonl"
    feed.write_text('{"native_id": "1", "kind": "post", "created_at": "2025-01-01T00:00:00Z",'
                    ' "observed_at": "2025-01-02T00:00:00Z", "author": "t", "text": "hello"}\n')
    cli("ingest-jsonl", feed, "--account", "1")
    return cli


def failed_plainly(result, said: str) -> bool:
    """The command failed with a one-line error that says `said`, not a traceback."""
    assert type(result.exception) is SystemExit, result.output[-500:]
    return result.exit_code == 1 and result.output.startswith("error: ") and \
        said in result.output


@pytest.mark.parametrize("database_url", [None])  # about files, not the store
def test_cli_export_never_replaces_a_file(exporting, tmp_path, database_url):
    target = tmp_path / "existing.txt"
    target.write_text("keep me")
    result = exporting("export", "--version", "1", "--format", "warc", "-o", target, ok=False)
    assert failed_plainly(result, f"{target} already exists")
    assert target.read_text() == "keep me"
    exporting("export", "--version", "1", "--format", "warc", "-o", tmp_path / "new.warc")
    assert (tmp_path / "new.warc").read_bytes()[:2] == b"\x1f\x8b"  # a gzipped WARC


@pytest.mark.parametrize("database_url", [None])
def test_cli_export_hint_can_be_pasted_whatever_the_folder_is_called(
        exporting, tmp_path, database_url, monkeypatch):
    import shlex
    monkeypatch.chdir(tmp_path)
    said = exporting("export", "--version", "1", "--format", "bagit", "-o", "-dash it").output
    hint = said.split("check it with `")[1].split("`")[0]
    assert hint == "civicarchive verify-package './-dash it'"
    assert exporting(*shlex.split(hint)[1:]).exit_code == 0

@pytest.mark.parametrize("database_url", [None])
@pytest.mark.parametrize("fmt, output, said", [
    ("bagit", "file.txt", "file.txt is not a folder"),
    ("bagit", "/dev/null", "/dev/null is not a folder"),
    ("warc", ".", "already exists"),
    ("warc", "typo/records.warc.gz", "the folder {tmp}/typo does not exist"),
    ("bagit", "typo/package", "the folder {tmp}/typo does not exist"),
], ids=["bagit-file", "bagit-dev-null", "warc-folder", "warc-no-parent", "bagit-no-parent"])
def test_cli_export_says_why_it_cannot_write_there(exporting, tmp_path, database_url, fmt,
                                                   output, said):
    (tmp_path / "file.txt").write_text("keep me")
    target = tmp_path / output
    result = exporting("export", "--version", "1", "--format", fmt, "-o", target, ok=False)
    assert failed_plainly(result, said.format(tmp=tmp_path)), result.output
    assert not (tmp_path / "typo").exists()  # a typo'd path makes no folders
    assert (tmp_path / "file.txt").read_text() == "keep me"


@pytest.mark.parametrize("database_url", [None])
def test_cli_export_that_runs_out_of_space_says_so_and_leaves_nothing(
        exporting, tmp_path, database_url, monkeypatch):
    import errno

    from civicarchive import exports

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(exports, "write_warc", full)
    target = tmp_path / "records.warc.gz"
    result = exporting("export", "--version", "1", "--format", "warc", "-o", target, ok=False)
    assert failed_plainly(result, f"cannot write {target}: No space left on device")
    assert not target.exists()


# -- redacted versions ---------------------------------------------------------------

CANARY = "CANARY-7731-private"
RENDERING = b'{"text": "call me at [REDACTED: personal information]"}'


@pytest.fixture
def redacted_package(archive, account, tmp_path):
    """Three versions; item 2's only version (text and raw bytes hold CANARY) is redacted."""
    archive.ingesting.ingest([observe(account.id, "1", "hello", 0),
                              observe(account.id, "1", "hello, edited", 5),
                              observe(account.id, "2", f"call me at {CANARY}", 1)], source="t")
    ids = [v.id for item in (1, 2) for v in archive.reading.history(item)]
    secret = archive.reading.history(2)[0].id
    folder = write_evidence_package(archive.evidence.source, ids, tmp_path / "redacted",
                                    redacted={secret: RENDERING})
    return folder, ids, secret


def _lines(folder) -> list[dict]:
    return [json.loads(line) for line in
            (folder / "data" / "records.jsonl").read_text().splitlines()]


def _write_lines(folder, lines: list[dict]) -> None:
    (folder / "data" / "records.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in lines))


def _found_in_package(folder, needle: bytes) -> list[str]:
    """Every place the bytes occur: files as stored, gunzipped, and each WARC record."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        views = {"file": data}
        if path.name.endswith(".gz"):
            views["gunzipped"] = gzip.decompress(data)
            views.update({f"record {n}": record.content_stream().read() for n, record in
                          enumerate(ArchiveIterator(io.BytesIO(data)))})
        found += [f"{path.relative_to(folder)} ({view})" for view, seen in views.items()
                  if needle in seen or needle.lower() in seen.lower()]
    return found


def test_package_redacted_version_verifies_and_is_counted(archive, redacted_package):
    folder, ids, secret = redacted_package
    assert verify_evidence_package(folder) == []
    report = check_evidence_package(folder, archive.evidence.public_key_pem())
    assert report.ok and (report.proven, report.included, report.redacted) == (3, 2, 1)
    assert "1 redacted" in report.summary()
    line = next(line for line in _lines(folder) if line["version"] == secret)
    assert line["payload"] == "redacted" and line["content"] is None
    assert line["rendering"] == json.loads(RENDERING)
    assert line["raw_sha256"] == archive.reading.version(secret).raw_sha256
    proof = json.loads((folder / "data" / "proofs" / f"version-{secret}.json").read_text())
    assert proof["content"] is None
    certificate = (folder / "data" / "CERTIFICATE.md").read_text()
    assert f"| {secret} | 2 | created |" in certificate
    assert f"redacted (rendering sha256 `{line['rendering_sha256']}`)" in certificate
    assert "## Redacted versions" in certificate


def test_package_redacted_canary_appears_in_no_file(archive, redacted_package, tmp_path):
    folder, ids, _ = redacted_package
    assert _found_in_package(folder, CANARY.encode()) == []
    plain = write_evidence_package(archive.evidence.source, ids,
                                   tmp_path / "plain")  # the search can see it
    found = _found_in_package(plain, CANARY.encode())
    assert any("records.jsonl" in f for f in found) and any("record " in f for f in found)
    assert any("proofs" in f for f in found)


def test_package_byte_flip_in_a_redacted_rendering_is_reported(redacted_package):
    folder, _, secret = redacted_package
    path = folder / "data" / "records.jsonl"
    path.write_bytes(path.read_bytes().replace(b"call me at", b"call me on"))
    assert _has(verify_evidence_package(folder), "bag:", "records.jsonl")
    _rebag(folder)
    assert _has(verify_evidence_package(folder), "rendering does not hash")
    lines = _lines(folder)  # a forger who also fixes the rendering's hash
    line = next(line for line in lines if line["version"] == secret)
    line["rendering_sha256"] = hashlib.sha256(canonical_json(line["rendering"])).hexdigest()
    _write_lines(folder, lines)
    _rebag(folder)
    problems = verify_evidence_package(folder)
    assert _has(problems, f"version {secret} is redacted", "with another rendering")
    assert _has(problems, "rendering of version", "does not match its rendering_sha256")


def test_package_redacted_flag_on_an_unredacted_version_is_reported(redacted_package):
    folder, ids, _ = redacted_package
    lines = _lines(folder)
    rendering = {"text": "something else entirely"}
    lines[0].update(content=None, payload="redacted", rendering=rendering,
                    rendering_sha256=hashlib.sha256(canonical_json(rendering)).hexdigest())
    _write_lines(folder, lines)
    _rebag(folder)
    problems = verify_evidence_package(folder)
    assert _has(problems, f"version {ids[0]} is redacted", "lists it as included")
    assert _has(problems, f"captured bytes of version {ids[0]}", "payload is redacted")


def test_package_purged_flag_on_an_included_version_is_reported(package):
    folder, ids = package
    lines = _lines(folder)
    lines[1].update(content=None, payload="purged")
    _write_lines(folder, lines)
    _rebag(folder)
    problems = verify_evidence_package(folder)
    assert _has(problems, f"version {ids[1]} is purged", "lists it as included")


def test_package_version_dropped_from_every_file_is_reported(package):
    folder, ids = package
    (folder / "data" / "proofs" / f"version-{ids[2]}.json").unlink()
    _write_lines(folder, [line for line in _lines(folder) if line["version"] != ids[2]])
    _rebag(folder)
    assert _has(verify_evidence_package(folder), f"lists version {ids[2]}", "no line")


def test_package_rejects_a_rendering_of_a_version_it_does_not_hold(archive, package, tmp_path):
    _, ids = package
    with pytest.raises(InvalidInput, match="not exported"):
        write_evidence_package(archive.evidence.source, ids[:1], tmp_path / "p",
                               redacted={ids[1]: RENDERING})
    assert not (tmp_path / "p").exists()


# -- produced files ------------------------------------------------------------------

PRODUCED = {"production.pdf": b"%PDF-1.7 produced pages", "production.csv": b"id,text\n1,a\n",
            "withheld/withheld.csv": b"item,exemption\n9,personal information\n"}


@pytest.fixture
def production(archive, account, tmp_path):
    archive.ingesting.ingest([observe(account.id, "1", "hello", 0)], source="t")
    folder = write_evidence_package(archive.evidence.source, [1], tmp_path / "production",
                                    extra=PRODUCED,
                                    description="Production 1 of request R-2026-0007.\n"
                                                "| 9 | 9 | created | x | 9 | included |")
    return folder


def test_package_extra_files_are_bagged_and_listed(archive, production):
    folder = production
    manifest = (folder / "manifest-sha256.txt").read_text()
    certificate = (folder / "data" / "CERTIFICATE.md").read_text()
    for name, data in PRODUCED.items():
        assert (folder / "data" / name).read_bytes() == data
        digest = hashlib.sha256(data).hexdigest()
        assert f"{digest}  data/{name}" in manifest
        assert f"| `data/{name}` | {len(data)} | `{digest}` |" in certificate
    assert "> Production 1 of request R-2026-0007." in certificate
    report = check_evidence_package(folder, archive.evidence.public_key_pem())
    assert report.problems == [] and report.files == 3


def test_package_tampered_extra_file_is_reported(production):
    (production / "data" / "production.csv").write_bytes(b"id,text\n1,b\n")
    assert _has(verify_evidence_package(production), "bag:", "production.csv")
    _rebag(production)
    assert _has(verify_evidence_package(production), "data/production.csv differs")


def test_package_added_or_removed_file_is_reported(production):
    (production / "data" / "extra-exhibit.pdf").write_bytes(b"%PDF-1.7 planted")
    (production / "data" / "withheld" / "withheld.csv").unlink()
    _rebag(production)
    problems = verify_evidence_package(production)
    assert _has(problems, "data/extra-exhibit.pdf is neither part of the package")
    assert _has(problems, "lists data/withheld/withheld.csv, which is not in the package")


@pytest.mark.parametrize("name", ["../escape.pdf", "/etc/passwd", "a\\b.pdf", "a/../b.pdf",
                                  "", "a//b.pdf", ".hidden", "C:/x.pdf", "records.jsonl",
                                  "Proofs/version-1.json", "CERTIFICATE.md", "a|b.csv"])
def test_package_extra_rejects_unsafe_names(archive, account, tmp_path, name):
    archive.ingesting.ingest([observe(account.id, "1", "hello", 0)], source="t")
    with pytest.raises(InvalidInput, match="extra file name"):
        write_evidence_package(archive.evidence.source, [1], tmp_path / "p", extra={name: b"x"})
    assert not (tmp_path / "p").exists() and not (tmp_path / "escape.pdf").exists()


def test_package_failed_write_leaves_the_folder_empty(archive, account, tmp_path):
    archive.ingesting.ingest([observe(account.id, "1", "hello", 0)], source="t")
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(NotFound):
        write_evidence_package(archive.evidence.source, [1, 99], folder, extra=PRODUCED)
    assert folder.is_dir() and list(folder.iterdir()) == []


# -- records.jsonl against the signed ledger entries ---------------------------------

# A forged value of each member a records.jsonl line restates, and values equal in Python
# but not in JSON. The first line is version 1, "hello" (url, parent_native_id null).
FORGED = [("item", 99), ("account", 99), ("platform", "facebook"), ("native_id", "forged"),
          ("kind", "comment"), ("parent_native_id", "p-0"), ("author", "someone else"),
          ("url", "https://social.example/forged"), ("created_at", "2020-01-01T00:00:00.000000Z"),
          ("event", "deleted"), ("observed_at", "2020-01-01T00:00:00.000000Z"),
          ("recorded_at", "2020-01-01T00:00:00.000000Z"), ("source", "jsonl:forged.jsonl"),
          ("content_sha256", "0" * 64), ("raw_sha256", "0" * 64), ("ledger_index", 0),
          ("item", 1.0), ("account", True), ("ledger_index", "LEDGER")]


def test_record_line_fields_are_the_entry_members():
    from civicarchive.exports.records import LINE_FIELDS
    from civicarchive.store.proofcheck import _member_rules
    assert set(LINE_FIELDS) == set(_member_rules()) - {"type"} | {"ledger_index"}
    assert {name for name, _ in FORGED} == set(LINE_FIELDS) - {"version"}


@pytest.mark.parametrize(("name", "value"), FORGED, ids=[f"{n}={v!r}" for n, v in FORGED])
def test_package_forged_record_member_is_named(package, name, value):
    folder, _ = package
    lines = _lines(folder)
    if name == "ledger_index" and value == 0:
        value = lines[0]["ledger_index"] + 1  # another position, whatever the first is
    if name in ("item", "account") and not isinstance(value, int | bool):
        value = float(lines[0][name])  # 1.0 for 1: equal in Python, not in JSON
    assert lines[0][name] != value or type(lines[0][name]) is not type(value)
    lines[0][name] = value
    _write_lines(folder, lines)
    _rebag(folder)
    problems = verify_evidence_package(folder)
    assert _has(problems, "records.jsonl line 1:", f"{name} differs from the signed ledger entry")


@pytest.mark.parametrize("name", ["native_id", "url", "platform", "ledger_index", "author"])
def test_package_record_member_left_out_is_named(package, name):
    folder, _ = package
    lines = _lines(folder)
    del lines[1][name]
    _write_lines(folder, lines)
    _rebag(folder)
    assert _has(verify_evidence_package(folder), "records.jsonl line 2:", f"{name} is missing")


def test_package_record_unknown_member_is_named(package):
    folder, _ = package
    lines = _lines(folder)
    lines[2]["note"] = "approved by the mayor"
    lines[0]["rendering"] = {"text": "a rendering on an included version"}
    _write_lines(folder, lines)
    _rebag(folder)
    problems = verify_evidence_package(folder)
    assert _has(problems, "records.jsonl line 3:", "note is not a member of a record line")
    assert _has(problems, "records.jsonl line 1:", "rendering is not a member")


def _extra(lines):  # a line for a version the package does not prove
    return [*lines, {**lines[0], "version": 99}]


LINE_CHANGES = {
    "extra": (_extra, ["records.jsonl line 4:", "version 99 has no proof that verifies"]),
    "missing": (lambda lines: lines[1:], ["version 1 has a proof but no line"]),
    "duplicated": (lambda lines: [*lines, lines[0]],
                   ["records.jsonl line 4:", "version 1 has a line already (line 1)"]),
    "reordered": (lambda lines: [lines[1], lines[0], lines[2]],
                  ["records.jsonl line 2:", "version 1 comes after version 2"]),
    "not JSON": (lambda lines: [lines[0], "{not json", *lines[1:]],
                 ["records.jsonl line 2:", "not a JSON record with a version"]),
    "version 1.0": (lambda lines: [{**lines[0], "version": 1.0}, *lines[1:]],
                    ["records.jsonl line 1:", "not a JSON record with a version"]),
}


@pytest.mark.parametrize("change", LINE_CHANGES)
def test_package_records_lines_changed_are_reported(package, change):
    folder, _ = package
    transform, words = LINE_CHANGES[change]
    lines = _lines(folder)
    assert [line["version"] for line in lines] == [1, 2, 3]  # ascending version id
    (folder / "data" / "records.jsonl").write_text("".join(
        (line if isinstance(line, str) else json.dumps(line)) + "\n"
        for line in transform(lines)))
    _rebag(folder)
    assert _has(verify_evidence_package(folder), *words)


def test_package_records_follow_version_order_whatever_order_is_given(archive, package,
                                                                      tmp_path):
    _, ids = package
    folder = write_evidence_package(archive.evidence.source, list(reversed(ids)),
                                    tmp_path / "reversed")
    assert [line["version"] for line in _lines(folder)] == sorted(ids)
    assert verify_evidence_package(folder) == []


def test_package_warc_metadata_differing_from_the_entry_is_reported(package):
    folder, _ = package
    path = folder / "data" / "records.warc.gz"
    warc = gzip.decompress(path.read_bytes())
    forged = warc.replace(b'"source": "t"', b'"source": "x"')
    assert forged != warc
    path.write_bytes(forged)
    _rebag(folder)
    assert _has(verify_evidence_package(folder), "metadata of version",
                "differs from its signed ledger entry in source")


# -- the signature -------------------------------------------------------------------

def _edit_certificate(folder) -> None:
    path = folder / "data" / "CERTIFICATE.md"
    path.write_text(path.read_text().replace("Certificate of authenticity",
                                             "Certificate of authenticity (amended)"))
    _rebag(folder)


def _edit_bag_info(folder) -> None:
    bag = bagit.Bag(str(folder))
    bag.info["Source-Organization"] = "Some Other Agency"
    bag.save(manifests=True)


def _edit_key_statement(folder) -> None:
    bag = bagit.Bag(str(folder))
    bag.info["Signing-Key-SHA256"] = "0" * 64
    bag.save()


EDITS = {"certificate": _edit_certificate, "bag-info": _edit_bag_info,
         "bag-info key": _edit_key_statement}


@pytest.mark.parametrize("edit", EDITS)
def test_package_signed_file_edited_fails_the_signature(archive, package, edit):
    folder, _ = package
    EDITS[edit](folder)
    assert bagit.Bag(str(folder)).is_valid()  # the manifests were recomputed
    for key in (None, archive.evidence.public_key_pem()):
        assert _has(verify_evidence_package(folder, key), "tagmanifest-sha256.txt.sig does "
                    "not verify over tagmanifest-sha256.txt")


def test_package_without_its_signature_or_with_an_unsigned_file_is_reported(package):
    folder, _ = package
    (folder / "notes.txt").write_text("added later")
    assert _has(verify_evidence_package(folder), "notes.txt is not part of a signed package")
    (folder / "tagmanifest-sha256.txt.sig").unlink()
    assert _has(verify_evidence_package(folder), "the package is not signed")


def test_package_signed_by_another_key_fails_against_the_trusted_key(archive, package):
    folder, _ = package
    forger = Ed25519PrivateKey.generate()
    (folder / "tagmanifest-sha256.txt.sig").write_bytes(
        forger.sign((folder / "tagmanifest-sha256.txt").read_bytes()))
    problems = verify_evidence_package(folder, archive.evidence.public_key_pem())
    assert _has(problems, "tagmanifest-sha256.txt.sig does not verify")


def test_package_report_says_which_key_it_checked_against(archive, package):
    folder, _ = package
    own = check_evidence_package(folder)
    trusted = check_evidence_package(folder, archive.evidence.public_key_pem())
    fingerprint = archive.context.public_key_fingerprint
    assert own.ok and own.signed and not own.trusted_key and own.key_fingerprint == fingerprint
    assert "signed by its own key" in own.summary()
    assert trusted.ok and trusted.trusted_key
    assert f"signed by the trusted key {fingerprint}" in trusted.summary()


def test_package_valid_passes_the_ecosystem_tools(archive, package):
    folder, _ = package
    bagit.Bag(str(folder)).validate()
    tools = Path(sys.executable).parent
    for command in ([tools / "bagit.py", "--validate", folder],
                    [tools / "warcio", "check", folder / "data" / "records.warc.gz"]):
        done = subprocess.run([str(part) for part in command], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    bag_info = (folder / "bag-info.txt").read_text()
    assert f"Signing-Key-SHA256: {archive.context.public_key_fingerprint}" in bag_info
    assert "Signature-Algorithm: Ed25519" in bag_info


def test_package_signature_verifies_with_openssl(archive, package, tmp_path):
    folder, _ = package
    key = tmp_path / "agency.pem"
    key.write_bytes(archive.evidence.public_key_pem())

    def openssl_verify() -> subprocess.CompletedProcess:
        return subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(key),
                               "-rawin", "-in", "tagmanifest-sha256.txt", "-sigfile",
                               "tagmanifest-sha256.txt.sig"], cwd=folder, capture_output=True,
                              text=True)
    done = openssl_verify()
    assert done.returncode == 0 and "Verified Successfully" in done.stdout, done.stderr
    _edit_bag_info(folder)
    assert openssl_verify().returncode != 0


def test_package_holds_no_secret(archive, package):
    folder, _ = package
    private = serialization.load_pem_private_key(
        (archive.context.settings.keys_dir / "archive-ed25519.pem").read_bytes(), None)
    seed = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
    secrets = [seed, base64.b64encode(seed), seed.hex().encode(),
               b"PRIVATE KEY"]
    for path in (p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        views = [data, gzip.decompress(data)] if path.suffix == ".gz" else [data]
        assert not any(secret in view for secret in secrets for view in views), path


# -- the newest checkpoint and the consistency proofs --------------------------------

class _OlderProofs:
    """The archive as the writers read it, but with proofs made earlier for some versions
    (as a production reusing older proofs would have)."""

    def __init__(self, source, older: dict[int, dict]) -> None:
        self._source, self._older = source, older

    def __getattr__(self, name):
        return getattr(self._source, name)

    def proofs(self, version_ids):
        for proof in self._source.proofs(version_ids):
            yield self._older.get(proof["version_id"], proof)


@pytest.fixture
def linked(archive, account, tmp_path):
    """A package whose first version's proof is signed over an older, smaller tree."""
    archive.ingesting.ingest([observe(account.id, "1", "hello", 0)], source="t")
    older = archive.evidence.proof(1)
    archive.ingesting.ingest([observe(account.id, "2", "second post", 1),
                              observe(account.id, "3", "third post", 2)], source="t")
    source = _OlderProofs(archive.evidence.source, {1: older})
    folder = write_evidence_package(source, [1, 2, 3], tmp_path / "linked")
    return folder, older["tree_size"]


def _checkpoint_doc(folder) -> dict:
    return json.loads((folder / "data" / "checkpoint.json").read_text())


def test_package_proofs_of_several_tree_sizes_are_linked(archive, linked):
    folder, old_size = linked
    doc = _checkpoint_doc(folder)
    newest = int(doc["checkpoint"]["body"].split("\n")[2].removeprefix("size "))
    sizes = [entry["tree_size"] for entry in doc["consistency"]]
    assert old_size < newest and old_size in sizes and len(sizes) == 2
    assert next(e["path"] for e in doc["consistency"] if e["tree_size"] == old_size)
    report = check_evidence_package(folder, archive.evidence.public_key_pem())
    assert report.problems == [] and report.checkpoint_size == newest
    certificate = (folder / "data" / "CERTIFICATE.md").read_text()
    assert f"(tree size {newest}, root `" in certificate


def _flip_path(doc: dict, old_size: int) -> None:
    entry = next(e for e in doc["consistency"] if e["tree_size"] == old_size)
    entry["path"][0] = ("0" if entry["path"][0][0] != "0" else "1") + entry["path"][0][1:]


CHECKPOINT_CHANGES = {
    "path flipped": (_flip_path, "the consistency proof from tree size {old} "),
    "entry dropped": (lambda doc, old: doc.update(consistency=[
        e for e in doc["consistency"] if e["tree_size"] != old]),
        "has no consistency proof from tree size {old}"),
    "entry added": (lambda doc, old: doc["consistency"].append({"tree_size": 1, "path": []}),
                    "a consistency proof from tree size 1, which no verified proof"),
    "signature forged": (lambda doc, old: doc["checkpoint"].update(signature=base64.b64encode(
        Ed25519PrivateKey.generate().sign(doc["checkpoint"]["body"].encode())).decode()),
        "the checkpoint's signature does not verify"),
    "member added": (lambda doc, old: doc.update(timestamp="later"),
                     "must be an object of exactly format, checkpoint and consistency"),
}


@pytest.mark.parametrize("change", CHECKPOINT_CHANGES)
def test_package_checkpoint_file_changed_is_reported(linked, change):
    folder, old_size = linked
    transform, words = CHECKPOINT_CHANGES[change]
    doc = _checkpoint_doc(folder)
    transform(doc, old_size)
    (folder / "data" / "checkpoint.json").write_text(json.dumps(doc))
    _rebag(folder)
    assert _has(verify_evidence_package(folder), "data/checkpoint.json",
                words.format(old=old_size))


def test_package_two_trees_of_one_size_are_reported(archive, linked):
    from civicarchive.exports.consistency import ProvenTree, check_checkpoint_link
    from civicarchive.store.checkpoint import load_public_key
    folder, old_size = linked
    origin = archive.context.archive_id
    proof = json.loads((folder / "data" / "proofs" / "version-1.json").read_text())
    root = proof["checkpoint"]["body"].split("\n")[3].removeprefix("root ")
    trees = [ProvenTree("a.json", origin, old_size, root),
             ProvenTree("b.json", origin, old_size, "ab" * 32),
             ProvenTree("c.json", "another-archive", old_size, root)]
    problems: list[str] = []
    check_checkpoint_link(folder / "data" / "checkpoint.json", "checkpoint.json",
                          load_public_key(archive.evidence.public_key_pem()), trees, problems)
    assert _has(problems, "b.json and a.json name two different trees")
    assert _has(problems, "c.json: signed by archive another-archive")
    assert not _has(problems, f"tree size {old_size}")  # a.json links as it should


def test_package_needs_the_archive_key_and_leaves_no_folder_without_it(archive, account,
                                                                       tmp_path):
    from civicarchive.errors import ArchiveError
    archive.ingesting.ingest([observe(account.id, "1", "hello", 0)], source="t")
    settings = archive.context.settings
    (settings.keys_dir / "archive-ed25519.pem").rename(tmp_path / "backup.pem")
    with Archive.open(settings.home, settings.database_url) as replica:  # no key here
        with pytest.raises(ArchiveError, match="signing key is missing"):
            write_evidence_package(replica.evidence.source, [1], tmp_path / "unsigned")
    assert not (tmp_path / "unsigned").exists()


@pytest.mark.parametrize("header", ["civicarchive checkpoint v1", "civicarchive checkpoint v2",
                                    "civicarchive checkpoint v3"])
def test_the_archive_key_signs_no_bytes_that_read_as_a_checkpoint_of_any_version(header):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from civicarchive.store.checkpoint import ArchiveKey
    key = ArchiveKey(Ed25519PrivateKey.generate())
    with pytest.raises(ValueError, match="checkpoint body"):
        key.sign_bytes(f"{header}\nexample.gov/archive\n23\nroot ...\n".encode())
    assert len(key.sign_bytes(b"manifest-sha256.txt\n")) == 64


@pytest.mark.parametrize("tag_file", ["bag-info.txt", "manifest-sha256.txt"])
def test_a_tag_file_in_another_encoding_is_a_problem_not_a_crash(package, tag_file):
    folder, _ = package
    path = folder / tag_file
    path.write_bytes(path.read_bytes() + "Contact-Name: Jos\xe9\n".encode("latin-1"))
    report = check_evidence_package(folder)
    assert not report.ok and any("UTF-8" in p for p in report.problems), report.problems
