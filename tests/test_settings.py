"""Every setting is declared once in data_layer/settings.py, read only through it, documented in the README as
declared, and a bad value stops the start with a message naming the variable."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from data_layer import settings
from data_layer.cli import cli

ROOT = Path(__file__).resolve().parent.parent
APP_CODE = [
    ROOT / "app.py",
    *(ROOT / "data_layer").rglob("*.py"),
    *(ROOT / "ui").glob("*.py"),
    *(ROOT / "pages").glob("*.py"),
]
BAD_VALUES = {
    "COMMAND_POST_TZ": "Asia/Nowhere",
    "COMMAND_POST_SESSION_MINUTES": "sixty",
    "COMMAND_POST_SHIFTS": "8,16,24",
    "COMMAND_POST_HANDOVER_MINUTES": "-5",
    "COMMAND_POST_FEVER_THRESHOLD": "99",
    "COMMAND_POST_PLANNED_DAYS": "close_contact=fourteen",
    "COMMAND_POST_COVER_DAYS": "0",
    "COMMAND_POST_AREA_IMAGE_BOUNDS": "114.3,30.6",
    "COMMAND_POST_REFRESH_SECONDS": "1",
    "COMMAND_POST_LIVE_CHECK_SECONDS": "0",
    "COMMAND_POST_KIOSK_RELOAD_HOURS": "-1",
    "COMMAND_POST_MORNING_MEETING": "9点",
    "COMMAND_POST_MAP_STYLE": "styles/dark.json",
    "COMMAND_POST_IMPORT_MAX_ROWS": "50k",
    "COMMAND_POST_BRIEFING_TIME": "21点",
    "COMMAND_POST_PUBLIC_URL": "post.example.org",
    "COMMAND_POST_NOTIFY_SECONDS": "1",
    "COMMAND_POST_SILENT_HOURS": "0",
    "COMMAND_POST_ADMISSIONS_DAYS": "0",
}


def test_the_readme_configuration_table_is_the_registry():
    assert settings.markdown_table() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_no_code_reads_a_setting_but_through_the_registry():
    readers = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in APP_CODE
        if path.name != "settings.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"os\.environ|getenv", line)
    ]
    assert readers == []


def test_every_variable_named_in_the_code_is_declared():
    named = {name for path in APP_CODE for name in re.findall(r"COMMAND_POST_[A-Z_]+", path.read_text("utf-8"))}
    assert named <= {setting.name for setting in settings.SETTINGS}


def test_every_setting_has_a_bad_value_tested():
    declared = {setting.name for setting in settings.SETTINGS}
    assert declared - set(BAD_VALUES) == {
        "COMMAND_POST_DB",
        "COMMAND_POST_AREA_GEOJSON",
        "COMMAND_POST_AREA_IMAGE",
        "COMMAND_POST_NOTICE_TEMPLATE",
    }, "free text or paths: any value parses"


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_a_bad_value_is_refused_naming_the_variable(monkeypatch, name):
    monkeypatch.setenv(name, BAD_VALUES[name])
    with pytest.raises(settings.SettingError, match=name):
        settings.check_all()


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_a_command_refuses_to_start_with_a_bad_value(monkeypatch, tmp_path, name):
    monkeypatch.setenv(name, BAD_VALUES[name])
    result = CliRunner().invoke(cli, ["init", "--db", f"sqlite:///{tmp_path / 'store.db'}"])
    assert result.exit_code == 1
    assert name in result.output
    assert not (tmp_path / "store.db").exists()


def test_unset_settings_take_their_defaults(monkeypatch):
    for setting in settings.SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    settings.check_all()
    assert settings.SHIFTS.value() == (0, 8, 16)
    assert settings.FEVER_THRESHOLD.value() == 37.3
    assert settings.MORNING_MEETING.value() == time(9, 0)
    assert settings.PLANNED_DAYS.value() == {}
    assert settings.AREA_IMAGE.value() is None and settings.MAP_STYLE.value() is None
    assert settings.NOTICE_TEMPLATE.value().is_file() and settings.AREA_GEOJSON.value().is_file()


def test_a_blank_value_counts_as_unset(monkeypatch):
    monkeypatch.setenv("COMMAND_POST_COVER_DAYS", "  ")
    assert settings.COVER_DAYS.value() == 14
