"""Per-day totals of the checkpoint counts, the supply ledger, the enterprises' statuses and the
rectification items, so that the briefing's figures for a day no longer go through the whole history
(issue 8); filled from the rows already stored. Quarantine episodes are found through an index on their end
date that covers the figures, and fever readings of a day through one on date and temperature.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision = "0008"
down_revision = "0007"

COUNT_FIELDS = ("persons", "vehicles", "fever", "turned_back")
TOTAL_FIELDS = ("entries", *COUNT_FIELDS)
IN_KINDS = ("purchase", "donation", "allocation")
OUT_KINDS = ("issue", "transfer_out", "scrap")
DEFAULT_STATUS = "not_reopened"

# The tables this revision reads and fills, as they were at this revision: the migration is frozen, so a later
# change of the domains' tables or rebuilds cannot change what it does.
checkpoint_counts = sa.table(
    "checkpoint_counts",
    sa.column("id", sa.Integer),
    sa.column("checkpoint_id", sa.Integer),
    sa.column("period_start", sa.DateTime),
    sa.column("supersedes_id", sa.Integer),
    *[sa.column(name, sa.Integer) for name in COUNT_FIELDS],
)
checkpoint_daily_totals = sa.table(
    "checkpoint_daily_totals",
    sa.column("checkpoint_id", sa.Integer),
    sa.column("day", sa.Date),
    *[sa.column(name, sa.BigInteger) for name in TOTAL_FIELDS],
    *[sa.column(f"cumulative_{name}", sa.BigInteger) for name in COUNT_FIELDS],
)
supply_movements = sa.table(
    "supply_movements",
    sa.column("id", sa.Integer),
    sa.column("item_id", sa.Integer),
    sa.column("date", sa.Date),
    sa.column("kind", sa.String),
    sa.column("quantity", sa.Integer),
    sa.column("reverses_id", sa.Integer),
)
supply_daily_stock = sa.table(
    "supply_daily_stock",
    sa.column("item_id", sa.Integer),
    sa.column("day", sa.Date),
    *[sa.column(name, sa.BigInteger) for name in ("on_hand", "received", "sent", "issued")],
)
enterprises = sa.table("enterprises", sa.column("id", sa.Integer), sa.column("registered_on", sa.Date))
status_changes = sa.table(
    "enterprise_status_changes",
    sa.column("id", sa.Integer),
    sa.column("enterprise_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("reason", sa.String),
    sa.column("effective_date", sa.Date),
)
inspections = sa.table("inspections", sa.column("id", sa.Integer), sa.column("date", sa.Date))
rectifications = sa.table(
    "rectifications",
    sa.column("id", sa.Integer),
    sa.column("inspection_id", sa.Integer),
    sa.column("deadline", sa.Date),
)
rectification_closures = sa.table(
    "rectification_closures", sa.column("rectification_id", sa.Integer), sa.column("closed_on", sa.Date)
)
enterprise_status_days = sa.table(
    "enterprise_status_days",
    sa.column("day", sa.Date),
    sa.column("status", sa.String),
    sa.column("reason", sa.String),
    sa.column("enterprises", sa.Integer),
)
rectification_days = sa.table(
    "rectification_days", sa.column("day", sa.Date), sa.column("open", sa.Integer), sa.column("overdue", sa.Integer)
)


def upgrade() -> None:
    op.create_table(
        "checkpoint_daily_totals",
        sa.Column("checkpoint_id", sa.Integer, sa.ForeignKey("checkpoints.id"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("entries", sa.Integer, nullable=False),
        *[sa.Column(name, sa.BigInteger, nullable=False) for name in COUNT_FIELDS],
        *[sa.Column(f"cumulative_{name}", sa.BigInteger, nullable=False) for name in COUNT_FIELDS],
    )
    op.create_table(
        "supply_daily_stock",
        sa.Column("item_id", sa.Integer, sa.ForeignKey("supply_items.id"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("on_hand", sa.BigInteger, nullable=False),
        sa.Column("received", sa.BigInteger, nullable=False),
        sa.Column("sent", sa.BigInteger, nullable=False),
        sa.Column("issued", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "enterprise_status_days",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(30)),
        sa.Column("enterprises", sa.Integer, nullable=False),
    )
    op.create_index(
        "ix_enterprise_status_days_day_status_reason_enterprises",
        "enterprise_status_days",
        ["day", "status", "reason", "enterprises"],
    )
    op.create_table(
        "rectification_days",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("open", sa.Integer, nullable=False),
        sa.Column("overdue", sa.Integer, nullable=False),
    )
    op.create_index("ix_rectification_days_day", "rectification_days", ["day"])
    op.drop_index("ix_quarantine_episodes_end_date", "quarantine_episodes")
    op.create_index(
        "ix_quarantine_episodes_end_date_start_date_mode_planned_end",
        "quarantine_episodes",
        ["end_date", "start_date", "mode", "planned_end"],
    )
    op.drop_index("ix_quarantine_followups_date", "quarantine_followups")
    op.create_index("ix_quarantine_followups_date_temperature", "quarantine_followups", ["date", "temperature"])
    connection = op.get_bind()
    _fill_checkpoint_daily_totals(connection)
    _fill_supply_daily_stock(connection)
    _fill_enterprise_status_days(connection)
    _fill_rectification_days(connection)


def _fill_checkpoint_daily_totals(conn: Connection) -> None:
    """Per checkpoint and start day, the number and sums of the effective entries, and the running sums."""
    superseding = checkpoint_counts.alias("superseding")
    effective = ~sa.exists().where(superseding.c.supersedes_id == checkpoint_counts.c.id)
    day = sa.func.date(checkpoint_counts.c.period_start, type_=sa.Date)
    per_day = (
        sa.select(
            checkpoint_counts.c.checkpoint_id,
            day.label("day"),
            sa.func.count().label("entries"),
            *[sa.func.sum(checkpoint_counts.c[name]).label(name) for name in COUNT_FIELDS],
        )
        .where(effective)
        .group_by(checkpoint_counts.c.checkpoint_id, day)
        .subquery()
    )
    running = [
        sa.func.sum(per_day.c[name]).over(partition_by=per_day.c.checkpoint_id, order_by=per_day.c.day)
        for name in COUNT_FIELDS
    ]
    conn.execute(
        checkpoint_daily_totals.insert().from_select(
            ["checkpoint_id", "day", *TOTAL_FIELDS, *[f"cumulative_{name}" for name in COUNT_FIELDS]],
            sa.select(per_day.c.checkpoint_id, per_day.c.day, *[per_day.c[name] for name in TOTAL_FIELDS], *running),
        )
    )


def _fill_supply_daily_stock(conn: Connection) -> None:
    """Per item and day with movements, the stock at the day's end and the day's sums by kind, leaving out
    reversals and the movements they reverse."""
    movement = supply_movements
    reversal = supply_movements.alias("reversal")
    effective = sa.and_(reversal.c.id.is_(None), movement.c.kind != "reversal")

    def total(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, movement.c.quantity), else_=0)), 0)

    per_day = (
        sa.select(
            movement.c.item_id,
            movement.c.date.label("day"),
            sa.func.sum(movement.c.quantity).label("net"),
            total(effective & movement.c.kind.in_(IN_KINDS)).label("received"),
            total(effective & movement.c.kind.in_(OUT_KINDS)).label("sent"),
            total(effective & (movement.c.kind == "issue")).label("issued"),
        )
        .select_from(movement.outerjoin(reversal, reversal.c.reverses_id == movement.c.id))
        .group_by(movement.c.item_id, movement.c.date)
        .subquery()
    )
    on_hand = sa.func.sum(per_day.c.net).over(partition_by=per_day.c.item_id, order_by=per_day.c.day)
    conn.execute(
        supply_daily_stock.insert().from_select(
            ["item_id", "day", "on_hand", "received", "sent", "issued"],
            sa.select(per_day.c.item_id, per_day.c.day, on_hand, per_day.c.received, per_day.c.sent, per_day.c.issued),
        )
    )


def _add_event(events: dict[tuple, int], key: tuple, change: int) -> None:
    events[key] = events.get(key, 0) + change


def _fill_enterprise_status_days(conn: Connection) -> None:
    """Per day, status and reason, how many enterprises more (or fewer) hold it from that day on: each
    registration counts as not reopened, and each change moves the enterprise from the status it held."""
    events: dict[tuple[date, str, str | None], int] = {}
    held: dict[int, tuple[str, str | None, date]] = {}
    # Rows read by position: a Row is a Sequence (mypy would unpack one of untyped columns as object).
    registrations: Iterable[Sequence[Any]] = conn.execute(sa.select(enterprises.c.id, enterprises.c.registered_on))
    for enterprise_id, registered_on in registrations:
        _add_event(events, (registered_on, DEFAULT_STATUS, None), 1)
        held[enterprise_id] = (DEFAULT_STATUS, None, registered_on)
    changes: Iterable[Sequence[Any]] = conn.execute(
        sa.select(
            status_changes.c.enterprise_id,
            status_changes.c.status,
            status_changes.c.reason,
            status_changes.c.effective_date,
        ).order_by(status_changes.c.id)
    )
    for enterprise_id, status, reason, day in changes:
        old_status, old_reason, since = held[enterprise_id]
        _add_event(events, (max(since, day), old_status, old_reason), -1)
        _add_event(events, (day, status, reason), 1)
        held[enterprise_id] = (status, reason, day)
    rows = [
        {"day": day, "status": status, "reason": reason, "enterprises": count}
        for (day, status, reason), count in events.items()
        if count
    ]
    if rows:
        conn.execute(enterprise_status_days.insert(), rows)


def _fill_rectification_days(conn: Connection) -> None:
    """Per day, how many rectification items more (or fewer) are open and overdue from that day on."""
    events: dict[tuple[date, str], int] = {}
    query = sa.select(inspections.c.date, rectifications.c.deadline, rectification_closures.c.closed_on).select_from(
        rectifications.join(inspections, inspections.c.id == rectifications.c.inspection_id).outerjoin(
            rectification_closures, rectification_closures.c.rectification_id == rectifications.c.id
        )
    )
    items: Iterable[Sequence[Any]] = conn.execute(query)
    for inspected_on, deadline, closed_on in items:
        overdue_from = max(inspected_on, deadline + timedelta(days=1))
        _add_event(events, (inspected_on, "open"), 1)
        _add_event(events, (overdue_from, "overdue"), 1)
        if closed_on is not None:
            _add_event(events, (closed_on, "open"), -1)
            _add_event(events, (max(closed_on, overdue_from), "overdue"), -1)
    days: dict[date, dict[str, int]] = {}
    for (day, figure), count in events.items():
        days.setdefault(day, {"open": 0, "overdue": 0})[figure] += count
    if days:
        conn.execute(rectification_days.insert(), [{"day": day, **counts} for day, counts in days.items()])
