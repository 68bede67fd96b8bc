"""``export all`` and ``import all``: every ledger of the store in one workbook, loaded back into an empty store
with every briefing figure of every past day as it was; a file or a store it cannot load is refused whole."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import load_workbook

from data_layer import archive, briefing, checkpoints, clock
from data_layer.cli import cli
from data_layer.db import IMPORT_BATCH, Actor, connect, perform
from data_layer.derived import DERIVED_TABLES
from data_layer.errors import ImportRejected, ValidationError
from data_layer.transfer import import_ledger
from support import snapshot

ADMIN = Actor("admin-test", "admin")
SAMPLE_DAYS = 30


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def archived_content(engine) -> dict[str, list[tuple]]:
    """Every row of every archived table, by id, and the per-day tables' content."""
    with engine.connect() as conn:
        content = {
            table.name: [tuple(row) for row in conn.execute(sa.select(table).order_by(table.c.id))]
            for table in archive.archived_tables()
        }
        content.update({derived.table.name: derived.content(conn) for derived in DERIVED_TABLES})
    return content


@pytest.fixture
def empty_copy(database_factory):
    """A second fresh, migrated, empty store of the backend under test."""
    url = database_factory.fresh_url()
    engine = connect(url)
    yield url, engine
    engine.dispose()
    database_factory.release(url)


def test_the_sample_exported_all_and_imported_into_an_empty_store_gives_every_days_briefing_identical(
    db_url, engine, empty_copy, tmp_path: Path
):
    copy_url, copy = empty_copy
    run("sample", "--days", str(SAMPLE_DAYS), "--db", db_url)
    path = tmp_path / "全部.xlsx"
    started = time.perf_counter()
    run("export", "all", str(path), "--db", db_url)
    run("import", "all", str(path), "--db", copy_url)
    print(f"export all + import all of the {SAMPLE_DAYS}-day sample: {time.perf_counter() - started:.1f} s")
    days = [clock.today() - timedelta(days=back) for back in range(SAMPLE_DAYS)]
    with engine.connect() as original, copy.connect() as loaded:
        for day in days:
            assert briefing.build_briefing(loaded, day) == briefing.build_briefing(original, day), day
    assert archived_content(copy) == archived_content(engine)


def test_counts_of_a_checkpoint_deactivated_later_and_their_corrections_are_loaded_with_it(
    engine, empty_copy, tmp_path: Path
):
    _, copy = empty_copy
    gate = perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": "东门", "grid": "第一网格", "kind": "road"})
    start = clock.day_bounds(clock.today() - timedelta(days=2))[0] + timedelta(hours=8)
    shift = {"checkpoint": gate, "period_start": start, "period_end": start + timedelta(hours=8)}
    entry = perform(
        engine, ADMIN, checkpoints.add_count, {**shift, "persons": 120, "vehicles": 3, "fever": 0, "turned_back": 1}
    )
    perform(engine, ADMIN, checkpoints.correct_count, entry, {"persons": 125, "reason": "漏记"})
    perform(engine, ADMIN, checkpoints.set_checkpoint_active, gate, False)
    archive.export_all(engine, tmp_path / "all.xlsx")
    archive.import_all(copy, ADMIN, tmp_path / "all.xlsx")
    assert archived_content(copy) == archived_content(engine)
    with copy.connect() as conn:
        assert briefing.build_briefing(conn, start.date())["checkpoints"]["persons"] == 125
    assert perform(copy, ADMIN, checkpoints.add_checkpoint, {"name": "西门", "grid": "第二网格", "kind": "road"}) > gate


def test_import_all_refuses_a_store_that_holds_data_and_stores_nothing(engine, tmp_path: Path):
    perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": "东门", "grid": "第一网格", "kind": "road"})
    archive.export_all(engine, tmp_path / "all.xlsx")
    before = snapshot(engine)
    with pytest.raises(ValidationError) as refused:
        archive.import_all(engine, ADMIN, tmp_path / "all.xlsx")
    assert refused.value.messages("zh_CN") == ["数据库：已有数据（checkpoints），全部导入只能导入空数据库"]
    assert refused.value.messages("en") == [
        "Database: already holds data (checkpoints); import all goes into an empty database only"
    ]
    assert snapshot(engine) == before


