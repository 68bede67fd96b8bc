"""The supplies import/export kinds (items and ledger rows) and the paper ledger (出入库台账) as an Excel workbook."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.engine import Connection, Engine

from data_layer.db import Actor
from data_layer.i18n import translate
from data_layer.privacy import presented
from data_layer.supplies.entries import add_movement_row, add_movements_batch
from data_layer.supplies.figures import balance_on
from data_layer.supplies.lists import ledger
from data_layer.supplies.master import add_item, list_items
from data_layer.supplies.tables import BROUGHT_FORWARD, supply_items, supply_movements
from data_layer.transfer import Column, Row, TransferKind, query_rows
from data_layer.workbook import append_row, finish_table, saved, title_rows, unique_sheet_title

MOVEMENT_COLUMNS = (
    Column("item", "物资名称"),
    Column("date", "日期"),
    Column("kind", "类型"),
    Column("quantity", "数量"),
    Column("counterparty", "往来单位"),
    Column("note", "备注"),
    Column("recipient_kind", "领用对象类型"),
)


def _item_rows(conn: Connection) -> Iterator[Row]:
    query = sa.select(
        supply_items.c.name, supply_items.c.unit, supply_items.c.category, supply_items.c.safety_stock
    ).order_by(supply_items.c.id)
    return query_rows(conn, query)


def _movement_rows(conn: Connection) -> Iterator[Row]:
    """The ledger in entry order, so that each row re-imports onto the same stock it was entered on.
    Quantities are positive except an adjustment's; a reversal row repeats the cancelled movement's
    date, quantity and counterparty, which is how its import finds that movement again."""
    query = (
        sa.select(
            supply_items.c.name.label("item"),
            supply_movements.c.date,
            supply_movements.c.kind,
            supply_movements.c.quantity,
            supply_movements.c.counterparty,
            supply_movements.c.note,
            supply_movements.c.recipient_kind,
        )
        .select_from(supply_movements.join(supply_items))
        .order_by(supply_movements.c.id)
    )
    for row in conn.execute(query).mappings():
        quantity = row["quantity"] if row["kind"] == "adjustment" else abs(row["quantity"])
        yield {**row, "quantity": quantity}


TRANSFER_KINDS = (
    TransferKind(
        "supply_items",
        (
            Column("name", "物资名称"),
            Column("unit", "单位"),
            Column("category", "类别"),
            Column("safety_stock", "安全库存"),
        ),
        add_item,
        _item_rows,
    ),
    TransferKind("supply_movements", MOVEMENT_COLUMNS, add_movement_row, _movement_rows, add_movements_batch),
)


# The paper ledger as an Excel workbook --------------------------------------------------------------------------

LEDGER_COLUMNS = ("date", "kind", "in", "out", "balance", "counterparty", "entered_by", "note")
SUMMARY_COLUMNS = (
    "supplies.field.name",
    "supplies.field.unit",
    "supplies.field.category",
    "supplies.field.safety_stock",
    "supplies.ledger.opening",
    "supplies.ledger.period_in",
    "supplies.ledger.period_out",
    "supplies.ledger.closing",
)
LEDGER_LANGUAGE = "zh_CN"


def _zh(key: str, **params: object) -> str:
    return translate(key, LEDGER_LANGUAGE, **params)


def _import_order(row: Mapping[str, Any]) -> tuple[date, int, int, int]:
    """The order in which a period's rows re-import without any day dipping below zero on the way: per day
    the receipts first, then each cancelled outgoing movement directly followed by its reversal, then the
    rest of the outgoing movements (which can only lower the stock to the day's closing balance)."""
    quantity = row["in"] - row["out"]
    if row["kind"] == "reversal" and quantity > 0:
        return row["date"], 1, row["reverses_id"], 1
    if row["kind"] != "reversal" and quantity < 0 and row["reversed"]:
        return row["date"], 1, row["id"], 0
    return row["date"], 0 if row["kind"] != "reversal" and quantity > 0 else 2, row["id"], 0


def _kind_label(row: Mapping[str, Any]) -> str:
    label = _zh(f"supplies.code.{row['kind']}")
    return _zh("supplies.ledger.reversed_kind", kind=label) if row["reversed"] else label


def _movements_sheet(sheet: Worksheet, books: list[tuple[dict, int, list[dict]]], start: date) -> None:
    """The import sheet, first in the workbook (the importer reads the first sheet): the import columns
    of ``supply_movements`` with their Chinese headers and who handled each row; per item a brought-forward
    row, then the period's rows in :func:`_import_order`."""
    sheet.title = _zh("supplies.ledger.movements_sheet")
    append_row(sheet, [column.chinese for column in MOVEMENT_COLUMNS] + [_zh("supplies.field.entered_by")])
    for item, opening, rows in books:
        if opening:
            append_row(
                sheet,
                [
                    item["name"],
                    start - timedelta(days=1),
                    _zh(f"supplies.code.{BROUGHT_FORWARD}"),
                    opening,
                    None,
                    None,
                    None,
                    None,
                ],
            )
        for row in sorted(rows, key=_import_order):
            quantity = row["in"] - row["out"] if row["kind"] == "adjustment" else row["in"] + row["out"]
            recipient = _zh(f"supplies.code.{row['recipient_kind']}") if row["recipient_kind"] else None
            append_row(
                sheet,
                [
                    item["name"],
                    row["date"],
                    _zh(f"supplies.code.{row['kind']}"),
                    quantity,
                    row["counterparty"],
                    row["note"],
                    recipient,
                    row["entered_by"],
                ],
            )
    finish_table(sheet, 1, number_columns=(4,))


def _summary_sheet(sheet: Worksheet, books: list[tuple[dict, int, list[dict]]], period: str) -> None:
    sheet.title = _zh("supplies.ledger.summary_sheet")
    header = title_rows(sheet, (_zh("supplies.ledger.summary_title"), period), len(SUMMARY_COLUMNS))
    append_row(sheet, [_zh(key) for key in SUMMARY_COLUMNS])
    for item, opening, rows in books:
        received, issued = sum(row["in"] for row in rows), sum(row["out"] for row in rows)
        append_row(
            sheet,
            [
                item["name"],
                item["unit"],
                item["category"],
                item["safety_stock"],
                opening,
                received,
                issued,
                opening + received - issued,
            ],
        )
    finish_table(sheet, header, number_columns=range(4, 9))


def _item_sheet(sheet: Worksheet, item: dict, opening: int, rows: list[dict], start: date, period: str) -> None:
    """One item's page of the paper ledger: brought forward, each movement with the balance after it, totals."""
    header = title_rows(
        sheet,
        (
            _zh("supplies.ledger.title"),
            _zh(
                "supplies.ledger.item_line",
                item=item["name"],
                unit=item["unit"],
                category=item["category"] or "—",
                safety_stock=item["safety_stock"],
            ),
            period,
        ),
        len(LEDGER_COLUMNS),
    )
    append_row(sheet, [_zh(f"supplies.field.{name}") for name in LEDGER_COLUMNS])
    append_row(sheet, [start - timedelta(days=1), _zh(f"supplies.code.{BROUGHT_FORWARD}"), None, None, opening])
    for row in rows:
        append_row(
            sheet,
            [
                row["date"],
                _kind_label(row),
                row["in"] or None,
                row["out"] or None,
                row["balance"],
                row["counterparty"],
                row["entered_by"],
                row["note"],
            ],
        )
    received, issued = sum(row["in"] for row in rows), sum(row["out"] for row in rows)
    append_row(sheet, [None, _zh("supplies.ledger.total"), received, issued, opening + received - issued])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    finish_table(sheet, header, number_columns=(3, 4, 5))


def ledger_workbook(
    conn: Connection, start: date, end: date, item_ids: tuple[int, ...] | None = None, actor: Actor | None = None
) -> bytes:
    """The in/out ledger (出入库台账) of ``start`` to ``end`` as an Excel workbook with Chinese headers.

    The first sheet lists every row in the columns of the ``supply_movements``
    import, so that the workbook imports back as it is: per item a
    brought-forward row (上期结转) carries the stock of the day before ``start``.
    A summary sheet follows (opening, in, out and closing stock per item; the
    workbook opens on it), then one sheet per item laid out like the paper
    ledger: date, kind, in, out, balance, counterparty, handled by, note, with
    the brought-forward line first and the period's totals last. The closing
    balances are the items' stock on hand at the end of ``end``. Every item
    that is active or has stock or movements is included; ``item_ids`` limits
    the items (a clerk's assignment). ID and phone numbers typed into a
    counterparty or note are masked unless ``actor`` may see them.
    """
    books = []
    for item in list_items(conn):
        if item_ids is not None and item["id"] not in item_ids:
            continue
        opening = balance_on(conn, item["id"], start - timedelta(days=1))
        rows = presented(ledger(conn, item["id"], start, end), actor)
        if item["active"] or opening or rows:
            books.append((item, opening, rows))
    period = _zh("supplies.ledger.period", start=start.isoformat(), end=end.isoformat())
    workbook = Workbook()
    _movements_sheet(workbook.active, books, start)
    _summary_sheet(workbook.create_sheet(), books, period)
    used = {sheet.title.lower() for sheet in workbook.worksheets}
    for item, opening, rows in books:
        _item_sheet(workbook.create_sheet(unique_sheet_title(item["name"], used)), item, opening, rows, start, period)
    workbook.active = 1
    for sheet in workbook.worksheets:
        sheet.sheet_view.tabSelected = sheet is workbook.active
    return saved(workbook, import_sheet=workbook.worksheets[0].title)


def export_ledger(
    engine: Engine, start: date, end: date, item_ids: tuple[int, ...] | None = None, actor: Actor | None = None
) -> bytes:
    """:func:`ledger_workbook` on a connection of its own, for a download generated when it is asked for."""
    with engine.connect() as conn:
        return ledger_workbook(conn, start, end, item_ids, actor)
