"""Reads for the supplies pages other than the figures: an item's ledger, the movements a reversal may still
cancel and what an issue form proposes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.supplies.figures import balance_on
from data_layer.supplies.tables import (
    RECENT_DAYS,
    ROUND_DAYS,
    effective,
    reversal,
    supply_items,
    supply_movements,
    with_reversals,
)


def ledger(conn: Connection, item_id: int, start: date, end: date) -> list[dict[str, Any]]:
    """The paper ledger (出入库台账) of one item from ``start`` to ``end``: each movement in date
    order with ``id``, ``date``, ``kind``, ``in``, ``out`` (both positive or 0), the running
    ``balance`` after it, ``counterparty``, ``recipient_kind``, ``entered_by`` (handled by),
    ``entered_at``, ``note``, ``reverses_id`` and ``reversed`` (whether a later row cancels it)."""
    balance = balance_on(conn, item_id, start - timedelta(days=1))
    rows = conn.execute(
        sa.select(supply_movements, reversal.c.id.is_not(None).label("reversed"))
        .select_from(with_reversals(supply_movements))
        .where(supply_movements.c.item_id == item_id, supply_movements.c.date >= start, supply_movements.c.date <= end)
        .order_by(supply_movements.c.date, supply_movements.c.id)
    ).mappings()
    entries = []
    for row in rows:
        balance += row["quantity"]
        entries.append(
            {
                "id": row["id"],
                "date": row["date"],
                "kind": row["kind"],
                "in": max(row["quantity"], 0),
                "out": max(-row["quantity"], 0),
                "balance": balance,
                "counterparty": row["counterparty"],
                "recipient_kind": row["recipient_kind"],
                "entered_by": row["entered_by"],
                "entered_at": row["entered_at"],
                "note": row["note"],
                "reverses_id": row["reverses_id"],
                "reversed": bool(row["reversed"]),
            }
        )
    return entries


class IssueProposals(TypedDict):
    """What an issue form proposes (see :func:`issue_proposals`)."""

    item_id: int | None
    counterparty: str | None
    recipient_kind: str | None
    recipients: list[dict[str, Any]]


def issue_proposals(
    conn: Connection, username: str, day: date, item_ids: tuple[int, ...] | None = None, recipients_shown: int = 50
) -> IssueProposals:
    """What an issue form proposes, learnt from the effective issues of active items, so that the usual issue
    is a quantity and one tap.

    ``item_id`` is the item issued most often over the :data:`ROUND_DAYS` days ending ``day``, and
    ``counterparty`` and ``recipient_kind`` those of the newest issue with a recipient in them;
    ``username``'s own issues decide when there are any, since a storekeeper repeats their own round, and
    ``item_ids`` limits both to a clerk's items (``None`` when there is nothing to learn from). ``recipients``
    are every recipient supplied over the :data:`RECENT_DAYS` days ending ``day``, the one supplied on the latest
    date first: the choices of the form. Each is one aggregate in SQL, so that a district's thousand issues a
    day never travel to Python.
    """
    issues = _effective_issues(day, RECENT_DAYS, None).subquery()
    mine = _effective_issues(day, ROUND_DAYS, item_ids).subquery()
    mine_own = mine.c.entered_by == username
    item_id = conn.execute(
        sa.select(mine.c.item_id)
        .group_by(mine.c.item_id)
        .order_by(sa.func.sum(sa.case((mine_own, 1), else_=0)).desc(), sa.func.count().desc(), mine.c.item_id)
        .limit(1)
    ).scalar()
    recipient = conn.execute(
        sa.select(mine.c.counterparty, mine.c.recipient_kind)
        .where(mine.c.counterparty.is_not(None))
        .order_by(sa.case((mine_own, 0), else_=1), mine.c.date.desc(), mine.c.id.desc())
        .limit(1)
    ).first()
    recipients = conn.execute(
        sa.select(issues.c.counterparty, issues.c.recipient_kind)
        .where(issues.c.counterparty.is_not(None))
        .group_by(issues.c.counterparty, issues.c.recipient_kind)
        .order_by(sa.func.max(issues.c.date).desc(), sa.func.max(issues.c.id).desc())
        .limit(recipients_shown)
    )
    return {
        "item_id": item_id,
        "counterparty": recipient[0] if recipient else None,
        "recipient_kind": recipient[1] if recipient else None,
        "recipients": [{"counterparty": name, "recipient_kind": kind} for name, kind in recipients],
    }


def _effective_issues(day: date, days: int, item_ids: tuple[int, ...] | None) -> sa.Select:
    """Effective issues of active items over the ``days`` days ending ``day`` (of ``item_ids``)."""
    query = (
        sa.select(
            supply_movements.c.id,
            supply_movements.c.item_id,
            supply_movements.c.counterparty,
            supply_movements.c.recipient_kind,
            supply_movements.c.entered_by,
            supply_movements.c.date,
        )
        .select_from(with_reversals(supply_movements.join(supply_items)))
        .where(
            effective(),
            supply_movements.c.kind == "issue",
            supply_items.c.active == sa.true(),
            supply_movements.c.date.between(day - timedelta(days=days - 1), day),
        )
    )
    return query if item_ids is None else query.where(supply_movements.c.item_id.in_(item_ids))


def reversible_movements(
    conn: Connection, start: date, end: date, item_ids: tuple[int, ...] | None = None, limit: int = 300
) -> list[dict[str, Any]]:
    """Movements dated ``start`` to ``end`` that a reversal may still cancel (neither reversals nor reversed),
    newest first, at most ``limit``: rows of ``id``, ``item_id``, ``item``, ``unit``, ``date``, ``kind``,
    ``quantity`` (signed), ``counterparty``, ``entered_by``. ``item_ids`` limits the items."""
    query = (
        sa.select(
            supply_movements.c.id,
            supply_movements.c.item_id,
            supply_items.c.name.label("item"),
            supply_items.c.unit,
            supply_movements.c.date,
            supply_movements.c.kind,
            supply_movements.c.quantity,
            supply_movements.c.counterparty,
            supply_movements.c.entered_by,
        )
        .select_from(with_reversals(supply_movements.join(supply_items)))
        .where(effective(), supply_movements.c.date >= start, supply_movements.c.date <= end)
        .order_by(supply_movements.c.date.desc(), supply_movements.c.id.desc())
        .limit(limit)
    )
    if item_ids is not None:
        query = query.where(supply_movements.c.item_id.in_(item_ids))
    return [dict(row) for row in conn.execute(query).mappings()]
