"""The enterprises' per-day tables hold running totals instead of changes.

``enterprise_status_days`` and ``rectification_days`` held how many more (or fewer) enterprises held a status,
and items were open, from a day on: the figures of a day summed every row up to it, a cost that grew with the
days of history. Each row now holds the figures at the end of its day, which hold until the next row of its
status and reason; the figures of a day are one look-up each. The rows stored so far are summed into that form
here afresh from the registrations, status changes, inspections and closures, and the status table is indexed by
status, reason and day for the look-up.

Revision ID: 0021
Revises: 0020
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"

DEFAULT_STATUS = "not_reopened"

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
    connection = op.get_bind()
    _fill_enterprise_status_days(connection)
    _fill_rectification_days(connection)
    op.drop_index("ix_enterprise_status_days_day_status_reason_enterprises", "enterprise_status_days")
    op.create_index(
        "ix_enterprise_status_days_status_reason_day", "enterprise_status_days", ["status", "reason", "day"]
    )


def _running(changes: dict[date, int]) -> list[tuple[date, int]]:
    """Each day with a change, and the total of the changes up to it."""
    total, totals = 0, []
    for day in sorted(changes):
        total += changes[day]
        totals.append((day, total))
    return totals


def _fill_enterprise_status_days(conn: sa.Connection) -> None:
    """Per status and reason, how many enterprises hold it at the end of each day it changed: each registration
    counts as not reopened, and each change moves the enterprise from the status it held."""
    changes: defaultdict[tuple[str, str | None], defaultdict[date, int]] = defaultdict(lambda: defaultdict(int))
    held: dict[int, tuple[str, str | None, date]] = {}
    registrations: Iterable[Sequence[Any]] = conn.execute(sa.select(enterprises.c.id, enterprises.c.registered_on))
    for enterprise_id, registered_on in registrations:
        changes[(DEFAULT_STATUS, None)][registered_on] += 1
        held[enterprise_id] = (DEFAULT_STATUS, None, registered_on)
    stored: Iterable[Sequence[Any]] = conn.execute(
        sa.select(
            status_changes.c.enterprise_id,
            status_changes.c.status,
            status_changes.c.reason,
            status_changes.c.effective_date,
        ).order_by(status_changes.c.id)
    )
    for enterprise_id, status, reason, day in stored:
        old_status, old_reason, since = held[enterprise_id]
        changes[(old_status, old_reason)][max(since, day)] -= 1
        changes[(status, reason)][day] += 1
        held[enterprise_id] = (status, reason, day)
    conn.execute(enterprise_status_days.delete())
    rows = [
        {"day": day, "status": status, "reason": reason, "enterprises": count}
        for (status, reason), by_day in changes.items()
        for day, count in _running(by_day)
    ]
    if rows:
        conn.execute(enterprise_status_days.insert(), rows)


def _fill_rectification_days(conn: sa.Connection) -> None:
    """How many rectification items are open and overdue at the end of each day either changed."""
    changes: dict[str, defaultdict[date, int]] = {"open": defaultdict(int), "overdue": defaultdict(int)}
    query = sa.select(inspections.c.date, rectifications.c.deadline, rectification_closures.c.closed_on).select_from(
        rectifications.join(inspections, inspections.c.id == rectifications.c.inspection_id).outerjoin(
            rectification_closures, rectification_closures.c.rectification_id == rectifications.c.id
        )
    )
    items: Iterable[Sequence[Any]] = conn.execute(query)
    for inspected_on, deadline, closed_on in items:
        overdue_from = max(inspected_on, deadline + timedelta(days=1))
        changes["open"][inspected_on] += 1
        changes["overdue"][overdue_from] += 1
        if closed_on is not None:
            changes["open"][closed_on] -= 1
            changes["overdue"][max(closed_on, overdue_from)] -= 1
    days = sorted({day for by_day in changes.values() for day in by_day})
    running = {figure: dict(_running({day: by_day.get(day, 0) for day in days})) for figure, by_day in changes.items()}
    conn.execute(rectification_days.delete())
    if days:
        conn.execute(
            rectification_days.insert(),
            [{"day": day, "open": running["open"][day], "overdue": running["overdue"][day]} for day in days],
        )
