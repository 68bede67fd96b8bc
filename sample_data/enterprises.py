"""The sample community's enterprises and shops and their road back to work.

Modelled on the community in DOMAIN.md: 46 enterprises and 1,092 individual
businesses. Over the sample period nearly all of them reopen (1,095, about
96 % of those not closed), most early; those still lagging are where the
reports found them: catering, foot massage and barbecue stalls, held back by
missing workers, weak demand or sector restrictions. Every reopening follows
an application and a complete checklist. A handful of inspections opened
rectification items: some are closed, some still open, exactly one overdue
today.

Everything goes through the domain's validating write functions; enterprises
are written by id to keep the round trips down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from data_layer import enterprises as domain
from data_layer.db import WriteContext
from sample_data.community import COMPOUNDS, Community

# Each sector: its name, how many businesses and the nouns that end their names.
Sectors = tuple[tuple[str, int, tuple[str, ...]], ...]
SHOP_SECTORS: Sectors = (
    ("批发零售", 430, ("便利店", "超市", "五金店", "水果店", "副食店")),
    ("餐饮", 260, ("小吃店", "面馆", "饭店", "早餐店")),
    ("美容美发", 110, ("理发店", "美容院")),
    ("住宿", 50, ("宾馆", "旅社")),
    ("足浴按摩", 40, ("足浴店", "按摩店")),
    ("烧烤", 45, ("烧烤店",)),
    ("物流", 60, ("快递点",)),
    ("其他", 97, ("维修店", "洗衣店", "打印店")),
)
ENTERPRISE_SECTORS: Sectors = (
    ("制造业", 22, ("制造有限公司", "机械厂", "服装厂")),
    ("建筑业", 8, ("建筑工程有限公司",)),
    ("物流", 6, ("物流有限公司",)),
    ("批发零售", 5, ("商贸有限公司",)),
    ("其他", 5, ("科技有限公司",)),
)
FIRM_WORDS = ("华兴", "宏达", "恒昌", "永安", "新源", "广利", "东方", "瑞丰", "长江", "汇通", "鑫盛", "佳禾")
# The enterprises that have not reopened by today: sector, final status, reason, how many.
LAGGARDS = (
    ("餐饮", "not_reopened", "workers_short", 8),
    ("餐饮", "not_reopened", "weak_demand", 5),
    ("足浴按摩", "not_reopened", "sector_restricted", 6),
    ("烧烤", "not_reopened", "sector_restricted", 3),
    ("烧烤", "not_reopened", "weak_demand", 2),
    ("制造业", "not_reopened", "materials_short", 1),
    ("住宿", "not_reopened", "weak_demand", 1),
    ("住宿", "not_reopened", "other", 1),
    ("美容美发", "not_reopened", "ppe_short", 1),
    ("餐饮", "suspended", "workers_short", 2),
    ("餐饮", "suspended", "ppe_short", 1),
    ("足浴按摩", "suspended", "sector_restricted", 3),
    ("烧烤", "suspended", "sector_restricted", 2),
    ("餐饮", "applied", None, 2),
    ("美容美发", "applied", None, 1),
    ("批发零售", "applied", None, 2),
    ("批发零售", "closed", None, 1),
    ("其他", "closed", None, 1),
)
RESUMED = ("餐饮", 3)  # restaurants suspended for a while and reopened again
EARLY_SECTORS = ("批发零售", "物流")
RESTRICTED_SECTORS = ("餐饮", "足浴按摩", "烧烤", "住宿", "美容美发")
# Each inspection: days before today, and its findings as (item, deadline and closing in days before today;
# None = still open). The second inspection holds the one overdue item.
INSPECTIONS = (
    (12, (("车间未设隔离观察室", 7, 8), ("员工健康台账缺漏", 9, 9))),
    (9, (("入口未配备测温设备", 4, None),)),
    (6, (("消毒记录不全", 3, 4), ("防护物资储备不足", -1, None))),
    (3, (("出入登记不规范", 0, None),)),
    (10, (("工地食堂未分餐", 6, 5),)),
    (1, (("员工未全员佩戴口罩", 0, 0),)),
)
INSPECTED_SECTORS = ("制造业", "建筑业", "餐饮")
ALREADY_APPLIED = 0.7  # share of the businesses that reopen whose application was in before the period


@dataclass
class Business:
    name: str
    kind: str
    sector: str
    grid: str
    employees: int
    address: str
    contact: str
    fate: str = "reopened"
    reason: str | None = None
    enterprise_id: int = 0


class Timeline:
    """Dates of the sample period: offset 0 is its first day, ``days - 1`` today."""

    def __init__(self, community: Community):
        self.rng = community.rng
        self.today = community.today
        self.days = max(1, community.days)
        self.start = self.today - timedelta(days=self.days - 1)

    def day(self, offset: int) -> date:
        return self.start + timedelta(days=min(max(offset, 0), self.days - 1))

    def back(self, days_before_today: int) -> date:
        """A day counted back from today, never before the period's first day."""
        return max(self.start, self.today - timedelta(days=days_before_today))

    def offsets(self, count: int) -> list[int]:
        """``count`` ordered offsets within the period (equal ones allowed)."""
        return sorted(self.rng.randrange(self.days) for _ in range(count))

    def reopening(self, sector: str) -> int:
        """When a business reopened: most early, shops and logistics first of all."""
        skew = 2.5 if sector in EARLY_SECTORS else 1.4
        return int((self.days - 1) * self.rng.random() ** skew)


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}{number}号"
    taken.add(candidate)
    return candidate


