"""What every page shares: the store, the language, the signed-in user and cached reads.

Pages never open connections or write SQL; they get the engine here and call
the data layer. Reads are cached on the data version (the newest audit row),
so a write made through any app process shows on every screen at its next
refresh, while an unchanged database costs one tiny query per refresh. A read
of one domain's package is cached on the newest version that changed what that
domain's pages show (:class:`DomainVersions`), so that the counts of a shift
change leave the quarantine, supplies and enterprises reads where they were.
"""

from __future__ import annotations

import html
import importlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.engine import Engine

from data_layer import briefing, changes, db, settings, users
from data_layer.db import Actor
from data_layer.i18n import LANGUAGES, normalize_language, translate
from data_layer.permissions import signs_out_when_idle
from data_layer.privacy import masked, sees_full_numbers

VISITOR = Actor("visitor", "visitor")
DATA_VERSION_KEY = "data_version"
SESSION_COOKIE = "command_post_session"
SESSION_COOKIE_DAYS = 30  # how long the browser keeps it; the idle limit, checked by the store, ends it sooner
SESSION_TOKEN_KEY = "session_token"
SEEN_KEY = "session_seen_at"
T = TypeVar("T")


@st.cache_resource
def _engine_for(url: str) -> Engine:
    store = db.connect(url)
    db.migrate(store)
    return store


def engine() -> Engine:
    """One engine (and connection pool) per app process and database URL (``COMMAND_POST_DB``)."""
    return _engine_for(db.database_url())


RUN_LANGUAGE_KEY = "run_language"
"""The language a run speaks, noted at its start (:func:`note_language`)."""


def note_language() -> str:
    """Note the UI language for this run: the first step of ``app.py`` and of every page's ``guard`` (a page run on
    its own skips ``app.py``; in the app's runs the second noting finds the first). It is kept in the URL
    (``?lang=en``) so that a reload or a restart keeps it.

    Moving to another page clears the URL's parameters, so the session
    remembers the choice too and writes it back into the URL.
    """
    from_url = st.query_params.get("lang")
    if from_url:
        chosen = normalize_language(from_url)
        if st.session_state.get("language") != chosen:
            st.session_state["language"] = chosen
    else:
        if "language" in st.session_state:
            st.query_params["lang"] = "en" if st.session_state["language"] == "en" else "zh"
        chosen = st.session_state.get("language", normalize_language(None))
    st.session_state[RUN_LANGUAGE_KEY] = chosen
    return chosen


def language() -> str:
    """The UI language of this run, as :func:`note_language` noted it: pages ask thousands of times a run, and
    reading the URL each time cost a twelfth of a clerk's save."""
    return st.session_state.get(RUN_LANGUAGE_KEY) or note_language()


def t(key: str, **params: object) -> str:
    return translate(key, language(), **params)


def language_switch() -> None:
    """A sidebar switch between 中文 and English that writes the choice into the URL."""
    names = {"zh_CN": "中文", "en": "English"}
    chosen = st.sidebar.segmented_control(
        t("app.language"), LANGUAGES, format_func=names.__getitem__, default=language(), key="language_switch"
    )
    if chosen and chosen != language():
        st.query_params["lang"] = "en" if chosen == "en" else "zh"
        st.rerun()


def actor() -> Actor:
    """The signed-in user, or :data:`VISITOR` (who may see nothing but the sign-in form)."""
    return st.session_state.get("actor", VISITOR)


