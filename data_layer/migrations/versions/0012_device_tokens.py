"""Wall-screen accounts sign in with a long-lived device token; only its hash is stored.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.add_column(sa.Column("device_token_hash", sa.String(64)))
    op.create_index("ix_users_device_token_hash", "users", ["device_token_hash"], unique=True)
