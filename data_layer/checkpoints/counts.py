"""The count ledger: count entries, zero reports, corrections and import files, with their checks, and the
per-day totals kept from the ledger in the same transaction."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any, overload

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from data_layer import clock
from data_layer.checkpoints.master import CHECKPOINTS
from data_layer.checkpoints.tables import (
    COUNT_FIELDS,
    DOMAIN,
    ENTRY_FIELDS,
    MAX_PERIOD,
    TOTAL_FIELDS,
    checkpoint_counts,
    checkpoint_daily_totals,
    checkpoints,
)
from data_layer.db import Directory, Finder, Record, WriteContext, referenced_row
from data_layer.permissions import require_write
from data_layer.validation import (
    EARLIEST_YEAR,
    MAX_COUNT,
    STRICT_MINUTE,
    Checks,
    T,
    is_blank,
    raise_if_any_row,
)

_superseding = checkpoint_counts.alias("superseding")

Period = tuple[datetime, datetime]
ClashFinder = Callable[[int, datetime, datetime], Period | None]
MAX_COUNT_DIGITS = len(str(MAX_COUNT))


def is_effective() -> sa.ColumnElement[bool]:
    """True for a count entry that no other entry supersedes."""
    return ~sa.exists().where(_superseding.c.supersedes_id == checkpoint_counts.c.id)


@overload
def _minute(moment: datetime) -> datetime: ...
@overload
def _minute(moment: None) -> None: ...
def _minute(moment: datetime | None) -> datetime | None:
    """Periods are kept to the minute, as the paper register and the import files write them."""
    return moment if moment is None or not moment.second else moment.replace(second=0)


def _shown(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _effective_periods(checkpoint: sa.ColumnElement[bool], start: datetime, end: datetime) -> sa.Select:
    """The effective entries of the checkpoints ``checkpoint`` selects that may overlap [start, end), by start.

    No period lasts more than 24 hours, so only entries starting in the day
    before ``start`` can reach into it; that bound keeps the lookup on the index.
    """
    return (
        sa.select(checkpoint_counts.c.checkpoint_id, checkpoint_counts.c.period_start, checkpoint_counts.c.period_end)
        .where(
            checkpoint,
            checkpoint_counts.c.period_start > start - MAX_PERIOD,
            checkpoint_counts.c.period_start < end,
            checkpoint_counts.c.period_end > start,
            is_effective(),
        )
        .order_by(checkpoint_counts.c.period_start)
    )


def overlapping_entries(conn: Connection, checkpoint_id: int, start: datetime, end: datetime) -> list[dict]:
    """The effective entries of a checkpoint whose period overlaps [start, end), with their counts: what an
    entry for that period collides with, and what the clerk may correct instead."""
    query = _effective_periods(checkpoint_counts.c.checkpoint_id == checkpoint_id, _minute(start), _minute(end))
    columns = [checkpoint_counts.c.id, *[checkpoint_counts.c[name] for name in COUNT_FIELDS]]
    return [dict(row) for row in conn.execute(query.add_columns(*columns)).mappings()]


def _stored_clash(conn: Connection, replaces: int | None) -> ClashFinder:
    """Finds the first stored effective entry overlapping a period (the entry being replaced aside)."""

    def find(checkpoint_id: int, start: datetime, end: datetime) -> Period | None:
        query = _effective_periods(checkpoint_counts.c.checkpoint_id == checkpoint_id, start, end)
        if replaces is not None:
            query = query.where(checkpoint_counts.c.id != replaces)
        clash = conn.execute(query.limit(1)).first()
        return None if clash is None else (clash.period_start, clash.period_end)

    return find


def _check_overlap(checks: Checks, values: Mapping[str, Any], find_clash: ClashFinder) -> None:
    """Refuse an entry whose period overlaps another effective entry of its checkpoint, naming that entry's
    period; only checked once the checkpoint is known and the period is a valid one."""
    checkpoint_id, start, end = values["checkpoint_id"], values["period_start"], values["period_end"]
    if checkpoint_id is None or start is None or end is None or checks.has_error("period_end"):
        return
    clash = find_clash(checkpoint_id, start, end)
    if clash is not None:
        checks.fail("period_start", "checkpoints.error.overlap", start=_shown(clash[0]), end=_shown(clash[1]))


def _period(checks: Checks, data: Mapping[str, object]) -> tuple[datetime | None, datetime | None]:
    """The entry's period: ends after it starts, lasts at most 24 h and lies in the past."""
    start = _minute(checks.moment(data.get("period_start"), "period_start"))
    end = _minute(checks.moment(data.get("period_end"), "period_end"))
    if start is None or end is None:
        return start, end
    if end <= start:
        checks.fail("period_end", "checkpoints.error.end_not_after_start")
    elif end - start > MAX_PERIOD:
        checks.fail("period_end", "checkpoints.error.period_too_long", hours=int(MAX_PERIOD.total_seconds() // 3600))
    return start, end


def _counts(checks: Checks, data: Mapping[str, object]) -> dict[str, int | None]:
    """The four counts: whole numbers ≥ 0, no more fever readings than people, no more turned back than checked."""
    counts = {name: checks.integer(data.get(name), name) for name in COUNT_FIELDS}
    persons, vehicles, fever, turned_back = (counts[name] for name in COUNT_FIELDS)
    if persons is not None and fever is not None and fever > persons:
        checks.fail("fever", "checkpoints.error.fever_above_persons", persons=persons)
    if persons is not None and vehicles is not None and turned_back is not None and turned_back > persons + vehicles:
        checks.fail("turned_back", "checkpoints.error.turned_back_above_checked", checked=persons + vehicles)
    return counts


def _entry_values(ctx: WriteContext, checks: Checks, checkpoint: RowMapping | None, data: Mapping[str, object]) -> dict:
    """Validate an entry's period, counts and note (not yet the overlap, see :func:`_check_overlap`);
    the row to insert (meaningful once no check failed)."""
    start, end = _period(checks, data)
    return {
        "checkpoint_id": None if checkpoint is None else checkpoint["id"],
        "period_start": start,
        "period_end": end,
        **_counts(checks, data),
        "note": checks.text(data.get("note"), "note", required=False, max_length=500),
        "entered_by": ctx.actor.username,
        "entered_at": checks.now(),
    }


def _checkpoint_for_entry(ctx: WriteContext, checks: Checks, value: object, find: Finder) -> RowMapping | None:
    """The active checkpoint a new entry is for (``find`` locks it, so that racing entries cannot overlap)."""
    checkpoint = referenced_row(checks, "checkpoint", value, find)
    if checkpoint is None:
        return None
    require_write(ctx.actor, DOMAIN, checkpoint["id"])
    if not checkpoint["active"]:
        checks.fail("checkpoint", "checkpoints.error.inactive", value=checkpoint["name"])
    return checkpoint


def _new_entry(
    ctx: WriteContext, data: Mapping[str, object], find: Finder, now: datetime | None = None
) -> tuple[Checks, dict]:
    """Check a new entry, all but the overlap: its checks (with the problems found) and the row to insert."""
    checks = Checks(DOMAIN, now)
    checkpoint = _checkpoint_for_entry(ctx, checks, data.get("checkpoint"), find)
    return checks, _entry_values(ctx, checks, checkpoint, data)


def add_count(ctx: WriteContext, data: Mapping[str, object]) -> int:
    """Store one count entry and return its id.

    ``data`` holds ``checkpoint`` (name or id), ``period_start``, ``period_end``,
    ``persons``, ``vehicles``, ``fever``, ``turned_back`` and an optional ``note``,
    as Python values or as the text of an import file. All counts 0 is a zero report.
    """
    require_write(ctx.actor, DOMAIN)
    checks, values = _new_entry(ctx, data, CHECKPOINTS.finder(ctx.conn, lock=True))
    _check_overlap(checks, values, _stored_clash(ctx.conn, replaces=None))
    checks.raise_if_any()
    entry_id = ctx.insert(checkpoint_counts, "checkpoints.add_count", values)
    update_checkpoint_daily_totals(ctx.conn, [values])
    return entry_id


class _PeriodLedger:
    """The effective periods a batch of entries must not overlap, per checkpoint and sorted by start: the
    stored ones over the batch's span (one query) and the batch's entries accepted so far. The starts are
    also kept in a list of their own, which bisects by plain comparison instead of a key call per step."""

    def __init__(self, conn: Connection, entries: Sequence[dict]):
        dated = [
            values
            for values in entries
            if values["checkpoint_id"] is not None
            and values["period_start"] is not None
            and values["period_end"] is not None
        ]
        self.periods: dict[int, list[Period]] = {values["checkpoint_id"]: [] for values in dated}
        self.starts: dict[int, list[datetime]] = {checkpoint_id: [] for checkpoint_id in self.periods}
        if not dated:
            return
        span = (min(values["period_start"] for values in dated), max(values["period_end"] for values in dated))
        chosen = checkpoint_counts.c.checkpoint_id.in_(sorted(self.periods))
        for row in conn.execute(_effective_periods(chosen, *span)):
            self.periods[row.checkpoint_id].append((row.period_start, row.period_end))
            self.starts[row.checkpoint_id].append(row.period_start)

    def clash(self, checkpoint_id: int, start: datetime, end: datetime) -> Period | None:
        """The earliest-starting period that overlaps [start, end), as :func:`_effective_periods` finds it."""
        periods, starts = self.periods[checkpoint_id], self.starts[checkpoint_id]
        first, last = bisect_right(starts, start - MAX_PERIOD), bisect_left(starts, end)
        return next((period for period in periods[first:last] if period[1] > start), None)

    def add(self, checkpoint_id: int, start: datetime, end: datetime) -> None:
        starts = self.starts[checkpoint_id]
        position = bisect_right(starts, start)
        starts.insert(position, start)
        self.periods[checkpoint_id].insert(position, (start, end))


def _plain_count(text: str) -> int | None:
    """A count written as plain digits within the form's bounds, or ``None`` for any other text."""
    if not text.isdecimal() or len(text) > MAX_COUNT_DIGITS:
        return None
    number = int(text)
    return number if number <= MAX_COUNT else None


def _plain_moment(text: str, now: datetime) -> datetime | None:
    """A time written ``YYYY-MM-DD HH:MM`` that the form accepts (a real date, not before its earliest year, not
    after ``now``), or ``None`` for any other text."""
    if not STRICT_MINUTE.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.year >= EARLIEST_YEAR and moment <= now else None


def _plain_column(values: Sequence[object], read: Callable[[str], T | None]) -> list[T | None]:
    """A column of a file read at once: each distinct text read once by ``read`` (a file repeats its periods and
    counts on thousands of rows), ``None`` for a cell in any other form, which the form's checks then read."""
    known = {text: read(text) for text in {value for value in values if type(value) is str}}
    return [known[value] if type(value) is str else None for value in values]


def _plain_checkpoints(ctx: WriteContext, values: Sequence[object], find: Finder) -> dict[str, RowMapping]:
    """Each distinct checkpoint text of a batch, in file order, that names an active checkpoint the actor may
    write for (:func:`_checkpoint_for_entry` asked once per checkpoint instead of once per row)."""
    plain = {}
    for value in dict.fromkeys(value for value in values if type(value) is str):
        checks = Checks(DOMAIN)
        checkpoint = _checkpoint_for_entry(ctx, checks, value, find)
        if checkpoint is not None and not checks.errors:
            plain[value] = checkpoint
    return plain


def _checked_entries(
    ctx: WriteContext, rows: Sequence[Mapping[str, object]], find: Finder, now: datetime
) -> list[tuple[Checks, dict]]:
    """Each row of a batch checked as :func:`_new_entry` checks it, all but the overlap, with its row to insert.

    A file's cells are read a column at a time: a row whose cells are all in the plain form a file writes (a
    known checkpoint's name, ``YYYY-MM-DD HH:MM`` times, digits for the counts, no note) and that passes the
    rules between them is accepted without a call per cell; any other row, and every row that breaks a rule, is
    checked by :func:`_new_entry` itself, so that the checks and their messages are the form's."""
    column = {name: [row.get(name) for row in rows] for name in ("checkpoint", *ENTRY_FIELDS)}
    named = _plain_checkpoints(ctx, column["checkpoint"], find)
    starts = _plain_column(column["period_start"], lambda text: _plain_moment(text, now))
    ends = _plain_column(column["period_end"], lambda text: _plain_moment(text, now))
    counts = [_plain_column(column[name], _plain_count) for name in COUNT_FIELDS]
    checked = []
    for row, name, start, end, persons, vehicles, fever, turned_back, note in zip(
        rows, column["checkpoint"], starts, ends, *counts, column["note"], strict=True
    ):
        checkpoint = named.get(name) if type(name) is str else None
        if (
            checkpoint is None
            or start is None
            or end is None
            or persons is None
            or vehicles is None
            or fever is None
            or turned_back is None
            or not start < end <= start + MAX_PERIOD
            or fever > persons
            or turned_back > persons + vehicles
            or not is_blank(note)
        ):
            checked.append(_new_entry(ctx, row, find, now))
            continue
        values = {
            "checkpoint_id": checkpoint["id"],
            "period_start": start,
            "period_end": end,
            "persons": persons,
            "vehicles": vehicles,
            "fever": fever,
            "turned_back": turned_back,
            "note": None,
            "entered_by": ctx.actor.username,
            "entered_at": now,
        }
        checked.append((Checks(DOMAIN, now), values))
    return checked


def add_counts_batch(
    ctx: WriteContext, rows: Sequence[Mapping[str, object]], progress: Callable[[int], None] | None = None
) -> list[int]:
    """Store many count entries at once (an import file) by the rules of :func:`add_count`; returns their ids.

    Each row is checked as the form checks it, with the same messages; a row
    is checked for overlap against the stored entries and against the
    earlier rows that passed, just as if the rows had been entered one after
    the other. The checkpoints are looked up (and locked) in one query, the
    stored periods in one query per checkpoint, and the entries and their
    audit rows are stored with one statement each. Any bad row refuses the
    whole batch with :class:`RowsRejected`; ``progress`` hears how many rows
    have been checked.
    """
    require_write(ctx.actor, DOMAIN)
    directory = Directory(ctx.conn, checkpoints, [row.get("checkpoint") for row in rows])
    now = clock.now()
    checked = _checked_entries(ctx, rows, directory.find, now)
    ledger = _PeriodLedger(ctx.conn, [values for _, values in checked])
    for done, (checks, values) in enumerate(checked, start=1):
        _check_overlap(checks, values, ledger.clash)
        if not checks.errors:
            ledger.add(values["checkpoint_id"], values["period_start"], values["period_end"])
        if progress is not None:
            progress(done)
    raise_if_any_row([checks for checks, _ in checked])
    entries = [values for _, values in checked]
    entry_ids = ctx.insert_many(checkpoint_counts, "checkpoints.add_count", entries)
    rebuild_checkpoint_daily_totals(
        ctx.conn,
        {values["checkpoint_id"] for values in entries},
        min((values["period_start"] for values in entries), default=now).date(),
    )
    return entry_ids


def add_zero_report(
    ctx: WriteContext, checkpoint: int | str, period_start: object, period_end: object, note: str | None = None
) -> int:
    """Report that nothing passed a checkpoint during a period (零报告); it counts as reported."""
    data = {"checkpoint": checkpoint, "period_start": period_start, "period_end": period_end, "note": note}
    return add_count(ctx, {**data, **dict.fromkeys(COUNT_FIELDS, 0)})


def _entry_to_correct(
    ctx: WriteContext, checks: Checks, entry_id: object
) -> tuple[RowMapping | None, RowMapping | None]:
    """The entry a correction replaces and its checkpoint (locked), or the reason it cannot be corrected."""
    number = checks.integer(entry_id, "entry", minimum=1, maximum=None)
    entry = (
        None
        if number is None
        else ctx.conn.execute(sa.select(checkpoint_counts).where(checkpoint_counts.c.id == number)).mappings().first()
    )
    if entry is None:
        if number is not None:
            checks.fail("entry", "checkpoints.error.unknown_entry", value=number)
        return None, None
    checkpoint = CHECKPOINTS.find(ctx.conn, entry["checkpoint_id"], lock=True)
    require_write(ctx.actor, DOMAIN, entry["checkpoint_id"])
    superseded = ctx.conn.execute(
        sa.select(checkpoint_counts.c.id).where(checkpoint_counts.c.supersedes_id == entry["id"])
    ).first()
    if superseded is not None:
        checks.fail("entry", "checkpoints.error.already_superseded", value=entry["id"], by=superseded[0])
    return entry, checkpoint


def correct_count(ctx: WriteContext, entry_id: int, data: Mapping[str, object]) -> int:
    """Supersede the effective entry ``entry_id`` with corrected figures; returns the new entry's id.

    ``data`` gives the corrected fields (a field left out keeps the entry's
    value, so the period may change or stay; the checkpoint always stays) and
    the required ``reason``. The wrong entry stays in the ledger, marked as superseded. Corrections are
    allowed on deactivated checkpoints too: closing a checkpoint does not make
    its last counts right.
    """
    require_write(ctx.actor, DOMAIN)
    checks = Checks(DOMAIN)
    entry, checkpoint = _entry_to_correct(ctx, checks, entry_id)
    merged = data if entry is None else {**{name: entry[name] for name in ENTRY_FIELDS}, **data}
    values = _entry_values(ctx, checks, checkpoint, merged)
    _check_overlap(checks, values, _stored_clash(ctx.conn, replaces=None if entry is None else entry["id"]))
    reason = checks.text(data.get("reason"), "reason", max_length=500)
    corrected = checks.passed(entry)
    entry_id = ctx.insert(
        checkpoint_counts, "checkpoints.correct_count", {**values, "supersedes_id": corrected["id"], "reason": reason}
    )
    update_checkpoint_daily_totals(ctx.conn, [corrected], sign=-1)
    update_checkpoint_daily_totals(ctx.conn, [values])
    return entry_id


# Daily totals ---------------------------------------------------------------------------------------------------


def _daily_deltas(entries: Iterable[Record], sign: int) -> dict[tuple[int, date], dict[str, int]]:
    """What ``entries`` add to (``sign`` 1) or take from (-1) the totals of each checkpoint and start day."""
    deltas: dict[tuple[int, date], dict[str, int]] = {}
    for entry in entries:
        key = (entry["checkpoint_id"], entry["period_start"].date())
        delta = deltas.setdefault(key, dict.fromkeys(TOTAL_FIELDS, 0))
        delta["entries"] += sign
        for name in COUNT_FIELDS:
            delta[name] += sign * entry[name]
    return deltas


def update_checkpoint_daily_totals(conn: Connection, entries: Iterable[Record], sign: int = 1) -> None:
    """Keep :data:`checkpoint_daily_totals` equal to the ledger after ``entries`` became effective (``sign`` 1:
    a new entry, a correction's new figures) or stopped being so (-1: the entry a correction supersedes).

    Every path that writes count entries calls this in the same transaction, or, for an import file,
    :func:`rebuild_checkpoint_daily_totals` for the file's checkpoints. The caller holds the
    entries' checkpoints locked, as :func:`add_count` does, so no other writer changes their totals meanwhile.
    A change on one day moves the cumulative sums of that day and of every later day of the checkpoint.
    """
    found, earlier, add_day, add_delta = _TOTALS_STATEMENTS
    for (checkpoint_id, day), delta in sorted(_daily_deltas(entries, sign).items()):
        place = {"checkpoint": checkpoint_id, "the_day": day}
        if conn.execute(found, place).first() is None:
            before = conn.execute(earlier, place).first()
            conn.execute(
                add_day,
                {
                    **place,
                    **{f"before_{name}": before[index] if before else 0 for index, name in enumerate(COUNT_FIELDS)},
                },
            )
        conn.execute(add_delta, {**place, **{f"more_{name}": delta[name] for name in TOTAL_FIELDS}})


def _totals_statements() -> tuple[sa.Select, sa.Select, sa.Insert, sa.Update]:
    """The four statements of :func:`update_checkpoint_daily_totals`, built once: an entry's write spent more time
    building them than the database spent running them."""
    totals = checkpoint_daily_totals
    of_checkpoint = totals.c.checkpoint_id == sa.bindparam("checkpoint")
    day = sa.bindparam("the_day", type_=sa.Date)
    found = sa.select(totals.c.day).where(of_checkpoint, totals.c.day == day)
    earlier = (
        sa.select(*[totals.c[f"cumulative_{name}"] for name in COUNT_FIELDS])
        .where(of_checkpoint, totals.c.day < day)
        .order_by(totals.c.day.desc())
        .limit(1)
    )
    add_day = totals.insert().values(
        checkpoint_id=sa.bindparam("checkpoint"),
        day=day,
        **dict.fromkeys(TOTAL_FIELDS, 0),
        **{f"cumulative_{name}": sa.bindparam(f"before_{name}") for name in COUNT_FIELDS},
    )
    add_delta = (
        totals.update()
        .where(of_checkpoint, totals.c.day >= day)
        .values(
            **{
                name: totals.c[name] + sa.case((totals.c.day == day, sa.bindparam(f"more_{name}")), else_=0)
                for name in TOTAL_FIELDS
            },
            **{
                f"cumulative_{name}": totals.c[f"cumulative_{name}"] + sa.bindparam(f"more_{name}")
                for name in COUNT_FIELDS
            },
        )
    )
    return found, earlier, add_day, add_delta


_TOTALS_STATEMENTS = _totals_statements()


def _carried(checkpoint_id: sa.ColumnElement[int], name: str, since: date | None) -> sa.ColumnElement[int]:
    """The running sum of ``name`` a checkpoint carries into ``since``: its newest total before that day (0
    with none, or when every day is rebuilt)."""
    if since is None:
        return sa.literal(0)
    totals = checkpoint_daily_totals
    newest = (
        sa.select(totals.c[f"cumulative_{name}"])
        .where(totals.c.checkpoint_id == checkpoint_id, totals.c.day < since)
        .order_by(totals.c.day.desc())
        .limit(1)
        .scalar_subquery()
    )
    return sa.func.coalesce(newest, 0)


def rebuild_checkpoint_daily_totals(
    conn: Connection, checkpoint_ids: Iterable[int] | None = None, since: date | None = None
) -> None:
    """Compute :data:`checkpoint_daily_totals` afresh from the ledger, for every checkpoint or for
    ``checkpoint_ids``, and for every day or the days from ``since`` on: for loaders that insert count entries in
    bulk around :func:`add_count` (the district benchmark, see :mod:`data_layer.derived`), and for an import file
    (two statements, however many days the file covers; the caller holds those checkpoints locked). From
    ``since`` on, only the entries of those days are read, each checkpoint's running sums carried on from its
    newest total before ``since``: an import's cost follows the days the file covers, not the store's history."""
    totals = checkpoint_daily_totals
    chosen = sa.true() if checkpoint_ids is None else checkpoint_counts.c.checkpoint_id.in_(sorted(checkpoint_ids))
    day = sa.func.date(checkpoint_counts.c.period_start, type_=sa.Date)
    from_since = sa.true() if since is None else checkpoint_counts.c.period_start >= datetime.combine(since, time())
    per_day = (
        sa.select(
            checkpoint_counts.c.checkpoint_id,
            day.label("day"),
            sa.func.count().label("entries"),
            *[sa.func.sum(checkpoint_counts.c[name]).label(name) for name in COUNT_FIELDS],
        )
        .where(is_effective(), chosen, from_since)
        .group_by(checkpoint_counts.c.checkpoint_id, day)
        .subquery()
    )
    running = [
        _carried(per_day.c.checkpoint_id, name, since)
        + sa.func.sum(per_day.c[name]).over(partition_by=per_day.c.checkpoint_id, order_by=per_day.c.day)
        for name in COUNT_FIELDS
    ]
    kept: sa.ColumnElement[bool] = (
        sa.true() if checkpoint_ids is None else totals.c.checkpoint_id.in_(sorted(checkpoint_ids))
    )
    if since is not None:
        kept = sa.and_(kept, totals.c.day >= since)
    conn.execute(totals.delete().where(kept))
    conn.execute(
        totals.insert().from_select(
            ["checkpoint_id", "day", *TOTAL_FIELDS, *[f"cumulative_{name}" for name in COUNT_FIELDS]],
            sa.select(per_day.c.checkpoint_id, per_day.c.day, *[per_day.c[name] for name in TOTAL_FIELDS], *running),
        )
    )
