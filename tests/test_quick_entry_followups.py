"""The follow-up round on quick entry (快速录入) through AppTest: the clerk's site, the round proposed for the hour,
the people not yet followed up first, one save storing the round, a refusal naming the person, and a double tap
that stores once and still reads "saved"."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from data_layer import clock, quarantine
from data_layer.db import Actor, perform
from support import count_rows, open_page, page_text, register_person

PAGE = "pages/quick_entry.py"
NOW = datetime(2026, 3, 10, 9, 30)  # before the morning round is due
START = NOW.date() - timedelta(days=2)
FORM = "quick-followup"
SAVE = "保存本轮随访"


@pytest.fixture
def site(engine, admin, monkeypatch) -> dict[str, int]:
    """At 09:30 on 10 March: a site with three people, one of them already followed up this morning, and a person
    at home."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    site_id = perform(engine, admin, quarantine.add_site, {"name": "东点", "capacity": 10})
    people = {
        name: register_person(engine, admin, n, START, mode="centralized", site=site_id, name=name)
        for n, name in enumerate(("甲一", "乙二", "丙三"), start=1)
    }
    register_person(engine, admin, 9, START, name="居家丁")
    perform(
        engine,
        admin,
        quarantine.add_followup,
        {"episode_id": people["丙三"], "date": NOW.date(), "slot": "AM", "temperature": 36.4, "by": "网格员"},
    )
    return {"site": site_id, **people}


def site_clerk(site: dict[str, int]) -> Actor:
    return Actor("site-clerk", "clerk", (("quarantine", frozenset({site["site"]})),))


def temperatures(app: AppTest) -> dict[str, object]:
    """The round's temperature inputs, by person."""
    return {item.label.split(" · ")[0]: item for item in app.number_input if item.form_id.startswith(f"{FORM}-")}


def save(app: AppTest) -> AppTest:
    next(button for button in app.button if button.label == SAVE).click()
    app.run()
    assert not app.exception, [item.value for item in app.exception]
    return app


def followups(engine) -> int:
    return count_rows(engine, "quarantine_followups")


def test_a_site_clerk_gets_the_morning_round_of_their_site_with_the_people_not_yet_followed_up_first(
    monkeypatch, db_url, site
):
    app = open_page(monkeypatch, db_url, site_clerk(site), PAGE)
    assert not app.exception and not app.error
    people = list(temperatures(app))
    assert sorted(people[:2]) == ["乙二", "甲一"] and people[2] == "丙三"
    assert temperatures(app)["丙三"].value == 36.4 and temperatures(app)["甲一"].value is None
    slot = app.get("button_group")[0]
    assert slot.value == "AM"
    text = page_text(app)
    assert "东点" in text and "居家丁" not in text
    assert "上午 · 待随访 2" in text and "下午 · 待随访 3" in text
    assert "建议上午（应于 11:00 前完成）" in text and "已随访 1 人" in text


def test_one_save_stores_the_round_and_says_what_was_stored(monkeypatch, engine, db_url, site):
    app = open_page(monkeypatch, db_url, site_clerk(site), PAGE)
    inputs = temperatures(app)
    inputs["甲一"].set_value(36.6)
    inputs["乙二"].set_value(37.9)
    before = count_rows(engine, "audit_log")
    app = save(app)
    assert not app.error
    assert followups(engine) == 3 and count_rows(engine, "audit_log") == before + 2
    saved = app.success[0].value
    assert "东点" in saved and "上午随访 2 人" in saved and "发热 1 人" in saved and "更正读数：在本轮中改写" in saved
    assert {name: item.value for name, item in temperatures(app).items()} == {"甲一": 36.6, "乙二": 37.9, "丙三": 36.4}
    assert "上午随访已全部录入" in page_text(app)


def test_the_afternoon_round_is_one_tap_away(monkeypatch, engine, db_url, site):
    app = open_page(monkeypatch, db_url, site_clerk(site), PAGE)
    app.get("button_group")[0].set_value("PM").run()
    assert set(temperatures(app)) == {"甲一", "乙二", "丙三"}
    temperatures(app)["丙三"].set_value(36.8)
    app = save(app)
    assert "下午随访 1 人" in app.success[0].value
    with engine.connect() as conn:
        evening = quarantine.followup_round(conn, NOW.date(), "PM", quarantine.Place(site["site"], None))
    assert [row["reading"]["temperature"] for row in evening if row["reading"]] == [36.8]


