"""What the checkpoint pages share: the shift entry form, the correction form, their messages, the map and
the master data (on the checkpoints page and the administration page).

The checkpoints page and the quick-entry page show the same shift entry form
(:func:`count_entry_form`), so a clerk meets one form whichever page they use.
The form saves as the tap's run begins (:func:`ui.forms.submit_button`), so
every figure the run draws already includes the new entry; the saved message
is kept in the session and stays, above the shift form, until the next entry.
"""

from __future__ import annotations

import base64
import html
import json
import math
import mimetypes
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pydeck as pdk
import streamlit as st
from pydeck.types import String
from streamlit.delta_generator import DeltaGenerator

from data_layer import clock, settings
from data_layer.checkpoints import (
    COUNT_FIELDS,
    DOMAIN,
    KINDS,
    add_checkpoint,
    add_count,
    add_zero_report,
    correct_count,
    current_shift,
    day_shifts,
    list_checkpoints,
    overlapping_entries,
    proposed_shift,
    rename_checkpoint,
    set_checkpoint_active,
    set_checkpoint_kind,
    set_checkpoint_location,
)
from data_layer.db import Actor
from data_layer.i18n import format_day, format_number
from data_layer.markdown import plain
from data_layer.permissions import unit_limit
from ui.forms import (
    entry_form,
    field_key,
    form_key,
    save,
    start_afresh,
    start_fields,
    store,
    submit_button,
    submitted_fields,
    whole_number_input,
)
from ui.map_labels import LABEL_GAP, LABEL_PADDING, WORLD_PIXELS, Screen, place_labels
from ui.messages import remember_saved, show_refusal, show_saved
from ui.session import actor, language, read, t

# The app serves CommandPostSans (a Chinese web font) for screens that have no CJK font of their own.
LABEL_FONTS = 'CommandPostSans, "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
MAX_POINT_LABELS = 60
SMALLEST_RADIUS = 6
LARGEST_EXTRA_RADIUS = 24
UNCROWDED_POINTS = 20
MAP_HEIGHT = 520
MAP_WIDTH = 900
GRID_LABEL_SIZE = 15
AREA_LABEL_SIZE = 12
CHECKPOINT_LABEL_SIZE = 13
FEVER_COLOUR = [239, 68, 68, 230]
NOT_REPORTED_COLOUR = [148, 163, 184, 200]
REPORTED_COLOUR = [45, 212, 191, 220]
LAST_CHECKPOINT_KEY = "checkpoints:last_checkpoint"
CORRECTION_SLOT = "checkpoint-correct"
OFFER_KEY = "checkpoints:correction_offer:{form}"


# Who may do what ------------------------------------------------------------------------------------------------


def checkpoints_for(who: Actor, include_inactive: bool = False) -> list[dict]:
    """The checkpoints ``who`` works with: a clerk's assigned ones when the assignment names units, else all."""
    rows = read(list_checkpoints, include_inactive)
    units = unit_limit(who, DOMAIN)
    return [row for row in rows if units is None or row["id"] in units]


# Words --------------------------------------------------------------------------------------------------------


def _clock_text(moment: datetime, day: date) -> str:
    """``moment`` as a time of ``day``; midnight ending the day is 24:00, a later day gets its date."""
    if moment == datetime.combine(day + timedelta(days=1), time()):
        return "24:00"
    if moment.date() != day:
        return f"{format_day(moment.date(), language())} {moment:%H:%M}"
    return f"{moment:%H:%M}"


def shift_label(start: datetime, end: datetime) -> str:
    """A shift as the duty roster writes it: 08:00–16:00, 16:00–24:00."""
    return f"{start:%H:%M}–{_clock_text(end, start.date())}"


def period_text(start: datetime, end: datetime) -> str:
    """An entry's period with its date: 2026年3月10日 08:00–16:00."""
    return f"{format_day(start.date(), language())} {shift_label(start, end)}"


def counts_text(values: Mapping[str, Any]) -> str:
    """The four counts with their names, as a saved message lists them."""
    return t("checkpoints.page.separator").join(
        f"{t(f'checkpoints.field.{name}')} {format_number(values[name], language())}" for name in COUNT_FIELDS
    )


# The shift entry ----------------------------------------------------------------------------------------------


