"""Supply items, the administrator's master data: adding, renaming and changing them, and finding them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from data_layer.changes import reads_units_only
from data_layer.db import MasterLookup, WriteContext, referenced_row
from data_layer.permissions import require_admin
from data_layer.supplies.tables import CATEGORY_LENGTH, DOMAIN, NAME_LENGTH, UNIT_LENGTH, supply_items
from data_layer.validation import Checks

ITEMS = MasterLookup(supply_items)
"""Finds a supply item by name or id."""


def _known_item(checks: Checks, conn: Connection, value: object) -> RowMapping | None:
    """The referenced item, or ``None`` with the reason recorded on the ``item`` field."""
    return referenced_row(checks, "item", value, ITEMS.finder(conn))


def _new_name(checks: Checks, conn: Connection, value: object, keep_id: int | None = None) -> str | None:
    """An item name that no other item has."""
    name = checks.name(value, "name", max_length=NAME_LENGTH)
    if name is None:
        return None
    holder = conn.execute(sa.select(supply_items.c.id).where(supply_items.c.name == name)).scalar()
    if holder is not None and holder != keep_id:
        checks.fail("name", "error.duplicate_name", value=name)
        return None
    return name


def add_item(ctx: WriteContext, data: Mapping[str, object]) -> int:
    """Add a supply item (name, unit, category, safety stock); the administrator's master data."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    name = _new_name(checks, ctx.conn, data.get("name"))
    unit = checks.text(data.get("unit"), "unit", max_length=UNIT_LENGTH)
    category = checks.text(data.get("category"), "category", required=False, max_length=CATEGORY_LENGTH)
    safety_stock = checks.integer(data.get("safety_stock"), "safety_stock", required=False)
    checks.raise_if_any()
    return ctx.insert(
        supply_items,
        "supplies.item.add",
        {"name": name, "unit": unit, "category": category, "safety_stock": safety_stock or 0, "active": True},
    )


def _update_item(ctx: WriteContext, item: RowMapping, action: str, changes: dict[str, object]) -> None:
    before = {key: item[key] for key in changes}
    ctx.conn.execute(supply_items.update().where(supply_items.c.id == item["id"]).values(**changes))
    ctx.audit(action, supply_items, item["id"], before=before, after=changes)


def rename_item(ctx: WriteContext, item: object, new_name: object) -> None:
    """Give an item a new name (its movements follow it, since they refer to its id)."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    row = _known_item(checks, ctx.conn, item)
    name = _new_name(checks, ctx.conn, new_name, keep_id=row["id"] if row else None)
    _update_item(ctx, checks.passed(row), "supplies.item.rename", {"name": name})


def set_item(ctx: WriteContext, item: object, data: Mapping[str, object]) -> None:
    """Change an item's unit, category, safety stock or active flag: only the keys present in ``data``.

    An inactive item keeps its ledger but leaves the figures and the entry forms.
    """
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    row = _known_item(checks, ctx.conn, item)
    changes: dict[str, object] = {}
    if "unit" in data:
        changes["unit"] = checks.text(data["unit"], "unit", max_length=UNIT_LENGTH)
    if "category" in data:
        changes["category"] = checks.text(data["category"], "category", required=False, max_length=CATEGORY_LENGTH)
    if "safety_stock" in data:
        changes["safety_stock"] = checks.integer(data["safety_stock"], "safety_stock")
    if "active" in data:
        changes["active"] = checks.flag(data["active"], "active")
    item_row = checks.passed(row)
    if changes:
        _update_item(ctx, item_row, "supplies.item.set", changes)


def edit_item(ctx: WriteContext, item: object, data: Mapping[str, object]) -> None:
    """Rename an item (when ``data`` holds a different ``name``) and set the other keys of ``data``, in the
    one transaction of the edit form: either every change is stored or none."""
    require_admin(ctx.actor)
    row = _known_item(Checks(DOMAIN), ctx.conn, item)
    changes = dict(data)
    new_name = changes.pop("name", None)
    if row is not None and new_name is not None and str(new_name).strip() != row["name"]:
        rename_item(ctx, row["id"], new_name)
    set_item(ctx, item if row is None else row["id"], changes)


@reads_units_only
def list_items(conn: Connection, include_inactive: bool = True) -> list[dict[str, Any]]:
    """Every item's master data (``id``, ``name``, ``unit``, ``category``, ``safety_stock``, ``active``), by name."""
    query = sa.select(supply_items)
    if not include_inactive:
        query = query.where(supply_items.c.active == sa.true())
    return sorted((dict(row) for row in conn.execute(query).mappings()), key=lambda row: row["name"])
