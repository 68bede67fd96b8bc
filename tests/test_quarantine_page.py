"""The quarantine page (隔离管控) through AppTest: registering, refusals, changes with history, bulk release,
the follow-up grid, and what each role sees (leaders: masked numbers and no entry form)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

import pytest
from streamlit.testing.v1 import AppTest

import support
from data_layer import clock, quarantine
from data_layer.db import Actor, perform
from data_layer.i18n import format_day, translate
from support import count_rows, open_page, page_text, snapshot
from ui import forms

PAGE = "pages/quarantine.py"
TODAY = clock.today()
TABS = ("situation", "register", "entry", "followup", "notices")
QUARANTINE_TABLES = ("persons", "quarantine_episodes", "episode_changes", "quarantine_followups")


id_number = partial(support.id_number, prefix="23020219900101")


def person(n: int, **fields: object) -> dict[str, object]:
    """A person of the page's own ID numbers and names, three days into home quarantine."""
    return support.quarantine_person(
        n, TODAY - timedelta(days=3), **{"name": f"页面{n}", "id_number": id_number(n), **fields}
    )


def register(engine, admin, n: int, **fields: object) -> int:
    return perform(engine, admin, quarantine.register, person(n, **fields))


def open_tab(monkeypatch, url: str, user: Actor, tab: str = "situation", language: str = "zh") -> AppTest:
    """The quarantine page signed in as ``user``, on ``tab``."""
    return show_tab(open_page(monkeypatch, url, user, PAGE, language), tab, language)


def show_tab(app: AppTest, tab: str, language: str = "zh") -> AppTest:
    app.session_state["quarantine_tab"] = translate(f"quarantine.page.tab.{tab}", language)
    app.run()
    assert not app.exception, app.exception
    return app


def widget(widgets, label: str):
    """The widget whose label is the catalog text ``label`` (in Chinese)."""
    text = translate(label, "zh_CN")
    found = [item for item in widgets if item.label == text]
    assert found, f"no widget labelled {text!r}: {[item.label for item in widgets]}"
    return found[0]


def token(app: AppTest, form: str) -> str:
    return app.session_state[f"form_token:{form}"]


def metric_value(app: AppTest, label: str) -> str:
    return next(metric.value for metric in app.metric if metric.label == translate(label, "zh_CN"))


def fill_register_form(app: AppTest, data: dict[str, object]) -> None:
    for field in ("name", "id_number", "phone", "grid", "address", "origin"):
        if field in data:
            widget(app.text_input, f"quarantine.field.{field}").set_value(data[field])
    if "origin_category" in data:
        widget(app.selectbox, "quarantine.field.origin_category").set_value(data["origin_category"])
    widget(app.selectbox, "quarantine.field.mode").set_value(data.get("mode", "home"))


def submit_register(app: AppTest) -> AppTest:
    widget(app.button, "quarantine.page.register_submit").click()
    app.run()
    assert not app.exception, app.exception
    return app


# --- registering ---------------------------------------------------------------------------------------------------


def test_registering_through_the_form_stores_one_episode_and_the_figures_count_it(monkeypatch, db_url, engine, admin):
    app = open_tab(monkeypatch, db_url, admin)
    assert metric_value(app, "quarantine.figure.current") == "0"

    show_tab(app, "entry")
    fill_register_form(app, person(1))
    submit_register(app)

    assert not app.error
    assert count_rows(engine, "quarantine_episodes") == 1 and count_rows(engine, "persons") == 1
    end = TODAY + timedelta(days=14)
    assert app.success[0].value == translate(
        "quarantine.page.registered", "zh_CN", name="页面1", date=format_day(end, "zh_CN")
    )
    assert widget(app.text_input, "quarantine.field.name").value == ""
    show_tab(app, "situation")
    assert metric_value(app, "quarantine.figure.current") == "1"
    assert metric_value(app, "quarantine.figure.admitted") == "1"
    assert metric_value(app, "quarantine.code.home") == "1"


