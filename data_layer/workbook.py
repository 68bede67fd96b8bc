"""The spreadsheets the app writes: Excel workbooks and CSV files, for every domain.

One home for what a spreadsheet program makes of a file: cells, styles, column widths, print setup, sheet
titles, and the rule that text typed by a user is shown as text. A name, note or counterparty that begins
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be a live formula when Excel or WPS opens
the file (CSV injection, OWASP): in a workbook such text is written as a string cell, never a formula; in a
CSV file it is preceded by an apostrophe, which the importer removes again, so an export imports back to the
same text. Numbers stay numbers (a negative quantity is not text).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.dimensions import ColumnDimension
from openpyxl.worksheet.worksheet import Worksheet

IMPORT_SHEET_PROPERTY = "command-post-import-sheet"
"""A workbook the app writes names, in this document property, the sheet an import reads: its other sheets are
views of the same rows (a sheet per person, the paper ledger per item), which must not be imported again."""
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_TEXT_MARK = "'"
SHEET_TITLE_LENGTH = 31
SHEET_TITLE_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))
NUMBER_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
MINUTE_FORMAT = "yyyy-mm-dd hh:mm"
SECOND_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMATS = (DATE_FORMAT, MINUTE_FORMAT, SECOND_FORMAT)
TEXT_FORMAT = "@"
"""Excel's text format: what is typed into such a cell stays text (an ID number is not turned into 4.2E+17)."""
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")

Sheet = tuple[str, Sequence[str], Iterable[Sequence[object]]]
"""A worksheet to write: its title, its header and its rows."""


def text_cell(sheet: Worksheet, text: str) -> Cell:
    """A cell holding ``text`` as a string in the text format, whatever it begins with (openpyxl would make
    ``=…`` a formula)."""
    cell = Cell(sheet, row=1, column=1, value=text)
    cell.data_type = "s"
    cell.number_format = TEXT_FORMAT
    return cell


def date_format(value: date) -> str:
    """How a date cell shows ``value``: the day, or the time to the minute (to the second when it has seconds)."""
    if not isinstance(value, datetime):
        return DATE_FORMAT
    return SECOND_FORMAT if value.second or value.microsecond else MINUTE_FORMAT


def date_cell(sheet: Worksheet, value: date) -> Cell:
    """A date cell, shown as :func:`date_format` says (Excel sorts and filters it as a date)."""
    cell = Cell(sheet, row=1, column=1, value=value)
    cell.number_format = date_format(value)
    return cell


def sheet_row(sheet: Worksheet, values: Iterable[object]) -> list[object]:
    """``values`` ready to append to ``sheet``: every text a string cell, every date a date cell, numbers as
    they are."""
    return [typed_cell(sheet, value) for value in values]


def typed_cell(sheet: Worksheet, value: object) -> object:
    """``value`` as a cell of its type. Excel holds a time to the millisecond: a time with finer digits (a
    stored moment, in ``export all``) is written as its ISO text, which an import reads back to the digit."""
    if isinstance(value, str):
        return text_cell(sheet, value)
    if isinstance(value, datetime) and value.microsecond % 1000:
        return text_cell(sheet, value.isoformat(" "))
    if isinstance(value, date):
        return date_cell(sheet, value)
    return value


def text_columns(sheet: Worksheet, columns: Iterable[int]) -> None:
    """Give ``columns`` (1 for A) of ``sheet`` the text format, empty cells too: what a clerk types there later
    stays text. A streamed sheet takes it before its first row."""
    for column in columns:
        letter = get_column_letter(column)
        dimension = ColumnDimension(sheet, index=letter)
        dimension.number_format = TEXT_FORMAT
        sheet.column_dimensions[letter] = dimension


def append_row(sheet: Worksheet, values: Iterable[object]) -> None:
    sheet.append(sheet_row(sheet, values))


