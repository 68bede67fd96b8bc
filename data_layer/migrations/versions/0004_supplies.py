"""The supplies domain's tables (DESIGN §4).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "supply_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("category", sa.String(50)),
        sa.Column("safety_stock", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.UniqueConstraint("name", name="uq_supply_items_name"),
        sa.CheckConstraint("safety_stock >= 0", name="ck_supply_items_safety_stock"),
    )
    op.create_table(
        "supply_movements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("supply_items.id"), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("counterparty", sa.String(100)),
        sa.Column("recipient_kind", sa.String(20)),
        sa.Column("note", sa.String(500)),
        sa.Column("reverses_id", sa.Integer, sa.ForeignKey("supply_movements.id")),
        sa.Column("entered_by", sa.String(100), nullable=False),
        sa.Column("entered_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("reverses_id", name="uq_supply_movements_reverses_id"),
        sa.CheckConstraint("quantity <> 0", name="ck_supply_movements_quantity"),
    )
    op.create_index("ix_supply_movements_item_id_date", "supply_movements", ["item_id", "date"])
    op.create_index("ix_supply_movements_date_kind", "supply_movements", ["date", "kind"])
