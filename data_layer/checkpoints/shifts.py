"""The duty shifts of the checkpoints (三班倒), from the ``COMMAND_POST_SHIFTS`` setting; entry forms prefill
a count's period from the shift the clerk means (:func:`proposed_shift`)."""

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


def proposed_shift(moment: datetime | None = None) -> tuple[datetime, datetime]:
    """The shift an entry form proposes at ``moment`` (now): the shift that has just ended while the clerk
    handing over is still entering it (within ``COMMAND_POST_HANDOVER_MINUTES`` of its end), else the one on duty.

    At 16:05 the clerk of 08:00–16:00 enters their whole shift; proposing 16:00–24:00 would store a
    five-minute stub that the full entry of that shift later collides with.
    """
    moment = moment or clock.now()
    start, end = shift_for(moment)
    if moment - start < timedelta(minutes=settings.HANDOVER_MINUTES.value()):
        return shift_for(start - timedelta(minutes=1))
    return start, end
