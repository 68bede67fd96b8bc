"""What the pages of several domains share: the report-date picker and figures in the user's language.

(The other shared pieces have homes of their own: the write wrapper that stores once and names the refused
field is :func:`ui.forms.save`, messages are in :mod:`ui.messages`.)
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from data_layer import clock
from data_layer.db import Actor
from data_layer.i18n import format_number
from data_layer.permissions import works_on_today
from ui.session import language, t


def number(value: float | int | None, digits: int = 0) -> str:
    """A figure as the user's language writes it (thousands separators, ``digits`` decimals)."""
    return format_number(value, language(), digits)


def report_day(who: Actor, label_key: str, key: str) -> date:
    """The report date of a domain page: today for a clerk, who enters today's figures; any day up to today,
    picked, for those who review."""
    today = clock.today()
    if works_on_today(who):
        return today
    return st.date_input(t(label_key), value=today, max_value=today, key=key, width=220)
