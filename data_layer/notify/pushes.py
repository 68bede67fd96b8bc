"""What is pushed and when: the wall's alerts and the daily briefing, by rules the administrator sets.

Alerts come from :func:`data_layer.situation.alerts`, worded by :func:`data_layer.situation.alert_text`: the same
alerts as the wall's column, never a second definition. An alert is one *occurrence* per rule, subject (the site
or item it names, if any) and day; it is pushed once, again when it worsens (its count grows, its days of cover
shrink) and again after the rule's repeat interval while it lasts. Within a rule's quiet hours a message is
written but held until they end. The daily briefing goes out once a day at ``COMMAND_POST_BRIEFING_TIME``, and
on demand.

Every message is passed through :func:`data_layer.privacy.presented` as the wall screen sees it, and is made
only of figures and the names of checkpoints, sites, items and enterprises: never a person's name, ID number or
phone, and never the leader's free-text note (which could name one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from data_layer import briefing, clock, db, settings, situation
from data_layer.actor import Actor
from data_layer.db import WriteContext
from data_layer.i18n import DEFAULT_LANGUAGE, catalog, translate
from data_layer.markdown import plain
from data_layer.notify.channels import Message, channel_language, enabled_channels
from data_layer.notify.outbox import enqueue
from data_layer.notify.tables import notify_outbox
from data_layer.permissions import require_admin
from data_layer.privacy import presented
from data_layer.validation import Checks

ALERT_PREFIX = "situation.alert."
BRIEFING_RULE = "briefing"
TEST_RULE = "test"
RULE_SETTING = "notify.rule.{rule}"
DEFAULT_REPEAT_MINUTES = 240
PUSH_READER = Actor("push", "wall")
"""Whom a push is shown as: the wall screen, which sees no personal number."""


def alert_rules() -> tuple[str, ...]:
    """One rule per kind of wall alert, named after its catalog key (``checkpoint_fever``, ``site_full`` …)."""
    return tuple(key.removeprefix(ALERT_PREFIX) for key in catalog(DEFAULT_LANGUAGE) if key.startswith(ALERT_PREFIX))


def rules() -> tuple[str, ...]:
    return (*alert_rules(), BRIEFING_RULE)


@dataclass(frozen=True)
class Rule:
    """How one rule pushes: ``channels`` empty means every channel switched on; ``quiet`` is the local hours
    (start, end) in which its messages wait, over midnight when start is after end."""

    enabled: bool = True
    channels: list[int] = field(default_factory=list)
    quiet: tuple[int, int] | None = None
    repeat_minutes: int = DEFAULT_REPEAT_MINUTES


def rule_settings(bind: Engine | Connection, rule: str) -> Rule:
    stored = db.get_setting(bind, RULE_SETTING.format(rule=rule))
    if stored is None:
        return Rule()
    values = json.loads(stored)
    quiet = values.get("quiet")
    return Rule(
        values.get("enabled", True),
        list(values.get("channels", [])),
        tuple(quiet) if quiet else None,
        values.get("repeat_minutes", DEFAULT_REPEAT_MINUTES),
    )


def set_rule(
    ctx: WriteContext,
    rule: str,
    enabled: bool,
    channels: list[int],
    quiet_start: object = None,
    quiet_end: object = None,
    repeat_minutes: object = DEFAULT_REPEAT_MINUTES,
) -> None:
    """Store one rule's settings (the administrator's), each field checked and named when wrong."""
    require_admin(ctx.actor)
    checks = Checks("notify")
    checked_rule = checks.choice(rule, "rule", rules())
    start = checks.integer(quiet_start, "quiet_start", required=False, minimum=0, maximum=23)
    end = checks.integer(quiet_end, "quiet_end", required=False, minimum=0, maximum=23)
    if (start is None) != (end is None) or (start is not None and start == end):
        checks.fail("quiet_end", "notify.error.quiet_hours")
    repeat = checks.integer(repeat_minutes, "repeat_minutes", minimum=5, maximum=7 * 24 * 60)
    checks.raise_if_any()
    stored = Rule(
        bool(enabled),
        sorted(int(channel) for channel in channels),
        (start, end) if start is not None and end is not None else None,
        checks.passed(repeat),
    )
    db.put_setting(ctx, RULE_SETTING.format(rule=checked_rule), json.dumps(asdict(stored)))


def quiet_until(rule: Rule, now: datetime) -> datetime | None:
    """The end of the rule's quiet hours when ``now`` lies within them, else ``None``."""
    if rule.quiet is None:
        return None
    start, end = rule.quiet
    hour = now.hour
    inside = start <= hour < end if start < end else hour >= start or hour < end
    if not inside:
        return None
    ends = datetime.combine(now.date(), time(end))
    return ends if ends > now else ends + timedelta(days=1)


