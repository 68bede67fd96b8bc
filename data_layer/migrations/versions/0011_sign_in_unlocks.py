"""An administrator's unlock of an account locked by failed sign-ins; indexes for the audit log page.

The failures stay on record; an unlock row only stops those before it from
counting towards the lock. The audit log page filters by user and day and
lists who appears in the log, which a log of millions of rows answers
quickly only from an index (each costs every write a little: two indexes,
not one per filter).

Revision ID: 0011
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "sign_in_unlocks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("unlocked_by", sa.String(100), nullable=False),
        sa.Index("ix_sign_in_unlocks_username_at", "username", "at"),
    )
    op.create_index("ix_audit_log_username_id", "audit_log", ["username", "id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
