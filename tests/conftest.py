"""Shared fixtures: a fresh, migrated database for every test, on SQLite or PostgreSQL.

The backend is chosen by ``COMMAND_POST_TEST_BACKEND`` (``sqlite``, the
default, or ``postgresql``); the PostgreSQL server is the one named by
``COMMAND_POST_TEST_PG`` (a URL of its maintenance database). Migrating once
per session into a template and copying it per test keeps each test on its own
database without paying for the migrations every time.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data_layer.db import Actor, connect, migrate
from support import BACKEND, postgres_server_url


def _database_url(server_url: str, name: str) -> str:
    return sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)


class SqliteFactory:
    def __init__(self, folder: Path):
        self.folder = folder
        self.template = folder / "template.db"
        engine = connect(f"sqlite:///{self.template}")
        migrate(engine)
        engine.dispose()

    def empty_url(self) -> str:
        return f"sqlite:///{self.folder / uuid.uuid4().hex}.db"

    def fresh_url(self) -> str:
        path = self.folder / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def release(self, url: str) -> None:
        """Nothing to do: the files go with the session's temporary folder."""

    def copy_url(self, url: str) -> str:
        """A new database holding what the (closed) database at ``url`` holds."""
        path = self.folder / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(sa.engine.make_url(url).database, path)
        return f"sqlite:///{path}"


class PostgresFactory:
    def __init__(self, server_url: str):
        self.server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        self.template = f"cp_template_{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []
        self._execute(f'CREATE DATABASE "{self.template}"')
        engine = connect(_database_url(server_url, self.template))
        migrate(engine)
        engine.dispose()
        self.server_url = server_url

    def _execute(self, statement: str) -> None:
        with self.server.connect() as conn:
            conn.exec_driver_sql(statement)

    def empty_url(self) -> str:
        return self._create_database("")

    def fresh_url(self) -> str:
        return self._create_database(f'TEMPLATE "{self.template}" STRATEGY FILE_COPY')

    def copy_url(self, url: str) -> str:
        """A new database holding what the database at ``url`` holds (nobody may be connected to it)."""
        return self._create_database(f'TEMPLATE "{sa.engine.make_url(url).database}" STRATEGY FILE_COPY')

    def _create_database(self, options: str) -> str:
        """A new database; copying the template file by file is several times faster than through the WAL."""
        name = f"cp_test_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}" {options}')
        self.created.append(name)
        return _database_url(self.server_url, name)

    def release(self, url: str) -> None:
        """Drop a test's database when the test ends, closing whatever connections its pages left open: a
        suite of some 1,500 tests would otherwise run out of the server's connections."""
        name = sa.engine.make_url(url).database
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.remove(name)

    def close(self) -> None:
        for name in [*self.created, self.template]:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.server.dispose()


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteFactory | PostgresFactory]:
    if BACKEND == "postgresql":
        factory = PostgresFactory(postgres_server_url())
        yield factory
        factory.close()
    else:
        yield SqliteFactory(tmp_path_factory.mktemp("databases"))


@pytest.fixture
def db_url(database_factory: SqliteFactory | PostgresFactory) -> Iterator[str]:
    """The URL of a fresh, migrated, empty database of the backend under test, dropped when the test ends."""
    url = database_factory.fresh_url()
    yield url
    database_factory.release(url)


@pytest.fixture(scope="session")
def sample_url(database_factory: SqliteFactory | PostgresFactory) -> str:
    """A database holding the sample command post (14 days), shared by tests that only read it."""
    from sample_data import generate_sample

    url = database_factory.fresh_url()
    engine = connect(url)
    generate_sample(engine, days=14)
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A fresh, migrated, empty database of the backend under test."""
    engine = connect(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def admin() -> Actor:
    return Actor("admin-test", "admin")


@pytest.fixture
def leader() -> Actor:
    return Actor("leader-test", "leader")


LOAD_MODULES = {"test_concurrency", "test_crash_safety"}
"""Tests that put the store under many writers or kill processes: minutes, not seconds."""

STORE_BROWSER_MODULES = {"test_scale_out", "test_live_wall"}
"""Browser tests about the store itself (several app processes on one database, the data version that brings an
entry to every open page): they run on every backend. The other browser tests measure the screen, which is the
same over either store, so they run once, on SQLite; the store under those pages is tested on both backends by
the page tests (AppTest) and the data-layer tests."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the browser tests (``tests/e2e``) and the load tests, so that ``make test-fast`` can leave them out
    (``make test`` runs everything); on PostgreSQL, leave out the browser tests of the screen alone."""
    screen_only = []
    for item in items:
        path = Path(str(item.fspath))
        if "e2e" in path.parts:
            item.add_marker(pytest.mark.browser)
            if path.stem not in STORE_BROWSER_MODULES:
                screen_only.append(item)
        if path.stem in LOAD_MODULES:
            item.add_marker(pytest.mark.load)
    if BACKEND == "postgresql" and screen_only:
        config.hook.pytest_deselected(items=screen_only)
        items[:] = [item for item in items if item not in screen_only]