def _businesses(community: Community) -> list[Business]:
    rng, taken, result = community.rng, set[str](), list[Business]()
    for sector, count, nouns in ENTERPRISE_SECTORS:
        for _ in range(count):
            grid = community.grid()
            result.append(
                Business(
                    _unique(rng.choice(FIRM_WORDS) + rng.choice(nouns), taken),
                    "enterprise",
                    sector,
                    grid,
                    rng.randint(20, 400),
                    f"光明工业园{rng.randint(1, 60)}号",
                    f"{community.person_name()} {community.phone()}",
                )
            )
    for sector, count, nouns in SHOP_SECTORS:
        for _ in range(count):
            grid = community.grid()
            compound = rng.choice(COMPOUNDS[grid])
            result.append(
                Business(
                    _unique(compound + rng.choice(nouns), taken),
                    "shop",
                    sector,
                    grid,
                    rng.randint(1, 8),
                    f"{compound}临街商铺{rng.randint(1, 80)}号",
                    f"{community.person_name()} {community.phone()}",
                )
            )
    return result


def _assign_fates(community: Community, businesses: list[Business]) -> None:
    """Decide who lags and why (LAGGARDS) and which restaurants were suspended and reopened again."""
    free = {id(business): business for business in businesses}
    for sector, fate, reason, count in LAGGARDS:
        pool = [business for business in free.values() if business.sector == sector]
        for business in community.rng.sample(pool, count):
            business.fate, business.reason = fate, reason
            del free[id(business)]
    sector, count = RESUMED
    for business in community.rng.sample([b for b in free.values() if b.sector == sector], count):
        business.fate = "resumed"


def _initial_reason(community: Community, business: Business) -> str:
    if business.reason and business.fate == "not_reopened":
        return business.reason
    choices = ["workers_short", "workers_short", "ppe_short"]
    choices.append("sector_restricted" if business.sector in RESTRICTED_SECTORS else "materials_short")
    return community.rng.choice(choices)


def _register(ctx: WriteContext, business: Business, status: str, reason: str | None, on: date) -> None:
    business.enterprise_id = domain.add_enterprise(
        ctx,
        {
            "name": business.name,
            "kind": business.kind,
            "sector": business.sector,
            "grid": business.grid,
            "employees": business.employees,
            "address": business.address,
            "contact": business.contact,
            "status": status,
            "status_date": on,
            "reason": reason,
        },
    )


