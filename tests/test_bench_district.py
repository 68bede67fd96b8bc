"""The benchmarks' district generator (``benchmarks/district.py``): ``--days`` sets the length of the history and
leaves a day as it is, so that the growth benchmark can measure the cost of history alone. A tiny district, no
timings."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from benchmarks.district import generate, main
from data_layer.db import connect

END = date(2026, 3, 31)
SCALE = 0.01


def day_rows(url: str) -> dict[str, object]:
    """Per table, the dates it holds and the rows of the end date."""
    engine = connect(url)
    with engine.connect() as conn:
        figures = {
            "count dates": conn.execute(
                sa.text("SELECT COUNT(DISTINCT substr(period_start, 1, 10)) FROM checkpoint_counts")
            ).scalar_one(),
            "movement dates": conn.execute(sa.text("SELECT COUNT(DISTINCT date) FROM supply_movements")).scalar_one(),
            "counts at the end": conn.execute(
                sa.text("SELECT COUNT(*) FROM checkpoint_counts WHERE substr(period_start, 1, 10) = :day"),
                {"day": END.isoformat()},
            ).scalar_one(),
            "movements at the end": conn.execute(
                sa.text("SELECT COUNT(*) FROM supply_movements WHERE date = :day"), {"day": END.isoformat()}
            ).scalar_one(),
        }
    engine.dispose()
    return figures


def test_a_district_of_three_days_holds_three_days_of_entries(tmp_path):
    url = f"sqlite:///{tmp_path / 'three.db'}"
    report = generate(url, SCALE, END, days=3)
    figures = day_rows(url)
    assert report["days"] == 3
    assert figures["count dates"] == 3 and figures["movement dates"] == 3


def test_a_longer_history_keeps_the_end_dates_rows_and_grows_only_the_past(tmp_path):
    short_url, long_url = f"sqlite:///{tmp_path / 'short.db'}", f"sqlite:///{tmp_path / 'long.db'}"
    short, long = generate(short_url, SCALE, END, days=3), generate(long_url, SCALE, END, days=9)
    short_day, long_day = day_rows(short_url), day_rows(long_url)
    assert long_day["counts at the end"] == short_day["counts at the end"] > 0
    assert long_day["movements at the end"] == short_day["movements at the end"] > 0
    assert long["rows"]["checkpoint_counts"] > 2.5 * short["rows"]["checkpoint_counts"]
    assert long["rows"]["checkpoints"] == short["rows"]["checkpoints"]


def test_the_same_scale_days_end_and_seed_generate_the_same_rows(tmp_path):
    first, second = f"sqlite:///{tmp_path / 'first.db'}", f"sqlite:///{tmp_path / 'second.db'}"
    assert generate(first, SCALE, END, days=4)["rows"] == generate(second, SCALE, END, days=4)["rows"]
    queries = ("SELECT * FROM checkpoint_counts ORDER BY id", "SELECT * FROM quarantine_followups ORDER BY id")
    stored = []
    for url in (first, second):
        engine = connect(url)
        with engine.connect() as conn:
            stored.append([[tuple(row) for row in conn.execute(sa.text(query))] for query in queries])
        engine.dispose()
    assert stored[0] == stored[1]


def test_the_command_line_refuses_a_history_of_no_days(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([f"sqlite:///{tmp_path / 'none.db'}", "--days", "0"])
    assert "at least 1 day" in capsys.readouterr().err
