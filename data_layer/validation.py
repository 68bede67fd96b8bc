"""Turning what a user typed into typed values, or into field messages.

Values arrive as Python values from a form or as text from an import file;
:class:`Checks` accepts both, collects every problem instead of stopping at
the first, and raises one :class:`ValidationError` naming each field. The
domain modules describe their own rules with it, so a page, the command line
and an import all refuse the same input with the same words.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import NoReturn, TypeVar

from data_layer import clock
from data_layer.errors import FieldError, RowsRejected, ValidationError

MAX_COUNT = 10_000_000
LARGEST_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
EARLIEST_YEAR = 1900
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Characters that change the direction text is shown in: embeddings and overrides, isolates, and the marks. In
# a name one makes "卡口\u202egpj.exe" read as another name in every list and alert that shows it.
DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
TRUE_WORDS = {"1", "true", "yes", "y", "是", "t", "有", "√", "✓", "✔", "启用"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "f", "无", "没有", "×", "✗", "✘", "停用"}
"""The words of a yes/no field, as clerks write them: 是/否, 有/无 (症状), √/×, 启用/停用, 1/0, yes/no."""
EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_SERIALS = (18_264, 2_958_465)
"""The day numbers of Excel's calendar read as dates (1950-01-01 to 9999-12-31): a date cell saved as a number."""
DATE_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:(?:\s+|T|日)?\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
)
"""A date, maybe with a time, as clerks type it (after NFKC): 2022年3月5日 16:00, 2022.3.5, 2022/03/05 00:00:00,
2022-3-5 8:00."""
DATE_WITHOUT_YEAR = re.compile(r"\d{1,2}\s*[月/.-]\s*\d{1,2}\s*日?(\s.*)?")
TEMPERATURE_UNITS = ("°C", "°c", "度")
NUMBER_AS_TEXT = re.compile(r"\d+(\.\d+)?[eE]\+?\d+")
MAX_EXACT_DIGITS = 15
"""The most digits a spreadsheet keeps of a number: a longer ID number stored as a number has lost its end."""
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
T = TypeVar("T")


def is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, float) and math.isnan(value))


def as_id(value: object) -> int | None:
    """A row id that arrived as a number or as digits; ``None`` when it cannot be one (the store's ids
    are positive 32-bit integers, so a longer number is no id rather than a database error)."""
    if isinstance(value, bool):
        return None
    text = str(value).strip()
    number = value if isinstance(value, int) else int(text) if text.isdigit() and len(text) <= 10 else None
    return number if number is not None and 0 < number <= LARGEST_ID else None


def lookup_name(value: object) -> str | None:
    """The text a lookup by name compares with stored names; ``None`` when it cannot name a stored row: text
    with a NUL character, which stored text never holds and PostgreSQL refuses even to compare."""
    text = str(value).strip()
    return None if "\x00" in text else text


def resolve_reference(
    value: object, by_id: Callable[[int], T | None], by_name: Callable[[str], T | None], *, text_may_be_id: bool = True
) -> T | None:
    """The row a form or a file refers to by ``value`` (checkpoints, supply items, sites, enterprises): an int
    is an id; text is a name, or else (when ``text_may_be_id``) digits that are an id."""
    if isinstance(value, int) and not isinstance(value, bool):
        row_id = as_id(value)
        return None if row_id is None else by_id(row_id)
    name = lookup_name(value)
    row = None if name is None else by_name(name)
    if row is None and text_may_be_id and (row_id := as_id(value)) is not None:
        row = by_id(row_id)
    return row


def id_number_is_valid(id_number: str) -> bool:
    """An 18-character resident ID number with a correct check character (GB 11643)."""
    if not re.fullmatch(r"\d{17}[\dX]", id_number):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(id_number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11] == id_number[17]


