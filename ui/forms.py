"""Entry forms that store once, say what they stored and name the field they refuse.

Streamlit has no guard against a double click on a submit button, so each
rendered form carries a token, twice over: the token is part of the form's key
(after a successful save the next render is a new form, and a click that still
targets the old one submits nothing), and it goes to the data layer, which
refuses a second write with the same token (for a click that arrives while the
first run is still storing).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st

from data_layer.db import WriteContext, perform
from data_layer.errors import CommandPostError, DuplicateSubmission
from ui.messages import refusal_text
from ui.session import actor, engine, note_data_version, t

T = TypeVar("T")


def _token_key(name: str) -> str:
    return f"form_token:{name}"


def current_token(name: str) -> str:
    """The token of the form ``name`` as it is rendered now."""
    key = _token_key(name)
    if key not in st.session_state:
        st.session_state[key] = uuid.uuid4().hex
    return st.session_state[key]


@contextmanager
def entry_form(name: str, **form_options: Any) -> Iterator[str]:
    """A ``st.form`` whose key carries the current token; yields the token."""
    token = current_token(name)
    with st.form(f"{name}-{token}", **form_options):
        yield token


def save(name: str, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run one data-layer write for the form ``name`` and show the outcome.

    Returns what the operation returned, or ``None`` when it was refused (the
    refusal is shown field by field in the user's language) or was a repeat
    of a submission already stored.
    """
    try:
        result = perform(engine(), actor(), operation, *args, token=current_token(name), **kwargs)
    except DuplicateSubmission:
        st.info(t("error.duplicate_submission"))
        return None
    except CommandPostError as refusal:
        st.error(refusal_text(refusal))
        return None
    del st.session_state[_token_key(name)]
    note_data_version()
    return result


def save_done(name: str, operation: Callable[..., object], *args: Any, **kwargs: Any) -> bool:
    """:func:`save` for a write that returns nothing (a rename, a flag): ``True`` once it is stored,
    ``False`` when it was refused or repeated."""
    def store_and_confirm(ctx: WriteContext, *values: Any, **options: Any) -> bool:
        operation(ctx, *values, **options)
        return True

    return bool(save(name, store_and_confirm, *args, **kwargs))
