"""Quarantine (隔离管控): the figures of a report date, what needs action, the register, entry and notices.

Personal data follows the role (design §8): leaders see names with ID and
phone numbers masked and no entry form; clerks who are not assigned to
quarantine see the totals only. The tabs run lazily, so a visit costs only
the tab that is open.
"""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from data_layer import clock, notices, quarantine, settings
from data_layer.i18n import format_number
from data_layer.markdown import plain
from data_layer.permissions import may_view, may_write, unit_limit, works_on_today
from ui.charts import draw_chart, once_per_version
from ui.colours import QUARANTINE_MODE_COLOURS
from ui.forms import current_token, entry_form, repeats_last_save, save
from ui.messages import content_alert
from ui.navigation import guard
from ui.progress import progress_bar
from ui.quarantine import (
    BEDS_TABLE_COLUMNS,
    NOTICE_IDS_KEY,
    beds_outlook_grid,
    beds_outlook_rows,
    day_text,
    deferred,
    flashing,
    followup_changes,
    followup_frame,
    label,
    pending_flash,
    person_label,
    show_table,
    table,
)
from ui.session import actor, language, read, t

guard("quarantine")

LIST_COLUMNS = ("name", "phone", "grid", "mode", "site", "start_date", "planned_end")
REGISTER_COLUMNS = (
    "name",
    "id_number",
    "phone",
    "grid",
    "mode",
    "site",
    "start_date",
    "planned_end",
    "status",
    "end_date",
    "origin_category",
    "origin",
)
HISTORY_COLUMNS = ("kind", "old_planned_end", "new_planned_end", "end_date", "reason", "changed_by", "changed_at")
FOLLOWUP_COLUMNS = (
    "name",
    "grid",
    "site",
    "AM_temperature",
    "AM_symptoms",
    "PM_temperature",
    "PM_symptoms",
    "symptom_text",
)
REGISTER_LIMIT = 200
ACTION_LIMIT = 200
CHANGE_CHOICES = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ENDINGS = {
    "release": quarantine.release,
    "transfer": quarantine.transfer_to_hospital,
    "end_other": quarantine.end_other,
}


# --- situation -----------------------------------------------------------------------------------------------------


def metric(title: str, now: int, before: int, *, rise_is_bad: bool = False) -> None:
    change = now - before
    st.metric(
        title,
        format_number(now, language()),
        delta=format_number(change, language()) if change else None,
        delta_color="inverse" if rise_is_bad else "off",
        border=True,
        width="stretch",
    )


def figures_section(day: date) -> None:
    """The §4.2 figures of ``day`` with their change against the day before."""
    today = read(quarantine.figures, day)
    before = read(quarantine.figures, day - timedelta(days=1))
    st.caption(t("quarantine.page.as_of", date=day_text(day)))
    tiles = [(t("quarantine.figure.current"), today["current"]["total"], before["current"]["total"], True)]
    tiles += [(label(mode), today["current"][mode], before["current"][mode], True) for mode in quarantine.MODES]
    tiles += [
        (t(f"quarantine.figure.{name}"), today[name], before[name], bad)
        for name, bad in (
            ("admitted", False),
            ("released", False),
            ("due_next_3_days", False),
            ("overdue", True),
            ("followups_missing", True),
            ("fever_in_quarantine", True),
        )
    ]
    for start in (0, 5):
        with st.container(horizontal=True):
            for title, now, then, bad in tiles[start : start + 5]:
                metric(title, now, then, rise_is_bad=bad)


def alerts_section(day: date, lists: dict[str, quarantine.ListHead] | None) -> None:
    """Fever readings, full sites and overdue releases, drawn as content lines."""
    occupancy = read(quarantine.site_occupancy, day)
    full = [site for site in occupancy if site["occupied"] >= site["capacity"]]
    fever = lists["fever_in_quarantine"]["rows"] if lists else []
    overdue = read(quarantine.figures, day)["overdue"]
    for reading in fever:
        content_alert(
            t(
                "quarantine.page.fever_alert",
                name=plain(reading["name"]),
                grid=plain(reading["grid"]),
                slot=label(reading["slot"]),
                temperature=format_number(reading["temperature"], language(), 1),
            )
        )
    for site in full:
        content_alert(
            t(
                "quarantine.page.site_full_alert",
                site=plain(site["name"]),
                occupied=site["occupied"],
                capacity=site["capacity"],
            )
        )
    if overdue:
        content_alert(t("quarantine.page.overdue_alert", count=overdue))
    if not (fever or full or overdue):
        st.markdown(f":green-background[✓ {t('quarantine.page.no_alerts')}]")