def _rule_channels(rule: Rule, enabled: Mapping[int, Any]) -> list[int]:
    return sorted(enabled) if not rule.channels else [channel for channel in rule.channels if channel in enabled]


def by_language(channels: list[int], enabled: Mapping[int, Any]) -> dict[str, list[int]]:
    """``channels`` grouped by the language their messages are written in (:func:`channel_language`), so each
    message is worded once per language and written for the channels that read it."""
    groups: dict[str, list[int]] = {}
    for channel in channels:
        groups.setdefault(channel_language(enabled[channel]), []).append(channel)
    return groups


# Alerts -----------------------------------------------------------------------------------------------------------


def alert_subject(alert: situation.Alert) -> str:
    """What one occurrence is about besides its rule and day: the site or the item an alert names."""
    return str(alert.params.get("site") or alert.params.get("item") or "")[:200]


def alert_measure(alert: situation.Alert) -> float:
    """How bad an occurrence is, larger being worse: its count, or fewer days of cover."""
    count = alert.params.get("count")
    if isinstance(count, int | float):
        return float(count)
    days = alert.params.get("days")
    return -float(days) if isinstance(days, int | float) else 0.0


def alert_message(alert: situation.Alert, language: str = DEFAULT_LANGUAGE) -> Message:
    """An alert in the wall's words, titled by its severity, with a link to the app when it has an address."""
    rule = alert.key.removeprefix(ALERT_PREFIX)
    title = translate(f"notify.title.{alert.severity}", language)
    body = presented(situation.alert_text(alert, language, plain), PUSH_READER) + _link(language)
    return Message(title, body, rule)


def _link(language: str) -> str:
    address = settings.PUBLIC_URL.value()
    return f"\n\n[{translate('notify.open_app', language)}]({address})" if address else ""


@dataclass(frozen=True)
class Planned:
    """A message found due, to be written into the outbox for ``channels`` under ``key``."""

    key: str
    channels: list[int]
    message: Message
    subject: str = ""
    day: date | None = None
    measure: float | None = None
    not_before: datetime | None = None


def write_planned(conn: Connection, planned: list[Planned], now: datetime) -> int:
    """Write the planned messages into the outbox (each once); returns the rows written."""
    return sum(
        enqueue(
            conn,
            item.key,
            item.channels,
            item.message,
            now,
            subject=item.subject,
            day=item.day,
            measure=item.measure,
            not_before=item.not_before,
        )
        for item in planned
    )


def planned_alerts(conn: Connection, now: datetime) -> list[Planned]:
    """The alerts of ``now``'s day that are new, worse or due again, for the channels of their rules, worded in
    each channel's language; none while no channel is switched on. Only reads: the sender computes them before
    it takes the write lock."""
    enabled = enabled_channels(conn)
    if not enabled:
        return []
    planned = []
    for alert in situation.alerts(conn, now.date(), as_of=clock.figures_moment(now.date(), now)):
        rule_name = alert.key.removeprefix(ALERT_PREFIX)
        rule = rule_settings(conn, rule_name)
        channels = _rule_channels(rule, enabled)
        if not rule.enabled or not channels:
            continue
        subject, measure = alert_subject(alert), alert_measure(alert)
        sequence = _occurrence_sequence(conn, rule_name, subject, now, measure, rule)
        if sequence is None:
            continue
        key = f"{rule_name}|{subject}|{now.date().isoformat()}|{sequence}"
        for language, readers in by_language(channels, enabled).items():
            message = alert_message(alert, language)
            planned.append(
                Planned(
                    key,
                    readers,
                    Message(message.title, message.body, message.rule, key),
                    subject,
                    now.date(),
                    measure,
                    quiet_until(rule, now),
                )
            )
    return planned


