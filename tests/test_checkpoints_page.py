"""The checkpoints page and quick entry in AppTest: one entry per submit, refusals by field, corrections that
keep history, zero reports, the roles, the offline map, and both languages on the sample data."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_layer import clock
from data_layer.checkpoints import add_checkpoint, add_count, checkpoint_counts, set_checkpoint_active
from data_layer.db import Actor, perform
from support import open_page
from ui.forms import Stored

PAGE = "pages/checkpoints.py"
NOW = datetime(2026, 3, 10, 9, 30)  # inside the 08:00–16:00 shift
EAST, WEST = "东门卡口", "西门卡口"
ADMIN = Actor("admin-test", "admin")
LEADER = Actor("leader-test", "leader")


@pytest.fixture
def frozen_clock(monkeypatch):
    """The page runs in this process, so the data layer and the page share one fixed "now"."""
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def post(engine, frozen_clock) -> dict[str, int]:
    """Two active checkpoints, at 09:30 on 10 March: the east gate on the map, the west gate without a position."""
    return {
        EAST: perform(
            engine,
            ADMIN,
            add_checkpoint,
            {"name": EAST, "grid": "第一网格", "kind": "road", "latitude": 30.583, "longitude": 114.295},
        ),
        WEST: perform(engine, ADMIN, add_checkpoint, {"name": WEST, "grid": "第二网格", "kind": "compound_gate"}),
    }


def in_form(elements, form: str) -> dict:
    """The widgets of the rendered form ``form`` (its key is the form name plus its token), by label."""
    return {element.label: element for element in elements if element.form_id.startswith(f"{form}-")}


def press(app: AppTest, form: str, label: str) -> AppTest:
    return in_form(app.button, form)[label].click().run()


def fill(app: AppTest, form: str, **counts: float) -> None:
    labels = {"persons": "检测人数", "vehicles": "检查车辆", "fever": "发热人数", "turned_back": "劝返人数"}
    inputs = in_form(app.number_input, form)
    for name, value in counts.items():
        inputs[labels[name]].set_value(value)


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def stored(engine) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(row) for row in conn.execute(sa.select(checkpoint_counts).order_by(checkpoint_counts.c.id)).mappings()
        ]


def assert_clean(app: AppTest) -> None:
    assert not app.exception, [item.value for item in app.exception]
    assert not app.error, [item.value for item in app.error]
    assert not app.warning, [item.value for item in app.warning]


# Entry --------------------------------------------------------------------------------------------------------


def test_submitting_the_form_stores_one_entry_and_the_figures_follow(monkeypatch, engine, db_url, post):
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    assert metrics(app)["检测人数"] == "0"
    assert metrics(app)["已上报"] == "0 / 2"
    fill(app, "checkpoint-entry", persons=120, vehicles=30, fever=1, turned_back=2)
    app = press(app, "checkpoint-entry", "保存")
    assert_clean(app)
    rows = stored(engine)
    assert len(rows) == 1
    assert (rows[0]["checkpoint_id"], rows[0]["persons"], rows[0]["fever"]) == (post[EAST], 120, 1)
    assert (rows[0]["period_start"], rows[0]["period_end"]) == (datetime(2026, 3, 10, 8), NOW)
    figures = metrics(app)
    shown = (figures["检测人数"], figures["检查车辆"], figures["发热人数"], figures["已上报"])
    assert shown == ("120", "30", "1", "1 / 2")
    assert figures["累计检测人数"] == "120"
    saved = app.success[0].value
    assert EAST in saved and "08:00–09:30" in saved and "检测人数 120" in saved and "发热人数 1" in saved
    assert any("发热 1 人" in item.value and EAST in item.value for item in app.markdown)


def test_the_quick_entry_page_uses_the_same_form_and_says_what_was_stored(monkeypatch, engine, db_url, post):
    clerk = Actor("clerk-test", "clerk", (("checkpoints", frozenset({post[WEST]})),))
    app = open_page(monkeypatch, db_url, clerk, "pages/quick_entry.py", "en")
    form = in_form(app.selectbox, "quick-checkpoint")
    assert form["Checkpoint"].options == [WEST]
    assert form["Shift"].value == 1  # the shift on duty: 08:00–16:00
    in_form(app.number_input, "quick-checkpoint")["People checked"].set_value(40)
    in_form(app.number_input, "quick-checkpoint")["Vehicles checked"].set_value(3)
    app = press(app, "quick-checkpoint", "Save")
    assert_clean(app)
    assert [(row["checkpoint_id"], row["persons"], row["vehicles"]) for row in stored(engine)] == [(post[WEST], 40, 3)]
    assert app.success[0].value.startswith("Saved (entry #1): 西门卡口")


def test_a_zero_report_is_one_tap_and_counts_as_reported(monkeypatch, engine, db_url, post):
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    app = press(app, "checkpoint-entry", "零报告（本班次无人员车辆通过）")
    assert_clean(app)
    rows = stored(engine)
    assert len(rows) == 1
    assert [rows[0][name] for name in ("persons", "vehicles", "fever", "turned_back")] == [0, 0, 0, 0]
    assert metrics(app)["已上报"] == "1 / 2"
    assert "零报告" in app.success[0].value


BAD_INPUTS = {
    "negative": ({"persons": -5, "vehicles": 0}, "检测人数：不能小于 0"),
    "a fraction of a person": ({"persons": 3.5, "vehicles": 0}, "检测人数：须为整数，而不是“3.5”"),
    "fever above persons": ({"persons": 10, "vehicles": 0, "fever": 11}, "发热人数：不能超过检测人数（10）"),
    "turned back above checked": (
        {"persons": 1, "vehicles": 1, "turned_back": 3},
        "劝返人数：不能超过检测人数与检查车辆之和（2）",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_a_bad_count_shows_the_fields_message_and_stores_nothing(monkeypatch, engine, db_url, post, case):
    counts, message = BAD_INPUTS[case]
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    fill(app, "checkpoint-entry", **counts)
    app = press(app, "checkpoint-entry", "保存")
    assert message in [item.value for item in app.error]
    assert stored(engine) == []
    assert not app.success


def test_an_overlapping_period_is_refused_and_stores_nothing(monkeypatch, engine, db_url, post):
    perform(
        engine,
        ADMIN,
        add_count,
        {
            "checkpoint": EAST,
            "period_start": "2026-03-10 08:00",
            "period_end": "2026-03-10 09:00",
            "persons": 5,
            "vehicles": 0,
            "fever": 0,
            "turned_back": 0,
        },
    )
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    fill(app, "checkpoint-entry", persons=10, vehicles=1)
    app = press(app, "checkpoint-entry", "保存")
    errors = [item.value for item in app.error]
    assert "开始时间：与本卡口 2026-03-10 08:00 至 2026-03-10 09:00 的记录时段重叠" in errors
    assert len(stored(engine)) == 1


def test_a_shift_that_has_not_begun_is_refused_and_stores_nothing(monkeypatch, engine, db_url, post):
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    in_form(app.selectbox, "checkpoint-entry")["班次"].set_value(2)  # 16:00–24:00 today, after 09:30
    fill(app, "checkpoint-entry", persons=10, vehicles=1)
    app = press(app, "checkpoint-entry", "保存")
    errors = [item.value for item in app.error]
    assert any("开始时间：不能是将来的时间" in error for error in errors)
    assert stored(engine) == []


def test_a_checkpoint_closed_while_the_form_was_open_is_refused(monkeypatch, engine, db_url, post):
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    perform(engine, ADMIN, set_checkpoint_active, EAST, False)
    fill(app, "checkpoint-entry", persons=10, vehicles=1)
    app = press(app, "checkpoint-entry", "保存")
    assert "卡口：“东门卡口”已停用，不能再录入" in [item.value for item in app.error]
    assert stored(engine) == []


def store_for(checkpoint: int) -> None:
    """A page script that saves one shift for ``checkpoint`` through the form's own save path, and shows its
    refusal as the form does."""
    from datetime import datetime

    from ui.checkpoints import store_count
    from ui.messages import show_refusal

    store_count(
        "probe",
        "probe-token",
        checkpoint,
        "?",
        datetime(2026, 3, 10, 0),
        datetime(2026, 3, 10, 8),
        {"persons": 1, "vehicles": 0, "fever": 0, "turned_back": 0},
        "",
    )
    show_refusal("probe")


@pytest.mark.parametrize(
    ("who", "checkpoint", "message"),
    [
        ("admin", 999, "卡口：“999”不存在"),
        ("clerk", EAST, "您的角色无权录入卡口数据。"),
    ],
)
def test_an_unknown_or_unassigned_checkpoint_is_refused(monkeypatch, engine, db_url, post, who, checkpoint, message):
    monkeypatch.setenv("COMMAND_POST_DB", db_url)
    app = AppTest.from_function(store_for, args=(post.get(checkpoint, checkpoint),), default_timeout=30)
    app.session_state["actor"] = (
        ADMIN if who == "admin" else Actor("clerk-test", "clerk", (("checkpoints", frozenset({post[WEST]})),))
    )
    app.run()
    assert [item.value for item in app.error] == [message]
    assert stored(engine) == []


# Corrections --------------------------------------------------------------------------------------------------


def test_a_correction_replaces_the_figures_and_keeps_the_history(monkeypatch, engine, db_url, post):
    wrong = perform(
        engine,
        ADMIN,
        add_count,
        {
            "checkpoint": EAST,
            "period_start": "2026-03-10 00:00",
            "period_end": "2026-03-10 08:00",
            "persons": 500,
            "vehicles": 10,
            "fever": 0,
            "turned_back": 0,
        },
    )
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    assert metrics(app)["检测人数"] == "500"
    form = f"checkpoint-correct-{wrong}"
    fill(app, form, persons=50)
    in_form(app.text_input, form)["更正原因"].set_value("多打了一个0")
    app = press(app, form, "保存更正")
    assert_clean(app)
    rows = stored(engine)
    assert [(row["id"], row["persons"], row["supersedes_id"], row["reason"]) for row in rows] == [
        (wrong, 500, None, None),
        (wrong + 1, 50, wrong, "多打了一个0"),
    ]
    assert metrics(app)["检测人数"] == "50"
    assert app.success[0].value.startswith(f"已更正：记录 #{wrong} 由记录 #{wrong + 1} 替代")
    history = next(frame.value for frame in app.dataframe if "有效" in frame.value.columns)
    assert list(history["记录"]) == [f"#{wrong + 1}", f"#{wrong}"]
    assert list(history["有效"]) == [True, False]


def test_a_correction_without_a_reason_is_refused(monkeypatch, engine, db_url, post):
    wrong = perform(
        engine,
        ADMIN,
        add_count,
        {
            "checkpoint": EAST,
            "period_start": "2026-03-10 00:00",
            "period_end": "2026-03-10 08:00",
            "persons": 500,
            "vehicles": 10,
            "fever": 0,
            "turned_back": 0,
        },
    )
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    fill(app, f"checkpoint-correct-{wrong}", persons=50)
    app = press(app, f"checkpoint-correct-{wrong}", "保存更正")
    assert "更正原因：必填" in [item.value for item in app.error]
    assert len(stored(engine)) == 1


# Roles --------------------------------------------------------------------------------------------------------


def test_a_leader_sees_figures_and_entries_but_no_form(monkeypatch, engine, db_url, post):
    perform(
        engine,
        ADMIN,
        add_count,
        {
            "checkpoint": EAST,
            "period_start": "2026-03-10 00:00",
            "period_end": "2026-03-10 08:00",
            "persons": 7,
            "vehicles": 1,
            "fever": 0,
            "turned_back": 0,
        },
    )
    app = open_page(monkeypatch, db_url, LEADER, PAGE)
    assert_clean(app)
    assert metrics(app)["检测人数"] == "7"
    assert [tab.label for tab in app.tabs] == ["概况与地图", "录入记录"]
    assert not app.number_input and not app.text_input
    assert not [button for button in app.button if button.form_id]
    assert any("#1" in list(frame.value.iloc[:, 0]) for frame in app.dataframe)


def test_a_clerk_of_another_domain_sees_no_checkpoint_figures_or_form(monkeypatch, db_url, post):
    quarantine_clerk = Actor("clerk-q", "clerk", (("quarantine", frozenset()),))
    app = open_page(monkeypatch, db_url, quarantine_clerk, PAGE)
    assert_clean(app)
    assert not app.metric
    quick = open_page(monkeypatch, db_url, quarantine_clerk, "pages/quick_entry.py")
    assert_clean(quick)
    assert not quick.number_input


# The map ------------------------------------------------------------------------------------------------------


def deck(app: AppTest) -> dict:
    return json.loads(app.get("deck_gl_json_chart")[0].proto.json)


def test_the_map_needs_no_internet_and_lists_checkpoints_without_a_position(monkeypatch, db_url, post):
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    spec = deck(app)
    assert spec["mapStyle"] == "__MAP_STYLE__"  # Streamlit then draws no basemap at all
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert {"grids", "compounds", "area-labels", "checkpoints", "checkpoint-labels"} <= set(layers)
    assert layers["area-labels"]["characterSet"] == "auto"
    assert "第一网格" in [label["name"] for label in layers["area-labels"]["data"]]
    assert [point["name"] for point in layers["checkpoints"]["data"]] == [EAST]
    assert any(WEST in item.value for item in app.markdown)


def test_the_map_takes_the_command_posts_area_image_and_style(monkeypatch, db_url, post, tmp_path):
    area = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "北区"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[114.29, 30.58], [114.30, 30.58], [114.30, 30.59], [114.29, 30.58]]],
                },
            }
        ],
    }
    (tmp_path / "area.geojson").write_text(json.dumps(area), encoding="utf-8")
    (tmp_path / "plan.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    monkeypatch.setenv("COMMAND_POST_AREA_GEOJSON", str(tmp_path / "area.geojson"))
    monkeypatch.setenv("COMMAND_POST_AREA_IMAGE", str(tmp_path / "plan.png"))
    monkeypatch.setenv("COMMAND_POST_AREA_IMAGE_BOUNDS", "114.28,30.57,114.31,30.60")
    monkeypatch.setenv("COMMAND_POST_MAP_STYLE", "http://tiles.lan/style.json")
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    assert_clean(app)
    spec = deck(app)
    assert spec["mapStyle"] == "http://tiles.lan/style.json"
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert layers["area-image"]["image"].startswith("data:image/png;base64,")
    assert layers["area-image"]["bounds"] == [114.28, 30.57, 114.31, 30.60]
    assert [label["name"] for label in layers["area-labels"]["data"]] == ["北区"]


# Both languages on the sample ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(
    ("who", "page"),
    [
        (ADMIN, "pages/checkpoints.py"),
        (LEADER, "pages/checkpoints.py"),
        (Actor("clerk", "clerk", (("checkpoints", frozenset()),)), "pages/quick_entry.py"),
    ],
)
def test_the_pages_run_on_the_sample_in_both_languages(monkeypatch, sample_url, who, page, language):
    app = open_page(monkeypatch, sample_url, who, page, language)
    assert_clean(app)
    assert (
        app.title[0].value
        == {
            ("zh", "pages/checkpoints.py"): "卡口通行",
            ("en", "pages/checkpoints.py"): "Checkpoint throughput",
            ("zh", "pages/quick_entry.py"): "快速录入",
            ("en", "pages/quick_entry.py"): "Quick entry",
        }[(language, page)]
    )


# A double tap ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("button", ["保存", "零报告（本班次无人员车辆通过）"])
def test_a_second_tap_landing_on_the_fresh_form_still_reads_saved_and_stores_once(
    monkeypatch, engine, db_url, post, button
):
    """The second tap of a double tap submits the empty form drawn after the save: it is the same entry."""
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    fill(app, "checkpoint-entry", persons=120, vehicles=30)
    app = press(app, "checkpoint-entry", button)
    saved = app.success[0].value
    app = press(app, "checkpoint-entry", button)
    assert_clean(app)
    assert [item.value for item in app.success] == [saved]
    assert len(stored(engine)) == 1


def test_the_saved_message_stays_until_the_next_entry(monkeypatch, engine, db_url, post):
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    fill(app, "checkpoint-entry", persons=120, vehicles=30)
    app = press(app, "checkpoint-entry", "保存")
    saved = app.success[0].value
    app = app.run()
    assert [item.value for item in app.success] == [saved]
    in_form(app.selectbox, "checkpoint-entry")["卡口"].set_value(post[WEST])
    fill(app, "checkpoint-entry", persons=7, vehicles=1)
    app = press(app, "checkpoint-entry", "保存")
    assert_clean(app)
    assert len(app.success) == 1 and WEST in app.success[0].value and "检测人数 7" in app.success[0].value
    assert len(stored(engine)) == 2


def test_the_same_submission_sent_again_is_answered_with_the_first_ones_result(monkeypatch, engine, db_url, post):
    """A resent submission (its token already stored) gets the first's saved message, not a refusal."""
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    token = app.session_state["form_token:checkpoint-entry"]
    fill(app, "checkpoint-entry", persons=120, vehicles=30)
    app = press(app, "checkpoint-entry", "保存")
    saved = app.success[0].value
    app.session_state["form_token:checkpoint-entry"] = token  # the screen still shows the form it came from
    app = app.run()
    fill(app, "checkpoint-entry", persons=120, vehicles=30)
    app = press(app, "checkpoint-entry", "保存")
    assert_clean(app)
    assert [item.value for item in app.success] == [saved]
    assert len(stored(engine)) == 1


