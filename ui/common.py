"""What the pages of several domains share: the report-date picker, figures in the user's language, and the
touch-sized inputs of every form.

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

TOUCH_CSS = """
<style>
  input, textarea, [data-testid="stDateInputField"] { font-size: 16px !important; }
  [data-testid="stTextInputRootElement"], [data-testid="stNumberInputContainer"], [data-testid="stDateInputField"],
  [data-testid="stSelectbox"] > div > div, [data-testid="stBaseButton-primaryFormSubmit"],
  [data-testid="stBaseButton-secondaryFormSubmit"] { min-height: 44px; }
  [data-testid="stTextInputField"], [data-testid="stNumberInputField"] { min-height: 42px; }
  [data-testid="stCheckbox"] label { min-height: 44px; align-items: center; }
  @media (max-width: 640px) {
    .block-container { padding-top: 3rem; padding-bottom: 2rem; }
    h1 { font-size: 1.5rem !important; padding: 0.25rem 0 !important; }
    [data-testid="stForm"] [data-testid="stElementContainer"]:has([data-testid="stBaseButton-primaryFormSubmit"]) {
      position: sticky; bottom: 0; z-index: 2; background: var(--background-color, #0e1117); padding: 0.4rem 0; }
  }
</style>
"""
"""Inputs a finger can hit and a phone does not zoom into: text of at least 16 px (iOS zooms into smaller) and
44 px tall (the smallest comfortable touch target); on a phone, the form's primary button stays in view at the
bottom of the screen while the form is longer than the screen."""


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


def touch_friendly_inputs() -> None:
    """Apply :data:`TOUCH_CSS`; the app calls it once per run, for every page."""
    st.html(TOUCH_CSS)
