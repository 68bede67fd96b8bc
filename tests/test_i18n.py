"""The message catalogs: both languages complete, placeholders consistent, locale formatting."""

from __future__ import annotations

import re
import string
from datetime import date
from pathlib import Path

import pytest
from babel.numbers import format_decimal

from data_layer.i18n import (
    LANGUAGES,
    LOCALES_DIR,
    babel_locale,
    catalog,
    format_day,
    format_number,
    format_short_number,
    translate,
)

ROOT = Path(__file__).resolve().parent.parent


def _placeholders(message: str | dict[str, str]) -> set[str]:
    """The placeholders of a message: of every form of a counted one."""
    texts = [message] if isinstance(message, str) else list(message.values())
    return {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_exists_in_both_languages():
    zh, en = catalog("zh_CN"), catalog("en")
    assert sorted(set(zh) - set(en)) == []
    assert sorted(set(en) - set(zh)) == []


def test_both_languages_have_the_same_namespace_files():
    names = {language: sorted(path.name for path in (LOCALES_DIR / language).glob("*.json")) for language in LANGUAGES}
    assert names["zh_CN"] == names["en"]


def test_placeholders_match_between_languages():
    zh, en = catalog("zh_CN"), catalog("en")
    mismatched = [key for key in zh if _placeholders(zh[key]) != _placeholders(en[key])]
    assert mismatched == []


def test_a_counted_message_takes_the_plural_form_of_its_count_in_english():
    assert translate("situation.alert.quarantine_fever", "en", count=1) == "Fever in quarantine: 1 reading"
    assert translate("situation.alert.quarantine_fever", "en", count=3) == "Fever in quarantine: 3 readings"
    assert translate("quarantine.page.released_count", "en", count=1) == "Released 1 person."
    assert translate("situation.alert.quarantine_fever", "en", count="1") == "Fever in quarantine: 1 reading"
    assert translate("supplies.page.imported", "en", count="1,909", file="a.csv") == "Imported 1,909 rows from “a.csv”."
    assert translate("situation.alert.quarantine_fever", "zh_CN", count=1) == "隔离人员发热 1 人次"


def test_every_counted_message_has_its_other_form_and_only_forms_the_language_has():
    """``other`` is the form of any count the language has no form of its own for; a form the language does not
    have (a typo such as "ones") would never be shown."""
    for language in LANGUAGES:
        categories = set(babel_locale(language).plural_form.tags) | {"other"}
        counted = {key: forms for key, forms in catalog(language).items() if isinstance(forms, dict)}
        assert all("other" in forms and set(forms) <= categories for forms in counted.values()), counted
        assert all(_placeholders(forms) & {"count", "days"} for forms in counted.values()), counted


def test_every_key_used_in_the_code_is_in_the_catalog():
    """Literal keys passed to t()/translate() in app code must exist, so no raw key reaches a screen."""
    pattern = re.compile(r"""\b(?:t|translate)\(\s*["']([a-z_]+\.[a-zA-Z0-9_.]+)["']""")
    sources = [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("data_layer/**/*.py")]
    used = {key for path in sources for key in pattern.findall(path.read_text(encoding="utf-8"))}
    missing = sorted(used - set(catalog("en")))
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_chinese_catalog_is_chinese_and_english_is_not(language):
    texts = [text for key, text in catalog(language).items() if key.endswith((".title", ".headline"))]
    has_cjk = [bool(re.search(r"[\u4e00-\u9fff]", text)) for text in texts]
    assert all(has_cjk) if language == "zh_CN" else not any(has_cjk)


@pytest.mark.parametrize("language", LANGUAGES)
def test_whole_numbers_are_written_exactly_as_babel_writes_them(language):
    """Whole numbers take a shortcut past Babel (see ``_integer_symbols``); it must not change a character."""
    for value in (0, 7, -7, 999, 1000, -1000, 32126, 1234567, -98765432, 10**15):
        assert format_number(value, language) == format_decimal(value, format="#,##0", locale=babel_locale(language))


def test_tile_numbers_stay_exact_below_a_hundred_thousand_and_shorten_from_there():
    assert format_short_number(99_999, "zh_CN") == "99,999"
    assert format_short_number(73.6, "en", 1) == "73.6"
    assert format_short_number(None, "en") == "—"
    assert format_short_number(152_797, "zh_CN") == "15.3万"
    assert format_short_number(152_797, "en") == "152.8K"
    assert format_short_number(-250_000, "zh_CN") == "-25万"
    assert format_short_number(123_456_789, "zh_CN") == "1.2亿"


def test_numbers_and_dates_follow_the_locale():
    assert format_number(32126, "en") == "32,126"
    assert format_number(1.25, "zh_CN", 1) in ("1.2", "1.3")
    assert format_number(None, "en") == "—"
    assert format_day(date(2026, 3, 1), "zh_CN") == "2026年3月1日"
    assert format_day(date(2026, 3, 1), "en") == "Mar 1, 2026"


def test_unknown_language_falls_back_to_chinese_and_english_variants_map_to_english():
    assert translate("app.title", "en-US") == catalog("en")["app.title"]
    assert translate("app.title", None) == catalog("zh_CN")["app.title"]
