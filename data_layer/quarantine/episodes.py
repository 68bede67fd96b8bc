"""Registering a person for quarantine and the changes to an episode: extensions, shortenings, releases,
transfers to hospital and other endings, each written with its row of ``episode_changes``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer import clock
from data_layer.db import Actor, WriteContext
from data_layer.permissions import require_write
from data_layer.quarantine.config import codes_by_chinese_label, origin_categories, planned_days_for
from data_layer.quarantine.master import SITES, existing_site, site_peak
from data_layer.quarantine.queries import episodes_by_id, require_write_for_site, visible_to
from data_layer.quarantine.tables import DOMAIN, MODES, episode_changes, persons, quarantine_episodes
from data_layer.settings import MAX_PLANNED_DAYS
from data_layer.validation import Checks, as_id, id_number_is_valid, is_blank


@dataclasses.dataclass
class _PersonInput:
    name: str | None
    id_number: str | None
    phone: str | None
    grid: str | None
    address: str | None
    origin: str | None
    origin_category: str | None

    def values(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def normalise_id_number(text: str) -> str:
    """An ID number as stored: without spaces, its check character ``x`` in upper case."""
    return text.replace(" ", "").upper()


def check_id_number(checks: Checks, value: object) -> str | None:
    text = checks.identifier(value, "id_number", max_length=40)
    if text is None:
        return None
    normalized = normalise_id_number(text)
    if not id_number_is_valid(normalized):
        checks.fail("id_number", "quarantine.error.invalid_id_number", value=text)
        return None
    return normalized


def _check_phone(checks: Checks, value: object) -> str | None:
    text = checks.text(value, "phone", max_length=40)
    if text is None:
        return None
    digits = text.replace(" ", "").replace("-", "").removesuffix(".0")
    if len(digits) != 11 or not digits.isdigit() or not digits.startswith("1"):
        checks.fail("phone", "quarantine.error.invalid_phone", value=text)
        return None
    return digits


def _check_person(checks: Checks, data: Mapping[str, object]) -> _PersonInput:
    categories = origin_categories()
    return _PersonInput(
        name=checks.name(data.get("name"), "name", max_length=50),
        id_number=check_id_number(checks, data.get("id_number")),
        phone=_check_phone(checks, data.get("phone")),
        grid=checks.text(data.get("grid"), "grid", max_length=100),
        address=checks.text(data.get("address"), "address", required=False),
        origin=checks.text(data.get("origin"), "origin", required=False),
        origin_category=checks.choice(
            data.get("origin_category"), "origin_category", categories, labels=codes_by_chinese_label(categories)
        ),
    )


def register(ctx: WriteContext, data: Mapping[str, object]) -> int:
    """Register a person for quarantine and open their episode; returns the episode id.

    ``data`` holds the person (name, id_number, phone, grid, address, origin,
    origin_category) and the episode (mode, site by name or id, start_date,
    planned_days — by default the origin category's period — and an optional
    reason). A person already known by ID number is reused, and their details
    updated, as long as they have no active episode and the new one starts
    after the previous one ended. A centralized episode needs an active site
    with a free place from its start date on.
    """
    require_write(ctx.actor, DOMAIN)
    site = SITES.find(ctx.conn, data.get("site"), lock=True)
    require_write_for_site(ctx.actor, site["id"] if site else None)
    checks = Checks(DOMAIN)
    person = _check_person(checks, data)
    mode = checks.choice(data.get("mode"), "mode", MODES, labels=codes_by_chinese_label(MODES))
    start = checks.day(data.get("start_date"), "start_date")
    days = checks.integer(data.get("planned_days"), "planned_days", required=False, minimum=1, maximum=MAX_PLANNED_DAYS)
    if days is None and not checks.has_error("planned_days") and person.origin_category:
        days = planned_days_for(person.origin_category)
    reason = checks.text(data.get("reason"), "reason", required=False)
    _check_site_for_mode(ctx.conn, checks, mode, data.get("site"), site, start)
    existing = _check_person_free(ctx.conn, checks, ctx.actor, person.id_number, start)
    start_day, planned_days = checks.passed(start), checks.passed(days)
    person_id = _store_person(ctx, person, existing)
    return ctx.insert(
        quarantine_episodes,
        "quarantine.register",
        {
            "person_id": person_id,
            "mode": mode,
            "site_id": site["id"] if site else None,
            "start_date": start_day,
            "planned_days": planned_days,
            "planned_end": start_day + timedelta(days=planned_days),
            "status": "active",
            "end_date": None,
            "reason": reason,
            "created_by": ctx.actor.username,
            "created_at": clock.now(),
        },
    )


def _check_site_for_mode(
    conn: Connection,
    checks: Checks,
    mode: str | None,
    reference: object,
    site: sa.RowMapping | None,
    start: date | None,
) -> None:
    """Centralized quarantine needs an active site with a free place; the other modes take no site."""
    if mode != "centralized":
        if mode and not is_blank(reference):
            checks.fail("site", "quarantine.error.site_only_centralized")
        return
    if site is None:
        existing_site(conn, checks, reference)
        return
    if not site["active"]:
        checks.fail("site", "quarantine.error.site_inactive", site=site["name"])
    elif start is not None:
        occupied = site_peak(conn, site["id"], start)
        if occupied >= site["capacity"]:
            checks.fail(
                "site", "quarantine.error.site_full", site=site["name"], capacity=site["capacity"], occupied=occupied
            )


def _check_person_free(
    conn: Connection, checks: Checks, actor: Actor, id_number: str | None, start: date | None
) -> sa.RowMapping | None:
    """The known person with this ID number (locked), after checking that a new episode may open for them:
    none of their episodes is active and the new one starts on or after the day the last one ended.

    A person under quarantine at a unit ``actor`` may not see is refused without their name: an ID number
    typed into the form must not tell a clerk of one site who is quarantined at another."""
    if id_number is None:
        return None
    existing = (
        conn.execute(sa.select(persons).where(persons.c.id_number == id_number).with_for_update()).mappings().first()
    )
    if existing is None:
        return None
    episode = quarantine_episodes
    active = sa.and_(episode.c.status == "active", visible_to(actor))
    history: Sequence[Any] = conn.execute(
        sa.select(
            sa.func.min(sa.case((episode.c.status == "active", episode.c.start_date))),
            sa.func.count().filter(active),
            sa.func.max(episode.c.end_date),
        ).where(episode.c.person_id == existing["id"])
    ).one()
    active_since, visible, last_end = history
    if active_since is not None and visible:
        checks.fail(
            "id_number", "quarantine.error.active_episode_exists", name=existing["name"], start=active_since.isoformat()
        )
    elif active_since is not None:
        checks.fail("id_number", "quarantine.error.active_elsewhere")
    elif start is not None and last_end is not None and start < last_end:
        checks.fail("start_date", "quarantine.error.overlaps_previous", end=last_end.isoformat())
    return existing


def _store_person(ctx: WriteContext, person: _PersonInput, existing: sa.RowMapping | None) -> int:
    """Insert a new person, or bring a known person's details up to date (audited before/after)."""
    values = person.values()
    if existing is None:
        return ctx.insert(persons, "quarantine.person_add", values)
    changed = {key: value for key, value in values.items() if existing[key] != value}
    if changed:
        ctx.conn.execute(persons.update().where(persons.c.id == existing["id"]).values(**changed))
        ctx.audit(
            "quarantine.person_update",
            persons,
            existing["id"],
            before={key: existing[key] for key in changed},
            after=changed,
        )
    return existing["id"]


