"""The one way to write: :func:`write` gives each write one transaction, an audit row, protection against a
form submitted twice and a retry when another writer holds the database for a moment. Pages and the command
line never open connections for writing themselves."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from data_layer import clock
from data_layer.actor import Actor
from data_layer.db.bulk import advance_id_sequence, insert_columns, insert_on_conflict
from data_layer.db.store import IMPORT_BATCH, audit_log, is_sqlite, settings, submission_tokens
from data_layer.errors import DuplicateSubmission
from data_layer.permissions import require_admin

WRITE_ATTEMPTS = 8
UNLOCKED_ATTEMPTS = 2
"""How many times a write that checks before locking (see :func:`write`) tries without the lock before it locks
from the start."""
T = TypeVar("T")


@dataclass
class WriteContext:
    """What a write function gets: the open transaction and who is acting.

    ``batch`` names a load of historical records (``import:<kind>``, ``sample``, ``import:all``); every audit
    row of the transaction carries it, which is how the briefing review tells a load from a correction.

    ``import_batch_id`` is set for an import file, which is audited as one write: the rows it inserts carry
    the id in their :data:`~data_layer.db.store.IMPORT_BATCH` column and get no audit row of their own; the
    file's one audit row, written by the import, carries the same id. A change an import makes to a row that
    was there before (an enterprise's fields, say) keeps its own audit row with the values before and after,
    which the row itself does not keep, and the id as well.
    """

    conn: Connection
    actor: Actor
    batch: str | None = None
    import_batch_id: str | None = None

    def audit(
        self,
        action: str,
        table: sa.Table | str,
        row_id: object = None,
        before: dict | None = None,
        after: dict | None = None,
    ) -> None:
        """Record one change in ``audit_log``, inside the same transaction as the change."""
        self.conn.execute(
            audit_log.insert(),
            {
                "at": clock.now(),
                "username": self.actor.username,
                "action": action,
                "table_name": table if isinstance(table, str) else table.name,
                "row_id": None if row_id is None else str(row_id),
                "before": _to_json(before),
                "after": _to_json(after),
                "batch": self.batch,
                IMPORT_BATCH: self.import_batch_id,
            },
        )

    def insert(self, table: sa.Table, action: str, values: dict) -> int:
        """Insert one row and audit it; returns the new row's id. The values go as parameters of a statement
        SQLAlchemy has compiled before, not into a statement built anew, which cost a single entry's write
        more than the database's work. A row of an import file is stamped with its batch instead of audited."""
        loaded = self.import_batch_id is not None
        row = {**values, IMPORT_BATCH: self.import_batch_id} if loaded else values
        row_id: int = self.conn.execute(table.insert().returning(table.c.id), row).scalar_one()
        if not loaded:
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
        such as SQLAlchemy's names, once per row. The rows of an import file are stamped with its batch in the
        same statement and get no audit rows: one statement in all.
        """
        if not rows:
            return []
        ids = self._reserve_ids(table, len(rows))
        if self.import_batch_id is not None:
            insert_columns(self.conn, table, _by_column(ids, rows), same={IMPORT_BATCH: self.import_batch_id})
        else:
            self._insert_with_ids(table, action, ids, rows)
        return ids

    def restore_many(self, table: sa.Table, action: str, rows: list[dict]) -> None:
        """Insert rows that keep the ids they had in another store (``import all``: a correction refers to the
        entry it supersedes by its id) and audit each, in two batched statements as :meth:`insert_many` does;
        PostgreSQL's id sequence is then moved past them."""
        if not rows:
            return
        self._insert_with_ids(table, action, [row["id"] for row in rows], [_without_id(row) for row in rows])
        advance_id_sequence(self.conn, table)

    def _insert_with_ids(self, table: sa.Table, action: str, ids: list[int], rows: list[dict]) -> None:
        """Insert ``rows`` (of the same columns) with ``ids`` and an audit row each (see :meth:`insert_many`)."""
        insert_columns(self.conn, table, _by_column(ids, rows))
        insert_columns(
            self.conn,
            audit_log,
            {"row_id": list(map(str, ids)), "after": list(map(_to_json, rows))},
            same={
                "at": clock.now(),
                "username": self.actor.username,
                "action": action,
                "table_name": str(table.name),
                "batch": self.batch,
            },
        )

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


def _by_column(ids: list[int], rows: list[dict]) -> dict[str, list]:
    """``rows`` (of the same columns) with their ``ids``, column by column as :func:`insert_columns` takes them."""
    return {"id": ids, **{name: [values[name] for values in rows] for name in rows[0]}}


def _without_id(row: dict) -> dict:
    return {name: value for name, value in row.items() if name != "id"}


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


def write(
    engine: Engine,
    actor: Actor,
    work: Callable[[WriteContext], T],
    *,
    token: str | None = None,
    batch: str | None = None,
    import_batch_id: str | None = None,
    check_before_locking: bool = False,
) -> T:
    """Run ``work`` as one transaction and return what it returns.

    ``token`` identifies one rendered form: the first submission stores the
    token with the entry and what ``work`` returned, and a second one with the
    same token (a double click, a resent request) raises
    :class:`DuplicateSubmission`, carrying that result, and stores nothing. A
    refusal raised by ``work`` rolls everything back, token included, so the
    corrected form can be sent again. A writer that finds the database busy
    waits and tries again, so no clerk ever sees "database is locked".
    ``batch`` marks a load of historical records, ``import_batch_id`` an import
    file audited as one write (see :class:`WriteContext`).

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
                    result = work(WriteContext(conn, actor, batch, import_batch_id))
                    if token:
                        _keep_result(conn, token, result)
                    return result
        except OperationalError as error:
            if attempt == WRITE_ATTEMPTS - 1 or not _is_transient(error):
                raise
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable: the loop returns or raises")


def _claim_token(conn: Connection, token: str, actor: Actor) -> None:
    """Store the form's token, or refuse the submission when it is stored already. One statement: a second
    submission racing the first waits for the first's transaction and, once it commits, finds the token."""
    claim = (
        insert_on_conflict(conn, submission_tokens)
        .values(token=token, username=actor.username, at=clock.now())
        .on_conflict_do_nothing(index_elements=["token"])
        .returning(submission_tokens.c.token)
    )
    if conn.execute(claim).first() is None:
        stored = conn.execute(sa.select(submission_tokens.c.result).where(submission_tokens.c.token == token)).scalar()
        raise DuplicateSubmission(None if stored is None else json.loads(stored))


def _keep_result(conn: Connection, token: str, result: object) -> None:
    """Keep what the form's write returned with its token, as JSON (a tuple comes back as a list), for the form
    sent again to be answered with it; a result JSON cannot hold is not kept."""
    try:
        text = json.dumps(result, ensure_ascii=False)
    except TypeError:
        return
    conn.execute(sa.update(submission_tokens).where(submission_tokens.c.token == token).values(result=text))


def _is_transient(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return any(
        sign in text
        for sign in (
            "database is locked",
            "database is busy",
            "deadlock detected",
            "could not serialize",
            "server closed the connection",
        )
    )


def put_setting(ctx: WriteContext, key: str, value: str) -> None:
    """Set one setting inside a write, auditing the old and the new value; settings are the administrator's."""
    require_admin(ctx.actor)
    old = ctx.conn.execute(sa.select(settings.c.value).where(settings.c.key == key)).scalar()
    if old is None:
        ctx.conn.execute(settings.insert().values(key=key, value=value))
    else:
        ctx.conn.execute(settings.update().where(settings.c.key == key).values(value=value))
    ctx.audit("setting.put", settings, key, before=None if old is None else {"value": old}, after={"value": value})


def perform(
    engine: Engine, actor: Actor, operation: Callable[..., T], *args: Any, token: str | None = None, **kwargs: Any
) -> T:
    """Run one data-layer operation (a function whose first argument is a :class:`WriteContext`)
    as its own transaction; see :func:`write` for ``token``."""
    return write(engine, actor, lambda ctx: operation(ctx, *args, **kwargs), token=token)
