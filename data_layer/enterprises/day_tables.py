"""The per-day tables of the enterprises domain (:data:`enterprise_status_days`, :data:`rectification_days`):
running totals (:mod:`data_layer.db.running`) kept in step by every registration, status change, inspection
and closure (``update_<table>``), and rebuilt from the history (``rebuild_<table>``, listed in
:data:`data_layer.derived.DERIVED_TABLES`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.db import Rows, add_from_day, take_turns
from data_layer.enterprises.tables import (
    DEFAULT_STATUS,
    enterprise_status_days,
    enterprises,
    inspections,
    rectification_closures,
    rectification_days,
    rectifications,
    status_changes,
)


def _count_status(conn: Connection, day: date, status: str, reason: str | None, change: int) -> None:
    add_from_day(conn, enterprise_status_days, {"status": status, "reason": reason}, day, {"enterprises": change})


def update_enterprise_status_days(
    conn: Connection, enterprise_id: int, status: str, effective_date: date, reason: str | None
) -> None:
    """Move the enterprise in :data:`enterprise_status_days` from the status it holds (its newest change, or
    not reopened since its registration) to ``status`` from ``effective_date`` on; called before the change
    is stored. An enterprise without a stored change is being registered: it is counted first as not
    reopened from its registration day. A change never takes effect before the current status did
    (:func:`check_transition`), so from that date on the enterprise held its current status; a registration
    dated after the first change's date is superseded by it."""
    take_turns(conn, enterprise_status_days)
    newest: Sequence[Any] | None = conn.execute(
        sa.select(status_changes.c.status, status_changes.c.reason, status_changes.c.effective_date)
        .where(status_changes.c.enterprise_id == enterprise_id)
        .order_by(status_changes.c.id.desc())
        .limit(1)
    ).first()
    if newest is None:
        registered_on: date = conn.execute(
            sa.select(enterprises.c.registered_on).where(enterprises.c.id == enterprise_id)
        ).scalar_one()
        newest = (DEFAULT_STATUS, None, registered_on)
        _count_status(conn, registered_on, DEFAULT_STATUS, None, 1)
    _count_status(conn, max(newest[2], effective_date), newest[0], newest[1], -1)
    _count_status(conn, effective_date, status, reason, 1)


def _overdue_from(inspected_on: date, deadline: date) -> date:
    """The first day an open item counts as overdue: past its deadline, and not before it was opened."""
    return max(inspected_on, deadline + timedelta(days=1))


def update_rectification_days(conn: Connection, inspected_on: date, deadline: date, closed_on: date | None) -> None:
    """Count one rectification item in :data:`rectification_days`: opened (``closed_on`` None) or closed."""
    take_turns(conn, rectification_days)
    overdue_from = _overdue_from(inspected_on, deadline)
    if closed_on is None:
        add_from_day(conn, rectification_days, {}, inspected_on, {"open": 1, "overdue": 0})
        add_from_day(conn, rectification_days, {}, overdue_from, {"open": 0, "overdue": 1})
    else:
        add_from_day(conn, rectification_days, {}, closed_on, {"open": -1, "overdue": 0})
        add_from_day(conn, rectification_days, {}, max(closed_on, overdue_from), {"open": 0, "overdue": -1})


def _add_event(events: dict[tuple, int], key: tuple, change: int) -> None:
    events[key] = events.get(key, 0) + change


def _status_events(conn: Connection) -> dict[tuple[date, str, str | None], int]:
    """The rows of :data:`enterprise_status_days` as the registrations and changes stored so far make them,
    replayed in the order :func:`update_enterprise_status_days` counts them."""
    events: dict[tuple[date, str, str | None], int] = {}
    held: dict[int, tuple[str, str | None, date]] = {}
    registrations: Rows = conn.execute(sa.select(enterprises.c.id, enterprises.c.registered_on))
    for enterprise_id, registered_on in registrations:
        _add_event(events, (registered_on, DEFAULT_STATUS, None), 1)
        held[enterprise_id] = (DEFAULT_STATUS, None, registered_on)
    changes: Rows = conn.execute(
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
    return events


def _rectification_events(conn: Connection) -> dict[tuple[date, str], int]:
    """The rows of :data:`rectification_days` as the inspections and closures stored so far make them."""
    events: dict[tuple[date, str], int] = {}
    query = sa.select(inspections.c.date, rectifications.c.deadline, rectification_closures.c.closed_on).select_from(
        rectifications.join(inspections, inspections.c.id == rectifications.c.inspection_id).outerjoin(
            rectification_closures, rectification_closures.c.rectification_id == rectifications.c.id
        )
    )
    items: Rows = conn.execute(query)
    for inspected_on, deadline, closed_on in items:
        overdue_from = _overdue_from(inspected_on, deadline)
        _add_event(events, (inspected_on, "open"), 1)
        _add_event(events, (overdue_from, "overdue"), 1)
        if closed_on is not None:
            _add_event(events, (closed_on, "open"), -1)
            _add_event(events, (max(closed_on, overdue_from), "overdue"), -1)
    return events


def _running(changes: Mapping[date, int]) -> Iterator[tuple[date, int]]:
    """Each day with a change, and the total of the changes up to it."""
    total = 0
    for day in sorted(changes):
        total += changes[day]
        yield day, total


def rebuild_enterprise_status_days(conn: Connection) -> None:
    """Compute :data:`enterprise_status_days` afresh from the registrations and status changes: a row on each
    day a status with a reason gained or lost an enterprise (a day whose changes cancel out included, as the
    updater leaves it)."""
    conn.execute(enterprise_status_days.delete())
    by_key: dict[tuple[str, str | None], dict[date, int]] = {}
    for (day, status, reason), change in _status_events(conn).items():
        by_key.setdefault((status, reason), {})[day] = change
    statuses = [
        {"day": day, "status": status, "reason": reason, "enterprises": held}
        for (status, reason), changes in by_key.items()
        for day, held in _running(changes)
    ]
    if statuses:
        conn.execute(enterprise_status_days.insert(), statuses)


def rebuild_rectification_days(conn: Connection) -> None:
    """Compute :data:`rectification_days` afresh from the inspections and closures."""
    conn.execute(rectification_days.delete())
    by_figure: dict[str, dict[date, int]] = {"open": {}, "overdue": {}}
    for (day, figure), change in _rectification_events(conn).items():
        by_figure[figure][day] = change
    days = sorted({day for changes in by_figure.values() for day in changes})
    running = {figure: dict(_running(dict.fromkeys(days, 0) | changes)) for figure, changes in by_figure.items()}
    if days:
        conn.execute(
            rectification_days.insert(),
            [{"day": day, "open": running["open"][day], "overdue": running["overdue"][day]} for day in days],
        )
