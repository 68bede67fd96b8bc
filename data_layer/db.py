"""The store: engine, shared schema, migrations and the one way to write.

Every domain module declares its tables on :data:`metadata` and writes only
through :func:`write`, which gives each write one transaction, an audit row,
protection against a form submitted twice and a retry when another writer
holds the database for a moment. Pages and the command line never open
connections for writing themselves.
"""

from __future__ import annotations

import importlib
import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from data_layer import clock
from data_layer.errors import DuplicateSubmission, PermissionDenied
from data_layer.settings import DB as DATABASE_SETTING
from data_layer.validation import is_blank, resolve_reference

DOMAIN_MODULES = ("users", "checkpoints", "quarantine", "supplies", "enterprises", "briefing")
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
WRITE_ATTEMPTS = 8
UNLOCKED_ATTEMPTS = 2
"""How many times a write that checks before locking (see :func:`write`) tries without the lock before it locks
from the start."""
BACKUP_STEP_PAGES = 2048  # 8 MiB of 4 KiB pages between two progress reports

metadata = sa.MetaData()

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("table_name", sa.String(60), nullable=False),
    sa.Column("row_id", sa.String(60)),
    sa.Column("before", sa.Text),
    sa.Column("after", sa.Text),
    sa.Column("batch", sa.String(80)),
    sa.Index("ix_audit_log_table_name_row_id", "table_name", "row_id"),
    sa.Index("ix_audit_log_username_id", "username", "id"),
    sa.Index("ix_audit_log_at", "at"),
)

submission_tokens = sa.Table(
    "submission_tokens", metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

settings = sa.Table(
    "settings", metadata,
    sa.Column("key", sa.String(60), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

T = TypeVar("T")


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
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000", "synchronous=FULL",
                       "secure_delete=ON"):
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
        busy, _log_pages, _copied = connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    return busy == 0


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


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, or ``cli:<os user>`` for the command line.

    ``assignments`` maps a domain (``checkpoints``, ``quarantine``, ``supplies``,
    ``enterprises``) to the ids of the units a clerk may enter for; an empty set
    means the whole domain.
    """

    username: str
    role: str
    assignments: tuple[tuple[str, frozenset[int]], ...] = ()

    def units(self, domain: str) -> frozenset[int] | None:
        """The units this clerk is assigned in ``domain``; ``None`` when not assigned to it at all."""
        for assigned_domain, units in self.assignments:
            if assigned_domain == domain:
                return units
        return None


@dataclass
class WriteContext:
    """What a write function gets: the open transaction and who is acting.

    ``batch`` names a load of historical records (``import:<kind>``,
    ``sample``); every audit row of the transaction carries it, which is how
    the briefing review tells an import from a correction.
    """

    conn: Connection
    actor: Actor
    batch: str | None = None

    def audit(self, action: str, table: sa.Table | str, row_id: object = None,
              before: dict | None = None, after: dict | None = None) -> None:
        """Record one change in ``audit_log``, inside the same transaction as the change."""
        self.conn.execute(audit_log.insert(), {
            "at": clock.now(), "username": self.actor.username, "action": action,
            "table_name": table if isinstance(table, str) else table.name,
            "row_id": None if row_id is None else str(row_id),
            "before": _to_json(before), "after": _to_json(after), "batch": self.batch,
        })

    def insert(self, table: sa.Table, action: str, values: dict) -> int:
        """Insert one row and audit it; returns the new row's id. The values go as parameters of a statement
        SQLAlchemy has compiled before, not into a statement built anew, which cost a single entry's write
        more than the database's work."""
        row_id = self.conn.execute(table.insert().returning(table.c.id), values).scalar_one()
        self.audit(action, table, row_id, after=values)
        return row_id

    def insert_many(self, table: sa.Table, action: str, rows: list[dict]) -> list[int]:
        """Insert rows of the same columns and audit each, as :meth:`insert` does, but in two batched
        statements (a day's grid of entries, a sample scenario, an import file); returns the new ids in the
        order of ``rows``.

        The ids are reserved first and given explicitly, so that the rows go in with a plain executemany, as
        cheap as an insert gets: neither database can say in which order a multi-row ``RETURNING`` answers,
        which leaves one statement per row on SQLite and a costly sort key on PostgreSQL. The table's name is
        given as a plain ``str``: SQLite's driver looks for an adapter for every value of a ``str`` subclass
        such as SQLAlchemy's names, once per row.
        """
        if not rows:
            return []
        ids = self._reserve_ids(table, len(rows))
        insert_columns(self.conn, table, {"id": ids, **{name: [values[name] for values in rows] for name in rows[0]}})
        insert_columns(self.conn, audit_log, {"row_id": list(map(str, ids)), "after": list(map(_to_json, rows))},
                       same={"at": clock.now(), "username": self.actor.username, "action": action,
                             "table_name": str(table.name), "batch": self.batch})
        return ids

    def _reserve_ids(self, table: sa.Table, count: int) -> list[int]:
        """``count`` new ids of ``table``, in increasing order. A SQLite writer holds the whole database
        from ``BEGIN IMMEDIATE`` on, so the ids after the largest one are free; PostgreSQL hands out
        numbers of the table's sequence that no other transaction will get."""
        if is_sqlite(self.conn):
            first = self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one() + 1
            return list(range(first, first + count))
        sequence = sa.func.pg_get_serial_sequence(table.name, table.c.id.name)
        numbers = sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, count))
        return sorted(self.conn.execute(numbers).scalars())


