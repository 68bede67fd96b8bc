"""The checkpoints domain's tables (DESIGN §4): checkpoints and their append-only count ledger.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("grid", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.UniqueConstraint("name", name="uq_checkpoints_name"),
    )
    op.create_table(
        "checkpoint_counts",
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
        sa.UniqueConstraint("supersedes_id", name="uq_checkpoint_counts_supersedes_id"),
    )
    op.create_index("ix_checkpoint_counts_period_start", "checkpoint_counts", ["period_start"])
    op.create_index(
        "ix_checkpoint_counts_checkpoint_id_period_start", "checkpoint_counts", ["checkpoint_id", "period_start"]
    )
