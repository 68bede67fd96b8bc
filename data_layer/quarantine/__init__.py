"""The quarantine domain (隔离医学观察, DESIGN §4.2): sites, persons, episodes and follow-ups.

A person registered for quarantine gets an *episode*: centralized quarantine
at a site, home quarantine or home health monitoring, with a planned end. The
episode row always holds the current state (status, planned end, actual end);
every change to it is written together with a row of ``episode_changes`` in
the same transaction, so the history of extensions, releases and transfers is
never lost. Follow-ups (temperature and symptoms, twice a day) form an
append-only ledger: a correction is a new row that supersedes the earlier one,
and the figures count only the rows nobody has superseded.

ID and phone numbers are personal data (DESIGN §8): every read function here
that returns persons masks them unless it is told the actor may see them.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TypedDict, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer import clock, settings
from data_layer.db import Actor, WriteContext, add_to_counters, metadata
from data_layer.errors import ValidationError
from data_layer.i18n import translate
from data_layer.permissions import require_admin, require_write, shows_names, unit_limit
from data_layer.privacy import (
    ID_NUMBER_MASK,
    PHONE_MASK,
    mask_id_number,
    mask_phone,
    presented,
    sees_full_numbers,
)
from data_layer.search import contains, search_term
from data_layer.settings import MAX_PLANNED_DAYS
from data_layer.transfer import Column, Row, TransferKind
from data_layer.validation import Checks, as_id, id_number_is_valid, is_blank, lookup_name, raise_if_any_row
from data_layer.workbook import unique_sheet_title, workbook_bytes

DOMAIN = "quarantine"
MODES = ("centralized", "home", "monitoring")
STATUSES = ("active", "released", "transferred", "ended_other")
SLOTS = ("AM", "PM")
CHANGE_KINDS = ("extend", "shorten", "release", "transfer", "end_other")
DEFAULT_ORIGIN_CATEGORIES = ("high_risk_area", "other_province", "in_province_other_city", "close_contact", "abroad")
DEFAULT_PLANNED_DAYS = 14
MIN_TEMPERATURE = 34.0
MAX_TEMPERATURE = 43.0
DUE_WINDOW_DAYS = 3
WITHHELD_NAME = "***"
FOLLOWUPS_PER_DAY = len(SLOTS)
LOOKUP_CHUNK = 1000
T = TypeVar("T")

quarantine_sites = sa.Table(
    "quarantine_sites", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("address", sa.String(200)),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.UniqueConstraint("name", name="uq_quarantine_sites_name"),
)

persons = sa.Table(
    "persons", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("id_number", sa.String(18), nullable=False),
    sa.Column("phone", sa.String(11), nullable=False),
    sa.Column("grid", sa.String(100), nullable=False),
    sa.Column("address", sa.String(200)),
    sa.Column("origin", sa.String(200)),
    sa.Column("origin_category", sa.String(40), nullable=False),
    sa.UniqueConstraint("id_number", name="uq_persons_id_number"),
)

quarantine_episodes = sa.Table(
    "quarantine_episodes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id"), nullable=False),
    sa.Column("mode", sa.String(20), nullable=False),
    sa.Column("site_id", sa.Integer, sa.ForeignKey("quarantine_sites.id")),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("planned_days", sa.Integer, nullable=False),
    sa.Column("planned_end", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("end_date", sa.Date),
    sa.Column("reason", sa.String(200)),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_quarantine_episodes_person_id_status", "person_id", "status"),
    sa.Index("ix_quarantine_episodes_start_date", "start_date"),
    sa.Index("ix_quarantine_episodes_end_date_start_date_mode_planned_end", "end_date", "start_date", "mode",
             "planned_end"),
    sa.Index("ix_quarantine_episodes_status_planned_end", "status", "planned_end"),
    sa.Index("ix_quarantine_episodes_site_id_start_date", "site_id", "start_date"),
)

episode_changes = sa.Table(
    "episode_changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("episode_id", sa.Integer, sa.ForeignKey("quarantine_episodes.id"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("old_planned_end", sa.Date, nullable=False),
    sa.Column("new_planned_end", sa.Date, nullable=False),
    sa.Column("old_status", sa.String(20), nullable=False),
    sa.Column("new_status", sa.String(20), nullable=False),
    sa.Column("end_date", sa.Date),
    sa.Column("reason", sa.String(200)),
    sa.Column("changed_by", sa.String(100), nullable=False),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    sa.Index("ix_episode_changes_episode_id", "episode_id"),
    sa.Index("ix_episode_changes_changed_at", "changed_at"),
)

quarantine_followups = sa.Table(
    "quarantine_followups", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("episode_id", sa.Integer, sa.ForeignKey("quarantine_episodes.id"), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("slot", sa.String(2), nullable=False),
    sa.Column("temperature", sa.Float, nullable=False),
    sa.Column("symptoms", sa.Boolean, nullable=False),
    sa.Column("symptom_text", sa.String(200)),
    sa.Column("by_name", sa.String(100), nullable=False),
    sa.Column("entered_by", sa.String(100), nullable=False),
    sa.Column("entered_at", sa.DateTime, nullable=False),
    sa.Column("supersedes_id", sa.Integer, sa.ForeignKey("quarantine_followups.id")),
    sa.Column("reason", sa.String(200)),
    sa.Index("ix_quarantine_followups_episode_id_date_slot", "episode_id", "date", "slot"),
    sa.Index("ix_quarantine_followups_date_temperature", "date", "temperature"),
    sa.Index("ix_quarantine_followups_supersedes_id", "supersedes_id"),
)

quarantine_followup_days = sa.Table(
    "quarantine_followup_days", metadata,
    sa.Column("date", sa.Date, primary_key=True),
    sa.Column("episode_id", sa.Integer, sa.ForeignKey("quarantine_episodes.id"), primary_key=True),
    sa.Column("readings", sa.Integer, nullable=False),
    sqlite_with_rowid=False,
)
"""Derived from the follow-ups, kept in the transaction of every follow-up and correction: per day and
episode, how many effective follow-ups are dated that day. "Follow-ups missing today" looks up each current
episode here once, instead of counting its readings and asking of each whether a correction superseded it
(see :func:`_count_followup_days`)."""


# --- configuration -----------------------------------------------------------------------------------------------

def fever_threshold() -> float:
    """The temperature (°C) from which a reading counts as fever: ``COMMAND_POST_FEVER_THRESHOLD``, else 37.3."""
    return settings.FEVER_THRESHOLD.value()


def planned_days_setting() -> dict[str, int]:
    """Planned days per origin category from ``COMMAND_POST_PLANNED_DAYS`` (``close_contact=14,abroad=21``).

    A category named there that is not one of the default codes is added to
    the list of origin categories, so one setting configures both.
    """
    return settings.PLANNED_DAYS.value()


def origin_categories() -> tuple[str, ...]:
    """The origin category codes in use: the defaults of DESIGN §4.2 plus any configured ones."""
    extra = [code for code in planned_days_setting() if code not in DEFAULT_ORIGIN_CATEGORIES]
    return (*DEFAULT_ORIGIN_CATEGORIES, *extra)


def planned_days_for(origin_category: str) -> int:
    """The default quarantine period for an origin category (14 days unless configured)."""
    return planned_days_setting().get(origin_category, DEFAULT_PLANNED_DAYS)


def code_label(code: str, language: str = "zh_CN") -> str:
    """How a code (mode, status, slot, origin category, change kind) is written for users."""
    return translate(f"{DOMAIN}.code.{code}", language)


def _codes_by_chinese_label(codes: Iterable[str]) -> dict[str, str]:
    """Chinese label → code, from the zh_CN catalog, so imports may use either."""
    return {code_label(code, "zh_CN"): code for code in codes}


# --- privacy -----------------------------------------------------------------------------------------------------

def present_person(row: Mapping[str, object], actor: Actor | None) -> dict[str, object]:
    """A copy of a row about a person as ``actor`` may see it.

    Administrators see the full numbers; everyone else, and callers that name
    no actor, see them masked, in their columns and inside every text of the
    row; the wall screen sees no personal data at all, so the name is withheld too.
    """
    shown = dict(row)
    if sees_full_numbers(actor):
        return shown
    shown = presented(shown, actor)
    if "id_number" in shown:
        shown["id_number"] = mask_id_number(shown["id_number"])
    if "phone" in shown:
        shown["phone"] = mask_phone(shown["phone"])
    if actor is not None and not shows_names(actor) and shown.get("name"):
        shown["name"] = WITHHELD_NAME
    return shown


# --- shared query pieces -----------------------------------------------------------------------------------------

def _current_on(day: date) -> sa.ColumnElement[bool]:
    """An episode is current on D when it started on or before D and has not ended by D (DESIGN §4.2).

    Tested as membership of :func:`_current_episodes`, which finds them through the end-date index: a plain
    test of start and end date would make every list of current people scan every episode ever started.
    """
    return quarantine_episodes.c.id.in_(sa.select(_current_episodes(day).c.id))


def _is_effective() -> sa.ColumnElement[bool]:
    """A follow-up is effective when no later row supersedes it."""
    later = quarantine_followups.alias("later")
    return ~sa.exists().where(later.c.supersedes_id == quarantine_followups.c.id)


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _episode_rows() -> sa.Select:
    """Episodes with their person and site, the base of every list a page shows."""
    episode, person, site = quarantine_episodes, persons, quarantine_sites
    return (sa.select(episode.c.id.label("episode_id"), person.c.name, person.c.id_number, person.c.phone,
                      person.c.grid, person.c.address, person.c.origin, person.c.origin_category,
                      episode.c.mode, site.c.name.label("site"), episode.c.start_date, episode.c.planned_days,
                      episode.c.planned_end, episode.c.status, episode.c.end_date, episode.c.reason)
            .select_from(episode.join(person, person.c.id == episode.c.person_id)
                         .outerjoin(site, site.c.id == episode.c.site_id)))


def _require_write_for_site(actor: Actor, site_id: int | None) -> None:
    """Refuse unless ``actor`` may write for the people of ``site_id``.

    A clerk assigned some sites writes for the people at those sites only. People in home quarantine or under
    monitoring are at no site: they are the work of the clerks assigned the whole quarantine domain, who are
    also the only clerks to see them in a list (:func:`_visible_to`).
    """
    require_write(actor, DOMAIN, site_id, whole_domain=site_id is None)


def _site_by_reference(conn: Connection, reference: object, *, lock: bool = False) -> Mapping | None:
    """A site named by its name or its id (forms send ids, import files send names)."""
    if is_blank(reference):
        return None
    site = quarantine_sites
    name, site_id = lookup_name(reference), as_id(reference)
    if name is None and site_id is None:
        return None
    query = sa.select(site).where(site.c.name == name)
    if site_id is not None and (isinstance(reference, int) or name is None or not conn.execute(query).first()):
        query = sa.select(site).where(site.c.id == site_id)
    if lock:
        query = query.with_for_update()
    return conn.execute(query).mappings().first()


def _site_peak(conn: Connection, site_id: int, from_day: date) -> int:
    """The most people the site holds on any day from ``from_day`` on.

    Occupancy only rises on a day some episode starts, so it is enough to look
    at ``from_day`` and at each later start date; a back-dated admission must
    fit on every one of those days, not only on its own start date.
    """
    episode = quarantine_episodes
    later_starts = sa.select(episode.c.start_date.label("day")).where(
        episode.c.site_id == site_id, episode.c.start_date > from_day)
    days = sa.union(sa.select(sa.literal(from_day, sa.Date).label("day")), later_starts).subquery()
    occupied = (sa.select(sa.func.count(episode.c.id).label("occupied"))
                .select_from(days.outerjoin(episode, sa.and_(
                    episode.c.site_id == site_id, episode.c.start_date <= days.c.day,
                    sa.or_(episode.c.end_date.is_(None), episode.c.end_date > days.c.day))))
                .group_by(days.c.day).subquery())
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(occupied.c.occupied), 0))).scalar_one()


def _episodes_by_id(conn: Connection, episode_ids: Iterable[int], *, lock: bool = False) -> dict[int, Mapping]:
    """Episodes with their person's name, locked for the transaction when ``lock`` (a rule depends on them)."""
    ids = sorted(set(episode_ids))
    if not ids:
        return {}
    episode = quarantine_episodes
    query = (sa.select(episode, persons.c.name.label("person_name"))
             .join(persons, persons.c.id == episode.c.person_id).where(episode.c.id.in_(ids)))
    if lock:
        query = query.with_for_update(of=episode)
    return {row["id"]: row for row in conn.execute(query).mappings()}



