"""The follow-up round a clerk enters on a phone (快速录入): the round proposed for the time of day, the places
whose people the clerk follows up, and a place's people with the round's reading, those still to follow up first.

A *place* is a centralized site, or the grid of people at no site (home quarantine, home health monitoring):
the same scopes as the quarantine page's follow-up grid, each small enough for one screen of a phone.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import NamedTuple, TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.db import Actor, Rows
from data_layer.quarantine.lists import followup_sheet
from data_layer.quarantine.queries import current_on, is_effective, visible_to
from data_layer.quarantine.tables import (
    FOLLOWUP_ROUND_DUE,
    SLOTS,
    persons,
    quarantine_episodes,
    quarantine_followups,
    quarantine_sites,
)


def proposed_slot(moment: datetime) -> str:
    """The round a clerk entering follow-ups at ``moment`` most likely means: the next one due
    (:data:`FOLLOWUP_ROUND_DUE`: ``AM`` until 11:00, ``PM`` until 17:00), and after the day's last due time that
    last round, entered late. From a round's due time on the wall counts a site without it as silent, so the
    clerk is by then on the next one; the form shows each round's people still to follow up, and a late
    morning round is one tap away."""
    return next((slot for slot in SLOTS if moment.time() < FOLLOWUP_ROUND_DUE[slot]), SLOTS[-1])


class Place(NamedTuple):
    """Where a round is entered: a site by id, or (``site_id`` ``None``) the people of a grid at no site."""

    site_id: int | None
    grid: str | None


class PlaceRound(TypedDict):
    """A place with people under quarantine on the day: ``name`` the site's (``None`` for a grid at no site),
    ``people`` how many, ``pending`` per slot how many of them have no reading of that slot yet."""

    place: Place
    name: str | None
    people: int
    pending: dict[str, int]


def round_places(conn: Connection, day: date, actor: Actor | None = None) -> list[PlaceRound]:
    """The places with people current on ``day`` whom ``actor`` follows up, sites first by name, then the grids of
    the people at no site. A clerk assigned sites has only those sites; the people at no site are the work of
    clerks of the whole quarantine domain (:func:`~data_layer.quarantine.queries.visible_to`)."""
    episode, followup, site = quarantine_episodes, quarantine_followups, quarantine_sites
    current = (
        sa.select(episode.c.id, episode.c.site_id, site.c.name, persons.c.grid)
        .select_from(
            episode.join(persons, persons.c.id == episode.c.person_id).outerjoin(site, site.c.id == episode.c.site_id)
        )
        .where(current_on(day), visible_to(actor))
    )
    episodes: Rows = conn.execute(current)
    place_of: dict[int, Place] = {}
    names: dict[Place, str | None] = {}
    for episode_id, site_id, name, grid in episodes:
        place = Place(site_id, None if site_id is not None else grid)
        place_of[episode_id] = place
        names[place] = name
    readings: Rows = conn.execute(
        sa.select(followup.c.episode_id, followup.c.slot)
        .distinct()
        .where(
            followup.c.date == day, is_effective(), followup.c.episode_id.in_(current.with_only_columns(episode.c.id))
        )
    )
    people = Counter(place_of.values())
    followed = Counter((place_of[episode_id], slot) for episode_id, slot in readings)
    rounds: list[PlaceRound] = [
        {
            "place": place,
            "name": names[place],
            "people": count,
            "pending": {slot: count - followed[place, slot] for slot in SLOTS},
        }
        for place, count in people.items()
    ]
    return sorted(rounds, key=lambda row: (row["name"] is None, row["name"] or row["place"].grid or ""))


def followup_round(conn: Connection, day: date, slot: str, place: Place, actor: Actor | None = None) -> list[dict]:
    """The people of ``place`` current on ``day`` whom ``actor`` follows up, those without a reading of ``slot``
    first (then by grid and name), each a row of :func:`~data_layer.quarantine.lists.followup_sheet` (name as the
    actor may see it) with ``reading`` that slot's effective reading or ``None``."""
    sheet = followup_sheet(conn, day, place.site_id, actor, place.grid if place.site_id is None else None)
    at_place = [row for row in sheet if place.site_id is not None or row["site"] is None]
    return sorted(({**row, "reading": row[slot]} for row in at_place), key=lambda row: row["reading"] is not None)