def _pairs(count: int) -> list[DeltaGenerator]:
    """``count`` cells in rows of two: side by side on a wide screen, and in reading order on a phone,
    where Streamlit stacks each row's columns (two plain columns would stack as 1, 3, 2, 4)."""
    return [cell for _ in range(0, count, 2) for cell in st.columns(2)]


def _shift_period(day: date, index: int) -> tuple[datetime, datetime]:
    """Shift ``index`` of ``day``; the shift on duty now ends now, since no entry may reach into the future.

    A shift that has not begun keeps its times and is refused by the data
    layer with the reason, so the clerk sees why.
    """
    start, end = day_shifts(day)[index]
    now = clock.now().replace(second=0)
    return (start, now) if start < now < end else (start, end)


def _on_duty_hint() -> str:
    """What is stored for the shift on duty: the shift up to the moment of saving, said next to the choice of
    shift (the choices themselves stay the same all shift long, so a choice made holds until it is saved)."""
    start, end = current_shift()
    return t("checkpoints.page.on_duty_until_now", shift=shift_label(start, end), now=f"{clock.now():%H:%M}")


def store_count(
    form_name: str,
    submitted: str,
    checkpoint: int | str,
    checkpoint_name: str,
    start: datetime,
    end: datetime,
    counts: Mapping[str, object] | None,
    note: str,
) -> None:
    """Store one shift (``counts`` ``None`` is a zero report) from the form drawn with the token ``submitted``,
    in its submit button's callback (:func:`ui.forms.submit_button`): the page then draws the saved message, or
    the refusal, above the form.

    Refused because one earlier entry of the checkpoint overlaps it, the entry is offered as that earlier
    entry's correction (:func:`correction_offer`).
    """
    st.session_state.pop(OFFER_KEY.format(form=form_name), None)
    message = "checkpoints.page.saved" if counts is not None else "checkpoints.page.saved_zero"
    stored_counts = counts if counts is not None else dict.fromkeys(COUNT_FIELDS, 0)

    def remember(entry_id: int) -> None:
        st.session_state[LAST_CHECKPOINT_KEY] = checkpoint
        remember_saved(
            form_name,
            t(
                message,
                id=entry_id,
                checkpoint=plain(checkpoint_name),
                period=period_text(start, end),
                counts=counts_text(stored_counts),
            )
            + "\n\n"
            + correction_hint(entry_id),
        )

    if counts is None:
        entry_id = save(
            form_name, add_zero_report, checkpoint, start, end, note or None, then=remember, submitted=submitted
        )
    else:
        entry_id = save(
            form_name,
            add_count,
            {"checkpoint": checkpoint, "period_start": start, "period_end": end, **counts, "note": note},
            then=remember,
            submitted=submitted,
        )
    if entry_id is None:
        _keep_correction_offer(form_name, checkpoint, checkpoint_name, start, end, stored_counts, note)


def _keep_correction_offer(
    form_name: str,
    checkpoint: int | str,
    checkpoint_name: str,
    start: datetime,
    end: datetime,
    counts: Mapping[str, object],
    note: str,
) -> None:
    """After a refused entry with all its counts: when exactly one earlier entry of the checkpoint overlaps it
    (the five-minute stub of a shift, entered at handover), keep the offer to correct that entry with this
    one's figures."""
    if not isinstance(checkpoint, int) or None in counts.values():
        return
    clashes = read(overlapping_entries, checkpoint, start, end)
    if len(clashes) == 1:
        st.session_state[OFFER_KEY.format(form=form_name)] = {
            "earlier": clashes[0],
            "checkpoint": checkpoint,
            "checkpoint_name": checkpoint_name,
            "start": start,
            "end": end,
            "counts": dict(counts),
            "note": note,
        }


