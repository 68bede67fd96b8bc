"""How the text of a search box reaches SQL: trimmed, its wildcards taken literally, case-insensitive.

Every search of a list goes through :func:`contains`, so a ``%`` or ``_`` typed into a search box is a
character to find, never a pattern: a pattern would let a reader probe values they are not shown.
"""

from __future__ import annotations

import sqlalchemy as sa


def search_term(text: str | None) -> str | None:
    """The term a search box's text stands for; ``None`` when it is blank (no filter)."""
    term = (text or "").strip()
    return term or None


def contains(column: sa.ColumnElement[str], term: str) -> sa.ColumnElement[bool]:
    """Whether ``column`` holds ``term`` anywhere, ignoring case, with ``%``, ``_`` and the escape character
    of ``term`` taken literally."""
    return sa.func.lower(column).contains(term.lower(), autoescape=True)
