"""User text is text: names, notes and reasons typed by users never render as Markdown.

Streamlit reads the body of ``st.markdown``, captions, alerts, headings and every widget label as Markdown, with
its own ``:red[…]`` colour directives, images and links; the briefing also downloads as a ``.md`` file. A
checkpoint named ``![x](http://…)`` would load an image from elsewhere on every screen that names it, and an item
named ``:red[…]`` would draw a fake alert. Here every kind of name that a page puts into Markdown is hostile, and
each page must show it escaped (:func:`data_layer.markdown.plain`) and never as live Markdown.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from test_quarantine import person

from data_layer import briefing, clock, quarantine, supplies
from data_layer import checkpoints as cp
from data_layer import enterprises as en
from data_layer.db import Actor, perform
from data_layer.markdown import plain
from support import open_page

TODAY = clock.today()
CHECKPOINT = "![卡口](http://evil.example/beacon.png)"
ITEM = ":red[发热 99 人]"
ENTERPRISE = "[企业](http://evil.example/e)"
FINDING = "**整改** <b>x</b> `code`"
SITE = ":red-background[隔离点]"
NOTE = "# 标题\n\n[链接](http://evil.example/n)\n- 列表"
# The hostile names' Markdown where nothing escapes it: a link or image target, the directives, bold, HTML, code, and a
# heading or list item at a line's start.
LIVE_MARKUP = re.compile(
    r"(?<!\\)\]\(http|(?<!\\):red\[发热|(?<!\\):red-background\[隔离点|(?<!\\)\*\*整改|(?<!\\)<b>"
    r"|(?<!\\)`code|^# 标题|^- 列表",
    re.MULTILINE,
)

# The page, who opens it, and the hostile names it shows in Markdown (each must be there, escaped).
PAGES = [
    pytest.param("pages/checkpoints.py", Actor("admin", "admin"), (CHECKPOINT,), id="checkpoints"),
    pytest.param("pages/overview.py", Actor("wall", "wall"), (CHECKPOINT,), id="overview"),
    pytest.param("pages/briefing.py", Actor("leader", "leader"), (CHECKPOINT, ITEM), id="briefing"),
    pytest.param("pages/supplies.py", Actor("admin", "admin"), (ITEM,), id="supplies"),
    pytest.param("pages/enterprises.py", Actor("admin", "admin"), (ENTERPRISE, FINDING), id="enterprises"),
    pytest.param("pages/quarantine.py", Actor("admin", "admin"), (SITE,), id="quarantine"),
]


@pytest.fixture(autouse=True)
def briefing_of_today(monkeypatch):
    """The briefing opens on today at any hour, the day the hostile names are entered."""
    monkeypatch.setenv("COMMAND_POST_MORNING_MEETING", "00:00")


def hostile_command_post(engine, admin) -> None:
    """A checkpoint that has not reported and has no position, an item out of stock, an enterprise with an
    overdue rectification, a full quarantine site and the leader's note: every one named with Markdown."""
    perform(engine, admin, cp.add_checkpoint, {"name": CHECKPOINT, "grid": "第一网格", "kind": "road"})
    perform(engine, admin, supplies.add_item, {"name": ITEM, "unit": "只", "category": "防护用品", "safety_stock": 10})
    enterprise = perform(
        engine,
        admin,
        en.add_enterprise,
        {
            "name": ENTERPRISE,
            "kind": "shop",
            "sector": "餐饮",
            "grid": "第一网格",
            "employees": 3,
            "status": "reopened",
            "status_date": TODAY - timedelta(days=20),
        },
    )
    perform(
        engine,
        admin,
        en.add_inspection,
        enterprise,
        TODAY - timedelta(days=10),
        "督查组王",
        [{"item": FINDING, "deadline": TODAY - timedelta(days=3)}],
    )
    site = perform(engine, admin, quarantine.add_site, {"name": SITE, "address": "城东路1号", "capacity": 1})
    perform(engine, admin, quarantine.register, person(1, mode="centralized", site=site))
    perform(engine, admin, briefing.save_note, TODAY, NOTE)


def markdown_bodies(app) -> list[str]:
    """Every text the page handed to Streamlit as Markdown: bodies, captions, alerts, headings, and the labels of
    buttons, inputs, tabs, expanders and metrics."""
    bodies = [
        element.value
        for elements in (
            app.markdown,
            app.caption,
            app.error,
            app.warning,
            app.info,
            app.success,
            app.title,
            app.header,
            app.subheader,
        )
        for element in elements
    ]
    labels = [
        element.label
        for elements in (
            app.button,
            app.checkbox,
            app.selectbox,
            app.multiselect,
            app.text_input,
            app.tabs,
            app.expander,
            app.metric,
        )
        for element in elements
    ]
    return [str(text) for text in bodies + labels]


@pytest.mark.parametrize(("page", "who", "shown"), PAGES)
def test_pages_show_hostile_names_escaped_and_never_as_live_markdown(
    monkeypatch, db_url, engine, admin, page, who, shown
):
    hostile_command_post(engine, admin)
    app = open_page(monkeypatch, db_url, who, page)
    assert not app.exception
    bodies = markdown_bodies(app)
    everything = "\n".join(bodies)
    for name in shown:
        assert plain(name) in everything, f"{name!r} is not shown escaped on {page}"
    for body in bodies:
        assert not LIVE_MARKUP.search(body), f"live Markdown on {page}: {body!r}"


def test_briefing_markdown_file_escapes_every_name_and_the_note(engine, admin):
    hostile_command_post(engine, admin)
    with engine.connect() as conn:
        text = briefing.render_markdown(briefing.briefing_facts(conn, TODAY), "zh_CN")

    assert plain(CHECKPOINT) in text  # the zero-report line
    assert plain(ITEM) in text  # the headline and the supplies table
    assert "\\# 标题" in text and "\\[链接\\](http\\://evil.example/n)" in text and "\\- 列表" in text
    assert not LIVE_MARKUP.search(text)
    supply_rows = [line for line in text.splitlines() if plain(ITEM) in line and line.startswith("|")]
    assert len(supply_rows) == 1 and supply_rows[0].count(" | ") == len(briefing.SUPPLY_FIGURES) + 1


def test_a_name_stays_on_one_line_a_note_keeps_its_lines_and_plain_punctuation_stays_as_typed():
    assert plain("东门\n# 卡口") == "东门 # 卡口"  # "#" starts a heading only at the start of a line
    assert plain("  第一行\n    第二行\n\n第三段 ") == "第一行 第二行 第三段"
    assert plain("  第一行\n    第二行\n\n第三段 ", keep_lines=True) == "第一行  \n第二行\n\n第三段"
    assert plain("1. www.evil.example a@b.example") == "1\\. www\\.evil.example a\\@b.example"
    assert plain("08:00 2026-03-10 名录.xlsx: ok") == "08:00 2026-03-10 名录.xlsx: ok"  # nothing that starts syntax
