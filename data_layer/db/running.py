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
from datetime import date

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
    day may be a bound parameter, for a statement built once and run for many days."""
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
    of_key = _of_key(table, key)
    if conn.execute(sa.select(table.c.day).where(*of_key, table.c.day == day).limit(1)).first() is None:
        before = conn.execute(latest_on(table, key, day)).mappings().first()
        figures = {name: before[name] if before else 0 for name in running}
        conn.execute(table.insert().values(day=day, **key, **figures, **dict.fromkeys(on_day or {}, 0)))
    today = table.c.day == day
    conn.execute(
        table.update()
        .where(*of_key, table.c.day >= day)
        .values(
            **{name: table.c[name] + change for name, change in running.items()},
            **{name: table.c[name] + sa.case((today, change), else_=0) for name, change in (on_day or {}).items()},
        )
    )
