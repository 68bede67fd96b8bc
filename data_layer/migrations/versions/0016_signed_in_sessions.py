"""Remembered sign-ins: a person who signed in on their own phone stays signed in across a reload.

The browser keeps a random token in a cookie; the store keeps only the token's hash, with the account, when
the session last saw activity (the idle limit holds across reloads) and when it was ended (sign-out, idle
sign-out or the account disabled).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"


def upgrade() -> None:
    op.create_table(
        "signed_in_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("last_seen", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime),
    )
    op.create_index("ix_signed_in_sessions_username", "signed_in_sessions", ["username"])
