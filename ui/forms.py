"""Entry forms that store once, say what they stored and name the field they refuse.

Streamlit has no guard against a double tap on a submit button, and on a phone
the second tap of a double tap lands wherever the first tap's answer has put
things by then:

- while the first submission is still storing, the second one carries the same
  token (the token is part of the form's key and goes to the data layer, which
  refuses a second write with it); it is answered with the first one's result,
  which the data layer keeps with the token. Streamlit stops the first run as
  the second begins, wherever the first has got to (after its commit, before it
  noted the save, as often as not): the second run then says what the first
  stored;
- once the first is stored, the page shows a fresh form (a new token, empty
  fields) in the same place, and the second tap submits that fresh form. A
  submission of the form drawn right after a save is the repeat of that save,
  and stores nothing, when none of its fields changed since it was drawn (the
  fields keyed under the form's key are compared) or, for a form without
  keyed fields, when it comes within :data:`REPEAT_SECONDS` of its drawing.
  The saved message of the first stays on screen (:func:`ui.messages.show_saved`),
  so either way the clerk reads "saved", never a refusal of an empty form.

A form saved by :func:`submit_button` stores in the tap's own run, as a callback before the page is drawn, and
the page is drawn once, with the new entry in its figures and the form fresh. A form saved in the page's code
(:func:`store`) draws the page, stores, and draws it again to show the entry: twice the work and twice the
messages, which counts for the forms of a shift change, when a hundred clerks save within minutes on one app
process (``benchmarks/bench_sessions.py``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import streamlit as st

from data_layer.db import WriteContext, perform
from data_layer.errors import CommandPostError, DuplicateSubmission
from ui.messages import refusal_text, refuse, remember_saved
from ui.session import actor, engine, note_data_version, t

T = TypeVar("T")

REPEAT_SECONDS = 2.0
"""How long after a fresh form is drawn a submission of it, when the form has no keyed fields to compare, counts
as the second tap of the save before it: far less than anyone needs to make a new entry in it."""


@dataclass(frozen=True)
class Drawn:
    """A rendered form as it was first drawn: its token, when, and the values of its keyed fields then."""

    token: str
    at: float
    fields: dict[str, Any]


@dataclass(frozen=True)
class Stored:
    """The last submission of a form that was stored: its token and what the write returned."""

    token: str
    result: Any


def _token_key(name: str) -> str:
    return f"form_token:{name}"


def _drawn_key(name: str) -> str:
    return f"form_drawn:{name}"


def _stored_key(name: str) -> str:
    return f"form_stored:{name}"


def current_token(name: str) -> str:
    """The token of the form ``name`` as it is rendered now."""
    key = _token_key(name)
    if key not in st.session_state:
        st.session_state[key] = uuid.uuid4().hex
    return st.session_state[key]


def form_key(name: str, token: str) -> str:
    """The key of the rendered form ``name``; its fields are keyed ``f"{form_key}-{field}"`` (or, the older
    way, ``f"{field}-{token}"``)."""
    return f"{name}-{token}"


def field_key(name: str, token: str, field: str) -> str:
    """The key of the field ``field`` of the form ``name`` drawn with ``token``."""
    return f"{form_key(name, token)}-{field}"


def start_fields(name: str, token: str, **values: Any) -> None:
    """Give the fields of the form ``name`` drawn with ``token`` their first ``values`` in the session, and draw
    them without a default of their own: a submit button's callback reads every field from the session
    (:func:`submitted_fields`), and a widget's default gets there only once the browser sends it back."""
    for field, value in values.items():
        st.session_state.setdefault(field_key(name, token, field), value)


def submitted_fields(name: str, token: str, fields: Iterable[str]) -> dict[str, Any]:
    """The values of ``fields`` of the form ``name`` drawn with ``token``, as submitted."""
    return {field: st.session_state[field_key(name, token, field)] for field in fields}


def _keyed_fields(name: str, token: str) -> dict[str, Any]:
    """The values of the fields keyed with the rendered form's key or token: what can be compared between runs."""
    prefix, suffix = f"{form_key(name, token)}-", f"-{token}"
    return {
        key: st.session_state[key]
        for key in list(st.session_state)
        if isinstance(key, str) and (key.startswith(prefix) or key.endswith(suffix))
    }


@contextmanager
def entry_form(name: str, **form_options: Any) -> Iterator[str]:
    """A ``st.form`` whose key carries the current token; yields the token.

    Key the form's fields under its key (``key=f"{form_key(name, token)}-persons"``): they then start empty
    after a save, and a repeated tap on the fresh form is recognised by its unchanged fields.
    """
    token = current_token(name)
    try:
        with st.form(form_key(name, token), **form_options):
            yield token
    finally:  # also when a tap interrupts the drawing: the fields drawn so far are noted
        _note_drawn(name, token)


