"""Fixtures shared by the suite: both store backends, a deterministic clock, observations.

The PostgreSQL backend runs against CIVICARCHIVE_TEST_DATABASE_URL, by default the
server at 127.0.0.1:5432 that `make test` starts when it is installed; each test gets a
schema of its own: a new, empty one (pg_url) or, through database_url, one migrated to
the newest revision and emptied after the test before (tests/postgres.py). When the
server cannot be reached those tests fail: no test of a real server ever skips.
"""

from __future__ import annotations

import copy
import os
import shutil
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import settings


from civicarchive import Archive, Kind, Observation
from civicarchive.clock import FixedClock

# No per-example deadline: on a loaded 2-core CI machine a slow example is not a failure.
settings.register_profile("civicarchive", deadline=None)
settings.load_profile("civicarchive")

# The server `make test` and CI use; another one by CIVICARCHIVE_TEST_DATABASE_URL.
PG_URL = os.environ.get("CIVICARCHIVE_TEST_DATABASE_URL") or \
    "postgresql://postgres@127.0.0.1:5432/test"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def _pg_url(url: str) -> sa.URL:
    parsed = sa.engine.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


@pytest.fixture(scope="session")
def pg_engine():
    engine = sa.create_engine(_pg_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL at {PG_URL} is unreachable: {error.orig}")
    yield engine
    engine.dispose()


# Every connection of the tests commits without waiting for the server's disk: a crash of
# the server could lose the last commits, which no test makes happen (a test's own crash,
# or its process killed, loses nothing the server was told). Each commit waited on the
# disk otherwise, shared with everything else the machine does.
PG_OPTIONS = "-csynchronous_commit=off"


@pytest.fixture
def pg_url(pg_engine):
    """A URL whose connections use a fresh, empty schema of their own."""
    schema = f"civicarchive_test_{uuid.uuid4().hex[:16]}"
    with pg_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema} {PG_OPTIONS}"})
    yield url.render_as_string(hide_password=False)
    with pg_engine.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(scope="session")
def pg_schemas(pg_engine):
    from tests.postgres import MigratedSchemas
    schemas = MigratedSchemas(pg_engine, _pg_url(PG_URL), PG_OPTIONS)
    yield schemas
    schemas.close()


@pytest.fixture
def pg_migrated_url(pg_schemas):
    """A URL whose connections use a schema of their own, migrated to the newest revision
    and empty: what `Archive.init` makes of a new schema before it writes anything. The
    schemas are lent again (tests/postgres.py says when)."""
    schema = pg_schemas.lend()
    yield pg_schemas.url_of(schema)
    pg_schemas.give_back(schema)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request):
    """None for the embedded SQLite default, else a PostgreSQL URL (an empty migrated
    schema: init and open run no migration in it)."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_migrated_url")
    return None


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 1, 1, tzinfo=timezone.utc))


class _Counting:
    """A clock that counts its readings."""

    def __init__(self, clock) -> None:  # noqa: ANN001
        self.clock, self.readings = clock, 0

    def now(self) -> datetime:
        self.readings += 1
        return self.clock.now()


@pytest.fixture(scope="session")
def initialised(tmp_path_factory):
    """initialised(clock) -> (home, readings): a SQLite archive's home as `Archive.init`
    leaves it with this FixedClock, and how often init read the clock. Built once per test
    process for each clock: a copy takes a fraction of the time the migrations take."""
    built: dict[tuple, tuple] = {}

    def home_for(clock: FixedClock) -> tuple:
        probe = copy.deepcopy(clock)          # where it stands, without moving it
        key = (probe.now(), probe.now())
        if key not in built:
            counting = _Counting(copy.deepcopy(clock))
            home = tmp_path_factory.mktemp("initialised") / "home"
            Archive.init("City of Example", home=home, clock=counting, actor="clerk").close()
            built[key] = (home, counting.readings)
        return built[key]
    return home_for


@pytest.fixture
def archive(tmp_path, database_url, clock, initialised):
    """A new archive of "City of Example" on this test's store and clock. On SQLite with a
    FixedClock it is a copy of one `Archive.init` made (its key and id shared by the tests
    of this process), and the clock is moved on as init would have moved it."""
    home = tmp_path / "home"
    if database_url is None and type(clock) is FixedClock:
        template, readings = initialised(clock)
        shutil.copytree(template, home, dirs_exist_ok=True)
        for _ in range(readings):
            clock.now()
        archive = Archive.open(home, clock=clock)
    else:
        archive = Archive.init("City of Example", home=home, database_url=database_url,
                               clock=clock, actor="clerk")
    yield archive
    archive.close()


@pytest.fixture
def account(archive):
    return archive.registry.add_account("x", "cityofexample", "agency",
                                        owner="Communications Office",
                                        actor="clerk")


def observe(account_id: int, native_id: str, text: str | None, minutes: int = 0, event=None,
            kind: Kind = Kind.POST, raw: bytes | None = None, **extra) -> Observation:
    """An observation `minutes` after T0; text None means no content (a bare deletion)."""
    content = None if text is None else {"text": text, "author": "cityofexample", **extra}
    return Observation(account_id=account_id, native_id=native_id, kind=kind,
                       observed_at=T0 + timedelta(minutes=minutes), content=content,
                       raw=raw if raw is not None else (None if text is None else
                                                        f"raw:{native_id}:{text}".encode()),
                       created_at=T0 - timedelta(days=1), author="cityofexample",
                       event=event)


@pytest.fixture
def cli(tmp_path, database_url):
    """Run `civicarchive` in-process on this test's archive: cli("stats", ok=False)."""
    from click.testing import CliRunner

    from civicarchive.cli import main
    runner = CliRunner()
    base = ["--home", str(tmp_path / "home"), "--actor", "clerk"]
    if database_url:
        base += ["--database-url", database_url]

    def run(*args, ok=True):
        result = runner.invoke(main, [*base, *map(str, args)])
        if ok:
            assert result.exit_code == 0, result.output + (result.stderr or "")
        return result
    return run


@pytest.fixture(scope="session")
def chromium():  # noqa: ANN201 - a playwright Browser
    """Debian's Chromium under Playwright, one per test process: the sync API runs an
    event loop in the thread that starts it, so a second one in the same process fails."""
    from playwright.sync_api import sync_playwright

    from tests.browser.server import launch
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()
