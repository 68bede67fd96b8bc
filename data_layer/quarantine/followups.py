"""The follow-up ledger: adding follow-ups (one, a batch, an import file), correcting them with rows that
supersede them, saving a day's grid, and keeping the per-day follow-up table in step."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer import clock
from data_layer.db import Rows, WriteContext, add_to_counters
from data_layer.errors import ValidationError
from data_layer.permissions import require_write
from data_layer.quarantine.config import codes_by_chinese_label
from data_layer.quarantine.episodes import check_id_number
from data_layer.quarantine.queries import current_on, episodes_by_id, is_effective, require_write_for_site
from data_layer.quarantine.tables import (
    DOMAIN,
    LOOKUP_CHUNK,
    MAX_TEMPERATURE,
    MIN_TEMPERATURE,
    SLOTS,
    persons,
    quarantine_episodes,
    quarantine_followup_days,
    quarantine_followups,
)
from data_layer.validation import Checks, as_id, is_blank, raise_if_any_row

T = TypeVar("T")


@dataclasses.dataclass(eq=False)
class _FollowupInput:
    """One follow-up as read from a form or a file, with the checks that collected its problems.

    Forms name the episode by ``episode_id``; import rows name the person by
    ``id_number`` and the episode is the one current on the follow-up's date.
    """

    checks: Checks
    episode_ref: object
    id_number: object
    day: date | None
    slot: str | None
    temperature: float | None
    symptoms: bool | None
    symptom_text: str | None
    by_name: str | None
    episode: sa.RowMapping | None = None

    @property
    def names_episode(self) -> bool:
        return not is_blank(self.episode_ref) or is_blank(self.id_number)

    @property
    def stored_episode(self) -> sa.RowMapping:
        """The episode of an entry that passed its checks (one whose episode was not found fails them)."""
        return self.checks.passed(self.episode)

    @property
    def stored_day(self) -> date:
        return self.checks.passed(self.day)

    def values(self) -> dict[str, object]:
        """The row to store for an entry that passed its checks."""
        return {
            "episode_id": self.stored_episode["id"],
            "date": self.stored_day,
            "slot": self.slot,
            "temperature": self.temperature,
            "symptoms": self.symptoms,
            "symptom_text": self.symptom_text,
            "by_name": self.by_name,
        }


def _read_followup(data: Mapping[str, object], now: datetime | None = None) -> _FollowupInput:
    checks = Checks(DOMAIN, now)
    temperature = checks.number(
        data.get("temperature"), "temperature", minimum=MIN_TEMPERATURE, maximum=MAX_TEMPERATURE
    )
    return _FollowupInput(
        checks=checks,
        episode_ref=data.get("episode_id"),
        id_number=data.get("id_number"),
        day=checks.day(data.get("date"), "date"),
        slot=checks.choice(data.get("slot"), "slot", SLOTS, labels=codes_by_chinese_label(SLOTS)),
        temperature=None if temperature is None else round(temperature, 1),
        symptoms=checks.flag(data.get("symptoms"), "symptoms", default=False),
        symptom_text=checks.text(data.get("symptom_text"), "symptom_text", required=False),
        by_name=checks.text(data.get("by"), "by", max_length=100),
    )


def _attach_by_episode_id(conn: Connection, entries: list[_FollowupInput]) -> None:
    """Find the episodes that form entries name by id, in one query."""
    named = [as_id(entry.episode_ref) for entry in entries]
    found = episodes_by_id(conn, [episode_id for episode_id in named if episode_id is not None], lock=True)
    for entry, episode_id in zip(entries, named, strict=True):
        if is_blank(entry.episode_ref):
            entry.checks.fail("episode", "error.required")
            continue
        entry.episode = found.get(episode_id) if episode_id is not None else None
        if entry.episode is None:
            entry.checks.fail("episode", "error.unknown_name", value=entry.episode_ref)


def _chunks(values: Sequence[T], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in slices small enough for one statement's parameters on every database."""
    return (values[start : start + size] for start in range(0, len(values), size))


def _current_episode_ids(conn: Connection, id_numbers: Sequence[str], day: date) -> dict[str, int]:
    """The episode current on ``day`` of each person with one of these ID numbers, by ID number."""
    episode = quarantine_episodes
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(id_numbers))):
        query = (
            sa.select(persons.c.id_number, episode.c.id)
            .join(persons, persons.c.id == episode.c.person_id)
            .where(persons.c.id_number.in_(chunk), current_on(day))
            .order_by(episode.c.id)
        )
        rows: Rows = conn.execute(query)
        for id_number, episode_id in rows:
            found.setdefault(id_number, episode_id)
    return found


