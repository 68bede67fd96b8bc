"""Administration (系统管理): accounts, master data, import and export of every kind, backup, risk level,
the channels and rules of pushed messages.

Only the administrator sees this page; anyone else who opens it by its
address is refused before anything is drawn, and every write it makes is
refused again by the data layer for any other role (design §8). Long work
(imports, exports, the backup) shows a progress bar and ends with a summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from data_layer import checkpoints, clock, db, quarantine, situation, supplies, users
from data_layer.errors import CommandPostError, ImportRejected
from data_layer.i18n import format_number
from data_layer.markdown import plain
from data_layer.transfer import IMPORT_FILE_TYPES, export_file, import_ledger, transfer_kinds
from ui.checkpoints import master_data_tab
from ui.enterprises import register_form
from ui.forms import entry_form, store
from ui.messages import content_alert, refusal_text, show_saved
from ui.navigation import guard
from ui.notify import notify_tab
from ui.progress import keep_file, made_file, offer_file, progress_bar, show_summary
from ui.quarantine import site_master
from ui.session import actor, engine, language, note_data_version, read, t
from ui.supplies import items_view

guard("admin")

USERS_SLOT = "admin-users"
UPLOAD_ROUND_KEY = "admin:upload_round"
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}


def unit_choices(domain: str) -> dict[int, str]:
    """The units a clerk can be limited to in ``domain``, id → name. Enterprises (thousands in a district)
    are assigned as a whole domain only."""
    lists = {
        "checkpoints": checkpoints.list_checkpoints,
        "quarantine": quarantine.list_sites,
        "supplies": supplies.list_items,
    }
    if domain not in lists:
        return {}
    return {row["id"]: row["name"] for row in read(lists[domain], True)}


def role_label(role: str) -> str:
    return t(f"role.{role}")


def domain_label(domain: str) -> str:
    return t(f"admin.domain.{domain}")


# Accounts ---------------------------------------------------------------------------------------------------------


def locked_text(locked: Mapping[str, Any] | None) -> str:
    if locked is None:
        return ""
    return t(
        "admin.users.locked_until",
        until=locked["locked_until"].strftime("%H:%M:%S"),
        failures=locked["failures"],
        sources=locked_sources_text(locked),
    )


def locked_sources_text(locked: Mapping[str, Any]) -> str:
    """Whom a lock keeps out: everyone, or the addresses that failed too often (``None`` is the server itself)."""
    if locked["everywhere"]:
        return t("admin.users.locked_everywhere")
    addresses = [source or t("admin.users.source_server") for source in locked["sources"]]
    return t("admin.users.locked_sources", sources=", ".join(addresses))


def assignments_text(assignments: Sequence[str]) -> str:
    """A clerk's assignments as people read them: ``checkpoints:3`` is 卡口 #3, ``supplies`` is 物资."""
    shown = []
    for assignment in assignments:
        domain, _, unit = assignment.partition(":")
        shown.append(f"{domain_label(domain)} #{unit}" if unit else domain_label(domain))
    if not shown:
        return "—"
    return ("、" if language() == "zh_CN" else ", ").join(shown)


def accounts_frame(accounts: Sequence[Mapping[str, Any]], locked: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("users.field.username"): [account["username"] for account in accounts],
            t("admin.users.display_name"): [account["display_name"] or "" for account in accounts],
            t("users.field.role"): [role_label(account["role"]) for account in accounts],
            t("users.field.assignments"): [assignments_text(account["assignments"]) for account in accounts],
            t("users.field.active"): [bool(account["active"]) for account in accounts],
            t("admin.users.locked"): [locked_text(locked.get(account["username"])) for account in accounts],
        }
    )