# --- sites (master data) -----------------------------------------------------------------------------------------

def add_site(ctx: WriteContext, data: Mapping[str, object]) -> int:
    """Add a centralized quarantine site; its name is unique and its capacity at least one place."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    name = checks.name(data.get("name"), "name", max_length=100)
    address = checks.text(data.get("address"), "address", required=False)
    capacity = checks.integer(data.get("capacity"), "capacity", minimum=1, maximum=100_000)
    active = checks.flag(data.get("active"), "active", default=True)
    if name and ctx.conn.execute(sa.select(quarantine_sites.c.id).where(quarantine_sites.c.name == name)).first():
        checks.fail("name", "error.duplicate_name", value=name)
    checks.raise_if_any()
    return ctx.insert(quarantine_sites, "quarantine.site_add",
                      {"name": name, "address": address, "capacity": capacity, "active": active})


def rename_site(ctx: WriteContext, site: object, name: object) -> None:
    """Give a site a new name (unique among sites)."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    row = _existing_site(ctx.conn, checks, site)
    new_name = checks.name(name, "name", max_length=100)
    if new_name and row and new_name != row["name"] and ctx.conn.execute(
            sa.select(quarantine_sites.c.id).where(quarantine_sites.c.name == new_name)).first():
        checks.fail("name", "error.duplicate_name", value=new_name)
    checks.raise_if_any()
    _update_site(ctx, row, {"name": new_name}, "quarantine.site_rename")


def set_site_capacity(ctx: WriteContext, site: object, capacity: object) -> None:
    """Change a site's number of places; it may not drop below the people staying there today."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    row = _existing_site(ctx.conn, checks, site, lock=True)
    places = checks.integer(capacity, "capacity", minimum=1, maximum=100_000)
    if row and places is not None:
        occupied = _site_peak(ctx.conn, row["id"], clock.today())
        if places < occupied:
            checks.fail("capacity", "quarantine.error.capacity_below_occupied", occupied=occupied)
    checks.raise_if_any()
    _update_site(ctx, row, {"capacity": places}, "quarantine.site_capacity")


def set_site_active(ctx: WriteContext, site: object, active: object) -> None:
    """Open or close a site for new admissions; people already there stay until released."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    row = _existing_site(ctx.conn, checks, site)
    flag = checks.flag(active, "active")
    checks.raise_if_any()
    _update_site(ctx, row, {"active": flag}, "quarantine.site_active")


