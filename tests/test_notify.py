"""Pushing alerts and the daily briefing: each channel's exact message and signature, against a local HTTP
receiver and a local SMTP server; every alert once per occurrence, again per its repeat interval or when worse,
held in quiet hours; retries after failures; one sender at a time on one database; no personal data pushed;
addresses and secrets never shown back or audited in full."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from data_layer import clock, db, notify, quarantine, situation
from data_layer.errors import ValidationError
from data_layer.situation import Alert
from support import assert_write_refused, audit_rows, count_rows
from support import id_number as numbered_id

ADMIN = db.Actor("admin-test", "admin")
NOON = datetime(2026, 3, 2, 12, 0)
FEVER = Alert("checkpoints", "situation.alert.checkpoint_fever", "high", {"count": 2, "names": "东门卡口"})
OUT = Alert(
    "supplies", "situation.alert.out_of_stock", "high", {"item": "N95口罩", "on_hand": 0, "unit": "只", "days": 0.0}
)


@dataclass
class Receiver:
    """A local robot: records every request (path with query, JSON body) and answers from ``answers`` in turn
    (then ``{"errcode": 0}``)."""

    port: int = 0
    requests: list[tuple[str, dict]] = field(default_factory=list)
    answers: list[tuple[int, str]] = field(default_factory=list)

    def url(self, path: str = "/hook?key=robot-key-0123456789") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self) -> list[dict]:
        return [body for _path, body in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                state.requests.append((self.path, body))
                status, text = state.answers.pop(0) if state.answers else (200, '{"errcode":0,"errmsg":"ok"}')
            self.send_response(status)
            self.end_headers()
            self.wfile.write(text.encode())

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def add_channel(engine, kind: str, address: str, secret: str | None = None, name: str | None = None, **mail) -> int:
    return db.perform(engine, ADMIN, notify.add_channel, name or kind, kind, address, secret, **mail)


def alerts_are(monkeypatch, *alerts: Alert) -> None:
    """The wall's alerts, whatever the data: the rules' timing is tested apart from the figures."""
    monkeypatch.setattr(situation, "alerts", lambda conn, day, briefing=None, as_of=None: list(alerts))


def sent_texts(receiver: Receiver) -> list[str]:
    return [body["markdown"]["content"] for body in receiver.bodies()]


# Each channel's message and signature -----------------------------------------------------------------------------


def test_wecom_robot_gets_a_markdown_message_at_its_address(engine, receiver):
    add_channel(engine, "wecom", receiver.url())
    message = notify.Message("标题", "- 第一行")
    with engine.connect() as conn:
        channel = conn.execute(notify.notify_channels.select()).mappings().one()
    assert notify.send(channel, message).ok
    path, body = receiver.requests[0]
    assert path == "/hook?key=robot-key-0123456789"
    assert body == {"msgtype": "markdown", "markdown": {"content": "**标题**\n\n- 第一行"}}


def test_dingtalk_robot_gets_markdown_and_a_signature_of_timestamp_and_secret_in_the_query(receiver):
    secret = "SEC0123456789abcdef"
    address, payload = notify.robot_request(
        "dingtalk",
        receiver.url("/robot/send?access_token=t0k"),
        secret,
        notify.Message("标题", "正文"),
        now_s=1_700_000_000.5,
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(address).query)
    assert query["access_token"] == ["t0k"] and query["timestamp"] == ["1700000000500"]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"1700000000500\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]
    assert "%" in address.split("sign=")[1] or "+" not in expected, "the sign is URL-encoded in the address"
    assert payload == {"msgtype": "markdown", "markdown": {"title": "标题", "text": "### 标题\n\n正文"}}


def test_dingtalk_without_a_secret_posts_to_the_address_as_given(receiver):
    address, _ = notify.robot_request(
        "dingtalk", receiver.url("/robot/send?access_token=t0k"), None, notify.Message("t", "b")
    )
    assert address == receiver.url("/robot/send?access_token=t0k")


def test_feishu_robot_gets_a_markdown_card_with_timestamp_and_signature_in_the_json(engine, receiver):
    secret = "feishu-secret"
    add_channel(engine, "feishu", receiver.url("/open-apis/bot/v2/hook/abc"), secret)
    receiver.answers.append((200, '{"code":0,"msg":"success"}'))
    with engine.connect() as conn:
        channel = conn.execute(notify.notify_channels.select()).mappings().one()
    assert notify.send(channel, notify.Message("标题", "**正文**")).ok
    body = receiver.bodies()[0]
    expected = base64.b64encode(
        hmac.new(f"{body['timestamp']}\n{secret}".encode(), b"", hashlib.sha256).digest()
    ).decode()
    assert body["sign"] == expected and body["timestamp"].isdigit()
    assert body["msg_type"] == "interactive"
    assert body["card"] == {
        "header": {"title": {"tag": "plain_text", "content": "标题"}},
        "elements": [{"tag": "markdown", "content": "**正文**"}],
    }


def test_a_robot_refusal_in_its_json_answer_is_a_failed_delivery(engine, receiver):
    add_channel(engine, "feishu", receiver.url(), "secret")
    receiver.answers.append((200, '{"code":19021,"msg":"sign match fail or timestamp is not within one hour"}'))
    with engine.connect() as conn:
        channel = conn.execute(notify.notify_channels.select()).mappings().one()
    delivery = notify.send(channel, notify.Message("t", "b"))
    assert not delivery.ok and "19021" in delivery.answer


def test_generic_webhook_gets_title_text_rule_and_key(receiver):
    _, payload = notify.robot_request("webhook", receiver.url(), None, notify.Message("t", "b", "site_full", "k1"))
    assert payload == {"title": "t", "text": "b", "rule": "site_full", "key": "k1"}


def test_email_goes_out_through_the_smtp_server_with_subject_and_body(engine):
    controller_module = pytest.importorskip("aiosmtpd.controller")
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = controller_module.Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        add_channel(
            engine,
            "email",
            f"127.0.0.1:{port}",
            security="none",
            sender="post@example.org",
            recipients="a@example.org, b@example.org",
        )
        with engine.connect() as conn:
            channel = conn.execute(notify.notify_channels.select()).mappings().one()
        delivery = notify.send(channel, notify.Message("防控提醒", "隔离点已满员"))
    finally:
        controller.stop()
    assert delivery.ok, delivery.answer
    assert received[0].rcpt_tos == ["a@example.org", "b@example.org"]
    mail = message_from_bytes(received[0].content)
    assert mail.get_payload(decode=True).decode().strip() == "隔离点已满员"
    assert "防控提醒" in str(mail["Subject"]) or mail["Subject"].startswith("=?utf-8?")


# Adding channels: checked, masked, never audited in full ----------------------------------------------------------


def test_a_channel_with_a_bad_address_is_refused_naming_the_field_and_nothing_is_stored(engine):
    before = audit_rows(engine)
    with pytest.raises(ValidationError) as refusal:
        add_channel(engine, "wecom", "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x")
    assert refusal.value.fields == ["address"]
    assert "地址" in refusal.value.messages("zh_CN")[0] and "address" in refusal.value.messages("en")[0].lower()
    assert count_rows(engine, "notify_channels") == 0 and audit_rows(engine) == before


def test_a_channels_address_and_secret_are_shown_and_audited_only_masked(engine):
    key, secret = "693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa", "SECverysecretsigningkey"
    add_channel(engine, "dingtalk", f"https://oapi.dingtalk.com/robot/send?access_token={key}", secret)
    with engine.connect() as conn:
        shown = notify.list_channels(conn)
        audit = " ".join(str(row) for row in conn.execute(sa.text("SELECT * FROM audit_log")))
    assert shown[0]["address"] == "https://oapi.dingtalk.com/…5aaa" and shown[0]["secret"] == "••••"
    for credential in (key, secret, key[:-4]):
        assert credential not in json.dumps(shown, ensure_ascii=False) and credential not in audit


def test_a_channel_language_other_than_chinese_or_english_is_refused_naming_the_field(engine):
    assert_write_refused(
        engine, ADMIN, notify.add_channel, "群", "wecom", "https://a.example/h", language="fr", field="language"
    )
    channel = add_channel(engine, "wecom", "https://a.example/h")
    assert_write_refused(engine, ADMIN, notify.set_channel_language, channel, "fr", field="language")
    with engine.connect() as conn:
        assert notify.list_channels(conn)[0]["language"] == "zh_CN"


def test_only_the_administrator_adds_channels(engine):
    from data_layer.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        db.perform(engine, db.Actor("leader", "leader"), notify.add_channel, "x", "wecom", "https://a.example/h")


# Alerts: once per occurrence, repeated, worse, quiet hours --------------------------------------------------------


def test_nothing_is_pushed_or_queued_without_a_channel(engine, monkeypatch):
    alerts_are(monkeypatch, FEVER)
    assert notify.run_once(engine, "sender", NOON) == 0
    assert count_rows(engine, "notify_outbox") == 0


def test_each_alert_is_sent_once_per_occurrence(engine, receiver, monkeypatch):
    add_channel(engine, "wecom", receiver.url())
    alerts_are(monkeypatch, FEVER, OUT)
    assert notify.run_once(engine, "sender", NOON) == 2
    assert notify.run_once(engine, "sender", NOON + timedelta(minutes=5)) == 0
    assert sent_texts(receiver) == [
        "**【紧急】防控提醒**\n\n卡口发现发热 2 人：东门卡口",
        "**【紧急】防控提醒**\n\nN95口罩 已断货",
    ]


def test_an_alert_is_sent_again_after_its_repeat_interval_and_the_next_day(engine, receiver, monkeypatch):
    add_channel(engine, "wecom", receiver.url())
    db.perform(engine, ADMIN, notify.set_rule, "checkpoint_fever", True, [], None, None, 60)
    alerts_are(monkeypatch, FEVER)
    for minutes in (0, 30, 59, 60, 90, 120):
        notify.run_once(engine, "sender", NOON + timedelta(minutes=minutes))
    assert len(receiver.requests) == 3  # 12:00, 13:00, 14:00
    notify.run_once(engine, "sender", NOON.replace(hour=0) + timedelta(days=1))
    assert len(receiver.requests) == 4


def test_an_alert_that_worsens_is_sent_again_at_once(engine, receiver, monkeypatch):
    add_channel(engine, "wecom", receiver.url())
    alerts_are(monkeypatch, FEVER)
    notify.run_once(engine, "sender", NOON)
    alerts_are(monkeypatch, Alert(FEVER.domain, FEVER.key, FEVER.severity, {**FEVER.params, "count": 1}))
    notify.run_once(engine, "sender", NOON + timedelta(minutes=1))
    alerts_are(monkeypatch, Alert(FEVER.domain, FEVER.key, FEVER.severity, {**FEVER.params, "count": 5}))
    notify.run_once(engine, "sender", NOON + timedelta(minutes=2))
    assert [text.split("\n\n")[1] for text in sent_texts(receiver)] == [
        "卡口发现发热 2 人：东门卡口",
        "卡口发现发热 5 人：东门卡口",
    ]


def test_a_rule_switched_off_pushes_nothing(engine, receiver, monkeypatch):
    add_channel(engine, "wecom", receiver.url())
    db.perform(engine, ADMIN, notify.set_rule, "checkpoint_fever", False, [])
    alerts_are(monkeypatch, FEVER)
    notify.run_once(engine, "sender", NOON)
    assert receiver.requests == []


def test_quiet_hours_hold_an_alert_until_they_end(engine, receiver, monkeypatch):
    add_channel(engine, "wecom", receiver.url())
    db.perform(engine, ADMIN, notify.set_rule, "checkpoint_fever", True, [], 12, 14)
    alerts_are(monkeypatch, FEVER)
    notify.run_once(engine, "sender", NOON.replace(minute=30))
    notify.run_once(engine, "sender", NOON.replace(hour=13, minute=59))
    assert receiver.requests == []
    notify.run_once(engine, "sender", NOON.replace(hour=14))
    assert len(receiver.requests) == 1


def test_quiet_hours_over_midnight_end_the_next_morning():
    rule = notify.Rule(quiet=(22, 7))
    assert notify.quiet_until(rule, datetime(2026, 3, 2, 23, 30)) == datetime(2026, 3, 3, 7, 0)
    assert notify.quiet_until(rule, datetime(2026, 3, 3, 6, 59)) == datetime(2026, 3, 3, 7, 0)
    assert notify.quiet_until(rule, datetime(2026, 3, 3, 7, 0)) is None


def test_quiet_hours_need_both_ends_named(engine):
    with pytest.raises(ValidationError) as refusal:
        db.perform(engine, ADMIN, notify.set_rule, "checkpoint_fever", True, [], 22, None)
    assert refusal.value.fields == ["quiet_end"]


def test_a_rule_pushes_only_to_its_chosen_channels(engine, receiver, monkeypatch):
    first = add_channel(engine, "wecom", receiver.url("/first"), name="一")
    add_channel(engine, "wecom", receiver.url("/second"), name="二")
    db.perform(engine, ADMIN, notify.set_rule, "checkpoint_fever", True, [first])
    alerts_are(monkeypatch, FEVER)
    notify.run_once(engine, "sender", NOON)
    assert [path for path, _ in receiver.requests] == ["/first"]


def test_a_disabled_channel_gets_nothing(engine, receiver, monkeypatch):
    channel = add_channel(engine, "wecom", receiver.url())
    db.perform(engine, ADMIN, notify.set_channel_enabled, channel, False)
    alerts_are(monkeypatch, FEVER)
    notify.run_once(engine, "sender", NOON)
    assert receiver.requests == [] and count_rows(engine, "notify_outbox") == 0


def test_a_site_projected_full_is_pushed_by_its_own_rule_and_again_when_it_comes_nearer(engine, receiver, monkeypatch):
    """On the real alerts: 2 of 5 beds taken today with 2 admissions a day is full in 2 days; a third admission
    brings it to 1 day, which is worse, so it is pushed again at once."""
    monkeypatch.setenv("COMMAND_POST_ADMISSIONS_DAYS", "1")
    today, noon = clock.today(), datetime.combine(clock.today(), time(12))
    add_channel(engine, "wecom", receiver.url())
    db.perform(engine, ADMIN, quarantine.add_site, {"name": "城东隔离点", "address": "城东路1号", "capacity": 5})

    def admit(n: int) -> None:
        person = {"name": f"测试{n}", "id_number": numbered_id(n), "phone": f"1380000{n:04d}", "grid": "第一网格"}
        fields = {"origin_category": "close_contact", "mode": "centralized", "site": "城东隔离点", "start_date": today}
        db.perform(engine, ADMIN, quarantine.register, {**person, **fields})

    admit(1)
    admit(2)
    notify.run_once(engine, "sender", noon)
    notify.run_once(engine, "sender", noon + timedelta(minutes=5))
    admit(3)
    notify.run_once(engine, "sender", noon + timedelta(minutes=10))
    assert "site_projected_full" in notify.alert_rules()
    assert [row["subject"] for row in outbox(engine) if row["rule"] == "site_projected_full"] == ["城东隔离点"] * 2
    assert [text for text in sent_texts(receiver) if "满员" in text] == [
        "**【关注】防控提醒**\n\n城东隔离点 预计 2 天后满员",
        "**【关注】防控提醒**\n\n城东隔离点 预计 1 天后满员",
    ]


def test_each_channel_gets_the_alerts_and_the_briefing_in_its_own_language(engine, receiver, monkeypatch):
    """A channel without a language speaks the command post's default (Chinese); one set to English, English,
    and one switched to English later gets English from then on."""
    chinese = add_channel(engine, "wecom", receiver.url("/zh?key=robot-key-0123456789"), name="指挥部群")
    add_channel(engine, "wecom", receiver.url("/en?key=robot-key-0123456789"), name="Liaison", language="en")
    alerts_are(monkeypatch, FEVER)
    notify.run_once(engine, "sender", NOON)
    alerts_are(monkeypatch)
    push_briefing_at(engine, monkeypatch, NOON + timedelta(minutes=1))

    by_path = texts_by_path(receiver)
    assert by_path["/zh"][0] == "**【紧急】防控提醒**\n\n卡口发现发热 2 人：东门卡口"
    assert by_path["/en"][0].startswith("**[Urgent] Command post alert**")
    assert "东门卡口" in by_path["/en"][0] and "fever" in by_path["/en"][0].lower()
    assert "集中隔离点空余床位" in by_path["/zh"][1] and "Free centralized beds" in by_path["/en"][1]

    db.perform(engine, ADMIN, notify.set_channel_language, chinese, "en")
    push_briefing_at(engine, monkeypatch, NOON + timedelta(minutes=2))
    assert len(receiver.requests) == 6
    assert "Free centralized beds" in texts_by_path(receiver)["/zh"][2]


def push_briefing_at(engine, monkeypatch, moment: datetime) -> None:
    """The administrator's "push today's briefing now" at ``moment`` on a frozen clock, and a round of the sender."""
    monkeypatch.setattr(clock, "now", lambda: moment)
    db.perform(engine, ADMIN, notify.queue_briefing_now)
    notify.run_once(engine, "sender", moment)