def test_a_temperature_out_of_range_is_refused_naming_the_person_and_stores_nothing(monkeypatch, engine, db_url, site):
    app = open_page(monkeypatch, db_url, site_clerk(site), PAGE)
    inputs = temperatures(app)
    inputs["甲一"].set_value(36.6)
    inputs["乙二"].set_value(3.65)
    app = save(app)
    assert [item.value for item in app.error] == ["乙二 · 体温（℃）：不能小于 34.0"]
    assert followups(engine) == 1 and not app.success


def test_a_second_tap_on_the_fresh_form_reads_saved_and_stores_once(monkeypatch, engine, db_url, site):
    app = open_page(monkeypatch, db_url, site_clerk(site), PAGE)
    temperatures(app)["甲一"].set_value(36.6)
    app = save(app)
    saved = app.success[0].value
    assert next(iter(temperatures(app))) == "乙二"
    app = save(app)
    assert [item.value for item in app.success] == [saved] and not app.info and not app.error
    assert followups(engine) == 2


def test_the_same_submission_sent_again_is_answered_with_the_first_ones_result(monkeypatch, engine, db_url, site):
    """The second tap of a double tap sent while the first is storing carries the first's token: whatever the form
    holds by then, nothing more is stored and the clerk reads the first one's saved message."""
    app = open_page(monkeypatch, db_url, site_clerk(site), PAGE)
    token = app.session_state[f"form_token:{FORM}"]
    temperatures(app)["甲一"].set_value(36.6)
    app = save(app)
    saved = app.success[0].value
    app.session_state[f"form_token:{FORM}"] = token  # the rerun that answers it has not rotated it yet
    app.run()
    temperatures(app)["乙二"].set_value(36.7)
    app = save(app)
    assert [item.value for item in app.success] == [saved] and not app.error
    assert followups(engine) == 2


def test_a_clerk_of_the_whole_domain_chooses_among_the_sites_and_the_grids_at_home(monkeypatch, db_url, site):
    clerk = Actor("whole", "clerk", (("quarantine", frozenset()),))
    app = open_page(monkeypatch, db_url, clerk, PAGE)
    place = next(item for item in app.selectbox if item.label == "随访地点")
    assert place.options == ["东点（3 人）", "第一网格 · 居家（1 人）"]
    place.set_value(quarantine.Place(None, "第一网格")).run()
    assert list(temperatures(app)) == ["居家丁"]


def test_the_round_speaks_english(monkeypatch, db_url, site):
    app = open_page(monkeypatch, db_url, site_clerk(site), PAGE, "en")
    text = page_text(app)
    assert "Morning proposed (due by 11:00)" in text and "Followed up: 1" in text
    assert "Save the round" in [button.label for button in app.button]


def test_changing_a_recorded_reading_corrects_it_with_the_reason_and_keeps_the_original(
    monkeypatch, engine, db_url, site
):
    app = open_page(monkeypatch, db_url, site_clerk(site), PAGE)
    temperatures(app)["丙三"].set_value(37.6)
    app = save(app)
    assert app.error[0].value.startswith("丙三 · ")
    next(item for item in app.text_input if item.label.startswith("更正原因")).set_value("体温枪读数有误")
    app = save(app)
    assert "更正 1 人" in app.success[0].value and "发热 1 人" in app.success[0].value
    assert followups(engine) == 2
    with engine.connect() as conn:
        morning = quarantine.followup_round(conn, NOW.date(), "AM", quarantine.Place(site["site"], None))
    assert [row["reading"]["temperature"] for row in morning if row["reading"]] == [37.6]


def test_symptoms_without_a_temperature_are_refused_naming_the_person(monkeypatch, engine, db_url, site):
    app = open_page(monkeypatch, db_url, site_clerk(site), PAGE)
    boxes = [item for item in app.checkbox if item.form_id.startswith(f"{FORM}-")]
    people = list(temperatures(app))
    boxes[people.index("乙二")].check()
    app = save(app)
    assert [item.value for item in app.error] == ["乙二 · 体温（℃）：必填"]
    assert followups(engine) == 1