def add_user_form() -> None:
    """A new account; a clerk's domains are assigned whole here and narrowed to units below."""
    with entry_form("admin-user-add"):
        username = st.text_input(t("users.field.username"))
        display_name = st.text_input(t("admin.users.display_name"))
        role = st.selectbox(t("users.field.role"), users.ROLES, format_func=role_label)
        password = st.text_input(t("users.field.password"), type="password")
        domains = st.multiselect(
            t("admin.users.domains"),
            users.DOMAINS,
            format_func=domain_label,
            placeholder=t("admin.users.domains_placeholder"),
            help=t("admin.users.domains_help"),
        )
        submitted = st.form_submit_button(t("admin.users.add"), type="primary", width="stretch")
    if submitted:
        store(
            "admin-user-add",
            users.create_user,
            username,
            role,
            password,
            display_name or None,
            {domain: [] for domain in domains} if role == "clerk" else None,
            said=t("admin.users.added", user=plain(username)),
            slot=USERS_SLOT,
        )


def reset_password_form(account: Mapping[str, Any]) -> None:
    slot = f"admin-user-password-{account['id']}"
    with entry_form(slot):
        password = st.text_input(t("admin.users.new_password"), type="password")
        submitted = st.form_submit_button(t("admin.users.reset_password"))
    if submitted:
        said = t("admin.users.password_reset", user=plain(account["username"]))
        store(slot, users.reset_password, account["id"], password, said=said, slot=USERS_SLOT)


def active_form(account: Mapping[str, Any]) -> None:
    slot = f"admin-user-active-{account['id']}"
    with entry_form(slot):
        st.markdown(t("admin.users.is_active" if account["active"] else "admin.users.is_disabled"))
        submitted = st.form_submit_button(t("admin.users.disable" if account["active"] else "admin.users.enable"))
    if submitted:
        message = "admin.users.disabled" if account["active"] else "admin.users.enabled"
        said = t(message, user=plain(account["username"]))
        store(slot, users.set_active, account["id"], not account["active"], said=said, slot=USERS_SLOT)


def assigned_units(account: Mapping[str, Any]) -> dict[str, list[int]]:
    """The account's assignments as domain → unit ids, from ``list_users``'s ``domain[:id]`` words."""
    assigned: dict[str, list[int]] = {}
    for word in account["assignments"]:
        domain, _, unit = word.partition(":")
        assigned.setdefault(domain, []).extend([int(unit)] if unit else [])
    return assigned


def assignment_inputs(slot: str, current: Mapping[str, list[int]]) -> dict[str, list[int]]:
    """Per domain: whether it is assigned and, where units exist, which ones (none chosen = the whole domain)."""
    wanted: dict[str, list[int]] = {}
    for domain in users.DOMAINS:
        assigned = st.checkbox(domain_label(domain), value=domain in current, key=f"{slot}-{domain}")
        units = unit_choices(domain)
        chosen = st.multiselect(
            t("admin.users.units", domain=domain_label(domain)),
            list(units),
            default=[unit for unit in current.get(domain, []) if unit in units],
            format_func=units.get,
            key=f"{slot}-{domain}-units",
            placeholder=t("admin.users.whole_domain"),
            disabled=not units,
        )
        if assigned:
            wanted[domain] = chosen
    return wanted


def assignments_form(account: Mapping[str, Any]) -> None:
    slot = f"admin-user-assign-{account['id']}"
    with entry_form(slot) as token:
        st.caption(t("admin.users.assign_help"))
        wanted = assignment_inputs(f"{slot}-{token}", assigned_units(account))
        submitted = st.form_submit_button(t("admin.users.assign"))
    if submitted:
        said = t("admin.users.assigned", user=plain(account["username"]))
        store(slot, users.set_assignments, account["id"], wanted, said=said, slot=USERS_SLOT)


def unlock_form(username: str) -> None:
    slot = f"admin-user-unlock-{username}"
    with entry_form(slot):
        submitted = st.form_submit_button(t("admin.users.unlock", user=plain(username)), type="primary")
    if submitted:
        said = t("admin.users.unlocked", user=plain(username))
        store(slot, users.unlock_account, username, said=said, slot=USERS_SLOT)


