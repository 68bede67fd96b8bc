"""Import and export of the quarantine domain (design §5): its transfer kinds and the register and
follow-up workbooks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.db import Actor, WriteContext
from data_layer.i18n import translate
from data_layer.quarantine.config import code_label, codes_by_chinese_label
from data_layer.quarantine.episodes import end_other, register, release, transfer_to_hospital
from data_layer.quarantine.followups import add_followup, add_followups_batch
from data_layer.quarantine.lists import present_person, register_query
from data_layer.quarantine.master import add_site
from data_layer.quarantine.queries import episode_rows, is_effective
from data_layer.quarantine.tables import (
    DOMAIN,
    STATUSES,
    persons,
    quarantine_episodes,
    quarantine_followups,
    quarantine_sites,
)
from data_layer.transfer import Column, Row, TransferKind, query_rows, text_column_numbers
from data_layer.validation import Checks, is_blank
from data_layer.workbook import unique_sheet_title, workbook_bytes

# How an episode ends, by its status: each takes the episode, the end date and the reason, and returns the episode.
Ending = Callable[[WriteContext, object, object, object], int]
ENDINGS: dict[str, Ending] = {"released": release, "transferred": transfer_to_hospital, "ended_other": end_other}


def _import_episode(ctx: WriteContext, row: Row) -> int:
    """A ``quarantine`` row: register the person and episode, then end it when its status says so."""
    checks = Checks(DOMAIN)
    status = (
        "active"
        if is_blank(row.get("status"))
        else checks.choice(row.get("status"), "status", STATUSES, labels=codes_by_chinese_label(STATUSES))
    )
    if status == "active" and not is_blank(row.get("end_date")):
        checks.fail("end_date", "quarantine.error.end_date_for_active")
    if status not in (None, "active") and is_blank(row.get("end_date")):
        checks.fail("end_date", "error.required")
    checked_status = checks.passed(status)
    episode_id = register(ctx, {**row, "reason": row.get("reason") if checked_status == "active" else None})
    if checked_status != "active":
        ENDINGS[checked_status](ctx, episode_id, row.get("end_date"), row.get("reason"))
    return episode_id


def _read_sites(conn: Connection) -> Iterator[Row]:
    query = sa.select(
        quarantine_sites.c.name, quarantine_sites.c.address, quarantine_sites.c.capacity, quarantine_sites.c.active
    ).order_by(quarantine_sites.c.id)
    return query_rows(conn, query)


def _read_episodes(conn: Connection) -> Iterator[Row]:
    """Every episode with its person, in start order so that a re-import rebuilds each person's history."""
    query = episode_rows().order_by(quarantine_episodes.c.start_date, quarantine_episodes.c.id)
    return query_rows(conn, query)


def _effective_followups(*person_columns: sa.Column) -> sa.Select:
    """The effective follow-ups (what the figures count) with ``person_columns`` of their person, by date and
    slot: the rows of the follow-up import file and of the follow-up export."""
    followup = quarantine_followups
    return (
        sa.select(
            *person_columns,
            followup.c.date,
            followup.c.slot,
            followup.c.temperature,
            followup.c.symptoms,
            followup.c.by_name.label("by"),
            followup.c.symptom_text,
        )
        .join(quarantine_episodes, quarantine_episodes.c.id == followup.c.episode_id)
        .join(persons, persons.c.id == quarantine_episodes.c.person_id)
        .where(is_effective())
        .order_by(followup.c.date, followup.c.slot, followup.c.id)
    )


def _read_followups(conn: Connection) -> Iterator[Row]:
    """Every effective follow-up, as the import file has it."""
    return query_rows(conn, _effective_followups(persons.c.id_number))


TRANSFER_KINDS = (
    TransferKind(
        "sites",
        (Column("name", "名称"), Column("address", "地址"), Column("capacity", "床位数"), Column("active", "启用")),
        add_site,
        _read_sites,
    ),
    TransferKind(
        "quarantine",
        (
            Column("name", "姓名"),
            Column("id_number", "身份证号", text=True),
            Column("phone", "联系电话", text=True),
            Column("grid", "网格"),
            Column("origin", "来源地"),
            Column("origin_category", "来源类别"),
            Column("mode", "隔离方式"),
            Column("site", "隔离点"),
            Column("start_date", "开始日期"),
            Column("planned_days", "隔离天数"),
            Column("status", "状态"),
            Column("end_date", "解除日期"),
            Column("address", "住址"),
            Column("reason", "原因"),
        ),
        _import_episode,
        _read_episodes,
    ),
    TransferKind(
        "followups",
        (
            Column("id_number", "身份证号", text=True),
            Column("date", "日期"),
            Column("slot", "时段"),
            Column("temperature", "体温"),
            Column("symptoms", "症状"),
            Column("by", "随访人"),
            Column("symptom_text", "症状描述"),
        ),
        add_followup,
        _read_followups,
        add_followups_batch,
    ),
)


