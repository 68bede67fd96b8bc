"""Retention of personal data: who is due, what anonymisation leaves behind (nothing identifying anywhere,
every briefing figure unchanged), its audit row, roles, the setting, the command line and the admin page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

import support
from data_layer import briefing, clock, quarantine, retention
from data_layer.cli import cli
from data_layer.db import Actor, connect, perform, write
from data_layer.errors import PermissionDenied, ValidationError
from data_layer.i18n import translate
from support import ROOT, ago, audit_rows, open_page

TODAY = clock.today()
SAMPLE_DAYS = 30
SAMPLE_RETENTION = 5
QUARANTINE_TABLES = {"persons", "quarantine_episodes", "episode_changes", "quarantine_followups"}


id_number = partial(support.id_number, prefix="11010519850101")


def person(n: int, **fields: object) -> dict[str, object]:
    data = {
        "name": f"留存{n}",
        "id_number": id_number(n),
        "phone": f"1390000{n:04d}",
        "grid": "第一网格",
        "address": f"示例小区{n}栋",
        "origin": "外省示例市",
        "origin_category": "other_province",
        "mode": "home",
        "start_date": ago(60),
    }
    return {**data, **fields}


def register(engine, admin, n: int, **fields: object) -> int:
    return perform(engine, admin, quarantine.register, person(n, **fields))


def released(engine, admin, n: int, ended_days_ago: int, **fields: object) -> int:
    episode_id = register(engine, admin, n, **fields)
    perform(engine, admin, quarantine.release, episode_id, ago(ended_days_ago))
    return episode_id


def due(engine, days: int | None = None) -> int:
    with engine.connect() as conn:
        return retention.due_count(conn, days)


def anonymise(engine, admin, days: int | None = None) -> int:
    return perform(engine, admin, retention.anonymise_people, days)


def person_row(engine, id_number_: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(quarantine.persons).where(quarantine.persons.c.id_number == id_number_))
        found = row.mappings().first()
    return None if found is None else dict(found)


# --- who is due --------------------------------------------------------------------------------------------------


def test_a_person_whose_last_episode_ended_more_than_n_days_ago_is_due_but_not_exactly_n_days_ago(engine, admin):
    released(engine, admin, 1, ended_days_ago=29)
    released(engine, admin, 2, ended_days_ago=28)
    assert due(engine, 28) == 1
    assert anonymise(engine, admin, 28) == 1
    assert person_row(engine, id_number(1)) is None
    assert person_row(engine, id_number(2))["name"] == "留存2"


def test_a_person_with_an_active_episode_is_never_due(engine, admin):
    register(engine, admin, 1, start_date=ago(400))
    assert due(engine, 1) == 0
    assert anonymise(engine, admin, 1) == 0
    assert person_row(engine, id_number(1))["name"] == "留存1"


def test_a_person_with_one_ended_and_one_active_episode_is_not_due(engine, admin):
    released(engine, admin, 1, ended_days_ago=50, start_date=ago(70))
    register(engine, admin, 1, start_date=ago(40))
    assert due(engine, 28) == 0
    assert anonymise(engine, admin, 28) == 0


def test_the_latest_of_several_ended_episodes_decides(engine, admin):
    released(engine, admin, 1, ended_days_ago=50, start_date=ago(70))
    released(engine, admin, 1, ended_days_ago=10, start_date=ago(40))
    assert due(engine, 28) == 0
    assert due(engine, 9) == 1


def test_transfers_and_other_endings_count_as_ended(engine, admin):
    transferred = register(engine, admin, 1)
    perform(engine, admin, quarantine.transfer_to_hospital, transferred, ago(40))
    ended = register(engine, admin, 2)
    perform(engine, admin, quarantine.end_other, ended, ago(40), "搬离辖区")
    assert due(engine, 28) == 2


def test_the_default_period_is_28_days_and_the_setting_changes_it(engine, admin):
    released(engine, admin, 1, ended_days_ago=20)
    assert due(engine) == 0
    assert perform(engine, admin, retention.set_retention_days, "14") == 14
    with engine.connect() as conn:
        assert retention.retention_days(conn) == 14
    assert due(engine) == 1
    assert anonymise(engine, admin) == 1


def test_a_second_run_anonymises_nobody_and_an_anonymised_person_is_not_counted_again(engine, admin):
    released(engine, admin, 1, ended_days_ago=40)
    assert anonymise(engine, admin) == 1
    with engine.connect() as conn:
        assert retention.anonymised_count(conn) == 1
    assert due(engine) == 0
    assert anonymise(engine, admin) == 0
    with engine.connect() as conn:
        assert conn.execute(sa.select(quarantine.persons.c.name)).scalar_one() == "已匿名 #1"


# --- what anonymisation changes ----------------------------------------------------------------------------------


def test_name_id_phone_address_and_origin_are_replaced_and_figure_fields_stay(engine, admin):
    released(engine, admin, 1, ended_days_ago=40, grid="第三网格", origin_category="close_contact")
    anonymise(engine, admin)
    with engine.connect() as conn:
        row = conn.execute(sa.select(quarantine.persons)).mappings().one()
        episode = conn.execute(sa.select(quarantine.quarantine_episodes)).mappings().one()
    assert (row["name"], row["id_number"], row["phone"]) == (f"已匿名 #{row['id']}", f"ANON-{row['id']}", "")
    assert row["address"] is None and row["origin"] is None
    assert (row["grid"], row["origin_category"]) == ("第三网格", "close_contact")
    assert (episode["status"], episode["start_date"], episode["end_date"]) == ("released", ago(60), ago(40))


def test_identifying_text_typed_into_reasons_and_symptoms_is_removed_and_the_rest_kept(engine, admin):
    episode_id = register(engine, admin, 1)
    perform(
        engine,
        admin,
        quarantine.add_followup,
        {
            "episode_id": episode_id,
            "date": ago(59),
            "slot": "AM",
            "temperature": 37.8,
            "symptoms": True,
            "symptom_text": "留存1自述咳嗽",
            "by": "网格员甲",
        },
    )
    perform(engine, admin, quarantine.end_other, episode_id, ago(40), "留存1搬离，联系电话13900000001")
    anonymise(engine, admin)
    with engine.connect() as conn:
        reason = conn.execute(sa.select(quarantine.quarantine_episodes.c.reason)).scalar_one()
        change = conn.execute(sa.select(quarantine.episode_changes.c.reason)).scalar_one()
        symptom = conn.execute(sa.select(quarantine.quarantine_followups.c.symptom_text)).scalar_one()
    assert reason == change == "已匿名 #1搬离，联系电话***"
    assert symptom == "已匿名 #1自述咳嗽"


def test_audit_copies_under_any_table_and_key_are_anonymised_but_a_namesakes_rows_are_kept(engine, admin):
    released(engine, admin, 1, ended_days_ago=40)
    register(engine, admin, 2, name="留存1", start_date=ago(10))
    write(
        engine,
        admin,
        lambda ctx: ctx.audit(
            "notice.print",
            "release_notices",
            7,
            after={"people": [{"姓名": "留存1", "证件": id_number(1)}], "text": "请联系 13900000001"},
        ),
    )
    anonymise(engine, admin)
    with engine.connect() as conn:
        copy = conn.execute(
            sa.select(sa.text("after")).select_from(sa.table("audit_log")).where(sa.text("action = 'notice.print'"))
        ).scalar_one()
        namesake = conn.execute(
            sa.select(sa.text("after"))
            .select_from(sa.table("audit_log"))
            .where(sa.text("action = 'quarantine.person_add' AND row_id = '2'"))
        ).scalar_one()
    assert json.loads(copy) == {"people": [{"姓名": "已匿名 #1", "证件": "ANON-1"}], "text": "请联系 ***"}
    assert json.loads(namesake)["name"] == "留存1"
    assert person_row(engine, id_number(2))["name"] == "留存1"


def test_the_run_is_audited_in_one_row_with_count_and_period_and_no_personal_data(engine, admin):
    released(engine, admin, 1, ended_days_ago=40)
    released(engine, admin, 2, ended_days_ago=35)
    rows_before = audit_rows(engine)
    assert anonymise(engine, admin) == 2
    assert audit_rows(engine) == rows_before + 1
    with engine.connect() as conn:
        action = conn.execute(
            sa.text("SELECT username, action, table_name, before, after FROM audit_log ORDER BY id DESC LIMIT 1")
        ).one()
    assert action[:4] == ("admin-test", "retention.anonymise", "persons", None)
    assert json.loads(action[4]) == {"people": 2, "older_than_days": 28, "ended_before": ago(28).isoformat()}


# --- refusals ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["leader", "clerk", "wall"])
def test_only_an_administrator_may_anonymise_or_change_the_period(engine, admin, role):
    released(engine, admin, 1, ended_days_ago=40)
    rows_before = audit_rows(engine)
    someone = Actor(f"{role}-test", role, (("quarantine", frozenset()),) if role == "clerk" else ())
    with pytest.raises(PermissionDenied):
        perform(engine, someone, retention.anonymise_people)
    with pytest.raises(PermissionDenied):
        perform(engine, someone, retention.set_retention_days, 7)
    assert audit_rows(engine) == rows_before
    assert person_row(engine, id_number(1))["name"] == "留存1"


@pytest.mark.parametrize("days", [0, -3, "abc", 2.5, None, 100_000])
def test_the_period_must_be_a_positive_whole_number_said_in_both_languages(engine, admin, days):
    rows_before = audit_rows(engine)
    with pytest.raises(ValidationError) as refused:
        perform(engine, admin, retention.set_retention_days, days)
    assert refused.value.fields == ["days"]
    assert refused.value.messages("zh_CN")[0].startswith("保留天数")
    assert refused.value.messages("en")[0].startswith("Retention period (days)")
    assert audit_rows(engine) == rows_before
    with engine.connect() as conn:
        assert retention.retention_days(conn) == 28


def test_a_run_with_a_bad_period_is_refused_and_changes_nothing(engine, admin):
    released(engine, admin, 1, ended_days_ago=40)
    rows_before = audit_rows(engine)
    with pytest.raises(ValidationError):
        anonymise(engine, admin, 0)
    assert audit_rows(engine) == rows_before
    assert person_row(engine, id_number(1)) is not None


# --- the sample command post -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_template(database_factory) -> str:
    """A sample command post of this module's own, copied for every test that anonymises it: 30 days, as the
    command line loads it, since in the shared 14-day sample (``sample_url``) every episode is still running."""
    from sample_data import generate_sample

    url = database_factory.fresh_url()
    engine = connect(url)
    generate_sample(engine, days=SAMPLE_DAYS)
    engine.dispose()
    return url


@pytest.fixture
def sample_copy(database_factory, sample_template) -> Iterator[str]:
    yield database_factory.copy_url(sample_template)


def every_briefing(engine) -> dict[str, str]:
    """Every briefing of the sample's range (and the days around it) as JSON text."""
    with engine.connect() as conn:
        return {
            day.isoformat(): json.dumps(briefing.build_briefing(conn, day), sort_keys=True, default=str)
            for day in (ago(offset) for offset in range(SAMPLE_DAYS + 2))
        }


