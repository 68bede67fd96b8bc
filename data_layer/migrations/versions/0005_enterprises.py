"""The enterprises domain's tables (DESIGN §4).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("sector", sa.String(50), nullable=False),
        sa.Column("grid", sa.String(50), nullable=False),
        sa.Column("address", sa.String(200)),
        sa.Column("employees", sa.Integer, nullable=False),
        sa.Column("contact", sa.String(100)),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.UniqueConstraint("name", name="uq_enterprises_name"),
    )
    op.create_table(
        "enterprise_status_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("reason", sa.String(30)),
        sa.Column("note", sa.Text),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "ix_enterprise_status_changes_enterprise_id_effective_date_id",
        "enterprise_status_changes",
        ["enterprise_id", "effective_date", "id"],
    )
    op.create_table(
        "enterprise_conditions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("condition", sa.String(40), nullable=False),
        sa.Column("met", sa.Boolean, nullable=False),
        sa.Column("checked_on", sa.Date, nullable=False),
        sa.Column("checked_by", sa.String(100), nullable=False),
    )
    op.create_index(
        "ix_enterprise_conditions_enterprise_id_checked_on", "enterprise_conditions", ["enterprise_id", "checked_on"]
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("inspector", sa.String(100), nullable=False),
        sa.Column("findings", sa.Text),
    )
    op.create_index("ix_inspections_enterprise_id_date", "inspections", ["enterprise_id", "date"])
    op.create_index("ix_inspections_date", "inspections", ["date"])
    op.create_table(
        "rectifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("inspection_id", sa.Integer, sa.ForeignKey("inspections.id"), nullable=False),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("item", sa.Text, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
    )
    op.create_index("ix_rectifications_inspection_id", "rectifications", ["inspection_id"])
    op.create_index("ix_rectifications_enterprise_id", "rectifications", ["enterprise_id"])
    op.create_table(
        "rectification_closures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rectification_id", sa.Integer, sa.ForeignKey("rectifications.id"), nullable=False),
        sa.Column("closed_on", sa.Date, nullable=False),
        sa.Column("verified_by", sa.String(100), nullable=False),
        sa.Column("note", sa.Text),
        sa.UniqueConstraint("rectification_id", name="uq_rectification_closures_rectification_id"),
    )
