"""The accounts registry's record counts, counted only since the last count (app/registry.py),
are those a GROUP BY over every record gives, on both stores, on the /accounts page too."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from civicarchive.store import schema as t
from tests.conftest import observe
from tests.web.conftest import PASSWORD, sign_in


def grouped(archive) -> dict[int, int]:  # noqa: ANN001
    with archive.context.read() as conn:
        return dict(conn.execute(sa.select(t.items.c.account_id, sa.func.count())
                                 .group_by(t.items.c.account_id)).all())


def shown(client: TestClient) -> dict[str, int]:
    page = client.get("/accounts")
    assert page.status_code == 200
    return {handle: int(count.replace(",", "")) for handle, count in re.findall(
        r'@([\w.]+)</a></td>.*?<td>([\d,]+)</td>', page.text, re.S)}


def test_record_counts_match_a_group_by_as_records_arrive(archive, account):
    from civicarchive.web.app import create_app
    other = archive.registry.add_account("mastodon", "cityparks", "agency", actor="clerk")
    archive.users.add("officer", "city-of-example", ["records_officer"], "clerk",
                      password=PASSWORD)
    client = TestClient(create_app(archive), base_url="http://127.0.0.1")
    sign_in(client, "officer")
    assert shown(client) == {"cityofexample": 0, "cityparks": 0} and grouped(archive) == {}
    for batch in range(3):
        archive.ingesting.ingest(
            [observe(account.id, f"{batch}-{n}", f"post {n}") for n in range(5 + batch)] +
            [observe(other.id, f"{batch}-{n}", f"notice {n}") for n in range(batch)] +
            [observe(account.id, "0-0", f"post 0 edited {batch}", minutes=batch + 1)],
            source="test", actor="clerk")  # an edit is a version, not a record
        counts = grouped(archive)
        assert archive.registry.item_counts() == counts
        assert shown(client) == {"cityofexample": counts[account.id],
                                 "cityparks": counts.get(other.id, 0)}
    assert grouped(archive) == {account.id: 18, other.id: 3}
    # another process counts from nothing, and agrees
    assert type(archive.registry)(archive.context).item_counts() == grouped(archive)
