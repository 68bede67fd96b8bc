"""The operators' command line: every command documented, help everywhere, exit codes, briefing keys."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from data_layer.cli import cli
from support import count_rows

ROOT = Path(__file__).resolve().parent.parent
BRIEFING_KEYS = {
    "checkpoints": {
        "persons",
        "vehicles",
        "fever",
        "turned_back",
        "active_checkpoints",
        "reported_checkpoints",
        "not_reported",
        "cumulative",
    },
    "quarantine": {
        "current",
        "admitted",
        "released",
        "due_next_3_days",
        "overdue",
        "followups_missing",
        "fever_in_quarantine",
    },
    "enterprises": {
        "total",
        "reopened",
        "reopen_rate",
        "applied",
        "not_reopened",
        "suspended",
        "by_reason",
        "rectifications_open",
        "rectifications_overdue",
    },
}
SUPPLY_KEYS = {"item", "unit", "on_hand", "in_today", "out_today", "burn_rate", "days_of_cover", "below_safety"}


def _command_paths(group: click.Group, prefix: str = "") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            paths += _command_paths(command, path + " ")
        else:
            paths.append(path)
    return paths


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    undocumented = [path for path in _command_paths(cli) if f"python -m data_layer {path}" not in readme]
    assert undocumented == []


@pytest.mark.parametrize("path", _command_paths(cli))
def test_every_command_answers_dash_h(path):
    result = run(*path.split(), "-h")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_init_creates_and_reports_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = run("init", "--db", url)
    assert result.exit_code == 0
    assert re.search(r"schema \d{4}", result.output)


def test_users_add_and_list_with_password_from_stdin(db_url):
    result = run(
        "users",
        "add",
        "zhang",
        "--role",
        "clerk",
        "--assign",
        "checkpoints:3",
        "--password-stdin",
        "--db",
        db_url,
        input="long-enough-secret\n",
    )
    assert result.exit_code == 0, result.output
    listing = run("users", "list", "--db", db_url)
    assert "zhang\tclerk\tcheckpoints:3" in listing.output


def test_users_add_refuses_a_short_password_with_exit_code_1(db_url, engine):
    result = CliRunner().invoke(
        cli, ["users", "add", "li", "--role", "leader", "--password-stdin", "--db", db_url], input="short\n"
    )
    assert result.exit_code == 1
    assert "密码" in result.output
    assert count_rows(engine, "users") == 0


def test_briefing_json_has_every_key_of_the_design(db_url):
    result = run("briefing", "--date", "2026-01-05", "--format", "json", "--db", db_url)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["date"] == "2026-01-05"
    for section, keys in BRIEFING_KEYS.items():
        assert keys <= set(data[section]), section
    assert set(data["quarantine"]["current"]) >= {"centralized", "home", "monitoring", "total"}
    assert set(data["checkpoints"]["cumulative"]) >= {"persons", "vehicles", "fever", "turned_back"}
    assert isinstance(data["supplies"], list)


def test_briefing_docx_needs_an_output_file(db_url):
    result = CliRunner().invoke(cli, ["briefing", "--format", "docx", "--db", db_url])
    assert result.exit_code != 0


def test_backup_writes_a_consistent_copy(tmp_path, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("backup copies SQLite files")
    run("users", "add", "wang", "--role", "leader", "--password-stdin", "--db", db_url, input="long-enough-1\n")
    target = tmp_path / "copy.db"
    assert run("backup", str(target), "--db", db_url).exit_code == 0
    listing = run("users", "list", "--db", f"sqlite:///{target}")
    assert "wang\tleader" in listing.output


def test_import_with_one_bad_row_writes_nothing_lists_the_row_and_exits_1(tmp_path, db_url, engine):
    ledger = tmp_path / "卡口.csv"
    ledger.write_text(
        "卡口名称,网格,类型,纬度,经度,启用\n"
        "东门,第一网格,compound_gate,30.58,114.29,1\n"
        "南路口,第二网格,highway,30.59,114.30,1\n"
        "西门,第三网格,compound_gate,,,是\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["import", "checkpoints", str(ledger), "--db", db_url])
    assert result.exit_code == 1
    assert "第 3 行，类型 列：" in result.output
    assert count_rows(engine, "checkpoints") == 0
    assert count_rows(engine, "audit_log") == 0


def checkpoints_with_bad_kinds(path: Path, rows: int) -> Path:
    """A checkpoints CSV of ``rows`` rows, each of an unknown kind."""
    lines = "".join(f"卡口{number},第一网格,spaceship,,,1\n" for number in range(rows))
    path.write_text("卡口名称,网格,类型,纬度,经度,启用\n" + lines, encoding="utf-8")
    return path


def test_a_chinese_error_report_names_the_column_by_its_chinese_label_and_an_english_one_by_its_english_label(
    tmp_path, db_url
):
    ledger = checkpoints_with_bad_kinds(tmp_path / "卡口.csv", 1)
    chinese = CliRunner().invoke(cli, ["import", "checkpoints", str(ledger), "--db", db_url])
    english = CliRunner().invoke(cli, ["import", "checkpoints", str(ledger), "--db", db_url, "--lang", "en"])
    assert chinese.output.startswith("第 2 行，类型 列：") and "kind" not in chinese.output
    assert english.output.startswith("Row 2, column Kind: ")


def test_a_refused_import_lists_its_first_100_problems_and_counts_the_rest(tmp_path, db_url, engine):
    ledger = checkpoints_with_bad_kinds(tmp_path / "卡口.csv", 150)
    for language, more in (("zh_CN", "…… 另有 50 处问题未列出"), ("en", "… and 50 more")):
        result = CliRunner().invoke(cli, ["import", "checkpoints", str(ledger), "--db", db_url, "--lang", language])
        lines = result.output.splitlines()
        assert result.exit_code == 1
        assert len(lines) == 102 and lines[100] == more
        assert lines[-1].endswith("150 problem(s); nothing was imported")
    assert count_rows(engine, "checkpoints") == 0


def test_import_then_export_round_trips(tmp_path, db_url):
    ledger = tmp_path / "checkpoints.csv"
    ledger.write_text(
        "name,grid,kind,latitude,longitude,active\n东门,第一网格,compound_gate,30.58,114.29,1\n", encoding="utf-8"
    )
    assert run("import", "checkpoints", str(ledger), "--db", db_url).exit_code == 0
    exported = tmp_path / "out.xlsx"
    assert run("export", "checkpoints", str(exported), "--db", db_url).exit_code == 0
    from data_layer.transfer import read_table

    header, rows = read_table(exported)
    assert header == ["name", "grid", "kind", "latitude", "longitude", "active"]
    assert [row[:3] for _, row in rows] == [["东门", "第一网格", "compound_gate"]]