def _note_drawn(name: str, token: str) -> None:
    """Note the form as first drawn; fields a drawing cut short by a tap did not reach are added when they are
    first drawn, and a field already noted keeps its first value."""
    fields = _keyed_fields(name, token)
    drawn = st.session_state.get(_drawn_key(name))
    if drawn is None or drawn.token != token:
        st.session_state[_drawn_key(name)] = Drawn(token, time.monotonic(), fields)
    elif fields.keys() - drawn.fields.keys():
        st.session_state[_drawn_key(name)] = Drawn(token, drawn.at, {**fields, **drawn.fields})


def repeats_last_save(name: str, submitted: str | None = None) -> bool:
    """Whether this submission of the form ``name`` (the one drawn now, or the one with the token ``submitted``)
    is the second tap of its last save (see the module): a form that checks its input before it saves asks this
    first, so that its refusal is not the answer."""
    token = submitted or current_token(name)
    drawn = st.session_state.get(_drawn_key(name))
    stored = st.session_state.get(_stored_key(name))
    if stored is None or stored.token == token or drawn is None or drawn.token != token:
        return False
    if drawn.fields:
        return _keyed_fields(name, token) == drawn.fields
    return time.monotonic() - drawn.at < REPEAT_SECONDS


def whole_number_input(
    label: str, *, value: int | None = None, key: str | None = None, container: Any = st, **options: Any
) -> float | None:
    """An input for a count that hands the data layer what was typed: "3.5" arrives as 3.5 and is refused there,
    naming the field, where an integer input would have cut it to 3 in the browser. (The browser's number field
    takes no letters, so "12abc" cannot be typed; a pasted or imported one is refused by the same check.) A field
    started in the session (:func:`start_fields`) takes ``value`` from there."""
    if key is None or key not in st.session_state:
        options["value"] = None if value is None else float(value)
    return container.number_input(label, step=1.0, format="%g", key=key, **options)


def save(
    name: str,
    operation: Callable[..., T],
    *args: Any,
    then: Callable[[T], object] | None = None,
    submitted: str | None = None,
    **kwargs: Any,
) -> T | None:
    """Run one data-layer write for the form ``name`` and show the outcome.

    Returns what the operation returned (for the same submission sent twice, what the first returned), or
    ``None`` when it was refused (the refusal is shown field by field in the user's language) or was the
    repeated tap of a save whose message is still on screen.

    ``then(result)`` runs once the write is stored and before the form is drawn afresh: keep there what the
    clerk reads next (the saved message). A second tap that stops this run after the commit then finds the form
    as it was, submits it again and is answered with the first write's result, ``then`` included; kept after
    the fresh form, the message would be lost with the stopped run.

    ``submitted``: the token of the form submitted, for a save made in its submit button's callback
    (:func:`submit_button`); its refusal is then kept for :func:`ui.messages.show_refusal` to show.
    """
    if repeats_last_save(name, submitted):
        return None
    token = submitted or current_token(name)
    try:
        result = perform(engine(), actor(), operation, *args, token=token, **kwargs)
    except DuplicateSubmission as repeat:
        stored = st.session_state.get(_stored_key(name))
        if repeat.result is not None:
            result = cast(T, repeat.result)  # the first write's result, as JSON keeps it (a tuple as a list)
        elif stored is not None and stored.token == token:
            result = stored.result  # a result JSON cannot hold, noted by the run that stored it
        else:
            refuse(name, t("error.duplicate_submission"), kept=submitted is not None, notice=True)
            return None
    except CommandPostError as refusal:
        refuse(name, refusal_text(refusal), kept=submitted is not None)
        return None
    st.session_state[_stored_key(name)] = Stored(token, result)
    note_data_version()
    if then is not None:
        then(result)
    st.session_state.pop(_token_key(name), None)
    return result


def submit_button(token: str, label: str, on_submit: Callable[[str], None], **options: Any) -> None:
    """The submit button of the form drawn with ``token``: a tap runs ``on_submit(token)`` as its callback,
    before the page is drawn (see the module). ``on_submit`` saves with :func:`save` passing
    ``submitted=token``, which keeps a refusal for :func:`ui.messages.show_refusal`, drawn where the form is."""
    st.form_submit_button(label, on_click=on_submit, args=(token,), **options)


def store(
    name: str,
    operation: Callable[..., object],
    *args: Any,
    said: str | Callable[[Any], str],
    slot: str | None = None,
    **kwargs: Any,
) -> None:
    """Save the form ``name`` with ``operation(*args, **kwargs)`` and, once stored, rerun with fresh figures and its
    saved message: ``said``, or ``said(result)``, kept for ``slot`` (the form's own name unless given) before the
    form is drawn afresh (see :func:`save`). A refusal is shown where the form is, and nothing reruns."""

    def stored(ctx: WriteContext, *values: Any, **options: Any) -> object:
        result = operation(ctx, *values, **options)
        return True if result is None else result

    def remember(result: object) -> None:
        remember_saved(slot or name, said(result) if callable(said) else said)

    if save(name, stored, *args, then=remember, **kwargs) is not None:
        st.rerun()


def start_afresh(name: str) -> None:
    """Draw the form ``name`` empty at the next run, as after its own save: for an entry stored another way
    (the correction of an earlier entry offered when this one was refused)."""
    st.session_state.pop(_token_key(name), None)
