"""The quarantine sites (master data): adding, renaming, resizing, opening and closing them, and finding a
site by its name or id, with the most people it holds from a day on."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer import clock
from data_layer.changes import reads_units_only
from data_layer.db import MasterLookup, WriteContext, referenced_row
from data_layer.permissions import require_admin
from data_layer.quarantine.tables import DOMAIN, quarantine_episodes, quarantine_sites
from data_layer.validation import Checks

SITES = MasterLookup(quarantine_sites)
"""Finds a centralized quarantine site by name or id (forms send ids, import files send names)."""


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
    return ctx.insert(
        quarantine_sites,
        "quarantine.site_add",
        {"name": name, "address": address, "capacity": capacity, "active": active},
    )


def rename_site(ctx: WriteContext, site: object, name: object) -> None:
    """Give a site a new name (unique among sites)."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    row = existing_site(ctx.conn, checks, site)
    new_name = checks.name(name, "name", max_length=100)
    if (
        new_name
        and row
        and new_name != row["name"]
        and ctx.conn.execute(sa.select(quarantine_sites.c.id).where(quarantine_sites.c.name == new_name)).first()
    ):
        checks.fail("name", "error.duplicate_name", value=new_name)
    _update_site(ctx, checks.passed(row), {"name": new_name}, "quarantine.site_rename")


def set_site_capacity(ctx: WriteContext, site: object, capacity: object) -> None:
    """Change a site's number of places; it may not drop below the people staying there today."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    row = existing_site(ctx.conn, checks, site, lock=True)
    places = checks.integer(capacity, "capacity", minimum=1, maximum=100_000)
    if row and places is not None:
        occupied = site_peak(ctx.conn, row["id"], clock.today())
        if places < occupied:
            checks.fail("capacity", "quarantine.error.capacity_below_occupied", occupied=occupied)
    _update_site(ctx, checks.passed(row), {"capacity": places}, "quarantine.site_capacity")


def set_site_active(ctx: WriteContext, site: object, active: object) -> None:
    """Open or close a site for new admissions; people already there stay until released."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    row = existing_site(ctx.conn, checks, site)
    flag = checks.flag(active, "active")
    _update_site(ctx, checks.passed(row), {"active": flag}, "quarantine.site_active")


def existing_site(conn: Connection, checks: Checks, reference: object, *, lock: bool = False) -> sa.RowMapping | None:
    """The referenced site, or ``None`` with the reason recorded on the ``site`` field."""
    return referenced_row(checks, "site", reference, SITES.finder(conn, lock=lock))


def _update_site(ctx: WriteContext, row: sa.RowMapping, values: dict, action: str) -> None:
    before = {key: row[key] for key in values}
    ctx.conn.execute(quarantine_sites.update().where(quarantine_sites.c.id == row["id"]).values(**values))
    ctx.audit(action, quarantine_sites, row["id"], before=before, after=values)


@reads_units_only
def list_sites(conn: Connection, include_inactive: bool = False) -> list[dict]:
    """The sites for a choice list (id, name, address, capacity, active), by name."""
    query = sa.select(quarantine_sites).order_by(quarantine_sites.c.name)
    if not include_inactive:
        query = query.where(quarantine_sites.c.active)
    return [dict(row) for row in conn.execute(query).mappings()]


def site_peak(conn: Connection, site_id: int, from_day: date) -> int:
    """The most people the site holds on any day from ``from_day`` on.

    Occupancy only rises on a day some episode starts, so it is enough to look
    at ``from_day`` and at each later start date; a back-dated admission must
    fit on every one of those days, not only on its own start date.
    """
    episode = quarantine_episodes
    later_starts = sa.select(episode.c.start_date.label("day")).where(
        episode.c.site_id == site_id, episode.c.start_date > from_day
    )
    days = sa.union(sa.select(sa.literal(from_day, sa.Date).label("day")), later_starts).subquery()
    occupied = (
        sa.select(sa.func.count(episode.c.id).label("occupied"))
        .select_from(
            days.outerjoin(
                episode,
                sa.and_(
                    episode.c.site_id == site_id,
                    episode.c.start_date <= days.c.day,
                    sa.or_(episode.c.end_date.is_(None), episode.c.end_date > days.c.day),
                ),
            )
        )
        .group_by(days.c.day)
        .subquery()
    )
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(occupied.c.occupied), 0))).scalar_one()
