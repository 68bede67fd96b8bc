"""The checkpoints domain (DESIGN §4.1): checkpoints, their shift counts and the figures built on them.

A checkpoint (卡口) is master data the administrator keeps. At the end of each
shift its clerk enters one count entry: how many people and vehicles were
checked, how many fever readings there were and how many people were turned
back. An entry whose counts are all zero is a zero report (零报告): nothing
happened, and the checkpoint still counts as having reported.

The count ledger is append-only. A mistake is corrected by a new entry that
supersedes the wrong one and says why; an entry is *effective* while no other
entry supersedes it, and every figure counts effective entries only, so the
history of what was entered and corrected stays readable.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from data_layer import clock, settings
from data_layer.db import Directory, WriteContext, metadata
from data_layer.i18n import catalog
from data_layer.permissions import require_admin, require_write
from data_layer.transfer import Column, Row, TransferKind
from data_layer.validation import Checks, is_blank, raise_if_any_row, resolve_reference

DOMAIN = "checkpoints"
KINDS = ("compound_gate", "road", "station", "other")
COUNT_FIELDS = ("persons", "vehicles", "fever", "turned_back")
TOTAL_FIELDS = ("entries", *COUNT_FIELDS)
ENTRY_FIELDS = ("period_start", "period_end", *COUNT_FIELDS, "note")
MAX_PERIOD = timedelta(hours=24)

checkpoints = sa.Table(
    "checkpoints", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("grid", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("latitude", sa.Float),
    sa.Column("longitude", sa.Float),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.UniqueConstraint("name", name="uq_checkpoints_name"),
)

checkpoint_counts = sa.Table(
    "checkpoint_counts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("checkpoint_id", sa.Integer, sa.ForeignKey("checkpoints.id"), nullable=False),
    sa.Column("period_start", sa.DateTime, nullable=False),
    sa.Column("period_end", sa.DateTime, nullable=False),
    sa.Column("persons", sa.Integer, nullable=False),
    sa.Column("vehicles", sa.Integer, nullable=False),
    sa.Column("fever", sa.Integer, nullable=False),
    sa.Column("turned_back", sa.Integer, nullable=False),
    sa.Column("note", sa.String(500)),
    sa.Column("supersedes_id", sa.Integer, sa.ForeignKey("checkpoint_counts.id")),
    sa.Column("reason", sa.String(500)),
    sa.Column("entered_by", sa.String(100), nullable=False),
    sa.Column("entered_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("supersedes_id", name="uq_checkpoint_counts_supersedes_id"),
    sa.Index("ix_checkpoint_counts_period_start", "period_start"),
    sa.Index("ix_checkpoint_counts_checkpoint_id_period_start", "checkpoint_id", "period_start"),
    sa.Index("ix_checkpoint_counts_entered_at", "entered_at"),
)

checkpoint_daily_totals = sa.Table(
    "checkpoint_daily_totals", metadata,
    sa.Column("checkpoint_id", sa.Integer, sa.ForeignKey("checkpoints.id"), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("entries", sa.Integer, nullable=False),
    *[sa.Column(name, sa.BigInteger, nullable=False) for name in COUNT_FIELDS],
    *[sa.Column(f"cumulative_{name}", sa.BigInteger, nullable=False) for name in COUNT_FIELDS],
)
"""Derived from the ledger, kept in the transaction of every entry and correction: per checkpoint and day on
which one of its entries starts, the number and the sums of its effective entries starting on that day, and
the cumulative sums of its effective entries starting on or before it. The briefing reads a day's figures and
the cumulative figures from here instead of summing the whole history (see :func:`count_in_daily_totals`)."""

_superseding = checkpoint_counts.alias("superseding")

Period = tuple[datetime, datetime]
Finder = Callable[[object], RowMapping | None]
ClashFinder = Callable[[int, datetime, datetime], Period | None]


class Totals(TypedDict):
    persons: int
    vehicles: int
    fever: int
    turned_back: int


class CheckpointFigures(Totals):
    """The "checkpoints" object of the daily briefing (DESIGN §6)."""

    active_checkpoints: int
    reported_checkpoints: int
    not_reported: list[str]
    cumulative: Totals


# Shifts ---------------------------------------------------------------------------------------------------------


def shift_starts() -> tuple[int, ...]:
    """The hours at which the duty shifts begin (三班倒: 0, 8 and 16 unless ``COMMAND_POST_SHIFTS`` says otherwise).

    The variable lists start hours such as ``"0,8,16"`` or ``"7,15,23"``; each
    shift lasts until the next one begins, the last one until the first of the
    next day.
    """
    return settings.SHIFTS.value()


def day_shifts(day: date) -> list[tuple[datetime, datetime]]:
    """The shifts that start on ``day``, in order, as (start, end)."""
    hours = shift_starts()
    starts = [datetime.combine(day, time(hour)) for hour in hours]
    ends = [*starts[1:], datetime.combine(day + timedelta(days=1), time(hours[0]))]
    return list(zip(starts, ends, strict=True))


def shift_for(moment: datetime) -> tuple[datetime, datetime]:
    """The shift that ``moment`` falls in, as (start, end); entry forms prefill their period from it."""
    candidates = day_shifts(moment.date() - timedelta(days=1)) + day_shifts(moment.date())
    return next((start, end) for start, end in candidates if start <= moment < end)


def current_shift() -> tuple[datetime, datetime]:
    """The shift that is on duty now."""
    return shift_for(clock.now())


# Codes ----------------------------------------------------------------------------------------------------------


def kind_labels() -> dict[str, str]:
    """Chinese kind label → kind code, from the zh_CN catalog, so that imports accept what clerks write."""
    messages = catalog("zh_CN")
    return {messages[f"checkpoints.code.{kind}"]: kind for kind in KINDS}


# Looking up checkpoints -----------------------------------------------------------------------------------------


def _lookup(conn: Connection, value: object, *, lock: bool = False) -> RowMapping | None:
    """The checkpoint named ``value``, or with id ``value``; locked for the rest of the transaction when asked."""
    def first(condition: sa.ColumnElement[bool]) -> RowMapping | None:
        query = sa.select(checkpoints).where(condition)
        return conn.execute(query.with_for_update() if lock else query).mappings().first()

    return resolve_reference(value, lambda checkpoint_id: first(checkpoints.c.id == checkpoint_id),
                             lambda name: first(checkpoints.c.name == name))


def _referenced(checks: Checks, value: object, find: Finder) -> RowMapping | None:
    """The checkpoint ``find`` gives for ``value``, or ``None`` with the reason recorded on the ``checkpoint`` field."""
    if is_blank(value):
        checks.fail("checkpoint", "error.required")
        return None
    row = find(value)
    if row is None:
        checks.fail("checkpoint", "error.unknown_name", value=str(value).strip())
    return row


def _known_checkpoint(conn: Connection, checks: Checks, value: object, *, lock: bool = False) -> RowMapping | None:
    """The referenced checkpoint, or ``None`` with the reason recorded on the ``checkpoint`` field."""
    return _referenced(checks, value, lambda reference: _lookup(conn, reference, lock=lock))


# Count entries --------------------------------------------------------------------------------------------------


def _is_effective() -> sa.ColumnElement[bool]:
    """True for a count entry that no other entry supersedes."""
    return ~sa.exists().where(_superseding.c.supersedes_id == checkpoint_counts.c.id)


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
    return sa.select(checkpoint_counts.c.checkpoint_id, checkpoint_counts.c.period_start,
                     checkpoint_counts.c.period_end).where(
        checkpoint,
        checkpoint_counts.c.period_start > start - MAX_PERIOD,
        checkpoint_counts.c.period_start < end,
        checkpoint_counts.c.period_end > start,
        _is_effective(),
    ).order_by(checkpoint_counts.c.period_start)


def _stored_clash(conn: Connection, replaces: int | None) -> ClashFinder:
    """Finds the first stored effective entry overlapping a period (the entry being replaced aside)."""
    def find(checkpoint_id: int, start: datetime, end: datetime) -> Period | None:
        query = _effective_periods(checkpoint_counts.c.checkpoint_id == checkpoint_id, start, end)
        if replaces is not None:
            query = query.where(checkpoint_counts.c.id != replaces)
        clash = conn.execute(query.limit(1)).first()
        return None if clash is None else (clash.period_start, clash.period_end)
    return find


def _check_overlap(checks: Checks, values: Mapping[str, object], find_clash: ClashFinder) -> None:
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
    if None not in (persons, vehicles, turned_back) and turned_back > persons + vehicles:
        checks.fail("turned_back", "checkpoints.error.turned_back_above_checked", checked=persons + vehicles)
    return counts


def _entry_values(ctx: WriteContext, checks: Checks, checkpoint: RowMapping | None,
                  data: Mapping[str, object]) -> dict:
    """Validate an entry's period, counts and note (not yet the overlap, see :func:`_check_overlap`);
    the row to insert (meaningful once no check failed)."""
    start, end = _period(checks, data)
    return {
        "checkpoint_id": None if checkpoint is None else checkpoint["id"], "period_start": start, "period_end": end,
        **_counts(checks, data),
        "note": checks.text(data.get("note"), "note", required=False, max_length=500),
        "entered_by": ctx.actor.username, "entered_at": checks.now(),
    }


def _checkpoint_for_entry(ctx: WriteContext, checks: Checks, value: object, find: Finder) -> RowMapping | None:
    """The active checkpoint a new entry is for (``find`` locks it, so that racing entries cannot overlap)."""
    checkpoint = _referenced(checks, value, find)
    if checkpoint is None:
        return None
    require_write(ctx.actor, DOMAIN, checkpoint["id"])
    if not checkpoint["active"]:
        checks.fail("checkpoint", "checkpoints.error.inactive", value=checkpoint["name"])
    return checkpoint


def _new_entry(ctx: WriteContext, data: Mapping[str, object], find: Finder,
               now: datetime | None = None) -> tuple[Checks, dict]:
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
    checks, values = _new_entry(ctx, data, lambda value: _lookup(ctx.conn, value, lock=True))
    _check_overlap(checks, values, _stored_clash(ctx.conn, replaces=None))
    checks.raise_if_any()
    entry_id = ctx.insert(checkpoint_counts, "checkpoints.add_count", values)
    count_in_daily_totals(ctx.conn, [values])
    return entry_id


class _PeriodLedger:
    """The effective periods a batch of entries must not overlap, per checkpoint and sorted by start: the
    stored ones over the batch's span (one query) and the batch's entries accepted so far. The starts are
    also kept in a list of their own, which bisects by plain comparison instead of a key call per step."""

    def __init__(self, conn: Connection, entries: Sequence[dict]):
        dated = [values for values in entries if values["checkpoint_id"] is not None
                 and values["period_start"] is not None and values["period_end"] is not None]
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


def add_counts_batch(ctx: WriteContext, rows: Sequence[Mapping[str, object]],
                     progress: Callable[[int], None] | None = None) -> list[int]:
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
    checked = [_new_entry(ctx, row, directory.find, now) for row in rows]
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
    rebuild_daily_totals(ctx.conn, {values["checkpoint_id"] for values in entries})
    return entry_ids


def add_zero_report(ctx: WriteContext, checkpoint: int | str, period_start: object, period_end: object,
                    note: str | None = None) -> int:
    """Report that nothing passed a checkpoint during a period (零报告); it counts as reported."""
    data = {"checkpoint": checkpoint, "period_start": period_start, "period_end": period_end, "note": note}
    return add_count(ctx, {**data, **dict.fromkeys(COUNT_FIELDS, 0)})


def _entry_to_correct(ctx: WriteContext, checks: Checks, entry_id: object
                      ) -> tuple[RowMapping | None, RowMapping | None]:
    """The entry a correction replaces and its checkpoint (locked), or the reason it cannot be corrected."""
    number = checks.integer(entry_id, "entry", minimum=1, maximum=None)
    entry = None if number is None else ctx.conn.execute(
        sa.select(checkpoint_counts).where(checkpoint_counts.c.id == number)).mappings().first()
    if entry is None:
        if number is not None:
            checks.fail("entry", "checkpoints.error.unknown_entry", value=number)
        return None, None
    checkpoint = _lookup(ctx.conn, entry["checkpoint_id"], lock=True)
    require_write(ctx.actor, DOMAIN, checkpoint["id"])
    superseded = ctx.conn.execute(sa.select(checkpoint_counts.c.id).where(
        checkpoint_counts.c.supersedes_id == entry["id"])).first()
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
    checks.raise_if_any()
    entry_id = ctx.insert(checkpoint_counts, "checkpoints.correct_count",
                          {**values, "supersedes_id": entry["id"], "reason": reason})
    count_in_daily_totals(ctx.conn, [entry], sign=-1)
    count_in_daily_totals(ctx.conn, [values])
    return entry_id


# Daily totals ---------------------------------------------------------------------------------------------------


def _daily_deltas(entries: Iterable[Mapping[str, object]], sign: int) -> dict[tuple[int, date], dict[str, int]]:
    """What ``entries`` add to (``sign`` 1) or take from (-1) the totals of each checkpoint and start day."""
    deltas: dict[tuple[int, date], dict[str, int]] = {}
    for entry in entries:
        key = (entry["checkpoint_id"], entry["period_start"].date())
        delta = deltas.setdefault(key, dict.fromkeys(TOTAL_FIELDS, 0))
        delta["entries"] += sign
        for name in COUNT_FIELDS:
            delta[name] += sign * entry[name]
    return deltas


def count_in_daily_totals(conn: Connection, entries: Iterable[Mapping[str, object]], sign: int = 1) -> None:
    """Keep :data:`checkpoint_daily_totals` equal to the ledger after ``entries`` became effective (``sign`` 1:
    a new entry, a correction's new figures) or stopped being so (-1: the entry a correction supersedes).

    Every path that writes count entries calls this in the same transaction, or, for an import file,
    :func:`rebuild_daily_totals` for the file's checkpoints. The caller holds the
    entries' checkpoints locked, as :func:`add_count` does, so no other writer changes their totals meanwhile.
    A change on one day moves the cumulative sums of that day and of every later day of the checkpoint.
    """
    found, earlier, add_day, add_delta = _TOTALS_STATEMENTS
    for (checkpoint_id, day), delta in sorted(_daily_deltas(entries, sign).items()):
        place = {"checkpoint": checkpoint_id, "the_day": day}
        if conn.execute(found, place).first() is None:
            before = conn.execute(earlier, place).first()
            conn.execute(add_day, {**place, **{f"before_{name}": before[index] if before else 0
                                                for index, name in enumerate(COUNT_FIELDS)}})
        conn.execute(add_delta, {**place, **{f"more_{name}": delta[name] for name in TOTAL_FIELDS}})


def _totals_statements() -> tuple[sa.Select, sa.Select, sa.Insert, sa.Update]:
    """The four statements of :func:`count_in_daily_totals`, built once: an entry's write spent more time
    building them than the database spent running them."""
    totals = checkpoint_daily_totals
    of_checkpoint = totals.c.checkpoint_id == sa.bindparam("checkpoint")
    day = sa.bindparam("the_day", type_=sa.Date)
    found = sa.select(totals.c.day).where(of_checkpoint, totals.c.day == day)
    earlier = (sa.select(*[totals.c[f"cumulative_{name}"] for name in COUNT_FIELDS])
               .where(of_checkpoint, totals.c.day < day).order_by(totals.c.day.desc()).limit(1))
    add_day = totals.insert().values(
        checkpoint_id=sa.bindparam("checkpoint"), day=day, **dict.fromkeys(TOTAL_FIELDS, 0),
        **{f"cumulative_{name}": sa.bindparam(f"before_{name}") for name in COUNT_FIELDS})
    add_delta = totals.update().where(of_checkpoint, totals.c.day >= day).values(
        **{name: totals.c[name] + sa.case((totals.c.day == day, sa.bindparam(f"more_{name}")), else_=0)
           for name in TOTAL_FIELDS},
        **{f"cumulative_{name}": totals.c[f"cumulative_{name}"] + sa.bindparam(f"more_{name}")
           for name in COUNT_FIELDS})
    return found, earlier, add_day, add_delta


_TOTALS_STATEMENTS = _totals_statements()


def rebuild_daily_totals(conn: Connection, checkpoint_ids: Iterable[int] | None = None) -> None:
    """Compute :data:`checkpoint_daily_totals` afresh from the ledger, for every checkpoint or for
    ``checkpoint_ids``: for the migration that adds the table, for loaders that insert count entries in bulk
    around :func:`add_count` (the district benchmark), and for an import file (two statements, however many
    days the file covers; the caller holds those checkpoints locked)."""
    totals = checkpoint_daily_totals
    chosen = sa.true() if checkpoint_ids is None else checkpoint_counts.c.checkpoint_id.in_(sorted(checkpoint_ids))
    day = sa.func.date(checkpoint_counts.c.period_start, type_=sa.Date)
    per_day = (sa.select(checkpoint_counts.c.checkpoint_id, day.label("day"), sa.func.count().label("entries"),
                         *[sa.func.sum(checkpoint_counts.c[name]).label(name) for name in COUNT_FIELDS])
               .where(_is_effective(), chosen).group_by(checkpoint_counts.c.checkpoint_id, day).subquery())
    running = [sa.func.sum(per_day.c[name]).over(partition_by=per_day.c.checkpoint_id, order_by=per_day.c.day)
               for name in COUNT_FIELDS]
    conn.execute(totals.delete().where(
        sa.true() if checkpoint_ids is None else totals.c.checkpoint_id.in_(sorted(checkpoint_ids))))
    conn.execute(totals.insert().from_select(
        ["checkpoint_id", "day", *TOTAL_FIELDS, *[f"cumulative_{name}" for name in COUNT_FIELDS]],
        sa.select(per_day.c.checkpoint_id, per_day.c.day, *[per_day.c[name] for name in TOTAL_FIELDS], *running)))


# Master data ----------------------------------------------------------------------------------------------------


def _new_name(conn: Connection, checks: Checks, value: object, current: RowMapping | None = None) -> str | None:
    """A checkpoint name no other checkpoint has."""
    name = checks.name(value, "name", max_length=100)
    if name is None:
        return None
    query = sa.select(checkpoints.c.id).where(checkpoints.c.name == name)
    if current is not None:
        query = query.where(checkpoints.c.id != current["id"])
    if conn.execute(query).first() is not None:
        checks.fail("name", "error.duplicate_name", value=name)
    return name


def _location(checks: Checks, latitude: object, longitude: object) -> dict[str, float | None]:
    """Latitude and longitude in range, both given or both left out (a checkpoint without a map position)."""
    values = {
        "latitude": checks.number(latitude, "latitude", required=False, minimum=-90, maximum=90),
        "longitude": checks.number(longitude, "longitude", required=False, minimum=-180, maximum=180),
    }
    given = {"latitude": not is_blank(latitude), "longitude": not is_blank(longitude)}
    for field, present in given.items():
        if not present and any(given.values()):
            checks.fail(field, "checkpoints.error.location_incomplete")
    return values


def _kind(checks: Checks, value: object) -> str | None:
    return checks.choice(value, "kind", KINDS, labels=kind_labels())


def _grid(checks: Checks, value: object) -> str | None:
    return checks.text(value, "grid", max_length=100)


def add_checkpoint(ctx: WriteContext, data: Mapping[str, object]) -> int:
    """Create a checkpoint from ``name``, ``grid``, ``kind``, optional ``latitude``/``longitude`` and ``active``
    (default yes); returns its id."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    values = {
        "name": _new_name(ctx.conn, checks, data.get("name")),
        "grid": _grid(checks, data.get("grid")),
        "kind": _kind(checks, data.get("kind")),
        **_location(checks, data.get("latitude"), data.get("longitude")),
        "active": checks.flag(data.get("active"), "active", default=True),
    }
    checks.raise_if_any()
    return ctx.insert(checkpoints, "checkpoints.add_checkpoint", values)


