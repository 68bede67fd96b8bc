"""Query pieces the entries, figures and lists share: which episodes are current on a day, which follow-ups
are effective, the episodes a user may see or write for, and episodes with their person and site."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.db import Actor
from data_layer.permissions import require_write, unit_limit
from data_layer.quarantine.tables import DOMAIN, persons, quarantine_episodes, quarantine_followups, quarantine_sites


def current_episodes(day: date) -> sa.Subquery:
    """The episodes current on ``day`` (``id``, ``mode``, ``planned_end``), found through their end date: the
    open ones and those ended after the day, each started by then. Two ranges of one covering index, so the
    time grows with the people in quarantine, not with every episode ever started before the day."""
    episode = quarantine_episodes
    columns = (episode.c.id, episode.c.mode, episode.c.planned_end)
    started = episode.c.start_date <= day
    return sa.union_all(
        sa.select(*columns).where(episode.c.end_date.is_(None), started),
        sa.select(*columns).where(episode.c.end_date > day, started),
    ).subquery("on_day")


def current_on(day: date) -> sa.ColumnElement[bool]:
    """An episode is current on D when it started on or before D and has not ended by D (design §4.2).

    Tested as membership of :func:`current_episodes`, which finds them through the end-date index: a plain
    test of start and end date would make every list of current people scan every episode ever started.
    """
    return quarantine_episodes.c.id.in_(sa.select(current_episodes(day).c.id))


def is_effective() -> sa.ColumnElement[bool]:
    """A follow-up is effective when no later row supersedes it."""
    later = quarantine_followups.alias("later")
    return ~sa.exists().where(later.c.supersedes_id == quarantine_followups.c.id)


def episode_rows() -> sa.Select:
    """Episodes with their person and site, the base of every list a page shows."""
    episode, person, site = quarantine_episodes, persons, quarantine_sites
    return sa.select(
        episode.c.id.label("episode_id"),
        person.c.name,
        person.c.id_number,
        person.c.phone,
        person.c.grid,
        person.c.address,
        person.c.origin,
        person.c.origin_category,
        episode.c.mode,
        site.c.name.label("site"),
        episode.c.start_date,
        episode.c.planned_days,
        episode.c.planned_end,
        episode.c.status,
        episode.c.end_date,
        episode.c.reason,
    ).select_from(
        episode.join(person, person.c.id == episode.c.person_id).outerjoin(site, site.c.id == episode.c.site_id)
    )


def visible_to(actor: Actor | None) -> sa.ColumnElement[bool]:
    """The episodes whose people ``actor`` may see by name in a list (design §8).

    A clerk sees the people of the quarantine units they are assigned: every
    episode when assigned the whole domain, the episodes of their sites when
    assigned sites, nobody when not assigned to quarantine at all. Other roles
    see every episode (numbers masked as :func:`present_person` decides).
    """
    units = unit_limit(actor, DOMAIN)
    return sa.true() if units is None else quarantine_episodes.c.site_id.in_(sorted(units))


def require_write_for_site(actor: Actor, site_id: int | None) -> None:
    """Refuse unless ``actor`` may write for the people of ``site_id``.

    A clerk assigned some sites writes for the people at those sites only. People in home quarantine or under
    monitoring are at no site: they are the work of the clerks assigned the whole quarantine domain, who are
    also the only clerks to see them in a list (:func:`visible_to`).
    """
    require_write(actor, DOMAIN, site_id, whole_domain=site_id is None)


def episodes_by_id(conn: Connection, episode_ids: Iterable[int], *, lock: bool = False) -> dict[int, sa.RowMapping]:
    """Episodes with their person's name, locked for the transaction when ``lock`` (a rule depends on them)."""
    ids = sorted(set(episode_ids))
    if not ids:
        return {}
    episode = quarantine_episodes
    query = (
        sa.select(episode, persons.c.name.label("person_name"))
        .join(persons, persons.c.id == episode.c.person_id)
        .where(episode.c.id.in_(ids))
    )
    if lock:
        query = query.with_for_update(of=episode)
    return {row["id"]: row for row in conn.execute(query).mappings()}
