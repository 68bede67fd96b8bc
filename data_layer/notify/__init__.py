"""Pushing alerts and the daily briefing to the command post's group (企业微信, 钉钉, 飞书, a webhook, e-mail).

The package's modules:

- ``tables``: the channels, the outbox and the sender's lease;
- ``channels``: each channel's message format, signing and sending, and masking its address and secret;
- ``outbox``: writing a message once, the lease, delivery with retries, the delivery log;
- ``pushes``: the rules (on/off, channels, quiet hours, repeat interval), the alerts and the briefing pushed.

:func:`run_once` is one round of the sender (``python -m data_layer notify``): take the lease, write what is
due into the outbox, deliver what waits.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.engine import Engine

from data_layer import clock
from data_layer.db import WriteContext
from data_layer.i18n import DEFAULT_LANGUAGE
from data_layer.notify.channels import (
    Delivery,
    Message,
    add_channel,
    channel_language,
    channel_names,
    channel_row,
    dingtalk_sign,
    feishu_sign,
    list_channels,
    masked_address,
    robot_request,
    send,
    set_channel_enabled,
    set_channel_language,
)
from data_layer.notify.outbox import (
    LEASE_SECONDS,
    MAX_ATTEMPTS,
    claim_lease,
    deliver_due,
    deliver_one,
    delivery_log,
    enqueue,
    in_transaction,
    recent_deliveries,
    release_lease,
    retry_pause,
    sender_name,
)
from data_layer.notify.pushes import (
    BRIEFING_RULE,
    Rule,
    alert_rules,
    planned_alerts,
    planned_briefing,
    quiet_until,
    rule_settings,
    rules,
    set_rule,
    trial_message,
    write_planned,
)
from data_layer.notify.tables import KINDS, notify_channels, notify_lease, notify_outbox
from data_layer.permissions import require_admin, require_push_briefing


def run_once(engine: Engine, holder: str, now: datetime | None = None) -> int:
    """One round of the sender named ``holder``: when it holds the lease, write the alerts and the briefing that
    are due into the outbox and deliver what is due. Returns how many messages went out (0 without the lease).

    The alerts and the briefing are computed on a reading connection; only writing them takes the write lock,
    so on SQLite no clerk's save waits while the day's figures are computed."""
    now = now or clock.now()
    if not claim_lease(engine, holder, now):
        return 0
    with engine.connect() as conn:
        planned = planned_alerts(conn, now) + planned_briefing(conn, now)
    if planned:
        in_transaction(engine, lambda conn: write_planned(conn, planned, now))
    return deliver_due(engine, holder, now)


def queue_briefing_now(ctx: WriteContext) -> list[str]:
    """Put today's briefing into the outbox now ("send the briefing now", on the briefing and administration
    pages and on the command line), for the channels of the briefing's rule that are switched on; returns those
    channels' names, so the page can say where it goes (none when no channel is on)."""
    require_push_briefing(ctx.actor)
    now = clock.now()
    planned = planned_briefing(ctx.conn, now, on_demand=True)
    queued = write_planned(ctx.conn, planned, now)
    channel_ids = sorted({channel for item in planned for channel in item.channels})
    ctx.audit("notify.briefing_now", notify_outbox, after={"queued": queued, "channel_ids": channel_ids})
    return channel_names(ctx.conn, channel_ids)


def queue_test(ctx: WriteContext, channel_id: int) -> int:
    """Put a test message for one channel into the outbox; returns its outbox row id, which the page delivers
    at once (:func:`deliver_one`) to show the channel's answer."""
    require_admin(ctx.actor)
    now = clock.now()
    key = f"test|{channel_id}|{uuid.uuid4().hex}"
    row = channel_row(ctx.conn, channel_id)
    message = trial_message(channel_language(row) if row is not None else DEFAULT_LANGUAGE)
    enqueue(ctx.conn, key, [channel_id], Message(message.title, message.body, message.rule, key), now)
    outbox_id: int = ctx.conn.execute(
        notify_outbox.select().with_only_columns(notify_outbox.c.id).where(notify_outbox.c.key == key)
    ).scalar_one()
    ctx.audit("notify.test", notify_outbox, outbox_id, after={"channel_id": channel_id, "key": key})
    return outbox_id


__all__ = [
    "BRIEFING_RULE",
    "KINDS",
    "LEASE_SECONDS",
    "MAX_ATTEMPTS",
    "Delivery",
    "Message",
    "Rule",
    "add_channel",
    "alert_rules",
    "channel_language",
    "channel_names",
    "claim_lease",
    "deliver_due",
    "deliver_one",
    "delivery_log",
    "dingtalk_sign",
    "enqueue",
    "feishu_sign",
    "list_channels",
    "masked_address",
    "notify_channels",
    "notify_lease",
    "notify_outbox",
    "planned_alerts",
    "planned_briefing",
    "queue_briefing_now",
    "queue_test",
    "quiet_until",
    "recent_deliveries",
    "release_lease",
    "retry_pause",
    "robot_request",
    "rule_settings",
    "rules",
    "run_once",
    "send",
    "sender_name",
    "set_channel_enabled",
    "set_channel_language",
    "set_rule",
    "trial_message",
    "write_planned",
]
