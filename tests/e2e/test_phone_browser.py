"""A clerk's phone in a real browser (390 × 844, touch): signing in lands on quick entry, inputs a finger can
use, the save button in the first screen, a double tap that ends in "saved" with one row stored, a fraction of
a person refused, a site's follow-up round entered and stored in one save. The app runs over its own copy of the
sample (three days), since the tests write.

Each entry goes to a checkpoint that has nothing stored for the shift on duty yet, so the entries of one test
never overlap another's.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as time_of_day

import pytest
import sqlalchemy as sa
from e2e_support import SHIFT_ON_DUTY, sample_database, serve_app, settle, sign_in, wait_out_the_first_minute_of_a_shift
from e2e_support import sign_out as e2e_sign_out

from benchmarks.common import PHONE
from data_layer import clock, quarantine
from data_layer.checkpoints import add_checkpoint, add_count, checkpoint_counts, checkpoints, current_shift, shift_for
from data_layer.db import Actor, connect, perform
from data_layer.users import create_user, set_active
from support import id_number, quarantine_person

SAVED = "已保存（记录"
FREE_CHECKPOINT_NUMBERS = itertools.count(1)
REFUSALS = ("必填", "重叠", "已提交过")
INPUT_BOXES = (
    ", ".join(
        f"[data-testid={box}]" for box in ("stTextInputRootElement", "stNumberInputContainer", "stDateInputField")
    )
    + ", [data-testid=stSelectbox] > div > div"
)
"""The box drawn around each kind of input: what a finger aims at."""


@pytest.fixture(scope="module")
def phone_app(database_factory) -> Iterator[tuple[str, str]]:
    url = sample_database(database_factory)
    with serve_app(url, **SHIFT_ON_DUTY) as base_url:
        yield base_url, url


@pytest.fixture(scope="module")
def handover_app(database_factory) -> Iterator[tuple[str, str]]:
    """The app with a handover window of a whole day: at any hour the form proposes the shift just ended."""
    url = sample_database(database_factory)
    with serve_app(url, COMMAND_POST_HANDOVER_MINUTES="1440") as base_url:
        yield base_url, url


def entries_since_shift_start(url: str, checkpoint: str) -> list[tuple[int, int]]:
    """(persons, vehicles) of every entry of ``checkpoint`` that reaches into the shift on duty."""
    start, _ = current_shift()
    engine = connect(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(checkpoint_counts.c.persons, checkpoint_counts.c.vehicles)
            .join(checkpoints, checkpoints.c.id == checkpoint_counts.c.checkpoint_id)
            .where(checkpoints.c.name == checkpoint, checkpoint_counts.c.period_end > start)
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def free_checkpoint(url: str) -> str:
    """A new checkpoint of the clerk's with nothing stored yet. The sample's own checkpoints may all have an entry
    for the shift on duty, depending on the hour the tests run at."""
    name = f"手机测试卡口{next(FREE_CHECKPOINT_NUMBERS)}"
    new_checkpoint(url, name)
    return name


class Clerk:
    """A clerk's hands on the phone: every tap and keystroke is counted. ``save`` is the label of the form's
    save button."""

    def __init__(self, page, save: str = "保存"):
        self.page, self.taps, self.keystrokes, self.save = page, 0, 0, save

    def tap(self, locator) -> None:
        locator.tap()
        self.taps += 1

    def type_into(self, label: str, text: str) -> None:
        self.tap(self.page.get_by_label(label, exact=True))
        self.page.keyboard.type(text)
        self.keystrokes += len(text)

    def choose_checkpoint(self, name: str) -> None:
        self.tap(self.page.get_by_test_id("stSelectbox").filter(has_text="卡口").first)
        self.tap(self.page.get_by_role("option", name=name))

    def save_button(self):
        return self.page.get_by_role("button", name=self.save, exact=True)

    def double_tap_save(self, gap_ms: int) -> None:
        """Two taps where the save button was, ``gap_ms`` apart, as a finger does it."""
        box = self.save_button().bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        self.page.touchscreen.tap(x, y)
        self.page.wait_for_timeout(gap_ms)
        self.page.touchscreen.tap(x, y)
        self.taps += 2


def signed_in_clerk(browser, base_url: str) -> Clerk:
    page, _ = sign_in(browser, base_url, "clerk", "clerk-demo-1", **PHONE)
    page.get_by_role("heading", name="快速录入").wait_for(timeout=30_000)
    wait_out_the_first_minute_of_a_shift()
    return Clerk(page)


def main_text(page) -> str:
    return page.get_by_test_id("stMain").inner_text()


def test_a_clerk_lands_on_quick_entry_with_touch_sized_inputs_and_save_in_the_first_screen(
    browser, phone_app, artifacts
):
    base_url, _ = phone_app
    clerk = signed_in_clerk(browser, base_url)
    page = clerk.page
    page.screenshot(path=str(artifacts / "phone-quick-entry-390x844.png"))
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stMain] input')]
        .map(e => [e, e.closest(BOXES)]).filter(([e, box]) => box !== null && box.offsetParent !== null)
        .map(([e, box]) => ({label: e.getAttribute('aria-label'), font: parseFloat(getComputedStyle(box).fontSize),
                             input_font: parseFloat(getComputedStyle(e).fontSize),
                             height: box.getBoundingClientRect().height}))""".replace("BOXES", json.dumps(INPUT_BOXES))
    )
    assert len(sizes) >= 8, sizes  # checkpoint, day, shift, four counts, note
    assert all(min(size["font"], size["input_font"]) >= 16 for size in sizes), sizes
    assert all(size["height"] >= 44 for size in sizes), sizes
    save = clerk.save_button().bounding_box()
    assert page.evaluate("window.scrollY") == 0
    assert save["y"] >= 0 and save["y"] + save["height"] <= PHONE["viewport"]["height"], save
    page.close()


