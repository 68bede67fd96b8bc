"""The supplies tables (items, the movement ledger, the per-day stock derived from it), the domain's vocabulary
(kinds, recipient kinds, statuses, limits) and the query pieces that tell an effective movement from a reversed
one."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from data_layer.db import import_batch_column, metadata
from data_layer.i18n import translate

DOMAIN = "supplies"
IN_KINDS = ("purchase", "donation", "allocation")
OUT_KINDS = ("issue", "transfer_out", "scrap")
ENTRY_KINDS = (*IN_KINDS, *OUT_KINDS, "adjustment")
NAMED_KINDS = ("donation", "issue")
KINDS = (*ENTRY_KINDS, "reversal")
RECIPIENT_KINDS = ("checkpoint", "site", "grid", "person", "other")
STATUSES = ("ok", "below_safety", "under_3_days", "out")
BROUGHT_FORWARD = "brought_forward"
BURN_DAYS = 7
SHORT_COVER_DAYS = 3
RECENT_DAYS = 30  # what the entry forms learn from and offer to reverse
ROUND_DAYS = 7  # a storekeeper's round repeats within a week: the issue form proposes from it
NAME_LENGTH = 100
UNIT_LENGTH = 20
CATEGORY_LENGTH = 50
NOTE_LENGTH = 500

supply_items = sa.Table(
    "supply_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("unit", sa.String(UNIT_LENGTH), nullable=False),
    sa.Column("category", sa.String(CATEGORY_LENGTH)),
    sa.Column("safety_stock", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    import_batch_column(),
    sa.UniqueConstraint("name", name="uq_supply_items_name"),
    sa.CheckConstraint("safety_stock >= 0", name="ck_supply_items_safety_stock"),
)

supply_movements = sa.Table(
    "supply_movements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("supply_items.id"), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("counterparty", sa.String(NAME_LENGTH)),
    sa.Column("recipient_kind", sa.String(20)),
    sa.Column("note", sa.String(NOTE_LENGTH)),
    sa.Column("reverses_id", sa.Integer, sa.ForeignKey("supply_movements.id")),
    sa.Column("entered_by", sa.String(100), nullable=False),
    sa.Column("entered_at", sa.DateTime, nullable=False),
    import_batch_column(),
    sa.UniqueConstraint("reverses_id", name="uq_supply_movements_reverses_id"),
    sa.CheckConstraint("quantity <> 0", name="ck_supply_movements_quantity"),
    sa.Index("ix_supply_movements_item_id_date", "item_id", "date"),
    sa.Index("ix_supply_movements_date_kind", "date", "kind"),
    sa.Index("ix_supply_movements_entered_at", "entered_at"),
)

supply_daily_stock = sa.Table(
    "supply_daily_stock",
    metadata,
    sa.Column("item_id", sa.Integer, sa.ForeignKey("supply_items.id"), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("on_hand", sa.BigInteger, nullable=False),
    sa.Column("received", sa.BigInteger, nullable=False),
    sa.Column("sent", sa.BigInteger, nullable=False),
    sa.Column("issued", sa.BigInteger, nullable=False),
)
"""Derived from the ledger, kept in the transaction of every movement: per item and day on which it has a
movement, ``on_hand`` (the stock at the end of the day: every movement dated on or before it) and the signed
sums of the day's effective receipts (``received``), outgoing movements (``sent``, negative) and issues
(``issued``, negative). The briefing reads the stock figures from here instead of summing the whole ledger
(see :func:`update_supply_daily_stock`)."""

reversal = supply_movements.alias("reversal")


def code_labels(codes: Iterable[str]) -> dict[str, str]:
    """Chinese label → code for ``codes``, read from the zh_CN catalog, so imports accept what the pages show."""
    return {translate(f"supplies.code.{code}", "zh_CN"): code for code in codes}


def effective() -> sa.ColumnElement[bool]:
    """A joined movement that counts as itself: neither a reversal nor reversed."""
    return sa.and_(reversal.c.id.is_(None), supply_movements.c.kind != "reversal")


def with_reversals(source: sa.FromClause) -> sa.FromClause:
    return source.outerjoin(reversal, reversal.c.reverses_id == supply_movements.c.id)