def personal_values_of_due_people(engine) -> tuple[set[str], set[str]]:
    """The names, ID numbers and phones of the people due (and those that stay), as anonymisation will see them."""
    with engine.connect() as conn:
        due_ids = set(conn.execute(retention._due_person_ids(SAMPLE_RETENTION)).scalars())
        rows = conn.execute(sa.select(quarantine.persons)).mappings().all()
    gone = {str(row[key]) for row in rows if row["id"] in due_ids for key in ("name", "id_number", "phone")}
    kept = {str(row[key]) for row in rows if row["id"] not in due_ids for key in ("name", "id_number", "phone")}
    return gone, kept


def strings_in(cell: object) -> Iterator[str]:
    """A cell's text, or, when it is a JSON object (the audit log's before and after), every string in it."""
    if not isinstance(cell, str):
        return
    try:
        parsed = json.loads(cell)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        yield cell
        return
    pending: list[object] = [parsed]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend([*value.keys(), *value.values()])
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            yield value


def strings_of_other_registers(conn) -> set[str]:
    """Every text held by a live row outside the quarantine register: a shop's contact or an inspector may
    bear the same name or phone as a quarantined person (the sample draws them from one pool), and that
    record is someone else's, kept for its own purpose."""
    held: set[str] = set()
    for table_name in sa.inspect(conn).get_table_names():
        if table_name not in QUARANTINE_TABLES and table_name != "audit_log":
            table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
            held.update(cell for row in conn.execute(sa.select(table)) for cell in row if isinstance(cell, str))
    return held