@pytest.mark.parametrize("gap_ms", [50, 150, 400, 700])
def test_a_double_tap_on_save_ends_in_the_saved_message_with_one_row_stored(browser, phone_app, artifacts, gap_ms):
    base_url, url = phone_app
    checkpoint = free_checkpoint(url)
    clerk = signed_in_clerk(browser, base_url)
    page = clerk.page
    opened = time.monotonic()
    clerk.choose_checkpoint(checkpoint)
    clerk.type_into("检测人数", "36")
    clerk.type_into("检查车辆", "12")
    clerk.double_tap_save(gap_ms)
    page.get_by_text(SAVED).first.wait_for(timeout=30_000)
    seconds = time.monotonic() - opened
    page.wait_for_timeout(1500)  # whatever the second tap started has finished by now
    settle(page)
    text = main_text(page)
    page.screenshot(path=str(artifacts / f"phone-double-tap-{gap_ms}ms.png"))
    page.close()
    assert SAVED in text and checkpoint in text and "检测人数 36" in text, text
    assert not [word for word in REFUSALS if word in text], text
    assert entries_since_shift_start(url, checkpoint) == [(36, 12)]
    measured = {
        "gap_ms": gap_ms,
        "taps": clerk.taps - 1,
        "keystrokes": clerk.keystrokes,
        "seconds_to_saved": round(seconds, 2),
    }  # one tap of the two was the slip of the finger
    (artifacts / f"phone-entry-{gap_ms}ms.json").write_text(json.dumps(measured))


def test_a_fraction_of_a_person_is_refused_naming_the_field(browser, phone_app, artifacts):
    base_url, url = phone_app
    checkpoint = free_checkpoint(url)
    clerk = signed_in_clerk(browser, base_url)
    page = clerk.page
    clerk.choose_checkpoint(checkpoint)
    clerk.type_into("检测人数", "3.5")
    clerk.type_into("检查车辆", "1")
    clerk.tap(clerk.save_button())
    page.get_by_text("检测人数：须为整数").first.wait_for(timeout=30_000)
    settle(page)
    page.screenshot(path=str(artifacts / "phone-fraction-refused.png"))
    page.close()
    assert entries_since_shift_start(url, checkpoint) == []


def shift_just_ended() -> tuple[datetime, datetime]:
    start, _ = current_shift()
    return shift_for(start - timedelta(minutes=1))


def roster_text(start: datetime, end: datetime) -> str:
    """A shift as the form writes it: 16:00–24:00."""
    return f"{start:%H:%M}–" + ("24:00" if end.time() == time_of_day(0) else f"{end:%H:%M}")


