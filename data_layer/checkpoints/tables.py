"""The checkpoints domain's tables and vocabulary: checkpoints, the count ledger, the per-day totals derived
from it, and the codes, fields and limits of an entry."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from data_layer.db import import_batch_column, metadata

DOMAIN = "checkpoints"
KINDS = ("compound_gate", "road", "station", "other")
COUNT_FIELDS = ("persons", "vehicles", "fever", "turned_back")
TOTAL_FIELDS = ("entries", *COUNT_FIELDS)
ENTRY_FIELDS = ("period_start", "period_end", *COUNT_FIELDS, "note")
MAX_PERIOD = timedelta(hours=24)


checkpoints = sa.Table(
    "checkpoints",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("grid", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("latitude", sa.Float),
    sa.Column("longitude", sa.Float),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    import_batch_column(),
    sa.UniqueConstraint("name", name="uq_checkpoints_name"),
)


checkpoint_counts = sa.Table(
    "checkpoint_counts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("checkpoint_id", sa.Integer, sa.ForeignKey("checkpoints.id"), nullable=False),
    sa.Column("period_start", sa.DateTime, nullable=False),
    sa.Column("period_end", sa.DateTime, nullable=False),
    sa.Column("persons", sa.Integer, nullable=False),
    sa.Column("vehicles", sa.Integer, nullable=False),
    sa.Column("fever", sa.Integer, nullable=False),
    sa.Column("turned_back", sa.Integer, nullable=False),
    sa.Column("note", sa.String(500)),
    sa.Column("supersedes_id", sa.Integer, sa.ForeignKey("checkpoint_counts.id")),
    sa.Column("reason", sa.String(500)),
    sa.Column("entered_by", sa.String(100), nullable=False),
    sa.Column("entered_at", sa.DateTime, nullable=False),
    import_batch_column(),
    sa.UniqueConstraint("supersedes_id", name="uq_checkpoint_counts_supersedes_id"),
    sa.Index("ix_checkpoint_counts_period_start", "period_start"),
    sa.Index("ix_checkpoint_counts_checkpoint_id_period_start", "checkpoint_id", "period_start"),
    sa.Index("ix_checkpoint_counts_entered_at", "entered_at"),
)


checkpoint_daily_totals = sa.Table(
    "checkpoint_daily_totals",
    metadata,
    sa.Column("checkpoint_id", sa.Integer, sa.ForeignKey("checkpoints.id"), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("entries", sa.Integer, nullable=False),
    *[sa.Column(name, sa.BigInteger, nullable=False) for name in COUNT_FIELDS],
    *[sa.Column(f"cumulative_{name}", sa.BigInteger, nullable=False) for name in COUNT_FIELDS],
)
"""Derived from the ledger, kept in the transaction of every entry and correction: per checkpoint and day on
which one of its entries starts, the number and the sums of its effective entries starting on that day, and
the cumulative sums of its effective entries starting on or before it. The briefing reads a day's figures and
the cumulative figures from here instead of summing the whole history (see :func:`update_checkpoint_daily_totals`)."""
