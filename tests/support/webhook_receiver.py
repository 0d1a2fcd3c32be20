"""A reference webhook receiver: verifies the signature, acts on each idempotency key
once and answers duplicates with 200 so the sender stops retrying.

Used by the tests and ``bench/chaos.py`` as "the vendor"; it also shows a vendor
what a correct receiver does. ``fail_next`` makes it answer errors, to exercise
retries.
"""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tickets.outbox import webhooks


class Receiver:
    def __init__(self, secret: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.secret = secret
        self.lock = threading.Lock()
        self.acted: dict[str, bytes] = {}  # idempotency key -> body acted on
        self.deliveries: Counter[str] = Counter()  # idempotency key -> requests received
        self.rejected = 0
        self.fail_next = 0
        self.headers: list[dict[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.receive(dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass  # quiet: thousands of requests in the chaos run

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/helpdesk"

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        key = headers.get("X-Helpdesk-Idempotency-Key", "")
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503
            self.headers.append(headers)
            if not key or not webhooks.verify(headers.get("X-Helpdesk-Signature", ""), body,
                                              self.secret):  # fmt: skip
                self.rejected += 1
                return 401
            self.deliveries[key] += 1
            self.acted.setdefault(key, body)  # act once per key
        return 200

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.deliveries.values())

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
