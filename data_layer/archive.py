"""Every ledger of the store in one workbook, and back into an empty store (``export all`` / ``import all``).

The per-kind exports (:mod:`data_layer.transfer`) write what a clerk's ledger holds; they leave out what the
figures also rest on: an enterprise's status history, its reopening conditions, inspections, rectification
items and their closures, the changes of a quarantine episode, corrections and reversals, and the ids by which
a correction names the entry it supersedes. The archive writes every row of every such table, one sheet per
table, headed by the column names; loaded into an empty store it gives every briefing figure of every past day
as it was, a checkpoint deactivated later keeping its counts.

Left out are the accounts and their sign-ins (password hashes do not belong in a spreadsheet), the audit log
(the import writes its own), the push channels (their secrets) and their outbox, the settings and the per-day
tables, which the import computes afresh from the ledgers (:mod:`data_layer.derived`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from data_layer.db import IMPORT_BATCH, Actor, WriteContext, is_sqlite, load_schema, write
from data_layer.derived import DERIVED_TABLES, rebuild_all
from data_layer.errors import FieldError, ImportRejected, RowError, ValidationError
from data_layer.permissions import require_admin
from data_layer.transfer import read_sheets
from data_layer.validation import is_blank
from data_layer.workbook import append_row, saved, text_columns

NOT_ARCHIVED = frozenset(
    {
        "audit_log",
        "submission_tokens",
        "settings",
        "users",
        "user_assignments",
        "signed_in_sessions",
        "sign_in_failures",
        "sign_in_unlocks",
        "notify_channels",
        "notify_outbox",
        "notify_lease",
    }
)
"""The tables the archive leaves out (see the module's text); the per-day tables are left out as well."""
SHEET_ROWS = 1_048_575
"""The most data rows of one archived table: a worksheet's rows, less its header."""
ARCHIVE_ACTION = "import.all"
ARCHIVE_BATCH = "import:all"


def archived_tables() -> list[sa.Table]:
    """The tables the archive holds, each after the tables it refers to (the order they are loaded in)."""
    derived = {derived.table.name for derived in DERIVED_TABLES}
    return [table for table in load_schema().sorted_tables if table.name not in NOT_ARCHIVED | derived]


def export_all(engine: Engine, path: Path) -> dict[str, int]:
    """Write every archived table to the workbook ``path``, one sheet per table in its id order, all read in one
    snapshot; returns the rows written per table. Text columns get the text format (an ID number stays text)."""
    workbook = Workbook(write_only=True)
    counts: dict[str, int] = {}
    with _snapshot(engine) as conn:
        for table in archived_tables():
            sheet = workbook.create_sheet(table.name)
            text_columns(sheet, [number for number, column in enumerate(table.columns, 1) if _is_text(column)])
            append_row(sheet, [column.name for column in table.columns])
            counts[table.name] = 0
            for row in conn.execute(sa.select(table).order_by(table.c.id)):
                append_row(sheet, list(row))
                counts[table.name] += 1
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(saved(workbook))
    return counts


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection reading in one transaction that sees one moment of the store (PostgreSQL's repeatable read;
    a SQLite read transaction sees one moment by itself)."""
    with engine.connect() as conn:
        if not is_sqlite(engine):
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def import_all(engine: Engine, actor: Actor, source: Path | bytes, file_name: str | None = None) -> dict[str, int]:
    """Load an archive written by :func:`export_all` into an empty store, every row with its id, in one
    transaction with an audit row per row (batch ``import:all``), and compute the per-day tables; returns the
    rows stored per table.

    Refused whole, nothing stored: by an administrator only; when the store already holds any archived row;
    when a sheet is missing or its columns differ from the table's; when a cell is not of its column's type
    (every such cell named by sheet, row and column); when rows refer to rows the file does not have."""
    require_admin(actor)
    tables = archived_tables()
    sheets = {sheet.title: sheet.rows for sheet in read_sheets(source, file_name or str(source), row_limit=SHEET_ROWS)}
    loaded = _archive_rows(tables, sheets)

    def work(ctx: WriteContext) -> dict[str, int]:
        _refuse_unless_empty(ctx.conn, tables)
        for table in tables:
            ctx.restore_many(table, ARCHIVE_ACTION, loaded[table.name])
        rebuild_all(ctx.conn)
        counts = {table.name: len(loaded[table.name]) for table in tables}
        ctx.audit(ARCHIVE_ACTION, "store", after=counts)
        return counts

    try:
        return write(engine, actor, work, batch=ARCHIVE_BATCH)
    except IntegrityError as error:
        detail = str(error.orig).strip().splitlines()[0]
        raise _file_problem("error.archive_inconsistent", detail=detail) from error


def _refuse_unless_empty(conn: Connection, tables: list[sa.Table]) -> None:
    """Refuse a store that holds any archived row, naming its tables: an archive is the whole store's history,
    and mixed with other rows its ids would clash and its figures would count twice."""
    filled = [table.name for table in tables if conn.execute(sa.select(table.c.id).limit(1)).first() is not None]
    if filled:
        raise ValidationError(
            [FieldError("store", "import.field.store", "error.store_not_empty", {"tables": ", ".join(filled)})]
        )


def _archive_rows(tables: list[sa.Table], sheets: dict[str | None, list[tuple[int, list]]]) -> dict[str, list[dict]]:
    """Each table's rows, read from its sheet as the column types say; every problem of the file at once."""
    problems: list[RowError] = []
    loaded: dict[str, list[dict]] = {}
    for table in tables:
        rows = sheets.get(table.name)
        if rows is None:
            problems.append(RowError(1, _file_error("error.archive_missing_sheet", sheet=table.name)))
            continue
        loaded[table.name] = _table_rows(table, rows, problems)
    if problems:
        raise ImportRejected(problems)
    return loaded


def _table_rows(table: sa.Table, rows: list[tuple[int, list]], problems: list[RowError]) -> list[dict]:
    """The rows of ``table``'s sheet as dicts of stored values; adds each problem to ``problems``. An archive
    written before rows named their import batch lacks that column, the last of its table: its rows have none."""
    expected = [column.name for column in table.columns]
    header = [None if is_blank(cell) else str(cell).strip() for cell in (rows[0][1] if rows else [])]
    while header and header[-1] is None:
        header.pop()
    if header not in (expected, [name for name in expected if name != IMPORT_BATCH]):
        found = ", ".join(name or "—" for name in header)
        problems.append(
            RowError(1, _file_error("error.archive_columns", expected=", ".join(expected), found=found), table.name)
        )
        return []
    stored = []
    for number, cells in rows[1:]:
        if all(is_blank(cell) for cell in cells):
            continue
        row: dict[str, object] = {}
        for index, column in enumerate(table.columns):
            cell = cells[index] if index < len(cells) else None
            try:
                row[column.name] = _stored_value(column, cell)
            except (TypeError, ValueError):
                problems.append(RowError(number, _value_error(column, cell), table.name))
        stored.append(row)
    return stored


def _stored_value(column: sa.Column, cell: object) -> object:
    """A cell of the archive as ``column`` stores it; raises ``ValueError`` for a cell of another type. An empty
    cell is ``NULL``, or the empty text in a text column that must have a value."""
    if cell is None or cell == "":
        if column.nullable:
            return None
        if _is_text(column):
            return ""
        raise ValueError("a value is needed")
    for kind, read in _READERS:
        if isinstance(column.type, kind):
            return read(cell)
    return cell


def _read_boolean(cell: object) -> bool:
    if isinstance(cell, bool) or cell in (0, 1):
        return bool(cell)
    raise ValueError(cell)


def _read_integer(cell: object) -> int:
    if isinstance(cell, bool) or not isinstance(cell, (int, float, str)):
        raise ValueError(cell)
    number = float(cell) if isinstance(cell, (float, str)) else cell
    if isinstance(number, float) and not number.is_integer():
        raise ValueError(cell)
    return int(number)


def _read_number(cell: object) -> float:
    if isinstance(cell, bool) or not isinstance(cell, (int, float, str)):
        raise ValueError(cell)
    return float(cell)


def _read_moment(cell: object) -> datetime:
    if isinstance(cell, datetime):
        return cell
    if isinstance(cell, str):
        return datetime.fromisoformat(cell)
    raise ValueError(cell)


def _read_day(cell: object) -> date:
    if isinstance(cell, datetime):
        if cell.time() != datetime.min.time():
            raise ValueError(cell)
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, str):
        return date.fromisoformat(cell)
    raise ValueError(cell)


def _read_text(cell: object) -> str:
    return cell if isinstance(cell, str) else str(cell)


_READERS: tuple[tuple[type, Callable[[object], object]], ...] = (
    (sa.Boolean, _read_boolean),
    (sa.Integer, _read_integer),
    (sa.Float, _read_number),
    (sa.DateTime, _read_moment),
    (sa.Date, _read_day),
    (sa.String, _read_text),
)
"""How a cell is read for each column type (checked in this order; ``BigInteger`` is an ``Integer``, ``Text`` a
``String``)."""


def _is_text(column: sa.Column) -> bool:
    return isinstance(column.type, sa.String)


def _value_error(column: sa.Column, cell: object) -> FieldError:
    return FieldError(
        "row",
        "import.field.row",
        "error.archive_value",
        {"value": "" if cell is None else str(cell), "column": column.name, "type": str(column.type)},
    )


def _file_error(key: str, **params: object) -> FieldError:
    return FieldError("file", "import.field.file", key, params)


def _file_problem(key: str, **params: object) -> ImportRejected:
    return ImportRejected([RowError(1, _file_error(key, **params))])
