"""Bulk loading: many rows in one statement handed straight to the driver, and per-day counters kept by one
``INSERT … ON CONFLICT DO UPDATE`` (used by imports, day grids, the sample and the per-day tables)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from data_layer.db.store import driver_connection, is_sqlite


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
    insert = insert_on_conflict(conn, table)
    conn.execute(
        insert.on_conflict_do_update(index_elements=keys, set_={counter: table.c[counter] + insert.excluded[counter]}),
        rows,
    )


def insert_on_conflict(conn: Connection, table: sa.Table) -> sqlite.Insert | postgresql.Insert:
    """An insert into ``table`` that can say what to do when the row's key exists (``ON CONFLICT``), which
    both stores understand alike but SQLAlchemy builds per dialect."""
    return (sqlite.insert if is_sqlite(conn) else postgresql.insert)(table)


def insert_columns(
    conn: Connection, table: sa.Table, columns: dict[str, list], same: dict[str, object] | None = None
) -> None:
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
        # SQLite's parameters are positional ("qmark"): its compiled insert always lists their order.
        ordered = [values[name] for name in cast(list[str], statement.positiontup)]
        conn.exec_driver_sql(statement.string, list(zip(*ordered, strict=True)))
    else:
        _copy(conn, table, values)


def advance_id_sequence(conn: Connection, table: sa.Table) -> None:
    """Move PostgreSQL's sequence of ``table``'s ids past its largest id, after rows were inserted with ids of
    their own (the next new row gets the next free id); SQLite takes the largest id plus one by itself."""
    if is_sqlite(conn):
        return
    following = sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0) + 1).scalar_subquery()
    sequence = sa.func.pg_get_serial_sequence(table.name, table.c.id.name)
    conn.execute(sa.select(sa.func.setval(sequence, following, False)))


def _bound(conn: Connection, column: sa.Column, values: list) -> list:
    """``values`` of ``column`` as the driver gets them from SQLAlchemy (its type's bind processor applied)."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    if process is None:
        return values
    if isinstance(column.type, sa.DateTime) and process(_PROBE_TIME) == _PROBE_TIME.isoformat(" ", "microseconds"):
        return list(map(_naive_times_by_isoformat(process), values))
    return list(map(process, values))


_PROBE_TIME = datetime(2001, 2, 3, 4, 5, 6, 7)


def _naive_times_by_isoformat(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process`` of a time column stored as the text ``isoformat(" ", "microseconds")`` writes (SQLite's; the
    probe in :func:`_bound` checks it against the SQLAlchemy at hand): a naive time is written by that C method
    at less than half the cost of SQLAlchemy's formatting, three times a count entry; anything else still goes
    through ``process``."""

    def convert(value: Any) -> Any:
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
        with driver_connection(conn.connection).cursor() as cursor, cursor.copy(command) as copy:
            for row in zip(*values.values(), strict=True):
                copy.write_row(row)
    except driver_error as error:
        raise sa.exc.DBAPIError.instance(command, None, error, driver_error, dialect=conn.dialect) from error
