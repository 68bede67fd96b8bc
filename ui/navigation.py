"""Which pages there are and which roles may use them (design §8), and the guard every page starts with.

The menu shows a role only its pages. Opened by their URL, the others answer
with a refusal (or, to a visitor, the sign-in form) instead of running, and
each page calls :func:`guard` first, so a page never runs for a role it is
not meant for however it was reached. Writes are refused by the data layer
whatever a page does.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from data_layer import permissions
from data_layer.actor import Actor
from data_layer.markdown import plain
from data_layer.users import ROLES
from ui.live import follow_live_data
from ui.session import actor, note_language, prepare_session, revoked_screen, sign_in_form, sign_out, t
from ui.wall import hide_chrome_on_kiosk


@dataclass(frozen=True)
class PageEntry:
    """A page of the app, its menu title and icon, and the roles that may use it.

    ``url_path`` is the file's name without ``.py``: a fresh server may run a
    deep link's file on its own (see :func:`run_through_app`), and the same
    name keeps that visit on the same page once ``app.py`` takes over.
    """

    path: str
    title: str
    icon: str
    roles: tuple[str, ...]
    url_path: str
    live: bool = False
    """The page shows figures that are drawn again as soon as anything is entered (:func:`follows_live_data`)."""
    entries: str | None = None
    """The domain whose entries the page's forms take, for those who may write them, and whose figures it shows:
    its live redraws pass over the other domains' entries (:mod:`data_layer.changes`)."""


DOMAIN_ROLES = ("admin", "leader", "clerk")
PAGES = (
    PageEntry("pages/overview.py", "nav.overview", "📊", ROLES, "overview", live=True),
    PageEntry("pages/briefing.py", "nav.briefing", "📰", ("admin", "leader"), "briefing"),
    PageEntry("pages/checkpoints.py", "checkpoints.page.nav", "🚧", DOMAIN_ROLES, "checkpoints", True, "checkpoints"),
    PageEntry("pages/quick_entry.py", "quick_entry.nav", "📝", ("admin", "clerk"), "quick_entry"),
    PageEntry("pages/quarantine.py", "quarantine.page.nav", "🏨", DOMAIN_ROLES, "quarantine", True, "quarantine"),
    PageEntry("pages/enterprises.py", "enterprises.page.nav", "🏭", DOMAIN_ROLES, "enterprises", True, "enterprises"),
    PageEntry("pages/supplies.py", "supplies.title", "📦", DOMAIN_ROLES, "supplies", True, "supplies"),
    PageEntry("pages/admin.py", "admin.nav", "⚙️", ("admin",), "admin"),
    PageEntry("pages/audit_log.py", "audit.nav", "🧾", ("admin",), "audit_log"),
    PageEntry("pages/privacy.py", "retention.page.nav", "🔒", ("admin",), "privacy"),
)

HOME_PAGES = {"clerk": "quick_entry"}
"""The page a role lands on after signing in (the app's address without a page), where its work is: a clerk's
quick entry rather than the long wall page. Every other role lands on the first page, the overview."""


def home_page(role: str) -> str:
    return HOME_PAGES.get(role, PAGES[0].url_path)


def may_use(role: str, page: PageEntry) -> bool:
    return role in page.roles


def page_entry(url_path: str) -> PageEntry:
    return next(page for page in PAGES if page.url_path == url_path)


def follows_live_data(who: Actor, page: PageEntry) -> bool:
    """Whether ``page`` is drawn again for ``who`` as soon as anything is entered: a page of figures, unless it
    holds a form ``who`` may be filling in (:func:`data_layer.permissions.follows_live_data`)."""
    return page.live and permissions.follows_live_data(who, page.entries)


def sign_in_page() -> None:
    """What a visitor who has not signed in sees, whichever page the URL names."""
    if st.session_state.get("link_revoked"):
        revoked_screen()
        return
    if st.session_state.get("link_invalid"):
        revoked_screen("access.link_invalid")
        return
    st.title(t("app.title"))
    if st.session_state.pop("session_expired", False):
        st.info(t("access.session_expired"))
    sign_in_form()


def refusal_page() -> None:
    """Shown instead of a page the signed-in role may not use (e.g. a clerk opening an admin page by URL)."""
    st.title(t("app.title"))
    st.error(t("access.page_refused", role=t(f"role.{actor().role}")))


def run_through_app() -> None:
    """Give a page run on its own what ``app.py`` gives it (device token, account check, idle sign-out).

    A freshly started Streamlit server treats a ``pages/`` folder the old way
    until ``st.navigation`` has run once in the process: the first visit to a
    deep link (a wall screen reconnecting to ``/overview`` after a restart, a
    bookmark of ``/admin``) runs the page's file by itself. That visit gets the
    session set up here, and every later run goes through ``app.py``.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        hide_chrome_on_kiosk()
        prepare_session()


def guard(url_path: str) -> None:
    """Stop the page here unless the signed-in role may use it; the first line of every page. A page that follows
    the data live for this person starts its check for new entries here. The page's words follow the URL's
    language even when the page runs on its own (:func:`run_through_app`)."""
    note_language()
    run_through_app()
    role = actor().role
    entry = page_entry(url_path)
    if may_use(role, entry):
        if follows_live_data(actor(), entry):
            follow_live_data(entry.entries)
        return
    if role in ROLES:
        refusal_page()
    else:
        sign_in_page()
    st.stop()


def navigation(role: str) -> list[st.Page]:
    """Every page: as itself when ``role`` may use it, else as the refusal (or the sign-in form).

    Registering the refused pages too means their URLs answer with a refusal
    instead of quietly opening the first page. The role's home page (:func:`home_page`) is the default.
    """
    stand_in = refusal_page if role in ROLES else sign_in_page
    home = home_page(role)
    return [
        st.Page(
            page.path if may_use(role, page) else stand_in,
            title=t(page.title),
            icon=page.icon,
            url_path=page.url_path,
            default=page.url_path == home,
        )
        for page in PAGES
    ]


LANDING_KEY = "navigation:land_on_home"


def land_on_home_page(pages: list[st.Page], current: st.Page, role: str) -> None:
    """Take a person who signed in at the app's address to their role's home page (a clerk to quick entry);
    one who signed in at a bookmarked page stays there. A visitor's run notes where the sign-in form stands."""
    if role not in ROLES:
        st.session_state[LANDING_KEY] = current.url_path == ""
        return
    if not st.session_state.pop(LANDING_KEY, False):
        return
    home = next(page for entry, page in zip(PAGES, pages, strict=True) if entry.url_path == home_page(role))
    if current.url_path != home.url_path:
        st.switch_page(home)


def account_box() -> None:
    """The signed-in user and the sign-out button."""
    current = actor()
    st.sidebar.caption(t("app.signed_in_as", user=plain(current.username), role=t(f"role.{current.role}")))
    if st.sidebar.button(t("app.sign_out")):
        sign_out()
        st.rerun()


def menu(pages: list[st.Page], role: str) -> None:
    """Links to the pages ``role`` may use (Streamlit's own menu is hidden, as it would list refused pages)."""
    for entry, page in zip(PAGES, pages, strict=True):
        if may_use(role, entry):
            st.sidebar.page_link(page)
