"""What a person may see of a quarantined person's ID and phone numbers (design §8): the one home of masking.

Administrators see numbers in full; every other role sees them masked, wherever they appear: in the columns
that hold them, and inside any text a clerk typed (a reason, a note, a symptom text, a counterparty), where
an ID number may be written with spaces and a phone number with separators or a country code. Every page
reads through :func:`presented`; every download masks its rows before it writes them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, overload

import sqlalchemy as sa

from data_layer.db import Actor
from data_layer.permissions import shows_personal_numbers


@dataclasses.dataclass(frozen=True)
class Mask:
    """How many leading and trailing characters of a personal number stay visible when it is masked.

    The one definition of what a masked number shows: the masks below, and the register search of the roles
    that see masked numbers, which may match only these visible characters (never the hidden ones)."""

    head: int
    tail: int

    def apply(self, number: str | None) -> str | None:
        if not number:
            return number
        if len(number) <= self.head + self.tail:
            return "*" * len(number)
        return number[: self.head] + "*" * (len(number) - self.head - self.tail) + number[-self.tail :]

    def visible_parts(self, column: sa.ColumnElement[str]) -> tuple[sa.ColumnElement[str], ...]:
        """The visible head and tail of ``column`` in SQL; empty strings when the whole number is masked."""
        shown = sa.func.length(column) > self.head + self.tail
        head = sa.func.substr(column, 1, self.head)
        tail = sa.func.substr(column, sa.func.length(column) - self.tail + 1)
        return tuple(sa.case((shown, part), else_="") for part in (head, tail))


ID_NUMBER_MASK = Mask(head=4, tail=4)
PHONE_MASK = Mask(head=3, tail=4)
_SEPARATOR = r"[ \u3000\-–—.]?"
ID_NUMBER_IN_TEXT = re.compile(r"(?<![\dA-Za-z])\d(?:" + _SEPARATOR + r"\d){16}" + _SEPARATOR + r"[\dXx](?![\dA-Za-z])")
"""An 18-character ID number inside text, whole or in groups of any size (6-8-4, 4-4-4-4-2)."""
PHONE_IN_TEXT = re.compile(r"(?<![\d+])(?:(?:\+|00)86" + _SEPARATOR + r")?1(?:" + _SEPARATOR + r"\d){10}(?!\d)")
"""A mobile number inside text: 11 digits from 1, whole or grouped (3-4-4) with spaces or dashes, or after +86."""


def mask_id_number(id_number: str | None) -> str | None:
    """An ID number with only its first 4 and last 4 characters shown (``1101**********123X``)."""
    return ID_NUMBER_MASK.apply(id_number)


@overload
def mask_phone(phone: str) -> str: ...
@overload
def mask_phone(phone: None) -> None: ...
def mask_phone(phone: str | None) -> str | None:
    """A phone number with only its first 3 and last 4 digits shown (``138****5678``)."""
    return PHONE_MASK.apply(phone)


def _digits(text: str) -> str:
    return re.sub(r"[^\dXx]", "", text)


def mask_numbers_in_text(text: str) -> str:
    """``text`` with every ID number and mobile number in it masked as the number columns are."""
    text = ID_NUMBER_IN_TEXT.sub(lambda match: mask_id_number(_digits(match.group(0)).upper()) or "", text)
    return PHONE_IN_TEXT.sub(lambda match: mask_phone(_digits(match.group(0))[-11:]) or "", text)


def sees_full_numbers(actor: Actor | None) -> bool:
    return actor is not None and shows_personal_numbers(actor)


def present_text(text: str | None, actor: Actor | None) -> str | None:
    """Free text as ``actor`` may see it: personal numbers in it masked unless they see numbers in full."""
    if not text or sees_full_numbers(actor):
        return text
    return mask_numbers_in_text(text)


def presented(value: Any, actor: Actor | None) -> Any:
    """A read's result as ``actor`` may see it: every text in it, at any depth (rows, lists of rows, figures,
    alerts), with the personal numbers in it masked. The result itself is left unchanged (it may be cached)."""
    if sees_full_numbers(actor):
        return value
    return masked(value)


def masked(value: Any) -> Any:
    """``value`` with the personal numbers in every text in it masked, at any depth; ``value`` is left as it is."""
    if isinstance(value, str):
        return mask_numbers_in_text(value)
    if isinstance(value, Mapping):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple) and not hasattr(value, "_fields"):
        return type(value)(masked(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value,
            **{field.name: masked(getattr(value, field.name)) for field in dataclasses.fields(value) if field.init},
        )
    return value
