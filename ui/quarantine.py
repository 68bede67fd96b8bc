"""What the quarantine page (隔离管控) shares: who may see and enter what, tables in the user's words,
the follow-up grid's edits, downloads made on demand, the message of the last save, and the master data of
the centralized quarantine sites (on the administration page)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from data_layer import clock, quarantine
from data_layer.i18n import format_day, format_day_of_month
from data_layer.markdown import plain
from ui.charts import Spec, inline_data
from ui.colours import BED_COLOURS
from ui.forms import entry_form, form_key, repeats_last_save, save, store
from ui.messages import remember_saved, show_saved
from ui.session import actor, engine, language, read, t

DOMAIN = quarantine.DOMAIN
PAGE_COLUMNS = frozenset(
    {
        "kind",
        "old_planned_end",
        "new_planned_end",
        "changed_by",
        "changed_at",
        "AM_temperature",
        "AM_symptoms",
        "PM_temperature",
        "PM_symptoms",
    }
)
CODED_COLUMNS = frozenset({"mode", "status", "origin_category", "slot", "kind"})
FLASH_KEY = "quarantine_flash"
NOTICE_IDS_KEY = "quarantine_notice_ids"


# --- words ---------------------------------------------------------------------------------------------------------


def label(code: str) -> str:
    """A code (mode, status, slot, origin category, change kind) in the user's language; a configured
    origin category that has no catalog entry shows as its code."""
    key = f"{DOMAIN}.code.{code}"
    text = t(key)
    return code if text == key else text


def column_title(column: str) -> str:
    return t(f"{DOMAIN}.page.col.{column}" if column in PAGE_COLUMNS else f"{DOMAIN}.field.{column}")


def day_text(day: date | None) -> str:
    return format_day(day, language()) if day else "—"


def person_label(row: Mapping) -> str:
    """How a person is named in a choice list: name, grid, mode and start, never a number."""
    return " · ".join((str(row["name"]), str(row["grid"]), label(str(row["mode"])), day_text(row["start_date"])))


def _cell(column: str, value: object) -> object:
    """A value as a table shows it: codes in words, dates as YYYY-MM-DD, times to the minute, a dash for none."""
    if value is None:
        return "—"
    if column in CODED_COLUMNS:
        return label(str(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def table(rows: Iterable[Mapping], columns: Sequence[str]) -> pd.DataFrame:
    """Rows as a table with the columns' names and values in the user's language."""
    frame = pd.DataFrame(
        [{column: _cell(column, row[column]) for column in columns} for row in rows], columns=list(columns)
    )
    return frame.rename(columns={column: column_title(column) for column in columns})


def show_table(rows: Sequence[Mapping], columns: Sequence[str], **options: Any) -> None:
    """A read-only table, or the word "nobody" when there are no rows."""
    if not rows:
        st.caption(t("quarantine.page.nobody"))
        return
    st.dataframe(table(rows, columns), hide_index=True, width="stretch", **options)


# --- the beds ahead ------------------------------------------------------------------------------------------------

BEDS_TABLE_COLUMNS = ("site", "day", "expected_occupied", "releases", "admissions", "free")


def beds_outlook_rows(outlook: Sequence[quarantine.SiteOutlook]) -> list[dict]:
    """The outlook one row per site and day, as the quarantine page's table lists it."""
    return [
        {
            "site": site["name"],
            "day": day["day"],
            "expected_occupied": day["occupied"],
            "releases": day["releases"],
            "admissions": day["admissions"],
            "free": day["free"],
        }
        for site in outlook
        for day in site["days"]
    ]


