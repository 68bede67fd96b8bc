"""The briefing's figures for one date: district scale against sample scale, and against the naive way.

The naive way is what many dashboards do: read the whole tables into pandas and compute the figures
there. It is written out below for every figure of design §6 and checked against ``build_briefing``, so the
comparison is between two ways of getting the same numbers.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa

from benchmarks.common import END, district_store, freeze_clock, least_seconds, line, sample_store, save, scale
from data_layer import checkpoints, enterprises, quarantine, supplies
from data_layer.briefing import build_briefing
from data_layer.db import connect

CHECKPOINT_SUMS = ("persons", "vehicles", "fever", "turned_back")


def _read(conn: sa.Connection, table: str, dates: tuple[str, ...] = ()) -> pd.DataFrame:
    frame = pd.read_sql_query(sa.text(f"SELECT * FROM {table}"), conn)
    for column in dates:
        frame[column] = pd.to_datetime(frame[column])
    return frame


def naive_briefing(conn: sa.Connection, day: date) -> dict:
    """design §6 computed the dashboard way: every table into a DataFrame, then pandas."""
    start, end = pd.Timestamp(day), pd.Timestamp(day + timedelta(days=1))
    counts = _read(conn, "checkpoint_counts", ("period_start",))
    posts = _read(conn, "checkpoints")
    effective = counts[~counts["id"].isin(counts["supersedes_id"].dropna())]
    upto = effective[effective["period_start"] < end]
    today = upto[upto["period_start"] >= start]
    active = posts[posts["active"].astype(bool)]
    reported = set(today["checkpoint_id"])
    checkpoint_figures = {
        **{name: int(today[name].sum()) for name in CHECKPOINT_SUMS},
        "active_checkpoints": len(active),
        "reported_checkpoints": int(active["id"].isin(reported).sum()),
        "not_reported": sorted(active.loc[~active["id"].isin(reported), "name"]),
        "cumulative": {name: int(upto[name].sum()) for name in CHECKPOINT_SUMS},
    }

    episodes = _read(conn, "quarantine_episodes", ("start_date", "planned_end", "end_date"))
    followups = _read(conn, "quarantine_followups", ("date",))
    current = episodes[
        (episodes["start_date"] <= start) & (episodes["end_date"].isna() | (episodes["end_date"] > start))
    ]
    by_mode = current.groupby("mode").size()
    effective_followups = followups[~followups["id"].isin(followups["supersedes_id"].dropna())]
    on_day = effective_followups[effective_followups["date"] == start]
    per_episode = on_day.groupby("episode_id").size()
    seen = current["id"].map(per_episode).fillna(0)
    quarantine_figures = {
        "current": {**{mode: int(by_mode.get(mode, 0)) for mode in quarantine.MODES}, "total": len(current)},
        "admitted": int((episodes["start_date"] == start).sum()),
        "released": int(((episodes["status"] == "released") & (episodes["end_date"] == start)).sum()),
        "due_next_3_days": int(
            ((current["planned_end"] > start) & (current["planned_end"] <= start + pd.Timedelta(days=3))).sum()
        ),
        "overdue": int((current["planned_end"] <= start).sum()),
        "followups_missing": int((seen < quarantine.FOLLOWUPS_PER_DAY).sum()),
        "fever_in_quarantine": int((on_day["temperature"] >= quarantine.fever_threshold()).sum()),
    }

    items = _read(conn, "supply_items")
    movements = _read(conn, "supply_movements", ("date",))
    movements = movements[movements["date"] <= start]
    reversed_ids = set(movements["reverses_id"].dropna())
    counting = movements[(movements["kind"] != "reversal") & ~movements["id"].isin(reversed_ids)]
    week = counting[(counting["date"] > start - pd.Timedelta(days=supplies.BURN_DAYS)) & (counting["kind"] == "issue")]
    supply_figures = []
    for item in items[items["active"].astype(bool)].itertuples():
        mine = counting[counting["item_id"] == item.id]
        on_hand = int(movements.loc[movements["item_id"] == item.id, "quantity"].sum())
        issued = -int(week.loc[week["item_id"] == item.id, "quantity"].sum())
        today_rows = mine[mine["date"] == start]
        supply_figures.append(
            {
                "item": item.name,
                "on_hand": on_hand,
                "in_today": int(today_rows.loc[today_rows["kind"].isin(supplies.IN_KINDS), "quantity"].sum()),
                "out_today": -int(today_rows.loc[today_rows["kind"].isin(supplies.OUT_KINDS), "quantity"].sum()),
                "burn_rate": round(issued / supplies.BURN_DAYS, 2),
                "days_of_cover": round(on_hand * supplies.BURN_DAYS / issued, 1) if issued else None,
                "below_safety": on_hand < item.safety_stock,
            }
        )
    supply_figures.sort(key=lambda entry: entry["item"])

    companies = _read(conn, "enterprises", ("registered_on",))
    changes = _read(conn, "enterprise_status_changes", ("effective_date",))
    changes = changes[changes["effective_date"] <= start]
    newest = changes.loc[changes.groupby("enterprise_id")["id"].idxmax()].set_index("enterprise_id")
    companies = companies[companies["id"].isin(newest.index) | (companies["registered_on"] <= start)]
    status = companies["id"].map(newest["status"]).fillna("not_reopened")
    reason = companies["id"].map(newest["reason"])
    counted = status != "closed"
    inspections = _read(conn, "inspections", ("date",))
    items_open = _read(conn, "rectifications", ("deadline",))
    closures = _read(conn, "rectification_closures", ("closed_on",))
    items_open = items_open[items_open["inspection_id"].isin(inspections.loc[inspections["date"] <= start, "id"])]
    items_open = items_open[~items_open["id"].isin(closures.loc[closures["closed_on"] <= start, "rectification_id"])]
    with_reason = status.isin(("not_reopened", "suspended"))
    total = int(counted.sum())
    reopened = int((status == "reopened").sum())
    enterprise_figures = {
        "total": total,
        "reopened": reopened,
        "reopen_rate": round(reopened / total, 3) if total else 0.0,
        "applied": int((status == "applied").sum()),
        "not_reopened": int((status == "not_reopened").sum()),
        "suspended": int((status == "suspended").sum()),
        "by_reason": {key: int(value) for key, value in reason[with_reason].value_counts().items()},
        "rectifications_open": len(items_open),
        "rectifications_overdue": int((items_open["deadline"] < start).sum()),
    }
    return {
        "date": day.isoformat(),
        "checkpoints": checkpoint_figures,
        "quarantine": quarantine_figures,
        "supplies": supply_figures,
        "enterprises": enterprise_figures,
    }


def same_figures(naive: dict, briefing: dict) -> list[str]:
    """The figures of design §6 on which the two disagree (an empty list when they agree)."""
    differences = []
    for section in ("checkpoints", "quarantine"):
        for key, value in naive[section].items():
            if briefing[section][key] != value:
                differences.append(f"{section}.{key}: {value} != {briefing[section][key]}")
    for key, value in naive["enterprises"].items():
        theirs = briefing["enterprises"][key]
        if key == "by_reason":
            theirs = {reason: count for reason, count in theirs.items() if count}
        if theirs != value:
            differences.append(f"enterprises.{key}: {value} != {theirs}")
    theirs = [
        {key: entry[key] for key in mine} for entry, mine in zip(briefing["supplies"], naive["supplies"], strict=False)
    ]
    if theirs != naive["supplies"]:
        differences.append("supplies differ")
    return differences


def measure(url: str, repeat: int) -> tuple[float, dict, dict]:
    """The least time of ``build_briefing`` for :data:`END` over ``repeat`` runs, its figures, and the least time
    of each domain's part of it."""
    engine = connect(url)
    with engine.connect() as conn:
        build_briefing(conn, END)  # warm the connection pool and the file cache
        seconds = least_seconds(lambda: build_briefing(conn, END), repeat)
        figures = build_briefing(conn, END)
        domains = {
            module.__name__.rsplit(".", 1)[1]: least_seconds(lambda module=module: module.figures(conn, END), repeat)
            for module in (checkpoints, quarantine, supplies, enterprises)
        }
    engine.dispose()
    return seconds, figures, domains


