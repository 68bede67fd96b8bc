"""The in/out ledger (出入库台账) as an Excel workbook: it balances to the stock on hand and imports back."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from data_layer import clock
from data_layer.db import connect, perform
from data_layer.errors import ImportRejected
from data_layer.supplies import (
    add_item,
    add_movement,
    consumption_by_recipient,
    export_ledger,
    figures,
    ledger,
    ledger_workbook,
    list_items,
    stock_history,
)
from data_layer.transfer import export_file, import_file
from support import count_rows

TODAY = clock.today()
LEDGER_HEADER = ["日期", "类型", "入库", "出库", "结存", "往来单位", "经办人", "备注"]
IMPORT_HEADER = ["物资名称", "日期", "类型", "数量", "往来单位", "备注", "领用对象类型", "经办人"]


@pytest.fixture(scope="module")
def sample(sample_url):
    engine = connect(sample_url)
    yield engine
    engine.dispose()


def workbook(engine, start: date, end: date = TODAY):
    return load_workbook(io.BytesIO(export_ledger(engine, start, end)))


def on_hand(engine, day: date = TODAY) -> dict[str, int]:
    with engine.connect() as conn:
        return {entry["item"]: entry["on_hand"] for entry in figures(conn, day)}


def item_table(sheet) -> tuple[list[str], list[list]]:
    """An item sheet's header (row 4, under the three title rows) and its rows below."""
    rows = [list(row) for row in sheet.iter_rows(min_row=4, values_only=True)]
    return rows[0], rows[1:]


def test_every_item_sheet_balances_to_the_stock_on_hand(sample):
    book = workbook(sample, TODAY - timedelta(days=9))
    stock = on_hand(sample)
    assert book.sheetnames[:2] == ["出入库明细", "汇总"]
    assert sorted(book.sheetnames[2:]) == sorted(stock)
    for item, expected in stock.items():
        header, rows = item_table(book[item])
        assert header == LEDGER_HEADER
        brought_forward, *movements, total = rows
        assert brought_forward[1] == "上期结转"
        balance = brought_forward[4]
        for row in movements:
            balance += (row[2] or 0) - (row[3] or 0)
            assert row[4] == balance, (item, row)
        assert total[1] == "本期合计"
        assert total[2] == sum(row[2] or 0 for row in movements)
        assert total[3] == sum(row[3] or 0 for row in movements)
        assert total[4] == balance == expected


def test_the_summary_gives_opening_in_out_and_closing_per_item(sample):
    start = TODAY - timedelta(days=9)
    summary = workbook(sample, start)["汇总"]
    assert summary["A1"].value == "物资出入库汇总表"
    rows = [list(row) for row in summary.iter_rows(min_row=3, values_only=True)]
    assert rows[0] == ["物资名称", "单位", "类别", "安全库存", "上期结存", "本期入库", "本期出库", "期末结存"]
    closing = {row[0]: row[7] for row in rows[1:]}
    assert closing == on_hand(sample)
    opening = on_hand(sample, start - timedelta(days=1))
    assert all(row[4] == opening[row[0]] and row[4] + row[5] - row[6] == row[7] for row in rows[1:])


def test_the_workbook_reads_like_a_paper_ledger(sample):
    book = workbook(sample, TODAY - timedelta(days=6))
    assert book.active.title == "汇总"
    sheet = book["N95口罩"]
    assert sheet["A1"].value == "物资出入库台账"
    assert sheet["A2"].value.startswith("物资名称：N95口罩")
    assert sheet["A3"].value == f"期间：{TODAY - timedelta(days=6)} 至 {TODAY}"
    assert sheet.freeze_panes == "A5"
    widths = {column: sheet.column_dimensions[column].width for column in "ABCDEFGH"}
    assert all(8 <= width <= 48 for width in widths.values())
    assert widths["F"] > widths["C"]  # counterparty names are wider than quantities
    assert sheet["A6"].number_format == "yyyy-mm-dd" and sheet["E6"].number_format == "#,##0"
    first = book.worksheets[0]
    assert [cell.value for cell in first[1]] == IMPORT_HEADER


