"""Events of the operations picture: written with the change, published after
commit.

:func:`emit` stores an :class:`~emergency.models.Event` row in the caller's
transaction and registers a ``transaction.on_commit`` hook that sends it to
the Channels group ``"ops"``; a rolled-back change leaves neither the row nor
a message.  Consoles that missed messages resume from the last event id
(``GET /api/emergency/events/?after=<id>``).
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from emergency.dispatch_state import note_change
from emergency.models import Event

__all__ = ["OPS_GROUP", "emit", "message_of"]

OPS_GROUP = "ops"
MESSAGE_TYPE = "ops.event"  # handled by the consumer's ``ops_event`` method (issue 6)

log = logging.getLogger(__name__)


def message_of(event: Event) -> dict[str, Any]:
    """The channel-layer message for an event (JSON-safe)."""
    return {
        "type": MESSAGE_TYPE,
        "id": event.id,
        "kind": event.kind,
        "at": event.created_at.isoformat(),
        "payload": event.payload,
    }


def _publish(message: dict[str, Any]) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(OPS_GROUP, message)
    except Exception:  # a dead Redis must not fail the committed change
        log.exception("could not publish event %s (%s)", message.get("id"), message.get("kind"))


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def emit(kind: str, payload: dict[str, Any]) -> Event:
    """Record an event in the current transaction; publish it once committed."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("emit must be called inside the write's transaction")
    event = Event.objects.create(kind=kind, payload=_jsonable(payload))
    message = message_of(event)
    transaction.on_commit(lambda: _publish(message))
    # this process's own recommendations see the change at once (other
    # processes hear of it from the database's change notice)
    transaction.on_commit(note_change)
    return event
