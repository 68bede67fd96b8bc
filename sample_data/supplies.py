"""The sample community's supply store: ten items and their in/out ledger.

Stock arrives as an allocation from the level above on the first day and
then as purchases, donations (companies and residents) and further
allocations whenever the next week's issues would eat into the safety stock.
Every day the store issues masks, gloves, disinfectant and the like to the
checkpoints, the two centralized quarantine sites and the grid workers; masks
also go to every household of one grid once, some surgical masks are lent to
the neighbouring community, and a few bottles of alcohol are scrapped. A
duplicated issue is reversed, and a stock count finds two bottles of
disinfectant broken; this morning a donor brought hand sanitiser. Today exactly one item (N95 masks) is below its safety
stock, and protective suits have less than three days of cover; no item is
ever below zero. Every row goes through the domain's write functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from data_layer.db import WriteContext
from data_layer.supplies import add_item, add_movement, record_stock_count, reverse_movement
from sample_data.community import GRIDS, Community

CHECKPOINTS = (
    "锦绣花园东门",
    "春晖小区南门",
    "和平里北门",
    "东风新村正门",
    "光明大道公交站监测点",
    "滨河路口卡口",
    "光明村村口卡口",
)
SITES = ("城东集中隔离点（示例酒店）", "城西集中隔离点（示例宾馆）")
RECIPIENTS = {"checkpoint": CHECKPOINTS, "site": SITES, "grid": GRIDS}
ALLOCATORS = ("区防控指挥部", "街道防控指挥部")
SUPPLIERS = ("康宁医疗器械有限公司", "华济医药连锁", "安泰劳保用品商行")
DONORS = ("鑫达建材有限公司", "惠民超市", "爱心人士王先生", "辖区居民联名捐赠", "同乡商会")
BELOW_SAFETY = "N95口罩"
SHORT_COVER = "医用防护服"
DUPLICATED = "一次性医用口罩"
COUNTED = "84消毒液"
TODAYS_GIFT = "免洗洗手液"
HOUSEHOLDS = 956
LAST_SEGMENT_DAYS = 7


@dataclass(frozen=True)
class ItemPlan:
    """An item and how it is used: its daily use in units and who receives it."""

    name: str
    unit: str
    category: str
    safety_stock: int
    daily_use: int
    uses: tuple[str, ...]


ITEMS = (
    ItemPlan("一次性医用口罩", "个", "口罩", 2000, 420, ("checkpoint", "grid")),
    ItemPlan("医用外科口罩", "个", "口罩", 800, 120, ("checkpoint", "site")),
    ItemPlan("N95口罩", "个", "口罩", 300, 40, ("site",)),
    ItemPlan("医用防护服", "套", "防护用品", 20, 15, ("site",)),
    ItemPlan("护目镜", "副", "防护用品", 15, 3, ("site",)),
    ItemPlan("一次性手套", "双", "防护用品", 400, 90, ("checkpoint", "site")),
    ItemPlan("84消毒液", "瓶", "消杀用品", 40, 8, ("grid", "site")),
    ItemPlan("75%医用酒精", "瓶", "消杀用品", 50, 10, ("checkpoint",)),
    ItemPlan("免洗洗手液", "瓶", "消杀用品", 30, 6, ("checkpoint", "grid")),
    ItemPlan("红外测温枪", "个", "检测设备", 5, 0, ("checkpoint",)),
)


@dataclass
class Out:
    """One planned outgoing movement."""

    kind: str
    quantity: int
    counterparty: str
    recipient_kind: str | None = None
    note: str | None = None


@dataclass
class Ledger:
    """One item's plan over the period: the outgoing movements of each day and the stock to end with."""

    item_id: int
    plan: ItemPlan
    days: list[date]
    outs: list[list[Out]] = field(default_factory=list)
    stock: int = 0


def generate(ctx: WriteContext, community: Community) -> None:
    """Add the items and enter every movement of ``community.days`` days ending ``community.today``."""
    days = [community.today - timedelta(days=offset) for offset in range(community.days - 1, -1, -1)]
    for plan in ITEMS:
        item_id = add_item(
            ctx, {"name": plan.name, "unit": plan.unit, "category": plan.category, "safety_stock": plan.safety_stock}
        )
        ledger = Ledger(item_id, plan, days, [_daily_outs(community, plan, day) for day in days])
        _add_occasional_outs(community, ledger)
        _enter(ctx, community, ledger)
    add_movement(
        ctx,
        {
            "item": TODAYS_GIFT,
            "date": community.today,
            "kind": "donation",
            "quantity": 24,
            "counterparty": community.rng.choice(DONORS),
        },
    )


def _daily_outs(community: Community, plan: ItemPlan, day: date) -> list[Out]:
    rng = community.rng
    if plan.daily_use == 0:
        if rng.random() < 0.1:
            return [Out("issue", 1, rng.choice(CHECKPOINTS), "checkpoint", "更换故障测温枪")]
        return []
    outs = []
    share = plan.daily_use / len(plan.uses)
    for recipient_kind in plan.uses:
        recipients = rng.sample(RECIPIENTS[recipient_kind], k=min(2, len(RECIPIENTS[recipient_kind])))
        for recipient in recipients:
            quantity = max(1, round(share / len(recipients) * rng.uniform(0.6, 1.4)))
            outs.append(Out("issue", quantity, recipient, recipient_kind))
    return outs