def _update_checkpoint(ctx: WriteContext, current: RowMapping, action: str, values: dict) -> None:
    """Change master-data fields of one checkpoint and audit them with their values before and after."""
    ctx.conn.execute(checkpoints.update().where(checkpoints.c.id == current["id"]).values(**values))
    ctx.audit(action, checkpoints, current["id"], before={field: current[field] for field in values}, after=values)


def rename_checkpoint(ctx: WriteContext, checkpoint: int | str, name: object) -> None:
    """Give a checkpoint a new, unused name; its counts stay with it."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    current = _known_checkpoint(ctx.conn, checks, checkpoint)
    new_name = _new_name(ctx.conn, checks, name, current)
    checks.raise_if_any()
    _update_checkpoint(ctx, current, "checkpoints.rename_checkpoint", {"name": new_name})


def set_checkpoint_active(ctx: WriteContext, checkpoint: int | str, active: object) -> None:
    """Open or close a checkpoint: an inactive one takes no new entries and is not expected to report."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    current = _known_checkpoint(ctx.conn, checks, checkpoint)
    flag = checks.flag(active, "active")
    checks.raise_if_any()
    _update_checkpoint(ctx, current, "checkpoints.set_checkpoint_active", {"active": flag})


def set_checkpoint_location(ctx: WriteContext, checkpoint: int | str, grid: object, latitude: object,
                            longitude: object) -> None:
    """Move a checkpoint to another grid and map position (latitude and longitude may both be left out)."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    current = _known_checkpoint(ctx.conn, checks, checkpoint)
    values = {"grid": _grid(checks, grid), **_location(checks, latitude, longitude)}
    checks.raise_if_any()
    _update_checkpoint(ctx, current, "checkpoints.set_checkpoint_location", values)


def set_checkpoint_kind(ctx: WriteContext, checkpoint: int | str, kind: object) -> None:
    """Change what kind of post a checkpoint is (compound gate, road, station, other)."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    current = _known_checkpoint(ctx.conn, checks, checkpoint)
    code = _kind(checks, kind)
    checks.raise_if_any()
    _update_checkpoint(ctx, current, "checkpoints.set_checkpoint_kind", {"kind": code})


