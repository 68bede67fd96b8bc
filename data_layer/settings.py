"""Every setting of the command post, declared once: its variable, default, meaning and parser.

A setting is an environment variable ``COMMAND_POST_*``. Code reads it only through its :class:`Setting`
here (``settings.FEVER_THRESHOLD.value()``), which parses it the same way everywhere and names the variable
when its value is bad. :func:`check_all` runs at start-up (the app and every command), so a typo stops the
start with one clear message instead of failing on the first page that needs the value. The README's
configuration table is :func:`markdown_table`, and a test holds the two to each other.

Values are read on every call, not once at import, so a test (or an operator's restart) can change them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

T = TypeVar("T")


class SettingError(ValueError):
    """A setting's value cannot be used; the message names the variable and says what it must look like."""


@dataclass(frozen=True)
class Setting(Generic[T]):
    name: str
    default: str
    """The text used when the variable is unset or blank (``""``: no value)."""
    meaning: str
    """What the setting does, as the README's configuration table says it."""
    parse: Callable[[str], T]
    """Turns the text into the value, raising ``ValueError`` with what the text must look like."""
    shown_default: str | None = None
    """How the README shows the default, when not simply as ``default``."""

    def text(self) -> str:
        return os.environ.get(self.name, "").strip() or self.default

    def value(self) -> T:
        text = self.text()
        try:
            return self.parse(text)
        except (ValueError, ZoneInfoNotFoundError) as error:
            raise SettingError(f"{self.name}={text!r}: {error}") from None

    def readme_default(self) -> str:
        if self.shown_default is not None:
            return self.shown_default
        return f"`{self.default}`" if self.default else "none"


# Parsers ---------------------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def _text(text: str) -> str:
    return text


def _path(text: str) -> Path:
    """A file, relative to the project folder unless absolute."""
    return ROOT / text


def _optional_text(text: str) -> str | None:
    return text or None


