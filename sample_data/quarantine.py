"""The sample community's quarantine work: two hotel sites, a few hundred episodes and their follow-ups.

Arrivals are many in the early weeks and few in the last two (the outbreak is
waning), so that on the last day the lists that need action are short enough
to read: a handful of people due for release in the next three days, two
overdue, some of today's follow-ups not yet entered and one fever reading.
Assignment follows DOMAIN.md: people from a high-risk area or from abroad go
to centralized quarantine (about 7 %), arrivals from other provinces and
close contacts to home quarantine, and arrivals from other cities of the
province to home health monitoring. Almost every finished episode is released
on its planned end; a few people are taken to hospital after a fever, and a
couple of close contacts have their quarantine extended. Everything goes
through the domain's write functions, one day at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from data_layer import quarantine
from data_layer.db import WriteContext
from sample_data.community import GRIDS, Community

SITES = (
    {"name": "城东集中隔离点（示例酒店）", "address": "示例市城东路 1 号", "capacity": 120},
    {"name": "城西集中隔离点（示例宾馆）", "address": "示例市城西大道 88 号", "capacity": 80},
)
ORIGINS = {
    "high_risk_area": ("示例省甲市（中高风险地区）", "centralized"),
    "abroad": ("境外（示例国）", "centralized"),
    "other_province": ("外省示例市", "home"),
    "close_contact": ("本市（密接排查）", "home"),
    "in_province_other_city": ("省内示例市", "monitoring"),
}
CATEGORY_WEIGHTS = (
    ("high_risk_area", 4),
    ("abroad", 3),
    ("other_province", 30),
    ("close_contact", 15),
    ("in_province_other_city", 48),
)
OLDER_ARRIVALS_TOTAL = 250
RECENT_DAYS = 14
TRANSFER_RATE = 0.015
FEVER_RATE = 0.002
OVERDUE_COUNT = 2
EXTENDED_COUNT = 2
SYMPTOMS = ("咳嗽", "乏力", "咽痛")


@dataclass(eq=False)
class _Episode:
    """What the generator remembers of one episode it registered."""

    id: int
    grid: str
    start: date
    planned_end: date
    category: str
    transfer_on: date | None = None
    fevers: set[tuple[date, str]] = field(default_factory=set)


@dataclass
class _Plan:
    """The exceptions still to place: episodes left overdue and quarantines extended."""

    overdue_left: int = OVERDUE_COUNT
    extensions_left: int = EXTENDED_COUNT


def generate(ctx: WriteContext, community: Community) -> None:
    """Build the quarantine part of the sample command post over ``community.days`` days ending today."""
    for site in SITES:
        quarantine.add_site(ctx, site)
    teams = {grid: f"{community.person_name()}（{grid}网格员）" for grid in GRIDS}
    known_ids: set[str] = set()
    running: list[_Episode] = []
    plan = _Plan()
    first_day = community.today - timedelta(days=community.days - 1)
    for offset in range(community.days):
        day = first_day + timedelta(days=offset)
        running = _end_episodes(ctx, community, running, day, plan)
        running.extend(_admit(ctx, community, day, known_ids) for _ in range(_arrivals(community, day)))
        _extend(ctx, running, day, plan)
        _follow_up(ctx, community, running, day, teams)


def _arrivals(community: Community, day: date) -> int:
    """Many arrivals per day in the early weeks, one to three a day in the last two."""
    if (community.today - day).days < RECENT_DAYS:
        return community.rng.randint(1, 3)
    per_day = max(2, min(25, OLDER_ARRIVALS_TOTAL // max(1, community.days - RECENT_DAYS)))
    return community.rng.randint(per_day * 2 // 3, per_day * 4 // 3)


def _category(community: Community) -> str:
    codes = [code for code, _ in CATEGORY_WEIGHTS]
    return community.rng.choices(codes, [weight for _, weight in CATEGORY_WEIGHTS])[0]


def _admit(ctx: WriteContext, community: Community, day: date, known_ids: set[str]) -> _Episode:
    category = _category(community)
    origin, mode = ORIGINS[category]
    id_number = community.id_number()
    while id_number in known_ids:
        id_number = community.id_number()
    known_ids.add(id_number)
    grid = community.grid()
    site = SITES[community.rng.randrange(len(SITES))]["name"] if mode == "centralized" else None
    episode_id = quarantine.register(
        ctx,
        {
            "name": community.person_name(),
            "id_number": id_number,
            "phone": community.phone(),
            "grid": grid,
            "address": community.address(grid),
            "origin": origin,
            "origin_category": category,
            "mode": mode,
            "site": site,
            "start_date": day,
        },
    )
    episode = _Episode(episode_id, grid, day, day + timedelta(days=quarantine.planned_days_for(category)), category)
    period = (episode.planned_end - day).days
    if community.rng.random() < TRANSFER_RATE and period > 3:
        episode.transfer_on = day + timedelta(days=community.rng.randint(2, period - 1))
        episode.fevers.add((episode.transfer_on - timedelta(days=1), "PM"))
    return episode


def _end_episodes(
    ctx: WriteContext, community: Community, running: list[_Episode], day: date, plan: _Plan
) -> list[_Episode]:
    """Take the day's transfers to hospital and release, in one go, everyone whose planned end is ``day``,
    except the first ones due in the last days, which stay overdue. Returns the episodes still running."""
    transfers = [episode for episode in running if episode.transfer_on == day]
    for episode in transfers:
        quarantine.transfer_to_hospital(ctx, episode.id, day, "体温异常，转送定点医院排查")
    due = [episode for episode in running if episode.planned_end == day and episode not in transfers]
    if day >= community.today - timedelta(days=3) and plan.overdue_left:
        kept, due = due[: plan.overdue_left], due[plan.overdue_left :]
        plan.overdue_left -= len(kept)
    if due:
        quarantine.release_many(ctx, [episode.id for episode in due], day, "期满，发放解除隔离医学观察通知书")
    return [episode for episode in running if episode not in transfers and episode not in due]


def _extend(ctx: WriteContext, running: list[_Episode], day: date, plan: _Plan) -> None:
    """Extend the first close contacts who reach their tenth day by a week (a contact of theirs tested positive)."""
    for episode in running:
        if plan.extensions_left and episode.category == "close_contact" and episode.start == day - timedelta(days=10):
            episode.planned_end += timedelta(days=7)
            quarantine.change_planned_end(ctx, episode.id, "密接复核，延长医学观察", new_end=episode.planned_end)
            plan.extensions_left -= 1


def _follow_up(
    ctx: WriteContext, community: Community, running: list[_Episode], day: date, teams: dict[str, str]
) -> None:
    """Two follow-ups for every current episode on ``day``, entered as one grid; on the last day some are
    still missing and one person has a fever."""
    rng = community.rng
    slots = [
        (episode, slot)
        for episode in running
        for slot in quarantine.SLOTS
        if day != community.today or rng.random() >= (0.15 if slot == "PM" else 0.04)
    ]
    feverish = rng.randrange(len(slots)) if slots and day == community.today else None
    rows = [
        _reading(
            community,
            episode,
            day,
            slot,
            teams,
            fever=position == feverish or (day, slot) in episode.fevers or rng.random() < FEVER_RATE,
        )
        for position, (episode, slot) in enumerate(slots)
    ]
    if rows:
        quarantine.add_followups(ctx, rows)


def _reading(
    community: Community, episode: _Episode, day: date, slot: str, teams: dict[str, str], *, fever: bool
) -> dict[str, object]:
    rng = community.rng
    return {
        "episode_id": episode.id,
        "date": day,
        "slot": slot,
        "temperature": round(rng.uniform(37.4, 38.6) if fever else rng.uniform(36.0, 37.1), 1),
        "symptoms": fever and rng.random() < 0.5,
        "symptom_text": rng.choice(SYMPTOMS) if fever else None,
        "by": teams[episode.grid],
    }
