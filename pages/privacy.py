"""Personal data retention (个人信息保护): the administrator's retention period and the anonymisation run.

Personal-information law asks that a quarantined person's identity be kept no
longer than needed. The data layer decides who is due and anonymises them in
one audited transaction; this page sets the period, says how many people are
due, and runs it after an explicit confirmation.
"""

from __future__ import annotations

import streamlit as st

from data_layer import retention
from data_layer.db import truncate_wal
from data_layer.i18n import format_day
from ui.forms import entry_form, save, store
from ui.messages import remember_saved, show_saved
from ui.navigation import guard
from ui.session import engine, language, read, t

guard("privacy")

SAVED_SLOT = "retention"


def setting_form(days: int) -> None:
    """The retention period in days; the data layer refuses anything but a whole number from 1 on."""
    st.subheader(t("retention.page.setting_heading"))
    with entry_form("retention-days"):
        chosen = st.number_input(
            t("retention.field.days"),
            min_value=1,
            max_value=retention.MAX_RETENTION_DAYS,
            value=days,
            step=1,
            help=t("retention.page.days_help"),
        )
        submitted = st.form_submit_button(t("retention.page.save_setting"))
    if submitted:
        store(
            "retention-days",
            retention.set_retention_days,
            int(chosen),
            said=lambda days: t("retention.page.setting_saved", days=days),
            slot=SAVED_SLOT,
        )


def run_form(days: int) -> None:
    """How many people are due, and the confirm-then-run button with the progress of the audit-log search."""
    st.subheader(t("retention.page.run_heading"))
    due = read(retention.due_count)
    st.caption(t("retention.page.anonymised_total", count=read(retention.anonymised_count)))
    if due == 0:
        st.markdown(t("retention.page.nothing_due"))
        return
    st.markdown(t("retention.page.due", count=due, date=format_day(retention.ended_before(days), language())))
    with entry_form("retention-run"):
        confirmed = st.checkbox(t("retention.page.confirm", count=due))
        submitted = st.form_submit_button(t("retention.page.run"), type="primary")
    if not submitted:
        return
    if not confirmed:
        st.error(t("retention.page.must_confirm"))
        return
    bar = st.progress(0.0, text=t("retention.page.progress"))
    count = save(
        "retention-run",
        retention.anonymise_people,
        progress=lambda share: bar.progress(share, text=t("retention.page.progress")),
        then=lambda count: remember_saved(SAVED_SLOT, t("retention.page.done", count=count)),
    )
    bar.empty()
    if count is not None:
        truncate_wal(engine())
        st.rerun()


st.title(t("retention.page.title"))
show_saved(SAVED_SLOT)
st.markdown(t("retention.page.intro"))
retention_days = read(retention.retention_days)
setting_form(retention_days)
st.divider()
run_form(retention_days)