def texts_by_path(receiver: Receiver) -> dict[str, list[str]]:
    """The Markdown each robot address (its path) received, in order."""
    texts: dict[str, list[str]] = {}
    for path, body in receiver.requests:
        texts.setdefault(path.split("?")[0], []).append(body["markdown"]["content"])
    return texts


# The daily briefing -----------------------------------------------------------------------------------------------


def test_the_daily_briefing_goes_out_once_from_its_time_with_a_link(engine, receiver, monkeypatch):
    monkeypatch.setenv("COMMAND_POST_PUBLIC_URL", "https://post.example.org")
    add_channel(engine, "dingtalk", receiver.url())
    alerts_are(monkeypatch)
    notify.run_once(engine, "sender", datetime(2026, 3, 2, 20, 59))
    assert receiver.requests == []
    notify.run_once(engine, "sender", datetime(2026, 3, 2, 21, 0))
    notify.run_once(engine, "sender", datetime(2026, 3, 2, 23, 0))
    [body] = receiver.bodies()
    assert body["markdown"]["title"] == "疫情防控工作日报（2026年3月2日）"
    assert "截至2026年3月2日 21:00" in body["markdown"]["text"], "the day is not over: the figures stand at 21:00"
    assert body["markdown"]["text"].endswith("[打开指挥平台](https://post.example.org)")