def beds_outlook_grid(outlook: Sequence[quarantine.SiteOutlook], title: str, height: int) -> Spec:
    """The free beds of each site (a row) on each day ahead (a column, titled by its day of the month), written in a
    cell coloured by whether a bed is left (:data:`ui.colours.BED_COLOURS`): which site runs out, and when, at a
    glance, on the wall and the page. The grid fills its column's width; text sizes come from the chart's
    configuration (the wall's ``style_config``), so it reads at the wall's distance."""
    free, full = t("quarantine.code.beds_free"), t("quarantine.code.beds_full")
    cells = [
        {
            "site": site["name"],
            "day": format_day_of_month(day["day"], language()),
            "free": day["free"],
            "state": full if day["free"] <= 0 else free,
        }
        for site in outlook
        for day in site["days"]
    ]
    encoding = {
        "x": {
            "field": "day",
            "type": "ordinal",
            "title": None,
            "sort": list(dict.fromkeys(cell["day"] for cell in cells)),
            "axis": {"orient": "top", "labelAngle": 0, "labelOverlap": False},
        },
        "y": {"field": "site", "type": "nominal", "title": None, "sort": [site["name"] for site in outlook]},
    }
    rects = {
        "mark": {"type": "rect", "stroke": "#0f172a", "strokeWidth": 2},
        "encoding": {
            **encoding,
            "color": {
                "field": "state",
                "type": "nominal",
                "title": None,
                "legend": {"orient": "bottom"},
                "scale": {"domain": [free, full], "range": [BED_COLOURS["free"], BED_COLOURS["full"]]},
            },
            "tooltip": [
                {"field": "site", "type": "nominal"},
                {"field": "day", "type": "ordinal"},
                {"field": "free", "type": "quantitative", "format": ","},
            ],
        },
    }
    numbers = {
        "mark": {"type": "text", "color": "#ffffff", "fontWeight": "bold"},
        "encoding": {**encoding, "text": {"field": "free", "type": "quantitative", "format": ","}},
    }
    return {
        "data": inline_data(cells, ("site", "day", "free", "state")),
        "layer": [rects, numbers],
        "title": title,
        "height": height,
        "width": "container",
    }


# --- the follow-up grid --------------------------------------------------------------------------------------------


def followup_frame(sheet: Sequence[Mapping]) -> pd.DataFrame:
    """The day's sheet as an editable table indexed by episode: the recorded readings filled in."""
    records = []
    for row in sheet:
        record = {
            "episode_id": row["episode_id"],
            "name": row["name"],
            "grid": row["grid"],
            "site": row["site"] or "",
            "symptom_text": "",
        }
        for slot in quarantine.SLOTS:
            reading = row[slot]
            record[f"{slot}_temperature"] = reading["temperature"] if reading else None
            record[f"{slot}_symptoms"] = bool(reading and reading["symptoms"])
        records.append(record)
    columns = [
        "episode_id",
        "name",
        "grid",
        "site",
        "AM_temperature",
        "AM_symptoms",
        "PM_temperature",
        "PM_symptoms",
        "symptom_text",
    ]
    frame = pd.DataFrame(records, columns=columns).set_index("episode_id")
    return frame.astype({"AM_temperature": "float64", "PM_temperature": "float64"})


@dataclass
class GridChanges:
    """What an edited follow-up grid asks to store: readings for empty slots and corrections of recorded ones."""

    additions: list[dict] = field(default_factory=list)
    corrections: list[tuple[int, dict]] = field(default_factory=list)

    def note(self, episode_id: int, day: date, slot: str, reading: Mapping | None, fields: Mapping[str, Any]) -> None:
        """One slot as edited: a new reading for an empty slot where a temperature or symptoms were entered
        (symptoms without a temperature are refused by the data layer, naming the person); a correction of a
        recorded reading whose temperature or symptoms changed."""
        temperature, symptoms = fields["temperature"], fields["symptoms"]
        if reading is None:
            if temperature is not None or symptoms:
                self.additions.append({"episode_id": episode_id, "date": day, "slot": slot, **fields})
        elif temperature is not None and (temperature, symptoms) != (reading["temperature"], reading["symptoms"]):
            self.corrections.append((reading["id"], dict(fields)))

    def fevers(self) -> int:
        """How many of the readings stored are fever readings."""
        entries = [*self.additions, *(fields for _, fields in self.corrections)]
        return sum(1 for entry in entries if (entry["temperature"] or 0) >= quarantine.fever_threshold())


