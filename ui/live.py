"""Pages that follow the data live: the wall, the overview and a leader's domain pages are drawn again as soon as
anything is entered, through any app process.

Every ``COMMAND_POST_LIVE_CHECK_SECONDS`` a fragment that draws nothing compares the store's data version with
the one its page was drawn with, and reruns the whole app when it moved. Two rules keep that affordable when
many people are connected to one process and entries arrive several a second, as at shift change
(``benchmarks/bench_sessions.py``):

- **A page is drawn again for what it shows** (:mod:`data_layer.changes`): a domain's page passes over the
  other domains' entries, so the counts of a shift change redraw the checkpoints page and the wall, not the
  quarantine page a leader has open.
- **One version for every live page of a process at a time** (:func:`shared_version`): the checks of one process
  read the version at most every :data:`SHARED_VERSION_SECONDS`, so the pages they redraw within that moment read
  the same cached figures and charts instead of each computing them for an entry of its own.
- **Live redraws take turns** (:class:`RedrawTurns`): at most :data:`REDRAWS_AT_ONCE` run in the process at a
  time. A wall's check waits for the next turn (within its check interval: a TV has nobody to answer); any other
  page's check does not wait, and lets its page be until its next check, so that a leader's own click is never
  held up behind it. A person's own run (a save, a move to another page) never waits for a turn: it competes
  with at most that many redraws for the process's Python, rather than with every page that follows the
  data.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from data_layer import changes, db, settings
from data_layer.permissions import waits_for_redraw_turn
from ui.session import DATA_VERSION_KEY, account_revoked, actor, data_version, engine

SHARED_VERSION_SECONDS = 0.5
"""How old the data version a live check compares with may be, and what it knows of a session's account: half
the default check interval, so that a new entry is seen within one and a half checks, and a burst of entries is
drawn at most twice a second."""
REDRAWS_AT_ONCE = 1
"""Live redraws running at once in one app process. One process runs Python on one core at a time: a second
redraw beside the first would finish neither sooner, and would halve again what a person's own run gets."""
TURN_LEASE_SECONDS = 10.0
"""How long a turn taken by a check may wait for its redraw to give it back."""
CHECKED_KEY = "live_checked"
"""The newest data version at which the page's live check found nothing new that the page shows."""
REDRAW_KEY = "live_redraw"
"""The shared version a check asked its page to be drawn at, and the turn it took (see :func:`live_redraw`)."""


class RedrawTurns:
    """The turns of the live redraws of one app process: a check takes one before it asks for its page's redraw,
    and the redraw gives it back when it ends. A turn not given back within :data:`TURN_LEASE_SECONDS` (its
    session closed before the redraw began) lapses."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._taken: dict[str, float] = {}

    def take(self, wait: float = 0.0) -> str | None:
        """A turn (its key) if one is free now or within ``wait`` seconds, else ``None``. Waiting checks are
        served in the order they came."""
        deadline = time.monotonic() + wait
        with self._changed:
            while True:
                now = time.monotonic()
                self._taken = {key: at for key, at in self._taken.items() if now - at < TURN_LEASE_SECONDS}
                if len(self._taken) < REDRAWS_AT_ONCE:
                    key = uuid.uuid4().hex
                    self._taken[key] = now
                    return key
                if now >= deadline:
                    return None
                self._changed.wait(min(deadline, min(self._taken.values()) + TURN_LEASE_SECONDS) - now)

    def give_back(self, key: str) -> None:
        with self._changed:
            self._taken.pop(key, None)
            self._changed.notify()


@st.cache_resource(show_spinner=False)
def redraw_turns() -> RedrawTurns:
    """The process's one :class:`RedrawTurns`, shared by every session."""
    return RedrawTurns()


def session_ended() -> bool:
    """Whether the signed-in session may see nothing more (:func:`ui.session.account_revoked`), as this process's
    checks know it: asked of the store at most every :data:`SHARED_VERSION_SECONDS` for each account and link,
    where fifty live pages each asking at every check cost a twentieth of a busy process's time. It does not
    wait for a new data version: an account disabled in the store directly ends its sessions all the same."""
    current = st.session_state.get("actor")
    return current is not None and _account_revoked(
        db.database_url(), current.username, st.session_state.get("device_token")
    )


@st.cache_data(ttl=SHARED_VERSION_SECONDS, max_entries=1024, show_spinner=False)
def _account_revoked(url: str, username: str, device_token: str | None) -> bool:
    return account_revoked(username, device_token)


def shared_version() -> int:
    """The store's data version as this process's live checks see it: read at most every
    :data:`SHARED_VERSION_SECONDS`, the same for every check within that moment."""
    return _shared_version(db.database_url())


@st.cache_data(ttl=SHARED_VERSION_SECONDS, show_spinner=False)
def _shared_version(url: str) -> int:
    return db.data_version(engine())


def begin_self_refresh() -> None:
    """The first step of a part of a page that refreshes itself (the wall's clock and rotation): a refresh runs
    only that part, not :func:`ui.session.prepare_session`, so it asks itself whether the session still holds
    (:func:`session_ended`) and, if not, reruns the whole app, which signs the session out and shows no figure;
    then it draws at the process's :func:`shared_version`, as the live redraws do, or at the page's own if
    that is newer."""
    if session_ended():
        st.rerun(scope="app")
    st.session_state[DATA_VERSION_KEY] = max(shared_version(), data_version())


def follow_live_data(domain: str | None = None) -> None:
    """Draw the page again as soon as anything it shows is entered (anything at all for the whole picture,
    ``domain`` None): every ``COMMAND_POST_LIVE_CHECK_SECONDS`` a fragment that draws nothing runs
    :func:`redraw_on_new_data`. An unchanged store costs a cached look-up a check."""
    st.fragment(run_every=settings.LIVE_CHECK_SECONDS.value())(redraw_on_new_data)(domain)


def redraw_on_new_data(domain: str | None = None) -> None:
    """One check of :func:`follow_live_data`: rerun the whole app if the session ended (:func:`session_ended`;
    the rerun signs it out, as :func:`begin_self_refresh`'s does), or if the shared version moved past the
    page's with a write the page shows and the check got a redraw turn (a wall's check waits up to one check
    interval for it)."""
    if session_ended():
        st.rerun(scope="app")
    version = shared_version()
    seen = max(data_version(), st.session_state.get(CHECKED_KEY, 0))
    if version <= seen:
        return
    if not _changed_for(db.database_url(), domain, seen, version):
        st.session_state[CHECKED_KEY] = version
        return
    turn = redraw_turns().take(wait=settings.LIVE_CHECK_SECONDS.value() if waits_for_redraw_turn(actor()) else 0.0)
    if turn is not None:
        st.session_state[REDRAW_KEY] = (version, turn)
        st.rerun(scope="app")


@st.cache_data(max_entries=256, show_spinner=False)
def _changed_for(url: str, domain: str | None, after: int, upto: int) -> bool:
    """:func:`data_layer.changes.changed_for`, asked once by the checks of every page of a domain drawn at the
    same version."""
    with engine().connect() as conn:
        return changes.changed_for(conn, domain, after, upto)


@contextmanager
def live_redraw() -> Iterator[None]:
    """Around a page's run: when a live check asked for it, draw the page at the check's shared version and give
    the check's turn back when the run ends, however it ends (a rerun or a stop ends a run by an exception); any
    other run (a person's own) as it is."""
    asked = st.session_state.pop(REDRAW_KEY, None)
    if asked is None:
        yield
        return
    version, turn = asked
    st.session_state[DATA_VERSION_KEY] = version
    try:
        yield
    finally:
        redraw_turns().give_back(turn)
