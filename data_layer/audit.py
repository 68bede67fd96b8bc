"""The audit log as the administrator reads it: who did what, when, to which row, before and after.

Every write leaves one row per change in ``audit_log`` (see :mod:`data_layer.db`), an import file one row
for the file, with its name, SHA-256, row count and the batch id its stored rows carry;
this module filters, pages, counts and exports those rows in SQL, so that an
audit log of millions of rows is never loaded whole. Times are command-post
local time, so a day filter means the command post's day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from data_layer import clock
from data_layer.db import audit_log
from data_layer.transfer import write_table

PAGE_SIZE = 50
MAX_EXPORT_ROWS = 100_000
EXPORT_COLUMNS = (
    "id",
    "at",
    "username",
    "action",
    "table_name",
    "row_id",
    "batch",
    "import_batch_id",
    "before",
    "after",
)


@dataclass(frozen=True)
class AuditFilter:
    """What the administrator narrows the audit log to; ``None`` leaves a filter out.

    ``action`` matches actions that start with it (``user.`` finds every account change);
    ``start`` and ``end`` are command-post days, both included.
    """

    username: str | None = None
    table: str | None = None
    action: str | None = None
    start: date | None = None
    end: date | None = None


def _conditions(chosen: AuditFilter) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if chosen.username:
        conditions.append(audit_log.c.username == chosen.username)
    if chosen.table:
        conditions.append(audit_log.c.table_name == chosen.table)
    if chosen.action:
        conditions.append(audit_log.c.action.startswith(chosen.action, autoescape=True))
    if chosen.start:
        conditions.append(audit_log.c.at >= clock.day_bounds(chosen.start)[0])
    if chosen.end:
        conditions.append(audit_log.c.at < clock.day_bounds(chosen.end)[1])
    return conditions


def _parsed(text: str | None) -> dict | None:
    return None if text is None else json.loads(text)


def audit_entries(conn: Connection, chosen: AuditFilter, limit: int = PAGE_SIZE, offset: int = 0) -> list[dict]:
    """One page of the filtered audit log, newest first; ``before`` and ``after`` as parsed JSON (or ``None``)."""
    query = sa.select(audit_log).where(*_conditions(chosen)).order_by(audit_log.c.id.desc()).limit(limit).offset(offset)
    return [
        {**row, "before": _parsed(row["before"]), "after": _parsed(row["after"])}
        for row in conn.execute(query).mappings()
    ]


def audit_count(conn: Connection, chosen: AuditFilter) -> int:
    """How many audit rows the filter matches (for the page count)."""
    return conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(*_conditions(chosen))).scalar_one()


def _distinct(conn: Connection, column: sa.Column) -> list[str]:
    """The values of an indexed column, in order, by hopping from one to the next through the index:
    a few dozen index look-ups where ``SELECT DISTINCT`` would read every row of the log."""
    values: list[str] = []
    current = conn.execute(sa.select(sa.func.min(column))).scalar()
    while current is not None:
        values.append(current)
        current = conn.execute(sa.select(sa.func.min(column)).where(column > current)).scalar()
    return values


def audit_usernames(conn: Connection) -> list[str]:
    """Everyone who appears in the audit log (accounts, ``cli:<os user>``, ``sample``, ``sign-in``)."""
    return _distinct(conn, audit_log.c.username)


def audit_tables(conn: Connection) -> list[str]:
    """Every table (or import kind) the audit log has rows for."""
    return _distinct(conn, audit_log.c.table_name)


def _export_cell(column: str, value: Any, typed: bool) -> object:
    """A value as the export writes it: a moment to the second, a date cell in a workbook (``typed``) and text
    in a CSV file."""
    if column in ("before", "after"):
        return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
    if column == "at":
        return value.replace(microsecond=0) if typed else value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def export_audit(engine: Engine, chosen: AuditFilter, path: Path) -> int:
    """Write the filtered audit log (newest first, at most :data:`MAX_EXPORT_ROWS`) to ``path`` as CSV or XLSX
    by extension; returns the rows written. Before and after stay JSON text, as stored; a row's id is text (an
    account's is its name)."""
    with engine.connect() as conn:
        entries = audit_entries(conn, chosen, MAX_EXPORT_ROWS)
    typed = Path(path).suffix.lower() == ".xlsx"
    write_table(
        Path(path),
        list(EXPORT_COLUMNS),
        [[_export_cell(column, entry[column], typed) for column in EXPORT_COLUMNS] for entry in entries],
        text_column_numbers=[EXPORT_COLUMNS.index("row_id") + 1],
    )
    return len(entries)
