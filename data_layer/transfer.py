"""Import and export of the ledgers as CSV or Excel files (design §5).

Each domain module lists its :class:`TransferKind` objects in ``TRANSFER_KINDS``:
the columns (English name and the Chinese header clerks use), a function that
validates and stores one row inside the import's transaction, and a function
that reads the rows back out. An import is all-or-nothing: every row is
checked, every bad row is reported with its row number, and one bad row
rolls back the whole file.

The big ledgers (checkpoint counts, supply movements, follow-ups) also have a
batch function that checks a whole file by the same rules and with the same
messages as the form, but looks names up once, checks the file's rows against
each other and against the stored rows in a few queries, and stores the rows
with one statement: a file of many thousand rows imports in seconds instead of
minutes. Every import is audited by one row for the file, its batch id stamped
on every row it stored (:func:`import_ledger`).
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import io
import math
import re
import struct
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
import xlrd
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy.engine import Connection, Engine
from xlrd.biffh import XLRDError
from xlrd.compdoc import CompDocError

from data_layer import settings
from data_layer.db import DOMAIN_MODULES, Actor, WriteContext, write
from data_layer.errors import FieldError, ImportRejected, RowError, RowsRejected, ValidationError
from data_layer.validation import is_blank, parse_number, typed_text
from data_layer.workbook import CSV_TEXT_MARK, append_row, csv_text, csv_text_read, import_sheet_of, text_columns

Row = dict[str, object]
Progress = Callable[[int, int], None]
PROGRESS_STEPS = 100
MEGABYTE = 1024 * 1024
MAX_FILE_MEGABYTES = 64
"""The largest import file, CSV or XLSX, as uploaded (``server.maxUploadSize`` in .streamlit/config.toml says the
same to the browser): a ledger at the row limit takes a few megabytes."""
MAX_UNPACKED_MEGABYTES = 128
"""The most an XLSX file may unpack to (an XLSX is a zip archive: a few kilobytes can unpack to gigabytes)."""
MAX_SHEET_COLUMNS = 256
"""The most columns a sheet may use (Excel 2003's limit; a ledger has a few dozen). openpyxl pads every row it
reads to the width a sheet states (its ``dimension``): a file of a few kilobytes stating A1:XFD50000 would fill
gigabytes with empty cells."""
IMPORT_FILE_TYPES = ("csv", "xlsx", "xls")
"""The file types an upload offers: CSV, Excel workbooks, and the old Excel 97–2003 workbooks of WPS and old
offices."""
OLE_SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")
"""How an old .xls workbook (an OLE compound document) begins."""
ZIP_SIGNATURE = b"PK\x03\x04"
"""How an .xlsx workbook (a zip archive) begins."""
LEGACY_READ_ERRORS = (
    XLRDError,
    CompDocError,
    struct.error,
    AssertionError,
    ValueError,
    LookupError,
    EOFError,
    OSError,
)
"""What xlrd raises on a damaged .xls file (it checks some of its records with ``assert``)."""
HEADER_SEARCH_ROWS = 20
"""How far down a sheet the header may stand: clerks' ledgers put a title, a merged banner, the unit's name or
blank rows above it."""
UNIT_IN_BRACKETS = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]$")
"""A unit after a header, as in 检测人数（人） or 数量(个) (full-width brackets are half-width after NFKC)."""
TOTAL_WORDS = ("合计", "总计", "小计")
"""How the total row under a ledger begins."""
FOOTER_WORDS = ("填表人", "填报人", "制表人", "审核人", "统计人", "负责人", "填表日期", "填报日期", "制表日期")
"""How the signature line under a ledger begins (填表人：… 审核人：…)."""


def max_import_rows() -> int:
    """The most data rows an import file may have (``COMMAND_POST_IMPORT_MAX_ROWS``, default 50,000: a street
    command post's year of checkpoint shifts or a district's month). A file is stored in one transaction, and
    on SQLite every other clerk's save waits while it is stored: at this size 0.7 s, up to 1.5 s when clerks save
    every second (see :func:`data_layer.db.write`)."""
    return settings.IMPORT_MAX_ROWS.value()


class ProgressTicker:
    """Tells a progress callback how many of ``total`` rows are done, at most about every 1 % of the rows
    (a progress bar redrawn for every row of a big file would cost more than the row), and once at the end."""

    def __init__(self, progress: Progress | None, total: int):
        self.progress = progress
        self.total = total
        self.step = max(1, -(-total // PROGRESS_STEPS))
        self.reported = 0
        self.finished = False

    def __call__(self, done: int) -> None:
        if self.progress is None or self.finished:
            return
        if done >= self.total:
            self.finish()
        elif done - self.reported >= self.step:
            self.reported = done
            self.progress(done, self.total)

    def finish(self) -> None:
        """Report that every row is done (also for an empty file: ``(0, 0)``)."""
        if self.progress is not None and not self.finished:
            self.finished = True
            self.progress(self.total, self.total)


@dataclass(frozen=True)
class Column:
    """A column of an import file: its English name (design §5) and the Chinese header of clerks' ledgers;
    ``text`` for digits that must stay text (an ID number, a phone), which an export gives the text format."""

    name: str
    chinese: str
    text: bool = False


def text_column_numbers(columns: Iterable[Column]) -> list[int]:
    """Where the ``text`` columns stand among ``columns`` (1 for the first, as a sheet counts them)."""
    return [number for number, column in enumerate(columns, start=1) if column.text]


AddRows = Callable[[WriteContext, list[Row], Callable[[int], None]], list[int]]


@dataclass(frozen=True)
class TransferKind:
    """One thing that can be imported and exported, such as ``checkpoint_counts``.

    ``add_rows``, when given, stores a whole file's rows at once by the rules of ``add_row``: it
    raises :class:`RowsRejected` naming every bad row by its position, and calls its third
    argument with the number of rows checked so far.
    """

    name: str
    columns: tuple[Column, ...]
    add_row: Callable[[WriteContext, Row], object]
    read_rows: Callable[[Connection], Iterable[Row]]
    add_rows: AddRows | None = None


def query_rows(conn: Connection, query: sa.Select) -> Iterator[Row]:
    """Each row of ``query`` as a :data:`Row`: what a kind's ``read_rows`` hands the export, one per line of the
    file."""
    return (dict(row) for row in conn.execute(query).mappings())


def transfer_kinds() -> dict[str, TransferKind]:
    """Every kind of every domain module, by name."""
    kinds: dict[str, TransferKind] = {}
    for module_name in DOMAIN_MODULES:
        module = importlib.import_module(f"data_layer.{module_name}")
        for kind in getattr(module, "TRANSFER_KINDS", ()):
            kinds[kind.name] = kind
    return kinds


def transfer_kind(name: str) -> TransferKind:
    kinds = transfer_kinds()
    if name not in kinds:
        raise ValueError(f"unknown kind {name!r}; known kinds: {', '.join(sorted(kinds))}")
    return kinds[name]


@dataclass(frozen=True)
class SheetRows:
    """The numbered rows of one sheet of a file (row 1 first), as read; ``title`` is ``None`` for a CSV file."""

    title: str | None
    rows: list[tuple[int, list]]
    marked: bool = False
    """Whether the workbook names this sheet as the one to import (the app's own exports do)."""


def read_table(source: Path | bytes, file_name: str | None = None) -> tuple[list[str], Iterator[tuple[int, list]]]:
    """The header and the numbered data rows of the first sheet of a CSV, XLSX or XLS file, row 1 being the header
    (the shape the app's own exports have; :func:`import_file` also finds a header further down)."""
    rows = read_sheets(source, file_name)[0].rows
    header = [_header_text(cell) for cell in (rows[0][1] if rows else ())]
    return header, iter(rows[1:])


def read_sheets(source: Path | bytes, file_name: str | None = None, *, row_limit: int | None = None) -> list[SheetRows]:
    """Every sheet of a CSV, XLSX or old XLS file with its numbered rows.

    ``source`` is a path, or the bytes of an uploaded file. A workbook is known by how its bytes begin, whatever
    its name; other files are read as their ``file_name`` says. CSV files are read as UTF-8 (with or without BOM) and,
    failing that, as GB18030, which is what Excel writes on a Chinese Windows.
    A file that cannot be read is refused (:class:`ImportRejected`) like one with bad rows, and so is a sheet of
    more data rows than ``row_limit`` (default :func:`max_import_rows`).
    """
    limit = max_import_rows() if row_limit is None else row_limit
    name = file_name or str(source)
    size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    if size > MAX_FILE_MEGABYTES * MEGABYTE:
        raise _unreadable(1, "error.file_too_large", limit=MAX_FILE_MEGABYTES)
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    workbook_format = _workbook_format(data, name)
    if workbook_format == "xlsx":
        return _read_xlsx(data, limit)
    if workbook_format == "xls":
        return _read_xls(data, limit)
    _refuse_too_many_rows(_line_count(data) - 1 - HEADER_SEARCH_ROWS, limit)
    return [SheetRows(None, _read_csv(data))]


def _workbook_format(data: bytes, name: str) -> str | None:
    """``"xlsx"`` or ``"xls"`` for a workbook, by how its bytes begin (a clerk's .xls is often an .xlsx renamed,
    or the other way round) or else by its name; ``None`` for a CSV file."""
    if data.startswith(OLE_SIGNATURE):
        return "xls"
    if data.startswith(ZIP_SIGNATURE):
        return "xlsx"
    suffix = Path(name).suffix.lower()
    return "xls" if suffix == ".xls" else "xlsx" if suffix in (".xlsx", ".xlsm") else None


def _line_count(data: bytes) -> int:
    """How many lines a CSV file has, counted on its bytes before it is decoded or parsed: an upper bound of its
    rows (a cell may hold a line break)."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


def _refuse_too_many_rows(data_rows: int | None, limit: int | None = None) -> None:
    """Refuse a file of more data rows than ``limit``, by default :func:`max_import_rows` (``data_rows`` is
    ``None`` when not known yet)."""
    limit = max_import_rows() if limit is None else limit
    if data_rows is not None and data_rows > limit:
        raise _unreadable(1, "error.too_many_rows", limit=limit)


def _unreadable(row: int, key: str, **params: object) -> ImportRejected:
    """The refusal of a file that cannot be read at all, or not past ``row``."""
    return ImportRejected([RowError(row, FieldError("file", "import.field.file", key, params))])


def _read_csv(data: bytes) -> list[tuple[int, list]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _unreadable(1, "error.file_encoding")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as error:
        raise _unreadable(reader.line_num, "error.malformed_row", reason=str(error)) from error
    if CSV_TEXT_MARK not in text:  # no cell to unmark: most files, read without a look at each of their cells
        return list(enumerate(rows, start=1))
    return [(number, [csv_text_read(cell) for cell in row]) for number, row in enumerate(rows, start=1)]


def _read_xlsx(data: bytes, row_limit: int) -> list[SheetRows]:
    """The rows of every worksheet. Before a cell is read the archive's unpacked size is checked, and each
    sheet's stated size (its ``dimension``) when it has one; then the rows are read as they are, no further than
    the limits (openpyxl would pad each row to the stated width, and drop what lies beyond a range stated too
    small)."""
    try:
        _refuse_unpacking_too_much(data)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        marked = import_sheet_of(workbook)
        sheets = []
        for sheet in workbook.worksheets:
            _refuse_stated_size(sheet.max_row, sheet.max_column, row_limit)
            sheet.reset_dimensions()
            rows = islice(sheet.iter_rows(values_only=True), row_limit + HEADER_SEARCH_ROWS + 1)
            sheets.append(
                SheetRows(
                    sheet.title,
                    [(number, _within_columns(number, row)) for number, row in enumerate(rows, start=1)],
                    marked=sheet.title == marked,
                )
            )
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as error:
        raise _unreadable(1, "error.unreadable_workbook") from error
    return sheets


def _read_xls(data: bytes, row_limit: int) -> list[SheetRows]:
    """The rows of every sheet of an old .xls workbook (xlrd), cells typed as openpyxl types them. A sheet is
    counted before its rows are read; an .xls sheet has at most 256 columns."""
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
        try:
            sheets = []
            for index in range(book.nsheets):
                sheet = book.sheet_by_index(index)
                _refuse_stated_size(sheet.nrows, sheet.ncols, row_limit)
                rows = [
                    [_legacy_value(cell, book.datemode) for cell in sheet.row(number)] for number in range(sheet.nrows)
                ]
                sheets.append(SheetRows(sheet.name, list(enumerate(rows, start=1))))
                book.unload_sheet(index)
        finally:
            book.release_resources()
    except LEGACY_READ_ERRORS as error:
        raise _unreadable(1, "error.unreadable_workbook") from error
    return sheets


def _legacy_value(cell: xlrd.sheet.Cell, datemode: Literal[0, 1]) -> object:
    """An .xls cell's value as openpyxl gives an .xlsx cell's: a date cell a datetime, a whole number an int,
    an error its text (#N/A), an empty cell ``None``."""
    value = cell.value
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) or isinstance(value, str):
        return value or None
    if cell.ctype == xlrd.XL_CELL_DATE:
        return xlrd.xldate.xldate_as_datetime(value, datemode)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(int(value), "#ERROR")
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _refuse_stated_size(rows: int | None, columns: int | None, row_limit: int) -> None:
    """Refuse a sheet whose ``dimension`` (read by openpyxl from the top of the sheet, before any row; ``None``
    when it has none) states more rows than the row limit or more columns than :data:`MAX_SHEET_COLUMNS`."""
    _refuse_too_many_rows(None if rows is None else rows - 1 - HEADER_SEARCH_ROWS, row_limit)
    if rows is not None and columns is not None and columns > MAX_SHEET_COLUMNS:
        dimension = f"A1:{get_column_letter(columns)}{rows}"
        raise _unreadable(1, "error.sheet_too_wide", dimension=dimension, limit=MAX_SHEET_COLUMNS)


def _within_columns(number: int, row: tuple) -> list:
    """A row's cells up to :data:`MAX_SHEET_COLUMNS`; a value further right is refused, empty cells there are
    dropped."""
    if len(row) > MAX_SHEET_COLUMNS and not _is_empty(row[MAX_SHEET_COLUMNS:]):
        raise _unreadable(number, "error.row_too_wide", limit=MAX_SHEET_COLUMNS)
    return list(row[:MAX_SHEET_COLUMNS])


def _refuse_unpacking_too_much(data: bytes) -> None:
    """Refuse a workbook whose parts unpack to more than :data:`MAX_UNPACKED_MEGABYTES` (a zip bomb), from the
    sizes its archive's directory states, before anything is unpacked."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(part.file_size for part in archive.infolist()) > MAX_UNPACKED_MEGABYTES * MEGABYTE:
            raise _unreadable(1, "error.workbook_too_large", limit=MAX_UNPACKED_MEGABYTES)


def header_key(title: object) -> str:
    """A header as it is compared with the columns' names: NFKC (full-width letters and brackets made
    half-width), without spaces or underscores, a trailing unit in brackets dropped, in lower case."""
    text = unicodedata.normalize("NFKC", _header_text(title))
    text = "".join(text.split()).replace("_", "")
    return UNIT_IN_BRACKETS.sub("", text).lower()


def _header_text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _column_positions(kind: TransferKind, header: list) -> dict[str, int]:
    """Where each known column stands; English and Chinese headers both count, unknown ones are ignored."""
    positions: dict[str, int] = {}
    keys = [header_key(title) for title in header]
    for column in kind.columns:
        for index, key in enumerate(keys):
            if key and key in (header_key(column.name), header_key(column.chinese)):
                positions[column.name] = index
    return positions


def _is_header(kind: TransferKind, cells: list) -> bool:
    """Whether a row names the kind's columns: at least two of them (the one, for a kind of one column)."""
    return len(_column_positions(kind, cells)) >= min(2, len(kind.columns))


def _header_index(kind: TransferKind, rows: list[tuple[int, list]]) -> int | None:
    """The position of the header among the first :data:`HEADER_SEARCH_ROWS` rows, or ``None``."""
    return next((index for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]) if _is_header(kind, cells)), None)


