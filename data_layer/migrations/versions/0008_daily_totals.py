"""Per-day totals of the checkpoint counts and the supply ledger, so that the briefing's figures for a day
no longer sum the whole history (issue 8); filled from the rows already stored.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from data_layer.checkpoints import rebuild_daily_totals
from data_layer.supplies import rebuild_daily_stock

revision = "0008"
down_revision = "0007"

COUNT_FIELDS = ("persons", "vehicles", "fever", "turned_back")


def upgrade() -> None:
    op.create_table(
        "checkpoint_daily_totals",
        sa.Column("checkpoint_id", sa.Integer, sa.ForeignKey("checkpoints.id"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("entries", sa.Integer, nullable=False),
        *[sa.Column(name, sa.BigInteger, nullable=False) for name in COUNT_FIELDS],
        *[sa.Column(f"cumulative_{name}", sa.BigInteger, nullable=False) for name in COUNT_FIELDS],
    )
    op.create_table(
        "supply_daily_stock",
        sa.Column("item_id", sa.Integer, sa.ForeignKey("supply_items.id"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("on_hand", sa.BigInteger, nullable=False),
        sa.Column("received", sa.BigInteger, nullable=False),
        sa.Column("sent", sa.BigInteger, nullable=False),
        sa.Column("issued", sa.BigInteger, nullable=False),
    )
    connection = op.get_bind()
    rebuild_daily_totals(connection)
    rebuild_daily_stock(connection)
