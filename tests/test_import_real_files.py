"""The ledgers clerks really keep, imported: a title and a merged banner above the header, units in the headers,
blank rows, full-width characters, every way of writing a date, a sheet per day, total and signature rows,
old .xls workbooks; and the files that must be refused with one message and nothing written (no header, no
data rows). Each workbook is built here the way a clerk's spreadsheet program leaves it."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import Workbook

from data_layer import checkpoints, clock, quarantine, transfer
from data_layer.cli import cli
from data_layer.db import Actor, perform
from data_layer.errors import ImportRejected
from support import audit_rows, count_rows, id_number, legacy_workbook

ADMIN = Actor("admin-test", "admin")
OLE_SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")
"""How an old .xls file (an OLE compound document) begins."""
TITLE = "东湖街道卡口检测登记表"
HEADER_WITH_UNITS = [
    "卡口名称",
    "开始 时间",
    "结束时间",
    "检测人数（人）",
    "检查车辆(辆)",
    "发热人数（人）",
    "劝返人数",
    "备注",
]
SHIFTS = [
    ["南路口", "2025-01-01 08:00", "2025-01-01 16:00", 120, 30, 1, 2, None],
    ["南路口", "2025-01-01 16:00", "2025-01-02 00:00", 80, 12, 0, 1, "夜班"],
]


@pytest.fixture
def checkpoint(engine) -> None:
    perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": "南路口", "grid": "第一网格", "kind": "road"})


def workbook_file(*sheets: tuple[str, list[list]], merged_title: bool = True) -> bytes:
    """An .xlsx of ``sheets`` (title, rows); a sheet whose first row is the ledger's title has it merged across
    the table, as clerks' banners are."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if merged_title and rows and rows[0] and rows[0][0] == TITLE:
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER_WITH_UNITS))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def clerks_ledger(rows: list[list]) -> list[list]:
    """A ledger as clerks lay it out: the title, the unit and a blank row above the header."""
    return [[TITLE], ["填报单位：东湖街道", None, None, None, None, None, "单位：人"], [], HEADER_WITH_UNITS, *rows]


def stored_figures(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.text(
                    "SELECT persons, vehicles, fever, turned_back, note FROM checkpoint_counts ORDER BY period_start"
                )
            )
        ]


def refused(engine, data: bytes, file_name: str, kind: str = "checkpoint_counts") -> ImportRejected:
    """The refusal of a file, after checking that nothing at all was written."""
    before = (audit_rows(engine), count_rows(engine, "checkpoint_counts"))
    with pytest.raises(ImportRejected) as refusal:
        transfer.import_file(engine, ADMIN, kind, data, file_name)
    assert (audit_rows(engine), count_rows(engine, "checkpoint_counts")) == before
    return refusal.value


# --- 1. the header, wherever it stands -------------------------------------------------------------------------


def test_a_ledger_with_a_merged_title_a_unit_row_a_blank_row_and_units_in_its_headers_imports_its_figures(
    engine, checkpoint
):
    data = workbook_file(("Sheet1", clerks_ledger(SHIFTS)))
    assert transfer.import_file(engine, ADMIN, "checkpoint_counts", data, "卡口.xlsx") == 2
    assert stored_figures(engine) == [(120, 30, 1, 2, None), (80, 12, 0, 1, "夜班")]


def test_a_bad_row_below_a_title_is_named_by_its_row_in_the_spreadsheet(engine, checkpoint):
    data = workbook_file(("Sheet1", clerks_ledger([SHIFTS[0], [*SHIFTS[1][:3], "很多", 12, 0, 1, None]])))
    problems = refused(engine, data, "卡口.xlsx").row_errors
    assert [(problem.row, problem.column) for problem in problems] == [(6, "persons")]


def test_a_csv_with_full_width_english_headers_in_any_case_imports(engine, checkpoint):
    data = (
        "Checkpoint,ＰＥＲＩＯＤ＿ＳＴＡＲＴ,Period End,Persons (人),vehicles,fever,turned_back,note\n"
        "南路口,2025-01-01 08:00,2025-01-01 16:00,120,30,1,2,\n"
    ).encode()
    assert transfer.import_file(engine, ADMIN, "checkpoint_counts", data, "counts.csv") == 1
    assert stored_figures(engine) == [(120, 30, 1, 2, None)]


def test_a_file_without_the_header_is_refused_with_one_message_listing_the_headers_expected_and_found(
    engine, checkpoint
):
    data = "名字,时间,人数\n南路口,2025-01-01 08:00,120\n南路口,2025-01-01 16:00,80\n".encode()
    [message] = refused(engine, data, "counts.csv").messages("zh_CN")
    assert "前 20 行中找不到表头" in message
    assert "卡口名称（checkpoint）、开始时间（period_start）" in message
    assert message.endswith("找到的是：名字、时间、人数")


