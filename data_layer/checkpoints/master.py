"""Checkpoints as master data: adding, renaming, opening and closing, moving and retyping them (administrators
only), and looking them up by name or id."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from data_layer.changes import reads_units_only
from data_layer.checkpoints.tables import DOMAIN, KINDS, checkpoints
from data_layer.db import MasterLookup, WriteContext, referenced_row
from data_layer.i18n import translate
from data_layer.permissions import require_admin
from data_layer.validation import Checks, is_blank

CHECKPOINTS = MasterLookup(checkpoints)
"""Finds a checkpoint by name or id."""


def kind_labels() -> dict[str, str]:
    """Chinese kind label → kind code, from the zh_CN catalog, so that imports accept what clerks write."""
    return {translate(f"checkpoints.code.{kind}", "zh_CN"): kind for kind in KINDS}


def _known_checkpoint(conn: Connection, checks: Checks, value: object, *, lock: bool = False) -> RowMapping | None:
    """The referenced checkpoint, or ``None`` with the reason recorded on the ``checkpoint`` field."""
    return referenced_row(checks, "checkpoint", value, CHECKPOINTS.finder(conn, lock=lock))


def _new_name(conn: Connection, checks: Checks, value: object, current: RowMapping | None = None) -> str | None:
    """A checkpoint name no other checkpoint has."""
    name = checks.name(value, "name", max_length=100)
    if name is None:
        return None
    query = sa.select(checkpoints.c.id).where(checkpoints.c.name == name)
    if current is not None:
        query = query.where(checkpoints.c.id != current["id"])
    if conn.execute(query).first() is not None:
        checks.fail("name", "error.duplicate_name", value=name)
    return name


def _location(checks: Checks, latitude: object, longitude: object) -> dict[str, float | None]:
    """Latitude and longitude in range, both given or both left out (a checkpoint without a map position)."""
    values = {
        "latitude": checks.number(latitude, "latitude", required=False, minimum=-90, maximum=90),
        "longitude": checks.number(longitude, "longitude", required=False, minimum=-180, maximum=180),
    }
    given = {"latitude": not is_blank(latitude), "longitude": not is_blank(longitude)}
    for field, present in given.items():
        if not present and any(given.values()):
            checks.fail(field, "checkpoints.error.location_incomplete")
    return values


def _kind(checks: Checks, value: object) -> str | None:
    return checks.choice(value, "kind", KINDS, labels=kind_labels())


def _grid(checks: Checks, value: object) -> str | None:
    return checks.text(value, "grid", max_length=100)


def add_checkpoint(ctx: WriteContext, data: Mapping[str, object]) -> int:
    """Create a checkpoint from ``name``, ``grid``, ``kind``, optional ``latitude``/``longitude`` and ``active``
    (default yes); returns its id."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    values = {
        "name": _new_name(ctx.conn, checks, data.get("name")),
        "grid": _grid(checks, data.get("grid")),
        "kind": _kind(checks, data.get("kind")),
        **_location(checks, data.get("latitude"), data.get("longitude")),
        "active": checks.flag(data.get("active"), "active", default=True),
    }
    checks.raise_if_any()
    return ctx.insert(checkpoints, "checkpoints.add_checkpoint", values)


def _update_checkpoint(ctx: WriteContext, current: RowMapping, action: str, values: dict) -> None:
    """Change master-data fields of one checkpoint and audit them with their values before and after."""
    ctx.conn.execute(checkpoints.update().where(checkpoints.c.id == current["id"]).values(**values))
    ctx.audit(action, checkpoints, current["id"], before={field: current[field] for field in values}, after=values)


def rename_checkpoint(ctx: WriteContext, checkpoint: int | str, name: object) -> None:
    """Give a checkpoint a new, unused name; its counts stay with it."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    current = _known_checkpoint(ctx.conn, checks, checkpoint)
    new_name = _new_name(ctx.conn, checks, name, current)
    _update_checkpoint(ctx, checks.passed(current), "checkpoints.rename_checkpoint", {"name": new_name})


def set_checkpoint_active(ctx: WriteContext, checkpoint: int | str, active: object) -> None:
    """Open or close a checkpoint: an inactive one takes no new entries and is not expected to report."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    current = _known_checkpoint(ctx.conn, checks, checkpoint)
    flag = checks.flag(active, "active")
    _update_checkpoint(ctx, checks.passed(current), "checkpoints.set_checkpoint_active", {"active": flag})


def set_checkpoint_location(
    ctx: WriteContext, checkpoint: int | str, grid: object, latitude: object, longitude: object
) -> None:
    """Move a checkpoint to another grid and map position (latitude and longitude may both be left out)."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    current = _known_checkpoint(ctx.conn, checks, checkpoint)
    values = {"grid": _grid(checks, grid), **_location(checks, latitude, longitude)}
    _update_checkpoint(ctx, checks.passed(current), "checkpoints.set_checkpoint_location", values)


def set_checkpoint_kind(ctx: WriteContext, checkpoint: int | str, kind: object) -> None:
    """Change what kind of post a checkpoint is (compound gate, road, station, other)."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    current = _known_checkpoint(ctx.conn, checks, checkpoint)
    code = _kind(checks, kind)
    _update_checkpoint(ctx, checks.passed(current), "checkpoints.set_checkpoint_kind", {"kind": code})


@reads_units_only
def list_checkpoints(conn: Connection, include_inactive: bool = False) -> list[dict]:
    """The checkpoints by name, for pickers and the admin page; closed ones only when asked."""
    query = sa.select(checkpoints).order_by(checkpoints.c.name)
    if not include_inactive:
        query = query.where(checkpoints.c.active)
    return [dict(row) for row in conn.execute(query).mappings()]