def test_planned_days_follow_the_origin_category_and_the_planned_end_is_shown(monkeypatch, db_url, admin):
    monkeypatch.setenv("COMMAND_POST_PLANNED_DAYS", "in_province_other_city=7")
    app = open_tab(monkeypatch, db_url, admin, "entry")
    widget(app.selectbox, "quarantine.field.origin_category").set_value("in_province_other_city")
    app.run()

    assert widget(app.number_input, "quarantine.field.planned_days").value == 7
    planned_end = translate(
        "quarantine.page.planned_end_is", "zh_CN", date=format_day(TODAY + timedelta(days=7), "zh_CN")
    )
    assert any(planned_end in item.value for item in app.markdown)


def refused_registration(monkeypatch, db_url, engine, admin, data: dict) -> AppTest:
    before = snapshot(engine, QUARANTINE_TABLES)
    app = open_tab(monkeypatch, db_url, admin, "entry")
    fill_register_form(app, data)
    if data.get("site"):
        widget(app.selectbox, "quarantine.field.site").set_value(data["site"])
    submit_register(app)
    assert snapshot(engine, QUARANTINE_TABLES) == before
    assert not app.success
    return app


def test_a_full_site_is_refused_with_the_sites_message(monkeypatch, db_url, engine, admin):
    site = perform(engine, admin, quarantine.add_site, {"name": "城东隔离点", "capacity": 1})
    register(engine, admin, 1, mode="centralized", site=site)

    app = refused_registration(monkeypatch, db_url, engine, admin, person(2, mode="centralized", site=site))
    assert translate("quarantine.field.site", "zh_CN") in app.error[0].value
    assert "已满" in app.error[0].value


def test_a_person_under_quarantine_already_is_refused(monkeypatch, db_url, engine, admin):
    register(engine, admin, 1)

    app = refused_registration(monkeypatch, db_url, engine, admin, person(1, name="页面1"))
    assert translate("quarantine.field.id_number", "zh_CN") in app.error[0].value
    assert "已在隔离" in app.error[0].value or "页面1" in app.error[0].value


def test_an_invalid_id_number_is_refused(monkeypatch, db_url, engine, admin):
    wrong = id_number(1)[:17] + ("0" if id_number(1)[17] != "0" else "1")

    app = refused_registration(monkeypatch, db_url, engine, admin, person(1, id_number=wrong))
    assert translate("quarantine.field.id_number", "zh_CN") in app.error[0].value
    assert wrong in app.error[0].value


# --- changes -------------------------------------------------------------------------------------------------------


def save_change(app: AppTest, action: str, when: date, reason: str) -> AppTest:
    app.segmented_control(key="quarantine_change_action").set_value(action)
    app.run()
    form = token(app, "quarantine_change")
    app.date_input(key=f"change_end-{form}" if action == "change_end" else f"change_when-{form}").set_value(when)
    app.text_input(key=f"change_reason-{form}").set_value(reason)
    widget(app.button, "quarantine.page.change_submit").click()
    app.run()
    assert not app.exception, app.exception
    return app


def test_an_end_before_the_start_is_refused_and_nothing_changes(monkeypatch, db_url, engine, admin):
    register(engine, admin, 1)
    before = snapshot(engine, QUARANTINE_TABLES)
    app = open_tab(monkeypatch, db_url, admin, "entry")

    save_change(app, "release", TODAY - timedelta(days=5), "")

    assert translate("quarantine.field.end_date", "zh_CN") in app.error[0].value
    assert snapshot(engine, QUARANTINE_TABLES) == before


def test_extending_and_shortening_keep_the_history(monkeypatch, db_url, engine, admin):
    episode = register(engine, admin, 1, planned_days=14)
    planned_end = TODAY - timedelta(days=3) + timedelta(days=14)
    app = open_tab(monkeypatch, db_url, admin, "entry")

    save_change(app, "change_end", planned_end + timedelta(days=7), "密接复核，延长观察")
    assert not app.error, app.error[0].value
    save_change(app, "change_end", planned_end + timedelta(days=2), "复核阴性，缩短")
    assert not app.error

    with engine.connect() as conn:
        history = quarantine.episode_history(conn, episode)
    assert [(row["kind"], row["old_planned_end"], row["new_planned_end"], row["reason"]) for row in history] == [
        ("extend", planned_end, planned_end + timedelta(days=7), "密接复核，延长观察"),
        ("shorten", planned_end + timedelta(days=7), planned_end + timedelta(days=2), "复核阴性，缩短"),
    ]
    shown = app.dataframe[-1].value
    assert list(shown[translate("quarantine.page.col.kind", "zh_CN")]) == ["延长隔离", "缩短隔离"]
    assert list(shown[translate("quarantine.field.reason", "zh_CN")]) == ["密接复核，延长观察", "复核阴性，缩短"]