def values_found_anywhere(engine, values: set[str], kept: set[str]) -> set[str]:
    """Which of ``values`` some column of some table still holds (tables reflected, not listed by hand),
    inside any text or any string of an audit row's JSON, ignoring texts that are exactly a value of a
    person who stays registered or of another register's live row."""
    pattern = re.compile("|".join(re.escape(value) for value in sorted(values, key=len, reverse=True)))
    found: set[str] = set()
    with engine.connect() as conn:
        ignored = kept | strings_of_other_registers(conn)
        for table_name in sa.inspect(conn).get_table_names():
            table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
            for row in conn.execute(sa.select(table)):
                for text in (text for cell in row for text in strings_in(cell) if text not in ignored):
                    found.update(pattern.findall(text))
    return found


def test_the_count_of_people_due_is_the_number_an_anonymisation_covers(sample_copy, admin):
    """``due_count`` counts by a shortcut (the people not anonymised less those kept); it must name as many
    people as the selection the anonymisation itself uses, for every period."""
    engine = connect(sample_copy)
    with engine.connect() as conn:
        for days in (1, 5, 10, SAMPLE_RETENTION, 300):
            selected = conn.execute(
                sa.select(sa.func.count()).select_from(retention._due_person_ids(days).subquery())
            ).scalar_one()
            assert retention.due_count(conn, days) == selected
        expected = retention.due_count(conn, 5)
    assert expected > 0
    assert perform(engine, admin, retention.anonymise_people, 5) == expected
    assert due(engine, 5) == 0
    engine.dispose()


