"""The batch import of the big ledgers (checkpoint counts, supply movements, follow-ups) against the row-by-row
import through the entry forms' functions: the same rows stored with the same audit rows, or the same file
refused with the same rows, columns and messages; a bounded number of statements; progress reported."""

from __future__ import annotations

import csv
import dataclasses
import gc
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data_layer import checkpoints as cp
from data_layer import clock, quarantine, supplies, transfer
from data_layer.db import IMPORT_BATCH, Actor, connect, perform
from data_layer.errors import ImportRejected, PermissionDenied
from support import id_number

NOW = datetime(2025, 3, 12, 12, 0)
ADMIN = Actor("admin-test", "admin")
LEDGER_TABLES = (
    "checkpoints",
    "checkpoint_counts",
    "supply_items",
    "supply_movements",
    "persons",
    "quarantine_episodes",
    "quarantine_followups",
    "audit_log",
)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    monkeypatch.setattr(clock, "today", lambda: NOW.date())


@pytest.fixture
def twins(database_factory) -> Iterator[tuple[Engine, Engine]]:
    """Two fresh stores: one imports through the batch path, the other row by row."""
    engines = (connect(database_factory.fresh_url()), connect(database_factory.fresh_url()))
    yield engines
    for engine in engines:
        engine.dispose()


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of the ledgers and the audit log, an import's batch id (new for each file) as ``"batch"``."""
    with engine.connect() as conn:
        return {
            table: [
                tuple("batch" if name == IMPORT_BATCH and value else value for name, value in row.items())
                for row in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")).mappings()
            ]
            for table in LEDGER_TABLES
        }


def outcome(engine: Engine, kind: str, path: Path, monkeypatch: pytest.MonkeyPatch, *, row_by_row: bool) -> tuple:
    """What an import did: the rows stored, or the refusal (rows, columns, messages) with the store unchanged."""
    before = dump(engine)
    with monkeypatch.context() as patch:
        if row_by_row:
            one_by_one = dataclasses.replace(transfer.transfer_kind(kind), add_rows=None)
            patch.setattr(transfer, "transfer_kind", lambda name: one_by_one)
        try:
            stored = transfer.import_file(engine, ADMIN, kind, path)
        except ImportRejected as refusal:
            assert dump(engine) == before
            return (
                "refused",
                [(error.row, error.column, error.error.key, error.error.params) for error in refusal.row_errors],
                refusal.messages("en"),
                refusal.messages("zh_CN"),
            )
    return "stored", stored, dump(engine)