def test_a_release_offers_the_release_notice_at_once(monkeypatch, db_url, engine, admin):
    episode = register(engine, admin, 1)
    app = open_tab(monkeypatch, db_url, admin, "entry")

    save_change(app, "release", TODAY, "")

    with engine.connect() as conn:
        assert quarantine.released_on(conn, TODAY, admin)[0]["episode_id"] == episode
    assert app.success and app.get("download_button")[0].label == translate("quarantine.page.download_notices", "zh_CN")


def overdue(engine, admin, n: int) -> int:
    return register(engine, admin, n, start_date=TODAY - timedelta(days=16), planned_days=14)


def test_bulk_release_is_all_or_nothing(monkeypatch, db_url, engine, admin):
    first = overdue(engine, admin, 1)
    second = register(engine, admin, 2, start_date=TODAY - timedelta(days=12), planned_days=14)  # due in 2 days
    app = open_tab(monkeypatch, db_url, admin)
    form = token(app, "quarantine_bulk_release")
    choice = app.multiselect(key=f"bulk_people-{form}")
    assert choice.value == [first] and sorted(choice.options) == [
        "页面1 · 第一网格 · 计划 " + format_day(TODAY - timedelta(days=2), "zh_CN") + " 解除",
        "页面2 · 第一网格 · 计划 " + format_day(TODAY + timedelta(days=2), "zh_CN") + " 解除",
    ]
    before = snapshot(engine, QUARANTINE_TABLES)

    choice.set_value([first, second])
    app.date_input(key=f"bulk_end-{form}").set_value(TODAY - timedelta(days=14))  # before the second one's start
    widget(app.button, "quarantine.page.bulk_submit").click()
    app.run()

    assert "页面2" in app.error[0].value and translate("quarantine.field.end_date", "zh_CN") in app.error[0].value
    assert snapshot(engine, QUARANTINE_TABLES) == before
    with engine.connect() as conn:
        assert {row["episode_id"] for row in quarantine.register_rows(conn, TODAY, actor=admin)} == {first, second}


def test_bulk_release_releases_everyone_chosen_and_the_figures_follow(monkeypatch, db_url, engine, admin):
    overdue(engine, admin, 1), overdue(engine, admin, 2), register(engine, admin, 3)
    app = open_tab(monkeypatch, db_url, admin)
    assert metric_value(app, "quarantine.figure.overdue") == "2"

    widget(app.button, "quarantine.page.bulk_submit").click()
    app.run()

    assert not app.error
    assert app.success[0].value == translate("quarantine.page.released_count", "zh_CN", count=2)
    assert metric_value(app, "quarantine.figure.overdue") == "0"
    assert metric_value(app, "quarantine.figure.released") == "2"
    assert metric_value(app, "quarantine.figure.current") == "1"


# --- follow-up grid ------------------------------------------------------------------------------------------------


def open_grid(monkeypatch, db_url, admin) -> AppTest:
    app = open_tab(monkeypatch, db_url, admin, "followup")
    app.segmented_control(key="quarantine_followup_scope").set_value("grid")
    app.run()
    return app


def edit_grid(app: AppTest, edits: dict[int, dict], reason: str = "") -> AppTest:
    form = token(app, "quarantine_followups")
    app.session_state[f"followup_grid-{form}"] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
    widget(app.text_input, "quarantine.page.correction_reason").set_value(reason)
    widget(app.button, "quarantine.page.followup_submit").click()
    app.run()
    assert not app.exception, app.exception
    return app


