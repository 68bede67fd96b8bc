"""Effective follow-ups per episode and day, so that "follow-ups missing today" looks up each current
episode once instead of counting its readings and asking of each whether a correction superseded it (issue
8: the briefing's quarantine figures grew with the people in quarantine); filled from the follow-ups
already stored.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

from data_layer.quarantine import rebuild_quarantine_followup_days

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    op.create_table(
        "quarantine_followup_days",
        sa.Column("date", sa.Date, primary_key=True),
        sa.Column("episode_id", sa.Integer, sa.ForeignKey("quarantine_episodes.id"), primary_key=True),
        sa.Column("readings", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    rebuild_quarantine_followup_days(op.get_bind())