def action_lists_section(day: date, lists: dict[str, quarantine.ListHead]) -> None:
    """The four lists that need action, one tab each (the first :data:`ACTION_LIMIT` of each, with the count of
    all), with the bulk release under them."""
    st.subheader(t("quarantine.page.actions"))
    extra = {"followups_missing": ("followups",), "fever_in_quarantine": ("slot", "temperature")}
    names = ("overdue", "due_next_3_days", "followups_missing", "fever_in_quarantine")
    tabs = st.tabs(
        [
            t(
                "quarantine.page.with_count",
                label=t(f"quarantine.figure.{name}"),
                count=format_number(lists[name]["total"], language()),
            )
            for name in names
        ]
    )
    for tab, name in zip(tabs, names, strict=True):
        with tab:
            show_table(lists[name]["rows"], (*LIST_COLUMNS, *extra.get(name, ())))
            if lists[name]["total"] > len(lists[name]["rows"]):
                st.caption(t("pages_perf.first_rows", shown=len(lists[name]["rows"]), total=lists[name]["total"]))
    if may_write(actor(), quarantine.DOMAIN):
        overdue = lists["overdue"]["rows"]
        bulk_release_form(day, overdue + lists["due_next_3_days"]["rows"], overdue)


def bulk_release_form(day: date, candidates: list[dict], overdue: list[dict]) -> None:
    """Release several people of the due lists on one date: all of them or, on any refusal, none."""
    if not candidates:
        return
    names = {
        row["episode_id"]: t(
            "quarantine.page.candidate", name=row["name"], grid=row["grid"], end=day_text(row["planned_end"])
        )
        for row in candidates
    }
    with st.expander(t("quarantine.page.bulk_release")), entry_form("quarantine_bulk_release") as token:
        chosen = st.multiselect(
            t("quarantine.page.bulk_people"),
            list(names),
            format_func=names.get,
            default=[row["episode_id"] for row in overdue],
            key=f"bulk_people-{token}",
        )
        end = st.date_input(t("quarantine.field.end_date"), value=day, max_value=clock.today(), key=f"bulk_end-{token}")
        reason = st.text_input(t("quarantine.field.reason"), key=f"bulk_reason-{token}")
        submitted = st.form_submit_button(t("quarantine.page.bulk_submit"), type="primary", width="stretch")
    if not submitted:
        return
    if not chosen:
        st.info(t("quarantine.page.bulk_none"))
        return
    with progress_bar(t("quarantine.page.bulk_progress", count=len(chosen))) as progress:
        released = save(
            "quarantine_bulk_release",
            quarantine.release_many,
            chosen,
            end,
            reason or None,
            progress=progress,
            then=flashing(lambda count: t("quarantine.page.released_count", count=count), notice_ids=chosen),
        )
    if released is not None:
        st.rerun()


def occupancy_section(day: date) -> None:
    st.subheader(t("quarantine.figure.occupancy"))
    occupancy = read(quarantine.site_occupancy, day)
    if not occupancy:
        st.caption(t("quarantine.page.no_sites"))
        return
    frame = table(occupancy, ("name", "occupied", "capacity", "free", "rate", "last_entry_at"))
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            t("quarantine.field.name"): st.column_config.TextColumn(t("quarantine.field.site")),
            t("quarantine.field.rate"): st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
        },
    )


BED_ROW_PX = 40
BED_GRID_FRAME_PX = 140
"""The beds grid's height on the page: a row per site, and what its title, day labels and legend take, which a
chart stretched to the page's width counts in its height."""