def test_the_follow_up_grid_saves_the_day_in_one_go_and_shows_the_fever(monkeypatch, db_url, engine, admin):
    first, second = register(engine, admin, 1), register(engine, admin, 2)
    app = open_grid(monkeypatch, db_url, admin)
    assert len(app.data_editor) == 1 and len(app.data_editor[0].value) == 2

    edit_grid(
        app,
        {
            0: {"AM_temperature": 36.5, "PM_temperature": 36.7},
            1: {"AM_temperature": 38.1, "AM_symptoms": True, "symptom_text": "咳嗽"},
        },
    )

    assert not app.error
    assert app.success[0].value == translate("quarantine.page.followups_saved", "zh_CN", count=3)
    with engine.connect() as conn:
        sheet = {row["episode_id"]: row for row in quarantine.followup_sheet(conn, TODAY)}
        assert quarantine.figures(conn, TODAY)["fever_in_quarantine"] == 1
    assert sheet[first]["AM"]["temperature"] == 36.5 and sheet[first]["PM"]["temperature"] == 36.7
    assert sheet[second]["AM"] == {"id": sheet[second]["AM"]["id"], "temperature": 38.1, "symptoms": True}
    fever = translate(
        "quarantine.page.fever_alert", "zh_CN", name="页面2", grid="第一网格", slot="上午", temperature="38.1"
    )
    assert any(fever in item.value for item in app.markdown)
    show_tab(app, "situation")
    assert any(fever in item.value for item in app.markdown)


def test_changing_a_recorded_reading_is_a_correction_that_needs_a_reason(monkeypatch, db_url, engine, admin):
    episode = register(engine, admin, 1)
    original = perform(
        engine,
        admin,
        quarantine.add_followup,
        {"episode_id": episode, "date": TODAY, "slot": "AM", "temperature": 38.5, "by": "网格员"},
    )
    app = open_grid(monkeypatch, db_url, admin)
    before = snapshot(engine, QUARANTINE_TABLES)

    edit_grid(app, {0: {"AM_temperature": 36.5, "PM_temperature": 36.6}})
    assert translate("quarantine.field.reason", "zh_CN") in app.error[0].value
    assert snapshot(engine, QUARANTINE_TABLES) == before

    edit_grid(app, {0: {"AM_temperature": 36.5, "PM_temperature": 36.6}}, reason="录入错误")
    assert not app.error
    with engine.connect() as conn:
        am = quarantine.followup_sheet(conn, TODAY)[0]["AM"]
    assert am["temperature"] == 36.5 and am["id"] != original
    assert count_rows(engine, "quarantine_followups") == 3


# --- roles ---------------------------------------------------------------------------------------------------------


def test_a_leader_sees_masked_numbers_only_and_no_entry_form(monkeypatch, db_url, engine, admin, leader):
    site = perform(engine, admin, quarantine.add_site, {"name": "城东隔离点", "capacity": 5})
    people = [
        person(1, mode="centralized", site=site),
        person(2),
        person(3, start_date=TODAY - timedelta(days=16), planned_days=14),
    ]
    episodes = [perform(engine, admin, quarantine.register, data) for data in people]
    perform(
        engine,
        admin,
        quarantine.add_followup,
        {"episode_id": episodes[0], "date": TODAY, "slot": "AM", "temperature": 38.0, "by": "网格员"},
    )
    released = perform(engine, admin, quarantine.register, person(4, start_date=TODAY - timedelta(days=14)))
    perform(engine, admin, quarantine.release, released, TODAY)
    numbers = [value for data in [*people, person(4)] for value in (data["id_number"], data["phone"])]

    app = open_tab(monkeypatch, db_url, leader)
    tabs = {tab.label for tab in app.tabs}
    assert {translate(f"quarantine.page.tab.{name}", "zh_CN") for name in ("register", "notices")} <= tabs
    assert not {translate(f"quarantine.page.tab.{name}", "zh_CN") for name in ("entry", "followup")} & tabs
    app.session_state["quarantine_include_ended"] = True
    for tab in ("situation", "register", "notices"):
        show_tab(app, tab)
        text = page_text(app)
        assert not [number for number in numbers if number in text], tab
        assert not [button for button in app.button if button.form_id] and not app.data_editor
        assert not [
            button for button in app.button if button.label == translate("quarantine.page.register_submit", "zh_CN")
        ]
    show_tab(app, "register")
    shown = app.dataframe[0].value
    assert set(shown[translate("quarantine.field.id_number", "zh_CN")]) == {
        quarantine.mask_id_number(data["id_number"]) for data in [*people, person(4)]
    }
    assert "2302**********" in page_text(app) and "138****0001" in page_text(app)


