"""Reads of the checkpoints domain that feed pages other than figures: a checkpoint's recent entries."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.checkpoints.tables import COUNT_FIELDS, checkpoint_counts


def recent_entries(conn: Connection, checkpoint_id: int, limit: int = 20) -> list[dict]:
    """A checkpoint's newest entries, effective and superseded, with who entered them, when and why
    (``superseded_by`` names the entry that replaced a superseded one; ``effective`` says which still count)."""
    later = checkpoint_counts.alias("later")
    query = (
        sa.select(
            checkpoint_counts.c.id,
            checkpoint_counts.c.period_start,
            checkpoint_counts.c.period_end,
            *[checkpoint_counts.c[name] for name in COUNT_FIELDS],
            checkpoint_counts.c.note,
            checkpoint_counts.c.supersedes_id,
            checkpoint_counts.c.reason,
            checkpoint_counts.c.entered_by,
            checkpoint_counts.c.entered_at,
            later.c.id.label("superseded_by"),
        )
        .select_from(checkpoint_counts.outerjoin(later, later.c.supersedes_id == checkpoint_counts.c.id))
        .where(checkpoint_counts.c.checkpoint_id == checkpoint_id)
        .order_by(checkpoint_counts.c.entered_at.desc(), checkpoint_counts.c.id.desc())
        .limit(limit)
    )
    return [{**row, "effective": row["superseded_by"] is None} for row in conn.execute(query).mappings()]