def new_checkpoint(url: str, name: str, stub: bool = False) -> int:
    """A checkpoint of the clerk's (who is assigned all of them), with a five-minute entry at the start of the
    shift just ended when ``stub``; returns the stub's id or 0."""
    engine = connect(url)
    admin = Actor("admin", "admin")
    perform(engine, admin, add_checkpoint, {"name": name, "grid": "第一网格", "kind": "road"})
    start, _ = shift_just_ended()
    stub_id = (
        perform(
            engine,
            admin,
            add_count,
            {
                "checkpoint": name,
                "period_start": start,
                "period_end": start + timedelta(minutes=5),
                "persons": 3,
                "vehicles": 0,
                "fever": 0,
                "turned_back": 0,
            },
        )
        if stub
        else 0
    )
    engine.dispose()
    return stub_id


def effective_entries(url: str, checkpoint: str) -> list[tuple]:
    engine = connect(url)
    superseding = checkpoint_counts.alias("superseding")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                checkpoint_counts.c.period_start,
                checkpoint_counts.c.period_end,
                checkpoint_counts.c.persons,
                checkpoint_counts.c.reason,
            )
            .join(checkpoints, checkpoints.c.id == checkpoint_counts.c.checkpoint_id)
            .where(
                checkpoints.c.name == checkpoint,
                ~sa.exists().where(superseding.c.supersedes_id == checkpoint_counts.c.id),
            )
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_at_handover_the_form_proposes_the_shift_just_ended_and_stores_it_whole(browser, handover_app, artifacts):
    base_url, url = handover_app
    new_checkpoint(url, "交接测试卡口")
    start, end = shift_just_ended()
    clerk = signed_in_clerk(browser, base_url)
    page = clerk.page
    clerk.choose_checkpoint("交接测试卡口")
    shift = page.get_by_test_id("stSelectbox").filter(has_text="班次").first.locator("input")
    assert shift.input_value() == roster_text(start, end)
    clerk.type_into("检测人数", "280")
    clerk.type_into("检查车辆", "31")
    clerk.tap(clerk.save_button())
    page.get_by_text(SAVED).first.wait_for(timeout=30_000)
    settle(page)
    page.screenshot(path=str(artifacts / "phone-handover-saved.png"))
    text = main_text(page)
    page.close()
    assert roster_text(start, end) in text
    assert effective_entries(url, "交接测试卡口") == [(start, end, 280, None)]


def test_an_entry_overlapping_a_stub_is_offered_and_completed_as_its_correction(browser, handover_app, artifacts):
    base_url, url = handover_app
    stub = new_checkpoint(url, "短时段卡口", stub=True)
    start, end = shift_just_ended()
    clerk = signed_in_clerk(browser, base_url)
    page = clerk.page
    clerk.choose_checkpoint("短时段卡口")
    clerk.type_into("检测人数", "280")
    clerk.type_into("检查车辆", "31")
    clerk.tap(clerk.save_button())
    offer = page.get_by_role("button", name=f"用本次数字更正记录 #{stub}")
    offer.wait_for(timeout=30_000)
    settle(page)
    page.screenshot(path=str(artifacts / "phone-overlap-offer.png"))
    clerk.tap(offer)
    page.get_by_text(f"已更正（记录 #{stub} 由记录").first.wait_for(timeout=30_000)
    settle(page)
    page.screenshot(path=str(artifacts / "phone-overlap-corrected.png"))
    page.close()
    assert effective_entries(url, "短时段卡口") == [(start, end, 280, "交接班补录整班数字")]