def correction_offer(form_name: str) -> None:
    """The offer kept by :func:`store_count`: the earlier entry, the figures that would replace it, a reason
    (proposed, editable) and one button; done, the entry form starts afresh and says what was stored."""
    offer = st.session_state.get(OFFER_KEY.format(form=form_name))
    if offer is None:
        return
    earlier, start, end, counts = offer["earlier"], offer["start"], offer["end"], offer["counts"]
    slot = f"checkpoint-offer-{earlier['id']}"
    with st.container(border=True):
        st.markdown(
            t(
                "checkpoints.page.offer",
                id=earlier["id"],
                period=period_text(earlier["period_start"], earlier["period_end"]),
                counts=counts_text(earlier),
                new_period=period_text(start, end),
                new_counts=counts_text(counts),
            )
        )
        with entry_form(slot) as token:
            reason = st.text_input(
                t("checkpoints.field.reason"),
                value=t("checkpoints.page.offer_reason"),
                key=f"{form_key(slot, token)}-reason",
            )
            tapped = st.form_submit_button(
                t("checkpoints.page.offer_button", id=earlier["id"]), type="primary", width="stretch"
            )
    if not tapped:
        return

    def remember(new_id: int) -> None:
        st.session_state.pop(OFFER_KEY.format(form=form_name), None)
        st.session_state[LAST_CHECKPOINT_KEY] = offer["checkpoint"]
        start_afresh(form_name)
        remember_saved(
            form_name,
            t(
                "checkpoints.page.corrected_entry",
                old=earlier["id"],
                new=new_id,
                checkpoint=plain(offer["checkpoint_name"]),
                period=period_text(start, end),
                counts=counts_text(counts),
            )
            + "\n\n"
            + correction_hint(new_id),
        )

    new_id = save(
        slot,
        correct_count,
        earlier["id"],
        {"period_start": start, "period_end": end, **counts, "note": offer["note"], "reason": reason},
        then=remember,
    )
    if new_id is not None:
        st.rerun()


def correction_hint(entry_id: int) -> str:
    """Where a clerk corrects the entry just saved: the checkpoints page's entry tab, which keeps the original."""
    return t(
        "checkpoints.page.correct_hint",
        id=entry_id,
        page=t("checkpoints.page.nav"),
        tab=t("checkpoints.page.tab_entries"),
    )


def _offered(form_name: str, token: str, current: Mapping[int, str]) -> dict[int, str]:
    """The checkpoints a rendered form offers: those it was first drawn with, plus any added since.

    A checkpoint closed while the form was open stays in the list, so the
    clerk's choice is not silently moved to another checkpoint on submit;
    the data layer then refuses it and says why.
    """
    key = f"checkpoints:offered:{form_name}"
    kept_token, kept = st.session_state.get(key, (None, {}))
    offered = {**(kept if kept_token == token else {}), **current}
    st.session_state[key] = (token, offered)
    return offered


def count_entry_form(form_name: str) -> None:
    """The shift entry: checkpoint (the clerk's own first), shift (the one the clerk means, see
    :func:`data_layer.checkpoints.proposed_shift`), four counts, note.

    "Save" stores the counts; "Zero report" stores the chosen shift with all
    counts 0 in one tap. Either way the clerk then reads what was stored and
    where to correct it, or the refused field and why, above the form. Every widget is keyed by
    the form's token: what the clerk chose survives a change of defaults
    (a new shift begins, a checkpoint is added) until the form is stored.
    """
    current = {row["id"]: row["name"] for row in checkpoints_for(actor())}
    if not current:
        st.info(t("checkpoints.page.no_checkpoint_to_enter"))
        return
    remembered = st.session_state.get(LAST_CHECKPOINT_KEY)
    proposed, _ = proposed_shift()
    shifts = day_shifts(proposed.date())
    proposed_index = [start for start, _ in shifts].index(proposed)
    feedback = st.container()  # above the form: in the first screen of a phone, where the clerk looks
    with entry_form(form_name) as token:
        names = _offered(form_name, token, current)
        ids = list(names)
        start_fields(
            form_name,
            token,
            checkpoint=remembered if remembered in ids else ids[0],
            day=proposed.date(),
            shift=proposed_index,
            note="",
            **{name: 0.0 if name in ("fever", "turned_back") else None for name in COUNT_FIELDS},
        )
        key = partial(field_key, form_name, token)
        st.selectbox(t("checkpoints.field.checkpoint"), ids, format_func=names.__getitem__, key=key("checkpoint"))
        st.date_input(t("checkpoints.field.day"), max_value=clock.today(), key=key("day"))
        st.selectbox(
            t("checkpoints.shift"),
            range(len(shifts)),
            key=key("shift"),
            format_func=lambda position: shift_label(*shifts[position]),
        )
        st.caption(_on_duty_hint())
        for name, column in zip(COUNT_FIELDS, _pairs(len(COUNT_FIELDS)), strict=True):
            whole_number_input(t(f"checkpoints.field.{name}"), key=key(name), container=column)
        st.text_input(t("checkpoints.field.note"), key=key("note"))
        submit_button(
            token,
            t("checkpoints.page.save"),
            partial(_submit_count, form_name, names, zero=False),
            type="primary",
            width="stretch",
        )
        submit_button(
            token,
            t("checkpoints.page.zero_report_button"),
            partial(_submit_count, form_name, names, zero=True),
            width="stretch",
        )
    with feedback:
        show_refusal(form_name)
        correction_offer(form_name)
        show_saved(form_name)