def _attach_by_id_number(conn: Connection, entries: list[_FollowupInput]) -> None:
    """Find, for entries that name a person by ID number, that person's episode current on the entry's
    date: one query per date the entries name (a day's sheet asks one), and one to lock the episodes."""
    wanted: dict[date, list[tuple[_FollowupInput, str]]] = {}
    for entry in entries:
        id_number = check_id_number(entry.checks, entry.id_number)
        if id_number is not None and entry.day is not None:
            wanted.setdefault(entry.day, []).append((entry, id_number))
    current = {
        day: _current_episode_ids(conn, [id_number for _, id_number in named], day) for day, named in wanted.items()
    }
    episode_ids = sorted({episode_id for found in current.values() for episode_id in found.values()})
    episodes: dict[int, sa.RowMapping] = {}
    for chunk in _chunks(episode_ids):
        episodes.update(episodes_by_id(conn, chunk, lock=True))
    for day, named in wanted.items():
        for entry, id_number in named:
            episode_id = current[day].get(id_number)
            if episode_id is None:
                entry.checks.fail("id_number", "quarantine.error.no_episode_on_date", day=day.isoformat())
            else:
                entry.episode = episodes[episode_id]


def _effective_readings(conn: Connection, entries: Sequence[_FollowupInput]) -> dict[tuple, set[int]]:
    """The ids of the effective follow-ups in each (episode, date, slot) of the entries' episodes and dates."""
    episode_ids = sorted({entry.episode["id"] for entry in entries if entry.episode})
    days = sorted({entry.day for entry in entries if entry.day})
    if not episode_ids or not days:
        return {}
    followup = quarantine_followups
    readings: dict[tuple, set[int]] = {}
    for chunk in _chunks(episode_ids):
        query = sa.select(followup.c.id, followup.c.episode_id, followup.c.date, followup.c.slot).where(
            followup.c.episode_id.in_(chunk), followup.c.date.in_(days), is_effective()
        )
        rows: Rows = conn.execute(query)
        for reading_id, *slot in rows:
            readings.setdefault(tuple(slot), set()).add(reading_id)
    return readings


def _taken_slots(conn: Connection, entries: Sequence[_FollowupInput]) -> set[tuple]:
    """The (episode, date, slot) triples that already have an effective follow-up."""
    return set(_effective_readings(conn, entries))


def _check_followup(entry: _FollowupInput, taken: set[tuple]) -> None:
    """A follow-up lies inside the episode's period (from its start, before its end) and fills a free slot;
    a follow-up that passes every check takes its slot from the ones after it, as if entered first."""
    episode, checks = entry.episode, entry.checks
    if episode is None or entry.day is None:
        return
    last = episode["end_date"] - timedelta(days=1) if episode["end_date"] else clock.today()
    if not episode["start_date"] <= entry.day <= last:
        checks.fail(
            "date", "quarantine.error.outside_period", start=episode["start_date"].isoformat(), end=last.isoformat()
        )
        return
    if entry.slot is None:
        return
    key = (episode["id"], entry.day, entry.slot)
    if key in taken:
        checks.fail("slot", "quarantine.error.followup_taken", day=entry.day.isoformat(), slot=entry.slot)
    elif not checks.errors:
        taken.add(key)


def add_followups(ctx: WriteContext, rows: Sequence[Mapping[str, object]]) -> list[int]:
    """Store a batch of follow-ups (a whole day's grid) in one transaction; returns their ids.

    Each row names its episode by ``episode_id`` (or, as import rows do, by
    ``id_number`` and its date) and gives date, slot (AM/PM), temperature
    (34.0–43.0 °C), symptoms (yes/no), symptom_text and by (who asked). Every
    row is checked before any is stored; when any row is bad the whole batch is
    refused with one :class:`ValidationError` whose errors carry the row's
    1-based position as the ``row`` parameter and, once its episode is found,
    the person's name as their ``subject``: a site's round names whose reading is wrong.
    """
    entries = _checked_followups(ctx, rows)
    errors = [
        dataclasses.replace(
            error,
            params={**error.params, "row": position},
            subject=entry.episode["person_name"] if entry.episode else None,
        )
        for position, entry in enumerate(entries, start=1)
        for error in entry.checks.errors
    ]
    if errors:
        raise ValidationError(errors)
    return _store_followups(ctx, entries, clock.now())


