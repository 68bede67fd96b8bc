"""The enterprises figures for a report date: the briefing's counts, reopen rates per grouping and the reopen
trend."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.db import Rows, latest_on
from data_layer.enterprises.master import enterprise_statuses
from data_layer.enterprises.tables import (
    DEFAULT_STATUS,
    GROUPINGS,
    HELD_KEYS,
    REASONS,
    STATUSES,
    STATUSES_WITH_REASON,
    enterprise_status_days,
    enterprises,
    rectification_days,
    status_changes,
)


def _rate(reopened: int, total: int) -> float:
    return round(reopened / total, 3) if total else 0.0


def figures(conn: Connection, day: date) -> dict:
    """The enterprises part of the daily briefing (design §6) for the end of ``day``.

    ``total`` counts enterprises whose status is anything but closed;
    ``reopen_rate`` is reopened / total to three decimals (0.0 with no
    enterprises); ``by_reason`` counts the reasons of the not reopened and
    suspended ones, every reason code present; ``rectifications_open`` are items
    opened on or before the day and not closed by its end, and
    ``rectifications_overdue`` those of them whose deadline is before the day
    (an item due on the day itself is not overdue yet). ``closed`` is added.
    Both are read from the per-day tables (:data:`enterprise_status_days`,
    :data:`rectification_days`), one row of each count, so the time it takes
    grows neither with the number of enterprises or inspections nor with the
    days of history.
    """
    by_status = dict.fromkeys(STATUSES, 0)
    by_reason = dict.fromkeys(REASONS, 0)
    for status, reason, count in _held_on(conn, day):
        by_status[status] += count
        if status in STATUSES_WITH_REASON and reason in by_reason:
            by_reason[reason] += count
    total = sum(by_status.values()) - by_status["closed"]
    items = conn.execute(latest_on(rectification_days, {}, day)).mappings().first()
    open_items, overdue_items = (items["open"], items["overdue"]) if items else (0, 0)
    return {
        "total": total,
        "reopened": by_status["reopened"],
        "reopen_rate": _rate(by_status["reopened"], total),
        "applied": by_status["applied"],
        "not_reopened": by_status["not_reopened"],
        "suspended": by_status["suspended"],
        "closed": by_status["closed"],
        "by_reason": by_reason,
        "rectifications_open": open_items,
        "rectifications_overdue": overdue_items,
    }


def reopen_rates(conn: Connection, day: date, by: str) -> list[dict]:
    """Reopening per kind, sector or grid at the end of ``day``, the laggards first.

    Each row: ``group``, ``total`` (not closed), ``reopened``, ``lagging``
    (total − reopened: applied, not reopened or suspended) and ``reopen_rate``;
    sorted by rate (lowest first), then by the number lagging.
    """
    if by not in GROUPINGS:
        raise ValueError(f"reopen rates are grouped by one of {GROUPINGS}, not {by!r}")
    return reopen_rates_by_grouping(conn, day, (by,))[by]


def reopen_rates_by_grouping(
    conn: Connection, day: date, groupings: tuple[str, ...] = GROUPINGS
) -> dict[str, list[dict]]:
    """:func:`reopen_rates` for each of ``groupings`` at once: one statement, in which the statuses at the end
    of ``day`` are worked out once for all the groupings (a page shows all three side by side)."""
    current = enterprise_statuses(day).cte("current")
    reopened = sa.func.sum(sa.case((current.c.status == "reopened", 1), else_=0))
    parts = [
        sa.select(
            sa.literal(by, sa.String).label("grouping"),
            current.c[by].label("name"),
            sa.func.count().label("total"),
            reopened.label("reopened"),
        )
        .where(current.c.status != "closed")
        .group_by(current.c[by])
        for by in groupings
    ]
    found: dict[str, list[dict]] = {by: [] for by in groupings}
    counted: Rows = conn.execute(sa.union_all(*parts) if len(parts) > 1 else parts[0])
    for by, name, total, reopened_count in counted:
        found[by].append(
            {
                "group": name,
                "total": total,
                "reopened": reopened_count,
                "lagging": total - reopened_count,
                "reopen_rate": _rate(reopened_count, total),
            }
        )
    return {
        by: sorted(rows, key=lambda row: (row["reopen_rate"], -row["lagging"], row["group"]))
        for by, rows in found.items()
    }


def _status_spans(since: date) -> sa.CTE:
    """Each stretch of days an enterprise held one status: from ``starts`` up to, not including, ``ends``;
    only for the enterprises whose status may have changed from ``since`` on (a change dated then or later,
    or registered then or later).

    A change lasts until the enterprise's next change (``ends`` is null for the
    current status); two changes on one day leave the earlier an empty span. An
    enterprise registered before its first change is not reopened in between,
    matching :func:`enterprise_statuses`.
    """
    changed = sa.select(status_changes.c.enterprise_id).where(status_changes.c.effective_date >= since)
    registered = sa.select(enterprises.c.id).where(enterprises.c.registered_on >= since)
    affected = sa.union(changed, registered)
    following = sa.func.lead(status_changes.c.effective_date).over(
        partition_by=status_changes.c.enterprise_id, order_by=(status_changes.c.effective_date, status_changes.c.id)
    )
    changes = sa.select(
        status_changes.c.status, status_changes.c.effective_date.label("starts"), following.label("ends")
    ).where(status_changes.c.enterprise_id.in_(affected))
    first = (
        sa.select(status_changes.c.enterprise_id, sa.func.min(status_changes.c.effective_date).label("first_date"))
        .where(status_changes.c.enterprise_id.in_(affected))
        .group_by(status_changes.c.enterprise_id)
        .subquery("first_change")
    )
    before_first = (
        sa.select(sa.literal(DEFAULT_STATUS, sa.String), enterprises.c.registered_on, first.c.first_date)
        .select_from(enterprises.outerjoin(first, first.c.enterprise_id == enterprises.c.id))
        .where(
            enterprises.c.id.in_(affected),
            sa.or_(first.c.first_date.is_(None), first.c.first_date > enterprises.c.registered_on),
        )
    )
    return sa.union_all(changes, before_first).cte("spans")


_HELD_ON_DAY = sa.select(
    *(
        latest_on(enterprise_status_days, {"status": status, "reason": reason}, sa.bindparam("day", type_=sa.Date))
        .with_only_columns(enterprise_status_days.c.enterprises)
        .scalar_subquery()
        for status, reason in HELD_KEYS
    )
)
"""The number holding each of :data:`HELD_KEYS` at the end of the day bound as ``day``: the key's last row on or
before it, one look-up by index each. Built once: building its subqueries took ten times as long as running
them."""


def _held_on(conn: Connection, day: date) -> list[tuple[str, str | None, int]]:
    """How many enterprises hold each status, with each reason, at the end of ``day`` (closed ones included),
    read from :data:`enterprise_status_days` so that the cost follows neither the enterprises nor the days of
    history."""
    counts: Sequence[Any] = conn.execute(_HELD_ON_DAY, {"day": day}).one()
    return [(status, reason, count) for (status, reason), count in zip(HELD_KEYS, counts, strict=True) if count]


def _status_counts(conn: Connection, day: date) -> dict[str, int]:
    """How many enterprises hold each status at the end of ``day`` (closed ones included)."""
    counts: dict[str, int] = {}
    for status, _reason, count in _held_on(conn, day):
        counts[status] = counts.get(status, 0) + count
    return counts


def reopen_trend(conn: Connection, end_day: date, days: int = 30) -> list[dict]:
    """Total, reopened and reopen rate at the end of each of the ``days`` days ending ``end_day``, oldest first.

    The statuses at the end of the day before the first are counted as :func:`figures` counts them; then each
    status span of an enterprise whose status moved within the period adds one to its status on the day it
    starts and takes one away on the day it ends. Only the enterprises that changed are walked, so the cost
    follows the period's changes rather than every change ever recorded, and each day gets the same numbers as
    :func:`figures`.
    """
    first = end_day - timedelta(days=days - 1)
    spans = _status_spans(first)
    steps = sa.union_all(
        sa.select(spans.c.status, spans.c.starts.label("day"), sa.literal(1).label("step")),
        sa.select(spans.c.status, spans.c.ends, sa.literal(-1)).where(spans.c.ends.is_not(None)),
    ).subquery("steps")
    rows: Rows = conn.execute(
        sa.select(steps.c.day, steps.c.status, sa.func.sum(steps.c.step))
        .where(steps.c.day.between(first, end_day))
        .group_by(steps.c.day, steps.c.status)
    ).all()
    changes: dict[date, dict[str, int]] = {}
    for day, status, step in rows:
        changes.setdefault(day, {})[status] = step
    running = _status_counts(conn, first - timedelta(days=1))
    trend = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        for status, step in changes.get(day, {}).items():
            running[status] = running.get(status, 0) + step
        reopened = running.get("reopened", 0)
        total = sum(running.values()) - running.get("closed", 0)
        trend.append({"date": day, "total": total, "reopened": reopened, "reopen_rate": _rate(reopened, total)})
    return trend
