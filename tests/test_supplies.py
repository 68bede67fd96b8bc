"""Supplies: the item master, the append-only ledger, its stock rule and the stock figures (DESIGN §4.3)."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from data_layer import clock, db, supplies
from data_layer.db import Actor, WriteContext, connect
from data_layer.errors import ImportRejected, PermissionDenied, ValidationError
from data_layer.supplies import (
    add_item,
    add_movement,
    record_stock_count,
    rename_item,
    reverse_movement,
    set_item,
)
from data_layer.transfer import export_file, import_file, transfer_kind
from sample_data import supplies as sample
from sample_data.community import Community
from support import ago, assert_write_refused, audit_rows, count_rows

TODAY = clock.today()
D = TODAY - timedelta(days=10)


def item(engine, admin, name: str, safety_stock: int = 0, unit: str = "个") -> int:
    return db.perform(
        engine, admin, add_item, {"name": name, "unit": unit, "category": "防护用品", "safety_stock": safety_stock}
    )


def move(
    engine, actor, name: object, day: date, kind: str, quantity: int, counterparty: str | None = None, **extra: object
) -> int:
    return db.perform(
        engine,
        actor,
        add_movement,
        {"item": name, "date": day, "kind": kind, "quantity": quantity, "counterparty": counterparty, **extra},
    )


def reverse(engine, actor, movement: int, reason: str = "录错了") -> int:
    return db.perform(engine, actor, reverse_movement, movement, reason)


def figures_by_item(engine, day: date, **options: object) -> dict[str, dict]:
    with engine.connect() as conn:
        return {entry["item"]: entry for entry in supplies.figures(conn, day, **options)}


def day(offset: int) -> date:
    """A date relative to the report date D of the figure scenario."""
    return D + timedelta(days=offset)


def movement_count(engine) -> int:
    return count_rows(engine, "supply_movements")


# The figure scenario around D (ten days ago, so that D+1 lies in the past too).
# 口罩 (safety 100):
#   D-8 purchase 1000 · D-7 issue 70 (before the burn window) · D-6 issue 140 (first day of the window)
#   D-3 transfer_out 50 · D-1 donation 200
#   D   allocation 300 · purchase 40, reversed · issue 210 · issue 35, reversed · scrap 5
#       adjustment −10 · adjustment +3
#   D+1 purchase 500 · issue 7 (after D: not counted for D)
# 防护服 (safety 50): D-2 allocation 60 · D-1 issue 25 · D issue 10
# 酒精 (safety 10): D-1 purchase 20 · D issue 20 (nothing left)
# 手套 (safety 30): D-5 purchase 30 (no issues: no burn rate; stock equal to the safety stock)
# 消毒液 (safety 0): D-6 purchase 100 · D-6 issue 71 (29 left at 71/7 a day: 2.9 days)
# 护目镜 (inactive): D-1 purchase 5
@pytest.fixture
def scenario(engine, admin) -> dict[str, int]:
    ids = {
        name: item(engine, admin, name, safety)
        for name, safety in (("口罩", 100), ("防护服", 50), ("酒精", 10), ("手套", 30), ("消毒液", 0), ("护目镜", 0))
    }
    move(engine, admin, "口罩", day(-8), "purchase", 1000, "康宁医疗器械有限公司")
    move(engine, admin, "口罩", day(-7), "issue", 70, "锦绣花园东门", recipient_kind="checkpoint")
    move(engine, admin, "口罩", day(-6), "issue", 140, "锦绣花园东门", recipient_kind="checkpoint")
    move(engine, admin, "口罩", day(-3), "transfer_out", 50, "新华社区")
    move(engine, admin, "口罩", day(-1), "donation", 200, "惠民超市")
    move(engine, admin, "口罩", day(0), "allocation", 300, "区防控指挥部")
    reverse(engine, admin, move(engine, admin, "口罩", day(0), "purchase", 40, "华济医药连锁"))
    move(engine, admin, "口罩", day(0), "issue", 210, "城东宾馆隔离点", recipient_kind="site")
    reverse(engine, admin, move(engine, admin, "口罩", day(0), "issue", 35, "第一网格", recipient_kind="grid"))
    move(engine, admin, "口罩", day(0), "scrap", 5, note="受潮")
    move(engine, admin, "口罩", day(0), "adjustment", -10, note="盘点短少")
    move(engine, admin, "口罩", day(0), "adjustment", 3, note="盘点多出")
    move(engine, admin, "口罩", day(1), "purchase", 500, "康宁医疗器械有限公司")
    move(engine, admin, "口罩", day(1), "issue", 7, "第一网格", recipient_kind="grid")
    move(engine, admin, "防护服", day(-2), "allocation", 60, "区防控指挥部")
    move(engine, admin, "防护服", day(-1), "issue", 25, "城东宾馆隔离点", recipient_kind="site")
    move(engine, admin, "防护服", day(0), "issue", 10, "城东宾馆隔离点", recipient_kind="site")
    move(engine, admin, "酒精", day(-1), "purchase", 20, "华济医药连锁")
    move(engine, admin, "酒精", day(0), "issue", 20, "锦绣花园东门", recipient_kind="checkpoint")
    move(engine, admin, "手套", day(-5), "purchase", 30, "华济医药连锁")
    move(engine, admin, "消毒液", day(-6), "purchase", 100, "华济医药连锁")
    move(engine, admin, "消毒液", day(-6), "issue", 71, "第二网格", recipient_kind="grid")
    move(engine, admin, "护目镜", day(-1), "purchase", 5, "华济医药连锁")
    db.perform(engine, admin, set_item, "护目镜", {"active": False})
    return ids


def test_figures_list_active_items_by_name_with_the_briefing_keys(engine, scenario):
    with engine.connect() as conn:
        entries = supplies.figures(conn, D)
    assert [entry["item"] for entry in entries] == sorted(["口罩", "防护服", "酒精", "手套", "消毒液"])
    assert {"item", "unit", "on_hand", "in_today", "out_today", "burn_rate", "days_of_cover", "below_safety"} <= set(
        entries[0]
    )


def test_on_hand_sums_every_movement_up_to_d_reversals_and_adjustments_included(engine, scenario):
    # 1000 − 70 − 140 − 50 + 200 + 300 + (40 − 40) − 210 + (−35 + 35) − 5 − 10 + 3 = 1018; D+1 not counted.
    assert figures_by_item(engine, D)["口罩"]["on_hand"] == 1018
    assert figures_by_item(engine, D + timedelta(days=1))["口罩"]["on_hand"] == 1018 + 500 - 7


def test_in_today_counts_effective_receipts_dated_d_only(engine, scenario):
    # allocation 300; the reversed purchase of 40, the +3 adjustment and D-1's donation do not count.
    assert figures_by_item(engine, D)["口罩"]["in_today"] == 300
    assert figures_by_item(engine, D)["防护服"]["in_today"] == 0


def test_out_today_counts_effective_issues_transfers_and_scrap_dated_d(engine, scenario):
    # issue 210 + scrap 5; the reversed issue of 35 and the −10 adjustment do not count; D-3's transfer neither.
    assert figures_by_item(engine, D)["口罩"]["out_today"] == 215
    assert figures_by_item(engine, D - timedelta(days=3))["口罩"]["out_today"] == 50


def test_burn_rate_is_effective_issues_of_the_seven_days_ending_d_over_seven(engine, scenario):
    # D-6 issue 140 + D issue 210 = 350 / 7; D-7's 70, the transfer, scrap, adjustments and reversed issue are out.
    entries = figures_by_item(engine, D)
    assert entries["口罩"]["burn_rate"] == 50.0
    assert entries["消毒液"]["burn_rate"] == 10.14  # 71 / 7, two decimals
    assert entries["手套"]["burn_rate"] == 0.0
    assert figures_by_item(engine, D + timedelta(days=1))["消毒液"]["burn_rate"] == 0.0  # D-6 left the window


def test_days_of_cover_is_on_hand_over_burn_rate_to_one_decimal_and_null_without_use(engine, scenario):
    entries = figures_by_item(engine, D)
    assert entries["口罩"]["days_of_cover"] == 20.4  # 1018 / 50 = 20.36
    assert entries["防护服"]["days_of_cover"] == 5.0  # 25 / (35 / 7)
    assert entries["消毒液"]["days_of_cover"] == 2.9  # 29 / (71 / 7) = 2.86
    assert entries["酒精"]["days_of_cover"] == 0.0
    assert entries["手套"]["days_of_cover"] is None


def test_below_safety_means_on_hand_strictly_under_the_safety_stock(engine, scenario):
    entries = figures_by_item(engine, D)
    assert entries["防护服"]["below_safety"] is True  # 25 < 50
    assert entries["手套"]["below_safety"] is False  # 30 = 30
    assert entries["口罩"]["below_safety"] is False


def test_status_stockout_date_and_request_quantity(engine, scenario):
    entries = figures_by_item(engine, D)
    assert {name: entry["status"] for name, entry in entries.items()} == {
        "口罩": "ok",
        "防护服": "below_safety",
        "酒精": "out",
        "手套": "ok",
        "消毒液": "under_3_days",
    }
    assert entries["口罩"]["stockout_date"] == (D + timedelta(days=20)).isoformat()  # floor(20.36)
    assert entries["消毒液"]["stockout_date"] == (D + timedelta(days=2)).isoformat()
    assert entries["酒精"]["stockout_date"] == D.isoformat()
    assert entries["手套"]["stockout_date"] is None
    # ceil(burn × 14 − on hand), at least 0: 防护服 5 × 14 − 25 = 45; 消毒液 71 × 2 − 29 = 113; 酒精 20 × 2 = 40.
    assert [entries[name]["request_quantity"] for name in ("口罩", "防护服", "消毒液", "酒精", "手套")] == [
        0,
        45,
        113,
        40,
        0,
    ]
    assert figures_by_item(engine, D, request_days=30)["口罩"]["request_quantity"] == 482  # 50 × 30 − 1018


def test_stock_history_gives_each_days_closing_balance(engine, scenario):
    with engine.connect() as conn:
        masks = supplies.stock_history(conn, scenario["口罩"], D + timedelta(days=1), days=4)
        every = supplies.stock_history(conn, None, D, days=2)
    assert [(row["date"], row["balance"]) for row in masks] == [
        (D - timedelta(days=2), 740),
        (D - timedelta(days=1), 940),
        (D, 1018),
        (D + timedelta(days=1), 1511),
    ]
    assert {(row["item"], row["date"]): row["balance"] for row in every if row["item"] == "防护服"} == {
        ("防护服", D - timedelta(days=1)): 35,
        ("防护服", D): 25,
    }
    assert "护目镜" not in {row["item"] for row in every}


def test_consumption_by_recipient_sums_effective_issues_in_the_period(engine, scenario):
    with engine.connect() as conn:
        rows = supplies.consumption_by_recipient(conn, D - timedelta(days=6), D)
    got = {(row["counterparty"], row["item"]): (row["recipient_kind"], row["quantity"]) for row in rows}
    assert got == {
        ("锦绣花园东门", "口罩"): ("checkpoint", 140),
        ("城东宾馆隔离点", "口罩"): ("site", 210),
        ("城东宾馆隔离点", "防护服"): ("site", 35),
        ("锦绣花园东门", "酒精"): ("checkpoint", 20),
        ("第二网格", "消毒液"): ("grid", 71),
    }


def issue(engine, actor, name: str, days_ago: int, recipient: str, kind: str = "site") -> int:
    return move(engine, actor, name, ago(days_ago), "issue", 1, recipient, recipient_kind=kind)


def proposals(engine, username: str, item_ids: tuple[int, ...] | None = None) -> supplies.IssueProposals:
    with engine.connect() as conn:
        return supplies.issue_proposals(conn, username, TODAY, item_ids)


@pytest.fixture
def stocked(engine, admin) -> dict[str, int]:
    """Three items with stock enough for any issue of the proposal tests."""
    ids = {name: item(engine, admin, name) for name in ("口罩", "酒精", "手套")}
    for name in ids:
        move(engine, admin, name, ago(40), "purchase", 1000)
    return ids


def test_the_issue_form_proposes_the_clerks_own_most_issued_item_and_newest_recipient(engine, admin, stocked):
    clerk = Actor("storekeeper", "clerk", (("supplies", frozenset()),))
    for _ in range(3):
        issue(engine, admin, "口罩", 2, "城东宾馆隔离点")
    issue(engine, clerk, "酒精", 3, "锦绣花园东门", "checkpoint")
    issue(engine, clerk, "酒精", 5, "第二网格", "grid")

    mine = proposals(engine, clerk.username)
    assert (mine["item_id"], mine["counterparty"], mine["recipient_kind"]) == (
        stocked["酒精"],
        "锦绣花园东门",
        "checkpoint",
    )
    anyone = proposals(engine, "somebody-else")
    assert (anyone["item_id"], anyone["counterparty"]) == (stocked["口罩"], "城东宾馆隔离点")


def test_issue_proposals_leave_out_reversed_old_and_unassigned_issues(engine, admin, stocked):
    reverse(engine, admin, issue(engine, admin, "口罩", 1, "城东宾馆隔离点"))
    issue(engine, admin, "酒精", 31, "锦绣花园东门")
    issue(engine, admin, "手套", 4, "第二网格", "grid")
    for _ in range(2):
        issue(engine, admin, "口罩", supplies.ROUND_DAYS, "第二网格", "grid")

    assert proposals(engine, admin.username)["item_id"] == stocked["手套"]
    assert proposals(engine, admin.username, (stocked["口罩"],))["item_id"] is None
    assert proposals(engine, admin.username, (stocked["口罩"],))["counterparty"] is None
    assert proposals(engine, admin.username)["recipients"] == [{"counterparty": "第二网格", "recipient_kind": "grid"}]


def test_the_recipients_offered_are_every_recent_one_newest_first(engine, admin, stocked):
    for days_ago, recipient in ((9, "甲"), (1, "乙"), (5, "丙"), (3, "甲")):
        issue(engine, admin, "口罩", days_ago, recipient)

    assert [row["counterparty"] for row in proposals(engine, "anyone")["recipients"]] == ["乙", "甲", "丙"]


def test_ledger_shows_each_movement_with_its_running_balance(engine, scenario):
    with engine.connect() as conn:
        rows = supplies.ledger(conn, scenario["口罩"], D - timedelta(days=1), D)
    assert [(row["kind"], row["in"], row["out"], row["balance"]) for row in rows] == [
        ("donation", 200, 0, 940),
        ("allocation", 300, 0, 1240),
        ("purchase", 40, 0, 1280),
        ("reversal", 0, 40, 1240),
        ("issue", 0, 210, 1030),
        ("issue", 0, 35, 995),
        ("reversal", 35, 0, 1030),
        ("scrap", 0, 5, 1025),
        ("adjustment", 0, 10, 1015),
        ("adjustment", 3, 0, 1018),
    ]
    assert [row["reversed"] for row in rows][2:4] == [True, False]
    assert rows[3]["reverses_id"] == rows[2]["id"]
    assert rows[0]["counterparty"] == "惠民超市" and rows[0]["entered_by"] == "admin-test"


def test_list_items_shows_master_data_including_inactive_items(engine, scenario):
    with engine.connect() as conn:
        items = supplies.list_items(conn)
        active = supplies.list_items(conn, include_inactive=False)
    assert len(items) == 6 and {"护目镜"} == {row["name"] for row in items} - {row["name"] for row in active}
    assert next(row for row in items if row["name"] == "口罩")["safety_stock"] == 100


@dataclass
class Stock:
    """One item, 口罩: 100 received five days ago, 60 issued two days ago (40 on hand since)."""

    item: int
    purchase: int
    issue: int


@pytest.fixture
def stock(engine, admin) -> Stock:
    masks = item(engine, admin, "口罩", 20)
    item(engine, admin, "酒精", 5, unit="瓶")
    purchase = move(engine, admin, "口罩", ago(5), "purchase", 100, "康宁医疗器械有限公司")
    issue = move(engine, admin, "口罩", ago(2), "issue", 60, "锦绣花园东门", recipient_kind="checkpoint")
    return Stock(masks, purchase, issue)


def issue_today(**changes: object) -> dict[str, object]:
    return {"item": "口罩", "date": TODAY, "kind": "issue", "quantity": 1, "counterparty": "锦绣花园东门", **changes}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param(issue_today(item="不存在的物资"), "item", id="unknown item"),
        pytest.param(issue_today(item=" "), "item", id="item missing"),
        pytest.param(issue_today(date=TODAY + timedelta(days=1)), "date", id="future date"),
        pytest.param(issue_today(date="2026-13-40"), "date", id="not a date"),
        pytest.param(issue_today(kind="gift"), "kind", id="unknown kind"),
        pytest.param(issue_today(kind="reversal"), "kind", id="reversal only by reversing"),
        pytest.param(issue_today(quantity=0), "quantity", id="zero quantity"),
        pytest.param(issue_today(kind="purchase", quantity=-5), "quantity", id="negative receipt"),
        pytest.param(issue_today(quantity="2.5"), "quantity", id="fractional quantity"),
        pytest.param(issue_today(quantity=None), "quantity", id="quantity missing"),
        pytest.param(issue_today(kind="adjustment", quantity=0, note="盘点"), "quantity", id="zero adjustment"),
        pytest.param(issue_today(kind="adjustment", quantity=-1, note=""), "note", id="adjustment without reason"),
        pytest.param(
            issue_today(kind="purchase", recipient_kind="checkpoint"),
            "recipient_kind",
            id="recipient kind on a receipt",
        ),
        pytest.param(issue_today(recipient_kind="household"), "recipient_kind", id="unknown recipient kind"),
        pytest.param(issue_today(quantity=41), "quantity", id="issue beyond stock"),
        pytest.param(issue_today(kind="scrap", quantity=41), "quantity", id="scrap beyond stock"),
        pytest.param(
            issue_today(kind="adjustment", quantity=-41, note="盘点"), "quantity", id="negative adjustment beyond stock"
        ),
        pytest.param(issue_today(date=ago(4), quantity=41), "quantity", id="back-dated issue empties a later day"),
        pytest.param(issue_today(counterparty="长" * 101), "counterparty", id="counterparty too long"),
    ],
)
def test_bad_movement_is_refused_and_nothing_written(engine, admin, stock, data, field):
    assert_write_refused(engine, admin, add_movement, data, field=field)


def test_stock_refusal_names_the_stock_on_hand_and_the_day_it_would_go_negative(engine, admin, stock):
    # Four days ago 100 were on hand, but two days ago 60 went out: issuing 41 then leaves −1 two days ago.
    refusal = assert_write_refused(engine, admin, add_movement, issue_today(date=ago(4), quantity=41), field="quantity")
    assert refusal.errors[0].params["on_hand"] == 40
    assert refusal.errors[0].params["date"] == ago(2).isoformat()
    assert "40" in refusal.messages("zh_CN")[0] and ago(2).isoformat() in refusal.messages("en")[0]
    move(engine, admin, "口罩", ago(4), "issue", 40, "锦绣花园东门")  # exactly the stock is allowed
    assert figures_by_item(engine, TODAY)["口罩"]["on_hand"] == 0


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("without reason", "reason"),
        ("unknown movement", "movement"),
        ("receipt already issued", "quantity"),
        ("a reversal", "movement"),
        ("twice", "movement"),
    ],
)
def test_bad_reversal_is_refused_and_nothing_written(engine, admin, stock, case, field):
    reversal = reverse(engine, admin, move(engine, admin, "口罩", TODAY, "issue", 1, "第一网格"))
    already = move(engine, admin, "口罩", TODAY, "issue", 2, "第一网格")
    reverse(engine, admin, already)
    movement, reason = {
        "without reason": (stock.issue, " "),
        "unknown movement": (99999, "录错了"),
        "receipt already issued": (stock.purchase, "供应商退货"),  # 60 of the 100 were issued two days ago
        "a reversal": (reversal, "录错了"),
        "twice": (already, "录错了"),
    }[case]
    assert_write_refused(engine, admin, reverse_movement, movement, reason, field=field)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        pytest.param(("口罩", TODAY, 30, ""), "reason", id="without reason"),
        pytest.param(("口罩", TODAY, -1, "盘点"), "counted_quantity", id="negative count"),
        pytest.param(("口罩", TODAY + timedelta(days=1), 30, "盘点"), "date", id="future date"),
        pytest.param(("不存在的物资", TODAY, 30, "盘点"), "item", id="unknown item"),
        pytest.param(("口罩", ago(4), 50, "盘点"), "counted_quantity", id="back-dated count empties a later day"),
    ],
)
def test_bad_stock_count_is_refused_and_nothing_written(engine, admin, stock, args, field):
    assert_write_refused(engine, admin, record_stock_count, *args, field=field)


@pytest.mark.parametrize(
    ("operation", "args", "field"),
    [
        pytest.param(add_item, ({"name": "口罩", "unit": "个"},), "name", id="duplicate name"),
        pytest.param(add_item, ({"name": "", "unit": "个"},), "name", id="name missing"),
        pytest.param(add_item, ({"name": "手套", "unit": ""},), "unit", id="unit missing"),
        pytest.param(
            add_item, ({"name": "手套", "unit": "双", "safety_stock": -1},), "safety_stock", id="negative safety stock"
        ),
        pytest.param(rename_item, ("口罩", "酒精"), "name", id="rename to an existing name"),
        pytest.param(rename_item, ("不存在的物资", "新名字"), "item", id="rename unknown item"),
        pytest.param(set_item, ("口罩", {"safety_stock": "abc"}), "safety_stock", id="safety stock not a number"),
        pytest.param(set_item, ("口罩", {"unit": ""}), "unit", id="unit emptied"),
        pytest.param(set_item, ("口罩", {"active": "maybe"}), "active", id="active not a flag"),
    ],
)
def test_bad_master_data_is_refused_and_nothing_written(engine, admin, stock, operation, args, field):
    assert_write_refused(engine, admin, operation, *args, field=field)


def test_reversal_keeps_both_rows_and_the_figures_drop_the_movement(engine, admin, stock):
    wrong = move(engine, admin, "口罩", TODAY, "issue", 30, "第一网格", recipient_kind="grid")
    assert figures_by_item(engine, TODAY)["口罩"]["out_today"] == 30
    reversal = reverse(engine, admin, wrong, "领用单位填错")
    entry = figures_by_item(engine, TODAY)["口罩"]
    assert (entry["on_hand"], entry["out_today"], entry["burn_rate"]) == (40, 0, round(60 / 7, 2))
    with engine.connect() as conn:
        rows = {row["id"]: row for row in supplies.ledger(conn, stock.item, TODAY, TODAY)}
    assert rows[wrong]["reversed"] and rows[reversal]["reverses_id"] == wrong
    assert rows[reversal]["note"] == "领用单位填错" and rows[reversal]["in"] == 30


def test_reversing_a_receipt_is_allowed_while_its_stock_is_still_there(engine, admin, stock):
    wrong = move(engine, admin, "口罩", ago(1), "donation", 500, "惠民超市")
    reverse(engine, admin, wrong, "捐赠物资入错品种")
    assert figures_by_item(engine, TODAY)["口罩"]["on_hand"] == 40


def test_stock_count_stores_the_difference_as_an_adjustment(engine, admin, stock):
    adjustment = db.perform(engine, admin, record_stock_count, "口罩", TODAY, 37, "盘点短少")
    with engine.connect() as conn:
        row = (
            conn.execute(sa.select(supplies.supply_movements).where(supplies.supply_movements.c.id == adjustment))
            .mappings()
            .one()
        )
    assert (row["kind"], row["quantity"], row["note"]) == ("adjustment", -3, "盘点短少")
    assert figures_by_item(engine, TODAY)["口罩"]["on_hand"] == 37
    back_dated = db.perform(engine, admin, record_stock_count, "口罩", ago(3), 105, "补记盘点")
    assert back_dated is not None
    assert figures_by_item(engine, ago(3))["口罩"]["on_hand"] == 105
    assert figures_by_item(engine, TODAY)["口罩"]["on_hand"] == 42


def test_stock_count_equal_to_the_ledger_stores_nothing(engine, admin, stock):
    before = (movement_count(engine), audit_rows(engine))
    assert db.perform(engine, admin, record_stock_count, "口罩", TODAY, 40, "月底盘点") is None
    assert (movement_count(engine), audit_rows(engine)) == before


def test_item_master_changes_are_audited_with_before_and_after(engine, admin, stock):
    db.perform(engine, admin, rename_item, "口罩", "一次性医用口罩")
    db.perform(engine, admin, set_item, stock.item, {"safety_stock": "500", "category": "口罩"})
    db.perform(engine, admin, set_item, "一次性医用口罩", {"active": "否"})
    with engine.connect() as conn:
        items = {row["name"]: row for row in supplies.list_items(conn)}
        audits = conn.execute(
            sa.select(db.audit_log.c.action, db.audit_log.c.before, db.audit_log.c.after)
            .where(db.audit_log.c.action.like("supplies.item.%"), db.audit_log.c.row_id == str(stock.item))
            .order_by(db.audit_log.c.id)
        ).all()
    masks = items["一次性医用口罩"]
    assert (masks["safety_stock"], masks["category"], masks["active"]) == (500, "口罩", False)
    assert [action for action, _, _ in audits] == [
        "supplies.item.add",
        "supplies.item.rename",
        "supplies.item.set",
        "supplies.item.set",
    ]
    assert '"口罩"' in audits[1][1] and '"一次性医用口罩"' in audits[1][2]
    assert '"safety_stock": 20' in audits[2][1] and '"safety_stock": 500' in audits[2][2]
    assert "一次性医用口罩" not in figures_by_item(engine, TODAY)


@pytest.mark.parametrize("role", ["leader", "wall"])
def test_leader_and_wall_may_not_enter_movements_or_master_data(engine, stock, role):
    actor = Actor(f"{role}-test", role)
    before = (movement_count(engine), audit_rows(engine))
    for operation, args in (
        (add_movement, (issue_today(),)),
        (reverse_movement, (stock.issue, "录错了")),
        (record_stock_count, ("口罩", TODAY, 40, "盘点")),
        (add_item, ({"name": "手套", "unit": "双"},)),
        (set_item, ("口罩", {"unit": "只"})),
    ):
        with pytest.raises(PermissionDenied):
            db.perform(engine, actor, operation, *args)
    assert (movement_count(engine), audit_rows(engine)) == before


def test_clerk_enters_only_the_items_in_their_care(engine, admin, stock):
    clerk = Actor("store-clerk", "clerk", (("supplies", frozenset({stock.item})),))
    move(engine, clerk, "口罩", TODAY, "issue", 5, "第一网格")
    move(engine, admin, "酒精", ago(1), "purchase", 10, "华济医药连锁")
    before = (movement_count(engine), audit_rows(engine))
    with pytest.raises(PermissionDenied):
        move(engine, clerk, "酒精", TODAY, "issue", 1, "第一网格")
    with pytest.raises(PermissionDenied):
        db.perform(engine, clerk, add_item, {"name": "手套", "unit": "双"})
    with pytest.raises(PermissionDenied):
        move(engine, Actor("gate-clerk", "clerk", (("checkpoints", frozenset()),)), "口罩", TODAY, "issue", 1)
    assert (movement_count(engine), audit_rows(engine)) == before
    whole_store = Actor("store-keeper", "clerk", (("supplies", frozenset()),))
    move(engine, whole_store, "酒精", TODAY, "issue", 1, "第一网格")


def test_two_clerks_issuing_the_last_stock_at_once_give_exactly_one_success(engine, admin, stock):
    """The first issue holds its transaction open; the second must wait for it and then see no stock."""
    clerk = Actor("second-clerk", "clerk", (("supplies", frozenset()),))
    first_has_issued = threading.Event()
    outcome: dict[str, object] = {}

    def first(ctx: WriteContext) -> int:
        movement = add_movement(ctx, issue_today(quantity=40))
        first_has_issued.set()
        time.sleep(0.5)
        return movement

    def second() -> None:
        first_has_issued.wait(10)
        try:
            outcome["second"] = move(engine, clerk, "口罩", TODAY, "issue", 40, "第二网格")
        except ValidationError as refusal:
            outcome["second"] = refusal

    racer = threading.Thread(target=second)
    racer.start()
    outcome["first"] = db.write(engine, admin, first)
    racer.join(30)
    assert isinstance(outcome["first"], int)
    assert isinstance(outcome["second"], ValidationError) and outcome["second"].fields == ["quantity"]
    assert figures_by_item(engine, TODAY)["口罩"]["on_hand"] == 0


ITEMS_CSV = "name,unit,category,safety_stock\n口罩,个,口罩,100\n酒精,瓶,消杀用品,\n"


def test_import_csv_with_english_headers(engine, admin, tmp_path):
    (tmp_path / "items.csv").write_text(ITEMS_CSV, encoding="utf-8")
    (tmp_path / "moves.csv").write_text(
        "item,date,kind,quantity,counterparty,note\n"
        f"口罩,{ago(3)},purchase,500,康宁医疗器械有限公司,\n"
        f"口罩,{ago(2)},issue,120,锦绣花园东门,\n"
        f"口罩,{ago(1)},adjustment,-4,,盘点短少\n"
        f"酒精,{ago(1)},donation,30,惠民超市,\n",
        encoding="utf-8",
    )
    assert import_file(engine, admin, "supply_items", tmp_path / "items.csv") == 2
    assert import_file(engine, admin, "supply_movements", tmp_path / "moves.csv") == 4
    entries = figures_by_item(engine, TODAY)
    assert (entries["口罩"]["on_hand"], entries["口罩"]["safety_stock"], entries["酒精"]["on_hand"]) == (376, 100, 30)
    assert entries["酒精"]["safety_stock"] == 0


def test_import_xlsx_with_chinese_headers_and_labels(engine, admin, tmp_path):
    (tmp_path / "items.csv").write_text("物资名称,单位,类别,安全库存\n口罩,个,口罩,100\n", encoding="utf-8")
    import_file(engine, admin, "supply_items", tmp_path / "items.csv")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["物资名称", "日期", "类型", "数量", "往来单位", "备注", "领用对象类型"])
    sheet.append(["口罩", ago(3), "调拨", 300, "区防控指挥部", None, None])
    sheet.append(["口罩", ago(2), "发放", 50, "第一网格", None, "网格"])
    sheet.append(["口罩", ago(2), "发放", 20, "第二网格", None, "网格"])
    sheet.append(["口罩", ago(2), "冲销", 20, "第二网格", "重复录入", None])
    sheet.append(["口罩", ago(1), "盘点调整", -2, None, "破损", None])
    sheet.append(["口罩", ago(1), "报废", 8, None, "受潮", None])
    workbook.save(tmp_path / "moves.xlsx")
    assert import_file(engine, admin, "supply_movements", tmp_path / "moves.xlsx") == 6
    entry = figures_by_item(engine, TODAY)["口罩"]
    assert entry["on_hand"] == 300 - 50 - 2 - 8
    assert entry["burn_rate"] == round(50 / 7, 2)
    with engine.connect() as conn:
        assert [row["recipient_kind"] for row in supplies.consumption_by_recipient(conn, ago(7), TODAY)] == ["grid"]


def test_file_with_bad_rows_writes_nothing_and_lists_each_bad_row_and_column(engine, admin, stock, tmp_path):
    (tmp_path / "moves.csv").write_text(
        "物资名称,日期,类型,数量,往来单位,备注\n"
        f"口罩,{ago(1)},采购,100,康宁医疗器械有限公司,\n"
        f"口罩,{ago(1)},发放,abc,第一网格,\n"
        f"帐篷,{ago(1)},发放,1,第一网格,\n"
        f"口罩,{TODAY},发放,141,第一网格,\n"
        f"口罩,{TODAY},冲销,999,,录错\n",
        encoding="utf-8",
    )
    before = (movement_count(engine), audit_rows(engine))
    with pytest.raises(ImportRejected) as caught:
        import_file(engine, admin, "supply_movements", tmp_path / "moves.csv")
    assert [(error.row, error.column) for error in caught.value.row_errors] == [
        (3, "quantity"),
        (4, "item"),
        (5, "quantity"),
        (6, "kind"),
    ]
    assert "第 5 行" in caught.value.messages("zh_CN")[2] and "140" in caught.value.messages("zh_CN")[2]
    assert (movement_count(engine), audit_rows(engine)) == before


def test_export_then_import_gives_the_same_rows_and_the_same_stock(engine, admin, scenario, database_factory, tmp_path):
    """Reversal rows are exported with the cancelled movement's date, quantity and counterparty; importing
    one reverses the newest still-effective movement of that item, date and quantity (and counterparty), so
    the copy has the same rows, the same reversals and the same stock on every date."""
    copy = connect(database_factory.fresh_url())
    try:
        for kind, suffix in (("supply_items", "csv"), ("supply_movements", "xlsx")):
            export_file(engine, kind, tmp_path / f"{kind}.{suffix}")
            import_file(copy, admin, kind, tmp_path / f"{kind}.{suffix}")
            with engine.connect() as original, copy.connect() as copied:
                rows = list(transfer_kind(kind).read_rows(original))
                assert rows == list(transfer_kind(kind).read_rows(copied))
        db.perform(copy, admin, set_item, "护目镜", {"active": False})
        for day in (D - timedelta(days=7), D, D + timedelta(days=1), TODAY):
            assert figures_by_item(copy, day) == figures_by_item(engine, day)
        with copy.connect() as conn:
            assert (
                conn.execute(
                    sa.select(sa.func.count()).where(supplies.supply_movements.c.reverses_id.is_not(None))
                ).scalar_one()
                == 2
            )
    finally:
        copy.dispose()


def test_sample_generator_builds_the_promised_store(engine, admin):
    community = Community(rng=random.Random(2020), today=TODAY, days=30)
    db.write(engine, admin, lambda ctx: sample.generate(ctx, community))
    entries = figures_by_item(engine, TODAY)
    assert len(entries) == 10
    assert [name for name, entry in entries.items() if entry["below_safety"]] == [sample.BELOW_SAFETY]
    assert entries[sample.SHORT_COVER]["status"] == "under_3_days"
    assert all(entry["on_hand"] > 0 for entry in entries.values())
    assert entries[sample.TODAYS_GIFT]["in_today"] == 24
    with engine.connect() as conn:
        history = supplies.stock_history(conn, None, TODAY, days=30)
        kinds = set(conn.execute(sa.select(supplies.supply_movements.c.kind).distinct()).scalars())
        recipients = supplies.consumption_by_recipient(conn, ago(6), TODAY)
    assert min(row["balance"] for row in history) >= 0
    assert kinds == set(supplies.KINDS)
    assert {"checkpoint", "site", "grid"} <= {row["recipient_kind"] for row in recipients}
    assert audit_rows(engine) == movement_count(engine) + 10
