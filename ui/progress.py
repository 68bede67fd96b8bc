"""Progress of long work (imports, exports, bulk releases, backups): a bar while it runs, a summary after.

The data layer reports progress as ``progress(done, total)``; :func:`progress_bar`
hands the page such a callback drawing a ``st.progress`` bar, and
:func:`show_summary` ends the work with the rows written and the rows refused.
A file made for download (an export, a backup) is made once, when asked for,
with the bar showing, and kept for its download button (:func:`offer_file`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import streamlit as st

from data_layer.i18n import format_number
from ui.session import language, t

Progress = Callable[[int, int], None]
T = TypeVar("T")


@contextmanager
def progress_bar(label: str) -> Iterator[Progress]:
    """A progress bar titled ``label`` for the work inside the ``with``; yields its ``progress(done, total)``.

    The bar disappears when the work ends, successful or not; the page then
    says what came of it (:func:`show_summary`, or the refusal).
    """
    bar = st.progress(0.0, text=label)

    def report(done: int, total: int) -> None:
        share = min(1.0, done / total) if total else 1.0
        bar.progress(
            share,
            text=t(
                "progress.step",
                label=label,
                done=format_number(done, language()),
                total=format_number(total, language()),
            ),
        )

    try:
        yield report
    finally:
        bar.empty()


def show_summary(written: int, refused: int = 0) -> None:
    """How long work ended: rows written and rows refused (a refused file writes none)."""
    text = t("progress.summary", written=format_number(written, language()), refused=format_number(refused, language()))
    if refused:
        st.error(text)
    else:
        st.success(text, icon=":material/check_circle:")


def made_file(file_name: str, build: Callable[[Path], T]) -> tuple[bytes, T]:
    """Let ``build`` write ``file_name`` into a temporary folder; the file's bytes and what ``build`` returned."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / file_name
        result = build(path)
        return path.read_bytes(), result


def keep_file(slot: str, file_name: str, data: bytes, rows: int | None = None) -> None:
    """Keep a made file for :func:`offer_file` over the reruns that follow (until another is made)."""
    st.session_state[f"made_file:{slot}"] = {"name": file_name, "data": data, "rows": rows}


def offer_file(slot: str, label: str, mime: str) -> None:
    """The download button of the file last made for ``slot``, with its summary, if one was made."""
    made = st.session_state.get(f"made_file:{slot}")
    if made is None:
        return
    if made["rows"] is not None:
        show_summary(made["rows"])
    st.download_button(
        label,
        made["data"],
        file_name=made["name"],
        mime=mime,
        on_click="ignore",
        icon=":material/download:",
        key=f"download:{slot}",
    )