def _existing_site(conn: Connection, checks: Checks, reference: object, *, lock: bool = False) -> Mapping | None:
    row = _site_by_reference(conn, reference, lock=lock)
    if row is None:
        if is_blank(reference):
            checks.fail("site", "error.required")
        else:
            checks.fail("site", "error.unknown_name", value=reference)
    return row


def _update_site(ctx: WriteContext, row: Mapping, values: dict, action: str) -> None:
    before = {key: row[key] for key in values}
    ctx.conn.execute(quarantine_sites.update().where(quarantine_sites.c.id == row["id"]).values(**values))
    ctx.audit(action, quarantine_sites, row["id"], before=before, after=values)


def list_sites(conn: Connection, include_inactive: bool = False) -> list[dict]:
    """The sites for a choice list (id, name, address, capacity, active), by name."""
    query = sa.select(quarantine_sites).order_by(quarantine_sites.c.name)
    if not include_inactive:
        query = query.where(quarantine_sites.c.active)
    return [dict(row) for row in conn.execute(query).mappings()]


# --- registration ------------------------------------------------------------------------------------------------

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


def _check_id_number(checks: Checks, value: object) -> str | None:
    text = checks.text(value, "id_number", max_length=40)
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
        id_number=_check_id_number(checks, data.get("id_number")),
        phone=_check_phone(checks, data.get("phone")),
        grid=checks.text(data.get("grid"), "grid", max_length=100),
        address=checks.text(data.get("address"), "address", required=False),
        origin=checks.text(data.get("origin"), "origin", required=False),
        origin_category=checks.choice(data.get("origin_category"), "origin_category", categories,
                                      labels=_codes_by_chinese_label(categories)),
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
    site = _site_by_reference(ctx.conn, data.get("site"), lock=True)
    _require_write_for_site(ctx.actor, site["id"] if site else None)
    checks = Checks(DOMAIN)
    person = _check_person(checks, data)
    mode = checks.choice(data.get("mode"), "mode", MODES, labels=_codes_by_chinese_label(MODES))
    start = checks.day(data.get("start_date"), "start_date")
    days = checks.integer(data.get("planned_days"), "planned_days", required=False, minimum=1,
                          maximum=MAX_PLANNED_DAYS)
    if days is None and not checks.has_error("planned_days") and person.origin_category:
        days = planned_days_for(person.origin_category)
    reason = checks.text(data.get("reason"), "reason", required=False)
    _check_site_for_mode(ctx.conn, checks, mode, data.get("site"), site, start)
    existing = _check_person_free(ctx.conn, checks, ctx.actor, person.id_number, start)
    checks.raise_if_any()
    person_id = _store_person(ctx, person, existing)
    return ctx.insert(quarantine_episodes, "quarantine.register", {
        "person_id": person_id, "mode": mode, "site_id": site["id"] if site else None,
        "start_date": start, "planned_days": days, "planned_end": start + timedelta(days=days),
        "status": "active", "end_date": None, "reason": reason,
        "created_by": ctx.actor.username, "created_at": clock.now(),
    })


def _check_site_for_mode(conn: Connection, checks: Checks, mode: str | None, reference: object,
                         site: Mapping | None, start: date | None) -> None:
    """Centralized quarantine needs an active site with a free place; the other modes take no site."""
    if mode != "centralized":
        if mode and not is_blank(reference):
            checks.fail("site", "quarantine.error.site_only_centralized")
        return
    if site is None:
        _existing_site(conn, checks, reference)
        return
    if not site["active"]:
        checks.fail("site", "quarantine.error.site_inactive", site=site["name"])
    elif start is not None:
        occupied = _site_peak(conn, site["id"], start)
        if occupied >= site["capacity"]:
            checks.fail("site", "quarantine.error.site_full", site=site["name"], capacity=site["capacity"],
                        occupied=occupied)


def _check_person_free(conn: Connection, checks: Checks, actor: Actor, id_number: str | None,
                       start: date | None) -> Mapping | None:
    """The known person with this ID number (locked), after checking that a new episode may open for them:
    none of their episodes is active and the new one starts on or after the day the last one ended.

    A person under quarantine at a unit ``actor`` may not see is refused without their name: an ID number
    typed into the form must not tell a clerk of one site who is quarantined at another."""
    if id_number is None:
        return None
    existing = conn.execute(sa.select(persons).where(persons.c.id_number == id_number)
                            .with_for_update()).mappings().first()
    if existing is None:
        return None
    episode = quarantine_episodes
    active = sa.and_(episode.c.status == "active", _visible_to(actor))
    active_since, visible, last_end = conn.execute(
        sa.select(sa.func.min(sa.case((episode.c.status == "active", episode.c.start_date))),
                  sa.func.count().filter(active), sa.func.max(episode.c.end_date))
        .where(episode.c.person_id == existing["id"])).one()
    if active_since is not None and visible:
        checks.fail("id_number", "quarantine.error.active_episode_exists", name=existing["name"],
                    start=active_since.isoformat())
    elif active_since is not None:
        checks.fail("id_number", "quarantine.error.active_elsewhere")
    elif start is not None and last_end is not None and start < last_end:
        checks.fail("start_date", "quarantine.error.overlaps_previous", end=last_end.isoformat())
    return existing


def _store_person(ctx: WriteContext, person: _PersonInput, existing: Mapping | None) -> int:
    """Insert a new person, or bring a known person's details up to date (audited before/after)."""
    values = person.values()
    if existing is None:
        return ctx.insert(persons, "quarantine.person_add", values)
    changed = {key: value for key, value in values.items() if existing[key] != value}
    if changed:
        ctx.conn.execute(persons.update().where(persons.c.id == existing["id"]).values(**changed))
        ctx.audit("quarantine.person_update", persons, existing["id"],
                  before={key: existing[key] for key in changed}, after=changed)
    return existing["id"]


# --- changes to an episode ---------------------------------------------------------------------------------------

def _apply_change(ctx: WriteContext, episode: Mapping, kind: str, values: dict, reason: str | None) -> None:
    """Update the episode's current fields and record the change in ``episode_changes``, both audited."""
    before = {key: episode[key] for key in values}
    ctx.conn.execute(quarantine_episodes.update().where(quarantine_episodes.c.id == episode["id"]).values(**values))
    ctx.audit(f"quarantine.{kind}", quarantine_episodes, episode["id"], before=before, after=values)
    ctx.insert(episode_changes, f"quarantine.{kind}", {
        "episode_id": episode["id"], "kind": kind,
        "old_planned_end": episode["planned_end"], "new_planned_end": values.get("planned_end", episode["planned_end"]),
        "old_status": episode["status"], "new_status": values.get("status", episode["status"]),
        "end_date": values.get("end_date"), "reason": reason,
        "changed_by": ctx.actor.username, "changed_at": clock.now(),
    })


def _active_episodes(ctx: WriteContext, checks: Checks, episode_ids: Sequence[object]) -> list[Mapping]:
    """The named episodes, locked, after checking the actor may write for their sites.

    Unknown and already-ended episodes are recorded in ``checks`` under ``episode``.
    """
    if not episode_ids:
        checks.fail("episode", "error.required")
    ids = [as_id(value) for value in episode_ids]
    found = _episodes_by_id(ctx.conn, [episode_id for episode_id in ids if episode_id is not None], lock=True)
    episodes = []
    for value, episode_id in zip(episode_ids, ids, strict=True):
        episode = found.get(episode_id) if episode_id is not None else None
        if episode is None:
            checks.fail("episode", "error.unknown_name", value=value)
            continue
        _require_write_for_site(ctx.actor, episode["site_id"])
        if episode["status"] != "active":
            checks.fail("episode", "quarantine.error.episode_not_active", name=episode["person_name"])
        episodes.append(episode)
    return episodes