def add_to_counters(conn: Connection, table: sa.Table, counter: str, changes: Mapping[tuple, int]) -> None:
    """Add each change to ``counter`` in the row of ``table`` whose primary key (its columns in the table's
    order) is the change's key, creating the rows not there yet; one statement for all of them.

    Derived per-day tables are kept this way in the transaction of the entries they count. Both stores'
    ``INSERT … ON CONFLICT DO UPDATE`` adds to a row another writer has just created instead of failing on
    it, so two clerks counting into the same new row both count."""
    keys = [column.name for column in table.primary_key.columns]
    rows = [{**dict(zip(keys, key, strict=True)), counter: change} for key, change in changes.items() if change]
    if not rows:
        return
    insert = _insert_on_conflict(conn, table)
    conn.execute(insert.on_conflict_do_update(index_elements=keys,
                                              set_={counter: table.c[counter] + insert.excluded[counter]}), rows)


def _insert_on_conflict(conn: Connection, table: sa.Table) -> sqlite.Insert | postgresql.Insert:
    """An insert into ``table`` that can say what to do when the row's key exists (``ON CONFLICT``), which
    both stores understand alike but SQLAlchemy builds per dialect."""
    return (sqlite.insert if is_sqlite(conn) else postgresql.insert)(table)


def insert_columns(conn: Connection, table: sa.Table, columns: dict[str, list],
                   same: dict[str, object] | None = None) -> None:
    """Insert rows given column by column (lists of equal length), plus ``same`` values shared by every row,
    in one bulk statement handed straight to the database driver.

    SQLAlchemy's executemany builds and converts each row's parameters one by one, which for a file of many
    thousand rows costs as much as the database's own work. Here each column goes through its type's bind
    processor (the conversion SQLAlchemy would apply, such as SQLite's text form of a time) in one pass and
    each shared value once; SQLite gets one executemany, PostgreSQL one ``COPY``, its bulk load, which
    spares the driver a round of statement handling per row.
    """
    count = len(next(iter(columns.values())))
    values = {name: _bound(conn, table.c[name], column) for name, column in columns.items()}
    values.update({name: _bound(conn, table.c[name], [value]) * count for name, value in (same or {}).items()})
    if is_sqlite(conn):
        statement = table.insert().compile(dialect=conn.dialect, column_keys=list(values))
        ordered = [values[name] for name in statement.positiontup]
        conn.exec_driver_sql(statement.string, list(zip(*ordered, strict=True)))
    else:
        _copy(conn, table, values)