def test_after_anonymising_the_sample_no_name_id_or_phone_of_those_people_is_left_in_any_table(sample_copy, admin):
    engine = connect(sample_copy)
    gone, kept = personal_values_of_due_people(engine)
    searched = gone - kept
    assert len(values_found_anywhere(engine, searched, kept)) > len(searched) // 2
    assert perform(engine, admin, retention.anonymise_people, SAMPLE_RETENTION) > 0
    assert values_found_anywhere(engine, searched, kept) == set()
    engine.dispose()


def test_every_briefing_figure_of_every_day_of_the_sample_is_unchanged(sample_copy, admin):
    engine = connect(sample_copy)
    before = every_briefing(engine)
    assert perform(engine, admin, retention.anonymise_people, SAMPLE_RETENTION) > 0
    assert every_briefing(engine) == before
    engine.dispose()


# --- the command line --------------------------------------------------------------------------------------------


def test_the_command_line_counts_with_dry_run_then_anonymises(engine, admin, db_url):
    released(engine, admin, 1, ended_days_ago=40)
    released(engine, admin, 2, ended_days_ago=10)
    dry = CliRunner().invoke(cli, ["anonymise", "--dry-run", "--db", db_url])
    assert dry.exit_code == 0, dry.output
    assert "1 person(s) due" in dry.output
    assert person_row(engine, id_number(1)) is not None
    run = CliRunner().invoke(cli, ["anonymise", "--days", "5", "--db", db_url])
    assert run.exit_code == 0, run.output
    assert "2 person(s) anonymised" in run.output
    with engine.connect() as conn:
        username = conn.execute(sa.text("SELECT username FROM audit_log ORDER BY id DESC LIMIT 1")).scalar_one()
    assert username.startswith("cli:")