def _found_headers(sheets: list[SheetRows]) -> str:
    """What a file has where a header should be: the fullest of the first rows of its first non-blank sheet."""
    for sheet in sheets:
        candidates = [
            [_header_text(cell) for cell in cells if not is_blank(cell)] for _, cells in sheet.rows[:HEADER_SEARCH_ROWS]
        ]
        fullest = max(candidates, key=len, default=[])
        if fullest:
            return "、".join(fullest)
    return "—"


def _no_header(kind: TransferKind, sheets: list[SheetRows]) -> ImportRejected:
    """One refusal for a file without the kind's header: the headers expected and those found."""
    expected = "、".join(f"{column.chinese}（{column.name}）" for column in kind.columns)
    return _unreadable(1, "error.no_header", rows=HEADER_SEARCH_ROWS, expected=expected, found=_found_headers(sheets))


@dataclass(frozen=True)
class LedgerSheet:
    """A sheet an import reads: its title (``None`` for a CSV file), its header and its row number, and the
    non-empty rows below it."""

    title: str | None
    header: list
    header_row: int
    rows: list[tuple[int, list]]


def _ledger_sheet(sheet: SheetRows, header_index: int) -> LedgerSheet:
    header_row, header = sheet.rows[header_index]
    data = [(number, cells) for number, cells in sheet.rows[header_index + 1 :] if not _is_empty(cells)]
    return LedgerSheet(sheet.title, list(header), header_row, _without_total_and_footer(data))