def _submit_count(form_name: str, names: Mapping[int, str], token: str, zero: bool) -> None:
    """The callback of the entry form's buttons: store what the form drawn with ``token``, offering the
    checkpoints ``names``, holds. (A second tap can submit that form after the run it started drew the next.)"""
    fields = submitted_fields(form_name, token, ("checkpoint", "day", "shift", "note", *COUNT_FIELDS))
    start, end = _shift_period(fields["day"], fields["shift"])
    counts = None if zero else {name: fields[name] for name in COUNT_FIELDS}
    checkpoint = fields["checkpoint"]
    store_count(form_name, token, checkpoint, names[checkpoint], start, end, counts, fields["note"])


# Corrections --------------------------------------------------------------------------------------------------


def _entry_choice(entry: Mapping[str, Any]) -> str:
    return t(
        "checkpoints.page.entry_choice",
        id=entry["id"],
        period=period_text(entry["period_start"], entry["period_end"]),
        persons=format_number(entry["persons"], language()),
    )


def correction_form(entries: Iterable[Mapping[str, Any]]) -> None:
    """Supersede one effective entry with corrected figures and a reason; the wrong entry stays in the ledger."""
    effective = {entry["id"]: entry for entry in entries if entry["effective"]}
    if not effective:
        st.caption(t("checkpoints.page.nothing_to_correct"))
        show_saved(CORRECTION_SLOT)
        return
    entry_id = st.selectbox(
        t("checkpoints.page.correct_choice"),
        list(effective),
        format_func=lambda number: _entry_choice(effective[number]),
    )
    entry = effective[entry_id]
    form_name = f"{CORRECTION_SLOT}-{entry_id}"
    with entry_form(form_name):
        start_column, start_time_column, end_column, end_time_column = _pairs(4)
        start_day = start_column.date_input(
            t("checkpoints.page.start_day"), value=entry["period_start"].date(), max_value=clock.today()
        )
        start_time = start_time_column.time_input(t("checkpoints.page.start_time"), value=entry["period_start"].time())
        end_day = end_column.date_input(t("checkpoints.page.end_day"), value=entry["period_end"].date())
        end_time = end_time_column.time_input(t("checkpoints.page.end_time"), value=entry["period_end"].time())
        counts = {
            name: whole_number_input(t(f"checkpoints.field.{name}"), value=int(entry[name]), container=column)
            for name, column in zip(COUNT_FIELDS, _pairs(len(COUNT_FIELDS)), strict=True)
        }
        note = st.text_input(t("checkpoints.field.note"), value=entry["note"] or "")
        reason = st.text_input(t("checkpoints.field.reason"))
        submitted = st.form_submit_button(t("checkpoints.page.correct_save"), type="primary", width="stretch")
    if submitted:
        start, end = datetime.combine(start_day, start_time), datetime.combine(end_day, end_time)

        def corrected_text(new_id: int) -> str:
            return t(
                "checkpoints.page.corrected",
                old=entry_id,
                new=new_id,
                period=period_text(start, end),
                counts=counts_text(counts),
            )

        store(
            form_name,
            correct_count,
            entry_id,
            {"period_start": start, "period_end": end, **counts, "note": note, "reason": reason},
            said=corrected_text,
            slot=CORRECTION_SLOT,
        )
    show_saved(CORRECTION_SLOT)


# The map ------------------------------------------------------------------------------------------------------


def _area_path() -> Path:
    return settings.AREA_GEOJSON.value()