def test_the_command_line_refuses_a_bad_period_with_exit_code_1(engine, admin, db_url):
    result = CliRunner().invoke(cli, ["anonymise", "--days", "0", "--db", db_url])
    assert result.exit_code == 1
    assert "保留天数" in result.output


# --- the page ----------------------------------------------------------------------------------------------------


def open_privacy_page(monkeypatch, url: str, user: Actor, language: str = "zh") -> AppTest:
    return open_page(monkeypatch, url, user, "pages/privacy.py", language)


def button(app: AppTest, key: str):
    text = translate(key, "zh_CN")
    return next(item for item in app.button if item.label == text)


def test_the_page_anonymises_the_people_due_after_confirmation(monkeypatch, sample_copy, admin):
    engine = connect(sample_copy)
    perform(engine, admin, retention.set_retention_days, SAMPLE_RETENTION)
    expected = due(engine)
    app = open_privacy_page(monkeypatch, sample_copy, admin)
    assert any(str(expected) in markdown.value for markdown in app.markdown)
    button(app, "retention.page.run").click().run()
    assert app.error[0].value == translate("retention.page.must_confirm", "zh_CN")
    assert due(engine) == expected
    app.checkbox[0].check()
    button(app, "retention.page.run").click().run()
    assert not app.exception, app.exception
    assert [box.value for box in app.success] == [translate("retention.page.done", "zh_CN", count=expected)]
    assert due(engine) == 0
    assert any(markdown.value == translate("retention.page.nothing_due", "zh_CN") for markdown in app.markdown)
    engine.dispose()


def test_the_page_saves_the_period_and_refuses_nothing_valid(monkeypatch, db_url, admin):
    app = open_privacy_page(monkeypatch, db_url, admin, "en")
    app.number_input[0].set_value(14)
    next(item for item in app.button if item.label == "Save retention period").click().run()
    assert [box.value for box in app.success] == ["The retention period is now 14 days."]
    engine = connect(db_url)
    with engine.connect() as conn:
        assert retention.retention_days(conn) == 14
    engine.dispose()


@pytest.mark.parametrize("role", ["leader", "clerk"])
def test_the_page_refuses_leaders_and_clerks_even_when_opened_by_url(monkeypatch, db_url, engine, admin, role):
    """The navigation does not list the page for them; run directly, as a URL typed by hand would reach it
    if the navigation let it through, the page itself refuses."""
    released(engine, admin, 1, ended_days_ago=40)
    monkeypatch.setenv("COMMAND_POST_DB", db_url)
    app = AppTest.from_file(str(ROOT / "pages/privacy.py"), default_timeout=60)
    app.session_state["actor"] = Actor(f"{role}-test", role, (("quarantine", frozenset()),))
    app.run()
    assert not app.exception, app.exception
    assert [box.value for box in app.error] == [
        translate("access.page_refused", "zh_CN", role=translate(f"role.{role}", "zh_CN"))
    ]
    assert not app.button and not app.number_input
    assert person_row(engine, id_number(1)) is not None


