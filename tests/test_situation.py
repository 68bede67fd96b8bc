"""The situation across domains (DESIGN §7): the alerts of the wall screen and the briefing, and the risk level.

Each test builds, through the domains' own write functions, exactly the rows that should raise (or not raise)
one alert on the report date D, and reads the alerts as the wall screen does.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest

from data_layer import checkpoints, clock, enterprises, quarantine, situation, supplies
from data_layer.briefing import build_briefing
from data_layer.db import Actor, perform
from data_layer.errors import PermissionDenied, ValidationError
from data_layer.situation import NAMES_SHOWN, Alert
from support import audit_rows, id_number, register_person, snapshot

TODAY = clock.today()
D = TODAY - timedelta(days=5)
GATE, ROAD = "东门", "南路口"
SITE = "城东隔离点"
PERSON_NAME = "张小明"
PERSON_PHONE = "13912345678"
STARTED = D - timedelta(days=3)
INSPECTED = D - timedelta(days=15)


def days(offset: int) -> date:
    """A date relative to the report date D."""
    return D + timedelta(days=offset)


def at(day_offset: int, hour: int) -> datetime:
    return datetime.combine(days(day_offset), time(hour))


def alerts_on(engine, day: date = D) -> list[Alert]:
    with engine.connect() as conn:
        return situation.alerts(conn, day)


def alerts_with(engine, key: str, day: date = D) -> list[Alert]:
    return [alert for alert in alerts_on(engine, day) if alert.key == f"situation.alert.{key}"]


def only_alert(engine, key: str, day: date = D) -> Alert:
    found = alerts_with(engine, key, day)
    assert len(found) == 1, found
    return found[0]


# --- the rows each alert is raised from ------------------------------------------------------------------------


def add_checkpoint(engine, admin, name: str) -> int:
    return perform(engine, admin, checkpoints.add_checkpoint, {"name": name, "grid": "第一网格", "kind": "road"})


def enter_count(engine, admin, checkpoint: str, start: datetime, persons: int = 100, fever: int = 0) -> int:
    return perform(
        engine,
        admin,
        checkpoints.add_count,
        {
            "checkpoint": checkpoint,
            "period_start": start,
            "period_end": start + timedelta(hours=8),
            "persons": persons,
            "vehicles": 0,
            "fever": fever,
            "turned_back": 0,
        },
    )


def add_site(engine, admin, name: str = SITE, capacity: int = 10) -> int:
    return perform(engine, admin, quarantine.add_site, {"name": name, "address": "城东路1号", "capacity": capacity})


def register(engine, admin, n: int, start: date = STARTED, planned_days: int = 14, **fields: object) -> int:
    """A person in home quarantine from ``start`` (D-3 by default: current on D, due well after it)."""
    return register_person(engine, admin, n, start, planned_days=planned_days, **fields)


def followup(engine, admin, episode: int, day: date = D, slot: str = "AM", temperature: float = 36.5) -> int:
    return perform(
        engine,
        admin,
        quarantine.add_followup,
        {"episode_id": episode, "date": day, "slot": slot, "temperature": temperature, "by": "网格员甲"},
    )


def both_followups(engine, admin, episode: int, day: date = D) -> None:
    followup(engine, admin, episode, day, "AM")
    followup(engine, admin, episode, day, "PM")


def add_item(engine, admin, name: str, safety_stock: int = 0) -> int:
    return perform(
        engine,
        admin,
        supplies.add_item,
        {"name": name, "unit": "个", "category": "防护用品", "safety_stock": safety_stock},
    )


def move(engine, admin, item: str, day: date, kind: str, quantity: int) -> int:
    extra = {"recipient_kind": "checkpoint"} if kind == "issue" else {}
    return perform(
        engine,
        admin,
        supplies.add_movement,
        {"item": item, "date": day, "kind": kind, "quantity": quantity, "counterparty": "示例", **extra},
    )


def add_enterprise(engine, admin, name: str) -> int:
    return perform(
        engine,
        admin,
        enterprises.add_enterprise,
        {
            "name": name,
            "kind": "shop",
            "sector": "餐饮",
            "grid": "第一网格",
            "employees": 3,
            "status": "reopened",
            "status_date": days(-20),
        },
    )


def inspect(engine, admin, enterprise: int, deadlines: list[date]) -> list[int]:
    """An inspection on D-15 opening one rectification item per deadline; returns the items' ids."""
    inspection = perform(
        engine,
        admin,
        enterprises.add_inspection,
        enterprise,
        INSPECTED,
        "督查组王",
        [{"item": f"整改事项{number}", "deadline": deadline} for number, deadline in enumerate(deadlines, start=1)],
    )
    with engine.connect() as conn:
        return [item["id"] for item in enterprises.inspection_items(conn, inspection)]


