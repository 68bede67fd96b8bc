"""Review of a past day (issue 7): figures changed by corrections entered after the day, from what, when, by whom.

Every test sets the command post's clock before each write, so that entries
are made on the report date D and corrections on the days after it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from data_layer import checkpoints as cp
from data_layer import clock, enterprises, quarantine, supplies
from data_layer.briefing import build_briefing
from data_layer.db import Actor, perform
from data_layer.review import figure_corrections
from data_layer.transfer import import_file
from support import id_number

D = date(2025, 3, 10)
CHECKER = Actor("checker", "admin")
REASON = "登记表核对有误"


def day(offset: int) -> date:
    return D + timedelta(days=offset)


def at(offset: int, hour: int, minute: int = 0) -> datetime:
    """A moment ``offset`` days after D."""
    return datetime.combine(day(offset), time(hour, minute))


@pytest.fixture
def set_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the command post's clock: the domain modules read it as ``clock.now()``."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    return set_to


def marks(engine, report_day: date = D) -> list[dict]:
    with engine.connect() as conn:
        return figure_corrections(conn, report_day)


def changes(engine, report_day: date = D) -> list[tuple]:
    """The marks as (section, figure, item, before, after), in the order they come."""
    return [
        (mark["section"], mark["figure"], mark["item"], mark["before"], mark["after"])
        for mark in marks(engine, report_day)
    ]


def briefing(engine, report_day: date = D) -> dict:
    with engine.connect() as conn:
        return build_briefing(conn, report_day)


def briefing_value(report: dict, section: str, figure: str, item: str | None) -> object:
    """One figure of a briefing, found the way a mark names it."""
    value = report[section]
    if item is not None:
        value = next(entry for entry in value if entry["item"] == item)
    for part in figure.split("."):
        value = value[part]
    return value


def assert_marks_end_at_the_briefing(engine, report_day: date = D) -> None:
    """The newest mark of every figure shows the value the briefing of the day shows now."""
    report = briefing(engine, report_day)
    newest = {(mark["section"], mark["figure"], mark["item"]): mark["after"] for mark in marks(engine, report_day)}
    assert newest
    for (section, figure, item), after in newest.items():
        assert briefing_value(report, section, figure, item) == after, (section, figure, item)


def assert_before_is_what_the_briefing_showed(engine, shown: dict, found: list[dict]) -> None:
    for mark in found:
        assert briefing_value(shown, mark["section"], mark["figure"], mark["item"]) == mark["before"], mark


def write_csv(path: Path, header: str, *lines: str) -> Path:
    path.write_text("\n".join((header, *lines)) + "\n", encoding="utf-8")
    return path


# Checkpoints ----------------------------------------------------------------------------------------------------


@pytest.fixture
def gates(engine, admin, set_clock) -> dict[str, int]:
    """Two checkpoints, each with a shift on D entered during D; East also reported the day before."""
    set_clock(at(-5, 8))
    for name in ("东门", "南路口"):
        perform(engine, admin, cp.add_checkpoint, {"name": name, "grid": "第一网格", "kind": "road"})
    entries = {}
    set_clock(at(-1, 9))
    entries["east_before"] = count(engine, admin, "东门", at(-1, 0), at(-1, 8), persons=40)
    set_clock(at(0, 9))
    entries["east"] = count(engine, admin, "东门", at(0, 0), at(0, 8), persons=100, vehicles=10)
    set_clock(at(0, 17))
    entries["south"] = count(engine, admin, "南路口", at(0, 8), at(0, 16), persons=50, vehicles=5)
    return entries


def count(engine, actor: Actor, checkpoint: str, start: datetime, end: datetime, **counts: int) -> int:
    return perform(
        engine,
        actor,
        cp.add_count,
        {
            "checkpoint": checkpoint,
            "period_start": start,
            "period_end": end,
            **{name: counts.get(name, 0) for name in cp.COUNT_FIELDS},
        },
    )


def correct_count(engine, entry_id: int, **changed: object) -> int:
    return perform(engine, CHECKER, cp.correct_count, entry_id, {"reason": REASON, **changed})


def test_a_count_corrected_the_next_day_marks_the_day_and_cumulative_sums(engine, gates, set_clock):
    shown = briefing(engine)
    set_clock(at(1, 9, 30))
    correct_count(engine, gates["east"], persons=120, fever=1)

    found = marks(engine)
    assert changes(engine) == [
        ("checkpoints", "persons", None, 150, 170),
        ("checkpoints", "fever", None, 0, 1),
        ("checkpoints", "cumulative.persons", None, 190, 210),
        ("checkpoints", "cumulative.fever", None, 0, 1),
    ]
    assert {(mark["changed_at"], mark["changed_by"], mark["reason"]) for mark in found} == {
        (at(1, 9, 30), "checker", REASON)
    }
    assert_before_is_what_the_briefing_showed(engine, shown, found)
    assert_marks_end_at_the_briefing(engine)


def test_a_correction_entered_on_the_day_itself_is_not_marked(engine, gates, set_clock):
    set_clock(at(0, 23, 50))
    correct_count(engine, gates["east"], persons=120)

    assert marks(engine) == []
    assert briefing(engine)["checkpoints"]["persons"] == 170


def test_a_correction_of_an_earlier_day_marks_only_the_cumulative_sums(engine, gates, set_clock):
    set_clock(at(1, 10))
    correct_count(engine, gates["east_before"], persons=45)

    assert changes(engine) == [("checkpoints", "cumulative.persons", None, 190, 195)]
    assert changes(engine, day(-1)) == [
        ("checkpoints", "persons", None, 40, 45),
        ("checkpoints", "cumulative.persons", None, 40, 45),
    ]
    assert changes(engine, day(1)) == []


def test_a_correction_that_moves_a_shift_off_the_day_marks_who_reported(engine, gates, set_clock):
    set_clock(at(1, 10))
    correct_count(engine, gates["south"], period_start=at(-1, 8), period_end=at(-1, 16))

    assert changes(engine) == [
        ("checkpoints", "persons", None, 150, 100),
        ("checkpoints", "vehicles", None, 15, 10),
        ("checkpoints", "reported_checkpoints", None, 2, 1),
        ("checkpoints", "not_reported", None, [], ["南路口"]),
    ]
    assert_marks_end_at_the_briefing(engine)


def test_corrections_of_a_correction_chain_each_show_their_own_step(engine, gates, set_clock):
    set_clock(at(1, 9))
    first = correct_count(engine, gates["east"], persons=110)
    shown = briefing(engine)
    set_clock(at(3, 9))
    perform(engine, Actor("second-checker", "admin"), cp.correct_count, first, {"persons": 130, "reason": "再核"})

    found = [mark for mark in marks(engine) if mark["figure"] == "persons"]
    assert [(mark["before"], mark["after"], mark["changed_by"], mark["changed_at"]) for mark in found] == [
        (150, 160, "checker", at(1, 9)),
        (160, 180, "second-checker", at(3, 9)),
    ]
    assert_before_is_what_the_briefing_showed(engine, shown, found[1:])
    assert_marks_end_at_the_briefing(engine)


def test_a_late_first_entry_and_an_import_are_not_corrections(engine, admin, gates, set_clock, tmp_path):
    set_clock(at(1, 8))
    late = count(engine, admin, "南路口", at(0, 16), at(0, 23, 59), persons=7)
    set_clock(at(1, 9))
    import_file(
        engine,
        admin,
        "checkpoint_counts",
        write_csv(
            tmp_path / "counts.csv",
            "checkpoint,period_start,period_end,persons,vehicles,fever,turned_back,note",
            "东门,2025-03-10 08:00,2025-03-10 16:00,30,3,0,0,",
        ),
    )

    assert marks(engine) == []
    assert briefing(engine)["checkpoints"]["persons"] == 187

    set_clock(at(2, 9))
    correct_count(engine, late, persons=8)
    assert changes(engine) == [
        ("checkpoints", "persons", None, 187, 188),
        ("checkpoints", "cumulative.persons", None, 227, 228),
    ]


# Quarantine -----------------------------------------------------------------------------------------------------


def person(n: int, **fields: object) -> dict[str, object]:
    return {
        "name": f"测试{n}",
        "id_number": id_number(n),
        "phone": f"1380000{n:04d}",
        "grid": "第一网格",
        "origin_category": "other_province",
        "mode": "home",
        "start_date": day(-5),
        **fields,
    }


@pytest.fixture
def ward(engine, admin, set_clock) -> dict[str, int]:
    """Three people at home on D: one with both follow-ups, one with none, one due for release on D."""
    set_clock(at(-14, 9))
    due = perform(engine, admin, quarantine.register, person(3, start_date=day(-14), planned_days=14))
    set_clock(at(-5, 9))
    followed = perform(engine, admin, quarantine.register, person(1))
    unfollowed = perform(engine, admin, quarantine.register, person(2))
    readings = {}
    for slot, hour in (("AM", 9), ("PM", 18)):
        set_clock(at(0, hour))
        readings[slot] = perform(
            engine,
            admin,
            quarantine.add_followup,
            {"episode_id": followed, "date": D, "slot": slot, "temperature": 36.5, "by": "网格员甲"},
        )
    return {"followed": followed, "unfollowed": unfollowed, "due": due, **readings}


def test_a_follow_up_corrected_the_next_day_marks_the_fever_count(engine, ward, set_clock):
    shown = briefing(engine)
    set_clock(at(1, 9))
    perform(engine, CHECKER, quarantine.correct_followup, ward["AM"], {"temperature": 37.9}, "抄错体温")

    found = marks(engine)
    assert changes(engine) == [("quarantine", "fever_in_quarantine", None, 0, 1)]
    assert (found[0]["changed_at"], found[0]["changed_by"], found[0]["reason"]) == (at(1, 9), "checker", "抄错体温")
    assert_before_is_what_the_briefing_showed(engine, shown, found)
    assert_marks_end_at_the_briefing(engine)


def test_a_release_back_dated_to_the_day_marks_current_released_and_missing_follow_ups(engine, ward, set_clock):
    shown = briefing(engine)
    set_clock(at(2, 15))
    perform(engine, CHECKER, quarantine.release, ward["unfollowed"], D, "当日已解除，补录")

    assert changes(engine) == [
        ("quarantine", "current.home", None, 3, 2),
        ("quarantine", "current.total", None, 3, 2),
        ("quarantine", "released", None, 0, 1),
        ("quarantine", "followups_missing", None, 2, 1),
    ]
    found = marks(engine)
    assert {(mark["changed_at"], mark["changed_by"], mark["reason"]) for mark in found} == {
        (at(2, 15), "checker", "当日已解除，补录")
    }
    assert_before_is_what_the_briefing_showed(engine, shown, found)
    assert_marks_end_at_the_briefing(engine)


def test_a_planned_end_changed_after_the_day_marks_overdue_and_due(engine, ward, set_clock):
    set_clock(at(1, 9))
    perform(engine, CHECKER, quarantine.change_planned_end, ward["due"], "核酸复检", new_end=day(2))

    assert changes(engine) == [("quarantine", "due_next_3_days", None, 0, 1), ("quarantine", "overdue", None, 1, 0)]
    assert_marks_end_at_the_briefing(engine)


def test_a_follow_up_and_a_transfer_of_one_person_are_marked_in_the_order_entered(engine, ward, set_clock):
    set_clock(at(1, 9))
    perform(engine, CHECKER, quarantine.correct_followup, ward["PM"], {"temperature": 38.4}, "抄错体温")
    set_clock(at(1, 10))
    perform(engine, CHECKER, quarantine.transfer_to_hospital, ward["followed"], D, "当晚发热转院")

    assert changes(engine) == [
        ("quarantine", "fever_in_quarantine", None, 0, 1),
        ("quarantine", "current.home", None, 3, 2),
        ("quarantine", "current.total", None, 3, 2),
    ]
    assert [mark["reason"] for mark in marks(engine)] == ["抄错体温", "当晚发热转院", "当晚发热转院"]
    assert_marks_end_at_the_briefing(engine)


def test_a_release_entered_on_the_day_and_one_dated_after_it_are_not_marked(engine, ward, set_clock):
    set_clock(at(0, 20))
    perform(engine, CHECKER, quarantine.release, ward["due"], D)
    set_clock(at(1, 9))
    perform(engine, CHECKER, quarantine.release, ward["unfollowed"], day(1))

    assert marks(engine) == []


def test_a_late_registration_and_an_imported_release_are_not_corrections(engine, admin, ward, set_clock, tmp_path):
    set_clock(at(1, 9))
    perform(engine, admin, quarantine.register, person(4, start_date=day(-2)))
    set_clock(at(1, 10))
    import_file(
        engine,
        admin,
        "quarantine",
        write_csv(
            tmp_path / "register.csv",
            "name,id_number,phone,grid,origin,origin_category,mode,site,start_date,planned_days,status,end_date",
            f"测试5,{id_number(5)},13800000005,第二网格,外省示例市,other_province,home,,{day(-4)},14,released,{D}",
        ),
    )

    assert marks(engine) == []
    assert briefing(engine)["quarantine"]["released"] == 1


def test_a_release_its_author_enters_before_importing_a_register_is_still_marked(
    engine, admin, ward, set_clock, tmp_path
):
    set_clock(at(1, 9))
    perform(engine, admin, quarantine.release, ward["unfollowed"], D, "当日已解除，补录")
    set_clock(at(1, 10))
    import_file(
        engine,
        admin,
        "quarantine",
        write_csv(
            tmp_path / "register.csv",
            "name,id_number,phone,grid,origin,origin_category,mode,site,start_date,planned_days,status,end_date",
            f"测试5,{id_number(5)},13800000005,第二网格,外省示例市,other_province,home,,{day(-4)},14,released,{D}",
            f"测试6,{id_number(6)},13800000006,第二网格,外省示例市,other_province,home,,{day(-4)},14,,",
        ),
    )

    assert [(mark["figure"], mark["before"], mark["after"], mark["changed_by"]) for mark in marks(engine)] == [
        ("current.home", 4, 3, admin.username),
        ("current.total", 4, 3, admin.username),
        ("released", 1, 2, admin.username),
        ("followups_missing", 3, 2, admin.username),
    ]
    assert_marks_end_at_the_briefing(engine)


# Supplies -------------------------------------------------------------------------------------------------------


@pytest.fixture
def store(engine, admin, set_clock) -> dict[str, int]:
    """Masks: 200 bought three days before D, 70 issued on D."""
    set_clock(at(-3, 9))
    perform(engine, admin, supplies.add_item, {"name": "口罩", "unit": "个", "safety_stock": 150})
    bought = perform(
        engine,
        admin,
        supplies.add_movement,
        {"item": "口罩", "date": day(-3), "kind": "purchase", "quantity": 200, "counterparty": "康宁医疗"},
    )
    set_clock(at(0, 10))
    issued = perform(
        engine,
        admin,
        supplies.add_movement,
        {"item": "口罩", "date": D, "kind": "issue", "quantity": 70, "counterparty": "东门"},
    )
    return {"bought": bought, "issued": issued}


def test_a_reversal_and_a_stock_count_after_the_day_mark_the_item(engine, store, set_clock):
    shown = briefing(engine)
    set_clock(at(1, 9))
    perform(engine, CHECKER, supplies.reverse_movement, store["issued"], "重复录入")
    set_clock(at(1, 11))
    perform(engine, Actor("keeper", "admin"), supplies.record_stock_count, "口罩", D, 190, "盘点短少")

    assert changes(engine) == [
        ("supplies", "on_hand", "口罩", 130, 200),
        ("supplies", "out_today", "口罩", 70, 0),
        ("supplies", "burn_rate", "口罩", 10.0, 0.0),
        ("supplies", "days_of_cover", "口罩", 13.0, None),
        ("supplies", "below_safety", "口罩", True, False),
        ("supplies", "on_hand", "口罩", 200, 190),
    ]
    found = marks(engine)
    assert [(mark["changed_at"], mark["changed_by"], mark["reason"]) for mark in (found[0], found[-1])] == [
        (at(1, 9), "checker", "重复录入"),
        (at(1, 11), "keeper", "盘点短少"),
    ]
    assert_before_is_what_the_briefing_showed(engine, shown, found[:-1])
    assert_marks_end_at_the_briefing(engine)


def test_a_correction_dated_after_the_day_is_not_marked(engine, store, set_clock):
    set_clock(at(1, 9))
    perform(engine, CHECKER, supplies.record_stock_count, "口罩", day(1), 120, "盘点短少")

    assert marks(engine) == []
    assert changes(engine, day(1)) == []


def test_a_late_movement_and_an_imported_adjustment_are_not_corrections(engine, admin, store, set_clock, tmp_path):
    set_clock(at(1, 9))
    perform(
        engine,
        admin,
        supplies.add_movement,
        {"item": "口罩", "date": D, "kind": "donation", "quantity": 30, "counterparty": "惠民超市"},
    )
    set_clock(at(1, 10))
    import_file(
        engine,
        admin,
        "supply_movements",
        write_csv(
            tmp_path / "moves.csv",
            "item,date,kind,quantity,counterparty,note",
            f"口罩,{D},adjustment,-5,,盘点短少",
            f"口罩,{D},reversal,30,惠民超市,捐赠未到",
        ),
    )

    assert marks(engine) == []
    assert briefing_value(briefing(engine), "supplies", "on_hand", "口罩") == 125


def test_a_reversal_its_author_enters_before_importing_a_ledger_is_still_marked(
    engine, admin, store, set_clock, tmp_path
):
    set_clock(at(1, 9))
    perform(engine, admin, supplies.reverse_movement, store["issued"], "重复录入")
    perform(
        engine,
        admin,
        supplies.add_movement,
        {"item": "口罩", "date": day(1), "kind": "issue", "quantity": 10, "counterparty": "东门"},
    )
    set_clock(at(1, 10))
    import_file(
        engine,
        admin,
        "supply_movements",
        write_csv(
            tmp_path / "moves.csv", "item,date,kind,quantity,counterparty,note", f"口罩,{D},adjustment,-5,,盘点短少"
        ),
    )

    found = marks(engine)
    assert (found[0]["figure"], found[0]["before"], found[0]["after"]) == ("on_hand", 125, 195)
    assert {mark["changed_at"] for mark in found} == {at(1, 9)}
    assert_marks_end_at_the_briefing(engine)


def test_a_correction_the_importing_user_enters_after_the_import_is_marked(engine, admin, store, set_clock, tmp_path):
    set_clock(at(1, 10))
    import_file(
        engine,
        admin,
        "supply_movements",
        write_csv(
            tmp_path / "moves.csv", "item,date,kind,quantity,counterparty,note", f"口罩,{D},adjustment,-5,,盘点短少"
        ),
    )
    set_clock(at(1, 11))
    perform(engine, admin, supplies.reverse_movement, store["issued"], "重复录入")

    assert changes(engine)[0] == ("supplies", "on_hand", "口罩", 125, 195)
    assert marks(engine)[0]["changed_by"] == admin.username
    assert_marks_end_at_the_briefing(engine)


# Enterprises ----------------------------------------------------------------------------------------------------


def register_enterprise(engine, actor: Actor, name: str, status: str, status_date: date, reason: str = "") -> int:
    return perform(
        engine,
        actor,
        enterprises.add_enterprise,
        {
            "name": name,
            "kind": "shop",
            "sector": "餐饮",
            "grid": "第二网格",
            "employees": 4,
            "status": status,
            "status_date": status_date,
            "reason": reason or None,
        },
    )


@pytest.fixture
def noodle_shop(engine, admin, set_clock) -> int:
    """A shop not reopened for want of protective equipment since three days before D."""
    set_clock(at(-3, 9))
    return register_enterprise(engine, admin, "示例面馆", "not_reopened", day(-3), "ppe_short")


def test_a_status_change_back_dated_to_the_day_marks_the_status_counts(engine, noodle_shop, set_clock):
    shown = briefing(engine)
    set_clock(at(2, 9))
    perform(engine, CHECKER, enterprises.change_status, noodle_shop, "applied", D, note="申请材料补交")

    assert changes(engine) == [
        ("enterprises", "applied", None, 0, 1),
        ("enterprises", "not_reopened", None, 1, 0),
        ("enterprises", "by_reason.ppe_short", None, 1, 0),
    ]
    found = marks(engine)
    assert {(mark["changed_at"], mark["changed_by"], mark["reason"]) for mark in found} == {
        (at(2, 9), "checker", "申请材料补交")
    }
    assert_before_is_what_the_briefing_showed(engine, shown, found)
    assert_marks_end_at_the_briefing(engine)
    assert changes(engine, day(-1)) == []


def test_closing_an_enterprise_after_the_day_marks_total_and_rate(engine, admin, noodle_shop, set_clock):
    set_clock(at(-3, 9))
    register_enterprise(engine, admin, "示例超市", "reopened", day(-3))
    set_clock(at(1, 9))
    perform(engine, CHECKER, enterprises.change_status, noodle_shop, "closed", D, note="已注销")

    assert changes(engine) == [
        ("enterprises", "total", None, 2, 1),
        ("enterprises", "reopen_rate", None, 0.5, 1.0),
        ("enterprises", "not_reopened", None, 1, 0),
        ("enterprises", "closed", None, 0, 1),
        ("enterprises", "by_reason.ppe_short", None, 1, 0),
    ]
    assert_marks_end_at_the_briefing(engine)


def test_a_late_registration_and_an_imported_status_are_not_corrections(
    engine, admin, noodle_shop, set_clock, tmp_path
):
    set_clock(at(1, 9))
    register_enterprise(engine, admin, "示例理发店", "reopened", day(-1))
    set_clock(at(1, 10))
    import_file(
        engine,
        admin,
        "enterprises",
        write_csv(
            tmp_path / "enterprises.csv",
            "name,kind,sector,grid,employees,status,status_date,reason",
            f"示例面馆,shop,餐饮,第二网格,4,applied,{D},",
        ),
    )

    assert marks(engine) == []
    assert briefing(engine)["enterprises"]["applied"] == 1


# Across the sections --------------------------------------------------------------------------------------------


def test_marks_of_all_sections_come_in_the_order_the_corrections_were_entered(
    engine, gates, ward, store, noodle_shop, set_clock
):
    set_clock(at(1, 12))
    perform(engine, CHECKER, enterprises.change_status, noodle_shop, "applied", D)
    set_clock(at(1, 11))
    perform(engine, CHECKER, supplies.reverse_movement, store["issued"], "重复录入")
    set_clock(at(1, 10))
    perform(engine, CHECKER, quarantine.correct_followup, ward["PM"], {"temperature": 38.2}, "抄错体温")
    set_clock(at(1, 9))
    correct_count(engine, gates["south"], turned_back=2)

    found = marks(engine)
    assert [mark["section"] for mark in found] == [
        "checkpoints",
        "checkpoints",
        "quarantine",
        *["supplies"] * 5,
        *["enterprises"] * 3,
    ]
    assert [mark["changed_at"] for mark in found] == sorted(mark["changed_at"] for mark in found)
    assert_marks_end_at_the_briefing(engine)
    with engine.connect() as conn:
        assert figure_corrections(conn, D, build_briefing(conn, D)) == found


def briefing_figures(report: dict) -> dict[tuple, object]:
    """Every figure of a briefing by (section, figure, item), as marks name them."""
    found: dict[tuple, object] = {}

    def walk(section: str, value: object, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(section, inner, f"{path}.{key}" if path else key)
        else:
            found[(section, path, None)] = value

    for section in ("checkpoints", "quarantine", "enterprises"):
        walk(section, report[section], "")
    for entry in report["supplies"]:
        for figure in ("on_hand", "in_today", "out_today", "burn_rate", "days_of_cover", "below_safety"):
            found[("supplies", figure, entry["item"])] = entry[figure]
    return found


def test_each_correction_is_marked_with_exactly_the_change_it_made_to_the_briefing(
    engine, gates, ward, store, noodle_shop, set_clock
):
    corrections = [
        lambda: correct_count(engine, gates["east"], persons=90, turned_back=3),
        lambda: perform(engine, CHECKER, supplies.reverse_movement, store["issued"], "重复录入"),
        lambda: perform(engine, CHECKER, quarantine.transfer_to_hospital, ward["unfollowed"], day(-1), "转院"),
        lambda: perform(engine, CHECKER, quarantine.correct_followup, ward["AM"], {"temperature": 37.6}, "抄错"),
        lambda: correct_count(engine, gates["south"], period_start=at(-2, 8), period_end=at(-2, 16)),
        lambda: perform(engine, CHECKER, supplies.record_stock_count, "口罩", day(-1), 180, "盘点短少"),
        lambda: perform(engine, CHECKER, enterprises.change_status, noodle_shop, "applied", day(-1)),
        lambda: perform(engine, CHECKER, quarantine.change_planned_end, ward["due"], "复检", new_end=day(1)),
        lambda: perform(engine, CHECKER, enterprises.change_status, noodle_shop, "closed", D),
    ]
    expected: dict[datetime, dict[tuple, tuple]] = {}
    for number, correct in enumerate(corrections):
        moment = at(1 + number // 4, 9 + number % 4)
        set_clock(moment)
        shown = briefing_figures(briefing(engine))
        correct()
        now = briefing_figures(briefing(engine))
        expected[moment] = {key: (shown[key], now[key]) for key in shown if shown[key] != now[key]}

    found: dict[datetime, dict[tuple, tuple]] = {moment: {} for moment in expected}
    for mark in marks(engine):
        found[mark["changed_at"]][(mark["section"], mark["figure"], mark["item"])] = (mark["before"], mark["after"])
    assert found == expected
    assert all(expected.values())


def test_a_day_without_later_corrections_has_no_marks(engine, gates, ward, store, noodle_shop):
    assert marks(engine) == []
    assert marks(engine, day(-30)) == []
