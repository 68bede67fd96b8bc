"""The duty shifts of the checkpoints (三班倒), from the ``COMMAND_POST_SHIFTS`` setting; entry forms prefill
a count's period from the shift on duty."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from data_layer import clock, settings


def shift_starts() -> tuple[int, ...]:
    """The hours at which the duty shifts begin (三班倒: 0, 8 and 16 unless ``COMMAND_POST_SHIFTS`` says otherwise).

    The variable lists start hours such as ``"0,8,16"`` or ``"7,15,23"``; each
    shift lasts until the next one begins, the last one until the first of the
    next day.
    """
    return settings.SHIFTS.value()


def day_shifts(day: date) -> list[tuple[datetime, datetime]]:
    """The shifts that start on ``day``, in order, as (start, end)."""
    hours = shift_starts()
    starts = [datetime.combine(day, time(hour)) for hour in hours]
    ends = [*starts[1:], datetime.combine(day + timedelta(days=1), time(hours[0]))]
    return list(zip(starts, ends, strict=True))


def shift_for(moment: datetime) -> tuple[datetime, datetime]:
    """The shift that ``moment`` falls in, as (start, end); entry forms prefill their period from it."""
    candidates = day_shifts(moment.date() - timedelta(days=1)) + day_shifts(moment.date())
    return next((start, end) for start, end in candidates if start <= moment < end)


def current_shift() -> tuple[datetime, datetime]:
    """The shift that is on duty now."""
    return shift_for(clock.now())
