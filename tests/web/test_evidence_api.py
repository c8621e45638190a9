"""Verification, proofs, evidence exports, the public key and checkpoint, counts, agencies
and uploads through the API, each scoped to who asks."""

from __future__ import annotations

import io
import zipfile

import orjson

from civicarchive.sample import mastodon_archive, observations, write_jsonl


def bearer(deployment, username: str) -> dict:  # noqa: ANN001
    return {"Authorization": f"Bearer {deployment.token(username)}"}


def test_verify_is_for_those_who_verify(deployment):
    api = deployment.client()
    answer = api.post("/api/v1/verify", headers=bearer(deployment, "auditor"))
    assert answer.status_code == 200 and answer.json()["ok"] is True
    refused = api.post("/api/v1/verify", headers=bearer(deployment, "moderator"))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "verify" in refused.json()["detail"]


def test_a_proof_checks_and_a_tampered_one_is_refused(deployment):
    version = deployment.archive.reading.history(deployment.items["post"])[-1]
    proof = deployment.archive.evidence.proof(version.id)
    api, headers = deployment.client(), bearer(deployment, "auditor")
    checked = api.post("/api/v1/proofs/check", json=proof, headers=headers).json()
    assert checked["version_id"] == version.id and checked["signer_is_this_archive"]
    proof["entry"] = proof["entry"].replace("created", "deleted", 1)
    refused = api.post("/api/v1/proofs/check", json=proof, headers=headers)
    assert refused.status_code == 400 and refused.json()["title"]


