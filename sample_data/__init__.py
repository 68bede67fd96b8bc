"""The sample command post: a deterministic community scenario ending today.

Each domain builds its own part (``sample_data/<domain>.py``) through the data
layer's validating write functions, so the sample obeys every rule a clerk's
entry does. It is marked as a historical load (``batch="sample"``), so its
back-dated history never reads as later corrections. The whole scenario is
one transaction: it is either all there or not at all. Demonstration accounts (one per role) are created with it; their
passwords are in the README and are meant for trying the app only.
"""

from __future__ import annotations

import random

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data_layer import clock
from data_layer.db import Actor, WriteContext, load_schema, write
from data_layer.users import create_user, issue_device_token
from sample_data import checkpoints, enterprises, quarantine, supplies
from sample_data.community import Community

SAMPLE_ACTOR = Actor("sample", "admin")
DEMO_ACCOUNTS = (
    ("admin", "admin", "admin-demo-1"),
    ("leader", "leader", "leader-demo-1"),
    ("clerk", "clerk", "clerk-demo-1"),
    ("wall", "wall", "wall-demo-1"),
)
DEMO_WALL_DEVICE_TOKEN = "wall-demo-device"
DATA_TABLES = ("checkpoints", "persons", "quarantine_sites", "supply_items", "enterprises")
COUNTED_TABLES = (
    "checkpoints",
    "checkpoint_counts",
    "quarantine_sites",
    "quarantine_episodes",
    "quarantine_followups",
    "supply_items",
    "supply_movements",
    "enterprises",
    "enterprise_status_changes",
    "inspections",
    "rectifications",
)


def has_data(engine: Engine) -> bool:
    """Whether any domain already holds master data (the sample only goes into an empty store)."""
    tables = load_schema().tables
    with engine.connect() as conn:
        return any(
            conn.execute(sa.select(sa.literal(1)).select_from(tables[name]).limit(1)).first() for name in DATA_TABLES
        )


def generate_sample(engine: Engine, days: int = 30, seed: int = 2020, actor: Actor = SAMPLE_ACTOR) -> dict[str, int]:
    """Build the sample command post and demo accounts; returns row counts of the main tables."""
    community = Community(rng=random.Random(seed), today=clock.today(), days=days)

    def build(ctx: WriteContext) -> None:
        for domain in (checkpoints, quarantine, supplies, enterprises):
            domain.generate(ctx, community)
        for username, role, password in DEMO_ACCOUNTS:
            assignments: dict[str, list[int]] | None = {"checkpoints": [], "supplies": []} if role == "clerk" else None
            create_user(ctx, username, role, password, assignments=assignments)
        issue_device_token(ctx, "wall", DEMO_WALL_DEVICE_TOKEN)

    write(engine, actor, build, batch="sample")
    tables = load_schema().tables
    with engine.connect() as conn:
        return {
            name: conn.execute(sa.select(sa.func.count()).select_from(tables[name])).scalar_one()
            for name in COUNTED_TABLES
        }