def assert_same_outcome(
    twins: tuple[Engine, Engine],
    setup: Callable[[Engine], None],
    kind: str,
    path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple:
    for engine in twins:
        setup(engine)
    batch = outcome(twins[0], kind, path, monkeypatch, row_by_row=False)
    assert batch == outcome(twins[1], kind, path, monkeypatch, row_by_row=True)
    return batch


# Checkpoint counts ------------------------------------------------------------------------------------------------


def checkpoint_setup(engine: Engine) -> None:
    for name in ("东门", "南路口", "西门"):
        perform(engine, ADMIN, cp.add_checkpoint, {"name": name, "grid": "第一网格", "kind": "road"})
    perform(engine, ADMIN, cp.set_checkpoint_active, "西门", False)
    perform(
        engine,
        ADMIN,
        cp.add_count,
        {
            "checkpoint": "东门",
            "period_start": "2025-03-10 08:00",
            "period_end": "2025-03-10 16:00",
            "persons": 5,
            "vehicles": 1,
            "fever": 0,
            "turned_back": 0,
        },
    )


COUNT_HEADER_ZH = ["卡口名称", "开始时间", "结束时间", "检测人数", "检查车辆", "发热人数", "劝返人数", "备注"]


def test_a_bad_counts_file_is_refused_with_the_rows_and_messages_of_the_row_by_row_import(twins, tmp_path, monkeypatch):
    path = write_csv(
        tmp_path / "counts.csv",
        COUNT_HEADER_ZH,
        [
            ["东门", "2025-03-10 15:00", "2025-03-10 17:00", 1, 0, 0, 0, ""],  # overlaps the stored entry
            ["南路口", "2025-03-10 08:00", "2025-03-10 16:00", 10, 0, 11, 0, ""],  # fever above persons: not stored
            ["南路口", "2025-03-10 09:00", "2025-03-10 10:00", 3, 0, 0, 0, ""],  # fine: the row above was refused
            ["南路口", "2025-03-10 09:30", "2025-03-10 11:00", 3, 0, 0, 0, ""],  # overlaps the row above
            ["西门", "2025-03-10 08:00", "2025-03-10 16:00", 1, 0, 0, 0, ""],  # closed
            ["北门", "2025-03-10 08:00", "2025-03-10 16:00", 1, 0, 0, 0, ""],  # unknown
            ["", "2025-03-10 08:00", "2025-03-10 16:00", 1, 0, 0, 0, ""],
            ["东门", "2025-03-11 08:00", "2025-03-11 07:00", 1, 0, 0, 0, ""],
            ["东门", "tomorrow", "2025-03-11 07:00", 1, 0, 0, 0, ""],
            ["东门", "2099-01-01 08:00", "2099-01-01 09:00", 1, 0, 0, 0, ""],
            ["东门", "2025-03-10 10:00", "2025-03-10 12:00", "abc", -1, 0, 0, ""],  # bad counts and an overlap
            ["东门", "2025-03-11 08:00", "2025-03-11 16:00", 1, 0, 0, 0, "", "extra"],
            ["2", "2025-03-11 08:00", "2025-03-11 16:00", 1, 0, 0, 0, ""],  # 南路口 by its id
        ],
    )
    verdict, problems, english, _ = assert_same_outcome(twins, checkpoint_setup, "checkpoint_counts", path, monkeypatch)
    assert verdict == "refused"
    assert [(row, column) for row, column, _, _ in problems] == [
        (2, "period_start"),
        (3, "fever"),
        (5, "period_start"),
        (6, "checkpoint"),
        (7, "checkpoint"),
        (8, "checkpoint"),
        (9, "period_end"),
        (10, "period_start"),
        (11, "period_start"),
        (11, "period_end"),
        (12, "persons"),
        (12, "vehicles"),
        (12, "period_start"),
        (13, "row"),
    ]
    assert "2025-03-10 09:00" in english[2]


def test_a_good_counts_file_stores_the_same_rows_and_audit_rows_as_the_row_by_row_import(twins, tmp_path, monkeypatch):
    path = write_csv(
        tmp_path / "counts.csv",
        ["checkpoint", "period_start", "period_end", "persons", "vehicles", "fever", "turned_back", "note"],
        [
            ["东门", "2025-03-10 16:00", "2025-03-11 00:00", 7, 2, 1, 0, "夜班"],
            ["南路口", "2025-03-10 08:00", "2025-03-10 16:00", 0, 0, 0, 0, "零报告"],
            ["2", "2025-03-10 16:00", "2025-03-10 23:59", 4, 4, 0, 8, ""],
            ["东门", "2025-03-10 00:00", "2025-03-10 08:00", 1, 0, 0, 0, ""],
        ],
    )
    verdict, stored, _ = assert_same_outcome(twins, checkpoint_setup, "checkpoint_counts", path, monkeypatch)
    assert (verdict, stored) == ("stored", 4)


def test_plain_counts_rows_that_break_a_rule_between_their_cells_get_the_row_by_row_messages(
    twins, tmp_path, monkeypatch
):
    path = write_csv(
        tmp_path / "counts.csv",
        COUNT_HEADER_ZH,
        [
            ["南路口", "2025-03-10 08:00", "2025-03-10 16:00", 1, 1, 0, 3, ""],  # more turned back than checked
            ["南路口", "2025-03-09 08:00", "2025-03-10 08:01", 1, 0, 0, 0, ""],  # longer than 24 hours
            ["南路口", "1899-12-31 08:00", "1899-12-31 16:00", 1, 0, 0, 0, ""],  # before the earliest year
            ["南路口", "2025-02-30 08:00", "2025-02-30 16:00", 1, 0, 0, 0, ""],  # no such date
            ["南路口", "2025-03-08 08:00", "2025-03-08 16:00", 10000001, 0, 0, 0, ""],  # above the largest count
            ["南路口", "2025-03-12 11:00", "2025-03-12 12:01", 1, 0, 0, 0, ""],  # ends after now
            ["南路口", "2025-03-07 08:00", "2025-03-07 08:00", 1, 0, 0, 0, ""],  # ends as it starts
            ["南路口", "2025-03-06 08:00", "2025-03-06 16:00", 1, 0, 0, 0, "\x07"],  # a control character
        ],
    )
    verdict, problems, _, _ = assert_same_outcome(twins, checkpoint_setup, "checkpoint_counts", path, monkeypatch)
    assert verdict == "refused"
    assert [(row, column) for row, column, _, _ in problems] == [
        (2, "turned_back"),
        (3, "period_end"),
        (4, "period_start"),
        (4, "period_end"),
        (5, "period_start"),
        (5, "period_end"),
        (6, "persons"),
        (7, "period_end"),
        (8, "period_end"),
        (9, "note"),
    ]


def test_counts_cells_in_any_form_the_form_reads_store_as_the_row_by_row_import_stores_them(
    twins, tmp_path, monkeypatch
):
    path = write_csv(
        tmp_path / "counts.csv",
        COUNT_HEADER_ZH,
        [
            ["南路口", " 2025-03-10 08:00 ", "2025/3/10 16:00", "１２", "1,000", "0", "+3", ""],
            [" 南路口 ", "2025-03-09 08:00", "2025-03-09 16:00", "3.0", "007", " 0 ", "0", "  "],
            ["2", "2025-03-08 08:00:30", "2025-03-08 16:00", 5, 5, 1, 10, "雨天"],
            ["南路口", "2025-03-07 08:00", "2025-03-07 16:00", 10000000, 0, 0, 0, ""],
        ],
    )
    verdict, stored, _ = assert_same_outcome(twins, checkpoint_setup, "checkpoint_counts", path, monkeypatch)
    assert (verdict, stored) == ("stored", 4)


def test_a_clerk_importing_counts_of_a_checkpoint_not_theirs_is_denied_and_nothing_is_stored(
    engine, tmp_path, monkeypatch
):
    checkpoint_setup(engine)
    clerk = Actor("clerk-test", "clerk", (("checkpoints", frozenset({1})),))
    path = write_csv(
        tmp_path / "counts.csv",
        COUNT_HEADER_ZH,
        [
            ["东门", "2025-03-11 08:00", "2025-03-11 16:00", 1, 0, 0, 0, ""],
            ["南路口", "2025-03-11 08:00", "2025-03-11 16:00", 1, 0, 0, 0, ""],
        ],
    )
    before = dump(engine)
    with pytest.raises(PermissionDenied):
        transfer.import_file(engine, clerk, "checkpoint_counts", path)
    assert dump(engine) == before


def test_a_big_counts_file_is_stored_with_a_few_statements_not_several_a_row(engine, tmp_path):
    checkpoint_setup(engine)
    first = datetime(2025, 1, 1)
    path = write_csv(
        tmp_path / "counts.csv",
        COUNT_HEADER_ZH,
        [
            [
                name,
                f"{first + timedelta(hours=8 * shift):%Y-%m-%d %H:%M}",
                f"{first + timedelta(hours=8 * shift + 8):%Y-%m-%d %H:%M}",
                shift % 50,
                1,
                0,
                0,
                "",
            ]
            for shift in range(150)
            for name in ("东门", "南路口")
        ],
    )
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert transfer.import_file(engine, ADMIN, "checkpoint_counts", path) == 300
    assert len(statements) < 30


# Supply movements -------------------------------------------------------------------------------------------------


def supplies_setup(engine: Engine) -> None:
    perform(engine, ADMIN, supplies.add_item, {"name": "口罩", "unit": "个", "safety_stock": 100})
    perform(engine, ADMIN, supplies.add_item, {"name": "酒精", "unit": "瓶", "safety_stock": 10})
    perform(
        engine,
        ADMIN,
        supplies.add_movement,
        {"item": "口罩", "date": date(2025, 3, 1), "kind": "purchase", "quantity": 100},
    )


MOVEMENT_HEADER = ["item", "date", "kind", "quantity", "counterparty", "note"]


def test_a_bad_movements_file_is_refused_with_the_rows_and_messages_of_the_row_by_row_import(
    twins, tmp_path, monkeypatch
):
    path = write_csv(
        tmp_path / "moves.csv",
        MOVEMENT_HEADER,
        [
            ["口罩", "2025-03-02", "issue", 150, "东门卡口", ""],  # beyond the stock of 100
            ["口罩", "2025-03-02", "purchase", 50, "", ""],
            ["口罩", "2025-03-03", "issue", 150, "东门卡口", ""],  # fine after the purchase above
            ["口罩", "2025-03-01", "issue", 1, "东门卡口", ""],  # back-dated: the stock is 0 on 03-03
            ["口罩", "2025-03-02", "reversal", 50, "", "录错"],  # cancels the purchase above, already issued
            ["酒精", "2025-03-02", "donation", 10, "", ""],  # a donation names its donor
            ["手套", "2025-03-02", "purchase", 10, "", ""],
            ["口罩", "2025-03-04", "adjustment", 5, "", ""],  # an adjustment gives its reason
            ["口罩", "2025-03-04", "brought_forward", 20, "", ""],
            ["口罩", "03/04", "purchase", 1, "", ""],
            ["口罩", "2025-03-05", "reversal", 999, "", "录错"],  # nothing to cancel
            ["酒精", "2025-03-05", "purchase", "-3", "", ""],
        ],
    )
    verdict, problems, _, _ = assert_same_outcome(twins, supplies_setup, "supply_movements", path, monkeypatch)
    assert verdict == "refused"
    assert [(row, column) for row, column, _, _ in problems] == [
        (2, "quantity"),
        (5, "quantity"),
        (6, "quantity"),
        (7, "counterparty"),
        (8, "item"),
        (9, "note"),
        (11, "date"),
        (12, "kind"),
        (13, "quantity"),
    ]
    assert problems[1][3]["on_hand"] == 0 and problems[1][3]["date"] == "2025-03-03"


def test_a_good_movements_file_with_reversals_stores_the_same_ledger_as_the_row_by_row_import(
    twins, tmp_path, monkeypatch
):
    path = write_csv(
        tmp_path / "moves.csv",
        MOVEMENT_HEADER,
        [
            ["口罩", "2025-02-28", "brought_forward", 30, "", ""],
            ["口罩", "2025-03-02", "issue", 120, "东门卡口", ""],
            ["酒精", "2025-03-02", "donation", 10, "爱心企业", ""],
            ["口罩", "2025-03-02", "reversal", 120, "东门卡口", "发错了"],  # cancels the issue two rows above
            ["口罩", "2025-03-03", "issue", 130, "南路口", ""],
            ["酒精", "2025-03-03", "issue", 4, "南路口", ""],
            ["口罩", "2025-03-01", "reversal", 100, "", "重复入库"],  # the stored purchase: stock would go below 0
        ],
    )
    first = assert_same_outcome(twins, supplies_setup, "supply_movements", path, monkeypatch)
    assert first[0] == "refused" and [problem[:2] for problem in first[1]] == [(8, "quantity")]

    path = write_csv(
        tmp_path / "moves.csv",
        MOVEMENT_HEADER,
        [
            ["口罩", "2025-02-28", "brought_forward", 30, "", ""],
            ["口罩", "2025-03-02", "issue", 120, "东门卡口", ""],
            ["酒精", "2025-03-02", "donation", 10, "爱心企业", ""],
            ["口罩", "2025-03-02", "reversal", 120, "东门卡口", "发错了"],
            ["口罩", "2025-03-03", "issue", 130, "南路口", ""],
            ["酒精", "2025-03-03", "issue", 4, "南路口", ""],
        ],
    )
    verdict, stored, _ = assert_same_outcome(twins, lambda engine: None, "supply_movements", path, monkeypatch)
    assert (verdict, stored) == ("stored", 6)


# Follow-ups -------------------------------------------------------------------------------------------------------


def quarantine_setup(engine: Engine) -> None:
    for n, start in ((1, date(2025, 3, 5)), (2, date(2025, 3, 10))):
        perform(
            engine,
            ADMIN,
            quarantine.register,
            {
                "name": f"测试{n}",
                "id_number": id_number(n),
                "phone": f"1380000{n:04d}",
                "grid": "第一网格",
                "origin_category": "close_contact",
                "mode": "home",
                "start_date": start,
            },
        )
    perform(
        engine,
        ADMIN,
        quarantine.add_followup,
        {"id_number": id_number(1), "date": date(2025, 3, 10), "slot": "AM", "temperature": 36.5, "by": "网格员甲"},
    )


FOLLOWUP_HEADER_ZH = ["身份证号", "日期", "时段", "体温", "症状", "随访人"]


def test_a_bad_followups_file_is_refused_with_the_rows_and_messages_of_the_row_by_row_import(
    twins, tmp_path, monkeypatch
):
    path = write_csv(
        tmp_path / "followups.csv",
        FOLLOWUP_HEADER_ZH,
        [
            [id_number(1), "2025-03-10", "AM", "36.5", "否", "网格员甲"],  # stored already
            [id_number(1), "2025-03-10", "PM", "50", "否", "网格员甲"],  # not a temperature: not stored
            [id_number(1), "2025-03-10", "PM", "36.6", "否", "网格员甲"],  # fine: the row above was refused
            [id_number(1), "2025-03-10", "PM", "36.7", "否", "网格员甲"],  # taken by the row above
            [id_number(2), "2025-03-09", "AM", "36.5", "否", "网格员甲"],  # before their quarantine
            ["123", "2025-03-10", "AM", "36.5", "否", "网格员甲"],
            ["", "2025-03-10", "AM", "36.5", "否", "网格员甲"],
            [id_number(2), "2025-03-13", "AM", "36.5", "否", "网格员甲"],
            [id_number(2), "2025-03-11", "晚上", "36.5", "否", ""],
        ],
    )
    verdict, problems, _, _ = assert_same_outcome(twins, quarantine_setup, "followups", path, monkeypatch)
    assert verdict == "refused"
    assert [(row, column) for row, column, _, _ in problems] == [
        (2, "slot"),
        (3, "temperature"),
        (5, "slot"),
        (6, "id_number"),
        (7, "id_number"),
        (8, "episode"),
        (9, "date"),
        (10, "slot"),
        (10, "by"),
    ]


def test_a_good_followups_file_stores_the_same_rows_and_audit_rows_as_the_row_by_row_import(
    twins, tmp_path, monkeypatch
):
    path = write_csv(
        tmp_path / "followups.csv",
        FOLLOWUP_HEADER_ZH,
        [
            [id_number(1), "2025-03-10", "PM", "37.5", "是", "网格员甲"],
            [id_number(2), "2025-03-10", "AM", "36.4", "否", "网格员乙"],
            [id_number(2), "2025-03-11", "上午", "36.6", "", "网格员乙"],
            [id_number(1), "2025-03-11", "AM", "36.6", "0", "网格员甲"],
        ],
    )
    verdict, stored, _ = assert_same_outcome(twins, quarantine_setup, "followups", path, monkeypatch)
    assert (verdict, stored) == ("stored", 4)


# Progress ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 7, 450])  # a file of no rows is refused (tests/test_import_real_files.py)
def test_an_import_reports_its_progress_at_most_about_every_percent_and_ends_at_the_total(engine, tmp_path, rows):
    checkpoint_setup(engine)
    first = datetime(2025, 1, 1)
    path = write_csv(
        tmp_path / "counts.csv",
        COUNT_HEADER_ZH,
        [
            [
                "南路口",
                f"{first + timedelta(hours=2 * shift):%Y-%m-%d %H:%M}",
                f"{first + timedelta(hours=2 * shift + 2):%Y-%m-%d %H:%M}",
                1,
                0,
                0,
                0,
                "",
            ]
            for shift in range(rows)
        ],
    )
    calls: list[tuple[int, int]] = []
    assert (
        transfer.import_file(engine, ADMIN, "checkpoint_counts", path, progress=lambda *call: calls.append(call))
        == rows
    )
    assert calls[-1] == (rows, rows)
    assert all(total == rows for _, total in calls)
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})
    assert len(calls) <= 101