def _without_total_and_footer(rows: list[tuple[int, list]]) -> list[tuple[int, list]]:
    """The data rows without the signature lines and the total row that end a clerk's ledger. A total row is
    passed over when each of its numbers is the sum of its column above, and refused with one message naming
    it otherwise (a total that does not add up means a row is missing or wrong)."""
    while rows and _begins_with(rows[-1][1], FOOTER_WORDS):
        rows = rows[:-1]
    if rows and _begins_with(rows[-1][1], TOTAL_WORDS):
        (number, total), rows = rows[-1], rows[:-1]
        if not _adds_up(total, [cells for _, cells in rows]):
            raise ImportRejected([RowError(number, FieldError("row", "import.field.row", "error.total_row_mismatch"))])
    return rows


def _begins_with(cells: list, words: tuple[str, ...]) -> bool:
    first = next((cell for cell in cells if not is_blank(cell)), None)
    return isinstance(first, str) and "".join(typed_text(first).split()).startswith(words)


def _adds_up(total: list, rows: list[list]) -> bool:
    """Whether every number of a total row is the sum of its column in ``rows`` (blank cells count 0)."""
    for index, cell in enumerate(total):
        expected = None if is_blank(cell) else parse_number(cell)
        if expected is None:
            continue
        column = [row[index] if index < len(row) else None for row in rows]
        numbers = [0.0 if is_blank(value) else parse_number(value) for value in column]
        read = [number for number in numbers if number is not None]
        if len(read) < len(numbers) or not math.isclose(sum(read), expected, abs_tol=1e-6):
            return False
    return True


