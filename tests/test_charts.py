"""Drawing charts (ui/charts.py): a page's chart built once per data version and language for every session."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from ui import charts


@pytest.fixture
def moment(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The data version and language a page's run reads under, as a test sets them."""
    now: dict[str, object] = {"version": 1, "language": "zh_CN"}
    monkeypatch.setattr(charts, "data_version", lambda: now["version"])
    monkeypatch.setattr(charts, "language", lambda: now["language"])
    charts._built_spec.clear()
    charts._scopes_read_by().clear()
    return now


def test_a_page_chart_is_built_once_per_data_version_language_and_arguments(moment):
    built: list[tuple[object, ...]] = []

    @charts.once_per_version
    def bars(day: str) -> alt.Chart:
        built.append((day, moment["version"], moment["language"]))
        return alt.Chart(pd.DataFrame({"n": [1, 2]})).mark_bar().encode(y="n:Q")

    first = bars("2026-12-06")
    assert bars("2026-12-06") == first, "every session drawing the page at this version gets the same spec"
    bars("2026-12-05")
    moment["version"] = 2
    bars("2026-12-06")
    moment["language"] = "en"
    bars("2026-12-06")
    assert built == [
        ("2026-12-06", 1, "zh_CN"),
        ("2026-12-05", 1, "zh_CN"),
        ("2026-12-06", 2, "zh_CN"),
        ("2026-12-06", 2, "en"),
    ]
    assert first["mark"] == {"type": "bar"} and first["datasets"][first["data"]["name"]] == [{"n": 1}, {"n": 2}]
    assert "continuousWidth" not in first.get("config", {}).get("view", {}), "the column gives the width"


def test_two_pages_charts_of_the_same_name_and_arguments_are_told_apart(moment):
    def trend(day: str) -> dict:
        return {"mark": "line", "title": day}

    def other_trend(day: str) -> dict:
        return {"mark": "area", "title": day}

    other_trend.__qualname__ = trend.__qualname__  # another page's function of the same name
    other_trend.__code__ = other_trend.__code__.replace(co_filename="pages/other.py")
    assert charts.once_per_version(trend)("d")["mark"] == "line"
    assert charts.once_per_version(other_trend)("d")["mark"] == "area"