@st.cache_data(show_spinner=False)
def _read_area(path: str, modified: float) -> dict:
    """The command post's area file (keyed on its modification time, so a replaced file shows at once)."""
    area = json.loads(Path(path).read_text(encoding="utf-8"))
    if area.get("type") != "FeatureCollection" or not isinstance(area.get("features"), list):
        raise ValueError("not a GeoJSON FeatureCollection")
    return area


def _positions(geometry: Mapping[str, Any]) -> list[list[float]]:
    """Every [lon, lat] of a Polygon, MultiPolygon, LineString or Point, for labels and the view."""
    coordinates = geometry.get("coordinates", [])
    depth = {"Point": 0, "LineString": 1, "MultiPoint": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}.get(
        geometry.get("type", ""), -1
    )
    points = [coordinates] if depth >= 0 else []
    for _ in range(depth):
        points = [inner for outer in points for inner in outer]
    return [point[:2] for point in points]


def _middle(points: list[list[float]]) -> list[float]:
    longitudes, latitudes = [point[0] for point in points], [point[1] for point in points]
    return [(min(longitudes) + max(longitudes)) / 2, (min(latitudes) + max(latitudes)) / 2]


def _area_layers(
    area: dict, label_scale: float = 1.0, compound_names: bool = True
) -> tuple[list[pdk.Layer], list[dict], list[list[float]]]:
    """Grid outlines (bold) and other outlines (compounds, thin), their names (``label_scale`` times the usual
    size, placed with the checkpoints' names by :func:`ui.map_labels.place_labels`), plus every position drawn."""
    grids: list[dict] = []
    others: list[dict] = []
    labels: list[dict] = []
    positions: list[list[float]] = []
    for feature in area["features"]:
        properties = feature.get("properties") or {}
        is_grid = properties.get("kind") == "grid"
        (grids if is_grid else others).append(feature)
        points = _positions(feature.get("geometry") or {})
        positions += points
        name = properties.get("name")
        if points and name and (is_grid or compound_names):
            size = (GRID_LABEL_SIZE if is_grid else AREA_LABEL_SIZE) * label_scale
            labels.append(
                {
                    "name": str(name),
                    "position": _middle(points),
                    "size": size,
                    "text_colour": [226, 232, 240, 235] if is_grid else [148, 163, 184, 220],
                }
            )
    layers = [
        pdk.Layer(
            "GeoJsonLayer",
            {"type": "FeatureCollection", "features": others},
            id="compounds",
            stroked=True,
            filled=True,
            get_fill_color=[100, 116, 139, 40],
            get_line_color=[148, 163, 184, 170],
            line_width_min_pixels=1,
        ),
        pdk.Layer(
            "GeoJsonLayer",
            {"type": "FeatureCollection", "features": grids},
            id="grids",
            stroked=True,
            filled=True,
            get_fill_color=[30, 41, 59, 60],
            get_line_color=[203, 213, 225, 220],
            line_width_min_pixels=2,
        ),
    ]
    return layers, labels, positions


def _text_layer(layer_id: str, labels: list[dict]) -> pdk.Layer:
    """Labels in any script: ``characterSet: "auto"`` makes deck.gl draw the Chinese characters it meets.

    Literal strings go in as :class:`pydeck.types.String`; a plain string would
    reach deck.gl as an accessor expression (``@@=auto``) and draw nothing. Each label is centred at its
    ``offset`` from its position, where :func:`ui.map_labels.place_labels` found it room.
    """
    return pdk.Layer(
        "TextLayer",
        labels,
        id=layer_id,
        get_position="position",
        get_text="label",
        get_size="size",
        get_color="text_colour",
        character_set=String("auto"),
        font_family=String(LABEL_FONTS),
        font_weight=600,
        background=True,
        get_background_color=[15, 23, 42, 170],
        background_padding=list(LABEL_PADDING),
        get_pixel_offset="offset",
        get_alignment_baseline=String("center"),
    )


def _image_layer() -> tuple[list[pdk.Layer], str | None]:
    """The optional plan of the area (a local image drawn between its configured bounds), or why it is missing."""
    path_text = settings.AREA_IMAGE.value()
    if not path_text:
        return [], None
    path = Path(path_text)
    try:
        bounds = settings.AREA_IMAGE_BOUNDS.value()
        if bounds is None:
            raise ValueError(settings.AREA_IMAGE_BOUNDS.name)
        image = _image_data_url(str(path), path.stat().st_mtime)
    except (OSError, ValueError):
        return [], t("checkpoints.page.map_image_unusable", path=path_text, bounds=settings.AREA_IMAGE_BOUNDS.name)
    return [pdk.Layer("BitmapLayer", id="area-image", image=String(image), bounds=bounds, opacity=0.8)], None