def change_planned_end(ctx: WriteContext, episode_id: object, reason: object, *, new_end: object = None,
                       planned_days: object = None) -> int:
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
            checks.fail("new_end", "quarantine.error.planned_end_range", first=first.isoformat(),
                        last=last.isoformat())
        elif end == episode["planned_end"]:
            checks.fail("new_end", "quarantine.error.planned_end_unchanged")
    checks.raise_if_any()
    kind = "extend" if end > episode["planned_end"] else "shorten"
    _apply_change(ctx, episode, kind, {"planned_end": end, "planned_days": (end - episode["start_date"]).days},
                  why)
    return episode["id"]


def _end_episodes(ctx: WriteContext, episode_ids: Sequence[object], end_date: object, reason: object,
                  status: str, kind: str, *, reason_required: bool,
                  progress: Callable[[int, int], None] | None = None) -> list[int]:
    """End active episodes on ``end_date`` (not before their start, not in the future): all or none.
    Returns their ids; ``progress(done, total)`` hears each episode ended."""
    require_write(ctx.actor, DOMAIN)
    checks = Checks(DOMAIN)
    episodes = _active_episodes(ctx, checks, episode_ids)
    end = checks.day(end_date, "end_date")
    why = checks.text(reason, "reason", required=reason_required)
    for episode in episodes:
        if end is not None and end < episode["start_date"]:
            checks.fail("end_date", "quarantine.error.end_before_start", name=episode["person_name"],
                        start=episode["start_date"].isoformat())
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


def release_many(ctx: WriteContext, episode_ids: Sequence[object], end_date: object, reason: object = None,
                 progress: Callable[[int, int], None] | None = None) -> int:
    """Release several people on the same day in one go; one refused episode releases none. Returns the count;
    ``progress(done, total)`` hears each release (the page's progress bar)."""
    unique_ids = list(dict.fromkeys(episode_ids))
    return len(_end_episodes(ctx, unique_ids, end_date, reason, "released", "release", reason_required=False,
                             progress=progress))


def transfer_to_hospital(ctx: WriteContext, episode_id: object, end_date: object, reason: object = None) -> int:
    """End an episode because the person was taken to hospital (转送医院) on ``end_date``; returns its id."""
    return _end_episodes(ctx, [episode_id], end_date, reason, "transferred", "transfer", reason_required=False)[0]


def end_other(ctx: WriteContext, episode_id: object, end_date: object, reason: object) -> int:
    """End an episode for any other reason (moved away, registered by mistake…); the reason is required.
    Returns the episode's id."""
    return _end_episodes(ctx, [episode_id], end_date, reason, "ended_other", "end_other", reason_required=True)[0]


def episode_history(conn: Connection, episode_id: int) -> list[dict]:
    """Every change to one episode, oldest first (kind, planned ends, statuses, end date, reason, who, when)."""
    query = (sa.select(episode_changes).where(episode_changes.c.episode_id == episode_id)
             .order_by(episode_changes.c.id))
    return [dict(row) for row in conn.execute(query).mappings()]


# --- follow-ups --------------------------------------------------------------------------------------------------

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
    episode: Mapping | None = None

    @property
    def names_episode(self) -> bool:
        return not is_blank(self.episode_ref) or is_blank(self.id_number)

    def values(self) -> dict[str, object]:
        return {"episode_id": self.episode["id"], "date": self.day, "slot": self.slot,
                "temperature": self.temperature, "symptoms": self.symptoms, "symptom_text": self.symptom_text,
                "by_name": self.by_name}


def _read_followup(data: Mapping[str, object], now: datetime | None = None) -> _FollowupInput:
    checks = Checks(DOMAIN, now)
    temperature = checks.number(data.get("temperature"), "temperature", minimum=MIN_TEMPERATURE,
                                maximum=MAX_TEMPERATURE)
    return _FollowupInput(
        checks=checks,
        episode_ref=data.get("episode_id"),
        id_number=data.get("id_number"),
        day=checks.day(data.get("date"), "date"),
        slot=checks.choice(data.get("slot"), "slot", SLOTS, labels=_codes_by_chinese_label(SLOTS)),
        temperature=None if temperature is None else round(temperature, 1),
        symptoms=checks.flag(data.get("symptoms"), "symptoms", default=False),
        symptom_text=checks.text(data.get("symptom_text"), "symptom_text", required=False),
        by_name=checks.text(data.get("by"), "by", max_length=100),
    )


def _attach_by_episode_id(conn: Connection, entries: list[_FollowupInput]) -> None:
    """Find the episodes that form entries name by id, in one query."""
    found = _episodes_by_id(conn, [as_id(entry.episode_ref) for entry in entries
                                   if as_id(entry.episode_ref) is not None], lock=True)
    for entry in entries:
        if is_blank(entry.episode_ref):
            entry.checks.fail("episode", "error.required")
            continue
        entry.episode = found.get(as_id(entry.episode_ref))
        if entry.episode is None:
            entry.checks.fail("episode", "error.unknown_name", value=entry.episode_ref)


def _chunks(values: Sequence[T], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in slices small enough for one statement's parameters on every database."""
    return (values[start:start + size] for start in range(0, len(values), size))


def _current_episode_ids(conn: Connection, id_numbers: Sequence[str], day: date) -> dict[str, int]:
    """The episode current on ``day`` of each person with one of these ID numbers, by ID number."""
    episode = quarantine_episodes
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(id_numbers))):
        query = (sa.select(persons.c.id_number, episode.c.id).join(persons, persons.c.id == episode.c.person_id)
                 .where(persons.c.id_number.in_(chunk), _current_on(day)).order_by(episode.c.id))
        for id_number, episode_id in conn.execute(query):
            found.setdefault(id_number, episode_id)
    return found


