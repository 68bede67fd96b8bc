"""The stock figures of a date (the briefing's supplies part), the pure functions that define each of them, the
stock of an item on a day, its history and the consumption per recipient."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from data_layer import settings
from data_layer.db import Rows, latest_on
from data_layer.supplies.tables import (
    BURN_DAYS,
    SHORT_COVER_DAYS,
    effective,
    supply_daily_stock,
    supply_items,
    supply_movements,
    with_reversals,
)

STORE_OPENS = time(8)
"""When the store's working day begins: its silence (:func:`store_silent`) is counted from the later of its last
entry and this hour, so a store that closed for the night is not silent when it opens."""


def balance_on(conn: Connection, item_id: int, day: date) -> int:
    """The item's stock at the end of ``day``: the sum of its signed quantities dated on or before it, read as the
    stock of its newest day on or before ``day`` in :data:`supply_daily_stock` (kept equal to the ledger in the
    transaction of every movement): one row found by its key, however long the item's history, where the sum
    read every movement of it (a movement's check, a stock count and the item's ledger page ask for it)."""
    newest = conn.execute(latest_on(supply_daily_stock, {"item_id": item_id}, day)).mappings().first()
    return 0 if newest is None else int(newest["on_hand"])


def cover_days() -> int:
    """The days of consumption the quantity to request should cover: ``COMMAND_POST_COVER_DAYS``, else 14."""
    return settings.COVER_DAYS.value()


def figures(conn: Connection, day: date, request_days: int | None = None) -> list[dict[str, Any]]:
    """The supplies part of the daily briefing for ``day`` (design §6): one entry per active item, by name.

    Each entry holds ``item``, ``item_id``, ``unit``, ``category``,
    ``safety_stock``; ``on_hand`` (the sum of all movements dated up to
    ``day``, reversals included, so a cancelled pair adds nothing);
    ``in_today`` and ``out_today`` (effective receipts and effective issues,
    transfers out and scrapping dated ``day``, both as positive numbers;
    adjustments are neither); ``burn_rate`` (effective issues over the seven
    days ending ``day`` divided by 7, two decimals: transfers, scrapping and
    adjustments are not consumption); ``days_of_cover`` (on hand / burn rate,
    one decimal, ``None`` without consumption); ``below_safety``; ``status``
    (``out`` at no stock, else ``under_3_days`` below three days of cover, else
    ``below_safety``, else ``ok``); ``stockout_date`` (ISO date on which the
    stock runs out at this burn rate, ``None`` without consumption) and
    ``request_quantity`` (what to ask the level above for, so that the stock
    covers ``request_days`` days of consumption, by default :func:`cover_days`).
    Every figure is read from :data:`supply_daily_stock`, so the time it takes grows with the number of
    items, not with the length of the ledger.
    """
    request_days = cover_days() if request_days is None else request_days
    stock, items = supply_daily_stock, supply_items
    earlier, week = stock.alias("earlier"), stock.alias("week")
    newest_day = (
        sa.select(sa.func.max(earlier.c.day))
        .where(earlier.c.item_id == items.c.id, earlier.c.day <= day)
        .scalar_subquery()
    )
    issued_week = (
        sa.select(sa.func.coalesce(sa.func.sum(week.c.issued), 0))
        .where(week.c.item_id == items.c.id, week.c.day > day - timedelta(days=BURN_DAYS), week.c.day <= day)
        .scalar_subquery()
    )
    on_day = stock.c.day == day
    rows = conn.execute(
        sa.select(
            items.c.id,
            items.c.name,
            items.c.unit,
            items.c.category,
            items.c.safety_stock,
            sa.func.coalesce(stock.c.on_hand, 0).label("on_hand"),
            sa.case((on_day, stock.c.received), else_=0).label("in_today"),
            sa.case((on_day, stock.c.sent), else_=0).label("out_today"),
            issued_week.label("issued_week"),
        )
        .select_from(items.outerjoin(stock, sa.and_(stock.c.item_id == items.c.id, stock.c.day == newest_day)))
        .where(items.c.active == sa.true())
    ).mappings()
    return sorted((_item_figures(row, day, request_days) for row in rows), key=lambda entry: entry["item"])


def _item_figures(row: RowMapping, day: date, request_days: int) -> dict[str, Any]:
    on_hand, issued = int(row["on_hand"]), -int(row["issued_week"])
    stock = stock_figures(on_hand, issued, row["safety_stock"])
    return {
        "item": row["name"],
        "item_id": row["id"],
        "unit": row["unit"],
        "category": row["category"],
        "safety_stock": row["safety_stock"],
        "on_hand": on_hand,
        "in_today": int(row["in_today"]),
        "out_today": -int(row["out_today"]),
        **stock,
        "status": item_status(on_hand, stock["days_of_cover"], stock["below_safety"]),
        "stockout_date": (day + timedelta(days=on_hand * BURN_DAYS // issued)).isoformat() if issued else None,
        "request_quantity": max(0, -((BURN_DAYS * on_hand - issued * request_days) // BURN_DAYS)),
    }


# The figures of one item's stock: the one definition of each, used by the figures, the briefing, the review of
# corrections and the wall's alerts.


def burn_rate(issued_week: int) -> float:
    """Issues per day: the effective issues of the seven days ending the day, over 7, two decimals."""
    return round(issued_week / BURN_DAYS, 2)


def days_of_cover(on_hand: int, issued_week: int) -> float | None:
    """How many days the stock on hand lasts at the burn rate, one decimal; ``None`` without consumption."""
    return round(on_hand * BURN_DAYS / issued_week, 1) if issued_week else None


def item_status(on_hand: int, cover: float | None, below_safety: bool) -> str:
    """The most urgent of an item's states: ``out`` at no stock, else ``under_3_days`` below
    :data:`SHORT_COVER_DAYS` days of cover, else ``below_safety``, else ``ok``."""
    if on_hand <= 0:
        return "out"
    if cover is not None and cover < SHORT_COVER_DAYS:
        return "under_3_days"
    return "below_safety" if below_safety else "ok"


def stock_figures(on_hand: int, issued_week: int, safety_stock: int) -> dict[str, Any]:
    """``burn_rate``, ``days_of_cover`` and ``below_safety`` of an item with ``on_hand`` in stock that issued
    ``issued_week`` in the seven days ending the day."""
    return {
        "burn_rate": burn_rate(issued_week),
        "days_of_cover": days_of_cover(on_hand, issued_week),
        "below_safety": on_hand < safety_stock,
    }


def stock_history(conn: Connection, item_id: int | None, end_day: date, days: int = 30) -> list[dict[str, Any]]:
    """The closing stock of each day from ``end_day - days + 1`` to ``end_day``, for one item or
    (``item_id`` ``None``) every active item: rows of ``item_id``, ``item``, ``date``, ``balance``,
    by item name then date. Two grouped queries: the opening stocks and the daily net movements."""
    start = end_day - timedelta(days=days - 1)
    chosen = supply_items.c.id == item_id if item_id is not None else supply_items.c.active == sa.true()
    items: Rows = conn.execute(sa.select(supply_items.c.id, supply_items.c.name).where(chosen)).all()
    selected = supply_movements.c.item_id.in_(sa.select(supply_items.c.id).where(chosen))
    opening: dict[int, int] = dict(
        conn.execute(
            sa.select(supply_movements.c.item_id, sa.func.sum(supply_movements.c.quantity))
            .where(selected, supply_movements.c.date < start)
            .group_by(supply_movements.c.item_id)
        ).all()
    )
    movements: Rows = conn.execute(
        sa.select(supply_movements.c.item_id, supply_movements.c.date, sa.func.sum(supply_movements.c.quantity))
        .where(selected, supply_movements.c.date >= start, supply_movements.c.date <= end_day)
        .group_by(supply_movements.c.item_id, supply_movements.c.date)
    )
    daily = {(row_item, row_day): net for row_item, row_day, net in movements}
    history = []
    for row_item, name in sorted(items, key=lambda item: item[1]):
        balance = int(opening.get(row_item, 0))
        for offset in range(days):
            current = start + timedelta(days=offset)
            balance += int(daily.get((row_item, current), 0))
            history.append({"item_id": row_item, "item": name, "date": current, "balance": balance})
    return history


def consumption_by_recipient(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """What each recipient received from ``start`` to ``end`` (inclusive): effective issues summed per
    recipient and item, as rows of ``counterparty``, ``recipient_kind``, ``item``, ``unit``, ``quantity``
    (positive), by recipient then item."""
    rows = conn.execute(
        sa.select(
            supply_movements.c.counterparty,
            supply_movements.c.recipient_kind,
            supply_items.c.name.label("item"),
            supply_items.c.unit,
            (-sa.func.sum(supply_movements.c.quantity)).label("quantity"),
        )
        .select_from(with_reversals(supply_movements.join(supply_items)))
        .where(
            effective(),
            supply_movements.c.kind == "issue",
            supply_movements.c.date >= start,
            supply_movements.c.date <= end,
        )
        .group_by(
            supply_movements.c.counterparty, supply_movements.c.recipient_kind, supply_items.c.name, supply_items.c.unit
        )
    ).mappings()
    return sorted((dict(row) for row in rows), key=lambda row: (row["counterparty"] or "", row["item"]))


def stock_on(conn: Connection, item_id: int, day: date) -> int:
    """The item's stock at the end of ``day`` (what a stock count on that day is compared with)."""
    return balance_on(conn, item_id, day)