def ledger_sheets(
    kind: TransferKind, sheets: list[SheetRows], file_name: str, wanted: str | None = None
) -> list[LedgerSheet]:
    """The sheets of a file that hold the kind's ledger, each from its header on.

    ``wanted`` names the one sheet to read; a workbook the app wrote names it itself (its other sheets are
    views of the same rows). Otherwise every sheet whose first rows hold the kind's header is read: a blank
    sheet or an instructions sheet is passed over, and several sheets with the same columns are one ledger
    split by day or by checkpoint, read in the workbook's order. Refused with one message when no
    sheet has the header, when sheets of different columns both have it, or when there is no data row.
    """
    if wanted is not None:
        sheets = [_named_sheet(sheets, wanted)]
    elif any(sheet.marked for sheet in sheets):
        sheets = [sheet for sheet in sheets if sheet.marked]
    found = [(sheet, index) for sheet in sheets if (index := _header_index(kind, sheet.rows)) is not None]
    if not found:
        if all(_is_empty(cells) for sheet in sheets for _, cells in sheet.rows):
            raise _unreadable(1, "error.no_data_rows", sheet=_titles(sheets, file_name))
        raise _no_header(kind, sheets)
    ledgers = [_ledger_sheet(sheet, index) for sheet, index in found]
    if len({frozenset(_column_positions(kind, ledger.header)) for ledger in ledgers}) > 1:
        raise _unreadable(1, "error.several_ledger_sheets", sheets=_titles(ledgers, file_name))
    _refuse_no_data(ledgers, file_name)
    return ledgers


