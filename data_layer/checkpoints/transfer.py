"""The import and export kinds of the checkpoints domain: the checkpoints register and the count ledger."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.checkpoints.counts import add_count, add_counts_batch, is_effective
from data_layer.checkpoints.master import add_checkpoint
from data_layer.checkpoints.tables import COUNT_FIELDS, checkpoint_counts, checkpoints
from data_layer.transfer import Column, Row, TransferKind, query_rows


def _checkpoint_rows(conn: Connection) -> Iterator[Row]:
    query = sa.select(
        checkpoints.c.name,
        checkpoints.c.grid,
        checkpoints.c.kind,
        checkpoints.c.latitude,
        checkpoints.c.longitude,
        checkpoints.c.active,
    ).order_by(checkpoints.c.id)
    return query_rows(conn, query)


def _count_rows(conn: Connection) -> Iterator[Row]:
    """The effective entries (what the figures count), by checkpoint and period."""
    query = (
        sa.select(
            checkpoints.c.name.label("checkpoint"),
            checkpoint_counts.c.period_start,
            checkpoint_counts.c.period_end,
            *[checkpoint_counts.c[name] for name in COUNT_FIELDS],
            checkpoint_counts.c.note,
        )
        .select_from(checkpoint_counts.join(checkpoints, checkpoints.c.id == checkpoint_counts.c.checkpoint_id))
        .where(is_effective())
        .order_by(checkpoints.c.name, checkpoint_counts.c.period_start)
    )
    return query_rows(conn, query)


TRANSFER_KINDS = (
    TransferKind(
        name="checkpoints",
        columns=(
            Column("name", "卡口名称"),
            Column("grid", "网格"),
            Column("kind", "类型"),
            Column("latitude", "纬度"),
            Column("longitude", "经度"),
            Column("active", "启用"),
        ),
        add_row=add_checkpoint,
        read_rows=_checkpoint_rows,
    ),
    TransferKind(
        name="checkpoint_counts",
        columns=(
            Column("checkpoint", "卡口名称"),
            Column("period_start", "开始时间"),
            Column("period_end", "结束时间"),
            Column("persons", "检测人数"),
            Column("vehicles", "检查车辆"),
            Column("fever", "发热人数"),
            Column("turned_back", "劝返人数"),
            Column("note", "备注"),
        ),
        add_row=add_count,
        read_rows=_count_rows,
        add_rows=add_counts_batch,
    ),
)
