"""A local stand-in for the city's SMS platform (tests and the benchmark):
an HTTP server that checks the auth header, records every message by its
``msgid`` and fails a chosen share of first attempts on purpose (503), so
retries are exercised.  Not a mock of our code: our adapter talks real HTTP
to it."""

from __future__ import annotations

import json
import threading
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["SmsGateway"]


class SmsGateway:
    def __init__(
        self, *, fail_share: float = 0.0, token: str = "Bearer test-token", reject_phone: str = ""
    ) -> None:
        self.fail_share = fail_share
        self.token = token
        self.reject_phone = reject_phone
        self.delivered: dict[str, dict] = {}  # msgid → message accepted
        self.attempts: Counter[str] = Counter()
        self.accepted_count = 0  # 2xx answers, duplicates included
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _answer(self, code: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Authorization") != gateway.token:
                    return self._answer(401, {"error": "bad token"})
                try:
                    msg = json.loads(raw)
                except ValueError:
                    return self._answer(400, {"error": "bad json"})
                msgid = msg.get("msgid", "")
                with gateway.lock:
                    gateway.attempts[msgid] += 1
                    first = gateway.attempts[msgid] == 1
                if msg.get("mobile") == gateway.reject_phone:
                    return self._answer(400, {"error": "invalid mobile"})
                if first and (zlib.crc32(msgid.encode()) % 10000) < gateway.fail_share * 10000:
                    return self._answer(503, {"error": "busy, try later"})
                with gateway.lock:
                    gateway.accepted_count += 1
                    gateway.delivered[msgid] = msg
                return self._answer(200, {"msgid": f"gw-{msgid}"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SmsGateway:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def settings(self) -> dict:
        return {
            "url": self.url,
            "auth_header": "Authorization",
            "auth_value": self.token,
            "body": '{"mobile": "{phone}", "content": "{text}", "msgid": "{ref}"}',
            "content_type": "application/json",
            "timeout": 5.0,
            "sign": "【天水应急】",
        }
