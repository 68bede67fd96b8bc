"""Quick entry (快速录入): the most frequent forms, mobile-first, with their defaults filled in.

Each domain adds its form by adding one :class:`QuickSection` to ``SECTIONS``:
the catalog key of its title, who may use it, and the function that draws it
(the same function the domain's own page uses, so the two never drift apart).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import streamlit as st

from data_layer.db import Actor
from data_layer.permissions import may_write
from ui.checkpoints import count_entry_form
from ui.navigation import guard
from ui.quarantine import followup_round_form
from ui.session import actor, t
from ui.supplies import quick_issue_form

guard("quick_entry")


@dataclass(frozen=True)
class QuickSection:
    """One form of the quick-entry page."""

    title: str
    may_use: Callable[[Actor], bool]
    draw: Callable[[], None]


SECTIONS = (
    QuickSection(
        "checkpoints.page.quick_section",
        partial(may_write, domain="checkpoints"),
        partial(count_entry_form, "quick-checkpoint"),
    ),
    QuickSection(
        "quarantine.page.quick_section",
        partial(may_write, domain="quarantine"),
        partial(followup_round_form, "quick-followup"),
    ),
    QuickSection("supplies.page.quick_section", partial(may_write, domain="supplies"), quick_issue_form),
)

st.title(t("quick_entry.title"))
usable = [section for section in SECTIONS if section.may_use(actor())]
if not usable:
    st.info(t("quick_entry.nothing"))
elif len(usable) == 1:
    st.subheader(t(usable[0].title))
    usable[0].draw()
else:
    for tab, section in zip(st.tabs([t(section.title) for section in usable]), usable, strict=True):
        with tab:
            section.draw()
