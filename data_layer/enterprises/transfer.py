"""The enterprises import and export kind: the registry with each enterprise's current status."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.db import WriteContext

# _apply_update and _insert_change write without asking the permissions module, so they stay private (every
# public write of the data layer checks the actor); an import row checks it before calling them.
from data_layer.enterprises.master import (
    _apply_update,
    _insert_change,
    add_enterprise,
    check_transition,
    enterprise_state,
    enterprise_statuses,
    master_values,
    status_values,
)
from data_layer.enterprises.tables import DOMAIN
from data_layer.permissions import require_write
from data_layer.transfer import Column, Row, TransferKind, query_rows
from data_layer.validation import Checks, is_blank

# --- import and export -----------------------------------------------------------------------------------------

IMPORT_FIELDS = ("kind", "sector", "grid", "employees")


def _import_row(ctx: WriteContext, row: Row) -> int:
    """Store one ``enterprises`` import row; returns the enterprise id.

    A new name registers the enterprise with the row's status. A known name
    updates kind, sector, grid and employees where they differ, and adds a
    status change (dated ``status_date``, under the usual rules) only when the
    row's status differs from the current one; the same status with another
    date or reason changes nothing, so importing an export again is a no-op.
    """
    state = None if is_blank(row.get("name")) else enterprise_state(ctx.conn, row["name"], lock=True)
    if state is None:
        return add_enterprise(ctx, row)
    require_write(ctx.actor, DOMAIN, state["id"])
    checks = Checks(DOMAIN)
    values = master_values(ctx.conn, checks, row, IMPORT_FIELDS, state["id"])
    status, status_date, reason = status_values(checks, row.get("status"), row.get("status_date"), row.get("reason"))
    differs = status is not None and state["status"] != status
    if differs:
        check_transition(ctx.conn, checks, state, status, status_date)
    checks.raise_if_any()
    _apply_update(ctx, state["id"], values)
    if differs:
        _insert_change(ctx, state["id"], checks.passed(status), checks.passed(status_date), reason, None)
    return state["id"]


def _export_rows(conn: Connection) -> Iterator[Row]:
    """Every enterprise with its current status, in registration order, as an import reads it."""
    current = enterprise_statuses(None).subquery("current")
    query = sa.select(
        current.c.name,
        current.c.kind,
        current.c.sector,
        current.c.grid,
        current.c.employees,
        current.c.status,
        current.c.status_date,
        current.c.reason,
    ).order_by(current.c.id)
    return query_rows(conn, query)


TRANSFER_KINDS = (
    TransferKind(
        name="enterprises",
        columns=(
            Column("name", "名称"),
            Column("kind", "类型"),
            Column("sector", "行业"),
            Column("grid", "网格"),
            Column("employees", "员工人数"),
            Column("status", "状态"),
            Column("status_date", "状态日期"),
            Column("reason", "原因"),
        ),
        add_row=_import_row,
        read_rows=_export_rows,
    ),
)
