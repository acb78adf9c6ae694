"""In-app notifications reach the signed-in user's open console live (a real
daphne process and the Redis channel layer): the hook the field app uses too."""

from __future__ import annotations

import pytest
from django.db import transaction

from cim import roles
from emergency.services.notifications import Recipient, deliveries_run, notification_send
from tests.emergency import live_support
from tests.emergency.live_support import console

asgi_server = live_support.asgi_server  # the fixture

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