def account_forms(account: Mapping[str, Any], locked: Mapping[str, Any] | None) -> None:
    """Everything the administrator changes about one account, each its own audited write."""
    if locked is not None:
        content_alert(t("admin.users.locked_alert", user=plain(account["username"]), text=locked_text(locked)))
        unlock_form(account["username"])
    left, right = st.columns(2)
    with left:
        reset_password_form(account)
        active_form(account)
    with right:
        assignments_form(account)


def users_tab() -> None:
    accounts = users.list_users(engine())
    locked = {row["username"]: row for row in users.locked_accounts(engine())}
    show_saved(USERS_SLOT)
    for username in sorted(set(locked) - {account["username"] for account in accounts}):
        content_alert(t("admin.users.locked_alert", user=plain(username), text=locked_text(locked[username])))
        unlock_form(username)
    st.dataframe(accounts_frame(accounts, locked), hide_index=True, width="stretch")
    st.caption(
        t(
            "admin.users.throttle_note",
            failures=users.MAX_FAILED_SIGN_INS,
            every_source=users.MAX_FAILED_SIGN_INS_EVERY_SOURCE,
            minutes=int(users.SIGN_IN_LOCKOUT.total_seconds() // 60),
        )
    )
    add_column, edit_column = st.columns(2, gap="large")
    with add_column:
        st.subheader(t("admin.users.add"))
        add_user_form()
    with edit_column:
        st.subheader(t("admin.users.edit"))
        by_id = {account["id"]: account for account in accounts}
        names = {key: f"{account['username']} · {role_label(account['role'])}" for key, account in by_id.items()}
        if by_id:
            chosen = st.selectbox(
                t("users.field.username"), list(by_id), key="admin:user_choice", format_func=names.get
            )
            account_forms(by_id[chosen], locked.get(by_id[chosen]["username"]))


# Master data ------------------------------------------------------------------------------------------------------


def master_tab() -> None:
    """The master data of every domain, drawn by the same functions as the domain pages' own tabs."""
    parts = st.tabs([domain_label(domain) for domain in users.DOMAINS])
    with parts[0]:
        master_data_tab()
    with parts[1]:
        site_master()
    with parts[2]:
        items_view()
    with parts[3]:
        register_form()


# Import and export ------------------------------------------------------------------------------------------------


def kind_label(kind: str) -> str:
    return t(f"admin.kind.{kind}")


def columns_text(kind: str) -> str:
    columns = transfer_kinds()[kind].columns
    return t(
        "admin.import.columns",
        english=", ".join(column.name for column in columns),
        chinese="、".join(column.chinese for column in columns),
    )


def row_errors_frame(refusal: ImportRejected) -> pd.DataFrame:
    """The bad rows a refused file's report lists: the row number as the spreadsheet shows it, the column and
    the reason."""
    return pd.DataFrame(
        {
            t("admin.import.row"): [error.row for error in refusal.listed],
            t("admin.import.column"): [error.column_label(language()) for error in refusal.listed],
            t("admin.import.reason"): [error.reason(language()) for error in refusal.listed],
        }
    )


def run_import(kind: str, file_name: str, content: bytes) -> None:
    """Import one file, all or nothing, and say what came of it: rows written, or every bad row."""
    try:
        with progress_bar(t("admin.import.running", file=plain(file_name))) as progress:
            progress(0, 1)
            imported = import_ledger(engine(), actor(), kind, content, file_name)
            progress(1, 1)
    except ImportRejected as refusal:
        st.error(t("admin.import.refused", file=plain(file_name)))
        st.dataframe(row_errors_frame(refusal), hide_index=True, width="stretch")
        if (more := refusal.unlisted(language())) is not None:
            st.caption(more)
        show_summary(0, len({error.row for error in refusal.row_errors}))
        return
    except CommandPostError as refusal:
        st.error(refusal_text(refusal))
        return
    note_data_version()
    st.session_state[UPLOAD_ROUND_KEY] = st.session_state.get(UPLOAD_ROUND_KEY, 0) + 1
    if imported.sheets:
        st.caption(t("import.sheets_read", sheets=plain("、".join(imported.sheets))))
    show_summary(imported.rows)


def import_tab() -> None:
    kind = st.selectbox(
        t("admin.import.kind"), sorted(transfer_kinds()), format_func=kind_label, key="admin:import_kind"
    )
    st.caption(columns_text(kind))
    upload = st.file_uploader(
        t("admin.import.file"),
        type=list(IMPORT_FILE_TYPES),
        key=f"admin:upload:{st.session_state.get(UPLOAD_ROUND_KEY, 0)}",
    )
    if st.button(t("admin.import.run"), type="primary", disabled=upload is None, key="admin:import_run"):
        run_import(kind, upload.name, upload.getvalue())


def export_tab() -> None:
    kind = st.selectbox(
        t("admin.export.kind"), sorted(transfer_kinds()), format_func=kind_label, key="admin:export_kind"
    )
    suffix = (
        st.segmented_control(
            t("admin.export.format"), list(FORMATS), default="xlsx", required=True, key="admin:export_format"
        )
        or "xlsx"
    )
    slot = f"export-{kind}-{suffix}"
    if st.button(t("admin.export.make"), key="admin:export_make"):
        file_name = f"{kind}-{clock.today().isoformat()}.{suffix}"
        with progress_bar(t("admin.export.running", kind=kind_label(kind))) as progress:
            progress(0, 1)
            data, rows = made_file(file_name, lambda path: export_file(engine(), kind, path))
            progress(1, 1)
        keep_file(slot, file_name, data, rows)
    offer_file(slot, t("admin.export.download"), FORMATS[suffix])


# Backup and risk level ---------------------------------------------------------------------------------------------


def pg_dump_command() -> str:
    url = engine().url
    return (
        f"pg_dump --format=custom --file=command_post-{clock.today().isoformat()}.dump "
        f"--host={url.host or 'localhost'} --port={url.port or 5432} --username={url.username or 'postgres'} "
        f"{url.database}"
    )


def backup_tab() -> None:
    """A consistent copy of the SQLite store to download; PostgreSQL is backed up with pg_dump."""
    if not db.is_sqlite(engine()):
        st.info(t("admin.backup.postgresql"))
        st.code(pg_dump_command(), language="bash")
        return
    st.caption(t("admin.backup.help"))
    if st.button(t("admin.backup.make"), type="primary", key="admin:backup_make"):
        file_name = f"command_post-{clock.now().strftime('%Y-%m-%d-%H%M')}.db"
        with progress_bar(t("admin.backup.running")) as progress:
            data, _ = made_file(file_name, lambda path: db.backup_sqlite(engine(), path, progress=progress))
        keep_file("backup", file_name, data)
        st.success(t("admin.backup.made", size=format_size(len(data))))
    offer_file("backup", t("admin.backup.download"), "application/vnd.sqlite3")


def format_size(size: int) -> str:
    return t("admin.backup.size", size=format_number(size / 2**20, language(), 1))


def risk_tab() -> None:
    """The area's risk level shown on the wall screen; only the administrator sets it, only here."""
    current = situation.risk_level(engine())
    labels = {level: t(f"situation.risk.{level}") for level in situation.RISK_LEVELS}
    with entry_form("admin-risk-level"):
        chosen = st.selectbox(
            t("situation.field.risk_level"),
            situation.RISK_LEVELS,
            format_func=labels.get,
            index=situation.RISK_LEVELS.index(current),
        )
        submitted = st.form_submit_button(t("admin.risk.save"), type="primary")
    if submitted:
        store("admin-risk-level", situation.set_risk_level, chosen, said=t("admin.risk.saved", level=labels[chosen]))
    show_saved("admin-risk-level")


# The page ----------------------------------------------------------------------------------------------------------


st.title(t("admin.title"))
sections = (
    ("users", users_tab),
    ("master", master_tab),
    ("import", import_tab),
    ("export", export_tab),
    ("backup", backup_tab),
    ("risk", risk_tab),
    ("notify", notify_tab),
)
for tab, (_, render) in zip(st.tabs([t(f"admin.tab.{name}") for name, _ in sections]), sections, strict=True):
    with tab:
        render()
