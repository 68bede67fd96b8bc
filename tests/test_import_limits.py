"""What one upload may cost the command post: a file over the limits (rows, size, an XLSX's unpacked size) is
refused before it is read, with one message naming the limit, and a big ledger file is checked before the
write transaction, so that a refused one never makes another clerk's save wait."""

from __future__ import annotations

import io
import re
import time
import tomllib
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from data_layer import checkpoints, settings, transfer
from data_layer.db import Actor, perform
from data_layer.errors import ImportRejected
from support import BACKEND, audit_rows, count_rows, legacy_workbook, write_lock_held

ROOT = Path(__file__).resolve().parent.parent
ADMIN = Actor("admin-test", "admin")
COUNT_HEADER = "卡口名称,开始时间,结束时间,检测人数,检查车辆,发热人数,劝返人数,备注\n"


def counts_csv(rows: int, last_persons: str = "1") -> bytes:
    """A checkpoint-counts CSV of ``rows`` hourly shifts of 南路口, the last with ``last_persons`` persons."""
    lines = [
        f"南路口,{day} {hour:02d}:00,{day} {hour:02d}:59,1,0,0,0,\n"
        for day, hour in ((f"2024-{1 + n // 672:02d}-{1 + n // 24 % 28:02d}", n % 24) for n in range(rows - 1))
    ]
    lines.append(f"南路口,2025-01-01 00:00,2025-01-01 01:00,{last_persons},0,0,0,\n")
    return (COUNT_HEADER + "".join(lines)).encode()


def only_reason(refused: ImportRejected, language: str) -> str:
    """The one message of a refused file, after its row and column (\"第 1 行，文件 列：\")."""
    [message] = refused.messages(language)
    return message.rsplit("：" if language == "zh_CN" else ": ", 1)[1]


def refusal(engine, data: bytes, file_name: str) -> ImportRejected:
    before = (audit_rows(engine), count_rows(engine, "checkpoint_counts"))
    with pytest.raises(ImportRejected) as refused:
        transfer.import_file(engine, ADMIN, "checkpoint_counts", data, file_name)
    assert (audit_rows(engine), count_rows(engine, "checkpoint_counts")) == before
    return refused.value


@pytest.fixture
def checkpoint(engine) -> None:
    perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": "南路口", "grid": "第一网格", "kind": "road"})


def test_a_csv_of_a_million_and_one_rows_is_refused_at_once_naming_the_row_limit(engine, checkpoint):
    data = (COUNT_HEADER + "南路口,2025-01-01 00:00,2025-01-01 01:00,1,0,0,0,\n" * 1_000_001).encode()
    started = time.perf_counter()
    refused = refusal(engine, data, "counts.csv")
    assert time.perf_counter() - started < 2
    assert only_reason(refused, "zh_CN") == "超过 50000 行，请拆分成每个不超过 50000 行的文件"
    assert only_reason(refused, "en") == "has more than 50000 rows; split it into files of at most 50000 rows"


def test_the_row_limit_is_a_setting_and_a_file_at_the_limit_imports(engine, checkpoint, monkeypatch):
    monkeypatch.setenv(settings.IMPORT_MAX_ROWS.name, "30")
    assert transfer.import_file(engine, ADMIN, "checkpoint_counts", counts_csv(30), "counts.csv") == 30
    assert only_reason(refusal(engine, counts_csv(31), "counts.csv"), "en") == (
        "has more than 30 rows; split it into files of at most 30 rows"
    )


def test_an_xlsx_of_more_rows_than_the_limit_is_refused(engine, checkpoint, monkeypatch, tmp_path):
    monkeypatch.setenv(settings.IMPORT_MAX_ROWS.name, "5")
    path = tmp_path / "counts.xlsx"
    transfer.write_table(
        path,
        COUNT_HEADER.strip().split(","),
        [["南路口", f"2025-01-01 {hour:02d}:00", f"2025-01-01 {hour:02d}:59", 1, 0, 0, 0, ""] for hour in range(6)],
    )
    assert only_reason(refusal(engine, path.read_bytes(), "counts.xlsx"), "en") == (
        "has more than 5 rows; split it into files of at most 5 rows"
    )


def test_an_old_xls_at_the_row_limit_imports_and_one_over_it_is_refused(engine, checkpoint, monkeypatch):
    monkeypatch.setenv(settings.IMPORT_MAX_ROWS.name, "5")
    shifts = [["南路口", f"2025-01-01 {hour:02d}:00", f"2025-01-01 {hour:02d}:59", 1, 0, 0, 0] for hour in range(6)]
    header = COUNT_HEADER.strip().split(",")
    over = legacy_workbook(("台账", [header, *shifts]))
    assert only_reason(refusal(engine, over, "counts.xls"), "en") == (
        "has more than 5 rows; split it into files of at most 5 rows"
    )
    at_limit = legacy_workbook(("台账", [header, *shifts[:5]]))
    assert transfer.import_file(engine, ADMIN, "checkpoint_counts", at_limit, "counts.xls") == 5


def test_an_xlsx_that_unpacks_to_more_than_the_limit_is_refused_before_it_is_unpacked(engine, checkpoint):
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part,
    ):
        chunk = b"0" * transfer.MEGABYTE
        for _ in range(transfer.MAX_UNPACKED_MEGABYTES + 1):
            part.write(chunk)
    assert len(buffer.getvalue()) < transfer.MEGABYTE
    assert only_reason(refusal(engine, buffer.getvalue(), "bomb.xlsx"), "zh_CN") == (
        "解压后超过 128 MB，远超任何台账所需，请只把这张表另存为 CSV 或拆分"
    )