KINDS = {kind.name: kind for kind in TRANSFER_KINDS}
CODED_COLUMNS = frozenset({"mode", "status", "origin_category", "slot"})
NAME_COLUMN = Column("name", "姓名")


def _export_header(columns: Sequence[Column], language: str) -> list[str]:
    return [column.chinese if language == "zh_CN" else column.name for column in columns]


def _export_cell(column: str, value: object, language: str) -> object:
    """A value as an import reads it back: Chinese labels and 是/否 in a Chinese workbook, codes and 1/0
    in an English one."""
    chinese = language == "zh_CN"
    if value is None:
        return None
    if isinstance(value, bool):
        return ("是" if value else "否") if chinese else int(value)
    if column in CODED_COLUMNS and chinese:
        return code_label(str(value), "zh_CN")
    return value


def _sheet_rows(rows: Iterable[Mapping], columns: Sequence[Column], language: str) -> Iterator[list]:
    return ([_export_cell(column.name, row[column.name], language) for column in columns] for row in rows)


def register_workbook(
    conn: Connection,
    day: date,
    search: str | None = None,
    actor: Actor | None = None,
    language: str = "zh_CN",
    current_only: bool = True,
) -> bytes:
    """The register as shown on the page (same choice, no row limit) as an Excel workbook in the
    ``quarantine`` import format, in start order, so that importing it rebuilds the same episodes.
    Numbers are masked unless ``actor`` may see them (a masked file cannot be imported again)."""
    columns = KINDS["quarantine"].columns
    query = register_query(day, search, actor, current_only).order_by(
        quarantine_episodes.c.start_date, quarantine_episodes.c.id
    )
    rows = (present_person(row, actor) for row in conn.execute(query).mappings())
    title = translate("quarantine.page.sheet.register", language)
    sheet = (title, _export_header(columns, language), _sheet_rows(rows, columns, language))
    return workbook_bytes([sheet], text_column_numbers(columns))


def _followup_export_rows(conn: Connection, day: date, search: str | None, actor: Actor | None) -> list[dict]:
    """The effective follow-ups up to ``day`` of the people current on ``day`` who match ``search``."""
    followup = quarantine_followups
    selected = register_query(day, search, actor, current_only=True).with_only_columns(quarantine_episodes.c.id)
    query = _effective_followups(persons.c.name, persons.c.id_number).where(
        followup.c.episode_id.in_(selected), followup.c.date <= day
    )
    return [present_person(row, actor) for row in conn.execute(query).mappings()]


def followups_workbook(
    conn: Connection,
    day: date,
    search: str | None = None,
    actor: Actor | None = None,
    language: str = "zh_CN",
    per_person: bool = False,
) -> bytes:
    """The follow-ups of the people under quarantine on ``day`` (matching ``search``) as an Excel workbook.

    The first sheet holds all of them in the ``followups`` import format, with
    the person's name in front for reading (an import ignores that column);
    with ``per_person`` one more sheet per person follows, in the same format.
    Limited to the people current on ``day``, so the file stays within what
    Excel opens even for a district.
    """
    columns = (NAME_COLUMN, *KINDS["followups"].columns)
    header = _export_header(columns, language)
    rows = _followup_export_rows(conn, day, search, actor)
    sheets = [(translate("quarantine.page.sheet.followups", language), header, _sheet_rows(rows, columns, language))]
    if per_person:
        by_person: dict[tuple[str, str], list[dict]] = {}
        for row in rows:
            by_person.setdefault((row["name"], row["id_number"]), []).append(row)
        taken = {sheets[0][0].lower()}
        sheets += [
            (unique_sheet_title(f"{name}-{id_number[-4:]}", taken), header, _sheet_rows(person_rows, columns, language))
            for (name, id_number), person_rows in sorted(by_person.items())
        ]
    return workbook_bytes(sheets, text_column_numbers(columns))