def changed_cell(path: Path, sheet: str, cell: str, value: object) -> bytes:
    book = load_workbook(path)
    book[sheet][cell] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_cell_of_the_wrong_type_is_refused_naming_sheet_row_and_column_and_nothing_is_stored(
    engine, empty_copy, tmp_path: Path
):
    _, copy = empty_copy
    gate = perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": "东门", "grid": "第一网格", "kind": "road"})
    start = clock.day_bounds(clock.today() - timedelta(days=1))[0]
    perform(
        engine,
        ADMIN,
        checkpoints.add_count,
        {
            "checkpoint": gate,
            "period_start": start,
            "period_end": start + timedelta(hours=1),
            "persons": 1,
            "vehicles": 0,
            "fever": 0,
            "turned_back": 0,
        },
    )
    archive.export_all(engine, tmp_path / "all.xlsx")
    data = changed_cell(tmp_path / "all.xlsx", "checkpoint_counts", "E2", "很多")
    before = snapshot(copy)
    with pytest.raises(ImportRejected) as refused:
        archive.import_all(copy, ADMIN, data, "all.xlsx")
    assert refused.value.messages("zh_CN") == [
        "工作表“checkpoint_counts”第 2 行，整行 列：“很多”不是 persons 列应有的值（INTEGER）"
    ]
    assert snapshot(copy) == before


def test_a_file_without_every_sheet_is_refused_naming_the_missing_ones(engine, empty_copy, tmp_path: Path):
    _, copy = empty_copy
    archive.export_all(engine, tmp_path / "all.xlsx")
    book = load_workbook(tmp_path / "all.xlsx")
    book.remove(book["inspections"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ImportRejected) as refused:
        archive.import_all(copy, ADMIN, buffer.getvalue(), "all.xlsx")
    assert refused.value.messages("en") == [
        'Row 1, column File: has no sheet "inspections"; it is not a complete export of all'
    ]


def test_export_all_writes_one_sheet_per_ledger_with_the_histories_the_kinds_leave_out(engine, tmp_path: Path):
    archive.export_all(engine, tmp_path / "all.xlsx")
    titles = load_workbook(tmp_path / "all.xlsx", read_only=True).sheetnames
    assert {
        "enterprise_status_changes",
        "enterprise_conditions",
        "inspections",
        "rectifications",
        "rectification_closures",
        "episode_changes",
        "checkpoint_counts",
        "supply_movements",
        "quarantine_followups",
        "briefing_notes",
    } <= set(titles)
    assert not {"users", "audit_log", "notify_channels", "checkpoint_daily_totals"} & set(titles)


def test_imported_rows_keep_their_batch_through_an_archive_and_an_archive_without_batches_still_loads(
    engine, empty_copy, database_factory, tmp_path: Path
):
    _, copy = empty_copy
    perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": "东门", "grid": "第一网格", "kind": "road"})
    start = clock.day_bounds(clock.today() - timedelta(days=1))[0]
    counts = "checkpoint,period_start,period_end,persons,vehicles,fever,turned_back,note\n" + (
        f"东门,{start:%Y-%m-%d %H:%M},{start + timedelta(hours=8):%Y-%m-%d %H:%M},40,2,0,1,\n"
    )
    import_ledger(engine, ADMIN, "checkpoint_counts", counts.encode(), "counts.csv")
    archive.export_all(engine, tmp_path / "all.xlsx")
    archive.import_all(copy, ADMIN, tmp_path / "all.xlsx")
    assert archived_content(copy) == archived_content(engine)

    older = load_workbook(tmp_path / "all.xlsx")
    for sheet in older.worksheets:
        if sheet.cell(1, sheet.max_column).value == IMPORT_BATCH:
            sheet.delete_cols(sheet.max_column)
    buffer = io.BytesIO()
    older.save(buffer)
    third = connect(database_factory.fresh_url())
    archive.import_all(third, ADMIN, buffer.getvalue(), "older.xlsx")
    with third.connect() as conn:
        stored = conn.execute(sa.select(checkpoints.checkpoint_counts)).mappings().one()
    assert (stored["persons"], stored[IMPORT_BATCH]) == (40, None)
    third.dispose()
