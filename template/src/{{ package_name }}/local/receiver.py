"""The local host of the receiver: HTTP push in, Prefect event out.

The receiving core (receiving.py) decides what to answer, keep and emit, as it does in the
Lambda host; this module reads the HTTP request, keeps bodies in the inbox folder and renders the
event from the same template file (`webhook.json`) that `deploy` gives Prefect Cloud. When
Prefect cannot take the event, the push waits in the inbox and replay emits it later.
It takes bursts whole: a listen backlog and a thread per request for more than ENTSO-E's
publication bursts (a price push for every zone after the auction).
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from .. import settings
from ..core.push import soap_fault
from ..events import render_event
from ..receiving import ForwardFailed, Received, Verdict, receive
from .inbox import Inbox

PATH = "/entsoe"


def event_for(received: Received) -> dict[str, Any]:
    """The event Prefect Cloud's webhook makes of what reaches it, from the same template.

    With the AWS receiver that is the Lambda's forward, a JSON reference to the kept body; straight
    to the webhook (push_endpoint prefect_webhook) it is ENTSO-E's push itself.
    """
    if settings.PUSH_ENDPOINT == "aws":
        body, content_type = json.dumps(received.payload()), "application/json"
    else:
        body = Path(received.reference).read_text(encoding="utf-8", errors="replace")
        content_type = received.content_type
    event = render_event(body, {"content-type": content_type})
    # The local stack keeps every push either way: its receipt lets replay skip those taken.
    event["payload"].setdefault("receipt", received.receipt)
    event["id"] = str(uuid.uuid4())
    event["occurred"] = datetime.now(UTC).isoformat()
    return event


def emit(api_url: str, event: dict[str, Any]) -> None:
    """Hand the event to Prefect and wait for its answer (raises when it is not taken)."""
    response = httpx.post(f"{api_url.rstrip('/')}/events", json=[event], timeout=10)
    response.raise_for_status()


class Receiver(ThreadingHTTPServer):
    """POST /entsoe and GET /healthz, on loopback."""

    daemon_threads = True
    # The stdlib's backlog of 5 resets connections in a burst before any answer.
    request_queue_size = 256

    def __init__(self, port: int, inbox: Inbox, api_url: str, max_body_bytes: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.inbox = inbox
        self.api_url = api_url
        self.max_body_bytes = max_body_bytes
        self.ready = threading.Event()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="receiver", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: Receiver
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path != "/healthz":
            return self._answer(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
        if not self.server.ready.is_set():
            return self._answer(HTTPStatus.SERVICE_UNAVAILABLE, b"starting\n", "text/plain")
        return self._answer(HTTPStatus.OK, b"ok\n", "text/plain")

    def do_POST(self) -> None:
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        try:
            length = 0 if chunked else int(self.headers.get("Content-Length") or 0)
            if length < 0:
                raise ValueError(f"Content-Length {length}")
            if self.path != PATH:
                self._discard(length, chunked)
                return self._answer(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
            body = self._read_chunked() if chunked else self._read(length)
        except ValueError as error:  # a Content-Length or chunk size that is no number
            self.close_connection = True
            self._log("warning", f"refused (400): unreadable HTTP framing ({error})")
            return self._soap(HTTPStatus.BAD_REQUEST, soap_fault("unreadable HTTP framing"))
        if body is None:
            self.close_connection = True  # the rest of the body is not read
            self._log("warning", f"refused a body (413): over {self.server.max_body_bytes} bytes")
            fault = soap_fault(f"body over {self.server.max_body_bytes} bytes")
            return self._soap(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, fault)
        if not body.strip():
            # Right for ENTSO-E's connection check, a mistake from anyone else: say so either way.
            self._log("warning", "empty POST: answered as a connection check, no event")
        outcome = receive(
            body,
            self.headers.get("Content-Type", ""),
            self.server.inbox,
            self._forward,
            self.server.max_body_bytes,
        )
        name = outcome.kept.receipt if outcome.kept else ""
        if outcome.verdict is Verdict.REFUSED:
            self._log("warning", f"refused {name} (400), moved to quarantine: {outcome.reason}")
        elif outcome.verdict is Verdict.IGNORED:
            self._log("info", f"ignored {name} (200, moved to ignored/): {outcome.reason}")
        elif outcome.verdict is Verdict.DEFERRED:
            self._log("warning", f"kept {name} for replay: {outcome.reason}")
        elif outcome.verdict is Verdict.ACCEPTED:
            self._log("info", f"took {name}: event sent to Prefect")
        elif outcome.verdict is Verdict.NOT_KEPT:
            self._log("error", f"not kept (500), ENTSO-E will send it again: {outcome.reason}")
        return self._soap(HTTPStatus(outcome.status), outcome.answer)

    def _forward(self, received: Received) -> None:
        try:
            emit(self.server.api_url, event_for(received))
        except httpx.HTTPError as error:
            raise ForwardFailed(f"Prefect did not take it ({error})") from None

    def _discard(self, length: int, chunked: bool) -> None:
        """A body nobody wants is read all the same, up to the limit: left unread, it would be
        taken for the connection's next request. Over the limit, the connection is closed."""
        if (self._read_chunked() if chunked else self._read(length)) is None:
            self.close_connection = True

    def _read(self, length: int) -> bytes | None:
        """The body of a Content-Length, or None over the limit (then it is not read)."""
        if length > self.server.max_body_bytes:
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes | None:
        """A chunked body (a client that streams it), or None once it passes the limit."""
        parts: list[bytes] = []
        size = 0
        while chunk := int(self.rfile.readline(1024).split(b";")[0], 16):
            size += chunk
            if size > self.server.max_body_bytes:
                return None
            parts.append(self.rfile.read(chunk))
            self.rfile.readline(1024)  # the CRLF that ends the chunk
        while self.rfile.readline(1024).strip():  # trailers, up to the blank line
            pass
        return b"".join(parts)

    def _log(self, level: str, message: str) -> None:
        self.log_message("%s: %s", level, message)

    def _soap(self, status: HTTPStatus, body: bytes) -> None:
        self._answer(status, body, "application/soap+xml; charset=utf-8")

    def _answer(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:
        if self.close_connection:
            self.send_header("Connection", "close")  # so the client does not send on it again
        super().end_headers()
