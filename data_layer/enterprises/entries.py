"""The enterprises domain's inspection writes: checks of reopening conditions, inspections with the
rectification items they open, and the closures of those items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa

from data_layer.db import WriteContext
from data_layer.enterprises.day_tables import update_rectification_days
from data_layer.enterprises.master import find_enterprise_id
from data_layer.enterprises.tables import (
    CONDITIONS,
    DOMAIN,
    chinese_labels,
    conditions,
    inspections,
    rectification_closures,
    rectifications,
)
from data_layer.permissions import require_write
from data_layer.validation import Checks


def record_conditions(
    ctx: WriteContext,
    enterprise: int | str,
    results: Mapping[str, object],
    checked_on: object,
    checked_by: str | None = None,
) -> int:
    """Record a check of reopening conditions: ``results`` maps each checked condition to met or not.

    Conditions may be given by code or Chinese label, met as a flag. The checks
    are stored in one statement with one audit row (its row id is the
    enterprise's, its values list the new check ids); returns how many were stored.
    ``checked_by`` defaults to the acting user.
    """
    checks = Checks(DOMAIN)
    enterprise_id = find_enterprise_id(ctx.conn, checks, enterprise)
    require_write(ctx.actor, DOMAIN, enterprise_id)
    day = checks.day(checked_on, "checked_on")
    checker = checks.text(checked_by or ctx.actor.username, "checked_by", max_length=100)
    if not results:
        checks.fail("conditions", "error.required")
    labels = chinese_labels(CONDITIONS)
    parsed = {
        checks.choice(code, "condition", CONDITIONS, labels=labels): checks.flag(met, "met")
        for code, met in results.items()
    }
    checks.raise_if_any()
    rows = [
        {"enterprise_id": enterprise_id, "condition": code, "met": met, "checked_on": day, "checked_by": checker}
        for code, met in parsed.items()
    ]
    ids: Sequence[int] = ctx.conn.execute(conditions.insert().returning(conditions.c.id), rows).scalars().all()
    ctx.audit(
        f"{DOMAIN}.conditions",
        conditions,
        enterprise_id,
        after={"ids": ids, "checked_on": day, "checked_by": checker, "results": parsed},
    )
    return len(ids)


def add_inspection(
    ctx: WriteContext, enterprise: int | str, date: object, inspector: object, findings: Iterable[Mapping[str, object]]
) -> int:
    """Record an inspection; each finding (``item`` and ``deadline``) opens one rectification item.

    The inspection's findings text lists the items, one a line. A deadline may
    lie in the future but not before the inspection. Returns the inspection id.
    """
    checks = Checks(DOMAIN)
    enterprise_id = find_enterprise_id(ctx.conn, checks, enterprise)
    require_write(ctx.actor, DOMAIN, enterprise_id)
    day = checks.day(date, "date")
    who = checks.text(inspector, "inspector", max_length=100)
    items = []
    for number, finding in enumerate(findings, start=1):
        item = checks.text(finding.get("item"), "item", max_length=500)
        deadline = checks.day(finding.get("deadline"), "deadline", not_future=False)
        if day and deadline and deadline < day:
            checks.fail("deadline", f"{DOMAIN}.error.deadline_before_inspection", number=number, date=day.isoformat())
        items.append((item, deadline))
    inspected_on = checks.passed(day)
    checked = [(checks.passed(item), checks.passed(deadline)) for item, deadline in items]
    inspection_id = ctx.insert(
        inspections,
        f"{DOMAIN}.inspection",
        {
            "enterprise_id": enterprise_id,
            "date": inspected_on,
            "inspector": who,
            "findings": "\n".join(item for item, _ in checked) or None,
        },
    )
    for item, deadline in checked:
        ctx.insert(
            rectifications,
            f"{DOMAIN}.rectification",
            {
                "inspection_id": inspection_id,
                "enterprise_id": enterprise_id,
                "item": item,
                "deadline": deadline,
            },
        )
        update_rectification_days(ctx.conn, inspected_on, deadline, None)
    return inspection_id


def close_rectification(
    ctx: WriteContext, rectification_id: object, closed_on: object, verified_by: object, note: object = None
) -> int:
    """Close a rectification item once its fix was verified; returns the closure's id.

    The closing date lies between the inspection that opened the item and
    today; an item is closed once only.
    """
    checks = Checks(DOMAIN)
    item_id = checks.integer(rectification_id, "rectification", minimum=1, maximum=None)
    item = None
    if item_id is not None:
        item = (
            ctx.conn.execute(
                sa.select(rectifications.c.enterprise_id, rectifications.c.deadline, inspections.c.date)
                .select_from(rectifications.join(inspections, inspections.c.id == rectifications.c.inspection_id))
                .where(rectifications.c.id == item_id)
                .with_for_update(of=rectifications)
            )
            .mappings()
            .first()
        )
        if item is None:
            checks.fail("rectification", "error.unknown_name", value=item_id)
    require_write(ctx.actor, DOMAIN, item["enterprise_id"] if item else None)
    day = checks.day(closed_on, "closed_on")
    verifier = checks.text(verified_by, "verified_by", max_length=100)
    text = checks.text(note, "note", required=False, max_length=2000)
    if item and day and day < item["date"]:
        checks.fail("closed_on", f"{DOMAIN}.error.closed_before_inspection", date=item["date"].isoformat())
    if item:
        closed = ctx.conn.execute(
            sa.select(rectification_closures.c.closed_on).where(rectification_closures.c.rectification_id == item_id)
        ).scalar()
        if closed is not None:
            checks.fail("rectification", f"{DOMAIN}.error.already_closed", date=closed.isoformat())
    closed_day, rectification = checks.passed(day), checks.passed(item)
    closure_id = ctx.insert(
        rectification_closures,
        f"{DOMAIN}.rectification_closed",
        {
            "rectification_id": item_id,
            "closed_on": closed_day,
            "verified_by": verifier,
            "note": text,
        },
    )
    update_rectification_days(ctx.conn, rectification["date"], rectification["deadline"], closed_day)
    return closure_id