def sign_in_source() -> str | None:
    """The address this browser connects from (``None`` on the server itself): failed sign-ins lock an account
    for the address that made them. Behind a reverse proxy every browser has the proxy's address, and the lock
    then holds for everyone, as it would without addresses. Anything but a text (a page run with no browser
    behind it) counts as the server itself."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def sign_in_form() -> None:
    """Username and password; a wrong pair, a disabled account and a locked one get the same answer."""
    with st.form("sign_in", clear_on_submit=True):
        username = st.text_input(t("users.field.username"), autocomplete="username")  # a phone's password manager
        password = st.text_input(t("users.field.password"), type="password", autocomplete="current-password")
        if st.form_submit_button(t("app.sign_in"), type="primary"):
            signed_in = users.authenticate(engine(), username.strip(), password, source=sign_in_source())
            if signed_in is None:
                st.error(t("app.sign_in_failed"))
            else:
                start_session(signed_in)
                st.session_state[SESSION_TOKEN_KEY] = users.open_session(engine(), signed_in)
                st.rerun()


def start_session(signed_in: Actor) -> None:
    st.session_state["actor"] = signed_in
    st.session_state["last_activity"] = time.monotonic()
    st.session_state.pop("link_revoked", None)
    st.session_state.pop("link_invalid", None)


def sign_out() -> None:
    """Sign this browser out; a remembered session ends too, so its cookie opens nothing any more."""
    token = st.session_state.pop(SESSION_TOKEN_KEY, None)
    if token and "actor" in st.session_state:
        users.end_session(engine(), actor(), token)
    for key in ("actor", "last_activity"):
        st.session_state.pop(key, None)


def session_cookie() -> str | None:
    """The session cookie this browser sent when it opened the page; anything but a text (a page run with no
    browser behind it) counts as none."""
    token = st.context.cookies.get(SESSION_COOKIE)
    return token if isinstance(token, str) and token else None


def sign_in_with_remembered_session() -> None:
    """A person who signed in with their password on this browser, reloading the page or reopening the tab
    within the idle limit, is signed in again by the session cookie (see :func:`keep_session_cookie`)."""
    if "actor" in st.session_state:
        return
    token = session_cookie()
    signed_in = users.actor_for_session(engine(), token) if token else None
    if signed_in is not None:
        start_session(signed_in)
        st.session_state[SESSION_TOKEN_KEY] = token


def keep_session_cookie() -> None:
    """Keep the browser's session cookie in step with the session: set while signed in with a password,
    removed once signed out. The cookie holds a random token whose hash the store keeps; it is sent to this
    app's address only (``SameSite=Strict``, and ``Secure`` over HTTPS), and the store decides whether it
    still opens anything (idle limit, sign-out, account disabled). The script is drawn in the sidebar, where
    it takes no room from the page."""
    token = st.session_state.get(SESSION_TOKEN_KEY)
    if token:
        value, lifetime = token, SESSION_COOKIE_DAYS * 24 * 3600
    elif session_cookie():
        value, lifetime = "", 0
    else:
        return
    cookie = json.dumps(f"{SESSION_COOKIE}={value}; Path=/; Max-Age={lifetime}; SameSite=Strict")
    secure = "(location.protocol === 'https:' ? '; Secure' : '')"
    st.sidebar.html(f"<script>document.cookie = {cookie} + {secure};</script>", unsafe_allow_javascript=True)


def note_session_activity() -> None:
    """Write the remembered session's last activity (at most once a minute), so a reload after a long idle
    spell asks for the password again."""
    token = st.session_state.get(SESSION_TOKEN_KEY)
    now = time.monotonic()
    if token and now - st.session_state.get(SEEN_KEY, 0.0) >= users.SEEN_EVERY.total_seconds():
        users.session_seen(engine(), actor(), token)
        st.session_state[SEEN_KEY] = now


def sign_in_with_device_token() -> None:
    """A wall screen's URL carries its device token (``?device=…``): it signs in without a keyboard.

    The token stays in the URL, so a reload or a restarted server signs the
    screen in again. An unknown or revoked token opens nothing and marks the
    session, so that the screen, which nobody can type on, says its link is
    invalid and who issues a new one rather than showing a sign-in form.
    """
    token = st.query_params.get("device")
    if not token or st.session_state.get("device_token") == token:
        return
    signed_in = users.actor_for_device_token(engine(), token)
    if signed_in is not None:
        start_session(signed_in)
        st.session_state["device_token"] = token
    elif "actor" not in st.session_state:
        st.session_state["link_invalid"] = True


def prepare_session() -> None:
    """What every run does before a page: a wall screen's device token or a remembered session, the account
    read again, idle sign-out, the session cookie kept in step, and the data version its reads are keyed on."""
    sign_in_with_device_token()
    sign_in_with_remembered_session()
    recheck_account()
    expire_idle_session()
    note_session_activity()
    keep_session_cookie()
    note_data_version()


def revoked_link() -> bool:
    """Whether this session was opened by a device token that is no longer its account's current one, or whose
    account has been disabled."""
    current = st.session_state.get("actor")
    token = st.session_state.get("device_token")
    return current is not None and bool(token) and account_revoked(current.username, token)


def revoke_link() -> None:
    """Sign a wall screen out whose link has been revoked; it shows :func:`revoked_screen` from now on."""
    sign_out()
    st.session_state.pop("device_token", None)
    st.session_state["link_revoked"] = True


def account_revoked(username: str, device_token: str | None) -> bool:
    """Whether ``username``, signed in by ``device_token`` (a wall screen's link) or by password (None), may see
    nothing more: the link no longer its account's current one, or the account disabled."""
    if device_token:
        return not users.device_token_current(engine(), username, device_token)
    return users.is_disabled(engine(), username)


def revoked_screen(message_key: str = "access.link_revoked") -> None:
    """All that a wall screen whose link has been revoked (or was never valid) shows: one message across the
    screen, no figures."""
    st.html(
        f'<div class="link-revoked" style="min-height: 80vh; display: flex; align-items: center; '
        f'justify-content: center; text-align: center; font-size: 2.6rem; line-height: 1.5;">'
        f"{html.escape(t(message_key), quote=False)}</div>"
    )


def recheck_account() -> None:
    """Read the signed-in account again on every run, so that disabling it, changing its assignments or
    revoking a wall screen's link takes effect at once rather than at the next sign-in."""
    current = st.session_state.get("actor")
    if current is None:
        return
    if revoked_link():
        revoke_link()
        return
    fresh = users.actor_for(engine(), current.username)
    if fresh is None:
        if users.is_disabled(engine(), current.username):
            sign_out()
    elif fresh != current:
        st.session_state["actor"] = fresh


def idle_limit_seconds() -> float:
    """How long a signed-in person may stay idle before signing in again (``COMMAND_POST_SESSION_MINUTES``)."""
    return 60 * settings.SESSION_MINUTES.value()


def expire_idle_session() -> None:
    """Sign out a person idle for longer than the limit: a phone left on a checkpoint desk must not stay open.

    Wall screens are exempt; they have nothing to enter and must run for days.
    """
    current = st.session_state.get("actor")
    if current is None or not signs_out_when_idle(current):
        return
    now = time.monotonic()
    if now - st.session_state.get("last_activity", now) > idle_limit_seconds():
        sign_out()
        st.session_state["session_expired"] = True
    else:
        st.session_state["last_activity"] = now


def note_data_version() -> int:
    """Read the store's data version (the newest audit row) for this run: once when a run or a self-refresh
    begins, and again after this session's own write, so that the reads after it see the write."""
    version = db.data_version(engine())
    st.session_state[DATA_VERSION_KEY] = version
    return version


def data_version() -> int:
    """The data version this run reads under: every read of a run is keyed on the same version, read once."""
    version = st.session_state.get(DATA_VERSION_KEY)
    return note_data_version() if version is None else version


WRITES_IN_FLIGHT = 200
"""How far before the last version asked for a domain's look-up begins: on PostgreSQL a write may commit after
one whose audit id is higher, so the rows of the few writes in flight at the last look-up are read again."""


class DomainVersions:
    """The data version the reads of each scope (a domain's, or a domain's units alone:
    :func:`data_layer.changes.scope_of_read`) are keyed on in one app process and store: the newest version whose
    write changed what the scope shows (:func:`data_layer.changes.newest_change_for`).

    It is found from the last version asked for, with one look-up of the audit rows written since. Where that is
    not known (a scope's first read in the process, or a run at an older version than the newest asked for, whose
    scope changed in between), the answer is the version itself: a read made afresh, never a stale one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, tuple[int, int]] = {}
        """By scope: the newest version asked for, and the newest version at or before it that changed the
        scope."""

    def at(self, scope: str, version: int) -> int:
        with self._lock:
            asked, changed = self._known.setdefault(scope, (version, version))
        if asked >= version:
            return changed if changed <= version else version
        with engine().connect() as conn:
            newest = changes.newest_change_for(conn, scope, max(asked - WRITES_IN_FLIGHT, 0), version)
        changed = changed if newest is None else max(changed, newest)
        with self._lock:
            if self._known[scope][0] < version:
                self._known[scope] = (version, changed)
        return changed


@st.cache_resource(show_spinner=False)
def _domain_versions(url: str) -> DomainVersions:
    return DomainVersions()


def scope_version(scope: str | None) -> int:
    """The version the reads of ``scope`` (:func:`data_layer.changes.scope_of_read`) are keyed on in this run: for
    a domain's reads, the newest version at or before the run's that changed what they show
    (:class:`DomainVersions`); for the whole picture (None), the run's own."""
    if scope is None:
        return data_version()
    return _domain_versions(db.database_url()).at(scope, data_version())


_SCOPES_READ: ContextVar[set[str | None] | None] = ContextVar("scopes_read", default=None)
"""The scopes of the reads made within :func:`noting_scopes`, where one is open in this thread."""


@contextmanager
def noting_scopes() -> Iterator[set[str | None]]:
    """The scopes of the reads (:func:`read`) made within: what something built from them, a page's chart say,
    shows, so that it is built again when one of them changes and kept through the rest."""
    scopes: set[str | None] = set()
    token = _SCOPES_READ.set(scopes)
    try:
        yield scopes
    finally:
        _SCOPES_READ.reset(token)


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_read(module: str, name: str, url: str, version: int, args: tuple, full_numbers: bool) -> Any:
    """A read's result at a data version, masked unless its viewers see personal numbers in full: masked once
    a version for every session, where masking it at every run cost a twentieth of a busy process's time."""
    query = getattr(importlib.import_module(module), name)
    with engine().connect() as conn:
        result = query(conn, *args)
    return result if full_numbers else masked(result)


def read(query: Callable[..., T], *args: object) -> T:
    """Run a data-layer read ``query(conn, *args)``, cached until the data changes, as the signed-in person
    may see it (ID and phone numbers in any text masked unless they see them in full).

    Every page reads through here, so a new entry (through any app process)
    shows everywhere on the next run, an unchanged database is read once, and
    no page can show a personal number typed into a note to someone who may not see it.
    """
    url = engine().url.render_as_string()
    scope = changes.scope_of_read(query)
    noted = _SCOPES_READ.get()
    if noted is not None:
        noted.add(scope)
    version = scope_version(scope)
    return _cached_read(query.__module__, query.__name__, url, version, args, sees_full_numbers(actor()))


def briefing_pair(day: date, as_of: datetime | None = None) -> tuple[dict, dict]:
    """The briefing figures for ``day`` and the day before (up to the same time of day where it can be, while
    ``day`` is not over: :func:`data_layer.briefing.previous_day`)."""
    return read(briefing.build_briefing, day), read(briefing.previous_day, day, as_of)
