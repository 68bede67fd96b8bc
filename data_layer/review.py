"""Reviewing a past day: which of its figures were changed by corrections entered later.

A past day's briefing shows the figures as they stand now, corrections
included (:func:`data_layer.briefing.build_briefing`). :func:`figure_corrections`
lists, for every figure of that briefing that a correction entered after the
day changed, the value without the correction, the value with it, when, by
whom and why, so that the briefing page can mark the figure.

What counts as a correction of day D: a row entered at or after D+1 00:00
(local time) that changes a record which already existed:

- a checkpoint count entry that supersedes another, when either of the two
  starts on or before D (day sums, reporting and the cumulative sums);
- a follow-up that supersedes another, when either of the two is dated D;
- an episode change (``episode_changes``) of an episode started by D: an end
  (release, transfer, other) dated D or earlier, or a new planned end where
  the old or the new one falls on or before D+3 (due and overdue);
- a supply reversal or adjustment (a stock count included) dated D or earlier;
- an enterprise status change that took effect on or before D and is not the
  enterprise's first status row.

Not a correction: a first entry made late (a shift count, a follow-up, a
movement, a registration or an enterprise entered after D but dated D is a
late report, not a change of anything), and whatever a historical load
wrote: an import file, whose rows carry its batch id, or the sample scenario
and an archive, whose audit rows carry the load's ``batch`` name
(:class:`data_layer.db.WriteContext`).

How before and after are found: nothing is ever hidden in the store. Each
correction concerns one unit (a checkpoint, an episode, a supply item, an
enterprise); that unit's share of D's figures is evaluated in SQL as known
without the corrections from this one on and as known with this one but
without the later ones. Walking back from today's figures, correction by
correction from the newest, gives each correction's figures before and after:
the newest correction's "after" is the briefing's figure, and corrections of
one figure form a chain in which each "before" is the previous "after". A
correction that changes no figure of D (say, only a note) is not listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from data_layer import checkpoints, clock, enterprises, quarantine
from data_layer.checkpoints import COUNT_FIELDS, checkpoint_counts
from data_layer.db import IMPORT_BATCH, audit_log
from data_layer.enterprises import REASONS, STATUSES, STATUSES_WITH_REASON, status_changes
from data_layer.quarantine import (
    DUE_WINDOW_DAYS,
    FOLLOWUPS_PER_DAY,
    MODES,
    episode_changes,
    quarantine_episodes,
    quarantine_followups,
)
from data_layer.supplies import BURN_DAYS, IN_KINDS, OUT_KINDS, stock_figures, supply_items, supply_movements

SECTIONS = ("checkpoints", "quarantine", "supplies", "enterprises")
TABLE_ORDER = (
    checkpoint_counts.name,
    quarantine_followups.name,
    episode_changes.name,
    supply_movements.name,
    status_changes.name,
)
CORRECTING_MOVEMENTS = ("reversal", "adjustment")

Key = tuple[str, str | None]
"""A figure in a section: its briefing path (``"cumulative.persons"``) and a detail, the item of a supply
figure or the checkpoint of a ``not_reported`` flag (``None`` otherwise)."""
Shares = dict[Key, int]
"""Additive amounts from which a section's figures follow (a unit's share, or the section's total)."""


@dataclass(frozen=True)
class _Correction:
    """One correcting row; ``unit`` is the checkpoint, episode, item or enterprise whose share it changes."""

    table: sa.Table
    row: RowMapping
    unit: int
    changed_at: datetime
    changed_by: str
    reason: str | None

    @property
    def order(self) -> tuple[datetime, int, int]:
        """Entry order; rows of different tables entered in the same second go by table, as they are listed."""
        return self.changed_at, TABLE_ORDER.index(self.table.name), self.row["id"]


UnitShare = Callable[[int, list[_Correction]], Shares]
"""A unit's share of the section's figures while the given corrections (of that unit) are not yet entered."""


