"""The HTTP edge (FastAPI): thin routes over the archive's services.

    app.py        `create_app`: the staff application (API, UI) with its safety headers
    api/          the REST API under /api/v1 (JSON; errors as application/problem+json)
    ui/           the staff UI: server-rendered templates that work without JavaScript
    sessions.py   session cookies, API tokens, who is asking
    security.py   Content-Security-Policy with a nonce, CSRF tokens, other headers
    problems.py   ArchiveError -> HTTP status and problem+json (or an HTML error page)
    webhooks.py   Meta's webhook receiver (`capture webhook`)
"""