def _named_sheet(sheets: list[SheetRows], wanted: str) -> SheetRows:
    """The sheet titled ``wanted`` (ignoring case and surrounding spaces, as Excel does)."""
    for sheet in sheets:
        if sheet.title is not None and sheet.title.strip().lower() == wanted.strip().lower():
            return sheet
    raise _unreadable(1, "error.no_such_sheet", sheet=wanted, sheets=_titles(sheets, ""))


def _titles(sheets: list[SheetRows] | list[LedgerSheet], file_name: str) -> str:
    """The sheets' titles as a message names them; a CSV file by its name."""
    return "、".join(sheet.title or Path(file_name).name for sheet in sheets)


def _refuse_no_data(ledgers: list[LedgerSheet], file_name: str) -> None:
    """Refuse sheets without a data row: an empty file is no successful import of nothing."""
    data_rows = sum(len(ledger.rows) for ledger in ledgers)
    if data_rows == 0:
        raise _unreadable(ledgers[0].header_row + 1, "error.no_data_rows", sheet=_titles(ledgers, file_name))
    _refuse_too_many_rows(data_rows)


def _is_empty(cells: list | tuple) -> bool:
    """Whether no cell holds anything but blanks; a file's row is mostly text, whose strip needs no str() call
    (this runs on every row of a file)."""
    return not any(cell.strip() if type(cell) is str else cell is not None and str(cell).strip() for cell in cells)


