"""The quarantine figures of a report date (design §4.2), site occupancy and the daily trend of people
under quarantine."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.db import Rows
from data_layer.quarantine.config import fever_threshold
from data_layer.quarantine.queries import current_episodes, current_on, is_effective
from data_layer.quarantine.tables import (
    DUE_WINDOW_DAYS,
    FOLLOWUP_ROUND_DUE,
    FOLLOWUPS_PER_DAY,
    MODES,
    SLOTS,
    quarantine_episodes,
    quarantine_followup_days,
    quarantine_followups,
    quarantine_sites,
)


class CurrentCounts(TypedDict):
    centralized: int
    home: int
    monitoring: int
    total: int


class QuarantineFigures(TypedDict):
    """The ``quarantine`` object of the daily briefing (design §6)."""

    current: CurrentCounts
    admitted: int
    released: int
    due_next_3_days: int
    overdue: int
    followups_missing: int
    fever_in_quarantine: int


def _followups_on(day: date) -> sa.Subquery:
    """Effective follow-ups per episode dated ``day`` (episodes with follow-ups that day only)."""
    days = quarantine_followup_days
    return sa.select(days.c.episode_id, days.c.readings.label("followups")).where(days.c.date == day).subquery()


def missing_followups(day: date) -> tuple[sa.Subquery, sa.ColumnElement[bool]]:
    """The follow-up counts of ``day`` and the condition "fewer than two" for a join with episodes."""
    counts = _followups_on(day)
    return counts, sa.func.coalesce(counts.c.followups, 0) < FOLLOWUPS_PER_DAY


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def figures(conn: Connection, day: date) -> QuarantineFigures:
    """The quarantine figures of design §4.2 for report date ``day``.

    ``current`` counts episodes current on D by mode; ``admitted`` those that
    start on D; ``released`` those released with end date D (transfers are not
    releases); ``due_next_3_days`` current episodes whose planned end falls on
    D+1…D+3; ``overdue`` current episodes whose planned end is D or earlier (due
    but not released by the end of D); ``followups_missing`` current episodes
    with fewer than two effective follow-ups dated D; ``fever_in_quarantine``
    effective follow-ups dated D at or above the fever threshold.
    """
    episode, followup = quarantine_episodes, quarantine_followups
    current = {mode: 0 for mode in MODES}
    overdue = due = missing = 0
    on_day = current_episodes(day)
    counts, fewer_than_two = missing_followups(day)
    by_mode: Rows = conn.execute(
        sa.select(
            on_day.c.mode,
            sa.func.count(),
            _count_if(on_day.c.planned_end <= day),
            _count_if(on_day.c.planned_end.between(day + timedelta(days=1), day + timedelta(days=DUE_WINDOW_DAYS))),
            _count_if(fewer_than_two),
        )
        .select_from(on_day.outerjoin(counts, counts.c.episode_id == on_day.c.id))
        .group_by(on_day.c.mode)
    )
    for mode, count, mode_overdue, mode_due, mode_missing in by_mode:
        current[mode] = count
        overdue += mode_overdue
        due += mode_due
        missing += mode_missing
    admitted, released = conn.execute(
        sa.select(
            _count_if(episode.c.start_date == day),
            _count_if(sa.and_(episode.c.status == "released", episode.c.end_date == day)),
        ).where(sa.or_(episode.c.start_date == day, episode.c.end_date == day))
    ).one()
    fever = conn.execute(
        sa.select(sa.func.count())
        .select_from(followup)
        .where(followup.c.date == day, followup.c.temperature >= fever_threshold(), is_effective())
    ).scalar_one()
    return {
        "current": CurrentCounts(
            centralized=current["centralized"],
            home=current["home"],
            monitoring=current["monitoring"],
            total=sum(current.values()),
        ),
        "admitted": admitted,
        "released": released,
        "due_next_3_days": due,
        "overdue": overdue,
        "followups_missing": missing,
        "fever_in_quarantine": fever,
    }


def site_occupancy(conn: Connection, day: date) -> list[dict]:
    """Per site (active ones, and closed ones still holding people): current centralized episodes on ``day``
    against capacity; ``rate`` is occupied / capacity with three decimals, ``free`` the places left, and
    ``last_entry_at`` when the site's newest follow-up dated ``day`` was entered (``None`` when it has none)."""
    site, episode = quarantine_sites, quarantine_episodes
    occupied = sa.func.count(episode.c.id)
    rows = conn.execute(
        sa.select(site.c.id, site.c.name, site.c.capacity, site.c.active, occupied.label("occupied"))
        .select_from(site.outerjoin(episode, sa.and_(episode.c.site_id == site.c.id, current_on(day))))
        .group_by(site.c.id, site.c.name, site.c.capacity, site.c.active)
        .having(sa.or_(site.c.active, occupied > 0))
        .order_by(site.c.name)
    ).mappings()
    last_entries = _site_last_entries(conn, day, day)
    return [
        {
            "site_id": row["id"],
            "name": row["name"],
            "capacity": row["capacity"],
            "occupied": row["occupied"],
            "free": max(row["capacity"] - row["occupied"], 0),
            "rate": round(row["occupied"] / row["capacity"], 3),
            "last_entry_at": last_entries.get(row["id"]),
        }
        for row in rows
    ]