def _attach_by_id_number(conn: Connection, entries: list[_FollowupInput]) -> None:
    """Find, for entries that name a person by ID number, that person's episode current on the entry's
    date: one query per date the entries name (a day's sheet asks one), and one to lock the episodes."""
    wanted: dict[date, list[tuple[_FollowupInput, str]]] = {}
    for entry in entries:
        id_number = _check_id_number(entry.checks, entry.id_number)
        if id_number is not None and entry.day is not None:
            wanted.setdefault(entry.day, []).append((entry, id_number))
    current = {day: _current_episode_ids(conn, [id_number for _, id_number in named], day)
               for day, named in wanted.items()}
    episode_ids = sorted({episode_id for found in current.values() for episode_id in found.values()})
    episodes = {}
    for chunk in _chunks(episode_ids):
        episodes.update(_episodes_by_id(conn, chunk, lock=True))
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
            followup.c.episode_id.in_(chunk), followup.c.date.in_(days), _is_effective())
        for reading_id, *slot in conn.execute(query):
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
        checks.fail("date", "quarantine.error.outside_period", start=episode["start_date"].isoformat(),
                    end=last.isoformat())
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
    1-based position as the ``row`` parameter.
    """
    entries = _checked_followups(ctx, rows)
    errors = [dataclasses.replace(error, params={**error.params, "row": position})
              for position, entry in enumerate(entries, start=1) for error in entry.checks.errors]
    if errors:
        raise ValidationError(errors)
    return _store_followups(ctx, entries, clock.now())


def add_followups_batch(ctx: WriteContext, rows: Sequence[Mapping[str, object]],
                        progress: Callable[[int], None] | None = None) -> list[int]:
    """Store an import file of follow-ups by the rules and with the messages of :func:`add_followup`, as
    if its rows had been entered one after the other; returns their ids.

    Any bad row refuses the whole file with :class:`RowsRejected`, which names
    each bad row by its position; ``progress`` hears how many rows have been checked.
    """
    now = clock.now()
    entries = _checked_followups(ctx, rows, now, progress)
    raise_if_any_row([entry.checks for entry in entries])
    return _store_followups(ctx, entries, now)


def _checked_followups(ctx: WriteContext, rows: Sequence[Mapping[str, object]], now: datetime | None = None,
                       progress: Callable[[int], None] | None = None) -> list[_FollowupInput]:
    """Read and check follow-ups, each on its own :class:`Checks`: episodes looked up and locked in a few
    queries, the taken slots in one, then every rule row by row."""
    require_write(ctx.actor, DOMAIN)
    entries = [_read_followup(row, now) for row in rows]
    _attach_by_episode_id(ctx.conn, [entry for entry in entries if entry.names_episode])
    _attach_by_id_number(ctx.conn, [entry for entry in entries if not entry.names_episode])
    for site_id in {entry.episode["site_id"] for entry in entries if entry.episode}:
        _require_write_for_site(ctx.actor, site_id)
    taken = _taken_slots(ctx.conn, entries)
    for done, entry in enumerate(entries, start=1):
        _check_followup(entry, taken)
        if progress is not None:
            progress(done)
    return entries


def _store_followups(ctx: WriteContext, entries: list[_FollowupInput], now: datetime) -> list[int]:
    _count_followup_days(ctx.conn, [(entry.day, entry.episode["id"]) for entry in entries])
    return ctx.insert_many(quarantine_followups, "quarantine.followup_add", [{
        **entry.values(), "entered_by": ctx.actor.username, "entered_at": now, "supersedes_id": None, "reason": None,
    } for entry in entries])


def add_followup(ctx: WriteContext, data: Mapping[str, object]) -> int:
    """Store one follow-up (see :func:`add_followups` for the fields); returns its id."""
    try:
        return add_followups(ctx, [data])[0]
    except ValidationError as refusal:
        raise ValidationError([dataclasses.replace(error, params={key: value for key, value in error.params.items()
                                                                  if key != "row"})
                               for error in refusal.errors]) from None


def correct_followup(ctx: WriteContext, followup_id: object, data: Mapping[str, object], reason: object) -> int:
    """Correct an effective follow-up with a new row that supersedes it; returns the new row's id.

    ``data`` gives the fields that change (temperature, symptoms, symptom_text,
    by, date, slot); the others are taken from the row corrected. The old row
    stays in the ledger; only the new one counts in the figures.
    """
    return correct_followups(ctx, [(followup_id, data)], reason)[0]


def correct_followups(ctx: WriteContext, corrections: Sequence[tuple[object, Mapping[str, object]]],
                      reason: object) -> list[int]:
    """Correct several follow-ups (see :func:`correct_followup`) with one reason; returns the new rows' ids.

    Each correction is checked as if the ones before it were already stored (a reading they superseded is no
    longer effective, a slot they filled is taken), so the batch accepts and refuses exactly what one correction
    after another would, the first refused one refusing all. The rows are read, and the new ones stored, with
    one statement each for the whole batch, so that a site's whole grid saves at once.
    """
    require_write(ctx.actor, DOMAIN)
    followup = quarantine_followups
    original_ids = [as_id(followup_id) for followup_id, _ in corrections]
    known_ids = sorted({original_id for original_id in original_ids if original_id is not None})
    originals = {row["id"]: row for row in ctx.conn.execute(
        sa.select(followup).where(followup.c.id.in_(known_ids))).mappings()}
    episodes = _episodes_by_id(ctx.conn, [row["episode_id"] for row in originals.values()], lock=True)
    superseded = set(ctx.conn.execute(sa.select(followup.c.supersedes_id).where(
        followup.c.supersedes_id.in_(known_ids))).scalars())
    entries = [_corrected_entry(originals.get(original_id), episodes, data)
               for original_id, (_, data) in zip(original_ids, corrections, strict=True)]
    readings = _effective_readings(ctx.conn, [entry for entry in entries if entry is not None])
    filled: set[tuple] = set()
    rows = []
    for (followup_id, _), original_id, entry in zip(corrections, original_ids, entries, strict=True):
        if entry is None:
            checks = Checks(DOMAIN)
            checks.fail("followup", "error.unknown_name", value=followup_id)
            checks.raise_if_any()
        _require_write_for_site(ctx.actor, entry.episode["site_id"])
        why = entry.checks.text(reason, "reason")
        if original_id in superseded:
            entry.checks.fail("followup", "quarantine.error.followup_superseded")
        original = originals[original_id]
        readings.get((original["episode_id"], original["date"], original["slot"]), set()).discard(original_id)
        taken = {slot for slot, ids in readings.items() if ids} | filled
        _check_followup(entry, taken)
        entry.checks.raise_if_any()
        superseded.add(original_id)
        filled.add((entry.episode["id"], entry.day, entry.slot))
        rows.append({**entry.values(), "entered_by": ctx.actor.username, "entered_at": clock.now(),
                     "supersedes_id": original_id, "reason": why})
    _count_followup_days(ctx.conn, [(row["date"], row["episode_id"]) for row in rows],
                         [(originals[original_id]["date"], originals[original_id]["episode_id"])
                          for original_id in original_ids])
    return ctx.insert_many(followup, "quarantine.followup_correct", rows)


def _count_followup_days(conn: Connection, effective: Iterable[tuple[date, int]],
                         superseded: Iterable[tuple[date, int]] = ()) -> None:
    """Keep :data:`quarantine_followup_days` equal to the follow-ups after readings (each as its date and
    episode) became effective or were superseded. Every path that stores follow-ups calls this in the same
    transaction; :func:`rebuild_followup_days` computes the table afresh."""
    changes = Counter(effective)
    changes.subtract(superseded)
    add_to_counters(conn, quarantine_followup_days, "readings", changes)


def rebuild_followup_days(conn: Connection) -> None:
    """Compute :data:`quarantine_followup_days` afresh from the follow-ups: for the migration that adds it
    and for loaders that insert follow-ups in bulk around :func:`add_followups` (the district benchmark)."""
    followup, days = quarantine_followups, quarantine_followup_days
    conn.execute(days.delete())
    conn.execute(days.insert().from_select(
        ["date", "episode_id", "readings"],
        sa.select(followup.c.date, followup.c.episode_id, sa.func.count()).where(_is_effective())
        .group_by(followup.c.date, followup.c.episode_id)))


def _corrected_entry(original: Mapping | None, episodes: Mapping[int, Mapping],
                     data: Mapping[str, object]) -> _FollowupInput | None:
    """The follow-up that corrects ``original`` with the fields of ``data``, read and checked as a new one;
    ``None`` when there is no such follow-up."""
    if original is None:
        return None
    merged = {"date": original["date"], "slot": original["slot"], "temperature": original["temperature"],
              "symptoms": original["symptoms"], "symptom_text": original["symptom_text"],
              "by": original["by_name"], **data}
    entry = _read_followup(merged)
    entry.episode = episodes[original["episode_id"]]
    return entry


def save_followup_grid(ctx: WriteContext, additions: Sequence[Mapping[str, object]],
                       corrections: Sequence[tuple[object, Mapping[str, object]]], reason: object = None) -> int:
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


# --- figures -----------------------------------------------------------------------------------------------------

class CurrentCounts(TypedDict):
    centralized: int
    home: int
    monitoring: int
    total: int


class QuarantineFigures(TypedDict):
    """The ``quarantine`` object of the daily briefing (DESIGN §6)."""

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


def _current_episodes(day: date) -> sa.Subquery:
    """The episodes current on ``day`` (``id``, ``mode``, ``planned_end``), found through their end date: the
    open ones and those ended after the day, each started by then. Two ranges of one covering index, so the
    time grows with the people in quarantine, not with every episode ever started before the day."""
    episode = quarantine_episodes
    columns = (episode.c.id, episode.c.mode, episode.c.planned_end)
    started = episode.c.start_date <= day
    return sa.union_all(sa.select(*columns).where(episode.c.end_date.is_(None), started),
                        sa.select(*columns).where(episode.c.end_date > day, started)).subquery("on_day")


def _missing_followups(day: date) -> tuple[sa.Subquery, sa.ColumnElement[bool]]:
    """The follow-up counts of ``day`` and the condition "fewer than two" for a join with episodes."""
    counts = _followups_on(day)
    return counts, sa.func.coalesce(counts.c.followups, 0) < FOLLOWUPS_PER_DAY


def figures(conn: Connection, day: date) -> QuarantineFigures:
    """The quarantine figures of DESIGN §4.2 for report date ``day``.

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
    on_day = _current_episodes(day)
    counts, fewer_than_two = _missing_followups(day)
    by_mode = conn.execute(
        sa.select(on_day.c.mode, sa.func.count(), _count_if(on_day.c.planned_end <= day),
                  _count_if(on_day.c.planned_end.between(day + timedelta(days=1),
                                                         day + timedelta(days=DUE_WINDOW_DAYS))),
                  _count_if(fewer_than_two))
        .select_from(on_day.outerjoin(counts, counts.c.episode_id == on_day.c.id))
        .group_by(on_day.c.mode))
    for mode, count, mode_overdue, mode_due, mode_missing in by_mode:
        current[mode] = count
        overdue += mode_overdue
        due += mode_due
        missing += mode_missing
    admitted, released = conn.execute(
        sa.select(_count_if(episode.c.start_date == day),
                  _count_if(sa.and_(episode.c.status == "released", episode.c.end_date == day)))
        .where(sa.or_(episode.c.start_date == day, episode.c.end_date == day))).one()
    fever = conn.execute(sa.select(sa.func.count()).select_from(followup).where(
        followup.c.date == day, followup.c.temperature >= fever_threshold(), _is_effective())).scalar_one()
    return {
        "current": CurrentCounts(centralized=current["centralized"], home=current["home"],
                                 monitoring=current["monitoring"], total=sum(current.values())),
        "admitted": admitted, "released": released, "due_next_3_days": due, "overdue": overdue,
        "followups_missing": missing, "fever_in_quarantine": fever,
    }