# Retries ----------------------------------------------------------------------------------------------------------


def outbox(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(notify.notify_outbox.select().order_by("id")).mappings()]


def test_a_failed_delivery_is_retried_after_a_pause_until_the_receiver_recovers(engine, receiver, monkeypatch):
    add_channel(engine, "wecom", receiver.url())
    alerts_are(monkeypatch, FEVER)
    receiver.answers += [(502, "bad gateway"), (200, '{"errcode":45009,"errmsg":"api freq out of limit"}')]
    notify.run_once(engine, "sender", NOON)
    [row] = outbox(engine)
    assert row["status"] == "pending" and row["attempts"] == 1 and row["answer"].startswith("HTTP 502")
    notify.run_once(engine, "sender", NOON + timedelta(seconds=29))
    assert len(receiver.requests) == 1, "no retry before the pause"
    notify.run_once(engine, "sender", NOON + timedelta(seconds=30))
    assert outbox(engine)[0]["answer"].startswith('HTTP 200 {"errcode":45009')
    notify.run_once(engine, "sender", NOON + timedelta(seconds=90))
    [row] = outbox(engine)
    assert row["status"] == "sent" and row["attempts"] == 3 and len(receiver.requests) == 3


def test_a_delivery_is_marked_failed_with_the_answer_after_its_last_attempt(engine, receiver, monkeypatch):
    add_channel(engine, "wecom", receiver.url())
    alerts_are(monkeypatch, FEVER)
    receiver.answers += [(500, "down")] * notify.MAX_ATTEMPTS
    moment = NOON
    for _ in range(notify.MAX_ATTEMPTS):
        notify.run_once(engine, "sender", moment)
        moment += timedelta(minutes=40)
    assert notify.deliver_due(engine, "sender", moment + timedelta(days=1)) == 0
    [row] = outbox(engine)
    assert row["status"] == "failed" and row["attempts"] == notify.MAX_ATTEMPTS and row["answer"] == "HTTP 500 down"
    assert len(receiver.requests) == notify.MAX_ATTEMPTS
    with engine.connect() as conn:
        assert [failure["status"] for failure in notify.recent_deliveries(conn, status="failed")] == ["failed"]


