"""Notification channels (e-mail over SMTP, SMS through the city's HTTP
gateway, in-app) and the zh/en message templates.  The services in
:mod:`emergency.services.notifications` queue, send, retry and log."""

from emergency.notify.channels import Channel, ChannelError, Outgoing, channel_for
from emergency.notify.templates import render

__all__ = ["Channel", "ChannelError", "Outgoing", "channel_for", "render"]
