"""Issue 4: the day's follow-up grid of a 200-person site saves in under 1 s, at district scale.

On a scratch copy of the district store, one centralized site holds :data:`PEOPLE` people on :data:`END`; the
district's sites hold far fewer, so when none has that many the script first opens a site of its own and
registers that many people there (one transaction, not timed). Then it times what the follow-up page does when
a clerk saves the site's grid: ``quarantine.save_followup_grid`` as one transaction through ``db.perform``,

- first with the whole day filled in (a morning and an afternoon reading for every person: 400 new readings),
- then with every morning reading corrected (200 corrections with a reason).

Both saves go through every check the page's save goes through; the figures are the wall time of each save.
"""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

from benchmarks.common import END, copy_sqlite, district_store, freeze_clock, line, remove_sqlite, save
from data_layer import quarantine
from data_layer.db import Actor, WriteContext, connect, migrate, perform, write
from data_layer.validation import id_check_char

PEOPLE = 200
TARGET_SECONDS = 1.0
ADMIN = Actor("bench-admin", "admin")
SITE_NAME = "基准测试隔离点"


def fullest_site(engine: sa.Engine) -> tuple[int, int]:
    """The site holding the most people on :data:`END`, and how many."""
    with engine.connect() as conn:
        busiest = max(quarantine.site_occupancy(conn, END), key=lambda site: site["occupied"])
    return busiest["site_id"], busiest["occupied"]


def open_full_site(ctx: WriteContext) -> int:
    """A site of its own with :data:`PEOPLE` people admitted on :data:`END`; its id."""
    site_id = quarantine.add_site(ctx, {"name": SITE_NAME, "address": "基准路1号", "capacity": PEOPLE})
    for number in range(PEOPLE):
        first_17 = f"98000019900101{number:03d}"
        quarantine.register(
            ctx,
            {
                "name": f"基准{number:03d}",
                "id_number": first_17 + id_check_char(first_17),
                "phone": f"1970000{number:04d}",
                "grid": "基准网格",
                "origin": "外省",
                "origin_category": "other_province",
                "mode": "centralized",
                "site": site_id,
                "start_date": END,
                "planned_days": 14,
            },
        )
    return site_id


def site_of(engine: sa.Engine) -> int:
    site_id, occupied = fullest_site(engine)
    if occupied >= PEOPLE:
        return site_id
    line(f"  the fullest district site holds {occupied} people on {END}; registering {PEOPLE} at a site of its own")
    return write(engine, ADMIN, open_full_site)


def sheet(engine: sa.Engine, site_id: int) -> list[dict]:
    with engine.connect() as conn:
        return quarantine.followup_sheet(conn, END, site_id, ADMIN)[:PEOPLE]


def timed_save(engine: sa.Engine, additions: list[dict], corrections: list[tuple[int, dict]]) -> float:
    started = time.perf_counter()
    stored = perform(
        engine, ADMIN, quarantine.save_followup_grid, additions, corrections, "复测更正" if corrections else None
    )
    seconds = time.perf_counter() - started
    assert stored == len(additions) + len(corrections), "the grid was not stored whole"
    return seconds


def main() -> None:
    freeze_clock()
    url = copy_sqlite(district_store()[0], "followup-grid")
    engine = connect(url)
    migrate(engine)
    site_id = site_of(engine)
    people = sheet(engine, site_id)
    fill = [
        {
            "episode_id": person["episode_id"],
            "date": END,
            "slot": slot,
            "temperature": 36.5,
            "symptoms": False,
            "by": "医护王",
        }
        for person in people
        for slot in quarantine.SLOTS
    ]
    fill_seconds = timed_save(engine, fill, [])
    morning = [
        (person["AM"]["id"], {"temperature": 36.7, "symptoms": False, "by": "医护王"})
        for person in sheet(engine, site_id)
    ]
    correct_seconds = timed_save(engine, [], morning)
    engine.dispose()
    remove_sqlite(Path(sa.engine.make_url(url).database))
    result = {
        "people": len(people),
        "fill_rows": len(fill),
        "fill_seconds": fill_seconds,
        "correct_rows": len(morning),
        "correct_seconds": correct_seconds,
        "target_seconds": TARGET_SECONDS,
    }
    line(f"follow-up grid of a {len(people)}-person site at district scale (one transaction each, target < 1 s):")
    line(f"  the day filled in ({len(fill)} readings): {fill_seconds:.2f} s")
    line(f"  every morning reading corrected ({len(morning)} corrections): {correct_seconds:.2f} s")
    save("followups", result)


if __name__ == "__main__":
    main()