def id_check_char(first_17_digits: str) -> str:
    """The check character that completes an ID number (for generating sample data)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_17_digits, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


class Checks:
    """Collects field errors for one record; each method returns the parsed value or ``None``."""

    def __init__(self, namespace: str, now: datetime | None = None):
        self.namespace = namespace
        self.errors: list[FieldError] = []
        self._now = now

    def now(self) -> datetime:
        """The moment that dates and times may not lie after: the clock's, or the one of a whole batch
        of rows when one was given (a file of many rows is checked against one moment)."""
        return clock.now() if self._now is None else self._now

    def today(self) -> date:
        return clock.today() if self._now is None else self._now.date()

    def label(self, field: str) -> str:
        return f"{self.namespace}.field.{field}"

    def fail(self, field: str, key: str, **params: object) -> None:
        """Record that ``field`` breaks the rule ``key`` (a catalog key)."""
        self.errors.append(FieldError(field=field, label=self.label(field), key=key, params=params))

    def has_error(self, field: str) -> bool:
        return bool(self.errors) and any(error.field == field for error in self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

    def refuse(self, field: str, key: str, **params: object) -> NoReturn:
        """Refuse the record now: ``field`` breaks the rule ``key``, reported with every problem found so far."""
        self.fail(field, key, **params)
        raise ValidationError(self.errors)

    def passed(self, value: T | None) -> T:
        """``value`` as a required check returned it, once every check passed (else the record is refused here):
        a required check returns ``None`` only when it failed, so the value the caller stores is never ``None``."""
        self.raise_if_any()
        if value is None:
            raise ValueError("a value that passed no required check")
        return value

    def text(self, value: object, field: str, *, required: bool = True, max_length: int = 200) -> str | None:
        if self._missing(value, field, required):
            return None
        text = str(value).strip()
        if len(text) > max_length:
            self.fail(field, "error.too_long", max=max_length)
            return None
        if CONTROL_CHARACTERS.search(text):
            self.fail(field, "error.control_character")
            return None
        return text

    def name(self, value: object, field: str, *, required: bool = True, max_length: int = 100) -> str | None:
        """The name of a person, checkpoint, site, item, enterprise or account: a :meth:`text` without any
        character that changes the direction of text (a right-to-left override can make one name read as
        another wherever it is listed)."""
        text = self.text(value, field, required=required, max_length=max_length)
        if text is not None and DIRECTION_CONTROLS.search(text):
            self.fail(field, "error.bidi_control")
            return None
        return text

    def _missing(self, value: object, field: str, required: bool) -> bool:
        """Whether ``value`` is blank (a refusal when the field is required)."""
        if not is_blank(value):
            return False
        if required:
            self.fail(field, "error.required")
        return True

    def _parsed(
        self, value: object, field: str, parse: Callable[[object], T | None], key: str | Callable[[], str]
    ) -> T | None:
        """``value`` as ``parse`` reads it, or a refusal under ``key``; a ``key`` that must look at the value (why a
        date is refused) is a function, asked only when the value is refused: an import checks every row's dates."""
        parsed = parse(value)
        if parsed is None:
            self.fail(field, key if isinstance(key, str) else key(), value=_shown(value))
        return parsed

    def _within(self, number: float, field: str, minimum: float | None, maximum: float | None) -> bool:
        if minimum is not None and number < minimum:
            self.fail(field, "error.below_minimum", minimum=minimum)
            return False
        if maximum is not None and number > maximum:
            self.fail(field, "error.above_maximum", maximum=maximum)
            return False
        return True

    def integer(
        self,
        value: object,
        field: str,
        *,
        required: bool = True,
        minimum: int | None = 0,
        maximum: int | None = MAX_COUNT,
    ) -> int | None:
        """A whole number; counts are ≥ 0 and below ten million unless said otherwise, and no number
        is larger than the store can hold (an id, at most)."""
        if self._missing(value, field, required):
            return None
        number = self._parsed(value, field, _as_integer, "error.not_integer")
        ceiling = LARGEST_ID if maximum is None or maximum > LARGEST_ID else maximum
        return number if number is not None and self._within(number, field, minimum, ceiling) else None

    def number(
        self,
        value: object,
        field: str,
        *,
        required: bool = True,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float | None:
        if self._missing(value, field, required):
            return None
        number = self._parsed(value, field, _as_float, "error.not_number")
        return number if number is not None and self._within(number, field, minimum, maximum) else None

    def day(self, value: object, field: str, *, required: bool = True, not_future: bool = True) -> date | None:
        """A calendar date (YYYY-MM-DD); entries may not be dated after today."""
        if self._missing(value, field, required):
            return None
        parsed = self._parsed(value, field, _as_date, lambda: _date_refusal(value, "error.not_a_date"))
        if parsed is not None and parsed.year < EARLIEST_YEAR:
            self.fail(field, "error.too_early", year=EARLIEST_YEAR)
            return None
        if parsed is not None and not_future and parsed > self.today():
            self.fail(field, "error.future_date")
            return None
        return parsed

    def moment(self, value: object, field: str, *, required: bool = True, not_future: bool = True) -> datetime | None:
        """A local date and time (YYYY-MM-DD HH:MM); entries may not lie in the future."""
        if self._missing(value, field, required):
            return None
        parsed = self._parsed(value, field, _as_datetime, lambda: _date_refusal(value, "error.not_a_datetime"))
        if parsed is not None and parsed.year < EARLIEST_YEAR:
            self.fail(field, "error.too_early", year=EARLIEST_YEAR)
            return None
        if parsed is not None and not_future and parsed > self.now():
            self.fail(field, "error.future_time")
            return None
        return parsed

    def flag(self, value: object, field: str, *, default: bool | None = None) -> bool | None:
        """A yes/no field: 是/否, 有/无, √/×, 启用/停用, 1/0, true/false or yes/no."""
        if is_blank(value):
            if default is None:
                self.fail(field, "error.required")
            return default
        if isinstance(value, bool):
            return value
        word = typed_text(value).lower()
        if word.endswith(".0"):
            word = word[:-2]
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        self.fail(field, "error.not_a_flag", value=_shown(value))
        return None

    def choice(
        self,
        value: object,
        field: str,
        codes: Iterable[str],
        *,
        labels: dict[str, str] | None = None,
        required: bool = True,
    ) -> str | None:
        """A coded value: one of ``codes`` in any case, or a Chinese word for one (``labels`` maps word → code).
        A refusal lists the words with their codes."""
        if self._missing(value, field, required):
            return None
        word = typed_text(value)
        codes = list(codes)
        by_word = {code.lower(): code for code in codes} | {
            typed_text(label): code for label, code in (labels or {}).items()
        }
        code = by_word.get(word) or by_word.get(word.lower())
        if code is not None:
            return code
        self.fail(field, "error.not_a_choice", value=_shown(word), choices=_choices_text(codes, labels or {}))
        return None

    def identifier(self, value: object, field: str, *, required: bool = True, max_length: int = 40) -> str | None:
        """A code written in digits, such as an ID number, as text: one a spreadsheet stored as a number
        (4.2010219850312e+17) has lost its last digits, and is refused with the hint to format the column as text."""
        if self._missing(value, field, required):
            return None
        if _stored_as_number(value):
            self.fail(field, "error.number_not_text", value=_shown(value))
            return None
        return self.text(value, field, required=required, max_length=max_length)


def typed_text(value: object) -> str:
    """What a person typed, compared as meant: NFKC (full-width digits, letters and colons half-width), trimmed."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _choices_text(codes: list[str], labels: dict[str, str]) -> str:
    """Each code with the words for it: 上午/早/AM, 下午/晚/PM."""
    return ", ".join(
        "/".join([*(label for label, labelled in labels.items() if labelled == code), code]) for code in codes
    )


def _stored_as_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return True
    if isinstance(value, int):
        return len(str(abs(value))) > MAX_EXACT_DIGITS
    return bool(NUMBER_AS_TEXT.fullmatch(typed_text(value)))


def _date_refusal(value: object, key: str) -> str:
    """The reason a date is refused: the usual one, or that it lacks its year (3月5日)."""
    return "error.date_without_year" if DATE_WITHOUT_YEAR.fullmatch(typed_text(value)) else key


def raise_if_any_row(row_checks: Sequence[Checks]) -> None:
    """Refuse a batch of rows, each checked on its own :class:`Checks`, when any row failed a check;
    the refusal names each bad row by its position in the batch."""
    problems = [(position, error) for position, checks in enumerate(row_checks) for error in checks.errors]
    if problems:
        raise RowsRejected(problems)


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


STRICT_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
STRICT_MINUTE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}")  # read by fromisoformat, numbers as written


def _as_integer(value: object) -> int | None:
    if isinstance(value, str) and value.isdecimal() and len(value) <= 18:
        return int(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = typed_text(value).replace(",", "")
    if re.fullmatch(r"[+-]?\d{1,18}", text):
        return int(text)
    if re.fullmatch(r"[+-]?\d{1,18}\.0+", text):
        return int(text.split(".")[0])
    return None


def parse_number(value: object) -> float | None:
    """A number as a form or a file gives it (full-width digits, thousands separators, a temperature's unit),
    or ``None``."""
    return _as_float(value)


def _as_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            return None
    else:
        text = typed_text(value).replace(",", "")
        text = next((text.removesuffix(unit).strip() for unit in TEMPERATURE_UNITS if text.endswith(unit)), text)
        if not re.fullmatch(r"[+-]?(\d{1,15}(\.\d*)?|\.\d+)", text):
            return None
        number = float(text)
    return number if math.isfinite(number) else None


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if STRICT_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    moment = _typed_moment(value)
    return None if moment is None else moment.date()


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    text = str(value).strip()
    if STRICT_MINUTE.fullmatch(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    if _excel_serial(value) is None and not _has_time(text):
        return None
    return _typed_moment(value)


def _has_time(text: str) -> bool:
    match = DATE_TEXT.fullmatch(typed_text(text))
    return match is not None and match.group(4) is not None


def _typed_moment(value: object) -> datetime | None:
    """A date and time as clerks write it (:data:`DATE_TEXT`), or an Excel day number; midnight when the
    time is not given."""
    serial = _excel_serial(value)
    if serial is not None:
        return datetime.combine(EXCEL_EPOCH, datetime.min.time()) + timedelta(minutes=round(serial * 24 * 60))
    match = DATE_TEXT.fullmatch(typed_text(value).replace("T", " "))
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _excel_serial(value: object) -> float | None:
    """An Excel day number (a date cell saved as a number), or ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value) if EXCEL_SERIALS[0] <= value <= EXCEL_SERIALS[1] else None