def enterprise_figures(engine, day: date = D) -> dict:
    with engine.connect() as conn:
        return enterprises.figures(conn, day)


def quarantine_figures(engine, day: date = D) -> dict:
    with engine.connect() as conn:
        return quarantine.figures(conn, day)


@pytest.fixture
def quiet_day(engine, admin) -> None:
    """A day on which every unit did its duty: the checkpoint reported without fever, the quarantined person
    had both follow-ups and is due in a week, the item has weeks of cover above its safety stock and the one
    rectification item is due tomorrow."""
    add_checkpoint(engine, admin, GATE)
    enter_count(engine, admin, GATE, at(0, 8))
    add_site(engine, admin)
    episode = register(engine, admin, 1, mode="centralized", site=SITE)
    both_followups(engine, admin, episode)
    add_item(engine, admin, "口罩", safety_stock=50)
    move(engine, admin, "口罩", days(-2), "purchase", 500)
    move(engine, admin, "口罩", D, "issue", 70)
    inspect(engine, admin, add_enterprise(engine, admin, "示例面馆"), [days(1)])


@pytest.fixture
def busy_day(engine, admin, quiet_day) -> None:
    """The quiet day with something for every domain to report, high and medium alerts mixed."""
    add_checkpoint(engine, admin, ROAD)
    enter_count(engine, admin, GATE, at(0, 16), fever=1)
    overdue = register(engine, admin, 2, start=days(-14))
    followup(engine, admin, overdue, temperature=38.2)
    register(engine, admin, 3, start=days(-12))
    add_item(engine, admin, "防护服", safety_stock=100)
    move(engine, admin, "防护服", days(-1), "purchase", 60)
    inspect(engine, admin, add_enterprise(engine, admin, "示例超市"), [days(-2)])


# --- checkpoints -----------------------------------------------------------------------------------------------


def test_fever_at_a_checkpoint_on_the_day_raises_a_high_alert_naming_it_with_the_days_count(engine, admin):
    for name in (GATE, ROAD):
        add_checkpoint(engine, admin, name)
    enter_count(engine, admin, GATE, at(0, 0), fever=1)
    enter_count(engine, admin, GATE, at(0, 8), fever=2)
    enter_count(engine, admin, GATE, at(-1, 8), fever=4)
    enter_count(engine, admin, ROAD, at(0, 8))

    assert alerts_with(engine, "checkpoint_fever") == [
        Alert("checkpoints", "situation.alert.checkpoint_fever", "high", {"count": 3, "names": GATE})
    ]


def test_fever_at_many_checkpoints_is_one_alert_with_the_total_naming_those_with_the_most_first(engine, admin):
    names = [f"第{number}卡口" for number in range(1, NAMES_SHOWN + 3)]
    for fever, name in enumerate(names, start=1):
        add_checkpoint(engine, admin, name)
        enter_count(engine, admin, name, at(0, 8), fever=fever)

    alert = only_alert(engine, "checkpoint_fever")
    most_first = list(reversed(names))
    assert alert.params == {"count": sum(range(1, len(names) + 1)), "names": "、".join(most_first[:NAMES_SHOWN]) + "…"}


def test_a_checkpoint_that_has_not_reported_raises_the_not_reported_alert_with_the_count(engine, admin):
    for name in (GATE, ROAD):
        add_checkpoint(engine, admin, name)
    enter_count(engine, admin, GATE, at(0, 8))
    enter_count(engine, admin, ROAD, at(-1, 8))

    alert = only_alert(engine, "not_reported")
    assert (alert.domain, alert.severity, alert.params) == ("checkpoints", "medium", {"count": 1, "names": ROAD})


def test_more_silent_checkpoints_than_names_shown_name_the_first_ones_then_an_ellipsis_and_count_all(engine, admin):
    silent = [f"卡口{n}" for n in range(1, NAMES_SHOWN + 3)]
    for name in (GATE, *silent):
        add_checkpoint(engine, admin, name)
    enter_count(engine, admin, GATE, at(0, 8))

    assert only_alert(engine, "not_reported").params == {
        "count": NAMES_SHOWN + 2,
        "names": "、".join(silent[:NAMES_SHOWN]) + "…",
    }