@pytest.mark.parametrize("noted", [False, True], ids=["before-noting-the-save", "before-keeping-its-message"])
def test_a_repeat_of_a_save_stopped_after_its_commit_reads_what_the_first_stored(
    monkeypatch, engine, db_url, post, noted
):
    """Streamlit stops a run as soon as the second tap of a double tap starts the next: the first may have stored
    the entry and been stopped before it noted so, or before it kept its saved message. The repeat, sent with
    the same form, reads the first's saved message, not "already submitted"."""
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    token = app.session_state["form_token:checkpoint-entry"]
    checkpoint = in_form(app.selectbox, "checkpoint-entry")["卡口"].value
    counts = {"persons": 120, "vehicles": 30, "fever": 0, "turned_back": 0}
    period = {"period_start": datetime(2026, 3, 10, 8, 0), "period_end": NOW}
    first = perform(engine, ADMIN, add_count, {"checkpoint": checkpoint, **period, **counts}, token=token)
    if noted:
        app.session_state["form_stored:checkpoint-entry"] = Stored(token, first)
    fill(app, "checkpoint-entry", persons=120, vehicles=30)
    app = press(app, "checkpoint-entry", "保存")
    assert_clean(app)
    assert [item.value.startswith(f"已保存（记录 #{first}）") for item in app.success] == [True]
    assert not app.info
    assert len(stored(engine)) == 1


