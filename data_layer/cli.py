"""The operators' command line, ``python -m data_layer`` (design §5).

It is for whoever holds the database itself, so it acts with administrator
rights and writes ``cli:<operating-system user>`` into the audit log.
"""

from __future__ import annotations

import getpass
import json
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.engine import Engine

from data_layer import archive, briefing, clock, db, notify, retention, settings, transfer, users
from data_layer.errors import CommandPostError, ImportRejected
from data_layer.i18n import LANGUAGES, translate

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


def cli_actor() -> db.Actor:
    return db.Actor(f"cli:{getpass.getuser()}", "admin")


Command = TypeVar("Command", bound=Callable[..., Any])


def db_option(function: Command) -> Command:
    """Every command takes ``--db URL``; without it ``COMMAND_POST_DB``, then the SQLite default, is used."""
    return click.option(
        "--db",
        "url",
        envvar=settings.DB.name,
        default=None,
        metavar="URL",
        help="Database URL (default: $COMMAND_POST_DB, then sqlite:///data/command_post.db).",
    )(function)


def open_store(url: str | None) -> Engine:
    """The engine for ``url``, upgraded to the newest schema (every command may be the first one run)."""
    engine = db.connect(url)
    db.migrate(engine)
    return engine


class RefusalsAsErrors(click.Group):
    """Shows a data-layer refusal as its messages and exit code 1, not as a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CommandPostError as refusal:
            raise click.ClickException("\n".join(refusal.messages("zh_CN"))) from refusal


@click.group(cls=RefusalsAsErrors, context_settings=CONTEXT_SETTINGS)
def cli() -> None:
    """Epidemic-prevention command post: manage the database behind the dashboard."""
    try:
        settings.check_all()
    except settings.SettingError as error:
        raise click.ClickException(str(error)) from None


@cli.command()
@db_option
def init(url: str | None) -> None:
    """Create the database, or upgrade it to the newest schema keeping every row."""
    engine = open_store(url)
    click.echo(f"database ready at schema {db.schema_revision(engine)}: {engine.url.render_as_string()}")


@cli.command()
@db_option
@click.option("--days", default=30, show_default=True, type=click.IntRange(3, 365), help="Days of history.")
@click.option("--seed", default=2020, show_default=True, type=int, help="Random seed (same seed, same data).")
@click.option("--if-empty", is_flag=True, help="Do nothing, successfully, when the database already has data.")
def sample(url: str | None, days: int, seed: int, if_empty: bool) -> None:
    """Fill an empty database with the sample command post, ending today."""
    from sample_data import generate_sample, has_data

    engine = open_store(url)
    if has_data(engine):
        if if_empty:
            click.echo("database already has data; sample not loaded")
            return
        raise click.ClickException("the database already has data; sample data goes into an empty database only")
    summary = generate_sample(engine, days=days, seed=seed)
    click.echo("sample command post loaded: " + ", ".join(f"{name} {count}" for name, count in summary.items()))


ALL_KINDS = "all"
"""The kind ``import`` and ``export`` take for the whole store (:mod:`data_layer.archive`)."""


def kind_argument(function: Command) -> Command:
    """The KIND argument of ``import`` and ``export``: a kind of ledger, or ``all``."""
    return click.argument("kind", type=click.Choice([*sorted(transfer.transfer_kinds()), ALL_KINDS]))(function)


@cli.command("import")
@db_option
@kind_argument
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--lang", type=click.Choice(LANGUAGES), default="zh_CN", show_default=True, help="Language of the error report."
)
@click.option(
    "--sheet",
    default=None,
    metavar="NAME",
    help="Read only this sheet (default: every sheet whose header names KIND's columns).",
)
def import_command(url: str | None, kind: str, file: Path, lang: str, sheet: str | None) -> None:
    """Import a CSV, XLSX or XLS FILE of KIND; one bad row rejects the whole file. KIND ``all`` loads a file of
    ``export all`` into an empty database."""
    engine = open_store(url)
    try:
        if kind == ALL_KINDS:
            counts = archive.import_all(engine, cli_actor(), file)
            click.echo(f"{file}: " + ", ".join(f"{table} {rows}" for table, rows in counts.items()) + " imported")
            return
        imported = transfer.import_ledger(engine, cli_actor(), kind, file, sheet=sheet)
    except ImportRejected as rejected:
        for line in rejected.messages(lang):
            click.echo(line, err=True)
        click.echo(f"{file}: {len(rejected.row_errors)} problem(s); nothing was imported", err=True)
        sys.exit(1)
    if imported.sheets:
        click.echo(translate("import.sheets_read", lang, sheets="、".join(imported.sheets)))
    click.echo(f"{file}: {imported.rows} row(s) imported as {kind}")


@cli.command("export")
@db_option
@kind_argument
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_command(url: str | None, kind: str, file: Path) -> None:
    """Export every row of KIND to FILE (CSV or XLSX, by the file's extension). KIND ``all`` writes every
    ledger of the database, one sheet per table, to an XLSX FILE that ``import all`` loads again."""
    if kind == ALL_KINDS:
        if file.suffix.lower() != ".xlsx":
            raise click.UsageError("export all writes an .xlsx file")
        counts = archive.export_all(open_store(url), file)
        click.echo(f"{file}: " + ", ".join(f"{table} {rows}" for table, rows in counts.items()) + " exported")
        return
    count = transfer.export_file(open_store(url), kind, file)
    click.echo(f"{file}: {count} row(s) of {kind} exported")


@cli.command("briefing")
@db_option
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Report date D (default: today, local command-post time).",
)
@click.option("--format", "output_format", type=click.Choice(["json", "md", "docx"]), default="json", show_default=True)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default="zh_CN",
    show_default=True,
    help="Language of the md and docx formats.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output (required for docx).",
)
def briefing_command(url: str | None, day: datetime | None, output_format: str, lang: str, out: Path | None) -> None:
    """The daily briefing for one date, as JSON, Markdown or Word (the documents the briefing page downloads)."""
    report_day: date = day.date() if day else clock.today()
    engine = open_store(url)
    with engine.connect() as conn:
        if output_format == "json":
            content: str | bytes = json.dumps(
                briefing.build_briefing(conn, report_day), ensure_ascii=False, indent=2, default=str
            )
        else:
            facts = briefing.briefing_facts(conn, report_day)
            content = (
                briefing.render_markdown(facts, lang) if output_format == "md" else briefing.render_docx(facts, lang)
            )
    if out is not None:
        out.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        click.echo(f"briefing for {report_day} written to {out}")
    elif isinstance(content, bytes):
        raise click.UsageError("--format docx needs --out FILE")
    else:
        click.echo(content)


@cli.command()
@db_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(url: str | None, file: Path) -> None:
    """Write an online, consistent copy of the SQLite database to FILE."""
    engine = open_store(url)
    if not db.is_sqlite(engine):
        raise click.ClickException("backup copies SQLite files; for PostgreSQL use pg_dump")
    db.backup_sqlite(engine, file)
    click.echo(f"backup written to {file}")


@cli.command()
@db_option
@click.option(
    "--days",
    type=int,
    default=None,
    help="Anonymise people whose last episode ended more than this many days ago "
    "(default: the retention setting, 28 unless an administrator changed it).",
)
@click.option("--dry-run", is_flag=True, help="Only count the people who are due; change nothing.")
def anonymise(url: str | None, days: int | None, dry_run: bool) -> None:
    """Replace the name, ID number and phone of people whose quarantine ended long enough ago, audit log included."""
    engine = open_store(url)
    if dry_run:
        with engine.connect() as conn:
            click.echo(f"{retention.due_count(conn, days)} person(s) due for anonymisation; nothing changed")
        return
    count = db.perform(engine, cli_actor(), retention.anonymise_people, days)
    click.echo(f"{count} person(s) anonymised")
    if not db.truncate_wal(engine):
        click.echo("a reader kept the write-ahead log busy: run `anonymise` again to empty it", err=True)


@cli.command("notify")
@db_option
@click.option("--once", is_flag=True, help="One round (push what is due, deliver what waits), then stop.")
@click.option("--briefing-now", is_flag=True, help="Queue today's briefing for every channel first.")
def notify_command(url: str | None, once: bool, briefing_now: bool) -> None:
    """Push alerts and the daily briefing to the configured channels (企业微信, 钉钉, 飞书, webhook, e-mail).

    Runs until stopped, a round every COMMAND_POST_NOTIFY_SECONDS; several may run on one database, and only
    the one holding the lease sends. Without a configured channel nothing is sent."""
    engine = open_store(url)
    if briefing_now:
        queued = db.perform(engine, cli_actor(), notify.queue_briefing_now)
        click.echo(f"today's briefing queued for {len(queued)} channel(s)")
    holder = notify.sender_name()
    try:
        while True:
            sent = notify.run_once(engine, holder)
            if sent:
                click.echo(f"{clock.now():%Y-%m-%d %H:%M:%S} {sent} message(s) sent")
            if once:
                return
            time.sleep(settings.NOTIFY_SECONDS.value())
    finally:
        notify.release_lease(engine, holder)


@cli.group("users", context_settings=CONTEXT_SETTINGS)
def users_group() -> None:
    """Accounts and roles."""


@users_group.command("add")
@db_option
@click.argument("name")
@click.option("--role", type=click.Choice(users.ROLES), required=True)
@click.option("--display-name", default=None, help="Name shown in the app (default: NAME).")
@click.option(
    "--assign",
    multiple=True,
    metavar="DOMAIN[:ID]",
    help="A clerk's domain (checkpoints, quarantine, supplies, enterprises), optionally one unit id.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_add(
    url: str | None, name: str, role: str, display_name: str | None, assign: tuple[str, ...], password_stdin: bool
) -> None:
    """Create account NAME with ROLE; the password is asked for unless --password-stdin."""
    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else click.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    assignments: dict[str, list[int]] = {}
    for entry in assign:
        domain, _, unit = entry.partition(":")
        if domain not in users.DOMAINS:
            raise click.BadParameter(f"unknown domain {domain!r}", param_hint="--assign")
        assignments.setdefault(domain, []).extend([int(unit)] if unit else [])
    db.perform(open_store(url), cli_actor(), users.create_user, name, role, password, display_name, assignments)
    click.echo(f"user {name} added with role {role}")


@users_group.command("device-token")
@db_option
@click.argument("name")
def users_device_token(url: str | None, name: str) -> None:
    """Issue a new device token for wall-screen account NAME (the old one stops working) and print it."""
    token = db.perform(open_store(url), cli_actor(), users.issue_device_token, name)
    click.echo(token)
    click.echo(f"wall screen URL: http://HOST:8501/?kiosk=1&device={token}", err=True)


@users_group.command("list")
@db_option
def users_list(url: str | None) -> None:
    """List the accounts with their roles and assignments."""
    for account in users.list_users(open_store(url)):
        state = "" if account["active"] else " (inactive)"
        assigned = ", ".join(account["assignments"])
        click.echo(f"{account['username']}\t{account['role']}{state}\t{assigned}")


def main() -> None:
    cli.main(prog_name="python -m data_layer")
