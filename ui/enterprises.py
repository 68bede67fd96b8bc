"""What the reopening page's entry parts share: who may enter, the words for codes and the entry forms.

Every form writes through :func:`ui.forms.save`, so a refusal names the field
in the user's language and stores nothing. After a save the script reruns, so
the figures at the top of the page already include the new entry; the saved
message survives the rerun in the session and is shown once, under the form
it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from zipfile import BadZipFile

import streamlit as st
from openpyxl.utils.exceptions import InvalidFileException

from data_layer import clock
from data_layer.enterprises import (
    CONDITIONS,
    KINDS,
    REASONS,
    STATUSES,
    STATUSES_WITH_REASON,
    TRANSFER_KINDS,
    TRANSITIONS,
    add_enterprise,
    add_inspection,
    change_status,
    close_rectification,
    record_conditions,
)
from data_layer.errors import CommandPostError, ImportRejected
from data_layer.i18n import format_day, format_number
from data_layer.markdown import plain
from data_layer.transfer import IMPORT_FILE_TYPES, import_file
from ui.forms import entry_form, save, store
from ui.messages import refusal_lines, remember_saved, show_saved
from ui.progress import progress_bar
from ui.session import actor, engine, language, t

UPLOAD_ROUND_KEY = "enterprises:upload_round"
INSPECTION_CHOICE_KEY = "enterprises:inspection:{enterprise}"
DEFAULT_DEADLINE_DAYS = 7
MAX_FINDINGS = 10
IMPORT_KIND = TRANSFER_KINDS[0]


# Who may do what, and words ---------------------------------------------------------------------------------------


def code(value: str | None) -> str:
    """The label of a kind, status, reason or condition code; a dash for none."""
    return t(f"enterprises.code.{value}") if value else "—"


def code_labels(values: Iterable[str | None]) -> dict[str | None, str]:
    """Each code with its label, for a choice's ``format_func``.

    The labels are worked out while the page runs, in its language, so that
    formatting an option later never depends on the session's language.
    """
    return {value: code(value) for value in values}


def codes_text(values: Sequence[str]) -> str:
    """Several codes' labels in a row, separated as the language writes a list."""
    return t("enterprises.page.separator").join(code(value) for value in values)


def field(name: str) -> str:
    return t(f"enterprises.field.{name}")


def day_text(day: date | None) -> str:
    return format_day(day, language()) if day else "—"


# Status -------------------------------------------------------------------------------------------------------


def status_change_form(enterprise: Mapping[str, object], current: str) -> None:
    """A status change of one enterprise to a status its current one may move to, with date, reason and note.

    Reopening is refused by the data layer, listing the missing conditions,
    until the checklist is complete; nothing is stored then.
    """
    slot = f"enterprise-status-{enterprise['id']}"
    allowed = TRANSITIONS[current]
    if not allowed:
        st.caption(t("enterprises.page.closed_for_good"))
        show_saved(slot)
        return
    with entry_form(slot):
        status = st.selectbox(t("enterprises.page.new_status"), allowed, format_func=code_labels(allowed).__getitem__)
        effective = st.date_input(field("status_date"), value=clock.today(), max_value=clock.today())
        reason = st.selectbox(field("reason"), (None, *REASONS), format_func=code_labels((None, *REASONS)).__getitem__)
        st.caption(t("enterprises.page.reason_hint", statuses=codes_text(STATUSES_WITH_REASON)))
        note = st.text_input(field("note"))
        submitted = st.form_submit_button(t("enterprises.page.save_status"), type="primary", width="stretch")
    if submitted:
        store(
            slot,
            change_status,
            enterprise["id"],
            status,
            effective,
            reason,
            note or None,
            said=t(
                "enterprises.page.status_saved",
                name=plain(enterprise["name"]),
                status=code(status),
                date=day_text(effective),
            ),
        )
    show_saved(slot)


# Conditions ---------------------------------------------------------------------------------------------------