def test_the_saved_message_says_where_to_correct_the_entry(monkeypatch, engine, db_url, post):
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    fill(app, "checkpoint-entry", persons=120, vehicles=30)
    app = press(app, "checkpoint-entry", "保存")
    assert "在“卡口通行 › 录入与更正”中选择记录 #1 更正" in app.success[0].value


# The shift the clerk means ----------------------------------------------------------------------------------------

HANDOVER = datetime(2026, 3, 10, 16, 5)  # five minutes after the 08:00–16:00 shift ended


def test_at_handover_the_form_proposes_the_shift_just_ended_and_stores_it_whole(monkeypatch, engine, db_url, post):
    monkeypatch.setattr(clock, "now", lambda: HANDOVER)
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    shift = in_form(app.selectbox, "checkpoint-entry")["班次"]
    assert shift.value == 1 and shift.options[1] == "08:00–16:00"
    fill(app, "checkpoint-entry", persons=300, vehicles=40)
    app = press(app, "checkpoint-entry", "保存")
    assert_clean(app)
    assert [(row["period_start"], row["period_end"]) for row in stored(engine)] == [
        (datetime(2026, 3, 10, 8), datetime(2026, 3, 10, 16))
    ]
    assert "2026年3月10日 08:00–16:00" in app.success[0].value


