"""The supplies page (物资保障) in AppTest: entries change the figures, bad input names its field, roles hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_layer import clock, db
from data_layer.checkpoints import add_checkpoint
from data_layer.db import Actor
from data_layer.supplies import add_item, add_movement, supply_movements
from support import ago, count_rows, open_page
from ui import forms

TODAY = clock.today()
GATE = "锦绣花园东门"
PAGE = "pages/supplies.py"
MASKS, SUITS = "一次性医用口罩", "医用防护服"


@pytest.fixture
def store(engine, admin) -> dict[str, int]:
    """Masks: 1,000 bought ten days ago, 70 a day issued on each of the seven days before today (510 left;
    six of those days lie in the burn window, 60 a day: 8.5 days of cover); suits: 30 allocated, never
    issued. One checkpoint, the clerk's."""
    ids = {
        "gate": db.perform(engine, admin, add_checkpoint, {"name": GATE, "grid": "第一网格", "kind": "compound_gate"})
    }
    for name, unit, safety in ((MASKS, "个", 200), (SUITS, "套", 10)):
        ids[name] = db.perform(
            engine, admin, add_item, {"name": name, "unit": unit, "category": "防护用品", "safety_stock": safety}
        )
    db.perform(
        engine,
        admin,
        add_movement,
        {"item": MASKS, "date": ago(10), "kind": "purchase", "quantity": 1000, "counterparty": "康宁医疗器械有限公司"},
    )
    for offset in range(1, 8):
        db.perform(
            engine,
            admin,
            add_movement,
            {
                "item": MASKS,
                "date": ago(offset),
                "kind": "issue",
                "quantity": 70,
                "counterparty": "春晖小区南门",
                "recipient_kind": "checkpoint",
            },
        )
    db.perform(
        engine,
        admin,
        add_movement,
        {"item": SUITS, "date": ago(3), "kind": "allocation", "quantity": 30, "counterparty": "区防控指挥部"},
    )
    return ids


@pytest.fixture
def clerk(store) -> Actor:
    return Actor("store-clerk", "clerk", (("supplies", frozenset()), ("checkpoints", frozenset({store["gate"]}))))


def tab(app: AppTest, label: str):
    return next(candidate for candidate in app.tabs if candidate.label == label)


def widget(elements, label: str):
    return next(element for element in elements if element.label == label)


def stock_row(app: AppTest, item: str) -> dict[str, str]:
    table = tab(app, "库存").dataframe[0].value
    return table[table["物资名称"] == item].iloc[0].to_dict()


def issue(app: AppTest, quantity: str, **changes: object) -> None:
    """Fill the out form (only the quantity unless told otherwise) and tap save."""
    out = tab(app, "出库")
    widget(out.text_input, "数量").input(quantity)
    if "day" in changes:
        widget(out.date_input, "日期").set_value(changes["day"])
    widget(out.button, "保存发放").click()
    app.run()


def movements(engine) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(row) for row in conn.execute(sa.select(supply_movements).order_by(supply_movements.c.id)).mappings()
        ]


def test_an_issue_in_three_taps_changes_on_hand_and_days_of_cover(monkeypatch, db_url, engine, store, clerk):
    app = open_page(monkeypatch, db_url, clerk, PAGE)
    assert [candidate.label for candidate in app.tabs][:2] == ["出入库登记", "出库"]
    before = stock_row(app, MASKS)
    assert (before["库存"], before["可用天数"]) == ("510", "8.5")
    out = tab(app, "出库")
    assert out.get("button_group")[0].value == "issue"
    assert widget(out.selectbox, "物资名称").value == store[MASKS]
    assert widget(out.selectbox, "领用单位/人").value == (GATE, "checkpoint")
    assert widget(out.date_input, "日期").value == TODAY
    rows = count_rows(engine, "supply_movements")

    issue(app, "140")

    assert not app.error
    assert count_rows(engine, "supply_movements") == rows + 1
    stored = movements(engine)[-1]
    assert (
        stored["kind"],
        stored["quantity"],
        stored["counterparty"],
        stored["recipient_kind"],
        stored["date"],
        stored["entered_by"],
    ) == ("issue", -140, GATE, "checkpoint", TODAY, "store-clerk")
    after = stock_row(app, MASKS)
    # 370 left; the week's issues are 6 × 70 + 140 = 560, 80 a day: 4.6 days.
    assert (after["库存"], after["今日出库"], after["日均消耗"], after["可用天数"]) == ("370", "140", "80.0", "4.6")
    assert "370 个" in app.success[0].value and GATE in app.success[0].value