def _add_occasional_outs(community: Community, ledger: Ledger) -> None:
    """The one-off movements of the scenario: a household round, a loan to a neighbour, expired alcohol."""
    middle = len(ledger.days) // 2
    name = ledger.plan.name
    if name == DUPLICATED:
        ledger.outs[max(0, middle - 3)].append(
            Out("issue", HOUSEHOLDS, community.rng.choice(GRIDS), "grid", "入户发放，每户一只")
        )
    if name == "医用外科口罩":
        ledger.outs[middle].append(Out("transfer_out", 300, "新华社区防控指挥部", note="临时支援，待归还"))
    if name == "75%医用酒精":
        ledger.outs[middle].append(Out("scrap", 6, "物资仓库", note="过期报废"))


def _final_stock(community: Community, ledger: Ledger) -> int:
    """The stock the item ends with today, from its issues over the last seven days."""
    plan, rng = ledger.plan, community.rng
    week = sum(out.quantity for outs in ledger.outs[-7:] for out in outs if out.kind == "issue")
    burn = week / 7
    if plan.name == BELOW_SAFETY:
        return plan.safety_stock - rng.randint(plan.safety_stock // 10, plan.safety_stock // 4)
    if plan.name == SHORT_COVER:
        return max(plan.safety_stock, math.ceil(burn * rng.uniform(1.8, 2.6)))
    return max(math.ceil(plan.safety_stock * rng.uniform(1.5, 3.0)), math.ceil(burn * rng.uniform(5, 10)))


def _receipt_days(community: Community, count: int) -> list[int]:
    """Day indexes starting a restocking cycle: the first day, about weekly, none in the last week."""
    starts = [0]
    while starts[-1] + community.rng.randint(6, 9) <= count - LAST_SEGMENT_DAYS:
        starts.append(starts[-1] + community.rng.randint(6, 9))
    return starts


def _segment_targets(community: Community, ledger: Ledger, starts: list[int], pack: int) -> list[int]:
    """The stock wanted at the end of each cycle: above the safety stock, and the final stock at the end.

    The last but one cycle ends low enough that the last cycle still needs a
    delivery, so the final stock is reached exactly.
    """
    final = _final_stock(community, ledger)
    targets = [math.ceil(ledger.plan.safety_stock * community.rng.uniform(1.2, 1.8)) for _ in starts[:-1]]
    if targets:
        last_cycle_out = sum(out.quantity for outs in ledger.outs[starts[-1] :] for out in outs)
        targets[-1] = max(0, min(targets[-1], last_cycle_out + final - pack))
    return [*targets, final]


def _enter(ctx: WriteContext, community: Community, ledger: Ledger) -> None:
    pack = 10 ** max(0, len(str(ledger.plan.daily_use * 7)) - 2)
    starts = _receipt_days(community, len(ledger.days))
    targets = _segment_targets(community, ledger, starts, pack)
    for cycle, start in enumerate(starts):
        end = starts[cycle + 1] if cycle + 1 < len(starts) else len(ledger.days)
        cycle_out = sum(out.quantity for outs in ledger.outs[start:end] for out in outs)
        need = cycle_out + targets[cycle] - ledger.stock
        last = cycle == len(starts) - 1
        if need > 0:
            _receive(ctx, community, ledger, ledger.days[start], need if last else -(-need // pack) * pack, cycle)
        for index in range(start, end):
            _issue_day(ctx, community, ledger, index)
        if cycle == 0 and len(starts) > 2 and ledger.plan.name == COUNTED:
            _count(ctx, ledger, ledger.days[end - 1])


def _receive(ctx: WriteContext, community: Community, ledger: Ledger, day: date, quantity: int, cycle: int) -> None:
    rng = community.rng
    kind = "allocation" if cycle == 0 else rng.choice(("purchase", "purchase", "donation", "allocation"))
    counterparty = rng.choice({"allocation": ALLOCATORS, "purchase": SUPPLIERS, "donation": DONORS}[kind])
    add_movement(
        ctx, {"item": ledger.item_id, "date": day, "kind": kind, "quantity": quantity, "counterparty": counterparty}
    )
    ledger.stock += quantity


def _issue_day(ctx: WriteContext, community: Community, ledger: Ledger, index: int) -> None:
    for out in ledger.outs[index]:
        add_movement(
            ctx,
            {
                "item": ledger.item_id,
                "date": ledger.days[index],
                "kind": out.kind,
                "quantity": out.quantity,
                "counterparty": out.counterparty,
                "recipient_kind": out.recipient_kind,
                "note": out.note,
            },
        )
        ledger.stock -= out.quantity
    duplicate = ledger.outs[index][0] if ledger.outs[index] else None
    if (
        ledger.plan.name == DUPLICATED
        and index == len(ledger.days) // 2
        and duplicate is not None
        and duplicate.quantity <= ledger.stock
    ):
        twice = add_movement(
            ctx,
            {
                "item": ledger.item_id,
                "date": ledger.days[index],
                "kind": "issue",
                "quantity": duplicate.quantity,
                "counterparty": duplicate.counterparty,
                "recipient_kind": duplicate.recipient_kind,
            },
        )
        reverse_movement(ctx, twice, "同一张领用单重复录入")


def _count(ctx: WriteContext, ledger: Ledger, day: date) -> None:
    """A stock count that finds two bottles broken; stored as an adjustment of −2."""
    record_stock_count(ctx, ledger.item_id, day, ledger.stock - 2, "盘点发现破损 2 瓶")
    ledger.stock -= 2
