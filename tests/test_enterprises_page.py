"""The reopening page (复工复产) through AppTest: entries change the figures, refusals store nothing, roles hold.

Each test builds its few enterprises through the data layer on a fresh
database and drives the page as a user would: choose an enterprise, fill a
form, tap its button, read what the page says and count the stored rows.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from streamlit.testing.v1 import AppTest

from data_layer import clock
from data_layer import enterprises as en
from data_layer.db import Actor, perform
from support import ago, count_rows, open_page, register_enterprise, snapshot
from ui import forms

PAGE = "pages/enterprises.py"
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
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_HEADER = ["名称", "类型", "行业", "网格", "员工人数", "状态", "状态日期", "原因"]


def choose(app: AppTest, enterprise_id: int) -> None:
    app.selectbox(key="enterprises:chosen").select(enterprise_id).run()


def form(app: AppTest, name: str):
    """The form rendered for ``name`` (its key is the name and the current token)."""
    matches = [block for block in app.form if block.key.startswith(f"{name}-")]
    assert len(matches) == 1, [block.key for block in app.form]
    return matches[0]


def submit(app: AppTest, name: str) -> AppTest:
    return form(app, name).form_submit_button[0].click().run()


def table_with(app: AppTest, column: str):
    """The first table on the page that has ``column``."""
    return next(frame.value for frame in app.dataframe if column in frame.value.columns)


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def texts(app: AppTest) -> str:
    return "\n".join(element.value for element in (*app.markdown, *app.success, *app.error, *app.caption))


@pytest.fixture
def applied_shop(engine, admin):
    """A restaurant registered not reopened ten days ago that applied eight days ago."""
    shop = register_enterprise(
        engine, admin, "示例面馆", "not_reopened", ago(10), "workers_short", contact="王芳 13800001234"
    )
    perform(engine, admin, en.change_status, shop, "applied", ago(8))
    return shop


@pytest.fixture
def reopened_shop(engine, admin):
    return register_enterprise(engine, admin, "阳光超市", "reopened", ago(10))


def test_a_status_change_through_the_page_changes_the_figures_and_keeps_the_history(
    monkeypatch, engine, db_url, admin, applied_shop
):
    perform(engine, admin, en.record_conditions, applied_shop, ALL_MET, ago(1))
    app = open_page(monkeypatch, db_url, admin, PAGE)
    assert (metrics(app)["已复工"], metrics(app)["申请中"], metrics(app)["复工率"]) == ("0", "1", "0.0%")
    choose(app, applied_shop)
    assert "复工条件已全部达标" in texts(app)
    before = snapshot(engine, TABLES)

    form(app, f"enterprise-status-{applied_shop}").selectbox[0].select("reopened")
    submit(app, f"enterprise-status-{applied_shop}")

    assert not app.error
    assert snapshot(engine, TABLES) == before | {
        "enterprise_status_changes": before["enterprise_status_changes"] + 1,
        "audit_log": before["audit_log"] + 1,
    }
    assert (metrics(app)["已复工"], metrics(app)["申请中"], metrics(app)["复工率"]) == ("1", "0", "100.0%")
    assert "示例面馆 自" in app.success[0].value
    history = table_with(app, "录入人")
    assert list(history["状态"]) == ["已复工", "申请中", "未复工"]
    assert history["录入人"].iloc[0] == admin.username
    assert "当前状态：**已复工**" in texts(app)


def test_reopening_without_the_checklist_shows_the_missing_conditions_and_stores_nothing_until_it_is_complete(
    monkeypatch, engine, db_url, admin, applied_shop
):
    perform(
        engine,
        admin,
        en.record_conditions,
        applied_shop,
        {**dict.fromkeys(en.CONDITIONS[:5], True), "isolation_room": False},
        ago(1),
    )
    app = open_page(monkeypatch, db_url, admin, PAGE)
    choose(app, applied_shop)
    assert "暂不能复工，尚缺：隔离观察室、防护物资储备" in texts(app)
    before = snapshot(engine, TABLES)

    form(app, f"enterprise-status-{applied_shop}").selectbox[0].select("reopened")
    submit(app, f"enterprise-status-{applied_shop}")

    assert len(app.error) == 1
    assert "复工条件未全部达标" in app.error[0].value
    assert "隔离观察室" in app.error[0].value and "防护物资储备" in app.error[0].value
    assert snapshot(engine, TABLES) == before
    assert metrics(app)["已复工"] == "0"

    checklist = form(app, f"enterprise-conditions-{applied_shop}")
    for box in checklist.checkbox:
        box.check()
    submit(app, f"enterprise-conditions-{applied_shop}")
    assert count_rows(engine, "enterprise_conditions") == before["enterprise_conditions"] + len(en.CONDITIONS)
    assert "复工条件已全部达标" in texts(app)
    form(app, f"enterprise-status-{applied_shop}").selectbox[0].select("reopened")
    submit(app, f"enterprise-status-{applied_shop}")
    assert not app.error
    assert metrics(app)["已复工"] == "1"


def test_an_inspection_and_a_closure_through_the_page_change_the_figures(
    monkeypatch, engine, db_url, admin, reopened_shop
):
    app = open_page(monkeypatch, db_url, admin, PAGE)
    choose(app, reopened_shop)
    assert (metrics(app)["整改未完成"], metrics(app)["整改超期"]) == ("0", "0")
    app.number_input(key=f"enterprises:finding_count:{reopened_shop}").set_value(2).run()
    inspection = form(app, f"enterprise-inspection-{reopened_shop}")
    inspection.date_input[0].set_value(ago(3))
    inspection.text_input[0].input("督查组王")
    inspection.text_input[1].input("消毒记录不全")
    inspection.date_input[1].set_value(ago(1))
    inspection.text_input[2].input("未设隔离观察室")
    submit(app, f"enterprise-inspection-{reopened_shop}")

    assert not app.error
    assert (count_rows(engine, "inspections"), count_rows(engine, "rectifications")) == (1, 2)
    assert (metrics(app)["整改未完成"], metrics(app)["整改超期"]) == ("2", "1")
    assert "整改超期：阳光超市（第一网格）“消毒记录不全”" in texts(app)
    assert "开出整改事项 2 项" in app.success[0].value
    assert app.get("download_button")

    form(app, "enterprise-close-item").text_input[0].input("社区李")
    submit(app, "enterprise-close-item")
    assert not app.error
    assert count_rows(engine, "rectification_closures") == 1
    assert (metrics(app)["整改未完成"], metrics(app)["整改超期"]) == ("1", "0")
    assert "没有超期的整改事项" in texts(app)
    inspections = app.selectbox(key=f"enterprises:inspection:{reopened_shop}").options
    assert len(inspections) == 1 and inspections[0].endswith("督查组王：整改 2 项，未销号 1 项")


def _blank_inspector(app, enterprise_id):
    form(app, f"enterprise-inspection-{enterprise_id}").text_input[1].input("消毒记录不全")
    return f"enterprise-inspection-{enterprise_id}", "检查人：必填"


def _closed_without_verifier(app, enterprise_id):
    return "enterprise-close-item", "验收人：必填"


def _registered_without_name(app, enterprise_id):
    form(app, "enterprise-register").text_input[1].input("餐饮")
    return "enterprise-register", "名称：必填"


@pytest.mark.parametrize(
    "fill",
    [_blank_inspector, _closed_without_verifier, _registered_without_name],
    ids=lambda fill: fill.__name__.strip("_"),
)
def test_bad_input_stores_nothing_and_names_the_field(monkeypatch, engine, db_url, admin, reopened_shop, fill):
    perform(
        engine,
        admin,
        en.add_inspection,
        reopened_shop,
        ago(3),
        "督查组王",
        [{"item": "出入登记不规范", "deadline": ago(1)}],
    )
    app = open_page(monkeypatch, db_url, admin, PAGE)
    choose(app, reopened_shop)
    before = snapshot(engine, TABLES)
    name, message = fill(app, reopened_shop)
    submit(app, name)
    assert len(app.error) == 1
    assert message in app.error[0].value
    assert snapshot(engine, TABLES) == before


def test_a_refusal_speaks_english_on_the_english_page(monkeypatch, engine, db_url, admin, reopened_shop):
    app = open_page(monkeypatch, db_url, admin, PAGE, "en")
    choose(app, reopened_shop)
    form(app, f"enterprise-status-{reopened_shop}").selectbox[0].select("suspended")
    submit(app, f"enterprise-status-{reopened_shop}")
    assert app.error[0].value == "Reason: is required"
    assert count_rows(engine, "enterprise_status_changes") == 1


def test_a_leader_sees_the_figures_and_records_but_no_entry_form_and_no_phone_number(
    monkeypatch, engine, db_url, admin, leader, applied_shop
):
    perform(
        engine,
        admin,
        en.add_inspection,
        applied_shop,
        ago(3),
        "督查组王",
        [{"item": "消毒记录不全", "deadline": ago(1)}],
    )
    app = open_page(monkeypatch, db_url, leader, PAGE)
    assert metrics(app)["申请中"] == "1"
    assert not app.form and not app.get("file_uploader") and not app.button
    assert "导入与登记" not in [tab.label for tab in app.tabs]
    registry = table_with(app, "联系人")
    assert list(registry["联系人"]) == ["王芳 138****1234"]
    assert "共找到 1 家，显示 1 家" in texts(app)
    assert "13800001234" not in texts(app)
    choose(app, applied_shop)
    assert app.get("download_button")
    assert not app.form


def test_a_clerk_sees_only_the_assigned_enterprise_and_is_refused_for_another(
    monkeypatch, engine, db_url, admin, applied_shop, reopened_shop
):
    perform(
        engine,
        admin,
        en.add_inspection,
        reopened_shop,
        ago(3),
        "督查组王",
        [{"item": "消毒记录不全", "deadline": ago(1)}],
    )
    clerk = Actor("clerk-test", "clerk", (("enterprises", frozenset({applied_shop})),))
    app = open_page(monkeypatch, db_url, clerk, PAGE)
    assert app.selectbox(key="enterprises:chosen").options == ["示例面馆（第一网格，申请中）"]
    assert "报告日期" not in [widget.label for widget in app.date_input]
    before = snapshot(engine, TABLES)
    form(app, "enterprise-close-item").text_input[0].input("社区李")
    submit(app, "enterprise-close-item")
    assert "您的角色无权录入复工复产数据" in app.error[0].value
    assert snapshot(engine, TABLES) == before


def test_only_a_clerk_of_every_enterprise_gets_the_register_form_and_the_import(monkeypatch, db_url, applied_shop):
    """A clerk limited to some enterprises registers none (the data layer refuses it), so the page offers them
    neither the form nor the import; the inspection team, assigned the whole domain, gets both."""
    some = Actor("clerk-some", "clerk", (("enterprises", frozenset({applied_shop})),))
    limited = open_page(monkeypatch, db_url, some, PAGE)
    assert "导入与登记" not in [tab.label for tab in limited.tabs]
    assert not [block for block in limited.form if block.key.startswith("enterprise-register-")]
    assert not limited.file_uploader

    team = open_page(monkeypatch, db_url, Actor("clerk-all", "clerk", (("enterprises", frozenset()),)), PAGE)
    assert "导入与登记" in [tab.label for tab in team.tabs]
    assert form(team, "enterprise-register") and team.file_uploader
    assert not limited.exception and not team.exception


def _workbook(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(IMPORT_HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _import(app: AppTest, content: bytes) -> AppTest:
    app.file_uploader[0].set_value(("名录.xlsx", content, XLSX)).run()
    import_button = next(button for button in app.button if button.label == "导入")
    return import_button.click().run()


def test_an_import_with_a_bad_row_shows_the_row_error_and_stores_nothing_and_a_good_one_says_how_many(
    monkeypatch, engine, db_url, admin
):
    app = open_page(monkeypatch, db_url, admin, PAGE)
    good = ["甲店", "个体工商户", "餐饮", "第一网格", 2, "已复工", ago(1).isoformat(), None]
    _import(
        app,
        _workbook([good, ["乙厂", "企业", "制造业", "第二网格", "很多", "未复工", ago(1).isoformat(), "原材料不足"]]),
    )
    assert len(app.error) == 1
    assert "文件未导入" in app.error[0].value
    assert "第 3 行" in app.error[0].value and "员工人数" in app.error[0].value
    assert snapshot(engine, TABLES) == dict.fromkeys(TABLES, 0) | {"audit_log": 0}

    _import(
        app, _workbook([good, ["乙厂", "企业", "制造业", "第二网格", 80, "未复工", ago(1).isoformat(), "原材料不足"]])
    )
    assert not app.error
    assert count_rows(engine, "enterprises") == 2
    assert "已从“名录.xlsx”导入 2 行" in app.success[0].value
    assert (metrics(app)["企业及个体工商户"], metrics(app)["复工率"]) == ("2", "50.0%")


def test_a_second_tap_on_the_fresh_inspection_form_still_reads_saved_and_stores_once(
    monkeypatch, engine, db_url, admin, reopened_shop
):
    monkeypatch.setattr(forms, "REPEAT_SECONDS", 60)  # however slowly this machine draws the pages
    app = open_page(monkeypatch, db_url, admin, PAGE)
    choose(app, reopened_shop)
    inspection = form(app, f"enterprise-inspection-{reopened_shop}")
    inspection.text_input[0].input("督查组王")
    inspection.text_input[1].input("消毒记录不全")
    submit(app, f"enterprise-inspection-{reopened_shop}")
    saved = app.success[0].value
    submit(app, f"enterprise-inspection-{reopened_shop}")
    assert not app.error and [item.value for item in app.success] == [saved]
    assert (count_rows(engine, "inspections"), count_rows(engine, "rectifications")) == (1, 1)