@pytest.mark.parametrize(
    ("quantity", "day", "field", "reason"),
    [
        ("-5", None, "数量", "不能小于 1"),
        ("两箱", None, "数量", "须为整数"),
        ("10", TODAY + timedelta(days=1), "日期", "不能晚于今天"),
        ("600", None, "数量", "库存仅 510"),
    ],
    ids=["negative", "text", "future_date", "below_zero"],
)
def test_bad_input_stores_nothing_and_names_the_field(monkeypatch, db_url, engine, clerk, quantity, day, field, reason):
    app = open_page(monkeypatch, db_url, clerk, PAGE)
    rows, audit = count_rows(engine, "supply_movements"), count_rows(engine, "audit_log")

    issue(app, quantity, **({"day": day} if day else {}))

    assert count_rows(engine, "supply_movements") == rows
    assert count_rows(engine, "audit_log") == audit
    assert len(app.error) == 1
    assert app.error[0].value.startswith(f"{field}：") and reason in app.error[0].value
    assert stock_row(app, MASKS)["库存"] == "510"
    assert widget(tab(app, "出库").text_input, "数量").value == quantity


def test_a_reversal_through_the_page_cancels_the_movement_and_keeps_both_rows(
    monkeypatch, db_url, engine, admin, store
):
    app = open_page(monkeypatch, db_url, admin, PAGE)
    wrong = movements(engine)[-2]  # the masks issued a week ago
    rows = count_rows(engine, "supply_movements")
    form = tab(app, "冲销")
    widget(form.selectbox, "出入库记录").set_value(wrong["id"])
    widget(form.button, "保存冲销").click()
    app.run()
    assert app.error[0].value.startswith("原因：")
    assert count_rows(engine, "supply_movements") == rows

    form = tab(app, "冲销")
    widget(form.selectbox, "出入库记录").set_value(wrong["id"])
    widget(form.text_input, "原因").input("领用单重复录入")
    widget(form.button, "保存冲销").click()
    app.run()

    assert not app.error and count_rows(engine, "supply_movements") == rows + 1
    reversal = movements(engine)[-1]
    assert (reversal["kind"], reversal["quantity"], reversal["reverses_id"], reversal["note"]) == (
        "reversal",
        70,
        wrong["id"],
        "领用单重复录入",
    )
    assert stock_row(app, MASKS)["库存"] == "580"
    assert f"第 {wrong['id']} 号" not in " ".join(
        str(option) for option in widget(tab(app, "冲销").selectbox, "出入库记录").options
    )


def test_a_stock_count_through_the_page_stores_the_difference_as_an_adjustment(
    monkeypatch, db_url, engine, admin, store
):
    app = open_page(monkeypatch, db_url, admin, PAGE)
    form = tab(app, "盘点")
    widget(form.selectbox, "物资名称").set_value(store[MASKS])
    widget(form.text_input, "盘点数量").input("495")
    widget(form.button, "保存盘点").click()
    app.run()
    assert app.error[0].value.startswith("原因：")
    rows = count_rows(engine, "supply_movements")

    form = tab(app, "盘点")
    widget(form.selectbox, "物资名称").set_value(store[MASKS])
    widget(form.text_input, "盘点数量").input("495")
    widget(form.text_input, "原因").input("月末盘点，短少 15 个")
    widget(form.button, "保存盘点").click()
    app.run()

    assert not app.error
    assert count_rows(engine, "supply_movements") == rows + 1
    adjustment = movements(engine)[-1]
    assert (adjustment["kind"], adjustment["quantity"], adjustment["note"]) == (
        "adjustment",
        -15,
        "月末盘点，短少 15 个",
    )
    assert stock_row(app, MASKS)["库存"] == "495"
    assert "-15" in app.success[0].value


def test_a_receipt_through_the_page_needs_the_donor_of_a_donation(monkeypatch, db_url, engine, admin, store):
    app = open_page(monkeypatch, db_url, admin, PAGE)
    form = tab(app, "入库")
    form.get("button_group")[0].set_value("donation")
    app.run()
    form = tab(app, "入库")
    widget(form.selectbox, "物资名称").set_value(store[SUITS])
    widget(form.text_input, "数量").input("20")
    widget(form.button, "保存捐赠入库").click()
    app.run()
    assert app.error[0].value.startswith("往来单位：")
    rows = count_rows(engine, "supply_movements")

    form = tab(app, "入库")
    widget(form.selectbox, "物资名称").set_value(store[SUITS])
    widget(form.text_input, "数量").input("20")
    widget(form.text_input, "捐赠方").input("惠民超市")
    widget(form.button, "保存捐赠入库").click()
    app.run()

    assert not app.error and count_rows(engine, "supply_movements") == rows + 1
    assert (movements(engine)[-1]["kind"], movements(engine)[-1]["counterparty"]) == ("donation", "惠民超市")
    assert (stock_row(app, SUITS)["库存"], stock_row(app, SUITS)["今日入库"]) == ("50", "20")