def test_a_clerk_of_one_site_sees_and_enters_for_that_site_only(monkeypatch, db_url, engine, admin):
    mine = perform(engine, admin, quarantine.add_site, {"name": "城东隔离点", "capacity": 5})
    other = perform(engine, admin, quarantine.add_site, {"name": "城西隔离点", "capacity": 5})
    register(engine, admin, 1, mode="centralized", site=mine)
    register(engine, admin, 2, mode="centralized", site=other)
    register(engine, admin, 3)
    clerk = Actor("site-clerk", "clerk", (("quarantine", frozenset({mine})),))

    app = open_tab(monkeypatch, db_url, clerk, "register")
    assert list(app.dataframe[0].value[translate("quarantine.field.name", "zh_CN")]) == ["页面1"]
    show_tab(app, "entry")
    site_choice = widget(app.selectbox, "quarantine.field.site")
    assert [option for option in site_choice.options if "城西" in option] == []
    show_tab(app, "followup")
    assert len(app.segmented_control(key="quarantine_followup_scope").options) == 1
    assert list(app.data_editor[0].value["name"]) == ["页面1"]


def test_a_clerk_not_assigned_to_quarantine_sees_the_totals_only(monkeypatch, db_url, engine, admin):
    register(engine, admin, 1)
    clerk = Actor("checkpoint-clerk", "clerk", (("checkpoints", frozenset()),))

    app = open_tab(monkeypatch, db_url, clerk)

    assert [tab.label for tab in app.tabs] == [translate("quarantine.page.tab.situation", "zh_CN")]
    assert not app.dataframe or "页面1" not in page_text(app)
    assert metric_value(app, "quarantine.figure.current") == "1"
    assert "页面1" not in page_text(app) and person(1)["phone"] not in page_text(app)


# --- the sample, both languages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_tab_runs_on_the_sample_without_error_or_warning(monkeypatch, sample_url, language):
    app = open_tab(monkeypatch, sample_url, Actor("admin-test", "admin"), language=language)
    for tab in TABS:
        show_tab(app, tab, language)
        assert not app.error and not app.warning, (tab, app.error, app.warning)
        assert "quarantine." not in page_text(app).replace("quarantine_", ""), tab


def test_a_second_tap_on_the_fresh_follow_up_grid_still_reads_saved(monkeypatch, db_url, engine, admin):
    monkeypatch.setattr(forms, "REPEAT_SECONDS", 60)  # however slowly this machine draws the pages
    register(engine, admin, 1)
    app = open_grid(monkeypatch, db_url, admin)
    edit_grid(app, {0: {"AM_temperature": 36.5}})
    saved = app.success[0].value
    widget(app.button, "quarantine.page.followup_submit").click()
    app.run()
    assert not app.error and not app.info and [item.value for item in app.success] == [saved]
    assert count_rows(engine, "quarantine_followups") == 1


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_situation_tab_lists_each_sites_beds_for_the_next_7_days(monkeypatch, db_url, engine, admin, language):
    """A site of 4 beds with one person due on D+2 and none admitted lately: 3 beds taken, then 2."""
    perform(engine, admin, quarantine.add_site, {"name": "城东隔离点", "address": "城东路1号", "capacity": 4})
    for n, planned_days in ((1, 20), (2, 20), (3, 12)):
        start = TODAY - timedelta(days=10)
        register(engine, admin, n, mode="centralized", site="城东隔离点", start_date=start, planned_days=planned_days)

    app = open_tab(monkeypatch, db_url, admin, "situation", language)
    catalog_language = "zh_CN" if language == "zh" else language
    title = partial(translate, language=catalog_language)
    assert title("quarantine.figure.beds_outlook", days=7) in [header.value for header in app.subheader]
    [shown] = [frame.value for frame in app.dataframe if title("quarantine.field.releases") in frame.value.columns]
    assert list(shown[title("quarantine.field.day")]) == [
        (TODAY + timedelta(days=offset)).isoformat() for offset in range(1, 8)
    ]
    assert list(shown[title("quarantine.field.expected_occupied")]) == [3, 2, 2, 2, 2, 2, 2]
    assert list(shown[title("quarantine.field.releases")]) == [0, 1, 0, 0, 0, 0, 0]
    assert list(shown[title("quarantine.field.free")]) == [1, 2, 2, 2, 2, 2, 2]