def beds_outlook_section(day: date) -> None:
    """Each active centralized site's beds on each of the next 7 days: the free beds at a glance, then the
    figures they come from (expected occupied, planned releases, expected admissions)."""
    title = t("quarantine.figure.beds_outlook", days=quarantine.BEDS_OUTLOOK_DAYS)
    st.subheader(title)
    outlook = read(quarantine.beds_outlook, day)
    if not outlook:
        st.caption(t("quarantine.page.no_sites"))
        return
    st.caption(
        t(
            "quarantine.page.beds_outlook_note",
            window=settings.ADMISSIONS_DAYS.value(),
            within=quarantine.FULL_WITHIN_DAYS,
        )
    )
    height = BED_ROW_PX * len(outlook) + BED_GRID_FRAME_PX
    grid = beds_outlook_grid(outlook, t("quarantine.page.beds_outlook_free"), height)
    draw_chart(grid, width="stretch")
    st.dataframe(table(beds_outlook_rows(outlook), BEDS_TABLE_COLUMNS), hide_index=True, width="stretch")


def trend_section(day: date) -> None:
    """Episodes current on each of the 30 days up to ``day``, stacked by mode."""
    st.subheader(t("quarantine.page.trend"))
    draw_chart(trend_spec(day), width="stretch")


@once_per_version
def trend_spec(day: date) -> alt.Chart:
    """The chart of :func:`trend_section`."""
    days = read(quarantine.daily_current, day, 30)
    frame = pd.DataFrame(
        [{"day": row["day"], "mode": label(mode), "count": row[mode]} for row in days for mode in quarantine.MODES]
    )
    return (
        alt.Chart(frame)
        .mark_area(opacity=0.85)
        .encode(
            x=alt.X("day:T", title=t("quarantine.page.chart.day"), axis=alt.Axis(format="%m-%d")),
            y=alt.Y("count:Q", stack=True, title=t("quarantine.page.chart.people")),
            color=alt.Color(
                "mode:N",
                title=t("quarantine.field.mode"),
                sort=[label(mode) for mode in quarantine.MODES],
                scale=alt.Scale(
                    domain=[label(mode) for mode in quarantine.MODES],
                    range=[QUARANTINE_MODE_COLOURS[mode] for mode in quarantine.MODES],
                ),
            ),
            tooltip=[
                alt.Tooltip("day:T", title=t("quarantine.page.chart.day"), format="%Y-%m-%d"),
                alt.Tooltip("mode:N", title=t("quarantine.field.mode")),
                alt.Tooltip("count:Q", title=t("quarantine.page.chart.people")),
            ],
        )
    )


def situation_tab(day: date) -> None:
    figures_section(day)
    shows_people = may_view(actor(), quarantine.DOMAIN)
    lists = read(quarantine.action_list_heads, day, actor(), ACTION_LIMIT) if shows_people else None
    alerts_section(day, lists)
    if lists is not None:
        action_lists_section(day, lists)
    occupancy_section(day)
    beds_outlook_section(day)
    trend_section(day)


# --- register ------------------------------------------------------------------------------------------------------


def register_tab(day: date) -> None:
    """The searchable register, numbers masked for roles that may not see them, and its Excel exports."""
    user = actor()
    search = st.text_input(t("quarantine.page.search"), key="quarantine_search")
    include_ended = st.toggle(t("quarantine.page.include_ended"), key="quarantine_include_ended")
    current_only = not include_ended
    rows = read(quarantine.register_rows, day, search, REGISTER_LIMIT, user, current_only)
    total = read(quarantine.register_count, day, search, user, current_only)
    st.caption(t("quarantine.page.register_shown", shown=len(rows), total=total))
    show_table(rows, REGISTER_COLUMNS)
    stamp = day.isoformat()
    st.download_button(
        t("quarantine.page.export_register"),
        file_name=t("quarantine.page.file.register", date=stamp),
        data=deferred(quarantine.register_workbook, day, search, user, language(), current_only),
        mime=XLSX,
        width="stretch",
        icon="📥",
        on_click="ignore",
    )
    per_person = st.checkbox(t("quarantine.page.per_person"), key="quarantine_per_person")
    st.download_button(
        t("quarantine.page.export_followups"),
        help=t("quarantine.page.export_followups_help"),
        file_name=t("quarantine.page.file.followups", date=stamp),
        data=deferred(quarantine.followups_workbook, day, search, user, language(), per_person),
        mime=XLSX,
        width="stretch",
        icon="📥",
        on_click="ignore",
    )


# --- registration and changes --------------------------------------------------------------------------------------


