"""Running totals per key and day: a row holds a key's figures at the end of its day, and they hold on every
later day until the key's next row. The figures of any day are then one look-up of the key's last row on or
before it, however long the history (the per-day tables of :mod:`data_layer.derived` that carry a stock or a
count of things held).

A change dated D adds to the key's row of D (made from the row before it when there is none) and to every
later row of the key. Changes are mostly dated today, so that touches a row or two. Two writers adding to one
key at once would each miss the other's new row, so the writers of a table take turns (:func:`take_turns`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.db.store import is_sqlite


def take_turns(conn: Connection, table: sa.Table) -> None:
    """Make the other writers of ``table`` wait until this transaction ends. SQLite's writers take turns
    already (``BEGIN IMMEDIATE``); PostgreSQL's are made to by a table lock that readers do not wait for. Two
    transactions that each hold a row the other waits for are a deadlock, which the write retries."""
    if not is_sqlite(conn):
        conn.exec_driver_sql(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE")


def _of_key(table: sa.Table, key: Mapping[str, object]) -> list[sa.ColumnElement[bool]]:
    return [table.c[name].is_(None) if value is None else table.c[name] == value for name, value in key.items()]


def latest_on(table: sa.Table, key: Mapping[str, object], day: date | sa.BindParameter[date]) -> sa.Select:
    """The key's last row on or before ``day`` (nothing when the key has none yet): its figures on ``day``. The
    day and the key's values may be bound parameters, for a statement built once and run for many."""
    return sa.select(table).where(*_of_key(table, key), table.c.day <= day).order_by(table.c.day.desc()).limit(1)


def add_from_day(
    conn: Connection,
    table: sa.Table,
    key: Mapping[str, object],
    day: date,
    running: Mapping[str, int],
    on_day: Mapping[str, int] | None = None,
) -> None:
    """Add ``running`` to the key's figures of ``day`` and of every later day, and ``on_day`` to figures that
    count the day's own movements only. The caller holds the key's writers off (:func:`take_turns`, or a
    lock on what the key stands for)."""
    on_day = on_day or {}
    shape = _Shape(table, tuple((name, value is None) for name, value in key.items()), tuple(running), tuple(on_day))
    values = {f"p_{name}": value for name, value in {**key, **running, **on_day}.items() if value is not None}
    for statement in _statements(shape):
        conn.execute(statement, {"p_day": day, **values})


@dataclass(frozen=True)
class _Shape:
    """What the statements of :func:`add_from_day` depend on: the table, its key's columns (and which of them
    are null), and the names of the figures added to."""

    table: sa.Table
    key: tuple[tuple[str, bool], ...]
    running: tuple[str, ...]
    on_day: tuple[str, ...]


@cache
def _statements(shape: _Shape) -> tuple[sa.Insert, sa.Update]:
    """The two statements of :func:`add_from_day` for one shape, built once: the day's row made from the one
    before it if missing, then the change added to it and to every later row of the key. Building them took
    longer than running them, and a status change runs three."""
    table = shape.table
    day = sa.bindparam("p_day", type_=sa.Date)
    key: dict[str, sa.BindParameter[object] | None] = {
        name: None if null else sa.bindparam(f"p_{name}") for name, null in shape.key
    }
    of_key = _of_key(table, key)
    before = latest_on(table, key, day).subquery()  # the day's row is missing when it is read
    carried = [sa.func.coalesce(sa.select(before.c[name]).scalar_subquery(), 0) for name in shape.running]
    missing = ~sa.exists().where(*of_key, table.c.day == day)
    make_row = table.insert().from_select(
        ["day", *key, *shape.running, *shape.on_day],
        sa.select(
            day,
            *(sa.null() if value is None else value for value in key.values()),
            *carried,
            *(sa.literal(0) for _ in shape.on_day),
        ).where(missing),
    )
    today = table.c.day == day
    add = (
        table.update()
        .where(*of_key, table.c.day >= day)
        .values(
            **{name: table.c[name] + sa.bindparam(f"p_{name}") for name in shape.running},
            **{name: table.c[name] + sa.case((today, sa.bindparam(f"p_{name}")), else_=0) for name in shape.on_day},
        )
    )
    return make_row, add