def test_a_reload_keeps_the_clerk_signed_in_until_sign_out_or_the_account_is_disabled(browser, phone_app, artifacts):
    base_url, url = phone_app
    clerk = signed_in_clerk(browser, base_url)
    page = clerk.page
    cookie = next(item for item in page.context.cookies() if item["name"] == "command_post_session")
    assert cookie["sameSite"] == "Strict" and len(cookie["value"]) >= 40

    checkpoint = free_checkpoint(url)
    opened = time.monotonic()
    page.reload(wait_until="networkidle")  # the bookmark of quick entry, opened again
    page.get_by_role("heading", name="快速录入").wait_for(timeout=30_000)
    settle(page)
    assert page.locator("input[type='password']").count() == 0
    clerk.taps = clerk.keystrokes = 0
    clerk.choose_checkpoint(checkpoint)
    clerk.type_into("检测人数", "21")
    clerk.type_into("检查车辆", "4")
    clerk.tap(clerk.save_button())
    page.get_by_text(SAVED).first.wait_for(timeout=30_000)
    measured = {
        "after_reload": True,
        "taps": clerk.taps,
        "keystrokes": clerk.keystrokes,
        "seconds_to_saved": round(time.monotonic() - opened, 2),
    }
    (artifacts / "phone-entry-after-reload.json").write_text(json.dumps(measured))
    page.screenshot(path=str(artifacts / "phone-after-reload-saved.png"))

    e2e_sign_out(page)
    page.reload(wait_until="networkidle")
    page.locator("input[type='password']").wait_for(timeout=30_000)

    page.close()
    clerk = signed_in_clerk(browser, base_url)
    engine = connect(url)
    perform(engine, Actor("admin", "admin"), set_active, "clerk", False)
    try:
        clerk.page.reload(wait_until="networkidle")
        clerk.page.locator("input[type='password']").wait_for(timeout=30_000)
    finally:
        perform(engine, Actor("admin", "admin"), set_active, "clerk", True)
        engine.dispose()
        clerk.page.close()


ROUND_PEOPLE = ("随访甲", "随访乙", "随访丙", "随访丁")
ROUND_TEMPERATURES = ("36.5", "36.8", "38.1", "36.4")
ROUND_NUMBERS = itertools.count(1)
ROUND_SAVE = "保存本轮随访"


@dataclass(frozen=True)
class Round:
    """A site of the test's own, its clerk's user name and password, and its people's episodes by name."""

    site: str
    clerk: tuple[str, str]
    episodes: dict[str, int]


def site_with_a_round(url: str) -> Round:
    """A site of its own with four people admitted today and a clerk assigned to it alone: whatever the hour, the
    round proposed has nobody followed up yet (the sample's own sites are followed up as the hours pass)."""
    number = next(ROUND_NUMBERS)
    name, clerk = f"手机随访点{number}", (f"site-clerk-{number}", "site-clerk-demo-1")
    engine = connect(url)
    admin = Actor("admin", "admin")
    site = perform(engine, admin, quarantine.add_site, {"name": name, "capacity": 10})
    episodes = {
        person: perform(
            engine,
            admin,
            quarantine.register,
            quarantine_person(
                number * 10 + n,
                clock.today(),
                name=person,
                id_number=id_number(number * 10 + n, "44030519850101"),
                mode="centralized",
                site=site,
            ),
        )
        for n, person in enumerate(ROUND_PEOPLE, start=1)
    }
    perform(engine, admin, create_user, clerk[0], "clerk", clerk[1], assignments={"quarantine": [site]})
    engine.dispose()
    return Round(name, clerk, episodes)


def stored_round(url: str, episodes: dict[str, int]) -> list[tuple]:
    """Every follow-up of today of the round's people: (name, slot, temperature, symptoms), by name."""
    engine = connect(url)
    followup = quarantine.quarantine_followups
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(followup.c.episode_id, followup.c.slot, followup.c.temperature, followup.c.symptoms).where(
                followup.c.episode_id.in_(list(episodes.values())), followup.c.date == clock.today()
            )
        ).all()
    engine.dispose()
    names = {episode_id: name for name, episode_id in episodes.items()}
    return sorted(
        (names[episode_id], slot, temperature, bool(symptoms)) for episode_id, slot, temperature, symptoms in rows
    )


def signed_in_site_clerk(browser, base_url: str, round_: Round) -> Clerk:
    page, _ = sign_in(browser, base_url, *round_.clerk, **PHONE)
    page.get_by_role("heading", name="快速录入").wait_for(timeout=30_000)
    return Clerk(page, ROUND_SAVE)