def site_occupancy(conn: Connection, day: date) -> list[dict]:
    """Per site (active ones, and closed ones still holding people): current centralized episodes on ``day``
    against capacity; ``rate`` is occupied / capacity with three decimals, ``free`` the places left."""
    site, episode = quarantine_sites, quarantine_episodes
    occupied = sa.func.count(episode.c.id)
    rows = conn.execute(
        sa.select(site.c.id, site.c.name, site.c.capacity, site.c.active, occupied.label("occupied"))
        .select_from(site.outerjoin(episode, sa.and_(episode.c.site_id == site.c.id, _current_on(day))))
        .group_by(site.c.id, site.c.name, site.c.capacity, site.c.active)
        .having(sa.or_(site.c.active, occupied > 0)).order_by(site.c.name)).mappings()
    return [{"site_id": row["id"], "name": row["name"], "capacity": row["capacity"], "occupied": row["occupied"],
             "free": max(row["capacity"] - row["occupied"], 0), "rate": round(row["occupied"] / row["capacity"], 3)}
            for row in rows]


def _list(conn: Connection, query: sa.Select, actor: Actor | None, columns: Sequence[str]) -> list[dict]:
    return [present_person({key: row[key] for key in columns}, actor) for row in conn.execute(query).mappings()]


def _visible_to(actor: Actor | None) -> sa.ColumnElement[bool]:
    """The episodes whose people ``actor`` may see by name in a list (DESIGN §8).

    A clerk sees the people of the quarantine units they are assigned: every
    episode when assigned the whole domain, the episodes of their sites when
    assigned sites, nobody when not assigned to quarantine at all. Other roles
    see every episode (numbers masked as :func:`present_person` decides).
    """
    units = unit_limit(actor, DOMAIN)
    return sa.true() if units is None else quarantine_episodes.c.site_id.in_(sorted(units))


ACTION_COLUMNS = ("episode_id", "name", "phone", "grid", "mode", "site", "start_date", "planned_end")


def action_lists(conn: Connection, day: date, actor: Actor | None = None) -> dict[str, list[dict]]:
    """The people who need action on ``day``, under the names of the matching figures.

    ``due_next_3_days`` and ``overdue`` (by planned end), ``followups_missing``
    (with how many follow-ups they have) and ``fever_in_quarantine`` (each
    fever reading, with date, slot and temperature, highest first). Rows hold
    episode_id, name, phone (masked unless ``actor`` may see it), grid, mode,
    site, start_date and planned_end; a clerk's lists hold only the people
    of their units.
    """
    return {name: listed["rows"] for name, listed in action_list_heads(conn, day, actor, None).items()}


class ListHead(TypedDict):
    """The first rows of a list and how many rows the whole list holds."""

    rows: list[dict]
    total: int


def action_list_heads(conn: Connection, day: date, actor: Actor | None = None,
                      limit: int | None = 200) -> dict[str, ListHead]:
    """The first ``limit`` rows of each of :func:`action_lists` (all of them for ``None``) and each list's total.

    A district's lists run to hundreds of people; a page shows the first ones, and the total is counted by the
    same statement (a window count over the whole list, taken before the limit), so no list is read twice.
    """
    episode, followup = quarantine_episodes, quarantine_followups
    current = _episode_rows().where(_current_on(day), _visible_to(actor))
    counts, fewer_than_two = _missing_followups(day)
    due = current.where(episode.c.planned_end.between(day + timedelta(days=1), day + timedelta(days=DUE_WINDOW_DAYS)))
    missing = (current.add_columns(sa.func.coalesce(counts.c.followups, 0).label("followups"))
               .outerjoin(counts, counts.c.episode_id == episode.c.id).where(fewer_than_two)
               .order_by(persons.c.grid, persons.c.name, episode.c.id))
    fever = (_episode_rows().add_columns(followup.c.date, followup.c.slot, followup.c.temperature)
             .join(followup, followup.c.episode_id == episode.c.id)
             .where(followup.c.date == day, followup.c.temperature >= fever_threshold(), _is_effective(),
                    _visible_to(actor))
             .order_by(followup.c.temperature.desc(), followup.c.slot, episode.c.id))
    lists = {
        "due_next_3_days": (due.order_by(episode.c.planned_end, episode.c.id), ACTION_COLUMNS),
        "overdue": (current.where(episode.c.planned_end <= day).order_by(episode.c.planned_end, episode.c.id),
                    ACTION_COLUMNS),
        "followups_missing": (missing, (*ACTION_COLUMNS, "followups")),
        "fever_in_quarantine": (fever, (*ACTION_COLUMNS, "date", "slot", "temperature")),
    }
    return {name: _list_head(conn, query, actor, columns, limit) for name, (query, columns) in lists.items()}