def test_a_reversed_movement_and_its_reversal_are_both_in_the_ledger(sample):
    book = workbook(sample, TODAY - timedelta(days=13))
    _, rows = item_table(book["一次性医用口罩"])
    kinds = [row[1] for row in rows]
    assert "发放（已冲销）" in kinds and "冲销" in kinds
    reversal = rows[kinds.index("冲销")]
    assert reversal[2] and not reversal[3] and reversal[7] == "同一张领用单重复录入"


def copy_items(source, target, admin, folder) -> None:
    """The item master first: a ledger refers to items by name."""
    path = folder / "items.xlsx"
    export_file(source, "supply_items", path)
    import_file(target, admin, "supply_items", path)


@pytest.mark.parametrize("days", [14, 7], ids=["whole_history", "last_week"])
def test_the_export_imports_back_into_an_empty_database_with_the_same_stock(sample, engine, admin, tmp_path, days):
    start = TODAY - timedelta(days=days - 1)
    copy_items(sample, engine, admin, tmp_path)
    stored = import_file(engine, admin, "supply_movements", export_ledger(sample, start, TODAY), "台账.xlsx")

    assert stored == count_rows(engine, "supply_movements")
    assert on_hand(engine) == on_hand(sample)
    with sample.connect() as original, engine.connect() as copy:
        assert stock_history(copy, None, TODAY, days + 1) == stock_history(original, None, TODAY, days + 1)
        assert consumption_by_recipient(copy, start, TODAY) == consumption_by_recipient(original, start, TODAY)
        assert figures(copy, TODAY) == figures(original, TODAY)


def test_the_brought_forward_row_carries_the_opening_stock_as_an_adjustment(sample, engine, admin, tmp_path):
    start = TODAY - timedelta(days=2)
    copy_items(sample, engine, admin, tmp_path)
    import_file(engine, admin, "supply_movements", export_ledger(sample, start, TODAY), "台账.xlsx")
    with engine.connect() as conn:
        item_id = next(row["id"] for row in list_items(conn) if row["name"] == "N95口罩")
        opening = ledger(conn, item_id, start - timedelta(days=1), start - timedelta(days=1))
    assert [(row["kind"], row["note"]) for row in opening] == [("adjustment", "上期结转")]
    assert opening[0]["in"] == on_hand(sample, start - timedelta(days=1))["N95口罩"]


def test_a_changed_workbook_with_bad_rows_is_refused_with_every_row_named(sample, engine, admin, tmp_path):
    copy_items(sample, engine, admin, tmp_path)
    with sample.connect() as conn:
        book = load_workbook(io.BytesIO(ledger_workbook(conn, TODAY - timedelta(days=1), TODAY)))
    sheet = book.worksheets[0]
    sheet["D3"] = "两箱"
    sheet["A5"] = "不存在的物资"
    changed = io.BytesIO()
    book.save(changed)

    with pytest.raises(ImportRejected) as refusal:
        import_file(engine, admin, "supply_movements", changed.getvalue(), "台账.xlsx")

    assert {(error.row, error.column) for error in refusal.value.row_errors} >= {(3, "quantity"), (5, "item")}
    assert count_rows(engine, "supply_movements") == 0


def test_a_day_re_imports_receipts_first_so_a_back_dated_entry_cannot_make_it_refuse(
    engine, admin, tmp_path, database_factory
):
    # Entered in this order, each accepted: the ledger is never below zero on any day.
    # Replayed in date and entry order, the issue of day D would come before the receipt of day D and find
    # nothing left, since the back-dated issue of D-1 already took the first 10.
    day = TODAY - timedelta(days=1)
    perform(engine, admin, add_item, {"name": "口罩", "unit": "个", "safety_stock": 0})
    for kind, when, quantity in (
        ("purchase", day - timedelta(days=1), 10),
        ("issue", day, 10),
        ("purchase", day, 10),
        ("issue", day - timedelta(days=1), 10),
    ):
        perform(
            engine,
            admin,
            add_movement,
            {
                "item": "口罩",
                "date": when,
                "kind": kind,
                "quantity": quantity,
                "counterparty": "锦绣花园东门" if kind == "issue" else None,
            },
        )
    copy = connect(database_factory.fresh_url())
    copy_items(engine, copy, admin, tmp_path)

    import_file(copy, admin, "supply_movements", export_ledger(engine, day - timedelta(days=1), TODAY), "台账.xlsx")

    assert on_hand(copy) == on_hand(engine) == {"口罩": 0}
    copy.dispose()
