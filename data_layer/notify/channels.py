"""The channels a message is pushed through, and how each one is spoken to.

Every channel takes the same message, a title and a Markdown body, and wraps it as its receiver expects:

- 企业微信 (WeCom) group robot: ``{"msgtype": "markdown", "markdown": {"content": …}}`` to the robot's webhook
  address (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``);
- 钉钉 (DingTalk) robot: ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}``; with a signing
  secret (加签) the address gets ``timestamp`` (milliseconds) and ``sign``: the base64 HMAC-SHA256 of
  ``"<timestamp>\\n<secret>"`` keyed by the secret, URL-encoded;
- 飞书/Lark robot: an interactive card with a ``markdown`` element; with a signature secret (签名校验) the JSON
  carries ``timestamp`` (seconds) and ``sign``: the base64 HMAC-SHA256 of an empty message keyed by
  ``"<timestamp>\\n<secret>"``;
- a generic webhook: ``{"title": …, "text": …, "rule": …, "key": …}``;
- e-mail over SMTP (STARTTLS, SSL or, on a trusted LAN relay, neither), the body as plain text.

A channel's address and secret are credentials (anyone holding a robot's address can post to the group): they
are stored, shown back only masked (:func:`masked_address`) and audited only masked; no log line carries them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer import clock
from data_layer.db import Record, WriteContext
from data_layer.i18n import DEFAULT_LANGUAGE, LANGUAGES
from data_layer.notify.tables import KINDS, notify_channels
from data_layer.permissions import require_admin
from data_layer.validation import Checks

ROBOT_KINDS = ("wecom", "dingtalk", "feishu")
SIGNED_KINDS = ("dingtalk", "feishu")
SMTP_SECURITY = ("starttls", "ssl", "none")
SEND_TIMEOUT_SECONDS = 10
ANSWER_LENGTH = 500
SHOWN_TAIL = 4


@dataclass(frozen=True)
class Message:
    """What is pushed: a title and a Markdown body; ``rule`` and ``key`` say which rule occurrence it is."""

    title: str
    body: str
    rule: str = ""
    key: str = ""


@dataclass(frozen=True)
class Delivery:
    """A channel's answer: whether it took the message, and what it said (status and the start of its reply)."""

    ok: bool
    answer: str


# Signing ----------------------------------------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's ``sign``: base64 of HMAC-SHA256 keyed by the secret over ``"<timestamp>\\n<secret>"``, URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's ``sign``: base64 of HMAC-SHA256 keyed by ``"<timestamp>\\n<secret>"`` over an empty message."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


# Payloads ---------------------------------------------------------------------------------------------------------


def robot_request(
    kind: str, address: str, secret: str | None, message: Message, now_s: float | None = None
) -> tuple[str, dict[str, Any]]:
    """The address to post to and the JSON to post for an HTTP channel of ``kind``."""
    moment = time.time() if now_s is None else now_s
    if kind == "wecom":
        return address, {"msgtype": "markdown", "markdown": {"content": f"**{message.title}**\n\n{message.body}"}}
    if kind == "dingtalk":
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": f"### {message.title}\n\n{message.body}"},
        }
        if secret:
            stamp = int(moment * 1000)
            separator = "&" if urllib.parse.urlsplit(address).query else "?"
            address = f"{address}{separator}timestamp={stamp}&sign={dingtalk_sign(secret, stamp)}"
        return address, payload
    if kind == "feishu":
        payload = {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": message.title}},
                "elements": [{"tag": "markdown", "content": message.body}],
            },
        }
        if secret:
            stamp = int(moment)
            payload = {"timestamp": str(stamp), "sign": feishu_sign(secret, stamp), **payload}
        return address, payload
    if kind == "webhook":
        return address, {"title": message.title, "text": message.body, "rule": message.rule, "key": message.key}
    raise ValueError(f"{kind} is not an HTTP channel")


# Sending ----------------------------------------------------------------------------------------------------------


def send(channel: Record, message: Message) -> Delivery:
    """Push ``message`` through ``channel`` (a row of ``notify_channels``); never raises for the channel's
    failure, which is the answer of the returned :class:`Delivery`."""
    try:
        if channel["kind"] == "email":
            return _send_mail(channel, message)
        address, payload = robot_request(channel["kind"], channel["address"], channel["secret"], message)
        return _post_json(address, payload)
    except (OSError, smtplib.SMTPException, ValueError) as error:
        return Delivery(False, _without_credentials(f"{type(error).__name__}: {error}", channel))


def _post_json(address: str, payload: dict[str, Any]) -> Delivery:
    request = urllib.request.Request(
        address,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_SECONDS) as response:
            status, text = response.status, response.read(ANSWER_LENGTH * 4).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read(ANSWER_LENGTH).decode("utf-8", "replace")
    answer = f"HTTP {status} {text}"[:ANSWER_LENGTH]
    return Delivery(200 <= status < 300 and _robot_accepted(text), answer)


