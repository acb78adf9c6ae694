"""The notification service against real servers: e-mail to a local SMTP
server (aiosmtpd), SMS to a local HTTP gateway that fails some messages on
purpose; retries with backoff, the delivery log, zh/en templates."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction
from django.utils import timezone

from emergency.models import Delivery
from emergency.services.notifications import Recipient, deliveries_run, delivery_backoff_s, notification_send
from tests.emergency.sms_gateway import SmsGateway
from tests.ports import free_port

pytestmark = pytest.mark.django_db


class _Sink:
    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default))
        )
        return "250 Message accepted"


@pytest.fixture
def smtp(settings):
    sink = _Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMERGENCY = {
        **settings.EMERGENCY,
        "NOTIFY_SMTP": {"host": "127.0.0.1", "port": port, "timeout": 5},
    }
    yield sink
    controller.stop()


def _send(kind, recipients, context, **kw):
    with transaction.atomic():
        return notification_send(kind=kind, recipients=recipients, context=context, kick=False, **kw)


def test_email_reaches_the_smtp_server_in_each_recipients_language(smtp):
    note = _send(
        "agency_task",
        [
            Recipient("email", "duty@gaj.tianshui.gov.cn"),
            Recipient("email", "liaison@example.org", language="en"),
            Recipient("email", "duty@gaj.tianshui.gov.cn"),
        ],  # the same twice: once
        {
            "title": "封闭民主路",
            "incident": "E20261206-0001",
            "deadline": "12-06 12:00",
            "link": "https://x/inbox/",
        },
    )
    assert note.deliveries.count() == 2
    counts = deliveries_run()
    assert counts == {"sent": 2, "retry": 0, "failed": 0}
    by_rcpt = {tos[0]: msg for tos, msg in smtp.messages}
    zh = by_rcpt["duty@gaj.tianshui.gov.cn"]
    assert zh["Subject"] == "联动任务：封闭民主路"
    assert "请登录平台签收" in zh.get_content()
    en = by_rcpt["liaison@example.org"]
    assert en["Subject"].startswith("Joint task:")
    assert "E20261206-0001" in en.get_content()
    assert set(note.deliveries.values_list("status", flat=True)) == {"sent"}


def test_a_refused_address_fails_at_once_and_the_others_go(smtp):
    _send(
        "agency_task",
        [Recipient("email", "nobody@example.org"), Recipient("email", "ok@example.org")],
        {"title": "t", "incident": "i"},
    )
    deliveries_run()
    bad = Delivery.objects.get(address="nobody@example.org")
    assert bad.status == "failed" and bad.attempts == 1 and "refused" in bad.last_error
    assert Delivery.objects.get(address="ok@example.org").status == "sent"


def test_sms_gateway_failures_are_retried_with_backoff_none_lost_none_twice(settings):
    with SmsGateway(fail_share=0.3) as gw:
        settings.EMERGENCY = {
            **settings.EMERGENCY,
            "NOTIFY_SMS_GATEWAY": gw.settings(),
            "NOTIFY_BACKOFF_S": 0.0,
        }
        phones = [f"139{i:08d}" for i in range(60)]
        _send(
            "cap_alert",
            [Recipient("sms", p, extra={"token": f"T{i}"}) for i, p in enumerate(phones)],
            {
                "headline": "暴雨红色预警",
                "description": "强降雨",
                "instruction": "避免外出",
                "severity": "特别严重",
            },
        )
        first = deliveries_run(max_batches=1)
        assert first["retry"] > 0 and first["sent"] + first["retry"] == 60
        retrying = Delivery.objects.filter(status="retry")
        assert all(
            d.next_attempt_at is not None and d.last_error.startswith("gateway answered 503")
            for d in retrying
        )
        deliveries_run()
        assert Delivery.objects.filter(status="sent").count() == 60
        assert len(gw.delivered) == 60 and gw.accepted_count == 60  # none lost, none twice
        text = gw.delivered[f"d{Delivery.objects.get(address=phones[7]).pk}"]
        assert text["mobile"] == phones[7] and text["content"].startswith("【天水应急】【特别严重】") is False
        assert "暴雨红色预警" in text["content"] and "TDT7" in text["content"]


def test_a_message_is_given_up_after_the_last_attempt_and_a_4xx_is_permanent(settings):
    with SmsGateway(token="Bearer other") as gw:  # our token is wrong: 401, permanent
        settings.EMERGENCY = {
            **settings.EMERGENCY,
            "NOTIFY_SMS_GATEWAY": {**gw.settings(), "auth_value": "Bearer wrong"},
        }
        _send("subscription", [Recipient("sms", "13900000001")], {"address": "民主路1号", "token": "AB"})
        deliveries_run()
        d = Delivery.objects.get()
        assert d.status == "failed" and d.attempts == 1 and "401" in d.last_error
    settings.EMERGENCY = {
        **settings.EMERGENCY,
        "NOTIFY_SMS_GATEWAY": {**gw.settings(), "url": "http://127.0.0.1:9/x"},
        "NOTIFY_MAX_ATTEMPTS": 3,
        "NOTIFY_BACKOFF_S": 0.0,
    }
    _send("subscription", [Recipient("sms", "13900000002")], {"address": "民主路1号", "token": "AC"})
    for _ in range(3):
        deliveries_run()
    d = Delivery.objects.get(address="13900000002")
    assert d.status == "failed" and d.attempts == 3 and "ConnectionError" in d.last_error


def test_backoff_doubles_and_is_capped(settings):
    settings.EMERGENCY = {**settings.EMERGENCY, "NOTIFY_BACKOFF_S": 10.0, "NOTIFY_BACKOFF_MAX_S": 60.0}
    assert 10 <= delivery_backoff_s(1) <= 12.5
    assert 20 <= delivery_backoff_s(2) <= 25
    assert 60 <= delivery_backoff_s(9) <= 75


def test_inapp_is_stored_for_the_user_and_published(user_with):
    user = user_with("dispatcher")
    _send(
        "escalation",
        [Recipient("inapp", f"user:{user.pk}", user_id=user.pk)],
        {"title": "封闭民主路", "department": "公安", "incident": "E1", "sent": "12-06 10:00"},
    )
    assert deliveries_run()["sent"] == 1
    d = Delivery.objects.get()
    assert d.user == user and d.subject == "任务催办：封闭民主路" and d.sent_at <= timezone.now()


def test_unknown_channel_is_refused_and_nothing_stored():
    from emergency.errors import DomainError
    from emergency.models import Notification

    with pytest.raises(DomainError) as err:
        _send("assignment", [Recipient("fax", "0938-1")], {})
    assert err.value.field == "channel"
    assert not Notification.objects.exists()
