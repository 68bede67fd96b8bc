"""The sample command post: deterministic, ending today, with the situations DOMAIN.md describes."""

from __future__ import annotations

import pytest

from data_layer import clock
from data_layer.briefing import build_briefing
from data_layer.db import connect
from sample_data import generate_sample
from support import BACKEND


@pytest.fixture(scope="module")
def today_figures(sample_url) -> dict:
    with connect(sample_url).connect() as conn:
        return build_briefing(conn, clock.today())


@pytest.mark.skipif(BACKEND == "postgresql", reason="the generator's determinism does not depend on the store")
def test_same_seed_gives_the_same_command_post(database_factory):
    results = []
    for _ in range(2):
        engine = connect(database_factory.fresh_url())
        generate_sample(engine, days=3, seed=7)
        with engine.connect() as conn:
            results.append(build_briefing(conn, clock.today()))
        engine.dispose()
    assert results[0] == results[1]


def test_sample_has_a_checkpoint_that_did_not_report_today(today_figures):
    checkpoints = today_figures["checkpoints"]
    assert checkpoints["active_checkpoints"] == 7
    assert len(checkpoints["not_reported"]) >= 1
    assert checkpoints["cumulative"]["persons"] > checkpoints["persons"] > 0


def test_sample_has_quarantines_due_overdue_and_missing_followups(today_figures):
    quarantine = today_figures["quarantine"]
    assert quarantine["current"]["total"] > 0
    assert quarantine["current"]["home"] > quarantine["current"]["centralized"]
    assert quarantine["due_next_3_days"] > 0
    assert quarantine["followups_missing"] > 0


def test_sample_has_one_item_below_safety_stock(today_figures):
    assert sum(item["below_safety"] for item in today_figures["supplies"]) == 1
    assert len(today_figures["supplies"]) >= 10


def test_sample_has_over_a_thousand_enterprises_mostly_reopened_and_one_overdue_rectification(today_figures):
    enterprises = today_figures["enterprises"]
    assert enterprises["total"] > 1000
    assert 0.9 < enterprises["reopen_rate"] < 1
    assert sum(enterprises["by_reason"].values()) > 0
    assert enterprises["rectifications_overdue"] == 1