@pytest.mark.parametrize("role", ["leader", "clerk", "wall"])
def test_the_navigation_offers_the_page_to_administrators_only(monkeypatch, db_url, role):
    monkeypatch.setenv("COMMAND_POST_DB", db_url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.session_state["actor"] = Actor(f"{role}-test", role)
    app.run()
    with pytest.raises(ValueError, match="navigation page"):
        app.switch_page(str(ROOT / "pages/privacy.py"))


def test_an_id_number_typed_into_another_table_is_removed_with_the_name_and_phone_beside_it(engine, admin):
    released(engine, admin, 1, ended_days_ago=40)
    note = f"留存1（{id_number(1)}，13900000001）已解除隔离；留存2 仍在观察"
    perform(engine, admin, briefing.save_note, ago(40), note)
    perform(engine, admin, briefing.save_note, ago(39), "留存1 的邻居来电")
    anonymise(engine, admin)
    with engine.connect() as conn:
        notes = conn.execute(sa.text("SELECT text FROM briefing_notes ORDER BY day")).scalars().all()
    assert notes == ["已匿名 #1（ANON-1，***）已解除隔离；留存2 仍在观察", "留存1 的邻居来电"]


# --- what is left anywhere: other people's texts, any spacing, the files -----------------------------------------


def spaced(digits: str, groups: tuple[int, ...], separator: str = " ") -> str:
    """``digits`` typed in groups, as a clerk copies an ID number or phone from a card: ``110105 19850101 0012``."""
    parts, start = [], 0
    for size in groups:
        parts.append(digits[start : start + size])
        start += size
    return separator.join([*parts, digits[start:]] if start < len(digits) else parts)


def record_a_released_person_mentioned_everywhere(engine, admin) -> None:
    """Person 1 released long ago, typed in any spacing into the texts of person 2, who is still in quarantine,
    and into a leader's note; person 2's own name and phone are typed there too and must stay."""
    released(engine, admin, 1, ended_days_ago=40)
    episode_id = register(
        engine, admin, 2, start_date=ago(5), reason=f"留存1（{spaced(id_number(1), (6, 8))}）的密接，同住"
    )
    perform(
        engine,
        admin,
        quarantine.add_followup,
        {
            "episode_id": episode_id,
            "date": ago(4),
            "slot": "AM",
            "temperature": 36.5,
            "symptoms": True,
            "symptom_text": f"留存2咳嗽，留存1来电 {spaced('13900000001', (3, 4), '-')}",
            "by": "网格员甲",
        },
    )
    perform(engine, admin, briefing.save_note, ago(4), f"留存1 身份证 {spaced(id_number(1), (4, 4, 4, 4))} 已解除")


def digits_only(text: str) -> str:
    return re.sub(r"[\s\-]", "", text)


def released_values_in_text_columns(engine) -> set[str]:
    """Person 1's name, ID number and phone wherever some text column of some table holds them, separators
    between digits ignored (tables reflected, not listed by hand)."""
    values = ("留存1", id_number(1), "13900000001")
    found: set[str] = set()
    with engine.connect() as conn:
        for table_name in sa.inspect(conn).get_table_names():
            table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
            for row in conn.execute(sa.select(table)):
                for text in (digits_only(cell) for cell in row if isinstance(cell, str)):
                    found.update(value for value in values if value in text)
    return found


def test_anonymising_removes_a_released_person_from_every_text_column_in_any_spacing(engine, admin, db_url):
    record_a_released_person_mentioned_everywhere(engine, admin)
    assert released_values_in_text_columns(engine) == {"留存1", id_number(1), "13900000001"}
    result = CliRunner().invoke(cli, ["anonymise", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert released_values_in_text_columns(engine) == set()
    with engine.connect() as conn:
        reason = conn.execute(
            sa.select(quarantine.quarantine_episodes.c.reason).where(
                quarantine.quarantine_episodes.c.status == "active"
            )
        ).scalar_one()
        symptom = conn.execute(sa.select(quarantine.quarantine_followups.c.symptom_text)).scalar_one()
    assert reason == "已匿名 #1（ANON-1）的密接，同住"
    assert symptom == "留存2咳嗽，已匿名 #1来电 ***"
    assert person_row(engine, id_number(2))["phone"] == "13900000002"


@pytest.mark.skipif(support.BACKEND != "sqlite", reason="the files of a SQLite store")
def test_anonymising_leaves_no_trace_in_the_sqlite_file_or_its_wal(engine, admin, db_url):
    record_a_released_person_mentioned_everywhere(engine, admin)
    result = CliRunner().invoke(cli, ["anonymise", "--db", db_url])
    assert result.exit_code == 0, result.output
    database = Path(sa.engine.make_url(db_url).database)
    wal = database.with_name(database.name + "-wal")
    held = re.sub(rb"[ \-]", b"", database.read_bytes() + (wal.read_bytes() if wal.exists() else b""))
    assert [value for value in ("留存1", id_number(1), "13900000001") if value.encode() in held] == []
    assert not wal.exists() or wal.stat().st_size == 0
