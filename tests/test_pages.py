"""AppTest smoke tests: every page runs on the sample data in both languages, without error or warning."""

from __future__ import annotations

import ast

import pytest

from data_layer import clock
from data_layer.briefing import briefing_with_previous
from data_layer.db import Actor, connect
from data_layer.i18n import format_number
from support import ROOT, open_page

PAGES = (
    "pages/overview.py",
    "pages/briefing.py",
    "pages/quarantine.py",
    "pages/enterprises.py",
    "pages/supplies.py",
    "pages/checkpoints.py",
    "pages/quick_entry.py",
    "pages/admin.py",
    "pages/audit_log.py",
)


WALL = Actor("wall", "wall")


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception_error_or_warning(monkeypatch, sample_url, page, language):
    app = open_page(monkeypatch, sample_url, Actor("admin", "admin"), page, language)
    assert not app.exception
    assert not app.error
    assert not app.warning
    titles = [title.value for title in app.title]
    assert page == "pages/overview.py" or "疫情防控指挥大屏" not in titles, "the page did not run"


def test_overview_shows_todays_briefing_figures_in_chinese(monkeypatch, sample_url):
    app = open_page(monkeypatch, sample_url, WALL, "pages/overview.py")
    today, _ = briefing_with_previous(connect(sample_url), clock.today())
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["检测人数"] == format_number(today["checkpoints"]["persons"], "zh_CN")
    assert metrics["在管隔离人员"] == format_number(today["quarantine"]["current"]["total"], "zh_CN")
    assert metrics["已复工"] == format_number(today["enterprises"]["reopened"], "zh_CN")
    assert app.title[0].value == "疫情防控指挥大屏"


def test_overview_speaks_english_on_request(monkeypatch, sample_url):
    app = open_page(monkeypatch, sample_url, WALL, "pages/overview.py", "en")
    labels = [metric.label for metric in app.metric]
    assert "People checked" in labels
    assert "Reopen rate" in labels


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_the_notes_its_code_keeps_for_the_next_engineer(monkeypatch, sample_url, page):
    """A string on its own line in a page script (the note under a constant) is code's, not the page's: Streamlit's
    magic would write it on the page, so it is turned off (``runner.magicEnabled``)."""
    notes = [
        node.value.value
        for node in ast.parse((ROOT / page).read_text(encoding="utf-8")).body[1:]
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    ]
    shown = [element.value for element in open_page(monkeypatch, sample_url, Actor("admin", "admin"), page).markdown]
    assert not [note for note in notes if note in shown]