# --- quarantine --------------------------------------------------------------------------------------------------


def test_fever_in_quarantine_raises_a_high_alert_counting_the_days_fever_readings(engine, admin):
    first, second, normal = (register(engine, admin, n) for n in (1, 2, 3))
    followup(engine, admin, first, temperature=37.8)
    followup(engine, admin, second, slot="PM", temperature=38.5)
    followup(engine, admin, normal, temperature=36.6)
    followup(engine, admin, normal, days(-1), temperature=39.0)

    alert = only_alert(engine, "quarantine_fever")
    assert alert.severity == "high"
    assert alert.params == {"count": quarantine_figures(engine)["fever_in_quarantine"]} == {"count": 2}


@pytest.mark.parametrize(
    ("name", "figure", "severity", "starts"),
    [
        ("quarantine_overdue", "overdue", "high", (-14, -16, -13)),
        ("quarantine_due", "due_next_3_days", "medium", (-13, -11, -10)),
    ],
)
def test_overdue_and_due_quarantines_raise_their_alert_with_the_briefings_count(
    engine, admin, name, figure, severity, starts
):
    for n, start in enumerate(starts, start=1):
        both_followups(engine, admin, register(engine, admin, n, start=days(start)))

    alert = only_alert(engine, name)
    assert alert.severity == severity
    assert alert.params == {"count": quarantine_figures(engine)[figure]} == {"count": 2}


def test_missing_followups_raise_a_medium_alert_counting_the_episodes_short_of_two(engine, admin):
    complete, morning_only, _nothing = (register(engine, admin, n) for n in (1, 2, 3))
    both_followups(engine, admin, complete)
    followup(engine, admin, morning_only)

    alert = only_alert(engine, "followups_missing")
    assert alert.severity == "medium"
    assert alert.params == {"count": quarantine_figures(engine)["followups_missing"]} == {"count": 2}


def test_a_full_site_raises_site_full_and_a_site_with_room_raises_nothing(engine, admin):
    add_site(engine, admin, SITE, capacity=2)
    add_site(engine, admin, "城西隔离点", capacity=3)
    for n, site in ((1, SITE), (2, SITE), (3, "城西隔离点")):
        both_followups(engine, admin, register(engine, admin, n, mode="centralized", site=site))

    assert alerts_with(engine, "site_full") == [
        Alert("quarantine", "situation.alert.site_full", "high", {"site": SITE})
    ]


def test_a_site_projected_full_within_three_days_raises_a_medium_alert_saying_when(engine, admin, monkeypatch):
    monkeypatch.setenv("COMMAND_POST_ADMISSIONS_DAYS", "1")
    add_site(engine, admin, SITE, capacity=5)
    add_site(engine, admin, "城西隔离点", capacity=9)
    add_site(engine, admin, "城南隔离点", capacity=2)
    for n, site in ((1, SITE), (2, SITE), (3, "城西隔离点"), (4, "城南隔离点"), (5, "城南隔离点")):
        both_followups(engine, admin, register(engine, admin, n, start=D, mode="centralized", site=site))

    # 城东: 2 of 5 taken, 2 admitted a day: full on D+2. 城西: 1 of 9, 1 a day: full on D+8, beyond the horizon.
    # 城南: full today, which is an alert of its own.
    assert alerts_with(engine, "site_projected_full") == [
        Alert("quarantine", "situation.alert.site_projected_full", "medium", {"site": SITE, "days": 2})
    ]
    assert [alert.params["site"] for alert in alerts_with(engine, "site_full")] == ["城南隔离点"]
    [alert] = alerts_with(engine, "site_projected_full")
    assert situation.alert_text(alert, "zh_CN") == f"{SITE} 预计 2 天后满员"
    assert situation.alert_text(alert, "en") == f"{SITE} projected full in 2 days"


# --- supplies ----------------------------------------------------------------------------------------------------


def test_an_item_out_of_stock_raises_a_high_alert(engine, admin):
    add_item(engine, admin, "酒精", safety_stock=10)
    move(engine, admin, "酒精", days(-1), "purchase", 20)
    move(engine, admin, "酒精", D, "issue", 20)

    assert alerts_on(engine) == [
        Alert(
            "supplies",
            "situation.alert.out_of_stock",
            "high",
            {"item": "酒精", "on_hand": 0, "unit": "个", "days": 0.0},
        )
    ]