def _apply_change(ctx: WriteContext, episode: sa.RowMapping, kind: str, values: dict, reason: str | None) -> None:
    """Update the episode's current fields and record the change in ``episode_changes``, both audited."""
    before = {key: episode[key] for key in values}
    ctx.conn.execute(quarantine_episodes.update().where(quarantine_episodes.c.id == episode["id"]).values(**values))
    ctx.audit(f"quarantine.{kind}", quarantine_episodes, episode["id"], before=before, after=values)
    ctx.insert(
        episode_changes,
        f"quarantine.{kind}",
        {
            "episode_id": episode["id"],
            "kind": kind,
            "old_planned_end": episode["planned_end"],
            "new_planned_end": values.get("planned_end", episode["planned_end"]),
            "old_status": episode["status"],
            "new_status": values.get("status", episode["status"]),
            "end_date": values.get("end_date"),
            "reason": reason,
            "changed_by": ctx.actor.username,
            "changed_at": clock.now(),
        },
    )


def _active_episodes(ctx: WriteContext, checks: Checks, episode_ids: Sequence[object]) -> list[sa.RowMapping]:
    """The named episodes, locked, after checking the actor may write for their sites.

    Unknown and already-ended episodes are recorded in ``checks`` under ``episode``.
    """
    if not episode_ids:
        checks.fail("episode", "error.required")
    ids = [as_id(value) for value in episode_ids]
    found = episodes_by_id(ctx.conn, [episode_id for episode_id in ids if episode_id is not None], lock=True)
    episodes = []
    for value, episode_id in zip(episode_ids, ids, strict=True):
        episode = found.get(episode_id) if episode_id is not None else None
        if episode is None:
            checks.fail("episode", "error.unknown_name", value=value)
            continue
        require_write_for_site(ctx.actor, episode["site_id"])
        if episode["status"] != "active":
            checks.fail("episode", "quarantine.error.episode_not_active", name=episode["person_name"])
        episodes.append(episode)
    return episodes


