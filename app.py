"""The command-post dashboard: navigation, sign-in and language over the pages in ``pages/``."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from data_layer.users import ROLES, authenticate
from ui.session import actor, engine, language_switch, t
from ui.wall import kiosk_mode

st.set_page_config(page_title=t("app.title"), page_icon="🛡️", layout="wide")


@dataclass(frozen=True)
class PageEntry:
    """A page of the app and the roles that see it in the navigation (DESIGN §8).

    Hiding a page is only a convenience: every page checks the role again and
    the data layer refuses writes the role may not make.
    """

    path: str
    title: str
    icon: str
    roles: tuple[str, ...] = ROLES
    url_path: str | None = None


PAGES = (
    PageEntry("pages/overview.py", "nav.overview", "📊", url_path="overview"),
    PageEntry("pages/briefing.py", "nav.briefing", "📰", ("admin", "leader"), "briefing"),
    PageEntry("pages/checkpoints.py", "checkpoints.page.nav", "🚧", ("admin", "leader", "clerk"), "checkpoints"),
    PageEntry("pages/quick_entry.py", "quick_entry.nav", "📝", ("admin", "clerk"), "quick-entry"),
    PageEntry("pages/quarantine.py", "quarantine.page.nav", "🏨", ("admin", "leader", "clerk"), "quarantine"),
    PageEntry("pages/enterprises.py", "enterprises.page.nav", "🏭", ("admin", "leader", "clerk"), "enterprises"),
    PageEntry("pages/supplies.py", "supplies.title", "📦", ("admin", "leader", "clerk"), "supplies"),
    PageEntry("pages/privacy.py", "retention.page.nav", "🔒", ("admin",), "privacy"),
)


def sign_in_box() -> None:
    """Sign-in in the sidebar; without it a visitor sees the overview only, with no personal data."""
    current = actor()
    if current.role != "wall":
        st.sidebar.caption(t("app.signed_in_as", user=current.username, role=t(f"role.{current.role}")))
        if st.sidebar.button(t("app.sign_out")):
            del st.session_state["actor"]
            st.rerun()
        return
    with st.sidebar.form("sign_in", clear_on_submit=True):
        username = st.text_input(t("users.field.username"))
        password = st.text_input(t("users.field.password"), type="password")
        if st.form_submit_button(t("app.sign_in")):
            signed_in = authenticate(engine(), username, password)
            if signed_in is None:
                st.error(t("app.sign_in_failed"))
            else:
                st.session_state["actor"] = signed_in
                st.rerun()


kiosk = kiosk_mode()
if not kiosk:
    language_switch()
    sign_in_box()
role = actor().role
visible = [st.Page(entry.path, title=t(entry.title), icon=entry.icon, default=index == 0,
                   url_path=entry.url_path)
           for index, entry in enumerate(PAGES) if role in entry.roles]
st.navigation(visible, position="hidden" if kiosk else "sidebar").run()