def test_warc_export_of_own_records_and_404_for_another_agencys(deployment):
    from warcio.archiveiterator import ArchiveIterator
    api, headers = deployment.client(), bearer(deployment, "records_officer")
    answer = api.post("/api/v1/exports", json={"format": "warc",
                                               "items": [deployment.items["post"]]},
                      headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/warc"
    bodies = [r.content_stream().read() for r in ArchiveIterator(io.BytesIO(answer.content))]
    assert any(b"Zoning hearing" in body for body in bodies)
    county = api.post("/api/v1/exports", json={"format": "warc",
                                               "items": [deployment.items["county"]]},
                      headers=headers)
    missing = api.post("/api/v1/exports", json={"format": "warc", "items": [99999]},
                       headers=headers)
    assert county.status_code == missing.status_code == 404
    assert county.json() == missing.json()


def test_bagit_export_is_a_zip_of_a_package_that_verifies(deployment, tmp_path):
    from civicarchive.app.offline import verify_package
    answer = deployment.client().post(
        "/api/v1/exports", json={"format": "bagit", "items": [deployment.items["comment"]]},
        headers=bearer(deployment, "attorney"))
    assert answer.status_code == 200
    zipfile.ZipFile(io.BytesIO(answer.content)).extractall(tmp_path)
    assert verify_package(tmp_path / "evidence-package") == []


def test_a_direct_message_cannot_be_exported_without_the_right_to_read_it(deployment):
    answer = deployment.client().post(
        "/api/v1/exports", json={"format": "warc", "items": [deployment.items["message"]]},
        headers=bearer(deployment, "auditor"))
    assert answer.status_code == 404


def test_public_key_and_checkpoint(deployment):
    api, headers = deployment.client(), bearer(deployment, "auditor")
    assert api.get("/api/v1/public-key", headers=headers).content == \
        deployment.archive.evidence.public_key_pem()
    checkpoint = orjson.loads(api.get("/api/v1/checkpoint", headers=headers).content)
    assert checkpoint and isinstance(checkpoint, dict)


def test_counts_and_agencies_are_the_callers_own(deployment):
    api = deployment.client()
    city = api.get("/api/v1/stats", headers=bearer(deployment, "records_officer")).json()
    county = api.get("/api/v1/stats", headers=bearer(deployment, "county_officer")).json()
    assert city == {"accounts": 2, "items": 4} and county == {"accounts": 1, "items": 1}
    # The city's direct message is not counted for a role that may not read it: a count
    # would tell them it exists.
    moderator = api.get("/api/v1/stats", headers=bearer(deployment, "moderator")).json()
    assert moderator == {"accounts": 2, "items": 3}
    official = api.get("/api/v1/stats", headers=bearer(deployment, "official")).json()
    assert official == {"accounts": 1, "items": 1}
    listed = api.get("/api/v1/agencies", headers=bearer(deployment, "county_officer")).json()
    assert [a["slug"] for a in listed] == ["county-of-other"]


def test_only_admins_add_agencies(deployment):
    api = deployment.client()
    refused = api.post("/api/v1/agencies", json={"name": "Town of Elsewhere"},
                       headers=bearer(deployment, "records_officer"))
    assert refused.status_code == 403
    added = api.post("/api/v1/agencies", json={"name": "Town of Elsewhere"},
                     headers=bearer(deployment, "admin"))
    assert added.status_code == 201 and added.json()["slug"] == "town-of-elsewhere"


def test_upload_a_jsonl_capture_and_an_export(deployment, tmp_path):
    api, headers = deployment.client(), bearer(deployment, "records_officer")
    capture = tmp_path / "capture.jsonl"
    write_jsonl(observations(5), capture)
    with capture.open("rb") as data:
        answer = api.post(f"/api/v1/accounts/{deployment.accounts['city']}/jsonl",
                          files={"file": ("capture.jsonl", data)}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] >= 5
    export = tmp_path / "archive.zip"
    mastodon_archive(export, 3)
    account = deployment.archive.registry.add_account(
        "mastodon", "cityofexample@social.example.gov", "agency", agency="city-of-example")
    with export.open("rb") as data:
        answer = api.post(f"/api/v1/accounts/{account.id}/imports",
                          files={"file": ("../../etc/archive.zip", data)}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["format"] == "mastodon" and answer.json()["created"] >= 3
    assert not list((deployment.archive.context.settings.home / "uploads").iterdir())


def test_upload_into_another_agencys_account_is_not_found(deployment, tmp_path):
    capture = tmp_path / "capture.jsonl"
    write_jsonl(observations(2), capture)
    with capture.open("rb") as data:
        answer = deployment.client().post(
            f"/api/v1/accounts/{deployment.accounts['county']}/jsonl",
            files={"file": ("capture.jsonl", data)},
            headers=bearer(deployment, "records_officer"))
    assert answer.status_code == 404


def test_moderators_cannot_import(deployment, tmp_path):
    capture = tmp_path / "capture.jsonl"
    write_jsonl(observations(2), capture)
    with capture.open("rb") as data:
        answer = deployment.client().post(
            f"/api/v1/accounts/{deployment.accounts['city']}/jsonl",
            files={"file": ("capture.jsonl", data)}, headers=bearer(deployment, "moderator"))
    assert answer.status_code == 403


def test_an_uploads_errors_and_source_name_the_uploaded_file_not_the_server(deployment,
                                                                           tmp_path):
    api, headers = deployment.client(), bearer(deployment, "records_officer")
    home = str(deployment.archive.context.settings.home)
    account = deployment.accounts["city"]
    bad = api.post(f"/api/v1/accounts/{account}/jsonl", headers=headers,
                   files={"file": ("C:\\Users\\clerk\\bad lines.jsonl", b'{"kind": "post"}\n')})
    assert bad.status_code == 400, bad.text
    assert "bad_lines.jsonl:1: missing" in bad.json()["detail"]
    assert home not in bad.text and "uploads" not in bad.text
    capture = tmp_path / "capture.jsonl"
    write_jsonl(observations(2), capture)
    with capture.open("rb") as data:
        done = api.post(f"/api/v1/accounts/{account}/jsonl", headers=headers,
                        files={"file": ("nightly capture.jsonl", data)})
    assert done.status_code == 200, done.text
    from civicarchive.store.entries import audit_rows
    with deployment.archive.context.read() as conn:
        sources = [r.subject for r in conn.execute(audit_rows()) if r.action == "ingest"]
    assert sources[-1] == "jsonl:nightly_capture.jsonl"
    assert not list((deployment.archive.context.settings.home / "uploads").iterdir())


def test_a_checkpoint_reset_is_for_admins_and_sets_a_damaged_note_aside(deployment):
    from civicarchive.store.continuity import LAST_CHECKPOINT_FILE
    keys = deployment.archive.context.settings.keys_dir
    admin, officer = bearer(deployment, "admin"), bearer(deployment, "records_officer")
    (keys / LAST_CHECKPOINT_FILE).write_text("damaged")
    api = deployment.client()
    refused_write = api.post("/api/v1/agencies", json={"name": "Town of Third"},
                             headers=admin)
    assert refused_write.status_code == 503
    assert "checkpoint reset" in refused_write.json()["detail"]
    denied = api.post("/api/v1/checkpoint/reset", json={"reason": "disk fault"},
                      headers=officer)  # (403, or 503 while its audit cannot be written)
    assert denied.status_code in (403, 503)
    assert (keys / LAST_CHECKPOINT_FILE).read_text() == "damaged"
    answer = api.post("/api/v1/checkpoint/reset", json={"reason": "disk fault"},
                      headers=admin)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["superseded"] is None and "not a checkpoint file" in body["damaged"]
    assert (keys / body["set_aside"].rsplit("/", 1)[1]).read_text() == "damaged"
    assert api.post("/api/v1/agencies", json={"name": "Town of Third"},
                    headers=admin).status_code == 201
    assert api.post("/api/v1/verify", headers=bearer(deployment, "auditor")).json()["ok"]


def test_a_split_takeout_is_uploaded_with_every_part(deployment, tmp_path):
    from tests.connectors.test_youtube import CHANNEL_CSV, COMMENTS_CSV, ROOT, VIDEOS_CSV
    api, headers = deployment.client(), bearer(deployment, "records_officer")
    account = deployment.archive.registry.add_account(
        "youtube", "cityofexample", "agency", agency="city-of-example")
    stamp = "takeout-20251130T081502Z"
    parts = {}
    for number, files in (("001", {"channels/channel.csv": CHANNEL_CSV,
                                   "video metadata/videos.csv": VIDEOS_CSV}),
                          ("002", {"comments/comments.csv": COMMENTS_CSV})):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as part:
            for name, text in files.items():
                part.writestr(f"{ROOT}/{name}", text)
        parts[number] = buffer.getvalue()
    url = f"/api/v1/accounts/{account.id}/imports"
    alone = api.post(url, headers=headers,
                     files=[("file", (f"{stamp}-002.zip", parts["002"]))])
    assert alone.status_code == 400, alone.text
    assert f"{stamp}-001.zip is not beside it in the upload" in alone.json()["detail"]
    assert "uploads" not in alone.text
    both = api.post(url, headers=headers,
                    files=[("file", (f"{stamp}-002.zip", parts["002"])),
                           ("file", (f"{stamp}-001.zip", parts["001"]))])
    assert both.status_code == 200, both.text
    report = both.json()
    assert report["evidence"]["parts"] == f"{stamp}-001.zip, {stamp}-002.zip"
    assert {kind: n["created"] for kind, n in report["by_kind"].items()} == \
        {"comment": 2, "post": 2, "profile": 1, "reply": 1}
    twice = api.post(url, headers=headers,
                     files=[("file", (f"{stamp}-001.zip", parts["001"])),
                            ("file", (f"{stamp}-001.zip", parts["001"]))])
    assert twice.status_code == 400 and "uploaded twice" in twice.json()["detail"]
    assert not list((deployment.archive.context.settings.home / "uploads").iterdir())