def site_choices(day: date) -> dict[int | None, str]:
    """The active sites the user may admit to, with their free places on ``day``; ``None`` is no site."""
    limit = unit_limit(actor(), quarantine.DOMAIN)
    free = {site["site_id"]: site for site in read(quarantine.site_occupancy, day)}
    choices: dict[int | None, str] = {None: t("quarantine.page.no_site")}
    for site in read(quarantine.list_sites):
        if limit is None or site["id"] in limit:
            occupancy = free.get(site["id"], {"free": site["capacity"]})
            choices[site["id"]] = t(
                "quarantine.page.site_option", site=site["name"], free=occupancy["free"], capacity=site["capacity"]
            )
    return choices


def register_form(day: date) -> None:
    """Person and episode in one go. Plain widgets rather than a ``st.form``, so that the planned days follow
    the origin category and the planned end is shown as the clerk types; the keys carry the form's token, so
    the fields are empty again after a save."""
    st.subheader(t("quarantine.page.register_heading"))
    token = current_token("quarantine_register")
    with st.container(border=True):
        values = {
            field: st.text_input(t(f"quarantine.field.{field}"), key=f"register_{field}-{token}")
            for field in ("name", "id_number", "phone", "grid", "address", "origin")
        }
        categories = {code: label(code) for code in quarantine.origin_categories()}
        category = st.selectbox(
            t("quarantine.field.origin_category"),
            list(categories),
            format_func=categories.get,
            key=f"register_category-{token}",
        )
        modes = {code: label(code) for code in quarantine.MODES}
        mode = st.selectbox(
            t("quarantine.field.mode"), list(modes), format_func=modes.get, key=f"register_mode-{token}"
        )
        sites = site_choices(day)
        site = st.selectbox(
            t("quarantine.field.site"),
            list(sites),
            format_func=sites.get,
            disabled=mode != "centralized",
            key=f"register_site-{token}",
        )
        start = st.date_input(
            t("quarantine.field.start_date"), value=day, max_value=clock.today(), key=f"register_start-{token}"
        )
        planned_days = st.number_input(
            t("quarantine.field.planned_days"),
            min_value=1,
            max_value=quarantine.MAX_PLANNED_DAYS,
            value=quarantine.planned_days_for(category),
            key=f"register_days-{token}-{category}",
        )
        st.markdown(f"**{t('quarantine.page.planned_end_is', date=day_text(start + timedelta(days=planned_days)))}**")
        reason = st.text_input(t("quarantine.field.reason"), key=f"register_reason-{token}")
        submitted = st.button(
            t("quarantine.page.register_submit"), type="primary", width="stretch", key=f"register_submit-{token}"
        )
    if not submitted:
        return
    episode_id = save(
        "quarantine_register",
        quarantine.register,
        {
            **values,
            "origin_category": category,
            "mode": mode,
            "site": site if mode == "centralized" else None,
            "start_date": start,
            "planned_days": planned_days,
            "reason": reason or None,
        },
        then=flashing(
            lambda _episode_id: t(
                "quarantine.page.registered",
                name=plain(values["name"]),
                date=day_text(start + timedelta(days=planned_days)),
            )
        ),
    )
    if episode_id is not None:
        st.rerun()


def change_form(day: date) -> None:
    """Extend or shorten, release, transfer to hospital or end a current quarantine; its history below."""
    user = actor()
    st.subheader(t("quarantine.page.change_heading"))
    search = st.text_input(t("quarantine.page.find_person"), key="quarantine_change_search")
    candidates = {
        row["episode_id"]: row for row in read(quarantine.register_rows, day, search, CHANGE_CHOICES, user, True)
    }
    if not candidates:
        st.caption(t("quarantine.page.no_match"))
        return
    names = {key: person_label(row) for key, row in candidates.items()}
    episode_id = st.selectbox(
        t("quarantine.page.person"), list(names), format_func=names.get, key="quarantine_change_person"
    )
    episode = candidates[episode_id]
    st.caption(
        t(
            "quarantine.page.current_episode",
            mode=label(episode["mode"]),
            start=day_text(episode["start_date"]),
            end=day_text(episode["planned_end"]),
        )
    )
    actions = {"change_end": t("quarantine.page.action.change_end"), **{code: label(code) for code in ENDINGS}}
    action = (
        st.segmented_control(
            t("quarantine.page.action"),
            list(actions),
            default="change_end",
            format_func=actions.get,
            key="quarantine_change_action",
        )
        or "change_end"
    )
    with entry_form("quarantine_change") as token:
        if action == "change_end":
            when = st.date_input(t("quarantine.field.new_end"), value=episode["planned_end"], key=f"change_end-{token}")
        else:
            when = st.date_input(
                t("quarantine.field.end_date"), value=day, max_value=clock.today(), key=f"change_when-{token}"
            )
        reason = st.text_input(t("quarantine.field.reason"), key=f"change_reason-{token}")
        submitted = st.form_submit_button(t("quarantine.page.change_submit"), type="primary", width="stretch")
    if submitted:
        changed = flashing(
            lambda _result: t("quarantine.page.changed", name=plain(episode["name"]), what=actions[action]),
            notice_ids=[episode_id] if action == "release" else (),
        )
        if action == "change_end":
            done = save(
                "quarantine_change",
                quarantine.change_planned_end,
                episode_id,
                reason or None,
                new_end=when,
                then=changed,
            )
        else:
            done = save("quarantine_change", ENDINGS[action], episode_id, when, reason or None, then=changed)
        if done is not None:
            st.rerun()
    history = read(quarantine.episode_history, episode_id)
    st.markdown(f"**{t('quarantine.page.history')}**")
    if history:
        st.dataframe(table(history, HISTORY_COLUMNS), hide_index=True, width="stretch")
    else:
        st.caption(t("quarantine.page.no_history"))