def last_entry_at(conn: Connection, until: datetime) -> datetime | None:
    """When the store last entered anything in its ledger (a movement, a stock count or a reversal) up to
    ``until``; ``None`` when it never has. Read by the index on ``entered_at``."""
    return conn.execute(
        sa.select(sa.func.max(supply_movements.c.entered_at)).where(supply_movements.c.entered_at <= until)
    ).scalar_one()


def stock_moving(conn: Connection, day: date) -> bool:
    """Whether stock is being issued: any item has an effective issue in the burn-rate week ending ``day``
    (the week that :func:`burn_rate` averages), so the store has work to enter."""
    week = supply_daily_stock
    return conn.execute(
        sa.select(
            sa.exists().where(week.c.issued != 0, week.c.day > day - timedelta(days=BURN_DAYS), week.c.day <= day)
        )
    ).scalar_one()


def store_silent(conn: Connection, now: datetime, quiet: timedelta) -> bool:
    """Whether the store has entered nothing for longer than ``quiet`` of its working day at ``now`` while stock
    is moving (:func:`stock_moving`): its silence runs from the later of its last entry (:func:`last_entry_at`)
    and the day's opening (:data:`STORE_OPENS`)."""
    silent_since = max(last_entry_at(conn, now) or datetime.min, datetime.combine(now.date(), STORE_OPENS))
    return now - silent_since > quiet and stock_moving(conn, now.date())
