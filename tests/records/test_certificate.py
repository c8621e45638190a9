"""The certificate of disposition: canonical JSON that round-trips, escaped HTML, a PDF."""

from __future__ import annotations

import html
import json
import socket
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import rfc8785

from civicarchive.errors import InvalidInput
from civicarchive.model.record import Kind
from civicarchive.policy.model import DispositionAction
from civicarchive.records.certificate import (FORMAT, Approval, Certificate, CheckpointRef,
                                              DisposedRecord, TombstoneSpan, Transfer,
                                              certificate_from_json, certificate_html,
                                              certificate_json, certificate_pdf)

T0 = datetime(2027, 7, 1, 9, 30, tzinfo=timezone.utc)
ROOT = "ab" * 32
FINGERPRINT = "cd" * 32
TRANSFERRED = Transfer("ef" * 32, "transfer-batch-12", "WSA 2029-0042")


def certificate(**changes) -> Certificate:
    base = Certificate(
        agency="City of Example", batch_id=12, series_code="GS2010-001",
        series_title="Communications - Non-Executive",
        series_citation="Local Government CORE v4.2, GS2010-001",
        action=DispositionAction.DESTROY, record_count=2, version_count=5,
        earliest_created=datetime(2023, 1, 5, 8, 0, tzinfo=timezone.utc),
        latest_created=datetime(2025, 2, 28, 17, 45, 30, 250, tzinfo=timezone.utc),
        created_by="clerk@example.gov",
        approvers=(Approval("Pat Records", T0 - timedelta(days=2)),
                   Approval("Lee Counsel", T0 - timedelta(days=1))),
        executed_at=T0, tombstones=TombstoneSpan(first=4100, last=4104, count=5),
        checkpoint=CheckpointRef(tree_size=4105, root_hex=ROOT,
                                 signed_at="2027-07-01T09:31:00Z"),
        key_fingerprint=FINGERPRINT,
        records=(DisposedRecord(501, "109876543210", "mastodon", Kind.POST, "11" * 32),
                 DisposedRecord(502, "fb_1_2", "facebook", Kind.COMMENT, "22" * 32)))
    return replace(base, **changes)


def test_certificate_json_round_trips():
    cert = certificate()
    assert certificate_from_json(certificate_json(cert)) == cert
    transfer = certificate(action=DispositionAction.TRANSFER_TO_STATE_ARCHIVES,
                           earliest_created=None, latest_created=None, approvers=(),
                           transfer=TRANSFERRED)
    assert certificate_from_json(certificate_json(transfer)) == transfer


def test_certificate_of_transfer_names_its_package_and_receipt_and_only_it_does():
    with pytest.raises(ValueError, match="package and the receipt"):
        certificate(action=DispositionAction.TRANSFER_TO_STATE_ARCHIVES)
    with pytest.raises(ValueError, match="package and the receipt"):
        certificate(transfer=TRANSFERRED)


def test_certificate_json_is_canonical_and_complete():
    data = certificate_json(certificate())
    doc = json.loads(data)
    assert data == rfc8785.dumps(doc)
    assert doc["format"] == FORMAT == "civicarchive-certificate-of-disposition/1"
    assert doc["action"] == "destroy" and doc["batch_id"] == 12
    assert doc["series"] == {"code": "GS2010-001", "title": "Communications - Non-Executive",
                             "citation": "Local Government CORE v4.2, GS2010-001"}
    assert (doc["record_count"], doc["version_count"]) == (2, 5)
    assert doc["created"] == {"earliest": "2023-01-05T08:00:00Z",
                              "latest": "2025-02-28T17:45:30.000250Z"}
    assert doc["approvals"][1] == {"name": "Lee Counsel", "approved_at": "2027-06-30T09:30:00Z"}
    assert doc["tombstones"] == {"first": 4100, "last": 4104, "count": 5}
    assert doc["checkpoint"] == {"tree_size": 4105, "root": ROOT,
                                 "signed_at": "2027-07-01T09:31:00Z"}
    assert doc["public_key_fingerprint"] == FINGERPRINT
    assert doc["records"][1] == {"item_id": 502, "native_id": "fb_1_2", "platform": "facebook",
                                 "kind": "comment", "content_sha256": "22" * 32}


def test_certificate_json_writes_one_spelling_per_instant():
    pacific = timezone(timedelta(hours=-7))
    moved = certificate(executed_at=T0.astimezone(pacific))
    assert certificate_json(moved) == certificate_json(certificate())


def test_certificate_json_refuses_naive_times():
    with pytest.raises(ValueError, match="timezone"):
        certificate_json(certificate(executed_at=datetime(2027, 7, 1)))


@pytest.mark.parametrize("data", [b"[]", b"{", b'{"format": "something-else/1"}',
                                  certificate_json(certificate()).replace(b'"destroy"',
                                                                          b'"shred"')])
def test_certificate_from_json_rejects_what_is_not_a_certificate(data):
    with pytest.raises(InvalidInput, match="certificate"):
        certificate_from_json(data)


@pytest.mark.parametrize("changes, message", [
    ({"record_count": 3}, "record_count 3"),
    ({"tombstones": TombstoneSpan(4100, 4105, 6)}, "does not cover"),
    ({"tombstones": TombstoneSpan(4104, 4100, 1)}, "not a valid range"),
    ({"tombstones": TombstoneSpan(4100, 4101, 3)}, "not a valid range"),
])
def test_certificate_refuses_to_contradict_itself(changes, message):
    with pytest.raises(ValueError, match=message):
        certificate(**changes)


def test_certificate_html_holds_citation_approvers_counts_and_proof():
    page = certificate_html(certificate())
    assert "<h1>Certificate of Destruction</h1>" in page
    assert "Local Government CORE v4.2, GS2010-001" in page
    for name, at in (("Pat Records", "2027-06-29T09:30:00Z"),
                     ("Lee Counsel", "2027-06-30T09:30:00Z")):
        assert f"<tr><td>{name}</td><td>{at}</td></tr>" in page
    assert "the 2 records listed below (5 versions)" in page
    assert "were destroyed on 2027-07-01T09:30:00Z" in page
    assert "after the 2 approvals shown below" in page
    assert "content has been purged" in page and "hash of every version remains" in page
    assert "civicarchive verify" in page and ROOT in page and FINGERPRINT in page
    assert "tree size 4105" in page and "positions 4100 to 4104 (5 entries)" in page
    assert "<td>109876543210</td>" in page and "<td>" + "22" * 32 + "</td>" in page


def test_certificate_html_title_follows_the_action():
    transfer = certificate_html(certificate(action=DispositionAction.TRANSFER_TO_STATE_ARCHIVES,
                                            transfer=TRANSFERRED))
    assert "<h1>Certificate of Transfer</h1>" in transfer
    assert "transferred to the State Archives on" in transfer
    assert "received by the State Archives under WSA 2029-0042" in transfer
    assert "Certificate of Destruction" not in transfer


def test_certificate_html_escapes_every_text():
    agency = '<script>alert("x")</script> & Co'
    page = certificate_html(certificate(
        agency=agency, records=(DisposedRecord(1, "<img src=x>", "x", Kind.POST, "00" * 32),),
        record_count=1))
    assert "<script" not in page and "<img" not in page
    assert html.escape(agency) in page
    assert "&lt;img src=x&gt;" in page


def test_certificate_pdf_is_a_pdf_and_fetches_nothing(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the certificate must not touch the network")
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    cert = certificate(agency='City <img src="http://example.invalid/x.png"> of Example')
    pdf = certificate_pdf(cert)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 2000