def _cells_picker(indexes: tuple[int, ...]) -> Callable[[list], tuple]:
    """The cells at ``indexes`` of a row, as a tuple, picked by one C call per row (``itemgetter``)."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    return lambda cells: tuple(cells[index] for index in indexes)


def parse_rows(
    kind: TransferKind, header: list[str], numbered_rows: Iterable[tuple[int, list]]
) -> Iterator[tuple[int, Row | FieldError]]:
    """Each non-empty row as a dict keyed by English column names, or the reason it cannot be read."""
    positions = _column_positions(kind, header)
    names, pick = tuple(positions), _cells_picker(tuple(positions.values()))
    width = max(positions.values(), default=-1) + 1
    for number, cells in numbered_rows:
        if _is_empty(cells):
            continue
        if len(cells) > len(header) and not _is_empty(cells[len(header) :]):
            yield (
                number,
                FieldError(
                    "row",
                    "import.field.row",
                    "error.row_too_many_cells",
                    {"found": len(cells), "expected": len(header)},
                ),
            )
            continue
        if len(cells) >= width:
            yield number, dict(zip(names, pick(cells), strict=True))
        else:
            yield number, {name: (cells[index] if index < len(cells) else None) for name, index in positions.items()}


@dataclass(frozen=True)
class Imported:
    """What an import stored: the rows, and the titles of the sheets they were read from (none for a CSV)."""

    rows: int
    sheets: tuple[str, ...]


def import_file(
    engine: Engine,
    actor: Actor,
    kind_name: str,
    source: Path | bytes,
    file_name: str | None = None,
    *,
    progress: Progress | None = None,
) -> int:
    """Import one file of ``kind_name``; returns the number of rows stored (see :func:`import_ledger`)."""
    return import_ledger(engine, actor, kind_name, source, file_name, progress=progress).rows


def import_ledger(
    engine: Engine,
    actor: Actor,
    kind_name: str,
    source: Path | bytes,
    file_name: str | None = None,
    *,
    sheet: str | None = None,
    progress: Progress | None = None,
) -> Imported:
    """Import one file of ``kind_name`` from the sheet named ``sheet``, or from every sheet that holds the
    kind's ledger (:func:`ledger_sheets`); returns the rows stored and the sheets read.

    Raises :class:`ImportRejected` listing every bad row when any row is bad,
    in which case nothing at all was stored. ``progress`` is called with the
    rows done and the rows of the file, about every 1 % of them and at the end.

    The file is read and parsed before the transaction begins, and its rows are checked before the write lock
    is taken (see ``check_before_locking`` of :func:`data_layer.db.write`): a file of the big ledgers, checked
    whole before its first row is stored, holds the lock only while it is stored, and a refused one never.

    The import is one audited write: one audit row for the file (who, when, the kind, the file's name and
    SHA-256, the rows stored) with a new batch id, which every row it stored carries (see
    :class:`data_layer.db.WriteContext`); the data version moves on by that one row.
    """
    kind = transfer_kind(kind_name)
    ledgers = ledger_sheets(kind, read_sheets(source, file_name), file_name or str(source), sheet)
    several = len(ledgers) > 1
    parsed = [
        (RowPlace(ledger.title if several else None, number), row)
        for ledger in ledgers
        for number, row in parse_rows(kind, ledger.header, ledger.rows)
    ]
    ticker = ProgressTicker(progress, len(parsed))
    add_rows = kind.add_rows

    def work(ctx: WriteContext) -> int:
        stored = (
            _store_each(ctx, kind, parsed, ticker) if add_rows is None else _store_all(ctx, add_rows, parsed, ticker)
        )
        ctx.audit(f"import.{kind.name}", kind.name, after={"file": name, "sha256": digest, "rows": stored})
        return stored

    name = file_name or (source.name if isinstance(source, Path) else None)
    digest = hashlib.sha256(source.read_bytes() if isinstance(source, Path) else source).hexdigest()
    stored = write(
        engine,
        actor,
        work,
        batch=f"import:{kind.name}",
        import_batch_id=uuid.uuid4().hex,
        check_before_locking=True,
    )
    ticker.finish()
    return Imported(stored, tuple(ledger.title for ledger in ledgers if ledger.title is not None))


@dataclass(frozen=True, order=True)
class RowPlace:
    """Where a row stands: its sheet, named only when a file's ledger spans several, and its row number."""

    sheet: str | None
    row: int

    def error(self, error: FieldError) -> RowError:
        return RowError(self.row, error, self.sheet)