def _robot_accepted(text: str) -> bool:
    """Whether a robot's reply says it took the message: the robots answer HTTP 200 and say a refusal (a bad
    signature, a keyword missing, too many messages a minute) in ``errcode`` (WeCom, DingTalk) or ``code``
    (Feishu) being other than 0. A reply that is not JSON (a generic webhook's ``ok``) is accepted."""
    try:
        reply = json.loads(text)
    except ValueError:
        return True
    if not isinstance(reply, dict):
        return True
    return all(reply.get(name, 0) in (0, "0") for name in ("errcode", "code", "StatusCode"))


def _send_mail(channel: Record, message: Message) -> Delivery:
    options = json.loads(channel["options"] or "{}")
    host, _, port_text = (
        channel["address"].rpartition(":") if ":" in channel["address"] else (channel["address"], "", "")
    )
    security = options.get("security", "starttls")
    port = int(port_text) if port_text else {"ssl": 465, "starttls": 587}.get(security, 25)
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = message.title, options["sender"], ", ".join(options["recipients"])
    mail.set_content(message.body)
    context = ssl.create_default_context()
    with (
        smtplib.SMTP_SSL(host, port, timeout=SEND_TIMEOUT_SECONDS, context=context)
        if security == "ssl"
        else smtplib.SMTP(host, port, timeout=SEND_TIMEOUT_SECONDS)
    ) as server:
        if security == "starttls":
            server.starttls(context=context)
        if options.get("username"):
            server.login(options["username"], channel["secret"] or "")
        refused = server.send_message(mail)
    if refused:
        return Delivery(False, f"SMTP refused {', '.join(refused)}"[:ANSWER_LENGTH])
    return Delivery(True, "SMTP 250 accepted")


def _without_credentials(text: str, channel: Record) -> str:
    """An error text with the channel's address and secret replaced by their masked forms."""
    for credential in (channel["address"], channel["secret"]):
        if credential:
            text = text.replace(credential, masked_address(credential))
    return text[:ANSWER_LENGTH]


# Masking ----------------------------------------------------------------------------------------------------------


def masked_address(address: str | None) -> str:
    """An address as it is shown back: the scheme and host (which service it is) and its last characters (which of
    one's robots), never the key or token between them. ``smtp.example.org:587`` is not a secret and is kept."""
    if not address:
        return ""
    parts = urllib.parse.urlsplit(address)
    if not parts.scheme or not parts.netloc:
        return address if "/" not in address and "?" not in address else "…" + address[-SHOWN_TAIL:]
    return f"{parts.scheme}://{parts.hostname}/…{address[-SHOWN_TAIL:]}"


def masked_secret(secret: str | None) -> str:
    return "••••" if secret else ""


def channel_language(row: Record) -> str:
    """The language a channel's messages are written in: its own, else the command post's default."""
    return row["language"] or DEFAULT_LANGUAGE


def presented_channel(row: Record) -> dict[str, Any]:
    """A channel as the administration page and the audit log see it: address and secret masked."""
    options = json.loads(row["options"] or "{}")
    return {
        "id": row["id"],
        "name": row["name"],
        "kind": row["kind"],
        "address": masked_address(row["address"]),
        "secret": masked_secret(row["secret"]),
        "enabled": bool(row["enabled"]),
        "language": channel_language(row),
        "recipients": options.get("recipients", []),
        "security": options.get("security", ""),
    }


# Reading and changing channels ------------------------------------------------------------------------------------


def list_channels(conn: Connection) -> list[dict[str, Any]]:
    """Every channel, masked (:func:`presented_channel`), oldest first."""
    rows = conn.execute(sa.select(notify_channels).order_by(notify_channels.c.id)).mappings()
    return [presented_channel(row) for row in rows]


def enabled_channels(conn: Connection) -> dict[int, sa.RowMapping]:
    """The channels switched on, id → row with its credentials (for the sender only, never for a page)."""
    rows = conn.execute(sa.select(notify_channels).where(notify_channels.c.enabled)).mappings()
    return {row["id"]: row for row in rows}


def channel_names(conn: Connection, channel_ids: list[int]) -> list[str]:
    """The names of the channels ``channel_ids``, in that order (names only: never an address or a secret)."""
    rows = conn.execute(
        sa.select(notify_channels.c.id, notify_channels.c.name).where(notify_channels.c.id.in_(channel_ids))
    ).mappings()
    names = {row["id"]: str(row["name"]) for row in rows}
    return [names[channel_id] for channel_id in channel_ids if channel_id in names]