def conditions_form(enterprise: Mapping[str, object], checklist: Mapping[str, Mapping | None]) -> None:
    """One check of all seven conditions, each ticked as it was last found; stores a row per condition."""
    slot = f"enterprise-conditions-{enterprise['id']}"
    with entry_form(slot):
        results = {
            condition: st.checkbox(code(condition), value=bool((found := checklist[condition]) and found["met"]))
            for condition in CONDITIONS
        }
        checked_on = st.date_input(field("checked_on"), value=clock.today(), max_value=clock.today())
        checked_by = st.text_input(field("checked_by"), value=actor().username)
        submitted = st.form_submit_button(t("enterprises.page.save_conditions"), type="primary", width="stretch")
    if submitted:
        met = sum(results.values())
        store(
            slot,
            record_conditions,
            enterprise["id"],
            results,
            checked_on,
            checked_by,
            said=t("enterprises.page.conditions_saved", name=plain(enterprise["name"]), met=met, total=len(CONDITIONS)),
        )
    show_saved(slot)


# Inspections and rectification items --------------------------------------------------------------------------


def inspection_form(enterprise: Mapping[str, object]) -> None:
    """An inspection of one enterprise: date, inspector, and each finding with its deadline.

    The number of findings is chosen above the form (a form cannot grow while
    it is being filled in); each finding opens one rectification item.
    """
    slot = f"enterprise-inspection-{enterprise['id']}"
    count = st.number_input(
        t("enterprises.page.finding_count"),
        min_value=0,
        max_value=MAX_FINDINGS,
        value=1,
        step=1,
        key=f"enterprises:finding_count:{enterprise['id']}",
    )
    with entry_form(slot):
        day = st.date_input(field("date"), value=clock.today(), max_value=clock.today())
        inspector = st.text_input(field("inspector"))
        findings = []
        for number in range(1, int(count) + 1):
            item = st.text_input(t("enterprises.page.finding_item", number=number))
            deadline = st.date_input(
                t("enterprises.page.finding_deadline", number=number),
                value=clock.today() + timedelta(days=DEFAULT_DEADLINE_DAYS),
            )
            findings.append({"item": item, "deadline": deadline})
        submitted = st.form_submit_button(t("enterprises.page.save_inspection"), type="primary", width="stretch")
    if submitted:

        def choose_and_say(inspection_id: int) -> None:
            """The new inspection is the one whose items the form below shows."""
            st.session_state[INSPECTION_CHOICE_KEY.format(enterprise=enterprise["id"])] = inspection_id
            remember_saved(
                slot, t("enterprises.page.inspection_saved", name=plain(enterprise["name"]), count=len(findings))
            )

        if save(slot, add_inspection, enterprise["id"], day, inspector, findings, then=choose_and_say) is not None:
            st.rerun()
    show_saved(slot)


def _item_choice(item: Mapping[str, Any]) -> str:
    return t(
        "enterprises.page.item_choice",
        id=item["id"],
        enterprise=item["enterprise"],
        item=item["item"],
        deadline=day_text(item["deadline"]),
    )


def close_item_form(open_items: Sequence[Mapping[str, object]]) -> None:
    """Close one open rectification item once its fix was verified: date and verifier."""
    slot = "enterprise-close-item"
    if not open_items:
        st.caption(t("enterprises.page.no_open_items"))
        show_saved(slot)
        return
    by_id = {item["id"]: item for item in open_items}
    with entry_form(slot):
        choices = {number: _item_choice(item) for number, item in by_id.items()}
        item_id = st.selectbox(field("rectification"), list(by_id), format_func=choices.__getitem__)
        closed_on = st.date_input(field("closed_on"), value=clock.today(), max_value=clock.today())
        verifier = st.text_input(field("verified_by"))
        note = st.text_input(field("note"))
        submitted = st.form_submit_button(t("enterprises.page.close_item"), type="primary", width="stretch")
    if submitted:
        store(
            slot,
            close_rectification,
            item_id,
            closed_on,
            verifier,
            note or None,
            said=t(
                "enterprises.page.item_closed",
                item=plain(by_id[item_id]["item"]),
                enterprise=plain(by_id[item_id]["enterprise"]),
                date=day_text(closed_on),
            ),
        )
    show_saved(slot)


