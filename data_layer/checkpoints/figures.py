"""The checkpoint figures of a report date (design §4.1): the briefing's sums and reporting status, the
per-checkpoint table, the daily trend and the hourly throughput."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer import clock
from data_layer.checkpoints.counts import is_effective
from data_layer.checkpoints.tables import (
    COUNT_FIELDS,
    MAX_PERIOD,
    checkpoint_counts,
    checkpoint_daily_totals,
    checkpoints,
)
from data_layer.db import Rows


class Totals(TypedDict):
    persons: int
    vehicles: int
    fever: int
    turned_back: int


class CheckpointFigures(Totals):
    """The "checkpoints" object of the daily briefing (design §6)."""

    active_checkpoints: int
    reported_checkpoints: int
    not_reported: list[str]
    cumulative: Totals


def _starting_within(start: datetime, end: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(checkpoint_counts.c.period_start >= start, checkpoint_counts.c.period_start < end)


def _sum(column: sa.ColumnElement) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(column), 0)


def _newest_totals(day: date) -> sa.FromClause:
    """Each checkpoint joined to its :data:`checkpoint_daily_totals` row of the newest day on or before ``day``
    (none when it has no entry that early): one index lookup per checkpoint, however long the history."""
    totals, earlier = checkpoint_daily_totals, checkpoint_daily_totals.alias("earlier")
    newest_day = (
        sa.select(sa.func.max(earlier.c.day))
        .where(earlier.c.checkpoint_id == checkpoints.c.id, earlier.c.day <= day)
        .scalar_subquery()
    )
    return checkpoints.outerjoin(
        totals, sa.and_(totals.c.checkpoint_id == checkpoints.c.id, totals.c.day == newest_day)
    )


def figures(conn: Connection, day: date) -> CheckpointFigures:
    """The checkpoint figures of report date ``day`` (design §4.1, the "checkpoints" object of §6).

    An entry belongs to the day its period starts on, so a night shift from
    23:00 to 07:00 counts for the evening it began. The day's sums and the
    cumulative sums (everything up to the end of the day) count effective
    entries of all checkpoints, closed ones included. ``active_checkpoints``,
    ``reported_checkpoints`` and ``not_reported`` concern the checkpoints
    active now; a checkpoint reported when it has at least one effective
    entry starting on the day, a zero report included. ``not_reported`` is
    sorted by code point, the same on every database whatever its collation.
    All of it is read from :data:`checkpoint_daily_totals`, so the time it takes
    grows with the number of checkpoints, not with the length of the history.
    """
    totals = checkpoint_daily_totals
    on_day = totals.c.day == day
    columns = [_sum(sa.case((on_day, totals.c[name]), else_=0)) for name in COUNT_FIELDS]
    columns += [_sum(totals.c[f"cumulative_{name}"]) for name in COUNT_FIELDS]
    sums = conn.execute(sa.select(*columns).select_from(_newest_totals(day))).one()
    reported_column = sa.func.coalesce(totals.c.entries, 0) > 0
    status = conn.execute(
        sa.select(checkpoints.c.name, reported_column)
        .select_from(checkpoints.outerjoin(totals, sa.and_(totals.c.checkpoint_id == checkpoints.c.id, on_day)))
        .where(checkpoints.c.active)
    ).all()
    return _checkpoint_figures(sums[:4], sums[4:], status)


def _checkpoint_figures(
    day_sums: Sequence[int], cumulative: Sequence[int], status: Iterable[tuple[str, bool]]
) -> CheckpointFigures:
    """The briefing's checkpoint object from the day's sums, the cumulative sums (both in :data:`COUNT_FIELDS`
    order) and (name, reported) of every active checkpoint."""
    status = list(status)
    return {
        **_totals(day_sums),
        "active_checkpoints": len(status),
        "reported_checkpoints": sum(1 for _, reported in status if reported),
        "not_reported": sorted(name for name, reported in status if not reported),
        "cumulative": _totals(cumulative),
    }


def _totals(sums: Sequence[Any]) -> Totals:
    """The four counts from their sums, given in the order of ``COUNT_FIELDS``."""
    persons, vehicles, fever, turned_back = (int(value) for value in sums)
    return {"persons": persons, "vehicles": vehicles, "fever": fever, "turned_back": turned_back}


def figures_by(conn: Connection, day: date, until: datetime) -> CheckpointFigures:
    """The checkpoint figures of ``day`` as far as its periods had ended by ``until`` (a moment of ``day``):
    yesterday "up to the same time of day", to set beside an unfinished today.

    Every entry's period has ended when it is entered (a period may not end in
    the future), so today's figures at 16:10 count periods over by 16:10; this
    counts the effective entries starting on ``day`` whose period was over by
    ``until``, like with like. The cumulative sums are those of the day before
    plus these. It reads the ledger of one day, not the per-day totals, which
    hold whole days only.
    """
    start, end = clock.day_bounds(day)
    ended = sa.and_(_starting_within(start, end), checkpoint_counts.c.period_end <= until, is_effective())
    per_checkpoint = (
        sa.select(
            checkpoint_counts.c.checkpoint_id,
            *[sa.func.sum(checkpoint_counts.c[name]).label(name) for name in COUNT_FIELDS],
        )
        .where(ended)
        .group_by(checkpoint_counts.c.checkpoint_id)
        .subquery()
    )
    rows = (
        conn.execute(
            sa.select(
                checkpoints.c.name,
                checkpoints.c.active,
                per_checkpoint.c.checkpoint_id.is_not(None).label("reported"),
                *[sa.func.coalesce(per_checkpoint.c[name], 0).label(name) for name in COUNT_FIELDS],
            ).select_from(checkpoints.outerjoin(per_checkpoint, per_checkpoint.c.checkpoint_id == checkpoints.c.id))
        )
        .mappings()
        .all()
    )
    day_sums = [sum(int(row[name]) for row in rows) for name in COUNT_FIELDS]
    earlier = figures(conn, day - timedelta(days=1))["cumulative"]
    before = (earlier["persons"], earlier["vehicles"], earlier["fever"], earlier["turned_back"])
    cumulative = [total + value for total, value in zip(before, day_sums, strict=True)]
    return _checkpoint_figures(
        day_sums, cumulative, ((row["name"], bool(row["reported"])) for row in rows if row["active"])
    )


def silent_checkpoints(conn: Connection, now: datetime, quiet: timedelta) -> list[dict]:
    """The active checkpoints that have entered nothing (an entry, a zero report or a correction) for longer than
    ``quiet`` up to ``now``, the longest silent first: a checkpoint is on duty in every shift (三班倒 covers the
    day), so a silent one has missed a report, which "not reported today" says only once a whole day is missing.

    Each row has the checkpoint's ``name`` and ``last_entry_at``, its newest entry within a day before the
    silence began (``None`` when there is none that recent). Only that window of the ledger is read, by its
    index on ``entered_at``.
    """
    newest = (
        sa.select(checkpoint_counts.c.checkpoint_id, sa.func.max(checkpoint_counts.c.entered_at).label("last_entry_at"))
        .where(checkpoint_counts.c.entered_at > now - quiet - timedelta(days=1), checkpoint_counts.c.entered_at <= now)
        .group_by(checkpoint_counts.c.checkpoint_id)
        .subquery()
    )
    rows = conn.execute(
        sa.select(checkpoints.c.name, newest.c.last_entry_at)
        .select_from(checkpoints.outerjoin(newest, newest.c.checkpoint_id == checkpoints.c.id))
        .where(checkpoints.c.active)
    ).mappings()
    silent = [dict(row) for row in rows if row["last_entry_at"] is None or row["last_entry_at"] < now - quiet]
    return sorted(silent, key=lambda row: (row["last_entry_at"] or datetime.min, row["name"]))


def checkpoint_table(conn: Connection, day: date) -> list[dict]:
    """One row per active checkpoint for ``day``: its master data, the sums of its effective entries starting
    on the day, whether it reported, and ``last_entry_at`` (when its newest of those entries was entered;
    ``None`` when it has not reported). Ordered by grid and name."""
    start, end = clock.day_bounds(day)
    sums = (
        sa.select(
            checkpoint_counts.c.checkpoint_id,
            *[sa.func.sum(checkpoint_counts.c[name]).label(name) for name in COUNT_FIELDS],
            sa.func.max(checkpoint_counts.c.entered_at).label("last_entry_at"),
        )
        .where(_starting_within(start, end), is_effective())
        .group_by(checkpoint_counts.c.checkpoint_id)
        .subquery()
    )
    query = (
        sa.select(
            checkpoints.c.id,
            checkpoints.c.name,
            checkpoints.c.grid,
            checkpoints.c.kind,
            checkpoints.c.latitude,
            checkpoints.c.longitude,
            *[sa.func.coalesce(sums.c[name], 0).label(name) for name in COUNT_FIELDS],
            sums.c.checkpoint_id.is_not(None).label("reported"),
            sums.c.last_entry_at,
        )
        .select_from(checkpoints.outerjoin(sums, sums.c.checkpoint_id == checkpoints.c.id))
        .where(checkpoints.c.active)
        .order_by(checkpoints.c.grid, checkpoints.c.name)
    )
    return [{**row, "reported": bool(row["reported"])} for row in conn.execute(query).mappings()]


def daily_trend(conn: Connection, end_day: date, days: int = 14) -> list[dict]:
    """The day sums of the ``days`` days ending ``end_day``, oldest first, with zeros for days without entries;
    each day counts the effective entries starting on it, as :func:`figures` does."""
    first_day = end_day - timedelta(days=days - 1)
    start, _ = clock.day_bounds(first_day)
    _, end = clock.day_bounds(end_day)
    day = sa.func.date(checkpoint_counts.c.period_start, type_=sa.Date).label("day")
    query = (
        sa.select(day, *[_sum(checkpoint_counts.c[name]).label(name) for name in COUNT_FIELDS])
        .where(_starting_within(start, end), is_effective())
        .group_by(day)
    )
    found = {row["day"]: row for row in conn.execute(query).mappings()}
    trend = []
    for offset in range(days):
        current = first_day + timedelta(days=offset)
        row = found.get(current)
        trend.append({"day": current, **{name: int(row[name]) if row else 0 for name in COUNT_FIELDS}})
    return trend


def hourly_throughput(conn: Connection, day: date) -> list[dict]:
    """How many people, vehicles, fever readings and turn-backs fell in each hour of ``day`` (24 rows).

    A shift's counts are spread evenly over its minutes, as the register does
    not say when within the shift each person passed. Entries that cross
    midnight contribute only their share inside the day, so the hours of a
    day need not add up to the day's figures (which go by the start of the
    period).
    """
    start, end = clock.day_bounds(day)
    query = sa.select(
        checkpoint_counts.c.period_start,
        checkpoint_counts.c.period_end,
        *[checkpoint_counts.c[name] for name in COUNT_FIELDS],
    ).where(
        checkpoint_counts.c.period_start >= start - MAX_PERIOD,
        checkpoint_counts.c.period_start < end,
        checkpoint_counts.c.period_end > start,
        is_effective(),
    )
    shares = [[0.0] * len(COUNT_FIELDS) for _ in range(24)]
    rows: Rows = conn.execute(query)
    for period_start, period_end, *counts in rows:
        begins, ends = ((moment - start).total_seconds() / 3600 for moment in (period_start, period_end))
        for hour in range(max(0, math.floor(begins)), min(24, math.ceil(ends))):
            fraction = (min(ends, hour + 1) - max(begins, hour)) / (ends - begins)
            share = shares[hour]
            for index, count in enumerate(counts):
                share[index] += count * fraction
    return [
        {"hour": hour, **{name: round(value, 1) for name, value in zip(COUNT_FIELDS, share, strict=True)}}
        for hour, share in enumerate(shares)
    ]
