"""The administration page's notifications tab: channels (add, test, switch off), rules, and the delivery log.

A channel's address and secret are typed once and never shown back but masked: the channel list comes from
:func:`data_layer.notify.list_channels`, which masks them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from data_layer import clock, notify, settings
from data_layer.i18n import LANGUAGES
from data_layer.markdown import plain
from data_layer.permissions import may_push_briefing
from ui.forms import entry_form, save, store
from ui.messages import remember_saved, show_saved
from ui.session import actor, engine, read, t

SLOT = "admin-notify"
NO_QUIET = -1


def kind_label(kind: str) -> str:
    return t(f"notify.kind.{kind}")


def language_label(language: str) -> str:
    return t(f"notify.language.{language}")


def rule_label(rule: str) -> str:
    return t(f"notify.rule.{rule}")


def channels_frame(channels: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("notify.field.name"): [channel["name"] for channel in channels],
            t("notify.field.kind"): [kind_label(channel["kind"]) for channel in channels],
            t("notify.field.address"): [channel["address"] for channel in channels],
            t("notify.field.secret"): [channel["secret"] for channel in channels],
            t("notify.field.language"): [language_label(channel["language"]) for channel in channels],
            t("admin.notify.enabled_column"): [channel["enabled"] for channel in channels],
        }
    )


def add_channel_form() -> None:
    """A new channel; the kind is chosen first, since e-mail asks for more than a robot's address."""
    kind = st.selectbox(t("notify.field.kind"), notify.KINDS, format_func=kind_label, key="admin:notify_kind")
    mail: dict[str, Any] = {}
    with entry_form(f"{SLOT}-add"):
        name = st.text_input(t("notify.field.name"))
        address = st.text_input(t("notify.field.address"), help=t("admin.notify.address_help"))
        secret = st.text_input(t("notify.field.secret"), type="password", help=t("admin.notify.secret_help"))
        language = st.selectbox(
            t("notify.field.language"), LANGUAGES, format_func=language_label, help=t("admin.notify.language_help")
        )
        if kind == "email":
            mail = {
                "security": st.selectbox(
                    t("notify.field.security"),
                    ("starttls", "ssl", "none"),
                    format_func=lambda code: t(f"notify.security.{code}"),
                ),
                "sender": st.text_input(t("notify.field.sender")),
                "recipients": st.text_input(t("notify.field.recipients"), help=t("admin.notify.recipients_help")),
                "username": st.text_input(t("notify.field.username")),
            }
        submitted = st.form_submit_button(t("admin.notify.add"), type="primary")
    if submitted:
        store(
            f"{SLOT}-add",
            notify.add_channel,
            name,
            kind,
            address,
            secret or None,
            **mail,
            language=language,
            said=t("admin.notify.added", name=plain(name)),
            slot=SLOT,
        )


def channel_actions(channels: Sequence[Mapping[str, Any]]) -> None:
    """Test, switch off or on one channel."""
    by_id = {channel["id"]: channel for channel in channels}
    chosen = by_id[
        st.selectbox(
            t("admin.notify.choose"),
            list(by_id),
            key="admin:notify_channel",
            format_func=lambda key: f"{by_id[key]['name']} · {kind_label(by_id[key]['kind'])}",
        )
    ]
    test_column, switch_column = st.columns(2)
    with test_column, entry_form(f"{SLOT}-test-{chosen['id']}"):
        test = st.form_submit_button(t("admin.notify.test"), disabled=not chosen["enabled"])
    if test:
        send_test(chosen["id"])
    with switch_column, entry_form(f"{SLOT}-switch-{chosen['id']}"):
        switch = st.form_submit_button(t("admin.notify.disable" if chosen["enabled"] else "admin.notify.enable"))
    if switch:
        message = "admin.notify.disabled" if chosen["enabled"] else "admin.notify.enabled"
        store(
            f"{SLOT}-switch-{chosen['id']}",
            notify.set_channel_enabled,
            chosen["id"],
            not chosen["enabled"],
            said=t(message, name=plain(chosen["name"])),
            slot=SLOT,
        )
    language_form(chosen)


def language_form(channel: Mapping[str, Any]) -> None:
    """The language one channel's alerts and briefings are written in."""
    slot = f"{SLOT}-language-{channel['id']}"
    with entry_form(slot):
        language = st.selectbox(
            t("notify.field.language"),
            LANGUAGES,
            index=LANGUAGES.index(channel["language"]),
            format_func=language_label,
            help=t("admin.notify.language_help"),
        )
        submitted = st.form_submit_button(t("admin.notify.set_language"))
    if submitted:
        said = t("admin.notify.language_set", name=plain(channel["name"]), spoken=language_label(language))
        store(slot, notify.set_channel_language, channel["id"], language, said=said, slot=SLOT)


def send_test(channel_id: int) -> None:
    """Queue a test message and deliver it at once, showing the channel's answer (a robot's refusal says why)."""
    row_id = save(f"{SLOT}-test-{channel_id}", notify.queue_test, channel_id)
    if row_id is None:
        return
    notify.deliver_one(engine(), row_id, 0, clock.now())
    [delivery] = [row for row in notify.delivery_log(engine(), 20) if row["id"] == row_id]
    if delivery["status"] == "sent":
        st.success(t("admin.notify.test_sent", answer=plain(delivery["answer"] or "")))
    else:
        st.error(t("admin.notify.test_failed", answer=plain(delivery["answer"] or "")))


