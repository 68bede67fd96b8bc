"""The leader's notes on the daily briefing.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "briefing_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("written_by", sa.String(100), nullable=False),
        sa.Column("written_at", sa.DateTime, nullable=False),
        sa.Index("ix_briefing_notes_day", "day"),
    )
