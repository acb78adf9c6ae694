"""Pluggable channels.  A channel takes a batch of :class:`Outgoing`
messages and returns, per message, the provider's reference or a
:class:`ChannelError` (``permanent`` ones are not retried).  Channels are
named in ``EMERGENCY["NOTIFY_CHANNELS"]``; a deployment adds one by naming
its class there (the field app's push, a fax gateway…)."""

from __future__ import annotations

import json
import smtplib
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import requests
from django.utils.module_loading import import_string

from emergency.conf import emergency_settings

__all__ = [
    "Channel",
    "ChannelError",
    "EmailChannel",
    "InAppChannel",
    "Outgoing",
    "SmsGatewayChannel",
    "channel_for",
]


@dataclass(frozen=True)
class Outgoing:
    """One message to one address (no database row: channels stay plain)."""

    delivery_id: int
    address: str
    subject: str
    body: str
    user_id: int | None = None
    payload: dict | None = None


class ChannelError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


Result = str | ChannelError


class Channel:
    """Base class: ``send`` one message; ``send_batch`` may do better
    (one SMTP session, parallel HTTP calls)."""

    name = ""

    def send(self, message: Outgoing) -> str:
        raise NotImplementedError

    def send_batch(self, messages: list[Outgoing]) -> list[Result]:
        return [self._one(m) for m in messages]

    def _one(self, message: Outgoing) -> Result:
        try:
            return self.send(message)
        except ChannelError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 — any failure of one send (a network error, a Redis
            # outage on the in-app path) is that message's retry, never the batch's end
            return ChannelError(f"{type(exc).__name__}: {exc}"[:500])


class EmailChannel(Channel):
    """E-mail over SMTP, one session per batch (``NOTIFY_SMTP``)."""

    name = "email"

    def send_batch(self, messages: list[Outgoing]) -> list[Result]:
        conf = emergency_settings.NOTIFY_SMTP
        try:
            smtp = smtplib.SMTP(conf["host"], int(conf["port"]), timeout=float(conf.get("timeout", 10)))
        except OSError as exc:
            return [ChannelError(f"SMTP connect: {exc}")] * len(messages)
        results: list[Result] = []
        try:
            if conf.get("use_tls"):
                smtp.starttls()
            if conf.get("username"):
                smtp.login(conf["username"], conf["password"])
            for m in messages:
                mail = EmailMessage()
                mail["From"] = str(emergency_settings.NOTIFY_EMAIL_FROM)
                mail["To"] = m.address
                mail["Subject"] = m.subject
                mail["Message-ID"] = msgid = make_msgid(domain="notify.tianshui")
                mail.set_content(m.body)
                try:
                    smtp.send_message(mail)
                    results.append(msgid)
                except smtplib.SMTPRecipientsRefused as exc:
                    results.append(ChannelError(f"recipient refused: {exc.recipients}"[:500], permanent=True))
                except (smtplib.SMTPException, OSError) as exc:
                    results.append(ChannelError(f"SMTP: {exc}"[:500]))
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
        results += [ChannelError("SMTP session ended")] * (len(messages) - len(results))
        return results


class SmsGatewayChannel(Channel):
    """SMS through the city's HTTP gateway (``NOTIFY_SMS_GATEWAY``): one POST
    per message with the configured body template and auth header; a 2xx
    answer is delivered (its ``msgid``/``id`` kept), a 4xx other than 429
    permanent, anything else retried.  Calls run in parallel threads."""

    name = "sms"
    _local = threading.local()

    def _session(self) -> requests.Session:
        if getattr(self._local, "session", None) is None:
            self._local.session = requests.Session()
        return self._local.session

    def send(self, message: Outgoing) -> str:
        conf = emergency_settings.NOTIFY_SMS_GATEWAY
        if not conf.get("url"):
            raise ChannelError("no SMS gateway configured (EMERGENCY NOTIFY_SMS_GATEWAY url)", permanent=True)
        ref = f"d{message.delivery_id}"
        text = f"{conf.get('sign', '')}{message.body}"
        body = conf["body"]
        for key, value in (("{phone}", message.address), ("{text}", text), ("{ref}", ref)):
            body = body.replace(key, json.dumps(value, ensure_ascii=False)[1:-1])
        headers = {"Content-Type": conf.get("content_type", "application/json"), "Idempotency-Key": ref}
        if conf.get("auth_value"):
            headers[conf.get("auth_header") or "Authorization"] = conf["auth_value"]
        resp = self._session().post(
            conf["url"], data=body.encode(), headers=headers, timeout=float(conf.get("timeout", 5))
        )
        if 200 <= resp.status_code < 300:
            try:
                answer = resp.json()
            except ValueError:
                answer = {}
            return str(answer.get("msgid") or answer.get("id") or ref)[:100]
        permanent = 400 <= resp.status_code < 500 and resp.status_code not in (408, 429)
        raise ChannelError(f"gateway answered {resp.status_code}: {resp.text[:200]}", permanent=permanent)

    def send_batch(self, messages: list[Outgoing]) -> list[Result]:
        threads = max(1, min(int(emergency_settings.NOTIFY_THREADS), len(messages)))
        if threads == 1:
            return super().send_batch(messages)
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(self._one, messages))


class InAppChannel(Channel):
    """In-app: the message is stored (the department inbox and the console
    read it) and pushed on the live channel to the user's group
    ``user.<id>``; the field app subscribes to the same group.  Delivered
    when published."""

    name = "inapp"

    def send(self, message: Outgoing) -> str:
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is not None and message.user_id is not None:
            async_to_sync(layer.group_send)(
                f"user.{message.user_id}",
                {
                    "type": "notify.message",
                    "delivery": message.delivery_id,
                    "subject": message.subject,
                    "body": message.body,
                    "payload": message.payload or {},
                },
            )
        return f"inapp-{uuid.uuid4().hex[:12]}"


_channels: dict[str, Channel] = {}


def channel_for(name: str) -> Channel:
    """The configured channel ``name`` (one instance per process)."""
    if name not in _channels:
        path = emergency_settings.NOTIFY_CHANNELS.get(name)
        if path is None:
            raise KeyError(f"unknown notification channel {name!r}")
        _channels[name] = import_string(path)()
    return _channels[name]
