"""The quarantine domain's tables (DESIGN §4).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    pass