def _bound(conn: Connection, column: sa.Column, values: list) -> list:
    """``values`` of ``column`` as the driver gets them from SQLAlchemy (its type's bind processor applied)."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    if process is None:
        return values
    if isinstance(column.type, sa.DateTime) and process(_PROBE_TIME) == _PROBE_TIME.isoformat(" ", "microseconds"):
        process = _naive_times_by_isoformat(process)
    return list(map(process, values))


_PROBE_TIME = datetime(2001, 2, 3, 4, 5, 6, 7)


def _naive_times_by_isoformat(process: Callable[[object], object]) -> Callable[[object], object]:
    """``process`` of a time column stored as the text ``isoformat(" ", "microseconds")`` writes (SQLite's; the
    probe in :func:`_bound` checks it against the SQLAlchemy at hand): a naive time is written by that C method
    at less than half the cost of SQLAlchemy's formatting, three times a count entry; anything else still goes
    through ``process``."""
    def convert(value: object) -> object:
        if value.__class__ is datetime and value.tzinfo is None:
            return value.isoformat(" ", "microseconds")
        return process(value)
    return convert


def _copy(conn: Connection, table: sa.Table, values: dict[str, list]) -> None:
    """PostgreSQL's ``COPY … FROM STDIN`` of the rows ``values`` gives column by column, in the open transaction.
    A refusal comes out as SQLAlchemy's exception, as from any other statement (:func:`write` retries a
    transient one)."""
    quote = conn.dialect.identifier_preparer.quote
    command = f"COPY {quote(table.name)} ({', '.join(map(quote, values))}) FROM STDIN"
    driver_error = conn.dialect.loaded_dbapi.Error
    try:
        with conn.connection.driver_connection.cursor() as cursor, cursor.copy(command) as copy:
            for row in zip(*values.values(), strict=True):
                copy.write_row(row)
    except driver_error as error:
        raise sa.exc.DBAPIError.instance(command, None, error, driver_error, dialect=conn.dialect) from error


class Directory:
    """The rows of a master-data table with unique names (checkpoints, supply items), read once for a batch
    of entries that refer to them by name or id as :func:`resolve_reference` says; the rows the batch
    refers to are locked, in id order, as a single entry locks its one."""

    def __init__(self, conn: Connection, table: sa.Table, references: Iterable[object]):
        rows = list(conn.execute(sa.select(table)).mappings())
        self._by_id = {row["id"]: row for row in rows}
        self._by_name = {row["name"]: row for row in rows}
        distinct = {(type(value), value): value for value in references if not is_blank(value)}
        used = sorted({row["id"] for row in map(self.find, distinct.values()) if row is not None})
        if used:
            locked = sa.select(table).where(table.c.id.in_(used)).order_by(table.c.id).with_for_update()
            for row in conn.execute(locked).mappings():
                self._by_id[row["id"]] = self._by_name[row["name"]] = row

    def find(self, value: object) -> sa.RowMapping | None:
        return resolve_reference(value, self._by_id.get, self._by_name.get)


def _json_default(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_json_default, sort_keys=True, check_circular=False)
"""Audit values are a row's values or a few figures, never a structure that could contain itself, so the encoder
skips the bookkeeping that looks for cycles (some 7 % of the cost of encoding an import's audit rows)."""


def _to_json(values: dict | None) -> str | None:
    if values is None:
        return None
    return _ENCODER.encode(values)


def write(engine: Engine, actor: Actor, work: Callable[[WriteContext], T], *, token: str | None = None,
          batch: str | None = None, check_before_locking: bool = False) -> T:
    """Run ``work`` as one transaction and return what it returns.

    ``token`` identifies one rendered form: the first submission stores the
    token with the entry, and a second one with the same token (a double
    click, a resent request) raises :class:`DuplicateSubmission` and stores
    nothing. A refusal raised by ``work`` rolls everything back, token
    included, so the corrected form can be sent again. A writer that finds the
    database busy waits and tries again, so no clerk ever sees "database is
    locked". ``batch`` marks a load of historical records (see :class:`WriteContext`).

    ``check_before_locking`` is for a long write that reads and checks much before it writes anything (an
    import file): on SQLite its first :data:`UNLOCKED_ATTEMPTS` attempts begin without the write lock, which
    its first write takes, so the other clerks' saves go on while it checks and wait only while it stores.
    Its checks hold: when another writer has committed since it began reading, SQLite refuses it the lock
    ("database is locked", a stale snapshot) and the attempt is tried again; the last attempts lock from
    the start, as every other write does (and queue up instead of failing on a lock upgrade).
    """
    for attempt in range(WRITE_ATTEMPTS):
        try:
            with engine.connect() as conn:
                conn.execution_options(write_transaction=not check_before_locking or attempt >= UNLOCKED_ATTEMPTS)
                with conn.begin():
                    if token:
                        _claim_token(conn, token, actor)
                    return work(WriteContext(conn, actor, batch))
        except OperationalError as error:
            if attempt == WRITE_ATTEMPTS - 1 or not _is_transient(error):
                raise
            time.sleep(min(2.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable: the loop returns or raises")


def _claim_token(conn: Connection, token: str, actor: Actor) -> None:
    """Store the form's token, or refuse the submission when it is stored already. One statement: a second
    submission racing the first waits for the first's transaction and, once it commits, finds the token."""
    claim = (_insert_on_conflict(conn, submission_tokens)
             .values(token=token, username=actor.username, at=clock.now())
             .on_conflict_do_nothing(index_elements=["token"]).returning(submission_tokens.c.token))
    if conn.execute(claim).first() is None:
        raise DuplicateSubmission()


def _is_transient(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return any(sign in text for sign in ("database is locked", "database is busy", "deadlock detected",
                                         "could not serialize", "server closed the connection"))


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


def put_setting(ctx: WriteContext, key: str, value: str) -> None:
    """Set one setting inside a write, auditing the old and the new value; settings are the administrator's."""
    if ctx.actor.role != "admin":
        raise PermissionDenied("action.admin")
    old = ctx.conn.execute(sa.select(settings.c.value).where(settings.c.key == key)).scalar()
    if old is None:
        ctx.conn.execute(settings.insert().values(key=key, value=value))
    else:
        ctx.conn.execute(settings.update().where(settings.c.key == key).values(value=value))
    ctx.audit("setting.put", settings, key, before=None if old is None else {"value": old}, after={"value": value})


def perform(engine: Engine, actor: Actor, operation: Callable[..., T], *args: Any,
            token: str | None = None, **kwargs: Any) -> T:
    """Run one data-layer operation (a function whose first argument is a :class:`WriteContext`)
    as its own transaction; see :func:`write` for ``token``."""
    return write(engine, actor, lambda ctx: operation(ctx, *args, **kwargs), token=token)


def backup_sqlite(engine: Engine, target: Path, progress: Callable[[int, int], None] | None = None) -> None:
    """Copy a live SQLite database to ``target`` with SQLite's online backup.

    Writers may go on meanwhile; the copy is the database as of one committed
    moment, never a torn file. ``progress(done, total)`` hears the pages
    copied after each step of :data:`BACKUP_STEP_PAGES`: the source's read
    transaction is held across the steps, so writers committing in between
    neither tear the copy nor make SQLite start it over.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    source = engine.raw_connection()
    try:
        snapshot = source.driver_connection
        snapshot.execute("BEGIN")
        snapshot.execute("SELECT COUNT(*) FROM sqlite_master").fetchall()
        destination = sqlite3.connect(target)
        try:
            snapshot.backup(destination, pages=BACKUP_STEP_PAGES,
                            progress=None if progress is None else _pages_copied(progress))
        finally:
            destination.close()
            snapshot.execute("ROLLBACK")
    finally:
        source.close()


def _pages_copied(progress: Callable[[int, int], None]) -> Callable[[int, int, int], None]:
    """SQLite's backup callback (status, pages remaining, pages in all) as ``progress(done, total)``."""
    def report(_status: int, remaining: int, total: int) -> None:
        progress(total - remaining, total)
    return report