def test_a_file_larger_than_the_upload_limit_is_refused_before_it_is_read(engine, checkpoint, monkeypatch):
    monkeypatch.setattr(transfer, "MAX_FILE_MEGABYTES", 1)
    data = counts_csv(1) + b"#" * transfer.MEGABYTE
    assert only_reason(refusal(engine, data, "counts.csv"), "en") == "is larger than 1 MB; split it into smaller files"


def test_the_browser_refuses_an_upload_over_the_same_limit_as_the_import():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == transfer.MAX_FILE_MEGABYTES


def test_a_refused_ledger_file_is_checked_without_holding_the_write_lock(engine, checkpoint, db_url):
    """The whole file is checked before the write transaction: while its rows are checked (the progress
    callback runs), another clerk could take the write lock; and a refused file never reaches that transaction."""
    lock_seen_while_checking: list[bool] = []

    def progress(done: int, total: int) -> None:
        if done < total and len(lock_seen_while_checking) < 3:
            lock_seen_while_checking.append(write_lock_held(db_url))

    data = counts_csv(2_000, last_persons="一")
    with pytest.raises(ImportRejected) as refused:
        transfer.import_file(engine, ADMIN, "checkpoint_counts", data, "counts.csv", progress=progress)
    assert [error.row for error in refused.value.row_errors] == [2_001]
    assert lock_seen_while_checking
    if BACKEND == "sqlite":
        assert not any(lock_seen_while_checking)
    assert count_rows(engine, "checkpoint_counts") == 0


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's snapshot: on PostgreSQL the clerk waits for the lock")
def test_a_clerks_entry_saved_while_an_import_is_checked_is_seen_by_the_import(engine, checkpoint):
    """The import checks without the write lock; a clerk's entry stored meanwhile makes SQLite refuse the import
    its late lock, and the import, checked again, refuses the row that now overlaps the clerk's entry."""
    saved: list[int] = []

    def progress(done: int, total: int) -> None:
        if not saved:
            saved.append(
                perform(
                    engine,
                    ADMIN,
                    checkpoints.add_count,
                    {
                        "checkpoint": "南路口",
                        "period_start": "2025-01-01 00:30",
                        "period_end": "2025-01-01 00:45",
                        "persons": 3,
                        "vehicles": 0,
                        "fever": 0,
                        "turned_back": 0,
                    },
                )
            )

    with pytest.raises(ImportRejected) as refused:
        transfer.import_file(engine, ADMIN, "checkpoint_counts", counts_csv(200), "counts.csv", progress=progress)
    assert [(error.row, error.column) for error in refused.value.row_errors] == [(201, "period_start")]
    assert count_rows(engine, "checkpoint_counts") == 1


def workbook_declaring(dimension: str, rows: list[list]) -> bytes:
    """A small workbook of ``rows`` whose sheet states ``dimension`` as its size (as a hostile file may): openpyxl
    pads every row it reads to the stated width."""
    plain = io.BytesIO()
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(plain)
    stated = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(stated, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>'.encode(), data)
            target.writestr(part.filename, data)
    return stated.getvalue()


LEDGER_ROWS = [COUNT_HEADER.strip().split(","), ["南路口", "2025-01-01 08:00", "2025-01-01 16:00", 1, 0, 0, 0, ""]]


def test_a_small_xlsx_declaring_the_whole_sheet_is_refused_in_a_second_naming_the_column_limit(engine, checkpoint):
    """A1:XFD50000 passes the row limit; read, each row would be padded to 16,384 cells (gigabytes at 50,000 rows)."""
    for dimension in ("A1:XFD1048576", "A1:XFD50000"):
        data = workbook_declaring(dimension, LEDGER_ROWS)
        assert len(data) < 8 * 1024
        started = time.perf_counter()
        refused = refusal(engine, data, "bomb.xlsx")
        assert time.perf_counter() - started < 1
        assert only_reason(refused, "zh_CN").startswith(("超过 50000 行", f"工作表声明的范围 {dimension} 超过 256 列"))
    assert only_reason(refused, "en") == (
        "the sheet states its range as A1:XFD50000, more than 256 columns; save the ledger sheet alone as CSV"
    )


def test_an_xlsx_row_with_a_value_beyond_the_column_limit_is_refused(engine, checkpoint):
    wide = [*LEDGER_ROWS[1], *[None] * (transfer.MAX_SHEET_COLUMNS - 8), "远处的值"]
    refused = refusal(engine, workbook_declaring("A1:B2", [LEDGER_ROWS[0], wide]), "wide.xlsx")
    assert [error.row for error in refused.row_errors] == [2]
    assert only_reason(refused, "en") == "has a value beyond column 256; save the ledger sheet alone as CSV"


def test_an_xlsx_whose_empty_cells_reach_beyond_the_column_limit_imports(engine, checkpoint):
    wide = [*LEDGER_ROWS[1], *[None] * transfer.MAX_SHEET_COLUMNS]
    data = workbook_declaring("A1:B2", [LEDGER_ROWS[0], wide])
    assert transfer.import_file(engine, ADMIN, "checkpoint_counts", data, "wide.xlsx") == 1


def test_an_xlsx_stating_a_smaller_range_than_it_holds_is_read_whole(engine, checkpoint):
    """openpyxl reads no further than a sheet's stated range; a tool that wrote it wrong must not lose rows."""
    later = ["南路口", "2025-01-02 08:00", "2025-01-02 16:00", 7, 0, 0, 0, "第二班"]
    data = workbook_declaring("A1:B2", [*LEDGER_ROWS, later])
    assert transfer.import_file(engine, ADMIN, "checkpoint_counts", data, "short.xlsx") == 2
