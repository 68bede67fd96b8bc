"""Push notifications: channels, the outbox of messages and the sender's lease.

Alerts and the daily briefing are pushed to the command post's group robots (WeCom, DingTalk, Feishu), a
JSON webhook or e-mail. Each message is written once into the outbox (unique per rule occurrence and channel)
and delivered by the one sender holding the lease row created here.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"


def upgrade() -> None:
    op.create_table(
        "notify_channels",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("secret", sa.Text),
        sa.Column("options", sa.Text, nullable=False, server_default="{}"),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("name", name="uq_notify_channels_name"),
    )
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("channel_id", sa.Integer, sa.ForeignKey("notify_channels.id"), nullable=False),
        sa.Column("rule", sa.String(60), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False, server_default=""),
        sa.Column("day", sa.Date),
        sa.Column("measure", sa.Float),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("answer", sa.Text),
        sa.UniqueConstraint("key", "channel_id", name="uq_notify_outbox_key_channel"),
    )
    op.create_index("ix_notify_outbox_status_next", "notify_outbox", ["status", "next_attempt_at"])
    op.create_index("ix_notify_outbox_rule_subject_day", "notify_outbox", ["rule", "subject", "day"])
    lease = op.create_table(
        "notify_lease",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("holder", sa.String(100)),
        sa.Column("expires_at", sa.DateTime),
    )
    op.bulk_insert(lease, [{"name": "sender", "holder": None, "expires_at": None}])