@st.cache_data(show_spinner=False)
def _image_data_url(path: str, modified: float) -> str:
    """The image as a data URL, so that the browser needs no other address than the app's."""
    kind = mimetypes.guess_type(path)[0] or "image/png"
    return f"data:{kind};base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _view(positions: list[list[float]], map_height: int = MAP_HEIGHT, map_width: int = MAP_WIDTH) -> pdk.ViewState:
    """A view that shows every position drawn, filling a map ``map_width`` by ``map_height`` pixels."""
    if not positions:
        return pdk.ViewState(latitude=0, longitude=0, zoom=1)
    west, south = (min(point[index] for point in positions) for index in (0, 1))
    east, north = (max(point[index] for point in positions) for index in (0, 1))
    latitude = (south + north) / 2
    width = max(east - west, 0.002)
    height = max(north - south, 0.002) / math.cos(math.radians(latitude))
    zoom = min(
        math.log2(map_width * 360 / (WORLD_PIXELS * width)), math.log2(map_height * 360 / (WORLD_PIXELS * height))
    )
    return pdk.ViewState(latitude=latitude, longitude=(west + east) / 2, zoom=min(zoom - 0.2, 18))


def _extra_radius(points: int) -> float:
    """How many pixels larger than the quietest checkpoint's dot the busiest one's is: the full range for a
    community's handful of checkpoints, less for a district's hundreds, whose dots would otherwise cover the
    map and each other."""
    return LARGEST_EXTRA_RADIUS * min(1.0, math.sqrt(UNCROWDED_POINTS / max(points, 1)))


def _point(
    row: Mapping[str, Any],
    busiest: int,
    extra_radius: float,
    lang: str,
    status_words: Mapping[bool, str],
    scale: float = 1.0,
    label_scale: float = 1.0,
) -> dict:
    """One checkpoint on the map; ``lang`` and ``status_words`` (reported or not) are looked up once per map;
    its dot is ``scale`` and its name ``label_scale`` times the usual size."""
    throughput = int(row["persons"]) + int(row["vehicles"])
    colour = FEVER_COLOUR if row["fever"] else REPORTED_COLOUR if row["reported"] else NOT_REPORTED_COLOUR
    radius = scale * (SMALLEST_RADIUS + (extra_radius * math.sqrt(throughput / busiest) if busiest else 0))
    return {
        "name": row["name"],
        "name_html": html.escape(row["name"]),  # the tooltip's HTML shows it as text
        "position": [row["longitude"], row["latitude"]],
        "radius": radius,
        "fill": colour,
        "size": CHECKPOINT_LABEL_SIZE * label_scale,
        "throughput": throughput,
        "text_colour": [248, 250, 252, 255],
        **{name: format_number(row[name], lang) for name in COUNT_FIELDS},
        "status": status_words[bool(row["reported"])],
    }


def _tooltip() -> dict:
    lines = [f"{t(f'checkpoints.field.{name}')}: {{{name}}}" for name in COUNT_FIELDS]
    return {
        "html": "<b>{name_html}</b><br/>" + "<br/>".join(lines) + "<br/>{status}",
        "style": {"fontFamily": LABEL_FONTS, "fontSize": "14px"},
    }


