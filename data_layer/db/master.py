"""Finding a row of master data (a checkpoint, a supply item, a quarantine site, an enterprise) that a form or
an import file refers to by name or by id: one rule (:func:`~data_layer.validation.resolve_reference`), one way
to lock the row found, and one pair of messages for a reference that is missing or names nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from data_layer.validation import Checks, is_blank, resolve_reference

Finder = Callable[[object], RowMapping | None]
"""Finds the row a reference names, or ``None``: a :class:`MasterLookup` bound to a connection, or a
:class:`Directory`'s ``find`` for a batch."""


class MasterLookup:
    """The rows of a master-data table with unique names, looked up one at a time by name or id.

    ``query`` selects what a lookup returns (by default the whole row; the enterprises add their current
    status); ``text_may_be_id`` says whether digits that name no row are taken as an id (an import of
    enterprises registers a new one under any name it does not know, so there text is a name only). The
    statements are built once, with the id or name as a parameter: the lookups run for every write, and
    building a statement costs more than running it."""

    def __init__(self, table: sa.Table, query: sa.Select | None = None, *, text_may_be_id: bool = True):
        base = sa.select(table) if query is None else query
        self.text_may_be_id = text_may_be_id
        self._statements = {
            (column, lock): base.where(table.c[column] == sa.bindparam("key")).with_for_update(of=table)
            if lock
            else base.where(table.c[column] == sa.bindparam("key"))
            for column in ("id", "name")
            for lock in (False, True)
        }

    def find(self, conn: Connection, value: object, *, lock: bool = False) -> RowMapping | None:
        """The row ``value`` names (see :func:`~data_layer.validation.resolve_reference`), or ``None`` for a
        blank or unknown reference; with ``lock`` it is held until the transaction ends (PostgreSQL; SQLite
        serializes every writer anyway), so that two writes that check against it queue up."""
        if is_blank(value):
            return None

        def first(column: str) -> Callable[[object], RowMapping | None]:
            return lambda key: conn.execute(self._statements[column, lock], {"key": key}).mappings().first()

        return resolve_reference(value, first("id"), first("name"), text_may_be_id=self.text_may_be_id)

    def finder(self, conn: Connection, *, lock: bool = False) -> Finder:
        """:meth:`find` on ``conn``, as a function of the reference alone."""
        return lambda value: self.find(conn, value, lock=lock)


def referenced_row(checks: Checks, field: str, value: object, find: Finder) -> RowMapping | None:
    """The row ``find`` gives for ``value``, or ``None`` with the reason recorded on ``field``: the reference
    is required, and must name a known row."""
    if is_blank(value):
        checks.fail(field, "error.required")
        return None
    row = find(value)
    if row is None:
        checks.fail(field, "error.unknown_name", value=str(value).strip())
    return row


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

    def find(self, value: object) -> RowMapping | None:
        return resolve_reference(value, self._by_id.get, self._by_name.get)
