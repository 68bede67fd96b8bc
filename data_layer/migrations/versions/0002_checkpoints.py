"""The checkpoints domain's tables (DESIGN §4).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    pass
