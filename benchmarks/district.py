"""District-scale data: a year of a whole district (街道/区) in the store, fast, for the benchmarks.

    .venv/bin/python -m benchmarks.district sqlite:///benchmarks/out/district.db [--scale 0.1] [--days 365]
        [--end 2026-11-23]
    .venv/bin/python -m benchmarks.district postgresql+psycopg://postgres:postgres@127.0.0.1:5432/district

At ``--scale 1`` (the default) it writes, for the 365 days ending ``--end`` (default: today):

- 300 checkpoints × 3 shifts × 365 days of count entries (328,500 rows; some are zero reports, and about
  0.3 % are superseded by a correction row);
- 100,000 quarantine episodes (one person each, 40 centralized sites) with two follow-ups a day while the
  episode is current (2.73 million rows: the episodes of the last two weeks are still running, and a few
  slots are left out, so that follow-ups go missing);
- 50 supply items with 20 movements a day each (365,000 rows: receipts, issues, transfers, scrapping,
  adjustments and reversals, never below zero stock);
- 10,000 enterprises with five status changes each (50,000 rows), their reopening checklists, two
  inspections each and the rectification items those opened.

``--scale`` multiplies the number of checkpoints, episodes, items and enterprises (the 365 days stay), for
quick runs. ``--days`` sets the length of the history instead (default 365) while a day stays the same: the
same checkpoints, items and enterprises, the same number of episodes starting each day (100,000 a year at
scale 1), so that the rows of the end date are of the same kind and number whatever the history, and only the
past grows. The enterprises' status changes, checklists and inspections fall within the last year (or the whole
history if shorter): an enterprise has five status changes whatever the history. The output is deterministic
for a given scale, days, end date and ``--seed``; when the end date is
today, shifts that have not ended yet are left out, as a clerk could not have entered them.

This is a load generator, not a clerk. It bulk-inserts valid rows straight into the domain tables
through the database driver's bulk path (``executemany`` on SQLite; ``COPY`` on PostgreSQL, where
psycopg's ``executemany`` manages only about 10,000 rows/s), with explicit ids so that rows can point at
each other. It does not go through the data layer's validating write functions: those check every rule
row by row (overlaps, the stock on every later date, site capacity, status transitions) and write one
audit row per row, and three and a half million rows would take hours that way. The rows here obey the
same rules by construction (the generator keeps the running stock, the site occupancy and the status
history itself), and one audit row records the load, so that the data version the pages cache on is not 0.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import sqlalchemy as sa

from data_layer import checkpoints as checkpoint_domain
from data_layer import clock
from data_layer.db import connect, is_sqlite, migrate
from data_layer.derived import rebuild_all
from data_layer.enterprises import CONDITIONS, REASONS
from data_layer.validation import id_check_char

DAYS = 365
CHECKPOINTS = 300
EPISODES = 100_000
SITES = 40
ITEMS = 50
MOVEMENTS_PER_ITEM_DAY = 20
ENTERPRISES = 10_000
STATUS_ROWS_PER_ENTERPRISE = 5
INSPECTIONS_PER_ENTERPRISE = 2
CHUNK = 20_000
LOADER = "cli:benchmark-district"

GRIDS = tuple(f"第{number}网格" for number in range(1, 41))
KINDS = ("compound_gate", "road", "station", "other")
KIND_WEIGHTS = (0.6, 0.25, 0.1, 0.05)
CENTER = (30.5830, 114.2950)
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN_NAMES = ("示例", "测试", "演示", "样本", "虚拟", "模拟")
ORIGIN_CATEGORIES = ("high_risk_area", "other_province", "in_province_other_city", "close_contact", "abroad")
ORIGINS = ("武汉市", "北京市", "上海市", "广州市", "深圳市", "荆州市", "孝感市", "境外")
MODES = ("centralized", "home", "monitoring")
MODE_WEIGHTS = (0.3, 0.5, 0.2)
STAFF = ("网格员甲", "网格员乙", "社区医生丙", "社区医生丁")
ITEM_NAMES = (
    "医用外科口罩",
    "N95口罩",
    "医用防护服",
    "隔离衣",
    "护目镜",
    "面屏",
    "医用手套",
    "鞋套",
    "75%酒精",
    "84消毒液",
    "免洗洗手液",
    "红外体温枪",
    "水银体温计",
    "医疗废物袋",
    "帐篷",
)
ITEM_UNITS = ("只", "只", "套", "件", "副", "个", "双", "双", "瓶", "桶", "瓶", "把", "支", "个", "顶")
RECIPIENT_KINDS = ("checkpoint", "site", "grid", "person", "other")
SUPPLIERS = ("市防疫物资储备库", "区卫健局", "某医药公司", "爱心企业", "社区志愿者协会")
SECTORS = ("制造业", "批发零售", "物流", "餐饮", "住宿", "建筑", "美容美发", "足浴按摩", "信息技术", "教育培训")
STATUS_CHAINS = (
    ("not_reopened", "applied", "reopened", "suspended", "reopened"),
    ("not_reopened", "applied", "not_reopened", "applied", "reopened"),
    ("applied", "reopened", "suspended", "applied", "reopened"),
    ("not_reopened", "applied", "reopened", "suspended", "closed"),
    ("not_reopened", "applied", "not_reopened", "applied", "not_reopened"),
    ("not_reopened", "applied", "reopened", "suspended", "applied"),
    ("not_reopened", "applied", "reopened", "suspended", "suspended"),
)
CHAIN_WEIGHTS = (0.35, 0.2, 0.15, 0.05, 0.1, 0.05, 0.1)


@dataclass(frozen=True)
class Sizes:
    checkpoints: int
    episodes: int
    sites: int
    items: int
    enterprises: int

    @classmethod
    def at(cls, scale: float, days: int = DAYS) -> Sizes:
        """The units at ``scale``; the episodes, which start at a steady rate a day, also in proportion to
        ``days``."""
        return cls(
            checkpoints=max(1, round(CHECKPOINTS * scale)),
            episodes=max(1, round(EPISODES * scale * days / DAYS)),
            sites=max(2, round(SITES * scale)),
            items=max(1, round(ITEMS * scale)),
            enterprises=max(1, round(ENTERPRISES * scale)),
        )


class Loader:
    """Bulk inserts through the driver (``executemany`` on SQLite, ``COPY`` on PostgreSQL), with values in
    the form the store keeps them.

    SQLAlchemy stores dates and times in SQLite as ISO text (``2026-01-02`` and
    ``2026-01-02 03:04:05.000000``) and flags as 1/0; PostgreSQL takes Python's
    own values. One transaction per table keeps the load fast and all-or-nothing per table.
    """

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.sqlite = is_sqlite(engine)
        self.raw = engine.raw_connection()
        self.counts: dict[str, int] = {}
        if self.sqlite:
            cursor = self.raw.driver_connection.cursor()
            # A generator's file need not survive a power cut half-way: write without syncing, in big pages.
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-200000")
            cursor.close()

    def day(self, value: date) -> object:
        return value.isoformat() if self.sqlite else value

    def moment(self, value: datetime) -> object:
        return value.strftime("%Y-%m-%d %H:%M:%S.000000") if self.sqlite else value

    def flag(self, value: bool) -> object:
        return int(value) if self.sqlite else value

    def put(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        cursor = self.raw.driver_connection.cursor()
        total = 0
        if self.sqlite:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            cursor.execute("BEGIN")
            for chunk in _chunks(rows, CHUNK):
                cursor.executemany(sql, chunk)
                total += len(chunk)
            cursor.execute("COMMIT")
        else:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    total += 1
            self.raw.driver_connection.commit()
        cursor.close()
        self.counts[table] = self.counts.get(table, 0) + total
        return total

    def finish(self) -> None:
        cursor = self.raw.driver_connection.cursor()
        if self.sqlite:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            for table in self.counts:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            self.raw.driver_connection.commit()
            self.raw.driver_connection.autocommit = True
            cursor.execute("ANALYZE")
            self.raw.driver_connection.autocommit = False
        cursor.close()
        self.raw.close()


def _chunks(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class District:
    """The generator: one random source, the calendar and the loader."""

    def __init__(self, loader: Loader, sizes: Sizes, end: date, seed: int, now: datetime, days: int = DAYS):
        self.load = loader
        self.sizes = sizes
        self.end = end
        self.now = now
        self.rng = random.Random(seed)
        self.days = [end - timedelta(days=days - 1 - offset) for offset in range(days)]
        self.day_values = [loader.day(day) for day in self.days]

    # --- checkpoints -------------------------------------------------------------------------------------------

    def checkpoints(self) -> None:
        rng, load = self.rng, self.load
        names = [f"{GRIDS[index % len(GRIDS)]}{index + 1:03d}号卡口" for index in range(self.sizes.checkpoints)]
        load.put(
            "checkpoints",
            ("id", "name", "grid", "kind", "latitude", "longitude", "active"),
            [
                (
                    index + 1,
                    name,
                    GRIDS[index % len(GRIDS)],
                    rng.choices(KINDS, KIND_WEIGHTS)[0],
                    round(CENTER[0] + rng.uniform(-0.08, 0.08), 6),
                    round(CENTER[1] + rng.uniform(-0.08, 0.08), 6),
                    load.flag(True),
                )
                for index, name in enumerate(names)
            ],
        )
        load.put(
            "checkpoint_counts",
            (
                "id",
                "checkpoint_id",
                "period_start",
                "period_end",
                "persons",
                "vehicles",
                "fever",
                "turned_back",
                "note",
                "supersedes_id",
                "reason",
                "entered_by",
                "entered_at",
            ),
            self._count_rows(),
        )

    def _count_rows(self) -> Iterator[tuple]:
        rng, load = self.rng, self.load
        corrections = []
        row_id = 0
        size = [rng.choice((0.5, 1.0, 1.5, 3.0)) for _ in range(self.sizes.checkpoints)]
        for day in self.days:
            for start, end in checkpoint_domain.day_shifts(day):
                if end > self.now:
                    continue
                start_value, end_value = load.moment(start), load.moment(end)
                entered_value = load.moment(min(end + timedelta(minutes=5), self.now))
                night = start.hour < 6
                for checkpoint in range(self.sizes.checkpoints):
                    row_id += 1
                    if rng.random() < 0.01:
                        counts = (0, 0, 0, 0)  # a zero report
                    else:
                        persons = int(rng.randint(20, 300) * size[checkpoint] * (0.3 if night else 1))
                        vehicles = int(rng.randint(5, 120) * size[checkpoint] * (0.3 if night else 1))
                        fever = 1 if rng.random() < 0.01 and persons else 0
                        counts = (persons, vehicles, fever, rng.randint(0, min(5, persons + vehicles)))
                    yield (
                        row_id,
                        checkpoint + 1,
                        start_value,
                        end_value,
                        *counts,
                        None,
                        None,
                        None,
                        "clerk",
                        entered_value,
                    )
                    if rng.random() < 0.003:
                        corrections.append((row_id, checkpoint + 1, start_value, end_value, counts, entered_value))
        for original, checkpoint, start_value, end_value, counts, entered_value in corrections:
            row_id += 1
            persons = counts[0] + rng.randint(1, 20)
            yield (
                row_id,
                checkpoint,
                start_value,
                end_value,
                persons,
                counts[1],
                counts[2],
                counts[3],
                None,
                original,
                "复核后更正人数",
                "clerk",
                entered_value,
            )

    # --- quarantine --------------------------------------------------------------------------------------------

    def quarantine(self) -> None:
        rng, load, end = self.rng, self.load, self.end
        load.put(
            "quarantine_sites",
            ("id", "name", "address", "capacity", "active"),
            [
                (number, f"集中隔离点{number:02d}", f"隔离点路{number}号", 120, load.flag(True))
                for number in range(1, self.sizes.sites + 1)
            ],
        )
        starts = sorted(rng.randrange(len(self.days)) for _ in range(self.sizes.episodes))
        persons, episodes, changes = [], [], []
        plans = []
        for index, start_index in enumerate(starts):
            number = index + 1
            born = date(1950, 1, 1) + timedelta(days=index // 1000)
            first = f"990000{born:%Y%m%d}{index % 1000:03d}"
            grid = rng.choice(GRIDS)
            category = rng.choice(ORIGIN_CATEGORIES)
            persons.append(
                (
                    number,
                    rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES) + str(number % 100),
                    first + id_check_char(first),
                    f"1990000{number % 10000:04d}",
                    grid,
                    f"{grid}{rng.randint(1, 30)}栋{rng.randint(101, 1804)}",
                    rng.choice(ORIGINS),
                    category,
                )
            )
            mode = rng.choices(MODES, MODE_WEIGHTS)[0]
            site = rng.randint(1, self.sizes.sites) if mode == "centralized" else None
            start = self.days[start_index]
            planned_end = start + timedelta(days=14)
            status, end_date = "active", None
            if planned_end <= end:
                roll = rng.random()
                if roll < 0.01:
                    status, end_date = "transferred", start + timedelta(days=rng.randint(1, 13))
                elif planned_end >= end - timedelta(days=1) and roll < 0.3:
                    pass  # due and not released yet: overdue
                else:
                    status, end_date = "released", planned_end
            created = datetime.combine(start, clock_time(10))
            episodes.append(
                (
                    number,
                    number,
                    mode,
                    site,
                    load.day(start),
                    14,
                    load.day(planned_end),
                    status,
                    None if end_date is None else load.day(end_date),
                    None,
                    "clerk",
                    load.moment(min(created, self.now)),
                )
            )
            if end_date is not None:
                changed = datetime.combine(end_date, clock_time(9))
                changes.append(
                    (
                        len(changes) + 1,
                        number,
                        "release" if status == "released" else "transfer",
                        load.day(planned_end),
                        load.day(planned_end),
                        "active",
                        status,
                        load.day(end_date),
                        None if status == "released" else "送医",
                        "clerk",
                        load.moment(min(changed, self.now)),
                    )
                )
            plans.append((number, start_index, end_date))
        load.put(
            "persons", ("id", "name", "id_number", "phone", "grid", "address", "origin", "origin_category"), persons
        )
        load.put(
            "quarantine_episodes",
            (
                "id",
                "person_id",
                "mode",
                "site_id",
                "start_date",
                "planned_days",
                "planned_end",
                "status",
                "end_date",
                "reason",
                "created_by",
                "created_at",
            ),
            episodes,
        )
        load.put(
            "episode_changes",
            (
                "id",
                "episode_id",
                "kind",
                "old_planned_end",
                "new_planned_end",
                "old_status",
                "new_status",
                "end_date",
                "reason",
                "changed_by",
                "changed_at",
            ),
            changes,
        )
        load.put(
            "quarantine_followups",
            (
                "id",
                "episode_id",
                "date",
                "slot",
                "temperature",
                "symptoms",
                "symptom_text",
                "by_name",
                "entered_by",
                "entered_at",
                "supersedes_id",
                "reason",
            ),
            self._followup_rows(plans),
        )

    def _followup_rows(self, plans: list[tuple[int, int, date | None]]) -> Iterator[tuple]:
        rng, load = self.rng, self.load
        no, yes = load.flag(False), load.flag(True)
        entered = {
            (index, slot): load.moment(min(datetime.combine(day, clock_time(9 if slot == "AM" else 16)), self.now))
            for index, day in enumerate(self.days)
            for slot in ("AM", "PM")
        }
        row_id = 0
        last = len(self.days) - 1
        for episode, start_index, end_date in plans:
            stop = last if end_date is None else min(last, start_index + (end_date - self.days[start_index]).days - 1)
            for day_index in range(start_index, stop + 1):
                day_value = self.day_values[day_index]
                for slot in ("AM", "PM"):
                    if rng.random() < 0.003:
                        continue  # a follow-up nobody entered
                    row_id += 1
                    if rng.random() < 0.002:
                        temperature, symptoms, text = round(37.3 + rng.random() * 1.5, 1), yes, "发热"
                    else:
                        temperature, symptoms, text = round(36.2 + rng.random() * 0.9, 1), no, None
                    yield (
                        row_id,
                        episode,
                        day_value,
                        slot,
                        temperature,
                        symptoms,
                        text,
                        STAFF[row_id % len(STAFF)],
                        "clerk",
                        entered[day_index, slot],
                        None,
                        None,
                    )

    # --- supplies ----------------------------------------------------------------------------------------------

    def supplies(self) -> None:
        rng, load = self.rng, self.load
        items = []
        for index in range(self.sizes.items):
            base = index % len(ITEM_NAMES)
            suffix = "" if index < len(ITEM_NAMES) else f"（{index // len(ITEM_NAMES) + 1}号库）"
            items.append(
                (
                    index + 1,
                    ITEM_NAMES[base] + suffix,
                    ITEM_UNITS[base],
                    "防护用品",
                    rng.choice((500, 1000, 2000, 3000)),
                )
            )
        load.put(
            "supply_items",
            ("id", "name", "unit", "category", "safety_stock", "active"),
            [(*item, load.flag(True)) for item in items],
        )
        load.put(
            "supply_movements",
            (
                "id",
                "item_id",
                "date",
                "kind",
                "quantity",
                "counterparty",
                "recipient_kind",
                "note",
                "reverses_id",
                "entered_by",
                "entered_at",
            ),
            self._movement_rows(items),
        )

    def _movement_rows(self, items: list[tuple]) -> Iterator[tuple]:
        rng, load = self.rng, self.load
        row_id = 0
        for item_id, _name, _unit, _category, safety in items:
            balance = 0
            target = safety * rng.choice((1, 2, 3, 4))
            for day, day_value in zip(self.days, self.day_values, strict=True):
                entered = load.moment(min(datetime.combine(day, clock_time(18)), self.now))
                last_issue = None
                for slot in range(MOVEMENTS_PER_ITEM_DAY):
                    row_id += 1
                    roll = rng.random()
                    if slot == 0:
                        kind = rng.choices(("purchase", "allocation", "donation"), (0.6, 0.25, 0.15))[0]
                        quantity = max(1, target - balance + rng.randint(0, safety // 5 + 1))
                        row = (kind, quantity, rng.choice(SUPPLIERS), None, None, None)
                    elif roll < 0.004 and last_issue is not None:
                        reversed_id, reversed_quantity, recipient = last_issue
                        last_issue = None
                        quantity = -reversed_quantity
                        row = ("reversal", quantity, recipient, None, "录入错误，冲销", reversed_id)
                    elif roll < 0.01 and balance > 10:
                        kind = rng.choice(("transfer_out", "scrap"))
                        quantity = -rng.randint(1, min(balance, 50))
                        row = (kind, quantity, "邻近社区" if kind == "transfer_out" else None, None, None, None)
                    elif roll < 0.012:
                        quantity = rng.randint(-min(balance, 5), 5) or 1
                        row = ("adjustment", quantity, None, None, "盘点差异", None)
                    elif balance > 0:
                        quantity = -rng.randint(1, min(balance, max(1, target // 100)))
                        recipient_kind = rng.choice(RECIPIENT_KINDS)
                        recipient = f"{rng.choice(GRIDS)}{recipient_kind}"
                        row = ("issue", quantity, recipient, recipient_kind, None, None)
                        last_issue = (row_id, quantity, recipient)
                    else:
                        quantity = rng.randint(10, 100)
                        row = ("donation", quantity, rng.choice(SUPPLIERS), None, None, None)
                    balance += quantity
                    kind, quantity, counterparty, recipient_kind, note, reverses = row
                    yield (
                        row_id,
                        item_id,
                        day_value,
                        kind,
                        quantity,
                        counterparty,
                        recipient_kind,
                        note,
                        reverses,
                        "clerk",
                        entered,
                    )

    # --- enterprises -------------------------------------------------------------------------------------------

    def enterprises(self) -> None:
        rng, load = self.rng, self.load
        companies, statuses, checklists, visits, items, closures = [], [], [], [], [], []
        last = len(self.days) - 1
        last_year = max(0, len(self.days) - DAYS)
        for index in range(self.sizes.enterprises):
            number = index + 1
            chain = rng.choices(STATUS_CHAINS, CHAIN_WEIGHTS)[0]
            day_index = last_year + rng.randrange(0, 60)
            dates = []
            for _ in chain:
                dates.append(min(day_index, last))
                day_index += rng.randint(3, 70)
            kind = "shop" if rng.random() < 0.4 else "enterprise"
            grid = rng.choice(GRIDS)
            companies.append(
                (
                    number,
                    f"{grid}第{number:05d}号{'商店' if kind == 'shop' else '企业'}",
                    kind,
                    rng.choice(SECTORS),
                    grid,
                    None,
                    rng.randint(1, 5 if kind == "shop" else 500),
                    f"1990000{number % 10000:04d}",
                    self.day_values[dates[0]],
                )
            )
            checked = False
            for status, day_index in zip(chain, dates, strict=True):
                if status == "reopened" and not checked:
                    checked = True
                    for condition in CONDITIONS:
                        checklists.append(
                            (
                                len(checklists) + 1,
                                number,
                                condition,
                                load.flag(True),
                                self.day_values[day_index],
                                "检查组",
                            )
                        )
                reason = rng.choice(REASONS) if status in ("not_reopened", "suspended") else None
                statuses.append(
                    (
                        len(statuses) + 1,
                        number,
                        status,
                        self.day_values[day_index],
                        reason,
                        None,
                        "clerk",
                        load.moment(min(datetime.combine(self.days[day_index], clock_time(11)), self.now)),
                    )
                )
            for _ in range(INSPECTIONS_PER_ENTERPRISE):
                visit_index = rng.randint(dates[0], last)
                visits.append((len(visits) + 1, number, self.day_values[visit_index], "检查组", None))
                if rng.random() < 0.5:
                    deadline = self.days[visit_index] + timedelta(days=7)
                    items.append((len(items) + 1, len(visits), number, "消毒记录不全", load.day(deadline)))
                    closed_index = visit_index + rng.randint(1, 10)
                    if rng.random() < 0.8 and closed_index <= last:
                        closures.append((len(closures) + 1, len(items), self.day_values[closed_index], "检查组", None))
        load.put(
            "enterprises",
            ("id", "name", "kind", "sector", "grid", "address", "employees", "contact", "registered_on"),
            companies,
        )
        load.put(
            "enterprise_status_changes",
            ("id", "enterprise_id", "status", "effective_date", "reason", "note", "changed_by", "changed_at"),
            statuses,
        )
        load.put(
            "enterprise_conditions", ("id", "enterprise_id", "condition", "met", "checked_on", "checked_by"), checklists
        )
        load.put("inspections", ("id", "enterprise_id", "date", "inspector", "findings"), visits)
        load.put("rectifications", ("id", "inspection_id", "enterprise_id", "item", "deadline"), items)
        load.put("rectification_closures", ("id", "rectification_id", "closed_on", "verified_by", "note"), closures)

    def derived(self) -> None:
        """The per-day totals the data layer keeps beside the ledgers, computed once from the loaded rows (a
        clerk's entry keeps them in its own transaction; this load goes around those functions)."""
        with self.load.engine.begin() as conn:
            rebuild_all(conn)

    def audit(self) -> None:
        after = json.dumps({"rows": self.load.counts}, ensure_ascii=False, sort_keys=True)
        self.load.put(
            "audit_log",
            ("at", "username", "action", "table_name", "row_id", "before", "after"),
            [(self.load.moment(self.now), LOADER, "benchmarks.district", "district", None, None, after)],
        )


def is_empty(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return all(
            conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one() == 0
            for table in ("checkpoints", "persons", "supply_items", "enterprises")
        )


def generate(url: str, scale: float = 1.0, end: date | None = None, seed: int = 2020, days: int = DAYS) -> dict:
    """Create (or upgrade) the store at ``url``, which must hold no domain data, and fill it; returns the
    row counts by table and the seconds the load took."""
    started = time.perf_counter()
    engine = connect(url)
    try:
        migrate(engine)
        if not is_empty(engine):
            raise SystemExit(f"{url} already holds data; the district goes into an empty store")
        now = clock.now()
        end = end or now.date()
        loader = Loader(engine)
        district = District(loader, Sizes.at(scale, days), end, seed, now, days)
        timings = {}
        for part in (
            district.checkpoints,
            district.quarantine,
            district.supplies,
            district.enterprises,
            district.derived,
            district.audit,
        ):
            part_started = time.perf_counter()
            part()
            timings[part.__name__] = round(time.perf_counter() - part_started, 1)
        loader.finish()
    finally:
        engine.dispose()
    rows = sum(count for table, count in loader.counts.items() if table != "audit_log")
    seconds = time.perf_counter() - started
    return {
        "url": sa.engine.make_url(url).render_as_string(hide_password=True),
        "scale": scale,
        "days": days,
        "end": end.isoformat(),
        "seed": seed,
        "rows": loader.counts,
        "total_rows": rows,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "parts": timings,
    }


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1 day")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url", help="database URL (sqlite:///FILE or postgresql+psycopg://…); must hold no data")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the district's size (default 1)")
    parser.add_argument("--days", type=_positive, default=DAYS, help=f"days of history ending --end (default {DAYS})")
    parser.add_argument("--end", type=date.fromisoformat, default=None, help="last day, YYYY-MM-DD (default today)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--replace", action="store_true", help="delete an existing SQLite file first")
    args = parser.parse_args(argv)
    if args.replace and args.url.startswith("sqlite:///"):
        path = Path(args.url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    result = generate(args.url, args.scale, args.end, args.seed, args.days)
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