def figure_corrections(conn: Connection, day: date, briefing: Mapping[str, Any] | None = None) -> list[dict]:
    """Every figure of ``day``'s briefing that a correction entered after ``day`` changed.

    Each mark is ``{"section", "figure", "item", "before", "after",
    "changed_at", "changed_by", "reason"}``: ``section`` one of
    :data:`SECTIONS`; ``figure`` the briefing key, dotted when nested
    (``"persons"``, ``"cumulative.persons"``, ``"current.total"``,
    ``"by_reason.ppe_short"``, ``"not_reported"``); ``item`` the supply item's
    name for a supply figure, else ``None``; ``before`` and ``after`` the
    figure without and with the correction; ``changed_at`` (local time),
    ``changed_by`` (username) and ``reason`` of the correction (for an
    enterprise status change, its note). Marks come in the order the
    corrections were entered; see the module docstring for what counts as a
    correction. ``briefing`` is ``day``'s briefing when the caller holds it already (the briefing page
    does): the figures as they stand now are then taken from it instead of being computed again.
    """
    now = partial(_figures_now, conn, day, briefing)
    marks = [
        *_checkpoint_marks(conn, day, now),
        *_quarantine_marks(conn, day, now),
        *_supply_marks(conn, day),
        *_enterprise_marks(conn, day, now),
    ]
    return sorted(marks, key=lambda mark: (mark["changed_at"], SECTIONS.index(mark["section"])))


def _figures_now(conn: Connection, day: date, briefing: Mapping[str, Any] | None, section: str) -> Mapping[str, Any]:
    """One section of ``day``'s briefing figures as they stand now: from ``briefing`` when given."""
    if briefing is not None:
        return briefing[section]
    return {"checkpoints": checkpoints.figures, "quarantine": quarantine.figures, "enterprises": enterprises.figures}[
        section
    ](conn, day)


# The walk back from today's figures ------------------------------------------------------------------------------


def _marks(
    section: str,
    corrections: list[_Correction],
    share: UnitShare,
    now: Shares,
    figures: Callable[[Shares], dict[Key, object]],
) -> list[dict]:
    """The marks of one section: ``now`` holds today's shares, ``figures`` turns shares into briefing figures."""
    steps = []
    for unit_corrections in _by_unit(corrections):
        shares = [
            share(unit_corrections[0].unit, unit_corrections[position:])
            for position in range(len(unit_corrections) + 1)
        ]
        steps += [
            (correction, shares[position], shares[position + 1]) for position, correction in enumerate(unit_corrections)
        ]
    steps.sort(key=lambda step: step[0].order)
    marks: list[list[dict]] = []
    after = now
    for correction, without_it, with_it in reversed(steps):
        before = _swap(after, with_it, without_it)
        marks.append(_differences(section, correction, figures(before), figures(after)))
        after = before
    return [mark for step_marks in reversed(marks) for mark in step_marks]


def _by_unit(corrections: list[_Correction]) -> list[list[_Correction]]:
    """The corrections grouped by the unit they concern, each group in entry order."""
    groups: dict[int, list[_Correction]] = {}
    for correction in sorted(corrections, key=lambda correction: correction.order):
        groups.setdefault(correction.unit, []).append(correction)
    return list(groups.values())


def _swap(total: Shares, leaving: Shares, entering: Shares) -> Shares:
    """``total`` with one unit's share ``leaving`` replaced by ``entering``."""
    swapped = dict(total)
    for key in leaving.keys() | entering.keys():
        swapped[key] = swapped.get(key, 0) - leaving.get(key, 0) + entering.get(key, 0)
    return swapped


def _differences(
    section: str, correction: _Correction, before: dict[Key, object], after: dict[Key, object]
) -> list[dict]:
    """One mark per figure whose value differs between ``before`` and ``after`` the correction."""
    return [
        {
            "section": section,
            "figure": figure,
            "item": item,
            "before": before.get((figure, item)),
            "after": value,
            "changed_at": correction.changed_at,
            "changed_by": correction.changed_by,
            "reason": correction.reason,
        }
        for (figure, item), value in after.items()
        if before.get((figure, item)) != value
    ]


def _flatten(figures: Mapping[str, object], prefix: str = "") -> Shares:
    """The numeric figures of a briefing section under their dotted paths."""
    flat: Shares = {}
    for name, value in figures.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{name}."))
        elif isinstance(value, int):
            flat[(f"{prefix}{name}", None)] = value
    return flat


# Shared query pieces ---------------------------------------------------------------------------------------------


