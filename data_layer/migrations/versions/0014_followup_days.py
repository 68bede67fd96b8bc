"""Effective follow-ups per episode and day, so that "follow-ups missing today" looks up each current
episode once instead of counting its readings and asking of each whether a correction superseded it (issue
8: the briefing's quarantine figures grew with the people in quarantine); filled from the follow-ups
already stored.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"

# The tables this revision reads and fills, as they were at this revision (the migration is frozen).
quarantine_followups = sa.table(
    "quarantine_followups",
    sa.column("id", sa.Integer),
    sa.column("episode_id", sa.Integer),
    sa.column("date", sa.Date),
    sa.column("supersedes_id", sa.Integer),
)
quarantine_followup_days = sa.table(
    "quarantine_followup_days",
    sa.column("date", sa.Date),
    sa.column("episode_id", sa.Integer),
    sa.column("readings", sa.Integer),
)


def upgrade() -> None:
    op.create_table(
        "quarantine_followup_days",
        sa.Column("date", sa.Date, primary_key=True),
        sa.Column("episode_id", sa.Integer, sa.ForeignKey("quarantine_episodes.id"), primary_key=True),
        sa.Column("readings", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    later = quarantine_followups.alias("later")
    effective = ~sa.exists().where(later.c.supersedes_id == quarantine_followups.c.id)
    op.get_bind().execute(
        quarantine_followup_days.insert().from_select(
            ["date", "episode_id", "readings"],
            sa.select(quarantine_followups.c.date, quarantine_followups.c.episode_id, sa.func.count())
            .where(effective)
            .group_by(quarantine_followups.c.date, quarantine_followups.c.episode_id),
        )
    )
