"""Ledger rows are found by when they were entered: the briefing's review of a past day looks for the
corrections entered after it, and without these indexes it read every entry of the year to find them.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"

INDEXES = (
    ("ix_checkpoint_counts_entered_at", "checkpoint_counts", ["entered_at"]),
    ("ix_supply_movements_entered_at", "supply_movements", ["entered_at"]),
    ("ix_episode_changes_changed_at", "episode_changes", ["changed_at"]),
    ("ix_enterprise_status_changes_changed_at", "enterprise_status_changes", ["changed_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