def _reopen(ctx: WriteContext, business: Business, on: date) -> None:
    """The checklist found complete, then the reopening."""
    domain.record_conditions(ctx, business.enterprise_id, dict.fromkeys(domain.CONDITIONS, True), on)
    domain.change_status(ctx, business.enterprise_id, "reopened", on)


def _apply_and_reopen(
    ctx: WriteContext, community: Community, timeline: Timeline, business: Business, applied: int, reopened: int
) -> None:
    """Registered on the first day, most having applied already (the others apply later), then reopened."""
    if applied == 0 or community.rng.random() < ALREADY_APPLIED:
        _register(ctx, business, "applied", None, timeline.start)
    else:
        _register(ctx, business, "not_reopened", _initial_reason(community, business), timeline.start)
        domain.change_status(ctx, business.enterprise_id, "applied", timeline.day(applied))
    _reopen(ctx, business, timeline.day(reopened))


def _history(ctx: WriteContext, community: Community, timeline: Timeline, business: Business) -> None:
    """Write one business's status history according to its fate."""
    rng, change = community.rng, domain.change_status
    if business.fate == "reopened":
        reopened = timeline.reopening(business.sector)
        _apply_and_reopen(ctx, community, timeline, business, max(0, reopened - rng.randint(0, 3)), reopened)
    elif business.fate in ("suspended", "resumed"):
        applied, reopened, suspended, again = timeline.offsets(4)
        _apply_and_reopen(ctx, community, timeline, business, applied, reopened)
        change(ctx, business.enterprise_id, "suspended", timeline.day(suspended), business.reason or "ppe_short")
        if business.fate == "resumed":
            _reopen(ctx, business, timeline.day(again))
    elif business.fate == "not_reopened":
        _register(ctx, business, "not_reopened", business.reason, timeline.start)
        if rng.random() < 0.3:
            applied, withdrawn = timeline.offsets(2)
            change(ctx, business.enterprise_id, "applied", timeline.day(applied))
            change(ctx, business.enterprise_id, "not_reopened", timeline.day(withdrawn), business.reason)
    elif business.fate == "applied":
        _register(ctx, business, "not_reopened", _initial_reason(community, business), timeline.start)
        applied_on = timeline.day(timeline.offsets(1)[0])
        change(ctx, business.enterprise_id, "applied", applied_on)
        unmet = set(rng.sample(domain.CONDITIONS, rng.randint(1, 2)))
        domain.record_conditions(
            ctx, business.enterprise_id, {code: code not in unmet for code in domain.CONDITIONS}, applied_on
        )
    else:
        _register(ctx, business, "not_reopened", "weak_demand", timeline.start)
        change(ctx, business.enterprise_id, "closed", timeline.day(timeline.offsets(1)[0]))


def _inspections(ctx: WriteContext, community: Community, timeline: Timeline, businesses: list[Business]) -> None:
    """A few inspections of reopened firms and restaurants, with their rectification items."""
    pool = [b for b in businesses if b.fate == "reopened" and b.sector in INSPECTED_SECTORS]
    for business, (days_back, findings) in zip(community.rng.sample(pool, len(INSPECTIONS)), INSPECTIONS, strict=True):
        inspected = timeline.back(days_back)
        items = [
            {"item": item, "deadline": max(inspected, community.today - timedelta(days=deadline_back))}
            for item, deadline_back, _ in findings
        ]
        inspection_id = domain.add_inspection(ctx, business.enterprise_id, inspected, community.person_name(), items)
        opened = domain.inspection_items(ctx.conn, inspection_id)
        for item, (_, _, closed_back) in zip(opened, findings, strict=True):
            if closed_back is not None:
                closed_on = max(inspected, community.today - timedelta(days=closed_back))
                domain.close_rectification(ctx, item["id"], closed_on, community.person_name())


def generate(ctx: WriteContext, community: Community) -> None:
    """Build the enterprises part of the sample command post (see the module docstring)."""
    timeline = Timeline(community)
    businesses = _businesses(community)
    _assign_fates(community, businesses)
    for business in businesses:
        _history(ctx, community, timeline, business)
    _inspections(ctx, community, timeline, businesses)