def _list_head(conn: Connection, query: sa.Select, actor: Actor | None, columns: Sequence[str],
               limit: int | None) -> ListHead:
    rows = conn.execute(query.add_columns(sa.func.count().over().label("list_total")).limit(limit)).mappings().all()
    return {"rows": [present_person({key: row[key] for key in columns}, actor) for row in rows],
            "total": rows[0]["list_total"] if rows else 0}


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
    before = _current_episodes(first - timedelta(days=1))
    opening = (sa.select(sa.literal(first, sa.Date).label("day"), before.c.mode, sa.func.count().label("change"))
               .group_by(before.c.mode))
    admissions = sa.select(episode.c.start_date, episode.c.mode, sa.literal(1)).where(
        episode.c.start_date.between(first, end_day))
    endings = sa.select(ended_on, episode.c.mode, sa.literal(-1)).where(
        episode.c.end_date.is_not(None), ended_on.between(first, end_day),
        sa.or_(episode.c.end_date.between(first, end_day), episode.c.start_date.between(first, end_day)))
    changes = sa.union_all(opening, admissions, endings).subquery()
    rows = conn.execute(sa.select(changes.c.day, changes.c.mode, sa.func.sum(changes.c.change))
                        .group_by(changes.c.day, changes.c.mode))
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


REGISTER_COLUMNS = ("episode_id", "name", "id_number", "phone", "grid", "address", "origin", "origin_category",
                    "mode", "site", "start_date", "planned_days", "planned_end", "status", "end_date", "reason")


def _register_query(day: date, search: str | None, actor: Actor | None, current_only: bool) -> sa.Select:
    """The register's episodes as of ``day`` (see :func:`register_rows`), unordered and unlimited."""
    episode = quarantine_episodes
    query = _episode_rows().where(_current_on(day) if current_only else episode.c.start_date <= day,
                                  _visible_to(actor))
    term = search_term(search)
    if term:
        query = query.where(_register_search(term, actor))
    return query


def _register_search(term: str, actor: Actor | None) -> sa.ColumnElement[bool]:
    """The register rows ``term`` finds for ``actor``: by name, grid or site, and by ID or phone number.

    Whoever sees full numbers searches them anywhere. Whoever sees them masked searches only the characters
    the mask shows, or names one whole ID number exactly: a pattern over the hidden digits would let a
    leader recover a number one digit at a time, a search per guess."""
    texts = [persons.c.name, persons.c.grid, quarantine_sites.c.name]
    if sees_full_numbers(actor):
        return sa.or_(*(contains(column, term) for column in (*texts, persons.c.id_number, persons.c.phone)))
    visible = (*ID_NUMBER_MASK.visible_parts(persons.c.id_number), *PHONE_MASK.visible_parts(persons.c.phone))
    return sa.or_(*(contains(column, term) for column in (*texts, *visible)),
                  persons.c.id_number == normalise_id_number(term))


def register_rows(conn: Connection, day: date, search: str | None = None, limit: int = 200,
                  actor: Actor | None = None, current_only: bool = True) -> list[dict]:
    """The quarantine register (登记台账) as of ``day``, newest start first.

    By default the episodes current on ``day``; with ``current_only=False``
    every episode started by then. ``search`` matches name, ID number, phone,
    grid or site. ID and phone numbers are masked unless ``actor`` may see them;
    a clerk sees only the people of their units.
    """
    episode = quarantine_episodes
    query = (_register_query(day, search, actor, current_only)
             .order_by(episode.c.start_date.desc(), episode.c.id.desc()).limit(limit))
    return _list(conn, query, actor, REGISTER_COLUMNS)


def register_count(conn: Connection, day: date, search: str | None = None, actor: Actor | None = None,
                   current_only: bool = True) -> int:
    """How many episodes the register holds for the same choice (the page shows only the newest ones)."""
    selected = _register_query(day, search, actor, current_only).subquery()
    return conn.execute(sa.select(sa.func.count()).select_from(selected)).scalar_one()


def current_grids(conn: Connection, day: date, actor: Actor | None = None) -> list[str]:
    """The grids with people under quarantine on ``day`` that ``actor`` may see, for the follow-up choice."""
    query = (sa.select(persons.c.grid).distinct()
             .select_from(quarantine_episodes.join(persons, persons.c.id == quarantine_episodes.c.person_id))
             .where(_current_on(day), _visible_to(actor)).order_by(persons.c.grid))
    return list(conn.execute(query).scalars())


def followup_sheet(conn: Connection, day: date, site: int | None = None, actor: Actor | None = None,
                   grid: str | None = None) -> list[dict]:
    """The follow-up grid of ``day``: every episode current that day (at one site, or of one grid, when
    given) with its effective AM and PM readings, each as ``{"id", "temperature", "symptoms"}`` or ``None``."""
    episode, followup = quarantine_episodes, quarantine_followups
    query = _episode_rows().where(_current_on(day), _visible_to(actor))
    if site is not None:
        query = query.where(episode.c.site_id == site)
    if grid is not None:
        query = query.where(persons.c.grid == grid)
    rows = _list(conn, query.order_by(persons.c.grid, persons.c.name, episode.c.id), actor, ACTION_COLUMNS)
    readings = conn.execute(
        sa.select(followup.c.id, followup.c.episode_id, followup.c.slot, followup.c.temperature, followup.c.symptoms)
        .where(followup.c.episode_id.in_(query.with_only_columns(episode.c.id)), followup.c.date == day,
               _is_effective())).mappings()
    by_episode: dict[tuple[int, str], dict] = {
        (reading["episode_id"], reading["slot"]): {"id": reading["id"], "temperature": reading["temperature"],
                                                   "symptoms": reading["symptoms"]} for reading in readings}
    return [{**row, **{slot: by_episode.get((row["episode_id"], slot)) for slot in SLOTS}} for row in rows]


def released_on(conn: Connection, day: date, actor: Actor | None = None) -> list[dict]:
    """The people released on ``day`` (those who get a release notice that day), by name."""
    episode = quarantine_episodes
    query = (_episode_rows().where(episode.c.status == "released", episode.c.end_date == day, _visible_to(actor))
             .order_by(persons.c.name, episode.c.id))
    return _list(conn, query, actor, (*ACTION_COLUMNS, "end_date"))


def released_episodes(conn: Connection, episode_ids: Sequence[int], actor: Actor | None = None) -> list[dict]:
    """The register rows of those of ``episode_ids`` that were released, in the order given: what a release
    notice is filled from. Numbers are masked unless ``actor`` may see them."""
    episode = quarantine_episodes
    query = _episode_rows().where(episode.c.id.in_(list(episode_ids)), episode.c.status == "released",
                                  _visible_to(actor))
    found = {row["episode_id"]: row for row in _list(conn, query, actor, REGISTER_COLUMNS)}
    return [found[episode_id] for episode_id in dict.fromkeys(episode_ids) if episode_id in found]


# --- import and export (DESIGN §5) -------------------------------------------------------------------------------