def _zone_name(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be a time zone such as Asia/Shanghai") from None
    return text


def _number_between(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        if not low <= number <= high:
            raise ValueError(f"must be a number from {low:g} to {high:g}")
        return number

    return parse


def _whole_number_between(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return int(text)

    return parse


def _hours(text: str) -> tuple[int, ...]:
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() and int(part) <= 23 for part in parts):
        raise ValueError("must list start hours from 0 to 23 like 0,8,16")
    return tuple(sorted({int(part) for part in parts}))


MAX_PLANNED_DAYS = 60


def _days_by_code(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in filter(str.strip, text.split(",")):
        code, _, days = part.partition("=")
        if not code.strip() or not days.strip().isdigit() or not 1 <= int(days) <= MAX_PLANNED_DAYS:
            raise ValueError(f"{part.strip()!r} is not like close_contact=14 (days from 1 to {MAX_PLANNED_DAYS})")
        found[code.strip()] = int(days)
    return found


def _time_of_day(text: str) -> time:
    try:
        return datetime.strptime(text, "%H:%M").time()
    except ValueError:
        raise ValueError("must be a time of day such as 09:00") from None


def _bounds(text: str) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        raise ValueError("must be west,south,east,north in degrees") from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValueError("must be west,south,east,north in degrees, west of east and south of north")
    return west, south, east, north


def _url(text: str) -> str | None:
    if text and not re.match(r"https?://", text):
        raise ValueError("must be an http:// or https:// address")
    return text or None


# The settings ----------------------------------------------------------------------------------------------------

DB = Setting(
    "COMMAND_POST_DB", "sqlite:///data/command_post.db", "database URL (`--db` on the command line overrides it)", _text
)
TZ = Setting(
    "COMMAND_POST_TZ",
    "Asia/Shanghai",
    "the command post's local time zone; every date in the app is a local date",
    _zone_name,
)
SESSION_MINUTES = Setting(
    "COMMAND_POST_SESSION_MINUTES",
    "60",
    "minutes without activity after which a person is signed out (wall screens are exempt)",
    _number_between(1, 24 * 60),
)
SHIFTS = Setting("COMMAND_POST_SHIFTS", "0,8,16", "start hours of the checkpoint shifts", _hours)
HANDOVER_MINUTES = Setting(
    "COMMAND_POST_HANDOVER_MINUTES",
    "60",
    "for this many minutes (0–1440) after a shift ends, the shift entry form proposes that "
    "shift, whole, for the clerk handing over, rather than the one just begun; 0 always "
    "proposes the shift on duty",
    _whole_number_between(0, 24 * 60),
)
FEVER_THRESHOLD = Setting(
    "COMMAND_POST_FEVER_THRESHOLD", "37.3", "a temperature at or above this is a fever reading", _number_between(36, 40)
)
PLANNED_DAYS = Setting(
    "COMMAND_POST_PLANNED_DAYS",
    "",
    "quarantine days by origin category, e.g. `in_province_other_city=7,close_contact=14`",
    _days_by_code,
    shown_default="`14` for every category",
)
COVER_DAYS = Setting(
    "COMMAND_POST_COVER_DAYS",
    "14",
    "days of use (1–365) the supplies' quantity to request should cover: what brings the stock to "
    "that many days at the 7-day burn rate",
    _whole_number_between(1, 365),
)
AREA_GEOJSON = Setting(
    "COMMAND_POST_AREA_GEOJSON",
    "sample_data/area.geojson",
    "the area drawn under the checkpoint map: a GeoJSON FeatureCollection of polygons with a `name` "
    "property (shown as a label where it hides no checkpoint's name or dot) and `kind` (`grid` is drawn "
    "bold, anything else thin, e.g. `compound`); replace the sample's with your own grids and compounds",
    _path,
)
AREA_IMAGE = Setting(
    "COMMAND_POST_AREA_IMAGE",
    "",
    "a local image (PNG/JPEG) of the area plan drawn under the map; needs `COMMAND_POST_AREA_IMAGE_BOUNDS`",
    _optional_text,
)
AREA_IMAGE_BOUNDS = Setting(
    "COMMAND_POST_AREA_IMAGE_BOUNDS",
    "",
    "where the plan image lies: `west,south,east,north` in degrees, e.g. `114.287,30.5755,114.303,30.5905`",
    _bounds,
)
REFRESH_SECONDS = Setting(
    "COMMAND_POST_REFRESH_SECONDS",
    "60",
    "how often the wall screen is drawn again when nothing was entered, for what moves with the clock (the "
    "time its figures stand at, the day's turn); a stopped refresh for three intervals, or a server that has not "
    "answered for about ten seconds, shows the stale banner",
    _whole_number_between(2, 3600),
)
LIVE_CHECK_SECONDS = Setting(
    "COMMAND_POST_LIVE_CHECK_SECONDS",
    "1",
    "how often a page that follows the data live (the wall, the overview, a leader's domain pages) asks "
    "whether anything was entered, and is drawn again if so: a new entry shows within this interval",
    _whole_number_between(1, 3600),
)
KIOSK_RELOAD_HOURS = Setting(
    "COMMAND_POST_KIOSK_RELOAD_HOURS",
    "6",
    "a kiosk wall (`?kiosk=1`) reloads itself after this many hours (a fraction allowed; 0 never), once the "
    "server answers, so that a browser left on for days starts afresh before it slows down",
    _number_between(0, 24 * 365),
)
MORNING_MEETING = Setting(
    "COMMAND_POST_MORNING_MEETING",
    "09:00",
    "until this time of day the daily briefing opens on yesterday",
    _time_of_day,
)
NOTICE_TEMPLATE = Setting(
    "COMMAND_POST_NOTICE_TEMPLATE",
    "data_layer/templates/release_notice.docx",
    "the Word template of the release notice (解除隔离医学观察通知书); see `data_layer/templates/README.md`",
    _path,
)
IMPORT_MAX_ROWS = Setting(
    "COMMAND_POST_IMPORT_MAX_ROWS",
    "50000",
    "the most data rows an import file (upload or `import`) may have; a bigger file is refused "
    "before it is read. A file is stored in one transaction, and on SQLite every other clerk's "
    "save waits while it is stored: at 50,000 rows 0.7 s, up to 1.5 s when clerks save every "
    "second. Larger numbers make that wait longer",
    _whole_number_between(1, 10_000_000),
)
MAP_STYLE = Setting(
    "COMMAND_POST_MAP_STYLE",
    "",
    "URL of a map style (MapLibre style JSON) hosted on your LAN, drawn under the map; the server "
    "must allow cross-origin requests (CORS)",
    _url,
    shown_default="none (no basemap, works offline)",
)

BRIEFING_TIME = Setting(
    "COMMAND_POST_BRIEFING_TIME",
    "21:00",
    "local time of day from which the daily briefing is pushed to the configured channels (once a day)",
    _time_of_day,
)
PUBLIC_URL = Setting(
    "COMMAND_POST_PUBLIC_URL",
    "",
    "the app's address as the leaders open it (e.g. `https://command-post.example.org`); pushed messages link to it",
    _url,
    shown_default="none (messages carry no link)",
)
SILENT_HOURS = Setting(
    "COMMAND_POST_SILENT_HOURS",
    "9",
    "hours (1–72) without any entry after which an active checkpoint, or the store while stock is moving "
    "(counted from 08:00), is an alert (东门卡口 … 小时未报数) on the wall, in the briefing's actions and in "
    "pushes; keep it longer than a shift where clerks enter once at the end of each",
    _whole_number_between(1, 72),
)
ADMISSIONS_DAYS = Setting(
    "COMMAND_POST_ADMISSIONS_DAYS",
    "7",
    "days (1–60) up to the report date whose admissions to a centralized site, averaged, are the site's expected "
    "admissions per day in the 7-day beds outlook",
    _whole_number_between(1, 60),
)
NOTIFY_SECONDS = Setting(
    "COMMAND_POST_NOTIFY_SECONDS",
    "30",
    "how often the sender (`python -m data_layer notify`) looks for alerts and messages to send",
    _whole_number_between(5, 3600),
)

SETTINGS: tuple[Setting, ...] = (
    DB,
    TZ,
    SESSION_MINUTES,
    SHIFTS,
    HANDOVER_MINUTES,
    FEVER_THRESHOLD,
    PLANNED_DAYS,
    COVER_DAYS,
    AREA_GEOJSON,
    AREA_IMAGE,
    AREA_IMAGE_BOUNDS,
    REFRESH_SECONDS,
    LIVE_CHECK_SECONDS,
    KIOSK_RELOAD_HOURS,
    MORNING_MEETING,
    NOTICE_TEMPLATE,
    IMPORT_MAX_ROWS,
    MAP_STYLE,
    BRIEFING_TIME,
    PUBLIC_URL,
    SILENT_HOURS,
    ADMISSIONS_DAYS,
    NOTIFY_SECONDS,
)


def check_all() -> None:
    """Parse every setting; raises :class:`SettingError` naming each variable whose value is bad."""
    problems = []
    for setting in SETTINGS:
        try:
            setting.value()
        except SettingError as error:
            problems.append(str(error))
    if problems:
        raise SettingError("; ".join(problems))


def markdown_table() -> str:
    """The README's configuration table."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    lines += [f"| `{setting.name}` | {setting.readme_default()} | {setting.meaning} |" for setting in SETTINGS]
    return "\n".join(lines)