# Registration and import --------------------------------------------------------------------------------------


def register_form() -> None:
    """Register one enterprise or shop with the status it has now (taken over from a paper ledger)."""
    slot = "enterprise-register"
    with entry_form(slot):
        name = st.text_input(field("name"))
        kind = st.selectbox(field("kind"), KINDS, format_func=code_labels(KINDS).__getitem__)
        sector = st.text_input(field("sector"))
        grid = st.text_input(field("grid"))
        address = st.text_input(field("address"))
        employees = st.number_input(field("employees"), min_value=0, step=1, value=None)
        contact = st.text_input(field("contact"))
        status = st.selectbox(field("status"), STATUSES, format_func=code_labels(STATUSES).__getitem__)
        status_date = st.date_input(field("status_date"), value=clock.today(), max_value=clock.today())
        reason = st.selectbox(field("reason"), (None, *REASONS), format_func=code_labels((None, *REASONS)).__getitem__)
        submitted = st.form_submit_button(t("enterprises.page.register"), type="primary", width="stretch")
    if submitted:
        store(
            slot,
            add_enterprise,
            {
                "name": name,
                "kind": kind,
                "sector": sector,
                "grid": grid,
                "address": address or None,
                "employees": employees,
                "contact": contact or None,
                "status": status,
                "status_date": status_date,
                "reason": reason,
            },
            said=t("enterprises.page.registered", name=plain(name), status=code(status)),
        )
    show_saved(slot)


def import_columns_text() -> str:
    """The columns an import file needs, as the clerk's Excel may head them (Chinese) or in English."""
    return t(
        "enterprises.page.import_columns",
        chinese="、".join(column.chinese for column in IMPORT_KIND.columns),
        english=", ".join(column.name for column in IMPORT_KIND.columns),
    )


def _refusal_text(refusal: CommandPostError) -> str:
    if isinstance(refusal, ImportRejected):
        rows = len({error.row for error in refusal.row_errors})
        heading = t("enterprises.page.import_refused", rows=format_number(rows, language()))
    else:
        heading = t("enterprises.page.import_not_allowed")
    return "\n\n".join([heading, *refusal_lines(refusal)])


def import_section() -> None:
    """Bulk registration from the community's Excel (or CSV) ledger, all or nothing.

    A refused file stores nothing; every bad row is listed with its row
    number, column and reason. A stored file reruns the page with the number
    of rows imported, and the uploader starts empty again.
    """
    slot = "enterprise-import"
    st.caption(import_columns_text())
    upload_round = st.session_state.get(UPLOAD_ROUND_KEY, 0)
    upload = st.file_uploader(
        t("enterprises.page.import_file"), type=list(IMPORT_FILE_TYPES), key=f"enterprises:upload:{upload_round}"
    )
    tapped = st.button(t("enterprises.page.import_button"), type="primary", disabled=upload is None, width="stretch")
    if tapped and upload is not None:
        try:
            with progress_bar(t("admin.import.running", file=plain(upload.name))) as progress:
                count = import_file(
                    engine(), actor(), IMPORT_KIND.name, upload.getvalue(), upload.name, progress=progress
                )
        except CommandPostError as refusal:
            st.error(_refusal_text(refusal))
        except (BadZipFile, InvalidFileException, UnicodeDecodeError):
            st.error(t("enterprises.page.import_unreadable", name=plain(upload.name)))
        else:
            st.session_state[UPLOAD_ROUND_KEY] = upload_round + 1
            remember_saved(
                slot, t("enterprises.page.imported", count=format_number(count, language()), name=plain(upload.name))
            )
            st.rerun()
    show_saved(slot)