def _total(value: sa.ColumnElement) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(value), 0)


def _counts_while_hidden(table: sa.Table, link: str, hidden: list[_Correction]) -> sa.ColumnElement[bool]:
    """A ledger row that counts while the ``hidden`` rows are not yet entered: it is not one of them, and
    no row other than them supersedes or reverses it (``link`` names the column pointing at the earlier row)."""
    hidden_ids = [correction.row["id"] for correction in hidden]
    later = table.alias(f"later_{table.name}")
    return sa.and_(
        ~table.c.id.in_(hidden_ids), ~sa.exists().where(later.c[link] == table.c.id, ~later.c.id.in_(hidden_ids))
    )


def _after_day(day: date) -> datetime:
    """The first moment after ``day``: rows entered from then on are late for it."""
    return clock.day_bounds(day)[1]


def _not_imported(conn: Connection, table: sa.Table, rows: Sequence[RowMapping]) -> list[RowMapping]:
    """``rows`` of ``table`` without those a historical load wrote: an import file (the row carries its batch
    id), or the sample, an archive or an import made before imports were audited per file (the row's own audit
    row names the load)."""
    rows = [row for row in rows if row[IMPORT_BATCH] is None]
    if not rows:
        return []
    loaded_ids: Iterable[str] = conn.execute(
        sa.select(audit_log.c.row_id).where(
            audit_log.c.table_name == table.name,
            audit_log.c.row_id.in_([str(row["id"]) for row in rows]),
            audit_log.c.batch.is_not(None),
        )
    ).scalars()
    loaded = {int(row_id) for row_id in loaded_ids}
    return [row for row in rows if row["id"] not in loaded]


# Checkpoints ----------------------------------------------------------------------------------------------------


def _checkpoint_marks(conn: Connection, day: date, figures_now: Callable[[str], Mapping[str, Any]]) -> list[dict]:
    corrections = _checkpoint_corrections(conn, day)
    if not corrections:
        return []
    now = figures_now("checkpoints")
    shares = _flatten(now) | {("not_reported", name): 1 for name in now["not_reported"]}
    return _marks("checkpoints", corrections, partial(_checkpoint_share, conn, day), shares, _checkpoint_figures)


def _checkpoint_corrections(conn: Connection, day: date) -> list[_Correction]:
    """Entries entered after ``day`` that supersede another, where either starts on or before ``day``."""
    end = _after_day(day)
    entry, superseded = checkpoint_counts, checkpoint_counts.alias("superseded")
    rows = conn.execute(
        sa.select(entry)
        .join(superseded, superseded.c.id == entry.c.supersedes_id)
        .where(entry.c.entered_at >= end, sa.or_(entry.c.period_start < end, superseded.c.period_start < end))
    ).mappings()
    return [
        _Correction(entry, row, row["checkpoint_id"], row["entered_at"], row["entered_by"], row["reason"])
        for row in rows
    ]


def _checkpoint_share(conn: Connection, day: date, checkpoint_id: int, hidden: list[_Correction]) -> Shares:
    """One checkpoint's day sums, cumulative sums and reporting on ``day`` while ``hidden`` is not entered."""
    start, end = clock.day_bounds(day)
    entry = checkpoint_counts
    on_day = entry.c.period_start >= start
    sums = conn.execute(
        sa.select(
            *[_total(sa.case((on_day, entry.c[name]), else_=0)) for name in COUNT_FIELDS],
            *[_total(entry.c[name]) for name in COUNT_FIELDS],
            _total(sa.case((on_day, 1), else_=0)),
        ).where(
            entry.c.checkpoint_id == checkpoint_id,
            entry.c.period_start < end,
            _counts_while_hidden(entry, "supersedes_id", hidden),
        )
    ).one()
    checkpoint: Sequence[Any] = conn.execute(
        sa.select(checkpoints.checkpoints.c.name, checkpoints.checkpoints.c.active).where(
            checkpoints.checkpoints.c.id == checkpoint_id
        )
    ).one()
    name, active = checkpoint
    reported = bool(active) and sums[-1] > 0
    return {
        **{(field, None): sums[index] for index, field in enumerate(COUNT_FIELDS)},
        **{(f"cumulative.{field}", None): sums[len(COUNT_FIELDS) + index] for index, field in enumerate(COUNT_FIELDS)},
        ("reported_checkpoints", None): int(reported),
        ("not_reported", name): int(bool(active) and not reported),
    }