# Figures --------------------------------------------------------------------------------------------------------


def _starting_within(start: datetime, end: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(checkpoint_counts.c.period_start >= start, checkpoint_counts.c.period_start < end)


def _sum(column: sa.ColumnElement) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(column), 0)


def _newest_totals(day: date) -> sa.FromClause:
    """Each checkpoint joined to its :data:`checkpoint_daily_totals` row of the newest day on or before ``day``
    (none when it has no entry that early): one index lookup per checkpoint, however long the history."""
    totals, earlier = checkpoint_daily_totals, checkpoint_daily_totals.alias("earlier")
    newest_day = (sa.select(sa.func.max(earlier.c.day))
                  .where(earlier.c.checkpoint_id == checkpoints.c.id, earlier.c.day <= day).scalar_subquery())
    return checkpoints.outerjoin(totals, sa.and_(totals.c.checkpoint_id == checkpoints.c.id,
                                                 totals.c.day == newest_day))


def figures(conn: Connection, day: date) -> CheckpointFigures:
    """The checkpoint figures of report date ``day`` (DESIGN §4.1, the "checkpoints" object of §6).

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
    status = conn.execute(sa.select(checkpoints.c.name, reported_column)
                          .select_from(checkpoints.outerjoin(totals, sa.and_(totals.c.checkpoint_id == checkpoints.c.id,
                                                                             on_day)))
                          .where(checkpoints.c.active)).all()
    return {
        **{name: int(value) for name, value in zip(COUNT_FIELDS, sums[:4], strict=True)},
        "active_checkpoints": len(status),
        "reported_checkpoints": sum(1 for _, reported in status if reported),
        "not_reported": sorted(name for name, reported in status if not reported),
        "cumulative": {name: int(value) for name, value in zip(COUNT_FIELDS, sums[4:], strict=True)},
    }


def checkpoint_table(conn: Connection, day: date) -> list[dict]:
    """One row per active checkpoint for ``day``: its master data, the sums of its effective entries starting
    on the day, whether it reported, and ``last_entry_at`` (when its newest of those entries was entered;
    ``None`` when it has not reported). Ordered by grid and name."""
    start, end = clock.day_bounds(day)
    sums = (sa.select(checkpoint_counts.c.checkpoint_id,
                      *[sa.func.sum(checkpoint_counts.c[name]).label(name) for name in COUNT_FIELDS],
                      sa.func.max(checkpoint_counts.c.entered_at).label("last_entry_at"))
            .where(_starting_within(start, end), _is_effective())
            .group_by(checkpoint_counts.c.checkpoint_id).subquery())
    query = (sa.select(checkpoints.c.id, checkpoints.c.name, checkpoints.c.grid, checkpoints.c.kind,
                       checkpoints.c.latitude, checkpoints.c.longitude,
                       *[sa.func.coalesce(sums.c[name], 0).label(name) for name in COUNT_FIELDS],
                       sums.c.checkpoint_id.is_not(None).label("reported"), sums.c.last_entry_at)
             .select_from(checkpoints.outerjoin(sums, sums.c.checkpoint_id == checkpoints.c.id))
             .where(checkpoints.c.active).order_by(checkpoints.c.grid, checkpoints.c.name))
    return [{**row, "reported": bool(row["reported"])} for row in conn.execute(query).mappings()]


def daily_trend(conn: Connection, end_day: date, days: int = 14) -> list[dict]:
    """The day sums of the ``days`` days ending ``end_day``, oldest first, with zeros for days without entries;
    each day counts the effective entries starting on it, as :func:`figures` does."""
    first_day = end_day - timedelta(days=days - 1)
    start, _ = clock.day_bounds(first_day)
    _, end = clock.day_bounds(end_day)
    day = sa.func.date(checkpoint_counts.c.period_start, type_=sa.Date).label("day")
    query = (sa.select(day, *[_sum(checkpoint_counts.c[name]).label(name) for name in COUNT_FIELDS])
             .where(_starting_within(start, end), _is_effective()).group_by(day))
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
    query = sa.select(checkpoint_counts.c.period_start, checkpoint_counts.c.period_end,
                      *[checkpoint_counts.c[name] for name in COUNT_FIELDS]).where(
        checkpoint_counts.c.period_start >= start - MAX_PERIOD, checkpoint_counts.c.period_start < end,
        checkpoint_counts.c.period_end > start, _is_effective())
    shares = [[0.0] * len(COUNT_FIELDS) for _ in range(24)]
    for period_start, period_end, *counts in conn.execute(query):
        begins, ends = ((moment - start).total_seconds() / 3600 for moment in (period_start, period_end))
        for hour in range(max(0, math.floor(begins)), min(24, math.ceil(ends))):
            fraction = (min(ends, hour + 1) - max(begins, hour)) / (ends - begins)
            share = shares[hour]
            for index, count in enumerate(counts):
                share[index] += count * fraction
    return [{"hour": hour, **{name: round(value, 1) for name, value in zip(COUNT_FIELDS, share, strict=True)}}
            for hour, share in enumerate(shares)]


def recent_entries(conn: Connection, checkpoint_id: int, limit: int = 20) -> list[dict]:
    """A checkpoint's newest entries, effective and superseded, with who entered them, when and why
    (``superseded_by`` names the entry that replaced a superseded one; ``effective`` says which still count)."""
    later = checkpoint_counts.alias("later")
    query = (sa.select(checkpoint_counts.c.id, checkpoint_counts.c.period_start, checkpoint_counts.c.period_end,
                       *[checkpoint_counts.c[name] for name in COUNT_FIELDS], checkpoint_counts.c.note,
                       checkpoint_counts.c.supersedes_id, checkpoint_counts.c.reason,
                       checkpoint_counts.c.entered_by, checkpoint_counts.c.entered_at,
                       later.c.id.label("superseded_by"))
             .select_from(checkpoint_counts.outerjoin(later, later.c.supersedes_id == checkpoint_counts.c.id))
             .where(checkpoint_counts.c.checkpoint_id == checkpoint_id)
             .order_by(checkpoint_counts.c.entered_at.desc(), checkpoint_counts.c.id.desc()).limit(limit))
    return [{**row, "effective": row["superseded_by"] is None} for row in conn.execute(query).mappings()]


def list_checkpoints(conn: Connection, include_inactive: bool = False) -> list[dict]:
    """The checkpoints by name, for pickers and the admin page; closed ones only when asked."""
    query = sa.select(checkpoints).order_by(checkpoints.c.name)
    if not include_inactive:
        query = query.where(checkpoints.c.active)
    return [dict(row) for row in conn.execute(query).mappings()]


# Import and export ----------------------------------------------------------------------------------------------


def _checkpoint_rows(conn: Connection) -> Iterator[Row]:
    query = sa.select(checkpoints.c.name, checkpoints.c.grid, checkpoints.c.kind, checkpoints.c.latitude,
                      checkpoints.c.longitude, checkpoints.c.active).order_by(checkpoints.c.id)
    for row in conn.execute(query).mappings():
        yield dict(row)


def _count_rows(conn: Connection) -> Iterator[Row]:
    """The effective entries (what the figures count), by checkpoint and period."""
    query = (sa.select(checkpoints.c.name.label("checkpoint"), checkpoint_counts.c.period_start,
                       checkpoint_counts.c.period_end, *[checkpoint_counts.c[name] for name in COUNT_FIELDS],
                       checkpoint_counts.c.note)
             .select_from(checkpoint_counts.join(checkpoints, checkpoints.c.id == checkpoint_counts.c.checkpoint_id))
             .where(_is_effective()).order_by(checkpoints.c.name, checkpoint_counts.c.period_start))
    for row in conn.execute(query).mappings():
        yield dict(row)


TRANSFER_KINDS = (
    TransferKind(
        name="checkpoints",
        columns=(Column("name", "卡口名称"), Column("grid", "网格"), Column("kind", "类型"),
                 Column("latitude", "纬度"), Column("longitude", "经度"), Column("active", "启用")),
        add_row=add_checkpoint,
        read_rows=_checkpoint_rows,
    ),
    TransferKind(
        name="checkpoint_counts",
        columns=(Column("checkpoint", "卡口名称"), Column("period_start", "开始时间"), Column("period_end", "结束时间"),
                 Column("persons", "检测人数"), Column("vehicles", "检查车辆"), Column("fever", "发热人数"),
                 Column("turned_back", "劝返人数"), Column("note", "备注")),
        add_row=add_count,
        read_rows=_count_rows,
        add_rows=add_counts_batch,
    ),
)