def channel_row(conn: Connection, channel_id: int) -> sa.RowMapping | None:
    return conn.execute(sa.select(notify_channels).where(notify_channels.c.id == channel_id)).mappings().first()


def add_channel(
    ctx: WriteContext,
    name: str,
    kind: str,
    address: str,
    secret: str | None = None,
    security: str | None = None,
    sender: str | None = None,
    recipients: str | None = None,
    username: str | None = None,
    language: str | None = None,
) -> int:
    """Add a channel (the administrator's); it is audited with its address and secret masked. ``language`` is
    the language its messages are written in (``zh_CN`` or ``en``; none: the command post's default)."""
    require_admin(ctx.actor)
    checks = Checks("notify")
    checked_name = checks.name(name, "name")
    checked_kind = checks.choice(kind, "kind", KINDS)
    checked_language = checks.choice(language, "language", LANGUAGES) if language else None
    checked_address = checks.text(address, "address", max_length=1000)
    checked_secret = checks.text(secret, "secret", required=False, max_length=500)
    options: dict[str, Any] = {}
    if checked_kind == "email":
        options = _mail_options(checks, security, sender, recipients, username)
        if checked_address and not _is_host_and_port(checked_address):
            checks.fail("address", "notify.error.not_a_host")
    elif checked_address and not checked_address.startswith(("https://", "http://")):
        checks.fail("address", "notify.error.not_a_url")
    if (
        checked_name
        and ctx.conn.execute(sa.select(notify_channels.c.id).where(notify_channels.c.name == checked_name)).first()
    ):
        checks.fail("name", "error.duplicate_name", value=checked_name)
    checks.raise_if_any()
    values = {
        "name": checked_name,
        "kind": checked_kind,
        "address": checked_address,
        "secret": checked_secret,
        "options": json.dumps(options, ensure_ascii=False),
        "enabled": True,
        "created_at": clock.now(),
        "language": checked_language,
    }
    channel_id: int = ctx.conn.execute(notify_channels.insert().returning(notify_channels.c.id), values).scalar_one()
    ctx.audit("notify.channel.add", notify_channels, channel_id, after=presented_channel({**values, "id": channel_id}))
    return channel_id


def _mail_options(
    checks: Checks, security: str | None, sender: str | None, recipients: str | None, username: str | None
) -> dict[str, Any]:
    checked_security = checks.choice(security or "starttls", "security", SMTP_SECURITY)
    checked_sender = checks.text(sender, "sender", max_length=200)
    addresses = [
        part.strip() for part in (recipients or "").replace("；", ",").replace(";", ",").split(",") if part.strip()
    ]
    if not addresses:
        checks.fail("recipients", "error.required")
    for address in addresses:
        if "@" not in address:
            checks.fail("recipients", "notify.error.not_an_email", value=address)
    if checked_sender and "@" not in checked_sender:
        checks.fail("sender", "notify.error.not_an_email", value=checked_sender)
    checked_username = checks.text(username, "username", required=False, max_length=200)
    return {
        "security": checked_security,
        "sender": checked_sender,
        "recipients": addresses,
        "username": checked_username,
    }


def _is_host_and_port(text: str) -> bool:
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    return bool(host) and "/" not in text and (not port or port.isdigit())


def set_channel_enabled(ctx: WriteContext, channel_id: int, enabled: bool) -> None:
    """Switch a channel on or off; a channel switched off gets no new messages and its pending ones wait."""
    require_admin(ctx.actor)
    row = channel_row(ctx.conn, channel_id)
    if row is None:
        Checks("notify").refuse("channel", "error.unknown_name", value=channel_id)
    ctx.conn.execute(notify_channels.update().where(notify_channels.c.id == channel_id).values(enabled=enabled))
    ctx.audit(
        "notify.channel.enable" if enabled else "notify.channel.disable",
        notify_channels,
        channel_id,
        before={"enabled": bool(row["enabled"])},
        after={"enabled": enabled},
    )


def set_channel_language(ctx: WriteContext, channel_id: int, language: str | None) -> None:
    """Write a channel's messages in ``language`` (``zh_CN`` or ``en``) from now on; none: the command post's
    default. Messages already in the outbox keep the words they were written in."""
    require_admin(ctx.actor)
    checks = Checks("notify")
    row = channel_row(ctx.conn, channel_id)
    if row is None:
        checks.refuse("channel", "error.unknown_name", value=channel_id)
    checked = checks.choice(language, "language", LANGUAGES) if language else None
    checks.raise_if_any()
    ctx.conn.execute(notify_channels.update().where(notify_channels.c.id == channel_id).values(language=checked))
    ctx.audit(
        "notify.channel.language",
        notify_channels,
        channel_id,
        before={"language": row["language"]},
        after={"language": checked},
    )
