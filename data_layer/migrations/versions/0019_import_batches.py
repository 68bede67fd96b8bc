"""An import file is audited by one row, and every row it stored names that file's batch.

Until now an import wrote an audit row for every row it stored, which cost more than storing the rows. From
here on the file's one audit row (its user, time, kind, file name, SHA-256, row count) carries an
``import_batch_id``, and every row the import stored carries the same id: each stored row is traced to its file,
and the review of corrections tells a loaded row by it. Rows stored before keep their own audit rows.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"

STAMPED_TABLES = (
    "checkpoints",
    "checkpoint_counts",
    "quarantine_sites",
    "persons",
    "quarantine_episodes",
    "episode_changes",
    "quarantine_followups",
    "supply_items",
    "supply_movements",
    "enterprises",
    "enterprise_status_changes",
)


def upgrade() -> None:
    for name in (*STAMPED_TABLES, "audit_log"):
        with op.batch_alter_table(name) as table:
            table.add_column(sa.Column("import_batch_id", sa.String(32)))
    op.create_index("ix_audit_log_import_batch_id", "audit_log", ["import_batch_id"])