def followup_changes(sheet: Sequence[Mapping], edited: pd.DataFrame, day: date, by: str) -> GridChanges:
    """What the edited grid of the quarantine page asks to store (both slots of every row)."""
    changes = GridChanges()
    for row in sheet:
        values = edited.loc[row["episode_id"]]
        text = str(values["symptom_text"]).strip() if pd.notna(values["symptom_text"]) else ""
        for slot in quarantine.SLOTS:
            temperature = values[f"{slot}_temperature"]
            fields = {
                "temperature": None if pd.isna(temperature) else round(float(temperature), 1),
                "symptoms": bool(values[f"{slot}_symptoms"]),
                "symptom_text": text or None,
                "by": by,
            }
            changes.note(row["episode_id"], day, slot, row[slot], fields)
    return changes


# --- the follow-up round of quick entry ----------------------------------------------------------------------------

ROUND_PLACE_KEY = "quarantine:round_place"
ROUND_SLOT_KEY = "quarantine:round_slot"


def place_name(place: quarantine.PlaceRound) -> str:
    """A site by its name; the people at no site by their grid (第一网格 · 居家)."""
    return place["name"] or t("quarantine.page.round_at_home", grid=place["place"].grid)


def _round_place(places: Sequence[quarantine.PlaceRound]) -> quarantine.PlaceRound:
    """The place whose round is entered: the only one, said; else chosen (the choice kept while the clerk works)."""
    if len(places) == 1:
        st.markdown(f"**{plain(place_name(places[0]))}**")
        return places[0]
    by_place = {place["place"]: place for place in places}
    chosen = st.selectbox(
        t("quarantine.page.round_place"),
        list(by_place),
        format_func=lambda key: t(
            "quarantine.page.round_place_option", place=place_name(by_place[key]), people=by_place[key]["people"]
        ),
        key=ROUND_PLACE_KEY,
    )
    return by_place[chosen]


def _round_slot(place: quarantine.PlaceRound) -> str:
    """The round (AM/PM): the one proposed for now preselected, each with how many are still to follow up, and the
    proposal said plainly under the choice."""
    now = clock.now()
    proposed = quarantine.proposed_slot(now)
    slot = st.segmented_control(
        t("quarantine.field.slot"),
        list(quarantine.SLOTS),
        default=proposed,
        required=True,
        format_func=lambda code: t("quarantine.page.round_slot", slot=label(code), pending=place["pending"][code]),
        key=ROUND_SLOT_KEY,
        width="stretch",
    )
    slot = slot or proposed
    st.caption(
        t(
            "quarantine.page.round_proposed",
            now=f"{now:%H:%M}",
            slot=label(proposed),
            due=f"{quarantine.FOLLOWUP_ROUND_DUE[proposed]:%H:%M}",
            day=day_text(now.date()),
            chosen=label(slot),
        )
    )
    return slot


def _reading_inputs(row: Mapping[str, Any], key: str, at_site: bool) -> dict[str, Any]:
    """One person's temperature and symptoms on one line (they stay side by side on a phone), the round's reading
    filled in: the person's name, as the role may see it, is the temperature's label (as typed: a label is
    Markdown)."""
    who = plain(" · ".join((str(row["name"]), str(row["grid"]))) if at_site else row["name"])
    reading = row["reading"]
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        temperature = st.number_input(
            who,
            value=reading["temperature"] if reading else None,
            step=0.1,
            format="%.1f",
            placeholder=t("quarantine.field.temperature"),
            key=f"{key}-{row['episode_id']}-temperature",
        )
        symptoms = st.checkbox(
            t("quarantine.field.symptoms"),
            value=bool(reading and reading["symptoms"]),
            key=f"{key}-{row['episode_id']}-symptoms",
        )
    return {
        "temperature": None if temperature is None else round(temperature, 1),
        "symptoms": symptoms,
        "symptom_text": None,
        "by": actor().username,
    }