# --- follow-up -----------------------------------------------------------------------------------------------------


def followup_scope(day: date) -> tuple[int | None, str | None]:
    """The site or grid whose follow-up grid is shown; a clerk limited to sites chooses among them."""
    limit = unit_limit(actor(), quarantine.DOMAIN)
    scopes = {
        code: t(f"quarantine.page.scope.{code}") for code in (("site",) if limit is not None else ("site", "grid"))
    }
    scope = (
        st.segmented_control(
            t("quarantine.page.followup_scope"),
            list(scopes),
            default="site",
            format_func=scopes.get,
            key="quarantine_followup_scope",
        )
        or "site"
    )
    if scope == "grid":
        grids = read(quarantine.current_grids, day, actor())
        grid = st.selectbox(t("quarantine.field.grid"), grids, key="quarantine_followup_grid")
        return None, grid
    sites = {
        site["site_id"]: site["name"]
        for site in read(quarantine.site_occupancy, day)
        if limit is None or site["site_id"] in limit
    }
    site = st.selectbox(t("quarantine.field.site"), list(sites), format_func=sites.get, key="quarantine_followup_site")
    return site, None


def followup_tab(day: date) -> None:
    """The day's follow-up grid of a site or grid, saved in one transaction."""
    site, grid = followup_scope(day)
    if site is None and grid is None:
        st.caption(t("quarantine.page.nobody_here"))
        return
    sheet = read(quarantine.followup_sheet, day, site, actor(), grid)
    if not sheet:
        st.caption(t("quarantine.page.nobody_here"))
        return
    st.caption(t("quarantine.page.followup_hint", date=day_text(day)))
    threshold = quarantine.fever_threshold()
    number = {
        "min_value": quarantine.MIN_TEMPERATURE,
        "max_value": quarantine.MAX_TEMPERATURE,
        "step": 0.1,
        "format": "%.1f",
    }
    with entry_form("quarantine_followups") as token:
        by = st.text_input(t("quarantine.field.by"), value=actor().username, key=f"followup_by-{token}")
        edited = st.data_editor(
            followup_frame(sheet),
            hide_index=True,
            width="stretch",
            key=f"followup_grid-{token}",
            disabled=("name", "grid", "site"),
            column_order=[column for column in FOLLOWUP_COLUMNS if column != ("site" if site is not None else "grid")],
            column_config={
                "name": st.column_config.TextColumn(t("quarantine.field.name"), pinned=True),
                "grid": st.column_config.TextColumn(t("quarantine.field.grid")),
                "site": st.column_config.TextColumn(t("quarantine.field.site")),
                "AM_temperature": st.column_config.NumberColumn(t("quarantine.page.col.AM_temperature"), **number),
                "AM_symptoms": st.column_config.CheckboxColumn(t("quarantine.page.col.AM_symptoms")),
                "PM_temperature": st.column_config.NumberColumn(t("quarantine.page.col.PM_temperature"), **number),
                "PM_symptoms": st.column_config.CheckboxColumn(t("quarantine.page.col.PM_symptoms")),
                "symptom_text": st.column_config.TextColumn(t("quarantine.field.symptom_text")),
            },
        )
        reason = st.text_input(t("quarantine.page.correction_reason"), key=f"followup_reason-{token}")
        submitted = st.form_submit_button(t("quarantine.page.followup_submit"), type="primary", width="stretch")
    for row in sheet:
        for slot in quarantine.SLOTS:
            if row[slot] and row[slot]["temperature"] >= threshold:
                content_alert(
                    t(
                        "quarantine.page.fever_alert",
                        name=plain(row["name"]),
                        grid=plain(row["grid"]),
                        slot=label(slot),
                        temperature=format_number(row[slot]["temperature"], language(), 1),
                    )
                )
    if not submitted:
        return
    changes = followup_changes(sheet, edited, day, by)
    if not changes.additions and not changes.corrections:
        if repeats_last_save("quarantine_followups"):
            return
        st.info(t("quarantine.page.nothing_to_save"))
        return
    stored = save(
        "quarantine_followups",
        quarantine.save_followup_grid,
        changes.additions,
        changes.corrections,
        reason or None,
        then=flashing(lambda count: t("quarantine.page.followups_saved", count=count)),
    )
    if stored is not None:
        st.rerun()