ENDINGS = {"released": release, "transferred": transfer_to_hospital, "ended_other": end_other}


def _import_episode(ctx: WriteContext, row: Row) -> int:
    """A ``quarantine`` row: register the person and episode, then end it when its status says so."""
    checks = Checks(DOMAIN)
    status = "active" if is_blank(row.get("status")) else checks.choice(
        row.get("status"), "status", STATUSES, labels=_codes_by_chinese_label(STATUSES))
    if status == "active" and not is_blank(row.get("end_date")):
        checks.fail("end_date", "quarantine.error.end_date_for_active")
    if status not in (None, "active") and is_blank(row.get("end_date")):
        checks.fail("end_date", "error.required")
    checks.raise_if_any()
    episode_id = register(ctx, {**row, "reason": row.get("reason") if status == "active" else None})
    if status != "active":
        ENDINGS[status](ctx, episode_id, row.get("end_date"), row.get("reason"))
    return episode_id


def _read_sites(conn: Connection) -> Iterator[Row]:
    query = sa.select(quarantine_sites.c.name, quarantine_sites.c.address, quarantine_sites.c.capacity,
                      quarantine_sites.c.active).order_by(quarantine_sites.c.id)
    return (dict(row) for row in conn.execute(query).mappings())


def _read_episodes(conn: Connection) -> Iterator[Row]:
    """Every episode with its person, in start order so that a re-import rebuilds each person's history."""
    query = _episode_rows().order_by(quarantine_episodes.c.start_date, quarantine_episodes.c.id)
    return (dict(row) for row in conn.execute(query).mappings())


def _read_followups(conn: Connection) -> Iterator[Row]:
    """The effective follow-ups (what the figures count), by date and slot."""
    followup = quarantine_followups
    query = (sa.select(persons.c.id_number, followup.c.date, followup.c.slot, followup.c.temperature,
                       followup.c.symptoms, followup.c.by_name.label("by"), followup.c.symptom_text)
             .join(quarantine_episodes, quarantine_episodes.c.id == followup.c.episode_id)
             .join(persons, persons.c.id == quarantine_episodes.c.person_id)
             .where(_is_effective()).order_by(followup.c.date, followup.c.slot, followup.c.id))
    return (dict(row) for row in conn.execute(query).mappings())


TRANSFER_KINDS = (
    TransferKind("sites", (Column("name", "名称"), Column("address", "地址"), Column("capacity", "床位数"),
                           Column("active", "启用")), add_site, _read_sites),
    TransferKind("quarantine", (
        Column("name", "姓名"), Column("id_number", "身份证号"), Column("phone", "联系电话"), Column("grid", "网格"),
        Column("origin", "来源地"), Column("origin_category", "来源类别"), Column("mode", "隔离方式"),
        Column("site", "隔离点"), Column("start_date", "开始日期"), Column("planned_days", "隔离天数"),
        Column("status", "状态"), Column("end_date", "解除日期"), Column("address", "住址"), Column("reason", "原因"),
    ), _import_episode, _read_episodes),
    TransferKind("followups", (
        Column("id_number", "身份证号"), Column("date", "日期"), Column("slot", "时段"), Column("temperature", "体温"),
        Column("symptoms", "症状"), Column("by", "随访人"), Column("symptom_text", "症状描述"),
    ), add_followup, _read_followups, add_followups_batch),
)

KINDS = {kind.name: kind for kind in TRANSFER_KINDS}
CODED_COLUMNS = frozenset({"mode", "status", "origin_category", "slot"})
NAME_COLUMN = Column("name", "姓名")


def _export_header(columns: Sequence[Column], language: str) -> list[str]:
    return [column.chinese if language == "zh_CN" else column.name for column in columns]


def _export_cell(column: str, value: object, language: str) -> object:
    """A value as an import reads it back: Chinese labels and 是/否 in a Chinese workbook, codes and 1/0
    in an English one, dates as YYYY-MM-DD."""
    chinese = language == "zh_CN"
    if value is None:
        return None
    if isinstance(value, bool):
        return ("是" if value else "否") if chinese else int(value)
    if isinstance(value, date):
        return value.isoformat()
    if column in CODED_COLUMNS and chinese:
        return code_label(str(value), "zh_CN")
    return value


def _sheet_rows(rows: Iterable[Mapping], columns: Sequence[Column], language: str) -> Iterator[list]:
    return ([_export_cell(column.name, row[column.name], language) for column in columns] for row in rows)


def register_workbook(conn: Connection, day: date, search: str | None = None, actor: Actor | None = None,
                      language: str = "zh_CN", current_only: bool = True) -> bytes:
    """The register as shown on the page (same choice, no row limit) as an Excel workbook in the
    ``quarantine`` import format, in start order, so that importing it rebuilds the same episodes.
    Numbers are masked unless ``actor`` may see them (a masked file cannot be imported again)."""
    columns = KINDS["quarantine"].columns
    query = _register_query(day, search, actor, current_only).order_by(quarantine_episodes.c.start_date,
                                                                       quarantine_episodes.c.id)
    rows = (present_person(row, actor) for row in conn.execute(query).mappings())
    title = translate("quarantine.page.sheet.register", language)
    return workbook_bytes([(title, _export_header(columns, language), _sheet_rows(rows, columns, language))])


def _followup_export_rows(conn: Connection, day: date, search: str | None, actor: Actor | None) -> list[dict]:
    """The effective follow-ups up to ``day`` of the people current on ``day`` who match ``search``."""
    followup, episode = quarantine_followups, quarantine_episodes
    selected = _register_query(day, search, actor, current_only=True).with_only_columns(episode.c.id)
    query = (sa.select(persons.c.name, persons.c.id_number, followup.c.date, followup.c.slot,
                       followup.c.temperature, followup.c.symptoms, followup.c.by_name.label("by"),
                       followup.c.symptom_text)
             .join(episode, episode.c.id == followup.c.episode_id).join(persons, persons.c.id == episode.c.person_id)
             .where(followup.c.episode_id.in_(selected), followup.c.date <= day, _is_effective())
             .order_by(followup.c.date, followup.c.slot, followup.c.id))
    return [present_person(row, actor) for row in conn.execute(query).mappings()]


def followups_workbook(conn: Connection, day: date, search: str | None = None, actor: Actor | None = None,
                       language: str = "zh_CN", per_person: bool = False) -> bytes:
    """The follow-ups of the people under quarantine on ``day`` (matching ``search``) as an Excel workbook.

    The first sheet holds all of them in the ``followups`` import format, with
    the person's name in front for reading (an import ignores that column);
    with ``per_person`` one more sheet per person follows, in the same format.
    Limited to the people current on ``day``, so the file stays within what
    Excel opens even for a district.
    """
    columns = (NAME_COLUMN, *KINDS["followups"].columns)
    header = _export_header(columns, language)
    rows = _followup_export_rows(conn, day, search, actor)
    sheets = [(translate("quarantine.page.sheet.followups", language), header,
               _sheet_rows(rows, columns, language))]
    if per_person:
        by_person: dict[tuple[str, str], list[dict]] = {}
        for row in rows:
            by_person.setdefault((row["name"], row["id_number"]), []).append(row)
        taken = {sheets[0][0].lower()}
        sheets += [(unique_sheet_title(f"{name}-{id_number[-4:]}", taken), header,
                    _sheet_rows(person_rows, columns, language))
                   for (name, id_number), person_rows in sorted(by_person.items())]
    return workbook_bytes(sheets)
