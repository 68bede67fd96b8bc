"""The sample community's checkpoints and their three-shift counts.

Eight checkpoints within about a kilometre of the community centre: five
compound gates, two road checkpoints and a bus-station post. One gate was
closed half-way through the period (its flow moved to the neighbouring gate),
and one road checkpoint has not sent anything today, so the wall screen has a
"not reported" alarm to show. Magnitudes follow DOMAIN.md: a compound gate
checks a few hundred people per day shift and few at night; roads see more
vehicles than people; a few fever readings over the month and a few people
turned back per day; the station is closed at night and sends zero reports.
Every row goes through the domain's write functions, so it is validated and
audited like a clerk's entry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from data_layer import clock
from data_layer.checkpoints import (
    add_checkpoint,
    add_count,
    add_zero_report,
    correct_count,
    day_shifts,
    set_checkpoint_active,
    shift_for,
)
from data_layer.db import WriteContext
from sample_data.community import CENTER, Community

CHECKPOINTS = (
    ("锦绣花园东门", "第一网格", "compound_gate"),
    ("春晖小区南门", "第一网格", "compound_gate"),
    ("和平里北门", "第二网格", "compound_gate"),
    ("东风新村正门", "第三网格", "compound_gate"),
    ("光明大道公交站监测点", "第三网格", "station"),
    ("翠竹园西门", "第四网格", "compound_gate"),
    ("滨河路口卡口", "第四网格", "road"),
    ("光明村村口卡口", "第五网格", "road"),
)
CLOSED = "翠竹园西门"
SILENT_TODAY = "光明村村口卡口"
CORRECTED = "锦绣花园东门"
MAX_OFFSET = 0.006  # degrees; about 650 m north-south and 575 m east-west at this latitude

# (persons low, persons high, vehicles low, vehicles high) per kind and part of the day.
FLOW = {
    "compound_gate": {"night": (20, 80, 0, 8), "day": (250, 450, 20, 60), "evening": (200, 380, 15, 50)},
    "road": {"night": (5, 40, 10, 60), "day": (80, 200, 120, 260), "evening": (60, 160, 80, 200)},
    "station": {"night": (0, 0, 0, 0), "day": (400, 700, 0, 5), "evening": (250, 450, 0, 3)},
}
TURN_BACK_CHANCE = {"compound_gate": 0.1, "road": 0.4, "station": 0.2}
FEVER_CHANCE = 0.012
QUIET_NIGHT_CHANCE = 0.08


def _part_of_day(start: datetime, end: datetime) -> str:
    """Night, day or evening, by the hour in the middle of the shift."""
    middle = (start + (end - start) / 2).hour
    if 7 <= middle < 15:
        return "day"
    return "evening" if 15 <= middle < 22 else "night"


def _periods(community: Community) -> list[tuple[datetime, datetime]]:
    """Every shift of the period that has ended by now; when none of today's has, the current one up to now."""
    now = clock.now().replace(second=0)
    first_day = community.today - timedelta(days=community.days - 1)
    periods = [
        shift
        for offset in range(community.days)
        for shift in day_shifts(first_day + timedelta(days=offset))
        if shift[1] <= now
    ]
    current_start, _ = shift_for(now)
    if not any(start.date() == community.today for start, _ in periods) and current_start < now:
        periods.append((current_start, now))
    return periods


def _counts(community: Community, kind: str, start: datetime, end: datetime) -> dict[str, int]:
    """One shift's counts, scaled down for a shift cut short (today's current shift)."""
    rng = community.rng
    part = _part_of_day(start, end)
    if kind == "compound_gate" and part == "night" and rng.random() < QUIET_NIGHT_CHANCE:
        return {"persons": 0, "vehicles": 0, "fever": 0, "turned_back": 0}
    share = min(1.0, (end - start) / timedelta(hours=8))
    persons_low, persons_high, vehicles_low, vehicles_high = FLOW[kind][part]
    persons = round(rng.randint(persons_low, persons_high) * share)
    vehicles = round(rng.randint(vehicles_low, vehicles_high) * share)
    fever = 1 if persons and rng.random() < FEVER_CHANCE else 0
    turned_back = rng.randint(1, 2) if persons + vehicles and rng.random() < TURN_BACK_CHANCE[kind] else 0
    return {
        "persons": persons,
        "vehicles": vehicles,
        "fever": fever,
        "turned_back": min(turned_back, persons + vehicles),
    }


def _enter(
    ctx: WriteContext, community: Community, checkpoint_id: int, kind: str, start: datetime, end: datetime
) -> int:
    counts = _counts(community, kind, start, end)
    if not any(counts.values()):
        return add_zero_report(ctx, checkpoint_id, start, end)
    return add_count(ctx, {"checkpoint": checkpoint_id, "period_start": start, "period_end": end, **counts})


def _enter_with_typo(
    ctx: WriteContext, community: Community, checkpoint_id: int, start: datetime, end: datetime
) -> None:
    """A shift first typed with an extra zero, then corrected with a reason (both rows stay in the ledger)."""
    counts = _counts(community, "compound_gate", start, end)
    typo = {**counts, "persons": counts["persons"] * 10}
    entry_id = add_count(ctx, {"checkpoint": checkpoint_id, "period_start": start, "period_end": end, **typo})
    correct_count(ctx, entry_id, {**counts, "reason": "录入时多打了一个0，按登记表更正"})


def _typo_period(community: Community, periods: list[tuple[datetime, datetime]]) -> tuple[datetime, datetime] | None:
    """Yesterday's middle shift, where the sample shows a corrected entry."""
    yesterday = [period for period in periods if period[0].date() == community.today - timedelta(days=1)]
    return yesterday[len(yesterday) // 2] if yesterday else None


def _skips(name: str, start: datetime, community: Community) -> bool:
    """The closed gate has no counts after it closed; the silent road checkpoint has none today."""
    closing_day = community.today - timedelta(days=community.days // 2)
    return (name == CLOSED and start.date() >= closing_day) or (
        name == SILENT_TODAY and start.date() == community.today
    )


def generate(ctx: WriteContext, community: Community) -> None:
    """Create the eight checkpoints and ``community.days`` days of shift counts ending ``community.today``."""
    periods = _periods(community)
    typo_period = _typo_period(community, periods)
    for name, grid, kind in CHECKPOINTS:
        checkpoint_id = add_checkpoint(
            ctx,
            {
                "name": name,
                "grid": grid,
                "kind": kind,
                "latitude": round(CENTER[0] + community.rng.uniform(-MAX_OFFSET, MAX_OFFSET), 6),
                "longitude": round(CENTER[1] + community.rng.uniform(-MAX_OFFSET, MAX_OFFSET), 6),
            },
        )
        for start, end in periods:
            if _skips(name, start, community):
                continue
            if name == CORRECTED and (start, end) == typo_period:
                _enter_with_typo(ctx, community, checkpoint_id, start, end)
            else:
                _enter(ctx, community, checkpoint_id, kind, start, end)
        if name == CLOSED:
            set_checkpoint_active(ctx, checkpoint_id, False)