def test_an_item_with_under_three_days_of_cover_raises_a_high_alert(engine, admin):
    add_item(engine, admin, "消毒液")
    move(engine, admin, "消毒液", days(-6), "purchase", 100)
    move(engine, admin, "消毒液", days(-6), "issue", 71)

    assert alerts_on(engine) == [
        Alert(
            "supplies",
            "situation.alert.under_cover",
            "high",
            {"item": "消毒液", "on_hand": 29, "unit": "个", "days": 2.9},
        )
    ]


def test_an_item_below_its_safety_stock_with_enough_cover_raises_a_medium_alert(engine, admin):
    add_item(engine, admin, "手套", safety_stock=100)
    move(engine, admin, "手套", days(-2), "purchase", 60)
    move(engine, admin, "手套", D, "issue", 7)

    assert alerts_on(engine) == [
        Alert("supplies", "situation.alert.below_safety", "medium", {"count": 1, "names": "手套"})
    ]


def test_items_below_their_safety_stock_are_one_alert_counting_them(engine, admin):
    names = [f"物资{number}" for number in range(1, NAMES_SHOWN + 2)]
    for name in names:
        add_item(engine, admin, name, safety_stock=100)
        move(engine, admin, name, days(-2), "purchase", 60)

    alert = only_alert(engine, "below_safety")
    assert alert.params == {"count": len(names), "names": "、".join(sorted(names)[:NAMES_SHOWN]) + "…"}


def test_an_item_in_stock_with_exactly_three_days_of_cover_and_above_safety_raises_nothing(engine, admin):
    add_item(engine, admin, "口罩", safety_stock=20)
    move(engine, admin, "口罩", days(-6), "purchase", 70)
    move(engine, admin, "口罩", D, "issue", 49)

    with engine.connect() as conn:
        assert [item["days_of_cover"] for item in supplies.figures(conn, D)] == [3.0]
    assert alerts_on(engine) == []


# --- enterprises -------------------------------------------------------------------------------------------------


def test_overdue_rectifications_raise_one_high_alert_counting_them_and_naming_the_most_overdue_first(engine, admin):
    later, earlier = add_enterprise(engine, admin, "乙超市"), add_enterprise(engine, admin, "甲面馆")
    inspect(engine, admin, later, [days(-1), days(-1), D, days(2)])
    inspect(engine, admin, earlier, [days(-6)])

    alert = only_alert(engine, "rectifications_overdue")
    assert alert.severity == "high"
    assert alert.params == {"count": enterprise_figures(engine)["rectifications_overdue"], "names": "甲面馆、乙超市"}
    assert alert.params["count"] == 3


def test_more_overdue_enterprises_than_names_shown_name_the_most_overdue_ones_then_an_ellipsis(engine, admin):
    names = [f"企业{n}" for n in range(1, NAMES_SHOWN + 3)]
    for overdue_days, name in enumerate(reversed(names), start=1):
        inspect(engine, admin, add_enterprise(engine, admin, name), [days(-overdue_days)])

    assert only_alert(engine, "rectifications_overdue").params == {
        "count": NAMES_SHOWN + 2,
        "names": "、".join(names[:NAMES_SHOWN]) + "…",
    }


def test_overdue_items_beyond_those_read_for_names_still_end_the_names_with_an_ellipsis(engine, admin):
    """The alert reads the enterprises of the 4 × NAMES_SHOWN most overdue items only; one enterprise holding
    all of them must not hide that others are overdue too."""
    many = add_enterprise(engine, admin, "甲工厂")
    inspect(engine, admin, many, [days(-10)] * (4 * NAMES_SHOWN + 1))
    inspect(engine, admin, add_enterprise(engine, admin, "乙商店"), [days(-1)])

    assert only_alert(engine, "rectifications_overdue").params == {"count": 4 * NAMES_SHOWN + 2, "names": "甲工厂…"}


def test_a_rectification_item_due_on_the_day_itself_is_not_overdue(engine, admin):
    inspect(engine, admin, add_enterprise(engine, admin, "示例面馆"), [D])

    assert enterprise_figures(engine)["rectifications_overdue"] == 0
    assert alerts_on(engine) == []
    assert only_alert(engine, "rectifications_overdue", days(1)).params == {"count": 1, "names": "示例面馆"}


