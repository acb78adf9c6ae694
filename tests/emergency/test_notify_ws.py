"""In-app notifications reach the signed-in user's open console live (a real
daphne process and the Redis channel layer): the hook the field app uses too."""

from __future__ import annotations

import pytest
from django.db import transaction

from cim import roles
from emergency.services.notifications import Recipient, deliveries_run, notification_send
from tests.emergency.live_support import console

pytestmark = pytest.mark.django_db(transaction=True)


def test_inapp_message_pops_up_on_the_users_console_only(asgi_server, grid_city, user_with):
    commander, other = user_with(roles.COMMANDER), user_with(roles.COMMANDER)
    mine, _, _ = console(asgi_server, commander)
    theirs, _, _ = console(asgi_server, other)
    with mine, theirs:
        with transaction.atomic():
            notification_send(
                kind="escalation",
                kick=False,
                context={
                    "title": "封闭民主路",
                    "department": "公安局",
                    "incident": "E1",
                    "sent": "10:00",
                    "link": "/inbox/",
                },
                recipients=[Recipient("inapp", f"user:{commander.pk}", user_id=commander.pk)],
            )
        assert deliveries_run()["sent"] == 1
        got = mine.until(lambda m: m["type"] == "notification", timeout=15)
        assert got[-1]["subject"] == "任务催办：封闭民主路" and "公安局" in got[-1]["body"]
        assert all(m["type"] != "notification" for m in theirs.collect(1.5))


def _notify_socket(server, user):
    from django.conf import settings
    from websockets.sync.client import connect

    from tests.emergency.live_support import Socket, session_cookie

    headers = {"Origin": f"http://127.0.0.1:{server.port}"}
    if user is not None:
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={session_cookie(user)}"
    return Socket(connect(server.url("/ws/notify/"), additional_headers=headers, open_timeout=20).__enter__())


def test_the_notify_socket_serves_any_staff_role_its_own_messages_only(asgi_server, grid_city, user_with):
    from websockets.exceptions import ConnectionClosed

    clerk, other = user_with(roles.COMMUNITY), user_with(roles.PLANNER)  # neither may use /ws/ops/
    for who, code in ((None, 4401), (user_with(roles.AUDITOR), 4403)):
        with _notify_socket(asgi_server, who) as refused, pytest.raises(ConnectionClosed) as closed:
            refused.recv(timeout=10)
        assert closed.value.rcvd.code == code
    with _notify_socket(asgi_server, clerk) as mine, _notify_socket(asgi_server, other) as theirs:
        assert mine.recv(timeout=20) == {"type": "synced", "last_id": 0}
        assert theirs.recv(timeout=20)["type"] == "synced"
        mine.send({"type": "ping"})
        assert mine.recv(timeout=10) == {"type": "pong"}
        with transaction.atomic():
            notification_send(
                kind="agency_task",
                kick=False,
                context={"title": "设置临时供水点", "incident": "E2", "deadline": "12:00", "link": "/inbox/"},
                recipients=[Recipient("inapp", f"user:{clerk.pk}", user_id=clerk.pk)],
            )
        assert deliveries_run()["sent"] == 1
        got = mine.until(lambda m: m["type"] == "notification", timeout=15)[-1]
        assert got["subject"] == "联动任务：设置临时供水点" and got["delivery"]
        assert all(m["type"] != "notification" for m in theirs.collect(1.5))
