"""Audit rows name the historical load (import, sample) they belong to.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as table:
        table.add_column(sa.Column("batch", sa.String(80)))
    op.create_index("ix_audit_log_table_name_row_id", "audit_log", ["table_name", "row_id"])
