"""Delivery that loses nothing and repeats nothing.

A message is written once into ``notify_outbox``, one row per channel, under a key that names its rule
occurrence: writing it again does nothing. One sender at a time delivers: the one holding the lease row,
which it renews before every message and which lapses when its process dies, so another process takes over.
Each row is also claimed by a compare-and-set of its attempt count before it is sent, so even two senders
that both believed they held the lease could not send it twice. A failed delivery is tried again with a
growing pause, and after :data:`MAX_ATTEMPTS` marked failed with the channel's last answer.

Outbox rows are the delivery log, not the command post's data: they are not audited (an audit row would
also mark every cached figure of every page stale every time a message went out).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from data_layer import db
from data_layer.actor import Actor
from data_layer.db import insert_on_conflict
from data_layer.notify.channels import Message, channel_row, send
from data_layer.notify.tables import SENDER_LEASE, notify_channels, notify_lease, notify_outbox

LEASE_SECONDS = 60
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600
BATCH = 50
SENDER = Actor("notify-sender", "system")
T = TypeVar("T")


def in_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in a write transaction of :func:`data_layer.db.write` (it waits for, and retries after,
    another writer), without an audit row: the sender's bookkeeping is not the command post's data."""
    return db.write(engine, SENDER, lambda ctx: work(ctx.conn))


def sender_name() -> str:
    """A name for one sender, unique across hosts, processes and threads."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim_lease(engine: Engine, holder: str, now: datetime) -> bool:
    """Take or renew the sender's lease for ``holder``: it succeeds when the lease is free, lapsed or already
    ``holder``'s. One UPDATE, so of two processes asking at once exactly one gets it (PostgreSQL re-reads the
    row after the other's commit; SQLite runs one writer at a time)."""
    claim = (
        notify_lease.update()
        .where(
            notify_lease.c.name == SENDER_LEASE,
            sa.or_(notify_lease.c.holder.is_(None), notify_lease.c.holder == holder, notify_lease.c.expires_at < now),
        )
        .values(holder=holder, expires_at=now + timedelta(seconds=LEASE_SECONDS))
    )
    return in_transaction(engine, lambda conn: conn.execute(claim).rowcount == 1)


def release_lease(engine: Engine, holder: str) -> None:
    """Give the lease up (a sender stopping), so another process need not wait for it to lapse."""
    release = (
        notify_lease.update()
        .where(notify_lease.c.name == SENDER_LEASE, notify_lease.c.holder == holder)
        .values(holder=None, expires_at=None)
    )
    in_transaction(engine, lambda conn: conn.execute(release))


def enqueue(
    conn: Connection,
    key: str,
    channel_ids: Iterable[int],
    message: Message,
    now: datetime,
    *,
    subject: str = "",
    day: date | None = None,
    measure: float | None = None,
    not_before: datetime | None = None,
) -> int:
    """Write ``message`` for each channel once: a row whose key and channel are there already is left as it is.
    Returns how many rows were written. ``not_before`` holds it back (quiet hours)."""
    written = 0
    for channel_id in channel_ids:
        statement = (
            insert_on_conflict(conn, notify_outbox)
            .values(
                key=key,
                channel_id=channel_id,
                rule=message.rule,
                subject=subject,
                day=day,
                measure=measure,
                title=message.title,
                body=message.body,
                status="pending",
                attempts=0,
                next_attempt_at=not_before or now,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["key", "channel_id"])
            .returning(notify_outbox.c.id)
        )
        written += conn.execute(statement).first() is not None
    return written


def retry_pause(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 30 s, doubling, at most an hour."""
    return timedelta(seconds=min(LONGEST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (attempts - 1)))


def deliver_due(engine: Engine, holder: str, now: datetime) -> int:
    """Send the pending messages that are due, oldest first, while ``holder`` keeps the lease; returns how many
    went out. A channel switched off keeps its messages pending."""
    with engine.connect() as conn:
        due = list(
            conn.execute(
                sa.select(notify_outbox.c.id, notify_outbox.c.attempts)
                .where(notify_outbox.c.status == "pending", notify_outbox.c.next_attempt_at <= now)
                .order_by(notify_outbox.c.id)
                .limit(BATCH)
            ).mappings()
        )
    sent = 0
    for row in due:
        if not claim_lease(engine, holder, now):
            break
        sent += deliver_one(engine, row["id"], row["attempts"], now)
    return sent


def deliver_one(engine: Engine, row_id: int, seen_attempts: int, now: datetime) -> bool:
    """Claim one outbox row (its attempt count as it was read, so nobody else has tried it since), send it and
    record the answer. The claim already sets the next attempt's time, so a process dying mid-send leaves the
    message to be tried again later, never lost."""
    attempts = seen_attempts + 1
    claimed = in_transaction(engine, lambda conn: _claim_row(conn, row_id, seen_attempts, now))
    if claimed is None:
        return False
    row, channel = claimed
    delivery = send(channel, Message(row["title"], row["body"], row["rule"], row["key"]))
    status = "sent" if delivery.ok else "failed" if attempts >= MAX_ATTEMPTS else "pending"
    done = (
        notify_outbox.update()
        .where(notify_outbox.c.id == row_id)
        .values(status=status, answer=delivery.answer, sent_at=now if delivery.ok else None)
    )
    in_transaction(engine, lambda conn: conn.execute(done))
    return delivery.ok


def _claim_row(
    conn: Connection, row_id: int, seen_attempts: int, now: datetime
) -> tuple[sa.RowMapping, sa.RowMapping] | None:
    """The row and its channel when this sender may send it now: still pending, tried ``seen_attempts`` times
    and its channel switched on; the attempt is counted and the next one timed in the same transaction."""
    row = conn.execute(sa.select(notify_outbox).where(notify_outbox.c.id == row_id)).mappings().first()
    channel = channel_row(conn, row["channel_id"]) if row is not None else None
    if row is None or channel is None or not channel["enabled"]:
        return None
    attempts = seen_attempts + 1
    claimed = conn.execute(
        notify_outbox.update()
        .where(
            notify_outbox.c.id == row_id, notify_outbox.c.status == "pending", notify_outbox.c.attempts == seen_attempts
        )
        .values(attempts=attempts, next_attempt_at=now + retry_pause(attempts))
    )
    return (row, channel) if claimed.rowcount == 1 else None


def recent_deliveries(conn: Connection, limit: int = 50, status: str | None = None) -> list[Mapping[str, Any]]:
    """The newest outbox rows (a status's only when given), with their channel's name: what went out, what waits,
    what failed and what the channel answered."""
    query = (
        sa.select(
            notify_outbox.c.id,
            notify_outbox.c.created_at,
            notify_outbox.c.rule,
            notify_outbox.c.title,
            notify_channels.c.name.label("channel"),
            notify_outbox.c.status,
            notify_outbox.c.attempts,
            notify_outbox.c.sent_at,
            notify_outbox.c.answer,
        )
        .join(notify_channels, notify_channels.c.id == notify_outbox.c.channel_id)
        .order_by(notify_outbox.c.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(notify_outbox.c.status == status)
    return [dict(row) for row in conn.execute(query).mappings()]


def delivery_log(engine: Engine, limit: int = 50, status: str | None = None) -> list[Mapping[str, Any]]:
    """:func:`recent_deliveries` as it is now: deliveries are not audited, so a page reads them afresh."""
    with engine.connect() as conn:
        return recent_deliveries(conn, limit, status)