def test_the_shift_on_duty_says_it_is_stored_until_now(monkeypatch, engine, db_url, post):
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)  # 09:30, long after the handover
    assert in_form(app.selectbox, "checkpoint-entry")["班次"].value == 1
    assert "选进行中的班次 08:00–16:00 时，只保存到提交的时刻（现在是 09:30）。" in [item.value for item in app.caption]


def test_an_entry_overlapping_a_stub_offers_and_completes_its_correction_in_place(monkeypatch, engine, db_url, post):
    stub = perform(
        engine,
        ADMIN,
        add_count,
        {
            "checkpoint": EAST,
            "period_start": "2026-03-10 08:00",
            "period_end": "2026-03-10 08:05",
            "persons": 3,
            "vehicles": 0,
            "fever": 0,
            "turned_back": 0,
        },
    )
    monkeypatch.setattr(clock, "now", lambda: HANDOVER)
    app = open_page(monkeypatch, db_url, ADMIN, PAGE)
    fill(app, "checkpoint-entry", persons=300, vehicles=40)
    app = press(app, "checkpoint-entry", "保存")
    assert len(stored(engine)) == 1
    assert any(f"记录 #{stub}（2026年3月10日 08:00–08:05；检测人数 3" in item.value for item in app.markdown)
    assert in_form(app.text_input, f"checkpoint-offer-{stub}")["更正原因"].value == "交接班补录整班数字"
    app = press(app, f"checkpoint-offer-{stub}", f"用本次数字更正记录 #{stub}")
    assert_clean(app)
    rows = stored(engine)
    assert [
        (
            row["id"],
            row["period_start"],
            row["period_end"],
            row["persons"],
            row["vehicles"],
            row["supersedes_id"],
            row["reason"],
        )
        for row in rows
    ] == [
        (stub, datetime(2026, 3, 10, 8), datetime(2026, 3, 10, 8, 5), 3, 0, None, None),
        (stub + 1, datetime(2026, 3, 10, 8), datetime(2026, 3, 10, 16), 300, 40, stub, "交接班补录整班数字"),
    ]
    corrected = f"已更正（记录 #{stub} 由记录 #{stub + 1} 替代）：东门卡口，2026年3月10日 08:00–16:00"
    assert app.success[0].value.startswith(corrected)
    assert in_form(app.number_input, "checkpoint-entry")["检测人数"].value is None
    assert not in_form(app.button, f"checkpoint-offer-{stub}")
