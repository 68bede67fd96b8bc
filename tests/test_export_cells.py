"""Typed cells in every workbook the app writes: a date is a date cell Excel can sort and filter, an ID number
or a phone is a text cell in a text column (so Excel never shows 4.2E+17 nor drops the last digits when a clerk
edits it), a number is a number. Read from the sample command post."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from data_layer import audit, clock, quarantine, transfer, workbook
from data_layer.db import Actor, connect

ADMIN = Actor("admin-test", "admin")
DATE_AS_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?")
NUMBER_AS_TEXT = re.compile(r"[+-]?\d+(\.\d+)?")
TEXT_COLUMNS = {"id_number", "phone", "身份证号", "联系电话", "row_id"}
"""Columns of digits that must stay text: ID numbers, phones, and the audit log's row ids (a key, not a figure)."""


@pytest.fixture
def sample_engine(sample_url):
    engine = connect(sample_url)
    yield engine
    engine.dispose()


def data_cells(sheet: Worksheet) -> list[tuple[str, Cell]]:
    """Every non-empty cell below the header, with the header of its column."""
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    return [(header[cell.column - 1], cell) for row in rows[1:] for cell in row if cell.value is not None]


def assert_typed(data: bytes) -> None:
    """Dates are date cells with a date format, ID numbers and phones text in a text column, numbers numbers."""
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        cells = data_cells(sheet)
        assert cells, sheet.title
        for column, cell in cells:
            where = (sheet.title, cell.coordinate, column, cell.value)
            if column in TEXT_COLUMNS:
                assert isinstance(cell.value, str) and cell.number_format == workbook.TEXT_FORMAT, where
                assert sheet.column_dimensions[cell.column_letter].number_format == workbook.TEXT_FORMAT, where
            elif isinstance(cell.value, datetime):
                assert cell.is_date and cell.number_format in workbook.DATE_FORMATS, where
            else:
                assert not (isinstance(cell.value, str) and DATE_AS_TEXT.fullmatch(cell.value)), where
                assert not (isinstance(cell.value, str) and NUMBER_AS_TEXT.fullmatch(cell.value)), where


@pytest.mark.parametrize("kind", sorted(transfer.transfer_kinds()))
def test_an_xlsx_export_writes_dates_as_date_cells_numbers_as_numbers_and_id_numbers_as_text(
    sample_engine, tmp_path: Path, kind
):
    path = tmp_path / f"{kind}.xlsx"
    assert transfer.export_file(sample_engine, kind, path) > 0
    assert_typed(path.read_bytes())


def test_the_register_and_follow_up_workbooks_write_dates_as_date_cells_and_id_numbers_as_text(sample_engine):
    with sample_engine.connect() as conn:
        assert_typed(quarantine.register_workbook(conn, clock.today(), actor=ADMIN))
        assert_typed(quarantine.followups_workbook(conn, clock.today(), actor=ADMIN, per_person=True))


def test_the_audit_export_writes_its_times_as_date_cells(sample_engine, tmp_path: Path):
    path = tmp_path / "audit.xlsx"
    assert audit.export_audit(sample_engine, audit.AuditFilter(), path) > 0
    assert_typed(path.read_bytes())