def workbook_bytes(sheets: Iterable[Sheet], text_column_numbers: Iterable[int] = ()) -> bytes:
    """A workbook of plain sheets (a header and rows each), streamed, as the bytes of an .xlsx file;
    ``text_column_numbers`` (1 for A) hold numbers that must stay text (ID numbers, phones) in every sheet."""
    workbook = Workbook(write_only=True)
    text_column_numbers = tuple(text_column_numbers)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title)
        text_columns(sheet, text_column_numbers)
        append_row(sheet, header)
        for row in rows:
            append_row(sheet, row)
    return saved(workbook, import_sheet=workbook.worksheets[0].title)


def saved(workbook: Workbook, import_sheet: str | None = None) -> bytes:
    """The workbook as the bytes of an .xlsx file; ``import_sheet`` names the sheet an import of it reads."""
    if import_sheet is not None:
        workbook.custom_doc_props.append(StringProperty(name=IMPORT_SHEET_PROPERTY, value=import_sheet))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(value: object) -> object:
    """A value as a CSV cell: text that a spreadsheet would evaluate (or that begins with the mark itself,
    so that reading it back is unambiguous) gets an apostrophe in front; a date is written as the import reads
    it (2025-03-05, 2025-03-05 08:30, seconds only where it has them)."""
    if isinstance(value, str) and value.startswith((*FORMULA_TRIGGERS, CSV_TEXT_MARK)):
        return CSV_TEXT_MARK + value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if date_format(value) == SECOND_FORMAT else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_text_read(text: str) -> str:
    """The text :func:`csv_text` wrote: one leading apostrophe removed where it was put, nothing else."""
    if text.startswith(CSV_TEXT_MARK) and text[1:].startswith((*FORMULA_TRIGGERS, CSV_TEXT_MARK)):
        return text[1:]
    return text


def unique_sheet_title(name: str, taken: set[str]) -> str:
    """``name`` as a sheet title Excel accepts (no ``[]:*?/\\``, at most 31 characters) that no title in
    ``taken`` has already (Excel compares them ignoring case); adds it to ``taken``."""
    base = name.translate(SHEET_TITLE_FORBIDDEN)[:SHEET_TITLE_LENGTH] or "_"
    title, number = base, 1
    while title.lower() in taken:
        number += 1
        suffix = f"({number})"
        title = base[: SHEET_TITLE_LENGTH - len(suffix)] + suffix
    taken.add(title.lower())
    return title


def title_rows(sheet: Worksheet, lines: Iterable[str], columns: int) -> int:
    """Title lines above a table, each merged across it; returns the row of the table's header."""
    row = 0
    for row, line in enumerate(lines, start=1):
        cell = sheet.cell(row=row, column=1)
        cell.value = line
        cell.data_type = "s"
        cell.font = Font(bold=row == 1, size=14 if row == 1 else 11)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    return row + 1


def display_width(value: object) -> int:
    """How many character widths ``value`` takes in a cell: a Chinese character takes two."""
    text = str(csv_text(value)) if isinstance(value, date) else f"{value:,}" if isinstance(value, int) else str(value)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def finish_table(sheet: Worksheet, header_row: int, number_columns: Iterable[int]) -> None:
    """Borders, a shaded bold header, number and date formats, column widths that fit the table (titles
    above the header do not count), the header frozen and repeated on every printed page."""
    number_columns = set(number_columns)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
    widths: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=header_row):
        for cell in row:
            cell.border = _BORDER
            if isinstance(cell.value, date):
                cell.number_format = date_format(cell.value)
            elif cell.column in number_columns:
                cell.number_format = NUMBER_FORMAT
            if cell.value is not None:
                widths[cell.column] = max(widths.get(cell.column, 0), display_width(cell.value))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 48)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def import_sheet_of(workbook: Workbook) -> str | None:
    """The sheet an import reads, when the app wrote the workbook and named it (:data:`IMPORT_SHEET_PROPERTY`)."""
    for prop in workbook.custom_doc_props:
        if prop.name == IMPORT_SHEET_PROPERTY:
            return str(prop.value)
    return None