def _store_round(form_name: str, place: str, day: date, slot: str, changes: GridChanges, reason: str) -> None:
    """Store the round in one transaction (:func:`data_layer.quarantine.save_followup_grid`); once stored, rerun with
    the saved message: where, which round, how many readings new and corrected, the fevers, how to correct."""
    if not changes.additions and not changes.corrections:
        if not repeats_last_save(form_name):
            st.info(t("quarantine.page.nothing_to_save"))
        return

    def remember(_rows: int) -> None:
        saved = t(
            "quarantine.page.round_saved",
            place=plain(place),
            day=day_text(day),
            slot=label(slot),
            count=len(changes.additions),
            fevers=changes.fevers(),
        )
        if changes.corrections:
            saved += t("quarantine.page.round_corrected", count=len(changes.corrections))
        remember_saved(form_name, f"{saved}\n\n{t('quarantine.page.round_correct_hint')}")

    stored = save(
        form_name,
        quarantine.save_followup_grid,
        changes.additions,
        changes.corrections,
        reason or None,
        then=remember,
    )
    if stored is not None:
        st.rerun()


def followup_round_form(form_name: str) -> None:
    """Today's AM or PM follow-up round of one of the clerk's places (quick entry): the people not yet followed up
    first, a temperature and symptoms each; then those followed up, their readings filled in, corrected by changing
    them (with a reason). One tap saves the round as one transaction; people left blank are not stored; a double
    tap stores once and shows the saved message (:mod:`ui.forms`)."""
    who, today = actor(), clock.today()
    places = read(quarantine.round_places, today, who)
    feedback = st.container()  # above the form: in the first screen of a phone, where the clerk looks
    if not places:
        st.info(t("quarantine.page.round_nobody"))
        with feedback:
            show_saved(form_name)
        return
    place = _round_place(places)
    slot = _round_slot(place)
    rows = read(quarantine.followup_round, today, slot, place["place"], who)
    done = sum(1 for row in rows if row["reading"] is not None)
    if done == len(rows):
        st.caption(t("quarantine.page.round_complete", slot=label(slot)))
    changes, reason = GridChanges(), ""
    with entry_form(form_name) as token:
        key = form_key(form_name, token)
        at_site = place["place"].site_id is not None
        for position, row in enumerate(rows):
            if position == len(rows) - done:
                st.caption(t("quarantine.page.round_done", count=done))
            changes.note(row["episode_id"], today, slot, row["reading"], _reading_inputs(row, key, at_site))
        if done:
            reason = st.text_input(t("quarantine.page.correction_reason"), key=f"{key}-reason")
        tapped = st.form_submit_button(t("quarantine.page.round_submit"), type="primary", width="stretch")
    with feedback:
        if tapped:
            _store_round(form_name, place_name(place), today, slot, changes, reason)
        show_saved(form_name)


# --- downloads and messages ----------------------------------------------------------------------------------------


def deferred(build: Callable[..., bytes], *args: object) -> Callable[[], bytes]:
    """A download's content made only when its button is pressed (an export of a district's register is
    too big to build on every run): ``build(conn, *args)`` from the data layer, on a connection of its own."""
    store = engine()

    def produce() -> bytes:
        with store.connect() as conn:
            return build(conn, *args)

    return produce


