"""The public records request portal: a request without an account, its tracking link,
the statutory clock explained, spam resistance, and a released production."""

from __future__ import annotations

import re

from tests.public.conftest import SLUG

NEW = f"/public/{SLUG}/requests/new"


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _submit(client, **fields):  # noqa: ANN001, ANN003, ANN202
    form = client.get(NEW)
    data = {"requester": "A. Resident", "contact": "resident@example.org",
            "description": "Comments about the budget hearing", "csrf_token": _token(form.text),
            **fields}
    return client.post(f"/public/{SLUG}/requests", data=data)


def test_a_request_without_an_account_gets_a_tracking_link(public):
    form = public.client.get(NEW)
    assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
    assert 'name="website"' in form.text and 'tabindex="-1"' in form.text
    sent = _submit(public.client)
    assert sent.status_code == 201 and sent.headers["cache-control"] == "no-store"
    link = re.search(r'href="(/public/[^"]+/requests/track/[^"]+)"', sent.text).group(1)
    page = public.client.get(link)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    number = re.search(r"<h1>Request ([^<]+)</h1>", page.text).group(1)
    assert "Received" in page.text and "business day" in page.text
    assert "Explain this date" in page.text and "Request received" in page.text
    # Every time on the page on the agency's clock (the policy's timezone), none in UTC.
    shown = re.findall(r'<time datetime="[^"]+">([^<]+)</time>', page.text)
    assert shown and all(re.fullmatch(r"\d{4}-\d\d-\d\d( \d\d:\d\d P[SD]T)?", t)
                         for t in shown), shown  # (a due date is a day)
    assert len([t for t in shown if t.endswith("T")]) >= 2  # received, and an event
    # Staff see it among the requests, with the requester's details.
    listed = {r["number"]: r for r in public.archive.requests.list()}
    assert listed[number]["requester"] == "A. Resident"
    assert public.archive.evidence.verify().ok  # the tracking link is derived from the ledger


def test_the_form_needs_its_token(public):
    public.client.get(NEW)
    refused = public.client.post(f"/public/{SLUG}/requests", data={
        "requester": "A", "contact": "a@example.org", "description": "x", "csrf_token": "no"})
    assert refused.status_code == 403
    assert len(public.archive.requests.list()) == 1  # the fixture's own


def test_a_signed_in_staff_member_can_send_the_form_too(public):
    # The browser carries a staff session: the form's token must be bound to it, as the
    # check of every form is.
    from civicarchive.model.staff import StaffRole
    from tests.web.conftest import PASSWORD, sign_in
    public.archive.users.add("clerk2", SLUG, [StaffRole.RECORDS_OFFICER], "clerk",
                             password=PASSWORD)
    sign_in(public.client, "clerk2")
    sent = _submit(public.client)
    assert sent.status_code == 201, sent.text
    assert len(public.archive.requests.list()) == 2


def test_the_honeypot_drops_a_bot_quietly(public):
    answer = _submit(public.client, website="http://spam.example")
    assert answer.status_code == 200 and "Thank you" in answer.text
    assert len(public.archive.requests.list()) == 1


def test_requests_from_one_address_are_limited(public):
    for _ in range(5):
        assert _submit(public.client).status_code == 201
    limited = _submit(public.client)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert len(public.archive.requests.list()) == 6


def test_a_wrong_tracking_link_is_the_same_404(public):
    missing = public.client.get(f"/public/{SLUG}/records/99999")
    wrong = public.client.get(f"/public/{SLUG}/requests/track/{'x' * 32}")
    assert wrong.status_code == 404 and wrong.text == missing.text


def test_staff_notes_never_show_and_a_released_production_downloads(public, tmp_path):
    sent = _submit(public.client)
    link = re.search(r'href="(/public/[^"]+/requests/track/[^"]+)"', sent.text).group(1)
    archive = public.archive
    request_id = max(r["id"] for r in archive.requests.list())
    archive.requests.collect(request_id, "clerk", items=[1])
    archive.requests.mark(request_id, [1], "responsive", "clerk")
    archive.requests.set_status(request_id, "in_review", "clerk",
                                note="CANARY-NOTE internal remark")
    page = public.client.get(link)
    assert "CANARY-NOTE" not in page.text and "Status: in review" in page.text
    archive.productions.produce(request_id, "clerk", folder=tmp_path / "production")
    archive.requests.set_status(request_id, "produced", "clerk")
    page = public.client.get(link)
    pdf_link = re.search(r'href="([^"]+\.pdf)"', page.text).group(1)
    pdf = public.client.get(pdf_link)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    other = public.client.get(pdf_link.replace(link.rsplit("/", 1)[1], "y" * 32))
    assert other.status_code == 404


def test_a_tracking_link_outlives_the_open_archive(public, tmp_path):
    # An agency that stops publishing its records still answers the requests it took:
    # the requester's link keeps working, while the archive and the form are gone.
    from tests.public.conftest import EXAMPLES
    sent = _submit(public.client)
    link = re.search(r'href="(/public/[^"]+/requests/track/[^"]+)"', sent.text).group(1)
    policy = tmp_path / "unpublished.yaml"
    policy.write_text((EXAMPLES / "washington-local.yaml").read_text().replace(
        "  published: true ", "  published: false ", 1))
    public.archive.custody.adopt_policy(policy, "clerk")
    assert public.client.get(f"/public/{SLUG}").status_code == 404
    assert public.client.get(NEW).status_code == 404
    tracked = public.client.get(link)
    assert tracked.status_code == 200 and "Explain this date" in tracked.text
    assert public.client.get(link[:-4] + "xxxx").status_code == 404