# --- 6. empty is not success -----------------------------------------------------------------------------------


def test_a_header_only_file_is_refused_as_having_no_data_rows(engine, checkpoint):
    data = workbook_file(("台账", clerks_ledger([[None] * 8, []])))
    [message] = refused(engine, data, "卡口.xlsx").messages("en")
    assert message.endswith('no data rows found in sheet "台账" (nothing below the header); nothing was imported')


def test_an_empty_workbook_is_refused_as_having_no_data_rows(engine, checkpoint):
    [message] = refused(engine, workbook_file(("Sheet1", [])), "卡口.xlsx").messages("en")
    assert 'no data rows found in sheet "Sheet1"' in message


def test_the_command_line_refuses_a_header_only_csv_with_exit_1_and_writes_nothing(
    tmp_path: Path, db_url, engine, checkpoint
):
    ledger = tmp_path / "counts.csv"
    ledger.write_text("卡口名称,开始时间,结束时间,检测人数,检查车辆,发热人数,劝返人数,备注\n", encoding="utf-8")
    before = audit_rows(engine)
    result = CliRunner().invoke(cli, ["import", "checkpoint_counts", str(ledger), "--db", db_url, "--lang", "en"])
    assert result.exit_code == 1
    assert 'no data rows found in sheet "counts.csv"' in result.output
    assert (audit_rows(engine), count_rows(engine, "checkpoint_counts")) == (before, 0)


# --- 2. the sheet ------------------------------------------------------------------------------------------------

INSTRUCTIONS = ("填表说明", [["填表说明"], ["1. 每个班次填一行"], ["2. 人数填整数"]])
HEADER = ["卡口名称", "开始时间", "结束时间", "检测人数", "检查车辆", "发热人数", "劝返人数", "备注"]


def day_sheet(day: int, persons: int) -> tuple[str, list[list]]:
    return f"1月{day}日", [HEADER, ["南路口", f"2025-01-{day:02d} 08:00", f"2025-01-{day:02d} 16:00", persons, 1, 0, 0]]


def test_a_blank_first_sheet_and_an_instructions_sheet_are_passed_over_and_the_ledger_sheet_is_read(engine, checkpoint):
    data = workbook_file(("Sheet1", []), INSTRUCTIONS, ("台账", clerks_ledger(SHIFTS)))
    imported = transfer.import_ledger(engine, ADMIN, "checkpoint_counts", data, "卡口.xlsx")
    assert (imported.rows, imported.sheets) == (2, ("台账",))
    assert stored_figures(engine) == [(120, 30, 1, 2, None), (80, 12, 0, 1, "夜班")]


def test_a_workbook_of_only_an_instructions_sheet_is_refused_with_one_message_naming_the_header(engine, checkpoint):
    [message] = refused(engine, workbook_file(("Sheet1", []), INSTRUCTIONS), "卡口.xlsx").messages("zh_CN")
    assert "找不到表头" in message and "找到的是：填表说明" in message


def test_a_sheet_per_day_is_imported_as_one_ledger_and_each_sheet_is_named(engine, checkpoint):
    data = workbook_file(INSTRUCTIONS, day_sheet(1, 100), day_sheet(2, 200), day_sheet(3, 300))
    imported = transfer.import_ledger(engine, ADMIN, "checkpoint_counts", data, "卡口.xlsx")
    assert (imported.rows, imported.sheets) == (3, ("1月1日", "1月2日", "1月3日"))
    assert [persons for persons, *_ in stored_figures(engine)] == [100, 200, 300]


def test_a_bad_row_of_a_sheet_per_day_ledger_is_named_with_its_sheet(engine, checkpoint):
    title, rows = day_sheet(2, 200)
    bad = ["南路口", "2025-01-02 16:00", "2025-01-02 20:00", -1, 0, 0, 0]
    data = workbook_file(day_sheet(1, 100), (title, [*rows, bad]))
    [message] = refused(engine, data, "卡口.xlsx").messages("zh_CN")
    assert message.startswith("工作表“1月2日”第 3 行，检测人数 列：")


def test_sheets_of_different_columns_are_refused_naming_them_and_the_sheet_option(engine, checkpoint):
    other = ("汇总", [HEADER[:4], ["南路口", "2025-01-05 08:00", "2025-01-05 16:00", 9]])
    [message] = refused(engine, workbook_file(day_sheet(1, 100), other), "卡口.xlsx").messages("en")
    assert "several sheets with a ledger header but different columns: 1月1日、汇总" in message
    assert "--sheet NAME" in message