def change_planned_end(
    ctx: WriteContext, episode_id: object, reason: object, *, new_end: object = None, planned_days: object = None
) -> int:
    """Extend or shorten an active episode: give the new planned end, or the new number of planned days.

    The period stays 1–60 days from the start; the reason is required and kept
    in the episode's history. Returns the episode's id.
    """
    require_write(ctx.actor, DOMAIN)
    checks = Checks(DOMAIN)
    episodes = _active_episodes(ctx, checks, [episode_id])
    why = checks.text(reason, "reason")
    if is_blank(new_end) == is_blank(planned_days):
        checks.fail("new_end", "quarantine.error.new_end_or_days")
    end = checks.day(new_end, "new_end", required=False, not_future=False)
    days = checks.integer(planned_days, "planned_days", required=False, minimum=1, maximum=MAX_PLANNED_DAYS)
    episode = episodes[0] if episodes else None
    if episode and days is not None:
        end = episode["start_date"] + timedelta(days=days)
    if episode and end is not None:
        first, last = (episode["start_date"] + timedelta(days=limit) for limit in (1, MAX_PLANNED_DAYS))
        if not first <= end <= last:
            checks.fail("new_end", "quarantine.error.planned_end_range", first=first.isoformat(), last=last.isoformat())
        elif end == episode["planned_end"]:
            checks.fail("new_end", "quarantine.error.planned_end_unchanged")
    changed, new_planned_end = checks.passed(episode), checks.passed(end)
    kind = "extend" if new_planned_end > changed["planned_end"] else "shorten"
    _apply_change(
        ctx,
        changed,
        kind,
        {"planned_end": new_planned_end, "planned_days": (new_planned_end - changed["start_date"]).days},
        why,
    )
    return changed["id"]


def _end_episodes(
    ctx: WriteContext,
    episode_ids: Sequence[object],
    end_date: object,
    reason: object,
    status: str,
    kind: str,
    *,
    reason_required: bool,
    progress: Callable[[int, int], None] | None = None,
) -> list[int]:
    """End active episodes on ``end_date`` (not before their start, not in the future): all or none.
    Returns their ids; ``progress(done, total)`` hears each episode ended."""
    require_write(ctx.actor, DOMAIN)
    checks = Checks(DOMAIN)
    episodes = _active_episodes(ctx, checks, episode_ids)
    end = checks.day(end_date, "end_date")
    why = checks.text(reason, "reason", required=reason_required)
    for episode in episodes:
        if end is not None and end < episode["start_date"]:
            checks.fail(
                "end_date",
                "quarantine.error.end_before_start",
                name=episode["person_name"],
                start=episode["start_date"].isoformat(),
            )
    checks.raise_if_any()
    for done, episode in enumerate(episodes, start=1):
        values = {"status": status, "end_date": end}
        if why is not None:
            values["reason"] = why
        _apply_change(ctx, episode, kind, values, why)
        if progress is not None:
            progress(done, len(episodes))
    return [episode["id"] for episode in episodes]


def release(ctx: WriteContext, episode_id: object, end_date: object, reason: object = None) -> int:
    """Release one person from quarantine (解除隔离) on ``end_date``; from that day on they are not current.
    Returns the episode's id."""
    return _end_episodes(ctx, [episode_id], end_date, reason, "released", "release", reason_required=False)[0]


def release_many(
    ctx: WriteContext,
    episode_ids: Sequence[object],
    end_date: object,
    reason: object = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Release several people on the same day in one go; one refused episode releases none. Returns the count;
    ``progress(done, total)`` hears each release (the page's progress bar)."""
    unique_ids = list(dict.fromkeys(episode_ids))
    return len(
        _end_episodes(
            ctx, unique_ids, end_date, reason, "released", "release", reason_required=False, progress=progress
        )
    )


def transfer_to_hospital(ctx: WriteContext, episode_id: object, end_date: object, reason: object = None) -> int:
    """End an episode because the person was taken to hospital (转送医院) on ``end_date``; returns its id."""
    return _end_episodes(ctx, [episode_id], end_date, reason, "transferred", "transfer", reason_required=False)[0]


def end_other(ctx: WriteContext, episode_id: object, end_date: object, reason: object) -> int:
    """End an episode for any other reason (moved away, registered by mistake…); the reason is required.
    Returns the episode's id."""
    return _end_episodes(ctx, [episode_id], end_date, reason, "ended_other", "end_other", reason_required=True)[0]
