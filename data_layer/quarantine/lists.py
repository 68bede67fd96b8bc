"""The lists pages and notices read: the register, the day's follow-up grid, action lists, releases and
an episode's history, with ID and phone numbers masked as the user may see them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.db import Actor, Record
from data_layer.permissions import shows_names
from data_layer.privacy import (
    ID_NUMBER_MASK,
    PHONE_MASK,
    mask_id_number,
    mask_phone,
    presented,
    sees_full_numbers,
)
from data_layer.quarantine.config import fever_threshold
from data_layer.quarantine.episodes import normalise_id_number
from data_layer.quarantine.figures import missing_followups
from data_layer.quarantine.queries import current_on, episode_rows, is_effective, visible_to
from data_layer.quarantine.tables import (
    DUE_WINDOW_DAYS,
    SLOTS,
    WITHHELD_NAME,
    episode_changes,
    persons,
    quarantine_episodes,
    quarantine_followups,
    quarantine_sites,
)
from data_layer.search import contains, search_term


def present_person(row: Record, actor: Actor | None) -> dict[str, object]:
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


def _list(conn: Connection, query: sa.Select, actor: Actor | None, columns: Sequence[str]) -> list[dict]:
    return [present_person({key: row[key] for key in columns}, actor) for row in conn.execute(query).mappings()]


REGISTER_COLUMNS = (
    "episode_id",
    "name",
    "id_number",
    "phone",
    "grid",
    "address",
    "origin",
    "origin_category",
    "mode",
    "site",
    "start_date",
    "planned_days",
    "planned_end",
    "status",
    "end_date",
    "reason",
)


def register_query(day: date, search: str | None, actor: Actor | None, current_only: bool) -> sa.Select:
    """The register's episodes as of ``day`` (see :func:`register_rows`), unordered and unlimited."""
    episode = quarantine_episodes
    query = episode_rows().where(current_on(day) if current_only else episode.c.start_date <= day, visible_to(actor))
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
    return sa.or_(
        *(contains(column, term) for column in (*texts, *visible)), persons.c.id_number == normalise_id_number(term)
    )


def register_rows(
    conn: Connection,
    day: date,
    search: str | None = None,
    limit: int = 200,
    actor: Actor | None = None,
    current_only: bool = True,
) -> list[dict]:
    """The quarantine register (登记台账) as of ``day``, newest start first.

    By default the episodes current on ``day``; with ``current_only=False``
    every episode started by then. ``search`` matches name, ID number, phone,
    grid or site. ID and phone numbers are masked unless ``actor`` may see them;
    a clerk sees only the people of their units.
    """
    episode = quarantine_episodes
    query = (
        register_query(day, search, actor, current_only)
        .order_by(episode.c.start_date.desc(), episode.c.id.desc())
        .limit(limit)
    )
    return _list(conn, query, actor, REGISTER_COLUMNS)


def register_count(
    conn: Connection, day: date, search: str | None = None, actor: Actor | None = None, current_only: bool = True
) -> int:
    """How many episodes the register holds for the same choice (the page shows only the newest ones)."""
    selected = register_query(day, search, actor, current_only).subquery()
    return conn.execute(sa.select(sa.func.count()).select_from(selected)).scalar_one()


def current_grids(conn: Connection, day: date, actor: Actor | None = None) -> list[str]:
    """The grids with people under quarantine on ``day`` that ``actor`` may see, for the follow-up choice."""
    query = (
        sa.select(persons.c.grid)
        .distinct()
        .select_from(quarantine_episodes.join(persons, persons.c.id == quarantine_episodes.c.person_id))
        .where(current_on(day), visible_to(actor))
        .order_by(persons.c.grid)
    )
    return list(conn.execute(query).scalars())


def followup_sheet(
    conn: Connection, day: date, site: int | None = None, actor: Actor | None = None, grid: str | None = None
) -> list[dict]:
    """The follow-up grid of ``day``: every episode current that day (at one site, or of one grid, when
    given) with its effective AM and PM readings, each as ``{"id", "temperature", "symptoms"}`` or ``None``."""
    episode, followup = quarantine_episodes, quarantine_followups
    query = episode_rows().where(current_on(day), visible_to(actor))
    if site is not None:
        query = query.where(episode.c.site_id == site)
    if grid is not None:
        query = query.where(persons.c.grid == grid)
    rows = _list(conn, query.order_by(persons.c.grid, persons.c.name, episode.c.id), actor, ACTION_COLUMNS)
    readings = conn.execute(
        sa.select(
            followup.c.id, followup.c.episode_id, followup.c.slot, followup.c.temperature, followup.c.symptoms
        ).where(
            followup.c.episode_id.in_(query.with_only_columns(episode.c.id)), followup.c.date == day, is_effective()
        )
    ).mappings()
    by_episode: dict[tuple[int, str], dict] = {
        (reading["episode_id"], reading["slot"]): {
            "id": reading["id"],
            "temperature": reading["temperature"],
            "symptoms": reading["symptoms"],
        }
        for reading in readings
    }
    return [{**row, **{slot: by_episode.get((row["episode_id"], slot)) for slot in SLOTS}} for row in rows]