def checkpoint_deck(
    rows: list[dict],
    height: int = MAP_HEIGHT,
    width: int = MAP_WIDTH,
    scale: float = 1.0,
    label_scale: float = 1.0,
    compound_names: bool = True,
) -> tuple[pdk.Deck, list[str], list[str]]:
    """Today's checkpoints over the area plan, drawn with no internet: no basemap unless a LAN style is set.

    Points are sized by throughput (people + vehicles) and coloured red for a
    fever reading, grey for not reported; the area comes from the command
    post's GeoJSON file, an optional plan image and an optional map style
    hosted on the LAN. Returns the deck, the names of checkpoints without a
    position (to be listed beside the map, never dropped silently) and notes
    about area files that could not be used. The view fills ``width`` by
    ``height`` pixels; dots are ``scale`` and names ``label_scale`` times
    their usual size (a wall screen's are read from across the room), and
    names are drawn over the dots, never under them, placed where they
    hide no dot and no other name (:func:`ui.map_labels.place_labels`);
    ``compound_names`` False leaves out the names of compounds, keeping those of grids.
    """
    placed = [row for row in rows if row["latitude"] is not None and row["longitude"] is not None]
    unplaced = [row["name"] for row in rows if row not in placed]
    layers: list[pdk.Layer] = []
    area_labels: list[dict] = []
    positions: list[list[float]] = []
    notes: list[str] = []
    image_layers, image_note = _image_layer()
    layers += image_layers
    notes += [image_note] if image_note else []
    area_path = _area_path()
    if area_path.is_file():
        try:
            area_layers, area_labels, positions = _area_layers(
                _read_area(str(area_path), area_path.stat().st_mtime), label_scale, compound_names
            )
            layers += area_layers
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            notes.append(t("checkpoints.page.map_area_unusable", path=str(area_path)))
    busiest = max((int(row["persons"]) + int(row["vehicles"]) for row in placed), default=0)
    status_words = {True: t("checkpoints.page.reported_yes"), False: t("checkpoints.page.reported_no")}
    lang = language()
    extra_radius = _extra_radius(len(placed))
    points = [_point(row, busiest, extra_radius, lang, status_words, scale, label_scale) for row in placed]
    layers.append(
        pdk.Layer(
            "ScatterplotLayer",
            points,
            id="checkpoints",
            get_position="position",
            get_radius="radius",
            radius_units=String("pixels"),
            get_fill_color="fill",
            stroked=True,
            get_line_color=[15, 23, 42, 255],
            line_width_min_pixels=1,
            pickable=True,
        )
    )
    view = _view(positions + [point["position"] for point in points], height, width)
    screen = Screen(view.longitude, view.latitude, view.zoom, width, height)
    named = points if len(points) <= MAX_POINT_LABELS else []
    point_labels, placed_area_labels = place_labels(named, area_labels, screen, LABEL_GAP * scale)
    layers += [_text_layer("area-labels", placed_area_labels), _text_layer("checkpoint-labels", point_labels)]
    style = settings.MAP_STYLE.value()
    deck = pdk.Deck(
        layers=layers,
        initial_view_state=view,
        map_provider=None,
        tooltip=_tooltip(),
        **({"map_style": style} if style else {}),
    )
    return deck, unplaced, notes


def checkpoint_map(rows: list[dict]) -> None:
    """The checkpoint map of the checkpoints page, with the unplaced checkpoints listed beside it."""
    deck, unplaced, notes = checkpoint_deck(rows)
    map_column, list_column = st.columns([4, 1])
    with map_column:
        st.pydeck_chart(deck, height=MAP_HEIGHT, alt=t("checkpoints.page.map_alt"))
        st.caption(t("checkpoints.page.map_legend"))
        for note in notes:
            st.caption(f":red[{note}]")
    with list_column:
        st.markdown(f"**{t('checkpoints.page.no_position_title')}**")
        if unplaced:
            st.markdown("\n".join(f"- {plain(name)}" for name in unplaced))
            st.caption(t("checkpoints.page.no_position_hint"))
        else:
            st.caption(t("checkpoints.page.no_position_none"))


# Master data (admin) --------------------------------------------------------------------------------------------


def store_master(form_name: str, message: str, operation: Callable[..., object], *args: object) -> None:
    """One master-data write; once stored, rerun and say what changed."""
    store(form_name, operation, *args, said=message, slot="checkpoint-master")


def kind_choice(current: str | None = None) -> str:
    return st.selectbox(
        t("checkpoints.field.kind"),
        KINDS,
        format_func=lambda code: t(f"checkpoints.code.{code}"),
        index=KINDS.index(current) if current in KINDS else 0,
    )


def position_inputs(latitude: float | None = None, longitude: float | None = None) -> tuple[float | None, ...]:
    left, right = st.columns(2)
    return (
        left.number_input(
            t("checkpoints.field.latitude"), value=latitude, min_value=-90.0, max_value=90.0, step=0.0001, format="%.6f"
        ),
        right.number_input(
            t("checkpoints.field.longitude"),
            value=longitude,
            min_value=-180.0,
            max_value=180.0,
            step=0.0001,
            format="%.6f",
        ),
    )