def _checkpoint_figures(shares: Shares) -> dict[Key, object]:
    """The briefing's checkpoint figures; ``not_reported`` lists the checkpoints whose flag is set."""
    figures: dict[Key, object] = {key: value for key, value in shares.items() if key[0] != "not_reported"}
    figures[("not_reported", None)] = sorted(
        name for (figure, name), flag in shares.items() if figure == "not_reported" and flag and name is not None
    )
    return figures


# Quarantine -----------------------------------------------------------------------------------------------------


def _quarantine_marks(conn: Connection, day: date, figures_now: Callable[[str], Mapping[str, Any]]) -> list[dict]:
    corrections = _followup_corrections(conn, day) + _episode_corrections(conn, day)
    if not corrections:
        return []
    episodes = conn.execute(
        sa.select(quarantine_episodes).where(
            quarantine_episodes.c.id.in_(sorted({correction.unit for correction in corrections}))
        )
    ).mappings()
    share = partial(_episode_share, conn, day, {episode["id"]: episode for episode in episodes})
    return _marks("quarantine", corrections, share, _flatten(figures_now("quarantine")), dict)


def _followup_corrections(conn: Connection, day: date) -> list[_Correction]:
    """Follow-ups entered after ``day`` that supersede another, where either is dated ``day``.

    Asked as two queries joined by a union, each led by the date of one side, so that both read only the
    follow-ups of ``day`` through the date index instead of every follow-up ever entered."""
    followup, superseded = quarantine_followups, quarantine_followups.alias("superseded")
    correcting = (
        sa.select(followup)
        .join(superseded, superseded.c.id == followup.c.supersedes_id)
        .where(followup.c.entered_at >= _after_day(day))
    )
    rows = conn.execute(
        sa.union(correcting.where(followup.c.date == day), correcting.where(superseded.c.date == day))
    ).mappings()
    return [
        _Correction(followup, row, row["episode_id"], row["entered_at"], row["entered_by"], row["reason"])
        for row in rows
    ]


def _episode_corrections(conn: Connection, day: date) -> list[_Correction]:
    """Changes entered after ``day`` to episodes started by then that move ``day``'s figures: an end dated
    ``day`` or earlier, or a planned end moved from or to ``day`` + 3 or earlier. Imports excluded."""
    change, episode = episode_changes, quarantine_episodes
    window_end = day + timedelta(days=DUE_WINDOW_DAYS)
    ended = sa.and_(change.c.new_status != change.c.old_status, change.c.end_date <= day)
    replanned = sa.and_(
        change.c.new_planned_end != change.c.old_planned_end,
        sa.or_(change.c.old_planned_end <= window_end, change.c.new_planned_end <= window_end),
    )
    rows = (
        conn.execute(
            sa.select(change)
            .join(episode, episode.c.id == change.c.episode_id)
            .where(change.c.changed_at >= _after_day(day), episode.c.start_date <= day, sa.or_(ended, replanned))
        )
        .mappings()
        .all()
    )
    return [
        _Correction(change, row, row["episode_id"], row["changed_at"], row["changed_by"], row["reason"])
        for row in _not_imported(conn, change, rows)
    ]


def _episode_share(
    conn: Connection, day: date, episodes: Mapping[int, RowMapping], episode_id: int, hidden: list[_Correction]
) -> Shares:
    """One episode's part in ``day``'s quarantine figures (design §4.2) while ``hidden`` is not entered.

    Only active episodes change, so before its earliest hidden change the
    episode was active, without an end, with that change's old planned end.
    """
    episode = episodes[episode_id]
    first_change = next((correction.row for correction in hidden if correction.table is episode_changes), None)
    if first_change is None:
        planned_end, status, end_date = episode["planned_end"], episode["status"], episode["end_date"]
    else:
        planned_end, status, end_date = first_change["old_planned_end"], first_change["old_status"], None
    followups, fevers = _followups_while_hidden(
        conn, day, episode_id, [correction for correction in hidden if correction.table is quarantine_followups]
    )
    current = episode["start_date"] <= day and (end_date is None or end_date > day)
    return {
        **{(f"current.{mode}", None): int(current and episode["mode"] == mode) for mode in MODES},
        ("current.total", None): int(current),
        ("released", None): int(status == "released" and end_date == day),
        ("due_next_3_days", None): int(current and day < planned_end <= day + timedelta(days=DUE_WINDOW_DAYS)),
        ("overdue", None): int(current and planned_end <= day),
        ("followups_missing", None): int(current and followups < FOLLOWUPS_PER_DAY),
        ("fever_in_quarantine", None): fevers,
    }