# One sender at a time ---------------------------------------------------------------------------------------------


def test_the_lease_is_held_by_one_sender_until_it_lapses(engine):
    assert notify.claim_lease(engine, "a", NOON)
    assert not notify.claim_lease(engine, "b", NOON + timedelta(seconds=notify.LEASE_SECONDS - 1))
    assert notify.claim_lease(engine, "a", NOON + timedelta(seconds=10))
    assert notify.claim_lease(engine, "b", NOON + timedelta(seconds=10 + notify.LEASE_SECONDS + 1))
    notify.release_lease(engine, "b")
    assert notify.claim_lease(engine, "a", NOON + timedelta(seconds=80))


def test_two_senders_on_one_database_send_each_message_once(db_url, receiver, monkeypatch):
    engines = [db.connect(db_url) for _ in range(4)]
    add_channel(engines[0], "wecom", receiver.url())
    alerts_are(monkeypatch, FEVER, OUT)
    step_together = threading.Barrier(len(engines), timeout=60)
    errors = []

    def sender(engine, name: str) -> None:
        """Every sender runs each minute's round at once with the others: their clocks agree, as on one host."""
        try:
            for step in range(6):
                step_together.wait()
                notify.run_once(engine, name, NOON + timedelta(minutes=step))
                notify.release_lease(engine, name)  # give the others every chance to take over
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=sender, args=(engine, f"sender-{n}")) for n, engine in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert not errors
    assert sorted(sent_texts(receiver)) == sorted(
        ["**【紧急】防控提醒**\n\n卡口发现发热 2 人：东门卡口", "**【紧急】防控提醒**\n\nN95口罩 已断货"]
    )