def add_checkpoint_form() -> None:
    with entry_form("checkpoint-add"):
        name = st.text_input(t("checkpoints.field.name"))
        grid = st.text_input(t("checkpoints.field.grid"))
        kind = kind_choice()
        latitude, longitude = position_inputs()
        st.caption(t("checkpoints.page.position_hint"))
        submitted = st.form_submit_button(t("checkpoints.page.add"), type="primary")
    if submitted:
        store_master(
            "checkpoint-add",
            t("checkpoints.page.added", name=plain(name)),
            add_checkpoint,
            {"name": name, "grid": grid, "kind": kind, "latitude": latitude, "longitude": longitude},
        )


def edit_checkpoint_forms(rows: list[dict]) -> None:
    """Rename, change kind, open/close, move: each its own small form, since each is its own audited write."""
    by_id = {row["id"]: row for row in rows}
    chosen = st.selectbox(
        t("checkpoints.field.checkpoint"),
        list(by_id),
        key="checkpoints:master_choice",
        format_func=lambda number: (
            by_id[number]["name"] + ("" if by_id[number]["active"] else t("checkpoints.page.closed_suffix"))
        ),
    )
    row = by_id[chosen]
    left, right = st.columns(2)
    with left, entry_form(f"checkpoint-rename-{chosen}"):
        new_name = st.text_input(t("checkpoints.page.new_name"), value=row["name"])
        if st.form_submit_button(t("checkpoints.page.rename")):
            store_master(
                f"checkpoint-rename-{chosen}",
                t("checkpoints.page.renamed", old=plain(row["name"]), new=plain(new_name)),
                rename_checkpoint,
                chosen,
                new_name,
            )
    with right, entry_form(f"checkpoint-kind-{chosen}"):
        kind = kind_choice(row["kind"])
        if st.form_submit_button(t("checkpoints.page.change_kind")):
            store_master(
                f"checkpoint-kind-{chosen}",
                t("checkpoints.page.changed", name=plain(row["name"])),
                set_checkpoint_kind,
                chosen,
                kind,
            )
    with left, entry_form(f"checkpoint-place-{chosen}"):
        grid = st.text_input(t("checkpoints.field.grid"), value=row["grid"])
        latitude, longitude = position_inputs(row["latitude"], row["longitude"])
        if st.form_submit_button(t("checkpoints.page.move")):
            store_master(
                f"checkpoint-place-{chosen}",
                t("checkpoints.page.changed", name=plain(row["name"])),
                set_checkpoint_location,
                chosen,
                grid,
                latitude,
                longitude,
            )
    with right, entry_form(f"checkpoint-active-{chosen}"):
        st.markdown(t("checkpoints.page.is_open" if row["active"] else "checkpoints.page.is_closed"))
        if st.form_submit_button(t("checkpoints.page.close" if row["active"] else "checkpoints.page.open")):
            message = "checkpoints.page.closed" if row["active"] else "checkpoints.page.opened"
            store_master(
                f"checkpoint-active-{chosen}",
                t(message, name=plain(row["name"])),
                set_checkpoint_active,
                chosen,
                not row["active"],
            )


def master_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("checkpoints.field.name"): [row["name"] for row in rows],
            t("checkpoints.field.grid"): [row["grid"] for row in rows],
            t("checkpoints.field.kind"): [t(f"checkpoints.code.{row['kind']}") for row in rows],
            t("checkpoints.field.latitude"): [row["latitude"] for row in rows],
            t("checkpoints.field.longitude"): [row["longitude"] for row in rows],
            t("checkpoints.field.active"): [bool(row["active"]) for row in rows],
        }
    )


def master_data_tab() -> None:
    rows = read(list_checkpoints, True)
    show_saved("checkpoint-master")
    add_tab, edit_tab, list_tab = st.tabs(
        [t("checkpoints.page.add"), t("checkpoints.page.edit"), t("checkpoints.page.all_checkpoints")]
    )
    with add_tab:
        add_checkpoint_form()
    with edit_tab:
        if rows:
            edit_checkpoint_forms(rows)
    with list_tab:
        st.dataframe(master_frame(rows), hide_index=True, width="stretch")