def rules_form(channels: Sequence[Mapping[str, Any]]) -> None:
    """One rule at a time: on or off, to which channels, quiet hours and the repeat interval."""
    rule_name = st.selectbox(t("notify.field.rule"), notify.rules(), format_func=rule_label, key="admin:notify_rule")
    rule = notify.rule_settings(engine(), rule_name)
    names = {channel["id"]: channel["name"] for channel in channels}
    hours = [NO_QUIET, *range(24)]
    with entry_form(f"{SLOT}-rule-{rule_name}") as token:
        enabled = st.checkbox(t("admin.notify.rule_enabled"), value=rule.enabled, key=f"{SLOT}-{token}-on")
        chosen = st.multiselect(
            t("admin.notify.rule_channels"),
            list(names),
            format_func=names.__getitem__,
            default=[channel for channel in rule.channels if channel in names],
        )
        start_column, end_column, repeat_column = st.columns(3)
        start = start_column.selectbox(
            t("notify.field.quiet_start"),
            hours,
            format_func=_hour_label,
            index=hours.index(rule.quiet[0]) if rule.quiet else 0,
        )
        end = end_column.selectbox(
            t("notify.field.quiet_end"),
            hours,
            format_func=_hour_label,
            index=hours.index(rule.quiet[1]) if rule.quiet else 0,
        )
        repeat = repeat_column.number_input(
            t("notify.field.repeat_minutes"), min_value=5, max_value=7 * 24 * 60, value=rule.repeat_minutes, step=30
        )
        submitted = st.form_submit_button(t("admin.notify.rule_save"))
    if submitted:
        store(
            f"{SLOT}-rule-{rule_name}",
            notify.set_rule,
            rule_name,
            enabled,
            chosen,
            None if start == NO_QUIET else start,
            None if end == NO_QUIET else end,
            int(repeat),
            said=t("admin.notify.rule_saved", rule=rule_label(rule_name)),
            slot=SLOT,
        )


def _hour_label(hour: int) -> str:
    return "—" if hour == NO_QUIET else f"{hour:02d}:00"


def deliveries_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("admin.notify.column.at"): [row["created_at"] for row in rows],
            t("admin.notify.column.rule"): [
                rule_label(row["rule"]) if row["rule"] in notify.rules() else row["rule"] for row in rows
            ],
            t("admin.notify.column.title"): [row["title"] for row in rows],
            t("admin.notify.column.channel"): [row["channel"] for row in rows],
            t("admin.notify.column.status"): [t(f"notify.status.{row['status']}") for row in rows],
            t("admin.notify.column.attempts"): [row["attempts"] for row in rows],
            t("admin.notify.column.answer"): [row["answer"] or "" for row in rows],
        }
    )


def deliveries_view() -> None:
    for heading, status in (("admin.notify.deliveries", None), ("admin.notify.failures", "failed")):
        st.subheader(t(heading))
        rows = notify.delivery_log(engine(), 50, status)
        if rows:
            st.dataframe(deliveries_frame(rows), hide_index=True, width="stretch")
        else:
            st.caption(t("admin.notify.no_deliveries"))


def briefing_now_button(slot: str) -> None:
    """ "Push today's briefing now" (:func:`data_layer.notify.queue_briefing_now`), for those allowed to; after the
    save it says the channels it is queued for, until the next one. A double tap queues it once: the form's token
    is claimed in the write, and the second tap is answered with the first one's message (ui.forms)."""
    if not may_push_briefing(actor()):
        return
    show_saved(slot)
    with entry_form(slot):
        pushed = st.form_submit_button(t("admin.notify.briefing_now"))
    if not pushed:
        return

    def remember(channels: list[str]) -> None:
        if channels:
            names = "、".join(map(plain, channels))
            seconds = settings.NOTIFY_SECONDS.value()
            remember_saved(slot, t("admin.notify.briefing_queued", channels=names, seconds=seconds))

    channels = save(slot, notify.queue_briefing_now, then=remember)
    if channels is None:
        return
    if not channels:
        st.warning(t("admin.notify.briefing_no_channel"))
        return
    st.rerun()


def notify_tab() -> None:
    show_saved(SLOT)
    st.caption(
        t(
            "admin.notify.sender_note",
            seconds=settings.NOTIFY_SECONDS.value(),
            time=settings.BRIEFING_TIME.value().strftime("%H:%M"),
        )
    )
    st.subheader(t("admin.notify.channels"))
    channels = read(notify.list_channels)
    if channels:
        st.dataframe(channels_frame(channels), hide_index=True, width="stretch")
        channel_actions(channels)
    else:
        st.info(t("admin.notify.no_channels"))
    with st.expander(t("admin.notify.add"), expanded=not channels):
        add_channel_form()
    if channels:
        st.subheader(t("admin.notify.rules"))
        rules_form(channels)
        briefing_now_button(f"{SLOT}-briefing")
    deliveries_view()
