"""WebSocket routes (served by the ASGI process; protocol in emergency.consumers)."""

from django.urls import path

from cim.consumers import JobsConsumer
from emergency.consumers import NotifyConsumer, OpsConsumer

websocket_urlpatterns: list = [
    path("ws/ops/", OpsConsumer.as_asgi()),
    path("ws/jobs/", JobsConsumer.as_asgi()),
    path("ws/notify/", NotifyConsumer.as_asgi()),
]
