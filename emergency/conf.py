"""Every setting of the emergency app, declared once (``settings.EMERGENCY``).

A deployment sets only the keys it changes; every other key takes the
default below.  Read them as ``emergency_settings.KEY``.
"""

from __future__ import annotations

from config.common.appsettings import AppSettings, Key
from emergency.choices import ZoneTier
from emergency.constants import PEOPLE_PER_M2

__all__ = ["emergency_settings"]

emergency_settings = AppSettings("EMERGENCY", {
    # -- dispatch ------------------------------------------------------------------
    "UNIT_POSITION_STALE_S": Key(300, "a unit position older than this is stale: the unit is placed at "
                                      "its station"),
    "MAX_SNAP_DISTANCE_M": Key(2000.0, "incidents further than this from a drivable road cannot be "
                                       "dispatched to by road"),
    "RECOMMEND_EXTRA": Key(2, "alternatives shown beyond the units still needed, per unit type"),
    "DISPATCH_STATE_CACHE": Key(True, "recommendations read units and closures from an in-memory picture "
                                      "per process (emergency.dispatch_state); False: from the database"),
    "DISPATCH_STATE_MAX_AGE_S": Key(1.0, "the picture is read again at least this often, for the units' "
                                         "positions (their moves send no change notice)"),
    # -- media -----------------------------------------------------------------------
    "ATTACHMENT_MAX_BYTES": Key({"photo": 15 * 2**20, "video": 200 * 2**20, "audio": 30 * 2**20},
                                "largest incident attachment, by kind"),
    "PRIVATE_MEDIA_DIR": Key("private/emergency", "subfolder of MEDIA_ROOT for files served only "
                                                  "through a permission-checked view"),
    "VOICE_MAX_S": Key(60.0, "longest push-to-talk voice message (seconds)"),
    "VOICE_MAX_BYTES": Key(2 * 2**20, "largest push-to-talk voice message (bytes)"),
    # -- video -----------------------------------------------------------------------
    "VIDEO_DIR": Key("video", "subfolder of MEDIA_ROOT with the demo cameras' HLS streams "
                              "(build_demo_video), served at /video/ to console roles"),
    "VIDEO_WALL_RADIUS_M": Key(5000.0, "the video wall shows cameras within this distance of the incident"),
    "VIDEO_AUDIT_WINDOW_S": Key(600, "opening the same camera's stream again within this window is not "
                                     "audited again (one row per user, camera and window)"),
    "DEMO_VIDEO_FONT": Key("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                           "CJK font burned into the demo streams (Debian fonts-wqy-zenhei)"),
    # -- field app (responders' phones) ---------------------------------------------
    "FIELD_ACK_TIMEOUT_S": Key(60, "an assignment its crew has not acknowledged after this many seconds "
                                   "shows in red on the console"),
    "FIELD_POSITION_INTERVAL_S": Key(5, "the field app sends its queued position fixes this often"),
    "FIELD_OP_MAX_AGE_S": Key(24 * 3600, "an offline status change older than this is refused"),
    "FIELD_OP_RATE": Key("600/min", "field-app operations per user (DRF rate syntax)"),
    # -- zones -----------------------------------------------------------------------
    "ZONE_NAMES": Key({ZoneTier.SEALED: "封控区", ZoneTier.CONTROLLED: "管控区",
                       ZoneTier.PREVENTION: "防范区"}, "names of the control-zone tiers"),
    "ZONE_BUFFER_M": Key(50.0, "default buffer drawn around a zone's source geometry"),
    "PEOPLE_PER_M2": Key(PEOPLE_PER_M2, "people per m² of floor area by building use, for zone "
                                        "estimates"),
    # -- CAP alerts ------------------------------------------------------------------
    "CAP_SENDER": Key("emergency@tianshui.gov.cn", "CAP <sender>"),
    "CAP_SENDER_NAME": Key("天水市突发事件预警信息发布中心", "CAP <senderName>"),
    "CAP_UNIT_CODE": Key("00000000", "GB/T 35965.1 unit code: DDD (GB/T 4657 organisation) + UUU + XX"),
    "CAP_DIVISION_CODE": Key("620500", "division code used when an incident has none"),
    "CAP_DEFAULT_RADIUS_M": Key(1000.0, "alert area radius around an incident without a zone"),
    # -- live path (events, positions, WebSockets) -----------------------------------
    "LIVE_EVENT_RETENTION_S": Key(24 * 3600, "events are kept this long; a console resuming from an "
                                             "older id reloads over REST"),
    "LIVE_REPLAY_MAX": Key(5000, "more missed events than this on resume: reloading is cheaper"),
    "LIVE_EVENT_HOLD_S": Key(2.0, "how long a gap in the event ids may hold later events back while "
                                  "the transaction that took the missing id may still commit"),
    "LIVE_EVENT_POLL_S": Key(1.0, "each ASGI process looks for events it was not told about this "
                                  "often"),
    "LIVE_POSITION_FLUSH_S": Key(0.1, "positions go to the consoles every flush tick"),
    "LIVE_POSITION_MIN_INTERVAL_S": Key(0.25, "each unit at most once per this interval (≤ 4 "
                                              "updates per second)"),
    "LIVE_STALE_CHECK_S": Key(5.0, "stale units are looked up this often"),
    "LIVE_PURGE_INTERVAL_S": Key(600.0, "old history and events are purged at most this often by an "
                                        "ASGI process"),
    "LIVE_GROUP_RENEW_S": Key(600.0, "each hub renews its membership of the live groups this often "
                                     "(the channel layer drops memberships after its group expiry)"),
    "POSITION_RETENTION_S": Key(7 * 24 * 3600, "position history is kept this long; older fixes are "
                                               "refused"),
    "POSITION_MAX_SKEW_S": Key(30.0, "a fix may lie this far in the future (device clocks drift)"),
    "POSITION_BATCH_MAX": Key(1000, "most fixes in one batch"),
    "POSITION_UNIT_WRITE_INTERVAL_S": Key(1.0, "a unit's stored position is rewritten at most this "
                                               "often; history and consoles get every fix"),
    "POSITION_MAX_SPEED_KMH": Key(400.0, "faster implied movement between fixes is refused"),
    "POSITION_EXTENT": Key(None, "(min lon, min lat, max lon, max lat) fixes must fall in; None: the "
                                 "extent of the admin areas grown by the margin below"),
    "POSITION_EXTENT_MARGIN_KM": Key(50.0, "margin around the admin areas' extent"),
    "POSITION_HTTP_RATE": Key("6000/min", "HTTP position requests per user (DRF rate syntax)"),
    "LIVE_WS_RATE_PER_S": Key(20.0, "messages a WebSocket client may send per second"),
    "LIVE_WS_BURST": Key(40, "burst of WebSocket messages allowed above the rate"),
    "LIVE_WS_MAX_MESSAGE_BYTES": Key(1024 * 1024, "largest WebSocket message accepted"),
    # -- dashboard ---------------------------------------------------------------------
    # NFPA 1225: 90 % of calls processed in 60 s; NFPA 1710: turnout 60 s (EMS) /
    # 80 s (fire), first-engine travel 240 s; China (建标152-2017): a fire engine
    # reaches the edge of its district within 5 min of the dispatch order.
    "STATS_TARGETS": Key({"call_processing_s": 60,
                          "turnout_s": {"default": 80, "ambulance": 60, "epidemic_team": 60},
                          "travel_s": 240, "response_s": 300},
                         "response-time targets of the dashboard (seconds)"),
    # -- notifications (issue 14) --------------------------------------------------------
    "NOTIFY_CHANNELS": Key({"email": "emergency.notify.channels.EmailChannel",
                            "sms": "emergency.notify.channels.SmsGatewayChannel",
                            "inapp": "emergency.notify.channels.InAppChannel"},
                           "the channel classes by name (dotted paths): add one to plug a channel in"),
    "NOTIFY_MAX_ATTEMPTS": Key(5, "a delivery is given up (failed) after this many attempts"),
    "NOTIFY_BACKOFF_S": Key(10.0, "first retry after this long, doubling each attempt (with jitter)"),
    "NOTIFY_BACKOFF_MAX_S": Key(1800.0, "longest wait between two attempts"),
    "NOTIFY_BATCH": Key(500, "deliveries one worker run claims at a time"),
    "NOTIFY_THREADS": Key(16, "parallel sends per worker run (SMS gateway and SMTP calls wait on I/O)"),
    "NOTIFY_EMAIL_FROM": Key("noreply@tianshui.gov.cn", "From: of notification e-mail"),
    "NOTIFY_SMTP": Key({"host": "127.0.0.1", "port": 25, "username": "", "password": "",
                        "use_tls": False, "timeout": 10}, "the SMTP server notification e-mail goes through"),
    "NOTIFY_SMS_GATEWAY": Key({"url": "", "auth_header": "Authorization", "auth_value": "",
                               "body": '{"mobile": "{phone}", "content": "{text}", "msgid": "{ref}"}',
                               "content_type": "application/json", "timeout": 5.0, "sign": "【天水应急】"},
                              "the city's SMS platform: URL, auth header, body template ({phone}, {text}, "
                              "{ref} filled JSON-escaped), signature prefixed to every text"),
    "AGENCY_TASK_ACK_S": Key(600, "an agency task not acknowledged this long after it was sent goes to the "
                                  "department's duty officer; twice this long, to the commander"),
    "AGENCY_TASK_DEFAULT_DEADLINE_S": Key(4 * 3600, "deadline of a plan's agency task"),
    "SUBSCRIBE_RATE_PER_HOUR": Key(5, "subscriptions one client may make per hour on scan pages"),
    "PUBLIC_BASE_URL": Key("https://tianshui.gov.cn", "the public address in messages (opt-out links, "
                                                      "the inbox link)"),
})