def test_the_leader_reads_stock_and_ledger_but_sees_no_entry_form(monkeypatch, db_url, leader, store):
    app = open_page(monkeypatch, db_url, leader, PAGE, "en")
    assert [candidate.label for candidate in app.tabs] == ["Stock", "Ledger"]
    assert not app.get("form")
    assert not app.text_input
    assert not app.get("file_uploader")
    assert not app.error and not app.warning
    assert app.get("download_button")


def test_a_clerk_of_another_domain_is_told_and_sees_nothing(monkeypatch, db_url, store):
    gate_clerk = Actor("gate-clerk", "clerk", (("checkpoints", frozenset()),))
    app = open_page(monkeypatch, db_url, gate_clerk, PAGE)
    assert not app.tabs and not app.dataframe and not app.get("form")
    assert app.info[0].value == "物资保障不在您的负责范围内。"


def test_a_clerk_assigned_one_item_sees_and_enters_only_that_item(monkeypatch, db_url, engine, store):
    storekeeper = Actor("suit-clerk", "clerk", (("supplies", frozenset({store[SUITS]})),))
    app = open_page(monkeypatch, db_url, storekeeper, PAGE)
    assert list(tab(app, "库存").dataframe[0].value["物资名称"]) == [SUITS]
    assert widget(tab(app, "出库").selectbox, "物资名称").options == ["医用防护服（库存 30 套）"]


def test_the_administrator_adds_an_item_and_a_bad_safety_stock_is_named(monkeypatch, db_url, engine, admin, store):
    app = open_page(monkeypatch, db_url, admin, PAGE)
    items = tab(app, "物资目录")
    form_inputs = items.text_input
    for label, value in (("物资名称", "N95口罩"), ("单位", "个"), ("安全库存", "很多")):
        widget(form_inputs, label).input(value)
    widget(items.button, "新增物资").click()
    app.run()
    assert app.error[0].value.startswith("安全库存：")
    assert count_rows(engine, "supply_items") == 2

    items = tab(app, "物资目录")
    widget(items.text_input, "安全库存").input("300")
    widget(items.button, "新增物资").click()
    app.run()

    assert not app.error and count_rows(engine, "supply_items") == 3
    assert "N95口罩" in list(tab(app, "库存").dataframe[0].value["物资名称"])


def test_the_quantity_to_request_covers_the_configured_days(monkeypatch, db_url, admin, store):
    monkeypatch.setenv("COMMAND_POST_COVER_DAYS", "30")
    app = open_page(monkeypatch, db_url, admin, PAGE)
    # 60 a day for 30 days is 1,800; 510 are on hand.
    assert stock_row(app, MASKS)["建议申领（30 天用量）"] == "1,290"


def test_the_quick_issue_form_stores_the_proposed_issue_with_only_a_quantity(monkeypatch, db_url, engine, clerk):
    def quick_entry_page() -> None:
        from ui.supplies import quick_issue_form

        quick_issue_form()

    monkeypatch.setenv("COMMAND_POST_DB", db_url)
    app = AppTest.from_function(quick_entry_page, default_timeout=60)
    app.session_state["actor"] = clerk
    app.run()
    assert not app.get("button_group")  # the kind is fixed to issue
    widget(app.text_input, "数量").input("35")
    widget(app.button, "保存发放").click()
    app.run()

    assert not app.error and not app.exception
    stored = movements(engine)[-1]
    assert (stored["kind"], stored["quantity"], stored["counterparty"]) == ("issue", -35, GATE)
    assert "现有库存 475 个" in app.success[0].value


def test_quick_entry_page_offers_the_issue_form_to_a_supplies_clerk(monkeypatch, sample_url):
    clerk = Actor("clerk", "clerk", (("checkpoints", frozenset()), ("supplies", frozenset())))
    app = open_page(monkeypatch, sample_url, clerk, "pages/quick_entry.py")
    assert [tab.label for tab in app.tabs] == ["卡口班次登记", "物资发放"]
    assert not app.exception


def test_a_second_tap_on_the_fresh_issue_form_still_reads_saved_and_stores_once(
    monkeypatch, db_url, engine, store, clerk
):
    """The second tap of a double tap submits the empty form drawn after the save; it is the same issue."""
    monkeypatch.setattr(forms, "REPEAT_SECONDS", 60)  # however slowly this machine draws the pages
    app = open_page(monkeypatch, db_url, clerk, PAGE)
    rows = count_rows(engine, "supply_movements")
    issue(app, "140")
    saved = app.success[0].value
    widget(tab(app, "出库").button, "保存发放").click()
    app.run()
    assert not app.error and [item.value for item in app.success] == [saved]
    assert count_rows(engine, "supply_movements") == rows + 1
