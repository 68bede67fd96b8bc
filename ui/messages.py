"""Messages drawn on a page: alerts that are part of the content, and the note that a save succeeded.

An alert about the data (a fever reading, an item out of stock, an overdue
rectification) is content and is drawn as a coloured line: Streamlit's error
and warning boxes are kept for refused input and for a page that failed.
"""

from __future__ import annotations

import streamlit as st

from data_layer.errors import CommandPostError
from data_layer.markdown import plain
from ui.session import language

SAVED_MESSAGE_KEY = "saved_message:{slot}"
REFUSAL_KEY = "refusal:{slot}"


def content_alert(text: str, colour: str = "red") -> None:
    st.markdown(f":{colour}-background[⚠ {text}]")


def content_ok(text: str) -> None:
    st.markdown(f":green-background[✓ {text}]")


def remember_saved(slot: str, text: str) -> None:
    """Keep a saved message over the rerun that follows a save, until the next save in ``slot`` replaces it."""
    st.session_state[SAVED_MESSAGE_KEY.format(slot=slot)] = text


def show_saved(slot: str) -> None:
    """The last saved message of ``slot``. It stays until the next entry is saved: a clerk who looks up from the
    phone a minute later, or whose second tap of a double tap submitted the fresh form, still reads what was
    stored."""
    text = st.session_state.get(SAVED_MESSAGE_KEY.format(slot=slot))
    if text:
        st.success(text, icon=":material/check_circle:")


def refuse(slot: str, text: str, kept: bool = False, notice: bool = False) -> None:
    """Show why a form's save stored nothing (an error, or a ``notice`` in blue), or, ``kept``, keep it for the
    run under way to show where the form is (:func:`show_refusal`): a save made in a submit button's callback,
    before the page is drawn, would otherwise draw it at the top of the page."""
    if kept:
        st.session_state[REFUSAL_KEY.format(slot=slot)] = (text, notice)
    else:
        (st.info if notice else st.error)(text)


def show_refusal(slot: str) -> None:
    """The refusal kept for ``slot`` (:func:`refuse`), once: the form beside it still holds what was typed."""
    kept = st.session_state.pop(REFUSAL_KEY.format(slot=slot), None)
    if kept is not None:
        text, notice = kept
        refuse(slot, text, notice=notice)


def refusal_lines(refusal: CommandPostError) -> list[str]:
    """The refusal's messages in the user's language, as Markdown that shows a value the user typed (a name,
    a file's cell) as typed: the messages quote such values."""
    return [plain(message) for message in refusal.messages(language())]


def refusal_text(refusal: CommandPostError) -> str:
    return "\n\n".join(refusal_lines(refusal))