def flashing(message: Callable[[Any], str], notice_ids: Sequence[int] = ()) -> Callable[[Any], None]:
    """A ``then`` for :func:`ui.forms.save`: keep the save's message, ``message(result)``, and the people released,
    for their notices, for the run that follows it (the page reruns once saved, so every figure counts the save)."""

    def keep(result: Any) -> None:
        st.session_state[FLASH_KEY] = {"text": message(result), "notice_ids": list(notice_ids)}
        if notice_ids:
            st.session_state[NOTICE_IDS_KEY] = list(notice_ids)

    return keep


def pending_flash() -> dict | None:
    """The message of the last save (``text``, ``notice_ids``); it stays until the next save replaces it."""
    return st.session_state.get(FLASH_KEY)


# --- the sites (administrator) -------------------------------------------------------------------------------------

SITE_SLOT = "quarantine-site-master"
SITE_COLUMNS = ("name", "address", "capacity", "active")


def add_site_form() -> None:
    with entry_form("quarantine-site-add"):
        name = st.text_input(t("quarantine.field.name"))
        address = st.text_input(t("quarantine.field.address"))
        capacity = st.number_input(t("quarantine.field.capacity"), min_value=1, step=1, value=None)
        submitted = st.form_submit_button(t("quarantine.page.site_add"), type="primary", width="stretch")
    if submitted:
        store(
            "quarantine-site-add",
            quarantine.add_site,
            {"name": name, "address": address or None, "capacity": capacity},
            said=t("quarantine.page.site_added", site=plain(name)),
            slot=SITE_SLOT,
        )


def edit_site_forms(sites: Sequence[Mapping]) -> None:
    """Rename, change the places, open or close: each its own small form, since each is its own audited write."""
    by_id = {site["id"]: site for site in sites}
    chosen = st.selectbox(
        t("quarantine.field.site"),
        list(by_id),
        key="quarantine:site_master_choice",
        format_func=lambda key: by_id[key]["name"],
    )
    site = by_id[chosen]
    with entry_form(f"quarantine-site-rename-{chosen}"):
        name = st.text_input(t("quarantine.field.name"), value=site["name"])
        if st.form_submit_button(t("quarantine.page.site_rename")):
            store(
                f"quarantine-site-rename-{chosen}",
                quarantine.rename_site,
                chosen,
                name,
                said=t("quarantine.page.site_saved", site=plain(name)),
                slot=SITE_SLOT,
            )
    with entry_form(f"quarantine-site-capacity-{chosen}"):
        capacity = st.number_input(t("quarantine.field.capacity"), min_value=1, step=1, value=site["capacity"])
        if st.form_submit_button(t("quarantine.page.site_set_capacity")):
            store(
                f"quarantine-site-capacity-{chosen}",
                quarantine.set_site_capacity,
                chosen,
                capacity,
                said=t("quarantine.page.site_saved", site=plain(site["name"])),
                slot=SITE_SLOT,
            )
    with entry_form(f"quarantine-site-active-{chosen}"):
        st.markdown(t("quarantine.page.site_is_open" if site["active"] else "quarantine.page.site_is_closed"))
        if st.form_submit_button(t("quarantine.page.site_close" if site["active"] else "quarantine.page.site_open")):
            store(
                f"quarantine-site-active-{chosen}",
                quarantine.set_site_active,
                chosen,
                not site["active"],
                said=t("quarantine.page.site_saved", site=plain(site["name"])),
                slot=SITE_SLOT,
            )


def site_master() -> None:
    """The centralized quarantine sites: every site (closed ones too), a form to add one, forms to change one."""
    sites = read(quarantine.list_sites, True)
    show_saved(SITE_SLOT)
    if sites:
        st.dataframe(table(sites, SITE_COLUMNS), hide_index=True, width="stretch")
    else:
        st.caption(t("quarantine.page.no_sites"))
    add_column, edit_column = st.columns(2)
    with add_column:
        st.markdown(f"**{t('quarantine.page.site_add')}**")
        add_site_form()
    with edit_column:
        if sites:
            st.markdown(f"**{t('quarantine.page.site_edit')}**")
            edit_site_forms(sites)