def test_the_command_line_reads_the_sheet_it_is_told_and_says_which_sheet_it_read(
    tmp_path: Path, db_url, engine, checkpoint
):
    other = ("汇总", [HEADER[:4], ["南路口", "2025-01-05 08:00", "2025-01-05 16:00", 9]])
    ledger = tmp_path / "卡口.xlsx"
    ledger.write_bytes(workbook_file(day_sheet(1, 100), other))
    result = CliRunner().invoke(cli, ["import", "checkpoint_counts", str(ledger), "--db", db_url, "--sheet", "1月1日"])
    assert result.exit_code == 0, result.output
    assert "读取的工作表：1月1日" in result.output
    assert [persons for persons, *_ in stored_figures(engine)] == [100]
    missing = CliRunner().invoke(cli, ["import", "checkpoint_counts", str(ledger), "--db", db_url, "--sheet", "2日"])
    assert missing.exit_code == 1
    assert "没有名为“2日”的工作表；工作表有：1月1日、汇总" in missing.output


# --- 5. old .xls workbooks -------------------------------------------------------------------------------------


def test_an_old_xls_ledger_with_title_units_chinese_dates_and_a_total_row_imports(engine, checkpoint):
    rows = [
        ["南路口", datetime(2025, 1, 1, 8), "2025年1月1日 16:00", 120, 30, 1, 2],
        ["南路口", "2025年1月1日 16:00", "2025年1月2日 0:00", 80, 12, 0, 1, "夜班"],
        ["合  计", None, None, 200, 42, 1, 3],
        ["填表人：王五", None, None, "审核人：赵六"],
    ]
    data = legacy_workbook(("台账", clerks_ledger(rows)), merged_title=TITLE)
    assert data.startswith(OLE_SIGNATURE)
    imported = transfer.import_ledger(engine, ADMIN, "checkpoint_counts", data, "卡口登记表.xls")
    assert (imported.rows, imported.sheets) == (2, ("台账",))
    assert stored_figures(engine) == [(120, 30, 1, 2, None), (80, 12, 0, 1, "夜班")]


