"""The staff application's main pages and who looks at each."""

from __future__ import annotations

import pytest

# (name, user, path): {post}, {comment}, {request}, {city}, {person} are filled in
# from the planted corpus (Live.path).
PAGES = [
    ("login", None, "/login"),
    ("dashboard", "admin", "/"),
    ("search with results and facets", "admin", "/search?q=zoning"),
    ("search without results", "admin", "/search?q=nothingmatchesthis"),
    ("record view", "admin", "/records/{post}"),
    ("record view of a comment", "admin", "/records/{comment}"),
    ("accounts", "admin", "/accounts"),
    ("account", "admin", "/accounts/{city}"),
    ("people", "admin", "/people"),
    ("person", "admin", "/people/{person}"),
    ("moderation queue", "moderator", "/moderation"),
    ("moderation log", "moderator", "/moderation/log"),
    ("requests", "records_officer", "/requests"),
    ("request", "records_officer", "/requests/{request}"),
    ("redaction editor", "records_officer", "/requests/{request}/items/{post}"),
    ("holds", "records_officer", "/holds"),
    ("retention", "records_officer", "/retention"),
    ("policy", "admin", "/policy"),
    ("audit log", "auditor", "/audit"),
    ("capture", "admin", "/capture"),
    ("compliance", "admin", "/compliance"),
    ("alerts", "admin", "/alerts"),
    ("users", "admin", "/users"),
    ("not found", "admin", "/no-such-page"),
    ("not found, signed out", None, "/static/no-such-file"),
]
NOT_FOUND = {"not found", "not found, signed out"}


def page_params() -> list:
    return [pytest.param(path, user, name in NOT_FOUND, id=name)
            for name, user, path in PAGES]

