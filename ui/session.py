"""What every page shares: the store, the language, the signed-in user and cached reads.

Pages never open connections or write SQL; they get the engine here and call
the data layer. Reads are cached on the data version (the newest audit row),
so a write made through any app process shows on every screen at its next
refresh, while an unchanged database costs one tiny query per refresh.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

import streamlit as st
from sqlalchemy.engine import Engine

from data_layer import briefing, db
from data_layer.db import Actor
from data_layer.i18n import LANGUAGES, normalize_language, translate

WALL_ACTOR = Actor("wall-screen", "wall")
T = TypeVar("T")


@st.cache_resource
def _engine_for(url: str) -> Engine:
    store = db.connect(url)
    db.migrate(store)
    return store


def engine() -> Engine:
    """One engine (and connection pool) per app process and database URL (``COMMAND_POST_DB``)."""
    return _engine_for(db.database_url())


def language() -> str:
    """The UI language, kept in the URL (``?lang=en``) so that a reload or a restart keeps it.

    Moving to another page clears the URL's parameters, so the session
    remembers the choice too and writes it back into the URL.
    """
    from_url = st.query_params.get("lang")
    if from_url:
        chosen = normalize_language(from_url)
        if st.session_state.get("language") != chosen:  # pages ask thousands of times a run: write only a change
            st.session_state["language"] = chosen
        return chosen
    if "language" in st.session_state:
        st.query_params["lang"] = "en" if st.session_state["language"] == "en" else "zh"
    return st.session_state.get("language", normalize_language(None))


def t(key: str, **params: object) -> str:
    return translate(key, language(), **params)


def language_switch() -> None:
    """A sidebar switch between 中文 and English that writes the choice into the URL."""
    names = {"zh_CN": "中文", "en": "English"}
    chosen = st.sidebar.segmented_control(t("app.language"), LANGUAGES, format_func=names.get,
                                          default=language(), key="language_switch")
    if chosen and chosen != language():
        st.query_params["lang"] = "en" if chosen == "en" else "zh"
        st.rerun()


def actor() -> Actor:
    """The signed-in user, or the wall screen's read-only role for a visitor who has not signed in."""
    return st.session_state.get("actor", WALL_ACTOR)


def data_version() -> int:
    return db.data_version(engine())


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_read(module: str, name: str, url: str, version: int, args: tuple) -> object:
    query = getattr(importlib.import_module(module), name)
    with engine().connect() as conn:
        return query(conn, *args)


def read(query: Callable[..., T], *args: object) -> T:
    """Run a data-layer read ``query(conn, *args)``, cached until the data changes.

    Every page reads through here, so a new entry (through any app process)
    shows everywhere on the next run, and an unchanged database is read once.
    """
    return _cached_read(query.__module__, query.__name__, engine().url.render_as_string(), data_version(), args)


def briefing_pair(day: date) -> tuple[dict, dict]:
    """The briefing figures for ``day`` and the day before."""
    return read(briefing.build_briefing, day), read(briefing.build_briefing, day - timedelta(days=1))
