"""Command-post time.

Everything the users see and enter is in the command post's local time
(Asia/Shanghai unless ``COMMAND_POST_TZ`` says otherwise), and the store keeps
those local wall-clock values as they are, so that a report date in the
database is the same date a clerk wrote on the paper form.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from data_layer import settings


def local_timezone() -> ZoneInfo:
    return _zone(settings.TZ.text())


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    """The zone called ``name``, built once: the clock is read for every field of every imported row."""
    return ZoneInfo(name)


def now() -> datetime:
    """The current local time, naive, to the second, as it is stored."""
    return datetime.now(local_timezone()).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()


def figures_moment(day: date, at: datetime | None = None) -> datetime | None:
    """The moment ``day``'s figures stand at: ``at`` (:func:`now`, unless given) to the minute while the day is
    not over, ``None`` for a day that is over, whose figures stand at 24:00. The briefing says it (截至 16:10) and
    the alerts judge a checkpoint's silence at it. A cached read takes it as an argument, so that its time is that
    of the reading, not that of the first reading since the data last changed."""
    at = at or now()
    return at.replace(second=0, microsecond=0) if day >= at.date() else None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The half-open interval [00:00 of ``day``, 00:00 of the next day)."""
    start = datetime.combine(day, time())
    return start, start + timedelta(days=1)
