"""The quarantine domain's tables (DESIGN §4).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "quarantine_sites",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("address", sa.String(200)),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.UniqueConstraint("name", name="uq_quarantine_sites_name"),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("phone", sa.String(11), nullable=False),
        sa.Column("grid", sa.String(100), nullable=False),
        sa.Column("address", sa.String(200)),
        sa.Column("origin", sa.String(200)),
        sa.Column("origin_category", sa.String(40), nullable=False),
        sa.UniqueConstraint("id_number", name="uq_persons_id_number"),
    )
    op.create_table(
        "quarantine_episodes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id"), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("site_id", sa.Integer, sa.ForeignKey("quarantine_sites.id")),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("planned_days", sa.Integer, nullable=False),
        sa.Column("planned_end", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("end_date", sa.Date),
        sa.Column("reason", sa.String(200)),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_quarantine_episodes_person_id_status", "quarantine_episodes", ["person_id", "status"])
    op.create_index("ix_quarantine_episodes_start_date", "quarantine_episodes", ["start_date"])
    op.create_index("ix_quarantine_episodes_end_date", "quarantine_episodes", ["end_date"])
    op.create_index("ix_quarantine_episodes_status_planned_end", "quarantine_episodes", ["status", "planned_end"])
    op.create_index("ix_quarantine_episodes_site_id_start_date", "quarantine_episodes", ["site_id", "start_date"])
    op.create_table(
        "episode_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("episode_id", sa.Integer, sa.ForeignKey("quarantine_episodes.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("old_planned_end", sa.Date, nullable=False),
        sa.Column("new_planned_end", sa.Date, nullable=False),
        sa.Column("old_status", sa.String(20), nullable=False),
        sa.Column("new_status", sa.String(20), nullable=False),
        sa.Column("end_date", sa.Date),
        sa.Column("reason", sa.String(200)),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_episode_changes_episode_id", "episode_changes", ["episode_id"])
    op.create_table(
        "quarantine_followups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("episode_id", sa.Integer, sa.ForeignKey("quarantine_episodes.id"), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("slot", sa.String(2), nullable=False),
        sa.Column("temperature", sa.Float, nullable=False),
        sa.Column("symptoms", sa.Boolean, nullable=False),
        sa.Column("symptom_text", sa.String(200)),
        sa.Column("by_name", sa.String(100), nullable=False),
        sa.Column("entered_by", sa.String(100), nullable=False),
        sa.Column("entered_at", sa.DateTime, nullable=False),
        sa.Column("supersedes_id", sa.Integer, sa.ForeignKey("quarantine_followups.id")),
        sa.Column("reason", sa.String(200)),
    )
    op.create_index(
        "ix_quarantine_followups_episode_id_date_slot", "quarantine_followups", ["episode_id", "date", "slot"]
    )
    op.create_index("ix_quarantine_followups_date", "quarantine_followups", ["date"])
    op.create_index("ix_quarantine_followups_supersedes_id", "quarantine_followups", ["supersedes_id"])