def _site_last_entries(conn: Connection, first: date, last: date, until: datetime | None = None) -> dict[int, datetime]:
    """Per site, when its newest follow-up dated ``first``…``last`` (and entered by ``until``) was entered; read
    by the follow-ups' date index, so only those days of the ledger are read."""
    episode, followup = quarantine_episodes, quarantine_followups
    query = (
        sa.select(episode.c.site_id, sa.func.max(followup.c.entered_at).label("last_entry_at"))
        .select_from(followup.join(episode, episode.c.id == followup.c.episode_id))
        .where(followup.c.date.between(first, last), episode.c.site_id.is_not(None))
        .group_by(episode.c.site_id)
    )
    if until is not None:
        query = query.where(followup.c.entered_at <= until)
    return {row["site_id"]: row["last_entry_at"] for row in conn.execute(query).mappings()}


def due_round(moment: datetime) -> str | None:
    """The latest follow-up round of ``moment``'s day that is due by ``moment`` (:data:`FOLLOWUP_ROUND_DUE`):
    ``AM`` from 11:00, ``PM`` from 17:00, ``None`` before the first."""
    due = [slot for slot in SLOTS if moment.time() >= FOLLOWUP_ROUND_DUE[slot]]
    return due[-1] if due else None


def silent_sites(conn: Connection, now: datetime) -> list[dict]:
    """The sites silent at ``now``: their follow-up round due by then (:func:`due_round`) is missing for someone
    in them, the longest silent first. Expected of every centralized episode current on the day that began
    before it (a person admitted during the day joins the rounds the next day); a site with nobody in it is
    never silent.

    Each row has the site's ``name``, ``missing`` (the people without the round), ``due`` (the time the round was
    due) and ``last_entry_at`` (when its newest follow-up of the day or the day before was entered; ``None`` when
    none).
    """
    slot = due_round(now)
    if slot is None:
        return []
    day = now.date()
    site, episode, followup = quarantine_sites, quarantine_episodes, quarantine_followups
    has_round = sa.exists().where(
        followup.c.episode_id == episode.c.id,
        followup.c.date == day,
        followup.c.slot == slot,
        followup.c.entered_at <= now,
    )
    rows = conn.execute(
        sa.select(site.c.id, site.c.name, sa.func.count().label("missing"))
        .select_from(site.join(episode, episode.c.site_id == site.c.id))
        .where(current_on(day), episode.c.mode == "centralized", episode.c.start_date < day, ~has_round)
        .group_by(site.c.id, site.c.name)
    ).mappings()
    last_entries = _site_last_entries(conn, day - timedelta(days=1), day, now)
    silent = [
        {
            "name": row["name"],
            "missing": row["missing"],
            "due": FOLLOWUP_ROUND_DUE[slot],
            "last_entry_at": last_entries.get(row["id"]),
        }
        for row in rows
    ]
    return sorted(silent, key=lambda row: (row["last_entry_at"] or datetime.min, row["name"]))


def daily_current(conn: Connection, end_day: date, days: int = 30) -> list[dict]:
    """Episodes current on each of the ``days`` days ending ``end_day``, by mode and in total, oldest first.

    Counted from the changes rather than by testing every episode against every day: the count of the day
    before the first one, then each day's admissions added and endings (the later of end and start date)
    taken off. The first is one count, the others read only the episodes that start or end within the span,
    so the cost grows with the span's changes, not with the whole history times the days.
    """
    episode = quarantine_episodes
    first = end_day - timedelta(days=days - 1)
    ended_on = sa.case((episode.c.end_date > episode.c.start_date, episode.c.end_date), else_=episode.c.start_date)
    before = current_episodes(first - timedelta(days=1))
    opening = sa.select(
        sa.literal(first, sa.Date).label("day"), before.c.mode, sa.func.count().label("change")
    ).group_by(before.c.mode)
    admissions = sa.select(episode.c.start_date, episode.c.mode, sa.literal(1)).where(
        episode.c.start_date.between(first, end_day)
    )
    endings = sa.select(ended_on, episode.c.mode, sa.literal(-1)).where(
        episode.c.end_date.is_not(None),
        ended_on.between(first, end_day),
        sa.or_(episode.c.end_date.between(first, end_day), episode.c.start_date.between(first, end_day)),
    )
    changes = sa.union_all(opening, admissions, endings).subquery()
    rows: Rows = conn.execute(
        sa.select(changes.c.day, changes.c.mode, sa.func.sum(changes.c.change)).group_by(changes.c.day, changes.c.mode)
    )
    change_by_day: dict[date, dict[str, int]] = {}
    for day, mode, change in rows:
        change_by_day.setdefault(day, {})[mode] = change
    running = dict.fromkeys(MODES, 0)
    trend = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        for mode, change in change_by_day.get(day, {}).items():
            running[mode] += change
        trend.append({"day": day, **running, "total": sum(running.values())})
    return trend