def main() -> None:
    freeze_clock()
    district_url, district_report = district_store()
    sample_url = sample_store()
    sample_seconds, sample_figures, _ = measure(sample_url, 9)
    district_seconds, district_figures, domains = measure(district_url, 9)
    engine = connect(district_url)
    with engine.connect() as conn:
        started = time.perf_counter()
        naive = naive_briefing(conn, END)
        naive_seconds = time.perf_counter() - started
        differences = same_figures(naive, district_figures)
    engine.dispose()
    sample_engine = connect(sample_url)
    with sample_engine.connect() as conn:
        sample_differences = same_figures(naive_briefing(conn, END), sample_figures)
    sample_engine.dispose()
    result = {
        "date": END.isoformat(),
        "scale": scale(),
        "district_rows": district_report["total_rows"],
        "sample_seconds": sample_seconds,
        "district_seconds": district_seconds,
        "naive_seconds": naive_seconds,
        "district_vs_sample": district_seconds / sample_seconds,
        "briefing_vs_naive": district_seconds / naive_seconds,
        "domains": domains,
        "naive_agrees": not differences and not sample_differences,
        "differences": differences + sample_differences,
    }
    save("briefing", result)
    line(
        f"briefing for {END}: district (scale {scale():g}, {district_report['total_rows']:,} rows) "
        f"{district_seconds * 1000:.0f} ms, sample {sample_seconds * 1000:.1f} ms "
        f"→ {result['district_vs_sample']:.1f}× (target ≤ 3×)"
    )
    line(
        f"briefing vs naive pandas at district scale: {district_seconds:.2f} s vs {naive_seconds:.1f} s "
        f"→ {result['briefing_vs_naive']:.3f}× (target ≤ 0.1×); pandas figures agree: {result['naive_agrees']}"
    )
    for difference in result["differences"]:
        line(f"  differs: {difference}")


if __name__ == "__main__":
    main()