def _occurrence_sequence(
    conn: Connection, rule_name: str, subject: str, now: datetime, measure: float, rule: Rule
) -> int | None:
    """The number of the next message of this occurrence, or ``None`` when none is due: the first, one when
    it has worsened since the last, one when the last went out and is older than the repeat interval (a message
    still waiting, in quiet hours or for a channel to recover, is not repeated)."""
    occurrence = (
        notify_outbox.c.rule == rule_name,
        notify_outbox.c.subject == subject,
        notify_outbox.c.day == now.date(),
    )
    last = (
        conn.execute(
            sa.select(notify_outbox.c.measure, notify_outbox.c.created_at, notify_outbox.c.status)
            .where(*occurrence)
            .order_by(notify_outbox.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if last is None:
        return 1
    worse = last["measure"] is not None and measure > last["measure"]
    due_again = last["status"] != "pending" and now - last["created_at"] >= timedelta(minutes=rule.repeat_minutes)
    if not worse and not due_again:
        return None
    return conn.execute(sa.select(sa.func.count(sa.distinct(notify_outbox.c.key))).where(*occurrence)).scalar_one() + 1


# The daily briefing -----------------------------------------------------------------------------------------------


def briefing_message(
    conn: Connection, day: date, language: str = DEFAULT_LANGUAGE, now: datetime | None = None
) -> Message:
    """The day's briefing as a group message (:func:`data_layer.briefing.render_push_markdown`), its figures
    standing at ``now`` while the day is not over (a push at 21:00 says 截至 … 21:00)."""
    return _briefing_in(briefing.briefing_facts(conn, day, clock.figures_moment(day, now)), language)


def _briefing_in(facts: briefing.BriefingFacts, language: str) -> Message:
    title, body = briefing.render_push_markdown(facts, language, settings.PUBLIC_URL.value())
    return Message(presented(title, PUSH_READER), presented(body, PUSH_READER), BRIEFING_RULE)


def planned_briefing(conn: Connection, now: datetime, on_demand: bool = False) -> list[Planned]:
    """The day's briefing when due: once a day from ``COMMAND_POST_BRIEFING_TIME`` on, or now (``on_demand``,
    each time asked), worded in each channel's language. It is built only when it has not been written yet
    today, and its figures are read once for every language."""
    rule = rule_settings(conn, BRIEFING_RULE)
    enabled = enabled_channels(conn)
    channels = _rule_channels(rule, enabled)
    if not channels or (not rule.enabled and not on_demand):
        return []
    if not on_demand and now.time() < settings.BRIEFING_TIME.value():
        return []
    day = now.date()
    key = f"{BRIEFING_RULE}|{day.isoformat()}|" + (now.isoformat() if on_demand else "daily")
    if conn.execute(sa.select(notify_outbox.c.id).where(notify_outbox.c.key == key).limit(1)).first():
        return []
    facts = briefing.briefing_facts(conn, day, clock.figures_moment(day, now))
    planned = []
    for language, readers in by_language(channels, enabled).items():
        message = _briefing_in(facts, language)
        planned.append(
            Planned(
                key,
                readers,
                Message(message.title, message.body, BRIEFING_RULE, key),
                day=day,
                not_before=None if on_demand else quiet_until(rule, now),
            )
        )
    return planned


def trial_message(language: str = DEFAULT_LANGUAGE) -> Message:
    return Message(translate("notify.test.title", language), translate("notify.test.body", language), TEST_RULE)
