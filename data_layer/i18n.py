"""Message catalogs and locale formatting.

Every string a user reads comes from ``locales/<language>/<namespace>.json``:
flat JSON objects whose keys are shared by both languages. One file per
namespace (``common``, ``checkpoints``, ``quarantine`` …) keeps each domain's
words beside each other; all files of a language are merged into one catalog.
Placeholders use ``str.format`` names: ``"{count} 人"``.

A message that counts something may have a form per plural category of the
language, as CLDR names them (``one``, ``other`` …): ``{"one": "{count}
reading", "other": "{count} readings"}``. English needs it ("1 reading", "2
readings"); Chinese does not, and keeps one text.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_skeleton as babel_format_skeleton
from babel.numbers import (
    NumberFormatError,
    NumberPattern,
    format_compact_decimal,
    format_decimal,
    get_group_symbol,
    get_minus_sign_symbol,
    parse_decimal,
    parse_pattern,
)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"


Message = str | dict[str, str]
"""One text, or the texts of a counted message by plural category (at least ``other``)."""


@cache
def catalog(language: str) -> dict[str, Message]:
    """All messages of one language, merged from its namespace files."""
    messages: dict[str, Message] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.json")):
        for key, text in json.loads(path.read_text(encoding="utf-8")).items():
            if key in messages:
                raise ValueError(f"message key {key!r} is defined twice ({path.name})")
            messages[key] = text
    return messages


@cache
def babel_locale(language: str | None) -> Locale:
    """The Babel locale of a language, parsed once: parsing a locale name scans every locale Babel knows,
    which costs more than the formatting itself when a page formats thousands of numbers and dates."""
    return Locale.parse(normalize_language(language))


def normalize_language(language: str | None) -> str:
    """Map what a URL or a browser says (``en``, ``en-US``, ``zh``) to a catalog name."""
    if not language:
        return DEFAULT_LANGUAGE
    return "en" if language.lower().startswith("en") else DEFAULT_LANGUAGE


def translate(key: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The message ``key`` in ``language``; an unknown key shows itself, so a gap is visible. A counted message
    takes the form of its number's plural category in the language: ``count``, or ``days`` for a span."""
    language = normalize_language(language)
    message = catalog(language).get(key, key)
    counted = params.get("count", params.get("days"))
    text = message if isinstance(message, str) else plural_form(message, language, counted)
    return text.format(**params) if params else text


def plural_form(forms: dict[str, str], language: str, count: object) -> str:
    """The form of a counted message for ``count``, a number or a number written as the locale writes it
    ("1,909": an alert's counts come formatted); ``other`` when the language has no form of its own for it, or
    nothing was counted."""
    locale = babel_locale(language)
    if isinstance(count, str):
        try:
            count = parse_decimal(count, locale=locale, strict=True)
        except NumberFormatError:
            count = None
    category = locale.plural_form(count) if isinstance(count, int | float | Decimal) else "other"
    return forms.get(category, forms["other"])


SHORT_FROM = 100_000


def format_number(value: float | int | None, language: str = DEFAULT_LANGUAGE, digits: int = 0) -> str:
    """A number as the locale writes it; ``None`` (no value, e.g. no burn rate) is a dash."""
    if value is None:
        return "—"
    if digits == 0 and type(value) is int:
        group, minus = _integer_symbols(normalize_language(language))
        grouped = f"{abs(value):,}".replace(",", group)
        return minus + grouped if value < 0 else grouped
    return format_decimal(value, format=_number_pattern(digits), locale=babel_locale(language))


def format_short_number(value: float | int | None, language: str = DEFAULT_LANGUAGE, digits: int = 0) -> str:
    """A number for a wall-screen tile: as :func:`format_number` writes it below :data:`SHORT_FROM`, and from
    there on in the locale's compact form (15.3万, 152.8K), since a tile read from across the room has room
    for six characters; the briefing and the tables keep every digit."""
    if value is None or abs(value) < SHORT_FROM:
        return format_number(value, language, digits)
    return format_compact_decimal(value, locale=babel_locale(language), fraction_digits=1)


@cache
def _integer_symbols(language: str) -> tuple[str, str]:
    """The locale's thousands separator and minus sign: a whole number is written with them directly, as
    Babel would, because Babel's general formatting costs some 40 µs a number and a district's map and tables
    format thousands of counts in every run."""
    locale = babel_locale(language)
    return get_group_symbol(locale=locale), get_minus_sign_symbol(locale=locale)


@cache
def _number_pattern(digits: int) -> NumberPattern:
    """Grouped thousands with ``digits`` decimals, parsed once."""
    return parse_pattern("#,##0" + ("." + "0" * digits if digits else ""))


def format_day(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """A date the way the locale writes it in running text (2026年11月23日 / Nov 23, 2026)."""
    return babel_format_date(
        day, format="long" if normalize_language(language) == "zh_CN" else "medium", locale=babel_locale(language)
    )


def format_month_day(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """A day of the coming week, without its year (12月6日 / Dec 6)."""
    return babel_format_skeleton("MMMd", day, locale=babel_locale(language))


def format_day_of_month(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """A day of the coming week by its number in the month alone (7日 / 7), where a row of days has no room for
    more (the columns of the beds outlook on the wall)."""
    return babel_format_skeleton("d", day, locale=babel_locale(language))


def format_moment(moment: datetime, language: str = DEFAULT_LANGUAGE) -> str:
    return babel_format_datetime(moment, format="short", locale=babel_locale(language))
