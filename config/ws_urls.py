"""WebSocket routes (served by the ASGI process)."""

websocket_urlpatterns: list = []
