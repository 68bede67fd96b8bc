"""Per-day totals of the checkpoint counts, the supply ledger, the enterprises' statuses and the
rectification items, so that the briefing's figures for a day no longer go through the whole history
(issue 8); filled from the rows already stored. Quarantine episodes are found through an index on their end
date that covers the figures, and fever readings of a day through one on date and temperature.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from data_layer.checkpoints import rebuild_checkpoint_daily_totals
from data_layer.enterprises import rebuild_enterprise_status_days, rebuild_rectification_days
from data_layer.supplies import rebuild_supply_daily_stock

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
    op.create_table(
        "enterprise_status_days",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(30)),
        sa.Column("enterprises", sa.Integer, nullable=False),
    )
    op.create_index("ix_enterprise_status_days_day_status_reason_enterprises", "enterprise_status_days",
                    ["day", "status", "reason", "enterprises"])
    op.create_table(
        "rectification_days",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("open", sa.Integer, nullable=False),
        sa.Column("overdue", sa.Integer, nullable=False),
    )
    op.create_index("ix_rectification_days_day", "rectification_days", ["day"])
    op.drop_index("ix_quarantine_episodes_end_date", "quarantine_episodes")
    op.create_index("ix_quarantine_episodes_end_date_start_date_mode_planned_end", "quarantine_episodes",
                    ["end_date", "start_date", "mode", "planned_end"])
    op.drop_index("ix_quarantine_followups_date", "quarantine_followups")
    op.create_index("ix_quarantine_followups_date_temperature", "quarantine_followups", ["date", "temperature"])
    connection = op.get_bind()
    rebuild_checkpoint_daily_totals(connection)
    rebuild_supply_daily_stock(connection)
    rebuild_enterprise_status_days(connection)
    rebuild_rectification_days(connection)