@pytest.mark.parametrize("persons", ["1", "一"])
def test_an_import_leaves_the_garbage_collector_running_for_the_rest_of_the_process_whatever_the_outcome(
    engine, tmp_path, persons
):
    checkpoint_setup(engine)
    path = write_csv(
        tmp_path / "counts.csv",
        COUNT_HEADER_ZH,
        [
            ["南路口", "2025-01-01 08:00", "2025-01-01 16:00", 1, 0, 0, 0, ""],
            ["南路口", "2025-01-01 16:00", "2025-01-02 00:00", persons, 0, 0, 0, ""],
        ],
    )
    collector_running: list[bool] = []

    def run() -> int:
        return transfer.import_file(
            engine, ADMIN, "checkpoint_counts", path, progress=lambda *_: collector_running.append(gc.isenabled())
        )

    if persons.isdigit():
        assert run() == 2
    else:
        with pytest.raises(ImportRejected):
            run()
    assert collector_running and all(collector_running)
    assert gc.isenabled()


def test_a_row_by_row_import_reports_its_progress_too(engine, tmp_path):
    path = write_csv(
        tmp_path / "items.csv",
        ["name", "unit", "category", "safety_stock"],
        [[f"物资{n}", "个", "", 0] for n in range(5)],
    )
    calls: list[tuple[int, int]] = []
    assert transfer.import_file(engine, ADMIN, "supply_items", path, progress=lambda *call: calls.append(call)) == 5
    assert calls == [(done, 5) for done in range(1, 6)]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_an_export_reports_its_progress_and_ends_at_the_total(engine, tmp_path, suffix):
    checkpoint_setup(engine)
    calls: list[tuple[int, int]] = []
    count = transfer.export_file(
        engine, "checkpoints", tmp_path / f"points.{suffix}", progress=lambda *call: calls.append(call)
    )
    assert count == 3 and calls[-1] == (3, 3)


def test_the_progress_bar_shows_the_share_of_rows_done_and_goes_when_the_work_ends(monkeypatch):
    from ui import progress

    drawn: list[object] = []

    class Bar:
        def progress(self, share: float, text: str) -> None:
            drawn.append((share, text))

        def empty(self) -> None:
            drawn.append("gone")

    monkeypatch.setattr(progress.st, "progress", lambda share, text: Bar())
    with progress.progress_bar("导入") as report:
        report(3, 4)
    assert drawn == [(0.75, "导入：3 / 4"), "gone"]
