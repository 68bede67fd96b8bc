"""The quarantine settings (fever threshold, planned days per origin category, the origin categories they
add) and how the domain's codes are written for users."""

from __future__ import annotations

from collections.abc import Iterable

from data_layer import settings
from data_layer.i18n import translate
from data_layer.quarantine.tables import DEFAULT_ORIGIN_CATEGORIES, DEFAULT_PLANNED_DAYS, DOMAIN


def fever_threshold() -> float:
    """The temperature (°C) from which a reading counts as fever: ``COMMAND_POST_FEVER_THRESHOLD``, else 37.3."""
    return settings.FEVER_THRESHOLD.value()


def planned_days_setting() -> dict[str, int]:
    """Planned days per origin category from ``COMMAND_POST_PLANNED_DAYS`` (``close_contact=14,abroad=21``).

    A category named there that is not one of the default codes is added to
    the list of origin categories, so one setting configures both.
    """
    return settings.PLANNED_DAYS.value()


def origin_categories() -> tuple[str, ...]:
    """The origin category codes in use: the defaults of design §4.2 plus any configured ones."""
    extra = [code for code in planned_days_setting() if code not in DEFAULT_ORIGIN_CATEGORIES]
    return (*DEFAULT_ORIGIN_CATEGORIES, *extra)


def planned_days_for(origin_category: str) -> int:
    """The default quarantine period for an origin category (14 days unless configured)."""
    return planned_days_setting().get(origin_category, DEFAULT_PLANNED_DAYS)


def code_label(code: str, language: str = "zh_CN") -> str:
    """How a code (mode, status, slot, origin category, change kind) is written for users."""
    return translate(f"{DOMAIN}.code.{code}", language)


CLERKS_WORDS = {"AM": ("早",), "PM": ("晚",)}
"""Further words clerks write for a code, besides its label (a follow-up's 时段 as 早/晚)."""


def codes_by_chinese_label(codes: Iterable[str]) -> dict[str, str]:
    """Chinese label (and the other words clerks use for it) → code, from the zh_CN catalog, so imports and
    forms may use either."""
    return {word: code for code in codes for word in (code_label(code, "zh_CN"), *CLERKS_WORDS.get(code, ()))}