def test_a_closed_rectification_item_raises_nothing_though_its_deadline_has_passed(engine, admin):
    (item,) = inspect(engine, admin, add_enterprise(engine, admin, "示例面馆"), [days(-4)])
    perform(engine, admin, enterprises.close_rectification, item, days(-2), "督查组李")

    assert alerts_on(engine) == []
    assert only_alert(engine, "rectifications_overdue", days(-3)).params["count"] == 1


# --- across domains ----------------------------------------------------------------------------------------------


def test_high_alerts_come_before_medium_ones(engine, busy_day):
    severities = [alert.severity for alert in alerts_on(engine)]
    assert {"high", "medium"} <= set(severities)
    assert severities == sorted(severities, key=lambda severity: severity != "high")


def test_alerts_raised_by_a_quarantined_person_hold_no_name_id_number_or_phone(engine, admin):
    add_site(engine, admin, SITE, capacity=1)
    person = {"name": PERSON_NAME, "id_number": id_number(7), "phone": PERSON_PHONE}
    episode = register(engine, admin, 7, start=days(-14), mode="centralized", site=SITE, **person)
    followup(engine, admin, episode, temperature=38.6)

    raised = alerts_on(engine)
    assert {alert.key.rsplit(".", 1)[1] for alert in raised} == {
        "quarantine_fever",
        "quarantine_overdue",
        "followups_missing",
        "site_full",
    }
    shown = " ".join(str(value) for alert in raised for value in alert.params.values())
    for personal in (PERSON_NAME, id_number(7), PERSON_PHONE, PERSON_PHONE[-4:]):
        assert personal not in shown


def test_alerts_without_a_briefing_are_those_read_from_the_days_briefing(engine, busy_day):
    with engine.connect() as conn:
        from_figures = situation.alerts(conn, D)
        from_briefing = situation.alerts(conn, D, build_briefing(conn, D))
    assert len({alert.domain for alert in from_figures}) == 4
    assert from_figures == from_briefing


def test_a_day_with_nothing_to_report_raises_no_alerts(engine, quiet_day):
    assert alerts_on(engine) == []


def test_an_empty_store_raises_no_alerts(engine):
    assert alerts_on(engine) == []


# --- risk level --------------------------------------------------------------------------------------------------


def test_the_risk_level_is_low_until_an_admin_sets_it(engine):
    assert situation.risk_level(engine) == "low"


def test_an_admin_sets_each_risk_level_with_an_audit_row(engine, admin):
    for level in ("high", "medium", "low"):
        audited = audit_rows(engine)
        perform(engine, admin, situation.set_risk_level, level)
        assert situation.risk_level(engine) == level
        assert audit_rows(engine) == audited + 1


def test_a_risk_level_outside_low_medium_high_is_refused_naming_the_field(engine, admin):
    perform(engine, admin, situation.set_risk_level, "medium")
    before = snapshot(engine, ["settings"])

    with pytest.raises(ValidationError) as refusal:
        perform(engine, admin, situation.set_risk_level, "extreme")

    assert refusal.value.fields == ["risk_level"]
    assert re.search(r"[\u4e00-\u9fff]", " ".join(refusal.value.messages("zh_CN")))
    for language in ("zh_CN", "en"):
        for message in refusal.value.messages(language):
            assert not re.search(r"\b(situation|error)\.", message), message
    assert snapshot(engine, ["settings"]) == before
    assert situation.risk_level(engine) == "medium"


@pytest.mark.parametrize(
    "actor",
    [
        Actor("leader-test", "leader"),
        Actor("wall-test", "wall"),
        Actor("clerk-test", "clerk", (("checkpoints", frozenset()),)),
    ],
    ids=lambda actor: actor.role,
)
def test_only_an_admin_may_set_the_risk_level(engine, actor):
    before = snapshot(engine, ["settings"])

    with pytest.raises(PermissionDenied):
        perform(engine, actor, situation.set_risk_level, "high")

    assert snapshot(engine, ["settings"]) == before
    assert situation.risk_level(engine) == "low"


def test_an_alert_in_english_agrees_with_its_count():
    """The counts reach the message formatted ("1,909"); the plural follows the number they write."""
    one = Alert("quarantine", "situation.alert.quarantine_fever", "high", {"count": 1})
    many = Alert("checkpoints", "situation.alert.not_reported", "medium", {"count": 1909, "names": "东门"})
    assert situation.alert_text(one, "en") == "Fever in quarantine: 1 reading"
    assert situation.alert_text(many, "en") == "1,909 checkpoints not reported: 东门"
    assert situation.alert_text(one, "zh_CN") == "隔离人员发热 1 人次"
