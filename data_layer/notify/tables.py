"""The push notifications' tables: the channels an administrator configured, the outbox of messages to send and
the lease that lets one sender at a time deliver them."""

from __future__ import annotations

import sqlalchemy as sa

from data_layer.db import metadata

KINDS = ("wecom", "dingtalk", "feishu", "webhook", "email")
"""企业微信 group robot, 钉钉 robot, 飞书/Lark robot, a generic JSON webhook, e-mail over SMTP."""
STATUSES = ("pending", "sent", "failed")
SENDER_LEASE = "sender"

notify_channels = sa.Table(
    "notify_channels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("secret", sa.Text),
    sa.Column("options", sa.Text, nullable=False, server_default="{}"),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("language", sa.String(10)),
    sa.UniqueConstraint("name", name="uq_notify_channels_name"),
)

notify_outbox = sa.Table(
    "notify_outbox",
    metadata,
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
    sa.Index("ix_notify_outbox_status_next", "status", "next_attempt_at"),
    sa.Index("ix_notify_outbox_rule_subject_day", "rule", "subject", "day"),
)

notify_lease = sa.Table(
    "notify_lease",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("holder", sa.String(100)),
    sa.Column("expires_at", sa.DateTime),
)