def test_the_command_line_imports_an_old_xls_ledger_of_a_sheet_per_day(tmp_path: Path, db_url, engine, checkpoint):
    ledger = tmp_path / "卡口.xls"
    ledger.write_bytes(legacy_workbook(INSTRUCTIONS, day_sheet(1, 100), day_sheet(2, 200)))
    result = CliRunner().invoke(cli, ["import", "checkpoint_counts", str(ledger), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert [persons for persons, *_ in stored_figures(engine)] == [100, 200]


def test_an_xls_saved_under_a_csv_name_is_read_as_a_workbook_and_an_xlsx_under_an_xls_name_too(engine, checkpoint):
    legacy = legacy_workbook(day_sheet(1, 100))
    assert transfer.import_file(engine, ADMIN, "checkpoint_counts", legacy, "卡口.csv") == 1
    assert transfer.import_file(engine, ADMIN, "checkpoint_counts", workbook_file(day_sheet(2, 200)), "卡口.xls") == 1


def test_a_damaged_xls_is_refused_with_one_message_and_nothing_written(engine, checkpoint):
    damaged = legacy_workbook(day_sheet(1, 100))[:1500]
    [message] = refused(engine, damaged, "卡口.xls").messages("zh_CN")
    assert message.endswith("不是可读取的 Excel 工作簿（.xlsx 或 .xls）")


# --- 3. what clerks type ---------------------------------------------------------------------------------------


def test_every_way_clerks_write_a_shift_time_imports_as_the_same_minutes(engine, checkpoint):
    starts = [
        datetime(2025, 1, 1, 8, 0),
        "2025年1月1日 16:00",
        "２０２５－０１－０２ ００：００",
        "2025/01/02 08:00:00",
        "2025-1-2 16:00",
        45660.0,
        "2025.1.3 8:00",
    ]
    ends = [*starts[1:], "2025年1月3日 16:00"]
    rows = [["南路口", start, end, "１２３", 1, 0, 0] for start, end in zip(starts, ends, strict=True)]
    assert (
        transfer.import_file(
            engine, ADMIN, "checkpoint_counts", workbook_file(("Sheet1", [HEADER, *rows])), "卡口.xlsx"
        )
        == 7
    )
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT period_start, persons FROM checkpoint_counts ORDER BY period_start"))
        assert [(as_moment(start), persons) for start, persons in stored] == [
            (datetime(2025, 1, 1, 8) + timedelta(hours=8 * shift), 123) for shift in range(7)
        ]


def as_moment(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def test_a_date_without_a_year_is_refused_saying_the_year_is_missing(engine, checkpoint):
    data = workbook_file(("Sheet1", [HEADER, ["南路口", "1月1日 08:00", "2025-01-01 16:00", 1, 0, 0, 0]]))
    [message] = refused(engine, data, "卡口.xlsx").messages("zh_CN")
    assert message == "第 2 行，开始时间 列：“1月1日 08:00”缺少年份，请写成 2022年3月5日 或 2022-03-05"


@pytest.fixture
def person_in_quarantine(engine) -> str:
    number = id_number(7)
    perform(
        engine,
        ADMIN,
        quarantine.register,
        {
            "name": "测试7",
            "id_number": number,
            "phone": "13800000007",
            "grid": "第一网格",
            "address": "示例小区1栋",
            "origin": "外省示例市",
            "origin_category": "other_province",
            "mode": "home",
            "start_date": clock.today() - timedelta(days=3),
        },
    )
    return number


def test_follow_ups_written_with_clerks_words_import_as_their_codes(engine, person_in_quarantine):
    day = clock.today() - timedelta(days=1)
    rows = [
        [person_in_quarantine, f"{day.year}年{day.month}月{day.day}日", "早", "36.5℃", "无", "李医生"],
        [person_in_quarantine, f"{day:%Y.%m.%d}", "下午", "３７．６°C", "有", "李医生"],
        [person_in_quarantine, f"{day + timedelta(days=1):%Y/%m/%d} 00:00:00", "am", "36.4 度", "×", "李医生"],
    ]
    data = workbook_file(("随访", [["随访登记表"], ["身份证号", "日期", "时段", "体温（℃）", "症状", "随访人"], *rows]))
    assert transfer.import_file(engine, ADMIN, "followups", data, "随访.xlsx") == 3
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT date, slot, temperature, symptoms FROM quarantine_followups ORDER BY date, slot")
        )
        assert [(str(on), slot, temperature, bool(symptoms)) for on, slot, temperature, symptoms in stored] == [
            (str(day), "AM", 36.5, False),
            (str(day), "PM", 37.6, True),
            (str(day + timedelta(days=1)), "AM", 36.4, False),
        ]


def test_a_refused_slot_lists_the_chinese_words_accepted(engine, person_in_quarantine):
    data = workbook_file(
        (
            "随访",
            [
                ["身份证号", "日期", "时段", "体温", "症状", "随访人"],
                [person_in_quarantine, str(clock.today()), "中午", "36.5", "无", "李医生"],
            ],
        )
    )
    [message] = refused(engine, data, "随访.xlsx", "followups").messages("zh_CN")
    assert message.endswith("“中午”不是以下之一：上午/早/AM, 下午/晚/PM")


def test_an_id_number_stored_as_a_number_is_refused_with_the_hint_to_format_the_column_as_text(
    engine, person_in_quarantine
):
    data = workbook_file(
        (
            "随访",
            [
                ["身份证号", "日期", "时段", "体温", "症状", "随访人"],
                [4.2010219850312e17, str(clock.today()), "上午", "36.5", "无", "李医生"],
            ],
        )
    )
    [message] = refused(engine, data, "随访.xlsx", "followups").messages("zh_CN")
    assert message == (
        "第 2 行，身份证号 列：被存成了数字（4.2010219850312e+17），末几位已丢失；请把该列设置为“文本”格式后重新填写"
    )


# --- 4. total and signature rows -------------------------------------------------------------------------------


def test_a_total_row_that_adds_up_and_a_signature_line_are_passed_over(engine, checkpoint):
    rows = [*SHIFTS, ["合  计", None, None, 200, 42, 1, 3], [], ["填表人：王五", None, None, "审核人：赵六"]]
    assert (
        transfer.import_file(
            engine, ADMIN, "checkpoint_counts", workbook_file(("台账", clerks_ledger(rows))), "卡口.xlsx"
        )
        == 2
    )
    assert stored_figures(engine) == [(120, 30, 1, 2, None), (80, 12, 0, 1, "夜班")]


def test_a_total_row_that_does_not_add_up_is_refused_with_one_message_naming_it(engine, checkpoint):
    rows = [*SHIFTS, ["总计", None, None, 210, 42, 1, 3], ["填表人：王五"]]
    [message] = refused(engine, workbook_file(("台账", clerks_ledger(rows))), "卡口.xlsx").messages("zh_CN")
    assert message.startswith("第 7 行，整行 列：是合计行，但其中的数字与上面各行之和不符")
