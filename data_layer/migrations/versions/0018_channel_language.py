"""Each push channel may speak its own language.

A command post whose groups include English-speaking members sets their channel to English; the alerts and the
briefing are then written for that channel in English. A channel without a language (every channel added before)
gets the command post's default language, as before.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"


def upgrade() -> None:
    with op.batch_alter_table("notify_channels") as table:
        table.add_column(sa.Column("language", sa.String(10)))