def test_a_row_another_sender_already_tried_is_not_sent_again(engine, receiver, monkeypatch):
    add_channel(engine, "wecom", receiver.url())
    alerts_are(monkeypatch, FEVER)
    with engine.begin() as conn:
        notify.write_planned(conn, notify.planned_alerts(conn, NOON), NOON)
    [row] = outbox(engine)
    assert notify.deliver_one(engine, row["id"], 0, NOON)
    assert not notify.deliver_one(engine, row["id"], 0, NOON)
    assert len(receiver.requests) == 1


# No personal data -------------------------------------------------------------------------------------------------


def test_no_persons_name_id_number_or_phone_is_in_any_pushed_message(database_factory, receiver):
    """On a sample of its own: a copy of the shared one fails on PostgreSQL while page tests hold it open."""
    from sample_data import generate_sample

    url = database_factory.fresh_url()
    engine = db.connect(url)
    try:
        generate_sample(engine, days=14)
        add_channel(engine, "webhook", receiver.url())
        with engine.connect() as conn:
            people = conn.execute(sa.text("SELECT name, id_number, phone FROM persons")).all()
        day = clock.now()
        notify.run_once(engine, "sender", day.replace(hour=22))
        db.perform(engine, ADMIN, notify.queue_briefing_now)
        notify.run_once(engine, "sender", day.replace(hour=22, minute=30))
    finally:
        engine.dispose()
        database_factory.release(url)
    bodies = json.dumps(receiver.bodies(), ensure_ascii=False)
    assert len(receiver.requests) >= 3 and people
    for name, id_number, phone in people:
        assert id_number not in bodies and phone not in bodies and f"{name}" not in bodies


# The command line and the words -----------------------------------------------------------------------------------


def test_notify_once_on_the_command_line_sends_what_is_due_and_stops(db_url, engine, receiver):
    from click.testing import CliRunner

    from data_layer.cli import cli

    add_channel(engine, "webhook", receiver.url())
    result = CliRunner().invoke(cli, ["notify", "--db", db_url, "--once", "--briefing-now"])
    assert result.exit_code == 0, result.output
    assert "today's briefing queued for 1 channel(s)" in result.output
    assert {body["rule"] for body in receiver.bodies()} == {"briefing"}
    assert notify.claim_lease(engine, "another", clock.now()), "the lease is given up on stopping"


def test_every_rule_has_a_name_in_both_languages():
    from data_layer.i18n import catalog

    for language in ("zh_CN", "en"):
        assert all(f"notify.rule.{rule}" in catalog(language) for rule in notify.rules())
