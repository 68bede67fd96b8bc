"""Enterprise reopening (复工复产): figures, rules, roles, corrections, import/export and the sample."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from data_layer import clock
from data_layer import enterprises as en
from data_layer.db import Actor, connect, perform, write
from data_layer.errors import ImportRejected, PermissionDenied
from data_layer.transfer import export_file, import_file
from sample_data import enterprises as sample
from sample_data.community import Community
from support import ago, assert_refused, count_rows, snapshot

TODAY = clock.today()
TABLES = (
    "enterprises",
    "enterprise_status_changes",
    "enterprise_conditions",
    "inspections",
    "rectifications",
    "rectification_closures",
)
ALL_MET = dict.fromkeys(en.CONDITIONS, True)


def add(engine, actor, name, status="reopened", on=None, reason=None, kind="shop", sector="餐饮", grid="第一网格"):
    return perform(
        engine,
        actor,
        en.add_enterprise,
        {
            "name": name,
            "kind": kind,
            "sector": sector,
            "grid": grid,
            "employees": 3,
            "status": status,
            "status_date": on or ago(10),
            "reason": reason,
        },
    )


def change(engine, actor, enterprise, status, on, reason=None):
    return perform(engine, actor, en.change_status, enterprise, status, on, reason)


def figures(engine, day):
    with engine.connect() as conn:
        return en.figures(conn, day)


@pytest.fixture
def shop(engine, admin):
    """A restaurant registered not reopened ten days ago."""
    return add(engine, admin, "示例面馆", "not_reopened", ago(10), "workers_short")


@pytest.fixture
def applied_shop(engine, admin, shop):
    change(engine, admin, shop, "applied", ago(8))
    return shop


@pytest.fixture
def inspection(engine, admin, shop):
    """An inspection three days ago with one item due yesterday and one due today."""
    inspection_id = perform(
        engine,
        admin,
        en.add_inspection,
        shop,
        ago(3),
        "督查组王",
        [{"item": "消毒记录不全", "deadline": ago(1)}, {"item": "未设隔离观察室", "deadline": TODAY}],
    )
    with engine.connect() as conn:
        return [item["id"] for item in en.inspection_items(conn, inspection_id)]


# --- figures -----------------------------------------------------------------------------------------------------


def test_total_counts_enterprises_with_a_status_by_the_day_and_leaves_out_closed_ones(engine, admin):
    add(engine, admin, "甲", "reopened", ago(3))
    closing = add(engine, admin, "乙", "not_reopened", ago(3), "weak_demand")
    change(engine, admin, closing, "closed", ago(1))
    add(engine, admin, "丙", "applied", TODAY)
    assert figures(engine, ago(4))["total"] == 0
    assert figures(engine, ago(2))["total"] == 2
    assert figures(engine, ago(1)) | {"by_reason": None} == {
        "total": 1,
        "reopened": 1,
        "reopen_rate": 1.0,
        "applied": 0,
        "not_reopened": 0,
        "suspended": 0,
        "closed": 1,
        "by_reason": None,
        "rectifications_open": 0,
        "rectifications_overdue": 0,
    }
    assert figures(engine, TODAY)["total"] == 2
    assert figures(engine, TODAY)["applied"] == 1


def test_status_at_the_end_of_a_day_is_the_newest_change_dated_on_or_before_it(engine, admin, shop):
    change(engine, admin, shop, "applied", ago(3))
    change(engine, admin, shop, "not_reopened", ago(3), "ppe_short")
    change(engine, admin, shop, "applied", ago(2))
    perform(engine, admin, en.record_conditions, shop, ALL_MET, ago(2))
    change(engine, admin, shop, "reopened", ago(1))
    assert figures(engine, ago(4))["not_reopened"] == 1
    assert figures(engine, ago(3))["not_reopened"] == 1
    assert figures(engine, ago(3))["by_reason"]["ppe_short"] == 1
    assert figures(engine, ago(2))["applied"] == 1
    assert figures(engine, ago(1))["reopened"] == 1
    assert figures(engine, ago(11))["total"] == 0


def test_an_enterprise_registered_without_any_status_counts_as_not_reopened(engine):
    with engine.begin() as conn:
        conn.execute(
            en.enterprises.insert().values(
                name="旧台账企业",
                kind="enterprise",
                sector="制造业",
                grid="第二网格",
                employees=50,
                registered_on=ago(2),
            )
        )
        en.rebuild_enterprise_status_days(conn)
    assert figures(engine, ago(3))["total"] == 0
    counted = figures(engine, ago(1))
    assert (counted["total"], counted["not_reopened"], sum(counted["by_reason"].values())) == (1, 1, 0)


def test_reopen_rate_is_reopened_over_total_to_three_decimals_and_zero_without_enterprises(engine, admin):
    assert figures(engine, TODAY)["reopen_rate"] == 0.0
    add(engine, admin, "甲", "reopened")
    add(engine, admin, "乙", "reopened")
    add(engine, admin, "丙", "applied")
    closed = add(engine, admin, "丁", "not_reopened", reason="other")
    change(engine, admin, closed, "closed", ago(5))
    assert figures(engine, TODAY)["reopen_rate"] == 0.667


def test_by_reason_counts_not_reopened_and_suspended_with_every_code_present(engine, admin):
    add(engine, admin, "甲", "not_reopened", reason="workers_short")
    add(engine, admin, "乙", "not_reopened", reason="workers_short")
    suspended = add(engine, admin, "丙", "reopened")
    change(engine, admin, suspended, "suspended", ago(2), "sector_restricted")
    reopened = add(engine, admin, "丁", "not_reopened", reason="materials_short")
    change(engine, admin, reopened, "applied", ago(4))
    perform(engine, admin, en.record_conditions, reopened, ALL_MET, ago(4))
    change(engine, admin, reopened, "reopened", ago(3))
    assert figures(engine, TODAY)["by_reason"] == {
        "workers_short": 2,
        "ppe_short": 0,
        "materials_short": 0,
        "weak_demand": 0,
        "sector_restricted": 1,
        "other": 0,
    }
    assert figures(engine, ago(5))["by_reason"]["materials_short"] == 1


def test_open_rectifications_are_items_opened_by_the_day_and_not_closed_by_its_end(engine, admin, shop, inspection):
    perform(engine, admin, en.add_inspection, shop, ago(3), "督查组李", [{"item": "口罩储备不足", "deadline": ago(2)}])
    with engine.connect() as conn:
        third = en.open_rectifications(conn, TODAY)[0]["id"]
    perform(engine, admin, en.close_rectification, third, ago(1), "督查组李")
    perform(engine, admin, en.add_inspection, shop, TODAY, "督查组李", [{"item": "出入登记不规范", "deadline": TODAY}])
    assert figures(engine, ago(4))["rectifications_open"] == 0
    assert figures(engine, ago(2))["rectifications_open"] == 3
    assert figures(engine, ago(1))["rectifications_open"] == 2
    assert figures(engine, TODAY)["rectifications_open"] == 3


def test_a_rectification_search_takes_wildcards_as_characters(engine, admin, shop, inspection):
    perform(
        engine, admin, en.add_inspection, shop, ago(2), "督查组李", [{"item": "消毒率100%未达标", "deadline": TODAY}]
    )
    with engine.connect() as conn:
        assert [row["item"] for row in en.open_rectifications(conn, TODAY, search="%")] == ["消毒率100%未达标"]
        assert en.open_rectifications(conn, TODAY, search="_") == []


def test_overdue_rectifications_are_open_items_whose_deadline_is_before_the_day(engine, admin, shop, inspection):
    due_yesterday = inspection[0]
    assert figures(engine, ago(1))["rectifications_overdue"] == 0
    assert figures(engine, TODAY)["rectifications_overdue"] == 1
    assert figures(engine, TODAY + timedelta(days=1))["rectifications_overdue"] == 2
    with engine.connect() as conn:
        overdue = en.overdue_rectifications(conn, TODAY)
    assert [(row["id"], row["enterprise"], row["days_overdue"]) for row in overdue] == [(due_yesterday, "示例面馆", 1)]
    perform(engine, admin, en.close_rectification, due_yesterday, TODAY, "督查组王", "已整改")
    assert figures(engine, TODAY)["rectifications_overdue"] == 0
    assert figures(engine, ago(1))["rectifications_open"] == 2


def test_reopen_rates_by_sector_put_the_laggards_first(engine, admin):
    add(engine, admin, "面馆", "not_reopened", reason="weak_demand")
    add(engine, admin, "饭店", "reopened")
    add(engine, admin, "足浴", "suspended", reason="sector_restricted", sector="足浴按摩")
    add(engine, admin, "超市", "reopened", sector="批发零售")
    gone = add(engine, admin, "商店", "not_reopened", reason="other", sector="批发零售")
    change(engine, admin, gone, "closed", ago(1))
    with engine.connect() as conn:
        rows = en.reopen_rates(conn, TODAY, "sector")
        by_kind = en.reopen_rates(conn, TODAY, "kind")
    assert rows == [
        {"group": "足浴按摩", "total": 1, "reopened": 0, "lagging": 1, "reopen_rate": 0.0},
        {"group": "餐饮", "total": 2, "reopened": 1, "lagging": 1, "reopen_rate": 0.5},
        {"group": "批发零售", "total": 1, "reopened": 1, "lagging": 0, "reopen_rate": 1.0},
    ]
    assert by_kind == [{"group": "shop", "total": 4, "reopened": 2, "lagging": 2, "reopen_rate": 0.5}]
    with engine.connect() as conn, pytest.raises(ValueError):
        en.reopen_rates(conn, TODAY, "address")


def test_reopen_trend_gives_each_day_the_figures_of_that_day(engine, admin, applied_shop):
    add(engine, admin, "甲", "reopened", ago(6))
    closing = add(engine, admin, "乙", "not_reopened", ago(5), "weak_demand")
    change(engine, admin, closing, "closed", ago(2))
    perform(engine, admin, en.record_conditions, applied_shop, ALL_MET, ago(4))
    change(engine, admin, applied_shop, "reopened", ago(4))
    change(engine, admin, applied_shop, "suspended", ago(4), "ppe_short")
    change(engine, admin, applied_shop, "reopened", ago(1))
    with engine.connect() as conn:
        trend = en.reopen_trend(conn, TODAY, 12)
        expected = [en.figures(conn, ago(days)) for days in range(11, -1, -1)]
    assert [day["date"] for day in trend] == [ago(days) for days in range(11, -1, -1)]
    assert [(day["total"], day["reopened"], day["reopen_rate"]) for day in trend] == [
        (day["total"], day["reopened"], day["reopen_rate"]) for day in expected
    ]
    assert [day["reopened"] for day in trend][-7:] == [1, 1, 1, 1, 1, 2, 2]


def test_registry_shows_the_status_of_the_day_and_finds_by_name_sector_or_grid(engine, admin, applied_shop):
    add(engine, admin, "阳光超市", "reopened", sector="批发零售", grid="第三网格")
    with engine.connect() as conn:
        assert [row["name"] for row in en.registry(conn, TODAY, "超市")] == ["阳光超市"]
        assert [row["name"] for row in en.registry(conn, TODAY, "第三")] == ["阳光超市"]
        assert [row["name"] for row in en.registry(conn, TODAY, "100%")] == []
        shown = {row["name"]: row for row in en.registry(conn, ago(9))}
    assert shown["示例面馆"]["status"] == "not_reopened"
    assert shown["示例面馆"]["reason"] == "workers_short"
    assert shown["阳光超市"]["status"] == "reopened"


def test_missing_conditions_take_the_newest_check_of_each_condition(engine, admin, shop):
    perform(engine, admin, en.record_conditions, shop, ALL_MET, ago(5))
    perform(engine, admin, en.record_conditions, shop, {"隔离观察室": "否", "ppe_reserve": False}, ago(2))
    perform(engine, admin, en.record_conditions, shop, {"ppe_reserve": "1"}, ago(1))
    with engine.connect() as conn:
        assert en.missing_conditions(conn, shop, ago(6)) == list(en.CONDITIONS)
        assert en.missing_conditions(conn, shop, ago(3)) == []
        assert en.missing_conditions(conn, shop, ago(2)) == ["isolation_room", "ppe_reserve"]
        assert en.missing_conditions(conn, shop) == ["isolation_room"]
        assert en.checklist(conn, shop)["ppe_reserve"]["checked_on"] == ago(1)


def test_figures_take_each_enterprises_latest_status_among_long_histories(engine):
    """Many enterprises with five status rows each: every figure reads the status in force on the day.

    (How fast this stays at district scale is measured in benchmarks/, not asserted here.)
    """
    count = 1_000
    with engine.begin() as conn:
        conn.execute(
            en.enterprises.insert(),
            [
                {
                    "name": f"企业{n}",
                    "kind": "shop",
                    "sector": "餐饮",
                    "grid": f"网格{n % 5}",
                    "employees": 2,
                    "registered_on": ago(30),
                }
                for n in range(1, count + 1)
            ],
        )
        conn.execute(
            en.status_changes.insert(),
            [
                {
                    "enterprise_id": n,
                    "status": status,
                    "effective_date": ago(30 - step * 5),
                    "changed_by": "load",
                    "reason": {"not_reopened": "workers_short", "suspended": "ppe_short"}.get(status),
                    "changed_at": clock.now(),
                }
                for n in range(1, count + 1)
                for step, status in enumerate(("not_reopened", "applied", "reopened", "suspended", "reopened"))
            ],
        )
        en.rebuild_enterprise_status_days(conn)
    with engine.connect() as conn:
        today, mid = en.figures(conn, TODAY), en.figures(conn, ago(14))
    assert (today["reopened"], mid["suspended"], mid["by_reason"]["ppe_short"]) == (count, count, count)


# --- rules -------------------------------------------------------------------------------------------------------


def _new(**changes):
    data = {
        "name": "新店",
        "kind": "个体工商户",
        "sector": "餐饮",
        "grid": "第一网格",
        "employees": "4",
        "status": "未复工",
        "status_date": ago(1),
        "reason": "务工人员未返岗",
    }
    return {**data, **changes}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (_new(name=" "), "name"),
        (_new(name="示例面馆"), "name"),
        (_new(kind="工厂"), "kind"),
        (_new(sector=None), "sector"),
        (_new(employees="-1"), "employees"),
        (_new(employees="三"), "employees"),
        (_new(status="营业"), "status"),
        (_new(status_date=TODAY + timedelta(days=1)), "status_date"),
        (_new(reason=None), "reason"),
        (_new(reason="没钱"), "reason"),
        (_new(status="reopened"), "reason"),
    ],
    ids=[
        "name_required",
        "name_unique",
        "kind_code",
        "sector_required",
        "employees_not_negative",
        "employees_whole_number",
        "status_code",
        "status_date_not_future",
        "reason_required_when_not_reopened",
        "reason_code",
        "reason_only_for_not_reopened_or_suspended",
    ],
)
def test_add_enterprise_refuses_bad_fields(engine, admin, shop, data, field):
    assert_refused(engine, lambda: perform(engine, admin, en.add_enterprise, data), field)


def test_add_enterprise_accepts_chinese_labels_and_numbers_as_text(engine, admin):
    enterprise_id = perform(engine, admin, en.add_enterprise, _new())
    with engine.connect() as conn:
        row = en.registry(conn, TODAY, "新店")[0]
    assert (row["id"], row["kind"], row["employees"], row["status"], row["reason"]) == (
        enterprise_id,
        "shop",
        4,
        "not_reopened",
        "workers_short",
    )


def test_a_status_change_outside_the_allowed_moves_is_refused(engine, admin, shop):
    refusal = assert_refused(engine, lambda: change(engine, admin, shop, "reopened", ago(1)), "status")
    assert "申请中、关闭" in refusal.messages("zh_CN")[0]
    assert_refused(engine, lambda: change(engine, admin, shop, "suspended", ago(1), "other"), "status")
    assert_refused(engine, lambda: change(engine, admin, shop, "not_reopened", ago(1), "other"), "status")


def test_a_closed_enterprise_changes_no_more(engine, admin, shop):
    change(engine, admin, shop, "closed", ago(2))
    refusal = assert_refused(engine, lambda: change(engine, admin, shop, "applied", ago(1)), "status")
    assert "closed for good" in refusal.messages("en")[0]


def test_reopening_needs_every_condition_and_the_refusal_names_the_missing_ones(engine, admin, applied_shop):
    perform(engine, admin, en.record_conditions, applied_shop, {**ALL_MET, "isolation_room": False}, ago(2))
    perform(engine, admin, en.record_conditions, applied_shop, {"isolation_room": True}, TODAY)
    refusal = assert_refused(engine, lambda: change(engine, admin, applied_shop, "reopened", ago(1)), "status")
    assert "隔离观察室" in refusal.messages("zh_CN")[0]
    assert "Isolation room" in refusal.messages("en")[0]
    assert "Masks for all staff" not in refusal.messages("en")[0]
    change(engine, admin, applied_shop, "reopened", TODAY)


def test_reopening_again_after_a_suspension_needs_the_checklist(engine, admin):
    suspended = add(engine, admin, "甲", "suspended", ago(5), "ppe_short")
    perform(engine, admin, en.record_conditions, suspended, {**ALL_MET, "ppe_reserve": False}, ago(3))
    assert_refused(engine, lambda: change(engine, admin, suspended, "reopened", ago(2)), "status")
    perform(engine, admin, en.record_conditions, suspended, {"ppe_reserve": True}, ago(2))
    change(engine, admin, suspended, "reopened", ago(2))
    assert figures(engine, TODAY)["reopened"] == 1


def test_a_status_change_may_not_predate_the_current_status(engine, admin, applied_shop):
    refusal = assert_refused(
        engine, lambda: change(engine, admin, applied_shop, "not_reopened", ago(9), "other"), "status_date"
    )
    assert ago(8).isoformat() in refusal.messages("en")[0]


def test_a_status_change_may_not_be_dated_in_the_future(engine, admin, shop):
    assert_refused(engine, lambda: change(engine, admin, shop, "applied", TODAY + timedelta(days=1)), "status_date")


def test_suspending_needs_a_reason(engine, admin):
    reopened = add(engine, admin, "甲", "reopened")
    assert_refused(engine, lambda: change(engine, admin, reopened, "suspended", ago(1)), "reason")


def test_a_status_change_names_a_known_enterprise(engine, admin):
    assert_refused(engine, lambda: change(engine, admin, "无此企业", "applied", ago(1)), "enterprise")
    assert_refused(engine, lambda: change(engine, admin, None, "applied", ago(1)), "enterprise")


@pytest.mark.parametrize(
    ("results", "checked_on", "field"),
    [
        ({"sprinklers": True}, ago(1), "condition"),
        ({"isolation_room": "maybe"}, ago(1), "met"),
        (ALL_MET, TODAY + timedelta(days=1), "checked_on"),
        ({}, ago(1), "conditions"),
    ],
    ids=["condition_code", "met_flag", "checked_on_not_future", "at_least_one_condition"],
)
def test_record_conditions_refuses_bad_fields(engine, admin, shop, results, checked_on, field):
    assert_refused(engine, lambda: perform(engine, admin, en.record_conditions, shop, results, checked_on), field)


@pytest.mark.parametrize(
    ("day", "inspector", "findings", "field"),
    [
        (TODAY + timedelta(days=1), "王", [], "date"),
        (ago(1), " ", [], "inspector"),
        (ago(1), "王", [{"item": "", "deadline": TODAY}], "item"),
        (ago(1), "王", [{"item": "消毒记录不全", "deadline": ago(2)}], "deadline"),
        (ago(1), "王", [{"item": "消毒记录不全", "deadline": "下周"}], "deadline"),
    ],
    ids=[
        "date_not_future",
        "inspector_required",
        "item_required",
        "deadline_not_before_inspection",
        "deadline_is_a_date",
    ],
)
def test_add_inspection_refuses_bad_fields(engine, admin, shop, day, inspector, findings, field):
    assert_refused(engine, lambda: perform(engine, admin, en.add_inspection, shop, day, inspector, findings), field)


def test_a_rectification_deadline_may_be_the_inspection_day_or_later(engine, admin, shop):
    perform(
        engine,
        admin,
        en.add_inspection,
        shop,
        ago(1),
        "王",
        [{"item": "消毒记录不全", "deadline": ago(1)}, {"item": "登记不全", "deadline": TODAY + timedelta(days=7)}],
    )
    assert count_rows(engine, "rectifications") == 2


@pytest.mark.parametrize(
    ("closed_on", "verified_by", "field"),
    [
        (ago(4), "王", "closed_on"),
        (TODAY + timedelta(days=1), "王", "closed_on"),
        (TODAY, "", "verified_by"),
    ],
    ids=["not_before_inspection", "not_future", "verifier_required"],
)
def test_close_rectification_refuses_bad_fields(engine, admin, inspection, closed_on, verified_by, field):
    assert_refused(
        engine, lambda: perform(engine, admin, en.close_rectification, inspection[0], closed_on, verified_by), field
    )


def test_an_item_is_closed_once_only(engine, admin, inspection):
    perform(engine, admin, en.close_rectification, inspection[0], ago(1), "王")
    refusal = assert_refused(
        engine, lambda: perform(engine, admin, en.close_rectification, inspection[0], TODAY, "李"), "rectification"
    )
    assert ago(1).isoformat() in refusal.messages("zh_CN")[0]


def test_closing_an_unknown_item_is_refused(engine, admin, inspection):
    assert_refused(engine, lambda: perform(engine, admin, en.close_rectification, 999, TODAY, "王"), "rectification")


def test_update_enterprise_is_audited_with_before_and_after(engine, admin, shop):
    add(engine, admin, "阳光超市", "reopened")
    assert_refused(engine, lambda: perform(engine, admin, en.update_enterprise, shop, {"name": "阳光超市"}), "name")
    assert_refused(engine, lambda: perform(engine, admin, en.update_enterprise, shop, {"employees": -2}), "employees")
    assert perform(engine, admin, en.update_enterprise, "示例面馆", {"employees": 12, "grid": "第一网格"})
    assert not perform(engine, admin, en.update_enterprise, shop, {"employees": "12"})
    with engine.connect() as conn:
        audit = conn.execute(sa.text("SELECT before, after FROM audit_log WHERE action = 'enterprises.update'")).one()
    assert audit == ('{"employees": 3}', '{"employees": 12}')


# --- corrections: history is kept ------------------------------------------------------------------------------


def test_a_status_correction_is_a_new_row_and_the_history_keeps_every_change(engine, admin, applied_shop):
    perform(engine, admin, en.record_conditions, applied_shop, ALL_MET, ago(3))
    change(engine, admin, applied_shop, "reopened", ago(3))
    assert figures(engine, TODAY)["reopened"] == 1
    perform(engine, admin, en.change_status, applied_shop, "suspended", ago(1), "workers_short", "厨师未返岗")
    assert figures(engine, TODAY)["suspended"] == 1
    assert figures(engine, ago(2))["reopened"] == 1
    with engine.connect() as conn:
        history = en.status_history(conn, applied_shop)
    assert [(row["status"], row["reason"]) for row in history] == [
        ("not_reopened", "workers_short"),
        ("applied", None),
        ("reopened", None),
        ("suspended", "workers_short"),
    ]
    assert history[-1]["note"] == "厨师未返岗"
    assert {row["changed_by"] for row in history} == {admin.username}


# --- roles -------------------------------------------------------------------------------------------------------


def _every_write(shop, item):
    return [
        (en.add_enterprise, (_new(),)),
        (en.update_enterprise, (shop, {"employees": 9})),
        (en.change_status, (shop, "applied", ago(1))),
        (en.record_conditions, (shop, ALL_MET, ago(1))),
        (en.add_inspection, (shop, ago(1), "王", [{"item": "消毒记录不全", "deadline": TODAY}])),
        (en.close_rectification, (item, TODAY, "王")),
    ]


@pytest.mark.parametrize("role", ["leader", "wall"])
def test_leader_and_wall_may_not_write(engine, role, shop, inspection):
    actor = Actor(f"{role}-test", role)
    before = snapshot(engine)
    for function, args in _every_write(shop, inspection[0]):
        with pytest.raises(PermissionDenied):
            perform(engine, actor, function, *args)
    assert snapshot(engine) == before


def test_a_clerk_writes_only_for_the_enterprises_assigned(engine, admin, shop, inspection):
    other = add(engine, admin, "阳光超市", "reopened")
    outsider = Actor("clerk-other", "clerk", (("enterprises", frozenset({other})),))
    before = snapshot(engine)
    for function, args in _every_write(shop, inspection[0])[1:]:
        with pytest.raises(PermissionDenied):
            perform(engine, outsider, function, *args)
    assert snapshot(engine) == before
    checkpoint_clerk = Actor("clerk-gate", "clerk", (("checkpoints", frozenset()),))
    with pytest.raises(PermissionDenied):
        perform(engine, checkpoint_clerk, en.add_enterprise, _new())
    assigned = Actor("clerk-shop", "clerk", (("enterprises", frozenset({shop})),))
    perform(engine, assigned, en.change_status, shop, "applied", ago(1))
    perform(engine, assigned, en.close_rectification, inspection[0], TODAY, "王")
    assert figures(engine, TODAY)["applied"] == 1


# --- import and export -------------------------------------------------------------------------------------------

ENGLISH = ["name", "kind", "sector", "grid", "employees", "status", "status_date", "reason"]
CHINESE = ["名称", "类型", "行业", "网格", "员工人数", "状态", "状态日期", "原因"]


def _write_csv(path, header, rows):
    lines = [",".join(header)] + [",".join("" if cell is None else str(cell) for cell in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def _write_xlsx(path, header, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def _rows(engine):
    with engine.connect() as conn:
        return sorted(tuple(row.values()) for row in en.TRANSFER_KINDS[0].read_rows(conn))


def test_import_csv_with_english_headers(engine, admin, tmp_path):
    path = _write_csv(
        tmp_path / "e.csv",
        ENGLISH,
        [
            ["华兴机械厂", "enterprise", "制造业", "第一网格", 120, "reopened", ago(5).isoformat(), ""],
            ["和平里面馆", "shop", "餐饮", "第二网格", 3, "not_reopened", ago(5).isoformat(), "weak_demand"],
        ],
    )
    assert import_file(engine, admin, "enterprises", path) == 2
    assert _rows(engine) == [
        ("华兴机械厂", "enterprise", "制造业", "第一网格", 120, "reopened", ago(5), None),
        ("和平里面馆", "shop", "餐饮", "第二网格", 3, "not_reopened", ago(5), "weak_demand"),
    ]


@pytest.mark.parametrize("header", [ENGLISH, CHINESE], ids=["english", "chinese"])
def test_import_xlsx_with_chinese_labels(engine, admin, tmp_path, header):
    path = _write_xlsx(
        tmp_path / "e.xlsx",
        header,
        [
            ["示例足浴店", "个体工商户", "足浴按摩", "第三网格", 4, "停工", ago(2), "行业限制"],
            ["示例建筑公司", "企业", "建筑业", "第四网格", 60.0, "已复工", ago(2).isoformat(), None],
        ],
    )
    assert import_file(engine, admin, "enterprises", path, "e.xlsx") == 2
    counted = figures(engine, TODAY)
    assert (counted["suspended"], counted["reopened"], counted["by_reason"]["sector_restricted"]) == (1, 1, 1)


def test_importing_a_known_name_adds_a_status_change_when_the_status_differs(engine, admin, shop, tmp_path):
    path = _write_csv(
        tmp_path / "e.csv",
        CHINESE,
        [
            ["示例面馆", "个体工商户", "餐饮", "第二网格", 5, "申请中", ago(1).isoformat(), ""],
            ["示例面馆", "个体工商户", "餐饮", "第二网格", 5, "申请中", TODAY.isoformat(), ""],
        ],
    )
    import_file(engine, admin, "enterprises", path)
    with engine.connect() as conn:
        history = en.status_history(conn, shop)
        row = en.registry(conn, TODAY, "示例面馆")[0]
    assert [(change["status"], change["effective_date"]) for change in history] == [
        ("not_reopened", ago(10)),
        ("applied", ago(1)),
    ]
    assert (row["grid"], row["employees"]) == ("第二网格", 5)


def test_a_file_with_one_bad_row_writes_nothing_and_names_the_row_and_column(engine, admin, shop, tmp_path):
    path = _write_csv(
        tmp_path / "e.csv",
        ENGLISH,
        [
            ["甲店", "shop", "餐饮", "第一网格", 2, "reopened", ago(1).isoformat(), ""],
            ["乙店", "shop", "餐饮", "第一网格", 2, "not_reopened", ago(1).isoformat(), ""],
            ["示例面馆", "shop", "餐饮", "第一网格", 2, "reopened", ago(1).isoformat(), ""],
            ["丙店", "shop", "餐饮", "第一网格", 2, "reopened", ago(1).isoformat(), ""],
        ],
    )
    before = snapshot(engine)
    with pytest.raises(ImportRejected) as rejected:
        import_file(engine, admin, "enterprises", path)
    assert [(error.row, error.column) for error in rejected.value.row_errors] == [(3, "reason"), (4, "status")]
    assert "第 3 行" in rejected.value.messages("zh_CN")[0]
    assert snapshot(engine) == before


def test_export_then_import_gives_the_same_rows(engine, admin, database_factory, tmp_path, shop):
    add(engine, admin, "阳光超市", "reopened", ago(4), sector="批发零售")
    add(engine, admin, "华兴机械厂", "suspended", ago(3), "materials_short", kind="enterprise", sector="制造业")
    for suffix in ("csv", "xlsx"):
        path = tmp_path / f"enterprises.{suffix}"
        assert export_file(engine, "enterprises", path) == 3
        other = connect(database_factory.fresh_url())
        try:
            import_file(other, admin, "enterprises", path)
            assert _rows(other) == _rows(engine)
        finally:
            other.dispose()
        before = snapshot(engine)
        import_file(engine, admin, "enterprises", path)
        assert snapshot(engine)["enterprise_status_changes"] == before["enterprise_status_changes"]


# --- sample ------------------------------------------------------------------------------------------------------


def _community(seed=7, days=30):
    return Community(rng=random.Random(seed), today=TODAY, days=days)


def test_sample_plan_is_deterministic():
    def plan():
        community = _community()
        businesses = sample._businesses(community)
        sample._assign_fates(community, businesses)
        return [(b.name, b.sector, b.grid, b.fate, b.reason) for b in businesses]

    assert plan() == plan()


def test_sample_gives_the_scenario_of_the_community(engine):
    write(engine, Actor("sample", "admin"), lambda ctx: sample.generate(ctx, _community()))
    counted = figures(engine, TODAY)
    assert counted | {"by_reason": None} == {
        "total": 1136,
        "reopened": 1095,
        "reopen_rate": 0.964,
        "applied": 5,
        "not_reopened": 28,
        "suspended": 8,
        "closed": 2,
        "by_reason": None,
        "rectifications_open": 3,
        "rectifications_overdue": 1,
    }
    assert sum(counted["by_reason"].values()) == 36
    assert counted["by_reason"]["sector_restricted"] == 14
    assert count_rows(engine, "rectification_closures") >= 3
    with engine.connect() as conn:
        laggards = [row["group"] for row in en.reopen_rates(conn, TODAY, "sector")[:3]]
        trend = en.reopen_trend(conn, TODAY, 30)
        reopened = [row["id"] for row in en.registry(conn, TODAY, limit=2000) if row["status"] == "reopened"]
        incomplete = [eid for eid in reopened[::20] if en.missing_conditions(conn, eid)]
    assert sorted(laggards) == ["烧烤", "足浴按摩", "餐饮"]
    assert trend[0]["reopen_rate"] < 0.5 < trend[-1]["reopen_rate"]
    assert incomplete == []