# --- release notices -----------------------------------------------------------------------------------------------


def download_notices(episode_ids: list[int], key: str) -> None:
    """A button that makes the release notices of ``episode_ids`` (one Word document) when pressed."""
    st.download_button(
        t("quarantine.page.download_notices"),
        data=deferred(notices.release_notices, episode_ids, actor()),
        file_name=t("quarantine.page.file.notices", date=clock.today().isoformat()),
        mime=DOCX,
        type="primary",
        width="stretch",
        icon="📄",
        on_click="ignore",
        key=key,
    )


def notices_tab(day: date) -> None:
    """Release notices (解除隔离医学观察通知书) of the people released on ``day``, as one Word document."""
    user = actor()
    st.subheader(t("quarantine.page.notices_heading", date=day_text(day)))
    released = {row["episode_id"]: row for row in read(quarantine.released_on, day, user)}
    if not released:
        st.caption(t("quarantine.page.nobody_released"))
    else:
        just_released = [key for key in st.session_state.get(NOTICE_IDS_KEY, ()) if key in released]
        names = {key: person_label(row) for key, row in released.items()}
        chosen = st.multiselect(
            t("quarantine.page.notice_people"),
            list(names),
            default=just_released or list(names),
            format_func=names.get,
            key="quarantine_notice_people",
        )
        if chosen:
            download_notices(chosen, key="quarantine_notices")
    st.caption(t("quarantine.page.notice_template", path=notices.template_path().name))


# --- the page ------------------------------------------------------------------------------------------------------


def report_date() -> date:
    """The report date: today by default, any past day; a clerk looks at today or, to catch up, yesterday."""
    today = clock.today()
    earliest = today - timedelta(days=1) if works_on_today(actor()) else None
    return st.date_input(
        t("quarantine.page.report_date"), value=today, min_value=earliest, max_value=today, key="quarantine_day"
    )


def show_flash() -> None:
    """The message of the save just made; after a release, the download of the release notices at once."""
    message = pending_flash()
    if message is None:
        return
    st.success(message["text"])
    if message["notice_ids"]:
        download_notices(message["notice_ids"], key="quarantine_flash_notices")


def entry_tab(day: date) -> None:
    register_form(day)
    st.divider()
    change_form(day)


st.title(t("quarantine.page.title"))
user = actor()
with st.columns([1, 2])[0]:
    day = report_date()
show_flash()
if not may_view(user, quarantine.DOMAIN):
    st.caption(t("quarantine.page.not_assigned"))
sections = [("situation", situation_tab)]
if may_view(user, quarantine.DOMAIN):
    sections.append(("register", register_tab))
if may_write(user, quarantine.DOMAIN):
    sections += [("entry", entry_tab), ("followup", followup_tab)]
if may_view(user, quarantine.DOMAIN):
    sections.append(("notices", notices_tab))
tabs = st.tabs([t(f"quarantine.page.tab.{name}") for name, _ in sections], key="quarantine_tab", on_change="rerun")
for tab, (_, render) in zip(tabs, sections, strict=True):
    if tab.open:
        with tab:
            render(day)
