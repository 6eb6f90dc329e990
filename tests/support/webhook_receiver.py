"""A local HTTP server that takes job notices as an org's webhook receiver would, and checks them the way the
docs tell receivers to: the HMAC-SHA256 of "<t>.<raw body>" with the org's secret, compared in constant time.

`answers` lists the statuses to give, one per request (the last repeats); a 3xx answer redirects to `redirect_to`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def signature_valid(secret: str, header: str, body: bytes, tolerance_s: float = 300) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if "t" not in fields or "v1" not in fields or abs(time.time() - int(fields["t"])) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


class Receiver:
    def __init__(self, answers=(200,), redirect_to: str = "", delay_s: float = 0.0):
        self.answers, self.redirect_to, self.delay_s = list(answers), redirect_to, delay_s
        self.received: list[dict] = []

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append({"headers": dict(self.headers), "raw": raw, "body": json.loads(raw or b"{}")})
                time.sleep(receiver.delay_s)
                status = receiver.answers[min(len(receiver.received), len(receiver.answers)) - 1]
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/jobs"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()
