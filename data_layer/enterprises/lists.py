"""The enterprises lists that feed pages and notices: open and overdue rectification items, the registry with
its contacts masked, and one enterprise's inspections and status history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.db import Actor
from data_layer.enterprises.master import enterprise_statuses
from data_layer.enterprises.tables import (
    DOMAIN,
    PHONE_NUMBER,
    REGISTRY_LIMIT,
    enterprises,
    inspections,
    rectification_closures,
    rectifications,
    status_changes,
)
from data_layer.permissions import shows_personal_numbers, unit_limit
from data_layer.privacy import mask_phone
from data_layer.search import contains, search_term


def _rectification_list(day: date, overdue_only: bool, limit: int | None, search: str | None) -> sa.Select:
    closed = sa.and_(
        rectification_closures.c.rectification_id == rectifications.c.id, rectification_closures.c.closed_on <= day
    )
    query = (
        sa.select(
            rectifications.c.id,
            enterprises.c.name.label("enterprise"),
            enterprises.c.grid,
            rectifications.c.item,
            inspections.c.date.label("inspected_on"),
            inspections.c.inspector,
            rectifications.c.deadline,
        )
        .select_from(
            rectifications.join(inspections, inspections.c.id == rectifications.c.inspection_id)
            .join(enterprises, enterprises.c.id == rectifications.c.enterprise_id)
            .outerjoin(rectification_closures, closed)
        )
        .where(inspections.c.date <= day, rectification_closures.c.id.is_(None))
        .order_by(rectifications.c.deadline, rectifications.c.id)
        .limit(limit)
    )
    term = search_term(search)
    if term:
        query = query.where(sa.or_(contains(enterprises.c.name, term), contains(rectifications.c.item, term)))
    return query.where(rectifications.c.deadline < day) if overdue_only else query


def open_rectifications(conn: Connection, day: date, limit: int | None = None, search: str | None = None) -> list[dict]:
    """Rectification items open at the end of ``day``, the earliest deadline first, with days overdue (≥ 0).

    ``limit`` keeps the first ones only (a district has thousands open; how many in all is
    ``figures()["rectifications_open"]``); ``search`` keeps the items whose enterprise or text contains it.
    """
    return [
        {**row, "days_overdue": max(0, (day - row["deadline"]).days)}
        for row in conn.execute(_rectification_list(day, False, limit, search)).mappings()
    ]


def overdue_rectifications(conn: Connection, day: date, limit: int | None = None) -> list[dict]:
    """Open items whose deadline is before ``day``, the most overdue first: the alert list of the wall screen.

    ``limit`` keeps the first ones only; how many in all is ``figures()["rectifications_overdue"]``.
    """
    return [
        {**row, "days_overdue": (day - row["deadline"]).days}
        for row in conn.execute(_rectification_list(day, True, limit, None)).mappings()
    ]


def inspection_items(conn: Connection, inspection_id: int) -> list[dict]:
    """The rectification items one inspection opened, in finding order, with their closure if any."""
    query = (
        sa.select(
            rectifications.c.id,
            rectifications.c.item,
            rectifications.c.deadline,
            rectification_closures.c.closed_on,
            rectification_closures.c.verified_by,
        )
        .select_from(
            rectifications.outerjoin(
                rectification_closures, rectification_closures.c.rectification_id == rectifications.c.id
            )
        )
        .where(rectifications.c.inspection_id == inspection_id)
        .order_by(rectifications.c.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def present_contact(contact: str | None, actor: Actor | None) -> str | None:
    """The contact as ``actor`` may see it: the phone numbers in it masked for leaders, the wall screen and
    callers that name no actor (the contact is free text such as ``王芳 13800001234``)."""
    if not contact or (actor is not None and shows_personal_numbers(actor)):
        return contact
    return PHONE_NUMBER.sub(lambda match: mask_phone(match.group(0)), contact)


def _registry_query(day: date, search: str | None, statuses: Iterable[str] | None, actor: Actor | None) -> sa.Select:
    """The enterprises of :func:`registry`, unordered and unlimited.

    A clerk assigned to named enterprises sees those only; ``statuses`` keeps
    the enterprises whose status at the end of ``day`` is one of them.
    """
    current = enterprise_statuses(day).subquery("current")
    query = sa.select(current)
    term = search_term(search)
    if term:
        fields = ("name", "sector", "grid", "address")
        query = query.where(sa.or_(*(contains(current.c[field], term) for field in fields)))
    if statuses:
        query = query.where(current.c.status.in_(list(statuses)))
    units = unit_limit(actor, DOMAIN)
    if units is not None:
        query = query.where(current.c.id.in_(sorted(units)))
    return query


def registry(
    conn: Connection,
    day: date,
    search: str | None = None,
    limit: int = REGISTRY_LIMIT,
    statuses: tuple[str, ...] | None = None,
    actor: Actor | None = None,
) -> list[dict]:
    """Enterprises with their status at the end of ``day``, by name; ``search`` matches name, sector, grid or
    address (case-insensitive substring), ``statuses`` narrows to those statuses.

    The contact's phone number is masked unless ``actor`` may see personal numbers.
    """
    query = _registry_query(day, search, statuses, actor)
    ordered = query.order_by(query.selected_columns.name).limit(limit)
    return [{**row, "contact": present_contact(row["contact"], actor)} for row in conn.execute(ordered).mappings()]


def registry_count(
    conn: Connection,
    day: date,
    search: str | None = None,
    statuses: tuple[str, ...] | None = None,
    actor: Actor | None = None,
) -> int:
    """How many enterprises :func:`registry` would list without its limit."""
    found = _registry_query(day, search, statuses, actor).subquery("found")
    return conn.execute(sa.select(sa.func.count()).select_from(found)).scalar_one()


def enterprise_inspections(conn: Connection, enterprise_id: int) -> list[dict]:
    """One enterprise's inspections, the newest first, with how many items each opened and how many are open."""
    closed = rectification_closures.c.id.is_not(None)
    query = (
        sa.select(
            inspections.c.id,
            inspections.c.date,
            inspections.c.inspector,
            inspections.c.findings,
            sa.func.count(rectifications.c.id).label("items"),
            sa.func.coalesce(
                sa.func.sum(sa.case((sa.and_(rectifications.c.id.is_not(None), sa.not_(closed)), 1), else_=0)), 0
            ).label("open_items"),
        )
        .select_from(
            inspections.outerjoin(rectifications, rectifications.c.inspection_id == inspections.c.id).outerjoin(
                rectification_closures, rectification_closures.c.rectification_id == rectifications.c.id
            )
        )
        .where(inspections.c.enterprise_id == enterprise_id)
        .group_by(inspections.c.id, inspections.c.date, inspections.c.inspector, inspections.c.findings)
        .order_by(inspections.c.date.desc(), inspections.c.id.desc())
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def inspection_record(conn: Connection, inspection_id: int) -> dict | None:
    """One inspection with the enterprise it inspected (name, kind, sector, grid, address), or ``None``."""
    query = (
        sa.select(
            inspections.c.id,
            inspections.c.date,
            inspections.c.inspector,
            inspections.c.findings,
            enterprises.c.id.label("enterprise_id"),
            enterprises.c.name.label("enterprise"),
            enterprises.c.kind,
            enterprises.c.sector,
            enterprises.c.grid,
            enterprises.c.address,
        )
        .select_from(inspections.join(enterprises, enterprises.c.id == inspections.c.enterprise_id))
        .where(inspections.c.id == inspection_id)
    )
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def status_history(conn: Connection, enterprise_id: int) -> list[dict]:
    """Every status change of one enterprise, oldest first, with who made it and why."""
    query = (
        sa.select(
            status_changes.c.id,
            status_changes.c.status,
            status_changes.c.effective_date,
            status_changes.c.reason,
            status_changes.c.note,
            status_changes.c.changed_by,
            status_changes.c.changed_at,
        )
        .where(status_changes.c.enterprise_id == enterprise_id)
        .order_by(status_changes.c.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]
