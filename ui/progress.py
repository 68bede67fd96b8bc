"""Progress of long work (imports, exports, bulk releases, backups): a bar while it runs, a summary after.

The data layer reports progress as ``progress(done, total)``; :func:`progress_bar`
hands the page such a callback drawing a ``st.progress`` bar, and
:func:`show_summary` ends the work with the rows written and the rows refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st

from data_layer.i18n import format_number
from ui.session import language, t

Progress = Callable[[int, int], None]


@contextmanager
def progress_bar(label: str) -> Iterator[Progress]:
    """A progress bar titled ``label`` for the work inside the ``with``; yields its ``progress(done, total)``.

    The bar disappears when the work ends, successful or not; the page then
    says what came of it (:func:`show_summary`, or the refusal).
    """
    bar = st.progress(0.0, text=label)

    def report(done: int, total: int) -> None:
        share = min(1.0, done / total) if total else 1.0
        bar.progress(share, text=t("progress.step", label=label, done=format_number(done, language()),
                                   total=format_number(total, language())))

    try:
        yield report
    finally:
        bar.empty()


def show_summary(written: int, refused: int = 0) -> None:
    """How long work ended: rows written and rows refused (a refused file writes none)."""
    text = t("progress.summary", written=format_number(written, language()),
             refused=format_number(refused, language()))
    if refused:
        st.error(text)
    else:
        st.success(text, icon=":material/check_circle:")