def released_on(conn: Connection, day: date, actor: Actor | None = None) -> list[dict]:
    """The people released on ``day`` (those who get a release notice that day), by name."""
    episode = quarantine_episodes
    query = (
        episode_rows()
        .where(episode.c.status == "released", episode.c.end_date == day, visible_to(actor))
        .order_by(persons.c.name, episode.c.id)
    )
    return _list(conn, query, actor, (*ACTION_COLUMNS, "end_date"))


def released_episodes(conn: Connection, episode_ids: Sequence[int], actor: Actor | None = None) -> list[dict]:
    """The register rows of those of ``episode_ids`` that were released, in the order given: what a release
    notice is filled from. Numbers are masked unless ``actor`` may see them."""
    episode = quarantine_episodes
    query = episode_rows().where(episode.c.id.in_(list(episode_ids)), episode.c.status == "released", visible_to(actor))
    found = {row["episode_id"]: row for row in _list(conn, query, actor, REGISTER_COLUMNS)}
    return [found[episode_id] for episode_id in dict.fromkeys(episode_ids) if episode_id in found]


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


def action_list_heads(
    conn: Connection, day: date, actor: Actor | None = None, limit: int | None = 200
) -> dict[str, ListHead]:
    """The first ``limit`` rows of each of :func:`action_lists` (all of them for ``None``) and each list's total.

    A district's lists run to hundreds of people; a page shows the first ones, and the total is counted by the
    same statement (a window count over the whole list, taken before the limit), so no list is read twice.
    """
    episode, followup = quarantine_episodes, quarantine_followups
    current = episode_rows().where(current_on(day), visible_to(actor))
    counts, fewer_than_two = missing_followups(day)
    due = current.where(episode.c.planned_end.between(day + timedelta(days=1), day + timedelta(days=DUE_WINDOW_DAYS)))
    missing = (
        current.add_columns(sa.func.coalesce(counts.c.followups, 0).label("followups"))
        .outerjoin(counts, counts.c.episode_id == episode.c.id)
        .where(fewer_than_two)
        .order_by(persons.c.grid, persons.c.name, episode.c.id)
    )
    fever = (
        episode_rows()
        .add_columns(followup.c.date, followup.c.slot, followup.c.temperature)
        .join(followup, followup.c.episode_id == episode.c.id)
        .where(followup.c.date == day, followup.c.temperature >= fever_threshold(), is_effective(), visible_to(actor))
        .order_by(followup.c.temperature.desc(), followup.c.slot, episode.c.id)
    )
    lists = {
        "due_next_3_days": (due.order_by(episode.c.planned_end, episode.c.id), ACTION_COLUMNS),
        "overdue": (
            current.where(episode.c.planned_end <= day).order_by(episode.c.planned_end, episode.c.id),
            ACTION_COLUMNS,
        ),
        "followups_missing": (missing, (*ACTION_COLUMNS, "followups")),
        "fever_in_quarantine": (fever, (*ACTION_COLUMNS, "date", "slot", "temperature")),
    }
    return {name: _list_head(conn, query, actor, columns, limit) for name, (query, columns) in lists.items()}


def _list_head(
    conn: Connection, query: sa.Select, actor: Actor | None, columns: Sequence[str], limit: int | None
) -> ListHead:
    rows = conn.execute(query.add_columns(sa.func.count().over().label("list_total")).limit(limit)).mappings().all()
    return {
        "rows": [present_person({key: row[key] for key in columns}, actor) for row in rows],
        "total": rows[0]["list_total"] if rows else 0,
    }


def episode_history(conn: Connection, episode_id: int) -> list[dict]:
    """Every change to one episode, oldest first (kind, planned ends, statuses, end date, reason, who, when)."""
    query = sa.select(episode_changes).where(episode_changes.c.episode_id == episode_id).order_by(episode_changes.c.id)
    return [dict(row) for row in conn.execute(query).mappings()]