def fill_the_round(clerk: Clerk, fever: str | None = None) -> dict[str, str]:
    """Type each person's temperature (and tick ``fever``'s symptoms), as the form lists them; what was typed."""
    labels = clerk.page.locator("[data-testid=stForm] input[type=number]").evaluate_all(
        "inputs => inputs.map(input => input.getAttribute('aria-label'))"
    )
    assert sorted(label.split(" · ")[0] for label in labels) == sorted(ROUND_PEOPLE), labels
    typed = dict(zip(ROUND_PEOPLE, ROUND_TEMPERATURES, strict=True))
    for label in labels:
        clerk.type_into(label, typed[label.split(" · ")[0]])
    if fever is not None:
        row = next(position for position, label in enumerate(labels) if label.startswith(fever))
        clerk.tap(clerk.page.get_by_test_id("stForm").get_by_test_id("stCheckbox").nth(row).locator("label"))
    return typed


def test_a_site_clerk_enters_the_round_of_their_site_in_one_save(browser, phone_app, artifacts):
    base_url, url = phone_app
    round_ = site_with_a_round(url)
    proposed = quarantine.proposed_slot(clock.now())
    clerk = signed_in_site_clerk(browser, base_url, round_)
    page = clerk.page
    opened = time.monotonic()
    slot = page.get_by_test_id("stMain").get_by_role("radiogroup", name="时段").get_by_role("radio", checked=True)
    assert slot.inner_text().startswith({"AM": "上午", "PM": "下午"}[proposed]) and "待随访 4" in slot.inner_text()
    typed = fill_the_round(clerk, fever="随访丙")
    page.screenshot(path=str(artifacts / "phone-followup-round-filled.png"))
    sizes = page.locator("[data-testid=stForm] [data-testid=stNumberInputContainer]").evaluate_all(
        "boxes => boxes.map(box => [parseFloat(getComputedStyle(box.querySelector('input')).fontSize),"
        " box.getBoundingClientRect().height])"
    )
    assert all(font >= 16 and height >= 44 for font, height in sizes), sizes
    save = clerk.save_button().bounding_box()
    assert save["y"] >= 0 and save["y"] + save["height"] <= PHONE["viewport"]["height"], save
    clerk.tap(clerk.save_button())
    page.get_by_text(f"已保存：{round_.site}").first.wait_for(timeout=30_000)
    seconds = time.monotonic() - opened
    settle(page)
    page.screenshot(path=str(artifacts / "phone-followup-round-saved.png"))
    text = main_text(page)
    page.close()
    assert "随访 4 人（发热 1 人）" in text and "已随访 4 人" in text, text
    stored = stored_round(url, round_.episodes)
    assert len({slot for _, slot, _, _ in stored}) == 1, stored
    assert stored[0][1] in {proposed, quarantine.proposed_slot(clock.now())}, stored
    assert [(name, temperature, symptoms) for name, _, temperature, symptoms in stored] == sorted(
        (name, float(typed[name]), name == "随访丙") for name in ROUND_PEOPLE
    )
    measured = {"people": len(ROUND_PEOPLE), "taps": clerk.taps, "keystrokes": clerk.keystrokes}
    (artifacts / "phone-followup-round.json").write_text(
        json.dumps({**measured, "seconds_to_saved": round(seconds, 2)})
    )


@pytest.mark.parametrize("gap_ms", [150, 700])
def test_a_double_tap_on_the_rounds_save_stores_each_reading_once_and_reads_saved(
    browser, phone_app, artifacts, gap_ms
):
    base_url, url = phone_app
    round_ = site_with_a_round(url)
    clerk = signed_in_site_clerk(browser, base_url, round_)
    page = clerk.page
    fill_the_round(clerk)
    clerk.double_tap_save(gap_ms)
    page.get_by_text(f"已保存：{round_.site}").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # whatever the second tap started has finished by now
    settle(page)
    text = main_text(page)
    page.screenshot(path=str(artifacts / f"phone-followup-round-double-tap-{gap_ms}ms.png"))
    page.close()
    refusals = ("：必填", "已提交过", "已有随访记录", "没有新填或修改")  # the reason's label says 必填 too
    assert "随访 4 人" in text and not [word for word in refusals if word in text], text
    assert len(stored_round(url, round_.episodes)) == len(ROUND_PEOPLE)
