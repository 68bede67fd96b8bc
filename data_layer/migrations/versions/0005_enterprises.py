"""The enterprises domain's tables (DESIGN §4).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    pass