def _followups_while_hidden(conn: Connection, day: date, episode_id: int, hidden: list[_Correction]) -> tuple[int, int]:
    """The episode's follow-ups dated ``day`` that count while ``hidden`` is not entered, and their fevers."""
    followup = quarantine_followups
    fever = sa.case((followup.c.temperature >= quarantine.fever_threshold(), 1), else_=0)
    count, fevers = conn.execute(
        sa.select(sa.func.count(), _total(fever)).where(
            followup.c.episode_id == episode_id,
            followup.c.date == day,
            _counts_while_hidden(followup, "supersedes_id", hidden),
        )
    ).one()
    return count, fevers


# Supplies -------------------------------------------------------------------------------------------------------


def _supply_marks(conn: Connection, day: date) -> list[dict]:
    corrections = _supply_corrections(conn, day)
    if not corrections:
        return []
    items = {
        item["id"]: item
        for item in conn.execute(
            sa.select(supply_items).where(
                supply_items.c.id.in_(sorted({correction.unit for correction in corrections}))
            )
        ).mappings()
    }
    share = partial(_item_share, conn, day, items)
    now: Shares = {}
    for item_id in items:
        now.update(share(item_id, []))
    safety_stock = {item["name"]: item["safety_stock"] for item in items.values()}
    return _marks("supplies", corrections, share, now, partial(_supply_figures, safety_stock))


def _supply_corrections(conn: Connection, day: date) -> list[_Correction]:
    """Reversals and adjustments of active items dated ``day`` or earlier, entered after it; imports excluded."""
    movement = supply_movements
    rows = (
        conn.execute(
            sa.select(movement)
            .join(supply_items, supply_items.c.id == movement.c.item_id)
            .where(
                movement.c.kind.in_(CORRECTING_MOVEMENTS),
                movement.c.date <= day,
                movement.c.entered_at >= _after_day(day),
                supply_items.c.active == sa.true(),
            )
        )
        .mappings()
        .all()
    )
    return [
        _Correction(movement, row, row["item_id"], row["entered_at"], row["entered_by"], row["note"])
        for row in _not_imported(conn, movement, rows)
    ]


def _item_share(
    conn: Connection, day: date, items: Mapping[int, RowMapping], item_id: int, hidden: list[_Correction]
) -> Shares:
    """One item's ledger sums behind its figures of ``day`` (design §4.3) while ``hidden`` is not entered:
    stock on hand, receipts and issues of the day, and the issues of the seven days ending it."""
    movement = supply_movements
    counted = _counts_while_hidden(movement, "reverses_id", hidden) & (movement.c.kind != "reversal")
    today = movement.c.date == day
    week = movement.c.date >= day - timedelta(days=BURN_DAYS - 1)
    hidden_ids = [correction.row["id"] for correction in hidden]
    sums = conn.execute(
        sa.select(
            _total(sa.case((~movement.c.id.in_(hidden_ids), movement.c.quantity), else_=0)),
            _total(sa.case((counted & today & movement.c.kind.in_(IN_KINDS), movement.c.quantity), else_=0)),
            -_total(sa.case((counted & today & movement.c.kind.in_(OUT_KINDS), movement.c.quantity), else_=0)),
            -_total(sa.case((counted & week & (movement.c.kind == "issue"), movement.c.quantity), else_=0)),
        ).where(movement.c.item_id == item_id, movement.c.date <= day)
    ).one()
    name = items[item_id]["name"]
    return {
        (figure, name): int(value)
        for figure, value in zip(("on_hand", "in_today", "out_today", "issued_week"), sums, strict=True)
    }