Parsed = list[tuple[RowPlace, Row | FieldError]]


def _store_each(ctx: WriteContext, kind: TransferKind, parsed: Parsed, ticker: ProgressTicker) -> int:
    """Store the rows one by one through the form's function; refuse the file if any row is bad."""
    stored = 0
    problems: list[RowError] = []
    for done, (place, row) in enumerate(parsed, start=1):
        if isinstance(row, FieldError):
            problems.append(place.error(row))
            continue
        try:
            kind.add_row(ctx, row)
            stored += 1
        except ValidationError as refusal:
            problems.extend(place.error(error) for error in refusal.errors)
        ticker(done)
    if problems:
        raise ImportRejected(problems)
    return stored


def _store_all(ctx: WriteContext, add_rows: AddRows, parsed: Parsed, ticker: ProgressTicker) -> int:
    """Store the readable rows with the kind's batch function; refuse the file, every bad row listed in
    file order, if any row is unreadable or bad."""
    problems = [
        (position, place.error(row)) for position, (place, row) in enumerate(parsed) if isinstance(row, FieldError)
    ]
    readable = [(position, row) for position, (_, row) in enumerate(parsed) if not isinstance(row, FieldError)]
    unreadable = len(problems)
    stored = 0
    try:
        stored = len(add_rows(ctx, [row for _, row in readable], lambda done: ticker(unreadable + done)))
    except RowsRejected as refusal:
        problems.extend(
            (readable[index][0], parsed[readable[index][0]][0].error(error)) for index, error in refusal.problems
        )
    if problems:
        raise ImportRejected([problem for _, problem in sorted(problems, key=lambda problem: problem[0])])
    return stored


def export_file(engine: Engine, kind_name: str, path: Path, *, progress: Progress | None = None) -> int:
    """Write every row of ``kind_name`` to ``path`` (CSV or XLSX by extension); returns the row count.
    ``progress`` is called with the rows written and the rows to write, about every 1 % and at the end."""
    kind = transfer_kind(kind_name)
    with engine.connect() as conn:
        rows = [[_cell(row.get(column.name)) for column in kind.columns] for row in kind.read_rows(conn)]
    header = [column.name for column in kind.columns]
    write_table(Path(path), header, rows, progress=progress, text_column_numbers=text_column_numbers(kind.columns))
    return len(rows)


def write_table(
    path: Path,
    header: list[str],
    rows: list[list],
    *,
    progress: Progress | None = None,
    text_column_numbers: Iterable[int] = (),
) -> None:
    """Write a header and rows as CSV (UTF-8 with BOM, so Excel shows Chinese) or XLSX (typed cells, the
    ``text_column_numbers`` in the text format), text never a formula (:mod:`data_layer.workbook`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ticker = ProgressTicker(progress, len(rows))
    if path.suffix.lower() == ".xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        text_columns(sheet, text_column_numbers)
        append_row(sheet, header)
        for done, row in enumerate(rows, start=1):
            append_row(sheet, row)
            ticker(done)
        workbook.save(path)
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for done, row in enumerate(rows, start=1):
                writer.writerow([csv_text(value) for value in row])
                ticker(done)
    ticker.finish()


def _cell(value: object) -> object:
    """Values as an import reads them back: times to the minute, flags as 1/0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.replace(second=0, microsecond=0)
    return value
