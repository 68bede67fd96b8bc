"""The store: the engine, the tables every domain shares, the schema's migrations and the cheap reads of the
store's state (its data version, its key-value settings).

Every domain module declares its tables on :data:`metadata`; :func:`load_schema` imports them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, overload

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import PoolProxiedConnection

from data_layer.settings import DB as DATABASE_SETTING

# A row as read from the store (SQLAlchemy's ``RowMapping``) or built like one (column name → value). Its values
# are typed ``Any``: SQLAlchemy Core's ``select`` does not carry its columns' types into the row.
Record = Mapping[str, Any] | sa.RowMapping
# Rows of a ``select`` read by position. SQLAlchemy's ``Row`` is a ``Sequence``; typed as one, its values unpack as
# ``Any`` (mypy unpacks a ``Row`` of columns whose types Core does not carry as ``object``).
Rows = Iterable[Sequence[Any]]

DOMAIN_MODULES = ("users", "checkpoints", "quarantine", "supplies", "enterprises", "briefing", "notify")
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

metadata = sa.MetaData()

IMPORT_BATCH = "import_batch_id"
"""The column naming the import file a row was loaded from: the file's one audit row carries the same id."""


def import_batch_column() -> sa.Column:
    """The :data:`IMPORT_BATCH` column of a table an import file writes to: the id of the file's batch on every
    row the import stored, empty on a row entered any other way (a form, a correction, the sample).

    An import is audited by one row per file instead of one per stored row (see :mod:`data_layer.db.writes`);
    this stamp is how each stored row is still traced to that audit row, and how the review of corrections
    tells a loaded row from a later correction. It has no index: a row names its batch, and listing a batch's
    rows, an auditor's rare question, reads the table, which spares every import an index to keep."""
    return sa.Column(IMPORT_BATCH, sa.String(32))


audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("table_name", sa.String(60), nullable=False),
    sa.Column("row_id", sa.String(60)),
    sa.Column("before", sa.Text),
    sa.Column("after", sa.Text),
    sa.Column("batch", sa.String(80)),
    sa.Column(IMPORT_BATCH, sa.String(32)),
    sa.Index("ix_audit_log_table_name_row_id", "table_name", "row_id"),
    sa.Index("ix_audit_log_import_batch_id", IMPORT_BATCH),
    sa.Index("ix_audit_log_username_id", "username", "id"),
    sa.Index("ix_audit_log_at", "at"),
)

submission_tokens = sa.Table(
    "submission_tokens",
    metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("result", sa.Text),  # what the form's write returned, as JSON: the answer to the form sent again
)

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(60), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


def database_url(url: str | None = None) -> str:
    """The URL to use: the one given, else ``COMMAND_POST_DB``, else the SQLite file under ``data/``."""
    return url or DATABASE_SETTING.value()


def connect(url: str | None = None) -> Engine:
    """An engine for the store at ``url`` (see :func:`database_url`).

    SQLite gets WAL mode (readers never block the writer), foreign keys, a busy
    timeout, full sync on commit (an entry acknowledged to a clerk survives a
    power cut) and secure delete (a value overwritten or deleted is zeroed in
    the file, not left in a free part of a page, so an anonymised name is gone
    from the file once :func:`truncate_wal` has run). Its write transactions start with ``BEGIN IMMEDIATE`` so that two
    writers queue up instead of failing on a lock upgrade.
    """
    url = database_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return sa.create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
            "synchronous=FULL",
            "secure_delete=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("write_transaction", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def truncate_wal(engine: Engine) -> bool:
    """Copy every committed page of a SQLite store from its write-ahead log into the database file and empty the
    log (``wal_checkpoint(TRUNCATE)``), so that the log keeps no earlier version of a page, such as one holding
    a name just anonymised. It waits, by the busy timeout, for readers of older versions to finish. PostgreSQL
    keeps its own log, outside the app's reach: nothing is done there. Returns whether the log was emptied
    (``False`` when a reader still held an older version after the busy timeout).

    It runs on the driver's connection, outside any transaction: in one, SQLite cannot checkpoint."""
    if not is_sqlite(engine):
        return True
    connection = engine.raw_connection()
    try:
        busy, _log_pages, _copied = driver_connection(connection).execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    return busy == 0


def driver_connection(connection: PoolProxiedConnection) -> Any:
    """The database driver's own connection under a pooled one (SQLite's ``sqlite3.Connection``, PostgreSQL's
    psycopg connection). SQLAlchemy types it as optional, as a connection detached from the pool has none; one
    checked out, as every caller's is, always has it."""
    driver = connection.driver_connection
    if driver is None:
        raise RuntimeError("the pooled connection holds no driver connection")
    return driver


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


def load_schema() -> sa.MetaData:
    """Import every domain module so that all tables are declared on :data:`metadata`."""
    for name in DOMAIN_MODULES:
        importlib.import_module(f"data_layer.{name}")
    return metadata


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Create the database or upgrade it to ``revision``, keeping every row."""
    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), revision)
        connection.commit()


def schema_revision(engine: Engine) -> str | None:
    """The migration the database is at, or ``None`` for an empty database."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def data_version(engine: Engine) -> int:
    """A number that grows with every write anywhere: the newest audit row.

    Cached reads are keyed on it, so a write through any app process shows in
    every other process on its next refresh.
    """
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.coalesce(sa.func.max(audit_log.c.id), 0))).scalar_one()


def last_change(engine: Engine) -> datetime | None:
    """When the newest data change was made (local time)."""
    with engine.connect() as conn:
        return conn.execute(sa.select(audit_log.c.at).order_by(audit_log.c.id.desc()).limit(1)).scalar()


@overload
def get_setting(bind: Engine | Connection, key: str, default: str) -> str: ...
@overload
def get_setting(bind: Engine | Connection, key: str, default: None = None) -> str | None: ...
def get_setting(bind: Engine | Connection, key: str, default: str | None = None) -> str | None:
    """One setting's value, or ``default`` when it was never set; ``bind`` may be an open connection
    (a write reads its setting inside its own transaction)."""
    query = sa.select(settings.c.value).where(settings.c.key == key)
    if isinstance(bind, Connection):
        value = bind.execute(query).scalar()
    else:
        with bind.connect() as conn:
            value = conn.execute(query).scalar()
    return default if value is None else value