def _supply_figures(safety_stock: Mapping[str, int], shares: Shares) -> dict[Key, object]:
    """Each item's briefing figures from its sums, computed as :func:`data_layer.supplies.figures` does."""
    figures: dict[Key, object] = {}
    for name in sorted({item for _, item in shares if item is not None}):
        on_hand = shares[("on_hand", name)]
        figures |= {
            ("on_hand", name): on_hand,
            ("in_today", name): shares[("in_today", name)],
            ("out_today", name): shares[("out_today", name)],
        }
        figures |= {
            (figure, name): value
            for figure, value in stock_figures(on_hand, shares[("issued_week", name)], safety_stock[name]).items()
        }
    return figures


# Enterprises ----------------------------------------------------------------------------------------------------


def _enterprise_marks(conn: Connection, day: date, figures_now: Callable[[str], Mapping[str, Any]]) -> list[dict]:
    corrections = _status_corrections(conn, day)
    if not corrections:
        return []
    units = sorted({correction.unit for correction in corrections})
    table = enterprises.enterprises
    registered: dict[int, date] = dict(
        conn.execute(sa.select(table.c.id, table.c.registered_on).where(table.c.id.in_(units))).all()
    )
    history: dict[int, list[RowMapping]] = {unit: [] for unit in units}
    for row in conn.execute(
        sa.select(status_changes).where(
            status_changes.c.enterprise_id.in_(units), status_changes.c.effective_date <= day
        )
    ).mappings():
        history[row["enterprise_id"]].append(row)
    share = partial(_enterprise_share, day, registered, history)
    return _marks("enterprises", corrections, share, _flatten(figures_now("enterprises")), _enterprise_figures)


def _status_corrections(conn: Connection, day: date) -> list[_Correction]:
    """Status changes effective on or before ``day``, entered after it, that follow an earlier status row of the
    enterprise (its first row is its registration, a late one at most); imports excluded."""
    change, earlier = status_changes, status_changes.alias("earlier")
    follows_another = sa.exists().where(earlier.c.enterprise_id == change.c.enterprise_id, earlier.c.id < change.c.id)
    rows = (
        conn.execute(
            sa.select(change).where(
                change.c.effective_date <= day, change.c.changed_at >= _after_day(day), follows_another
            )
        )
        .mappings()
        .all()
    )
    return [
        _Correction(change, row, row["enterprise_id"], row["changed_at"], row["changed_by"], row["note"])
        for row in _not_imported(conn, change, rows)
    ]


def _enterprise_share(
    day: date,
    registered: Mapping[int, date],
    history: Mapping[int, list[RowMapping]],
    enterprise_id: int,
    hidden: list[_Correction],
) -> Shares:
    """One enterprise's status at the end of ``day`` while ``hidden`` is not entered: its newest known status
    row in effect by then; not reopened when registered by then without one (as enterprises.figures counts)."""
    hidden_ids = {correction.row["id"] for correction in hidden}
    known = [row for row in history[enterprise_id] if row["id"] not in hidden_ids]
    if known:
        newest = max(known, key=lambda row: row["id"])
        status, reason = newest["status"], newest["reason"]
    elif registered[enterprise_id] <= day:
        status, reason = enterprises.DEFAULT_STATUS, None
    else:
        return {}
    share: Shares = {(status, None): 1}
    if status in STATUSES_WITH_REASON and reason in REASONS:
        share[(f"by_reason.{reason}", None)] = 1
    return share


def _enterprise_figures(shares: Shares) -> dict[Key, object]:
    """The briefing's enterprise figures from the status and reason counts; ``total`` leaves out the closed."""
    counts = {status: shares.get((status, None), 0) for status in STATUSES}
    total = sum(count for status, count in counts.items() if status != "closed")
    return {
        ("total", None): total,
        ("reopened", None): counts["reopened"],
        ("reopen_rate", None): round(counts["reopened"] / total, 3) if total else 0.0,
        **{(status, None): counts[status] for status in ("applied", "not_reopened", "suspended", "closed")},
        **{(f"by_reason.{reason}", None): shares.get((f"by_reason.{reason}", None), 0) for reason in REASONS},
    }