def add_followups_batch(
    ctx: WriteContext, rows: Sequence[Mapping[str, object]], progress: Callable[[int], None] | None = None
) -> list[int]:
    """Store an import file of follow-ups by the rules and with the messages of :func:`add_followup`, as
    if its rows had been entered one after the other; returns their ids.

    Any bad row refuses the whole file with :class:`RowsRejected`, which names
    each bad row by its position; ``progress`` hears how many rows have been checked.
    """
    now = clock.now()
    entries = _checked_followups(ctx, rows, now, progress)
    raise_if_any_row([entry.checks for entry in entries])
    return _store_followups(ctx, entries, now)


def _checked_followups(
    ctx: WriteContext,
    rows: Sequence[Mapping[str, object]],
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[_FollowupInput]:
    """Read and check follow-ups, each on its own :class:`Checks`: episodes looked up and locked in a few
    queries, the taken slots in one, then every rule row by row."""
    require_write(ctx.actor, DOMAIN)
    entries = [_read_followup(row, now) for row in rows]
    _attach_by_episode_id(ctx.conn, [entry for entry in entries if entry.names_episode])
    _attach_by_id_number(ctx.conn, [entry for entry in entries if not entry.names_episode])
    for site_id in {entry.episode["site_id"] for entry in entries if entry.episode}:
        require_write_for_site(ctx.actor, site_id)
    taken = _taken_slots(ctx.conn, entries)
    for done, entry in enumerate(entries, start=1):
        _check_followup(entry, taken)
        if progress is not None:
            progress(done)
    return entries


def _store_followups(ctx: WriteContext, entries: list[_FollowupInput], now: datetime) -> list[int]:
    update_quarantine_followup_days(ctx.conn, [(entry.stored_day, entry.stored_episode["id"]) for entry in entries])
    return ctx.insert_many(
        quarantine_followups,
        "quarantine.followup_add",
        [
            {
                **entry.values(),
                "entered_by": ctx.actor.username,
                "entered_at": now,
                "supersedes_id": None,
                "reason": None,
            }
            for entry in entries
        ],
    )


def add_followup(ctx: WriteContext, data: Mapping[str, object]) -> int:
    """Store one follow-up (see :func:`add_followups` for the fields); returns its id. A refusal names the
    fields alone: there is only one person."""
    try:
        return add_followups(ctx, [data])[0]
    except ValidationError as refusal:
        raise _of_one(refusal) from None


def _of_one(refusal: ValidationError) -> ValidationError:
    """The refusal of a batch of one follow-up as the refusal of that follow-up: no row, no person named."""
    return ValidationError(
        [
            dataclasses.replace(
                error, params={key: value for key, value in error.params.items() if key != "row"}, subject=None
            )
            for error in refusal.errors
        ]
    )


def correct_followup(ctx: WriteContext, followup_id: object, data: Mapping[str, object], reason: object) -> int:
    """Correct an effective follow-up with a new row that supersedes it; returns the new row's id.

    ``data`` gives the fields that change (temperature, symptoms, symptom_text,
    by, date, slot); the others are taken from the row corrected. The old row
    stays in the ledger; only the new one counts in the figures.
    """
    try:
        return correct_followups(ctx, [(followup_id, data)], reason)[0]
    except ValidationError as refusal:
        raise _of_one(refusal) from None


def correct_followups(
    ctx: WriteContext, corrections: Sequence[tuple[object, Mapping[str, object]]], reason: object
) -> list[int]:
    """Correct several follow-ups (see :func:`correct_followup`) with one reason; returns the new rows' ids.

    Each correction is checked as if the ones before it were already stored (a reading they superseded is no
    longer effective, a slot they filled is taken), so the batch accepts and refuses exactly what one correction
    after another would, the first refused one refusing all. The rows are read, and the new ones stored, with
    one statement each for the whole batch, so that a site's whole grid saves at once. A refusal names the
    person whose reading it is (the errors' ``subject``).
    """
    require_write(ctx.actor, DOMAIN)
    followup = quarantine_followups
    original_ids = [as_id(followup_id) for followup_id, _ in corrections]
    known_ids = sorted({original_id for original_id in original_ids if original_id is not None})
    originals = {
        row["id"]: row for row in ctx.conn.execute(sa.select(followup).where(followup.c.id.in_(known_ids))).mappings()
    }
    episodes = episodes_by_id(ctx.conn, [row["episode_id"] for row in originals.values()], lock=True)
    superseded = set(
        ctx.conn.execute(sa.select(followup.c.supersedes_id).where(followup.c.supersedes_id.in_(known_ids))).scalars()
    )
    entries = [
        _corrected_entry(originals.get(original_id), episodes, data)
        for original_id, (_, data) in zip(original_ids, corrections, strict=True)
    ]
    readings = _effective_readings(ctx.conn, [entry for entry in entries if entry is not None])
    filled: set[tuple] = set()
    rows: list[dict[str, Any]] = []
    for (followup_id, _), original_id, entry in zip(corrections, original_ids, entries, strict=True):
        if entry is None or original_id is None:
            Checks(DOMAIN).refuse("followup", "error.unknown_name", value=followup_id)
        original = originals[original_id]
        episode = episodes[original["episode_id"]]
        require_write_for_site(ctx.actor, episode["site_id"])
        why = entry.checks.text(reason, "reason")
        if original_id in superseded:
            entry.checks.fail("followup", "quarantine.error.followup_superseded")
        readings.get((original["episode_id"], original["date"], original["slot"]), set()).discard(original_id)
        taken = {slot for slot, ids in readings.items() if ids} | filled
        _check_followup(entry, taken)
        if entry.checks.errors:
            raise ValidationError(
                [dataclasses.replace(error, subject=episode["person_name"]) for error in entry.checks.errors]
            )
        superseded.add(original_id)
        filled.add((episode["id"], entry.day, entry.slot))
        rows.append(
            {
                **entry.values(),
                "entered_by": ctx.actor.username,
                "entered_at": clock.now(),
                "supersedes_id": original_id,
                "reason": why,
            }
        )
    update_quarantine_followup_days(
        ctx.conn,
        [(row["date"], row["episode_id"]) for row in rows],
        [(originals[original_id]["date"], originals[original_id]["episode_id"]) for original_id in original_ids],
    )
    return ctx.insert_many(followup, "quarantine.followup_correct", rows)


def update_quarantine_followup_days(
    conn: Connection, effective: Iterable[tuple[date, int]], superseded: Iterable[tuple[date, int]] = ()
) -> None:
    """Keep :data:`quarantine_followup_days` equal to the follow-ups after readings (each as its date and
    episode) became effective or were superseded. Every path that stores follow-ups calls this in the same
    transaction; :func:`rebuild_quarantine_followup_days` computes the table afresh."""
    changes = Counter(effective)
    changes.subtract(superseded)
    add_to_counters(conn, quarantine_followup_days, "readings", changes)


def rebuild_quarantine_followup_days(conn: Connection) -> None:
    """Compute :data:`quarantine_followup_days` afresh from the follow-ups: for loaders that insert follow-ups
    in bulk around :func:`add_followups` (the district benchmark, see :mod:`data_layer.derived`)."""
    followup, days = quarantine_followups, quarantine_followup_days
    conn.execute(days.delete())
    conn.execute(
        days.insert().from_select(
            ["date", "episode_id", "readings"],
            sa.select(followup.c.date, followup.c.episode_id, sa.func.count())
            .where(is_effective())
            .group_by(followup.c.date, followup.c.episode_id),
        )
    )


def _corrected_entry(
    original: sa.RowMapping | None, episodes: Mapping[int, sa.RowMapping], data: Mapping[str, object]
) -> _FollowupInput | None:
    """The follow-up that corrects ``original`` with the fields of ``data``, read and checked as a new one;
    ``None`` when there is no such follow-up."""
    if original is None:
        return None
    merged = {
        "date": original["date"],
        "slot": original["slot"],
        "temperature": original["temperature"],
        "symptoms": original["symptoms"],
        "symptom_text": original["symptom_text"],
        "by": original["by_name"],
        **data,
    }
    entry = _read_followup(merged)
    entry.episode = episodes[original["episode_id"]]
    return entry


def save_followup_grid(
    ctx: WriteContext,
    additions: Sequence[Mapping[str, object]],
    corrections: Sequence[tuple[object, Mapping[str, object]]],
    reason: object = None,
) -> int:
    """Store a day's follow-up grid as it was edited, in one transaction; returns the rows written.

    ``additions`` are the readings filled into empty slots (see
    :func:`add_followups`); ``corrections`` the readings changed, each as the
    id of the reading shown and its new fields, stored as corrections (see
    :func:`correct_followups`) with the one ``reason`` given for all of them.
    Any refused row refuses the whole grid.
    """
    require_write(ctx.actor, DOMAIN)
    added = add_followups(ctx, additions)
    corrected = correct_followups(ctx, corrections, reason) if corrections else []
    return len(added) + len(corrected)
